package gemm

// Generic micro-kernel: 4 x 4 tiles in plain Go, used for float64, on
// architectures without assembly kernels, with the purego build tag, and on
// amd64 CPUs without AVX2+FMA.
const (
	genericMR = 4
	genericNR = 4
)

func genericKernel[T float]() *kernel[T] {
	return &kernel[T]{
		name: "generic",
		mr:   genericMR, nr: genericNR,
		kc: 256, mc: 128, nc: 1024,
		fn: kernel4x4[T],
	}
}

// dgemmKernel is the float64 kernel: float64 is only used for gradient
// checks and tiny models, so it never gets assembly.
var dgemmKernel = genericKernel[float64]()

// kernel4x4 is the reference micro-kernel (see the kernel type):
//
//	for i < 4, j < 4:
//		s := sum over p < kc of a[i*ars+p*aks] * b[p*ldb+j]
//		c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]   // alpha*s when beta == 0
//
// Sixteen named accumulators keep the tile in registers as far as the
// compiler allows.
func kernel4x4[T float](kc int, a []T, ars, aks int, b []T, ldb int, c []T, ldc int, alpha, beta T) {
	var c00, c01, c02, c03 T
	var c10, c11, c12, c13 T
	var c20, c21, c22, c23 T
	var c30, c31, c32, c33 T
	for p := 0; p < kc; p++ {
		bp := b[p*ldb : p*ldb+4]
		ap := a[p*aks:]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0 := ap[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := ap[ars]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := ap[2*ars]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := ap[3*ars]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	storeRow4(c[0*ldc:0*ldc+4], c00, c01, c02, c03, alpha, beta)
	storeRow4(c[1*ldc:1*ldc+4], c10, c11, c12, c13, alpha, beta)
	storeRow4(c[2*ldc:2*ldc+4], c20, c21, c22, c23, alpha, beta)
	storeRow4(c[3*ldc:3*ldc+4], c30, c31, c32, c33, alpha, beta)
}

func storeRow4[T float](c []T, s0, s1, s2, s3, alpha, beta T) {
	c = c[:4]
	if beta == 0 {
		c[0], c[1], c[2], c[3] = alpha*s0, alpha*s1, alpha*s2, alpha*s3
		return
	}
	c[0] = alpha*s0 + beta*c[0]
	c[1] = alpha*s1 + beta*c[1]
	c[2] = alpha*s2 + beta*c[2]
	c[3] = alpha*s3 + beta*c[3]
}
