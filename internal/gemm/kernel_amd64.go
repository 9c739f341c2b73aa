//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// sgemmKernel6x64AVX512 computes a 6 x 64 tile of C with AVX-512F
// (see the kernel type for the contract). kc >= 1; strides count
// elements.
//
//go:noescape
func sgemmKernel6x64AVX512(kc int, a *float32, ars, aks int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// sgemmKernel6x16AVX2 computes a 6 x 16 tile of C with AVX2 and FMA.
//
//go:noescape
func sgemmKernel6x16AVX2(kc int, a *float32, ars, aks int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

var (
	hasAVX512 = cpu.X86.HasAVX512F
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

// avx512Kernel: an A sliver of 6 x 256 floats (6 KiB) stays in L1 while it
// sweeps a packed B block of 256 x 768 floats (768 KiB) in the 1 MiB L2.
func avx512Kernel() *kernel[float32] {
	const mr, nr = 6, 64
	return &kernel[float32]{
		name: "avx512-6x64",
		mr:   mr, nr: nr,
		kc: 256, mc: 1020, nc: 768,
		fn: func(kc int, a []float32, ars, aks int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
			// Bounds checks that make the assembly's reads and writes safe.
			_ = a[(mr-1)*ars+(kc-1)*aks]
			_ = b[(kc-1)*ldb+nr-1]
			_ = c[(mr-1)*ldc+nr-1]
			sgemmKernel6x64AVX512(kc, &a[0], ars, aks, &b[0], ldb, &c[0], ldc, alpha, beta)
		},
	}
}

func avx2Kernel() *kernel[float32] {
	const mr, nr = 6, 16
	return &kernel[float32]{
		name: "avx2-6x16",
		mr:   mr, nr: nr,
		kc: 256, mc: 1020, nc: 768,
		fn: func(kc int, a []float32, ars, aks int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
			_ = a[(mr-1)*ars+(kc-1)*aks]
			_ = b[(kc-1)*ldb+nr-1]
			_ = c[(mr-1)*ldc+nr-1]
			sgemmKernel6x16AVX2(kc, &a[0], ars, aks, &b[0], ldb, &c[0], ldc, alpha, beta)
		},
	}
}

// sgemmKernel is the float32 micro-kernel in use: the widest the CPU runs.
var sgemmKernel = sgemmKernels()[0]

// sgemmKernels lists the float32 kernels this CPU can run, fastest first;
// the generic Go kernel is always last.
func sgemmKernels() []*kernel[float32] {
	var ks []*kernel[float32]
	if hasAVX512 {
		ks = append(ks, avx512Kernel())
	}
	if hasAVX2 {
		ks = append(ks, avx2Kernel())
	}
	return append(ks, genericKernel[float32]())
}
