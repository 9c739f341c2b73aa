//go:build unix

package gemm

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used (user + system). Benchmarks
// divide by it as well as by wall time because the machine is shared: it
// leaves out the time other programs held the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
