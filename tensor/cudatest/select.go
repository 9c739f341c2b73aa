//go:build cuda

package cudatest

import (
	"nnkit/tensor/internal/cuda"
	"nnkit/tensor/internal/cuda/cudaemu"
)

// Select decides whether this test binary's CUDA tests run on a real GPU
// or on the emulator, as NNKIT_CUDA_EMU asks (0: never the emulator, 1:
// always, unset: when no usable driver is found); when it chooses the
// emulator it builds it and points the CUDA loader at it. Call it before
// tensor.GPU, once, in TestMain. reason is why neither can run ("" when
// one can); emulated says which one will.
func Select() (reason string, emulated bool) {
	return cudaemu.Select(func() error { _, err := cuda.Probe(); return err }, cuda.KernelSource(), cuda.EnvPath)
}
