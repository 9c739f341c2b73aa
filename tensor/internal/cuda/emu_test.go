//go:build cuda

package cuda

import (
	"os"
	"testing"

	"nnkit/tensor/internal/cuda/cudaemu"
)

// The device tests run on a real GPU when one is usable. Otherwise, when a
// C++ compiler is present, on the CPU emulator of package cudaemu: a
// fake libcuda/libcublas/libnvrtc built from kernels.cu itself, so the
// kernels' indexing, reductions and barriers and every Go path up to the
// driver calls are checked here too. NNKIT_CUDA_EMU=0 disables the
// emulator, =1 forces it even where a GPU is usable.

var (
	emulated   bool   // the device tests run on the emulator
	realReason string // why the real GPU was not used ("" if it was)
	emuReason  string // why the emulator was not used
)

func TestMain(m *testing.M) {
	mode := os.Getenv("NNKIT_CUDA_EMU")
	if mode != "1" {
		if _, err := Probe(); err == nil {
			os.Exit(m.Run())
		} else {
			realReason = err.Error()
		}
	} else {
		realReason = "NNKIT_CUDA_EMU=1"
	}
	if mode == "0" {
		emuReason = "NNKIT_CUDA_EMU=0"
	} else if dir, err := cudaemu.Build(kernelSource); err != nil {
		emuReason = err.Error()
	} else {
		os.Setenv(EnvPath, dir)
		emulated = true
	}
	os.Exit(m.Run())
}

// testDevice returns the device for a test, or skips it with the reason.
func testDevice(t testing.TB) *Device {
	t.Helper()
	d, err := Open()
	if err != nil {
		t.Skipf("no usable CUDA device: %v (emulator: %s)", firstLine(err.Error()), emuReason)
	}
	return d
}
