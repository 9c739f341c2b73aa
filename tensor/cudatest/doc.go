// Package cudatest is for tests only: it chooses, for a test binary built
// with -tags cuda, between a real GPU and the CPU emulator of the CUDA
// driver (tensor/internal/cuda/cudaemu), so that CUDA tests outside the
// engine (solutions/nets) open the device as the engine's own tests do
// without importing the engine's internal packages; and it holds CloseTo,
// the one elementwise comparison of a device's results with the CPU's
// that the conformance suite and those tests share. Without the cuda tag
// only CloseTo is there. No program imports it.
package cudatest
