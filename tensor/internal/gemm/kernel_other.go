//go:build !amd64 || purego

package gemm

// sgemmKernel is the float32 micro-kernel in use.
var sgemmKernel = genericKernel[float32]()

// sgemmKernels lists the float32 kernels this build and CPU can run, so
// that tests cover each of them.
func sgemmKernels() []*kernel[float32] { return []*kernel[float32]{genericKernel[float32]()} }

// transpose16: no register transpose in this build (Transpose32).
var transpose16 func(dst []float32, ldd int, src []float32, lds int, blocks int)
