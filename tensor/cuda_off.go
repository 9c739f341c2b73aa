//go:build !cuda

package tensor

import "errors"

// errNotBuilt is why the default build has no GPU.
var errNotBuilt = errors.New("not built with -tags cuda")

// TryGPU returns the GPU (the original try_gpu) when nnkit was built with
// -tags cuda and a CUDA device is usable, otherwise CPU, after one line on
// standard error saying why. This build has no CUDA backend: it always
// returns CPU, saying "not built with -tags cuda".
func TryGPU() Device {
	noteCPU(errNotBuilt.Error())
	return CPU
}

// GPU returns the GPU, or the reason there is none: for a program that
// was asked for the GPU explicitly. In this build: "not built with -tags
// cuda".
func GPU() (Device, error) { return nil, errNotBuilt }

// GPUBuilt reports whether this build has the CUDA backend (-tags cuda).
const GPUBuilt = false

// Synchronize waits for the work queued on dev and returns the first
// asynchronous error; there is nothing to wait for on the CPU.
func Synchronize(dev Device) error { return nil }
