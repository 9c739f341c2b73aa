//go:build !linux

package peak

import "time"

var clockStart = time.Now()

// threadCPU falls back to the wall clock where there is no per-thread CPU
// clock at hand: the rates then count time the thread did not run.
func threadCPU() time.Duration { return time.Since(clockStart) }
