// Package gemm holds the general matrix multiply kernels that the tensor
// engine's matmul and convolution run on.
//
// All matrices are row-major. The functions compute
//
//	C = alpha * op(A) * op(B) + beta * C
//
// where op(X) is X or its transpose, op(A) is m x k and op(B) is k x n,
// exactly as BLAS's xGEMM in its row-major (CBLAS) form. A beta of 0 means
// C is overwritten without being read, so C may hold garbage or NaN.
//
// # How it is computed
//
// The implementation follows the GotoBLAS/BLIS scheme (see driver.go):
// op(B) is cut into kc x nc blocks that fit the L2 cache and op(A) into
// mc x kc blocks; both are packed into contiguous micro-panels (the
// transposes are absorbed by the packing), and a register-blocked
// micro-kernel multiplies an mr x kc sliver of A by a kc x nr sliver of B
// into an mr x nr tile of C held in registers. On amd64 the micro-kernel is
// Go assembly: a 6 x 64 AVX-512 kernel (24 ZMM accumulators) when the CPU
// has AVX-512F, a 6 x 16 AVX2+FMA kernel otherwise; elsewhere, or with the
// purego build tag, a pure-Go kernel. Large products are split over
// runtime.GOMAXPROCS(0) goroutines along N (or M); small ones run on the
// calling goroutine.
//
// Sgemm and Dgemm share the driver; Dgemm always uses the pure-Go kernel,
// since float64 is only used for gradient checks and tiny models.
package gemm

// Sgemm is the float32 GEMM: C = alpha*op(A)*op(B) + beta*C, row-major,
// with op(A) m x k, op(B) k x n and C m x n. A is m x k (lda >= k) or, when
// transA, k x m (lda >= m); likewise B is k x n or, when transB, n x k.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkArgs(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemm(sgemmKernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is the float64 GEMM, with the same conventions as Sgemm.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkArgs(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemm(dgemmKernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Panic messages, in the words of gonum's BLAS, which this package replaced.
const (
	errNegM     = "gemm: m < 0"
	errNegN     = "gemm: n < 0"
	errNegK     = "gemm: k < 0"
	errBadLdA   = "gemm: bad leading dimension of A"
	errBadLdB   = "gemm: bad leading dimension of B"
	errBadLdC   = "gemm: bad leading dimension of C"
	errShortA   = "gemm: insufficient length of a"
	errShortB   = "gemm: insufficient length of b"
	errShortC   = "gemm: insufficient length of c"
	errInternal = "gemm: internal error"
)

// checkArgs panics on shapes or slices that do not describe the product. The
// assembly kernels trust the driver's indexing, so this is what keeps a
// caller's mistake from becoming an out-of-bounds memory access.
func checkArgs(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	if m < 0 {
		panic(errNegM)
	}
	if n < 0 {
		panic(errNegN)
	}
	if k < 0 {
		panic(errNegK)
	}
	rowA, colA := m, k
	if transA {
		rowA, colA = k, m
	}
	rowB, colB := k, n
	if transB {
		rowB, colB = n, k
	}
	if lda < max(1, colA) {
		panic(errBadLdA)
	}
	if ldb < max(1, colB) {
		panic(errBadLdB)
	}
	if ldc < max(1, n) {
		panic(errBadLdC)
	}
	if k > 0 {
		if la < lda*(rowA-1)+colA {
			panic(errShortA)
		}
		if lb < ldb*(rowB-1)+colB {
			panic(errShortB)
		}
	}
	if lc < ldc*(m-1)+n {
		panic(errShortC)
	}
}
