//go:build cuda

package cuda

import "testing"

// What the external tests (package cuda_test: parity_test.go,
// lenet_test.go) use of the package's internals. They are external because
// they compare with nnkit/tensor, which imports this package in the cuda
// build.

// DeviceForTest is testDevice: the device, or the test skips with the reason.
func DeviceForTest(t testing.TB) *Device { return testDevice(t) }

// Emulated reports whether the device tests run on the CPU emulator.
func Emulated() bool { return emulated }

// FirstErr is firstErr.
var FirstErr = firstErr
