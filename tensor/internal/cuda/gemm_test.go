//go:build cuda

package cuda

import (
	"math"
	"math/rand/v2"
	"testing"
)

// colMajorGemm is the reference BLAS gemm in column-major storage, as
// cuBLAS computes it: C = alpha op(A) op(B) + beta C with C m x n.
func colMajorGemm(ta, tb int32, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	at := func(i, l int) float64 { // op(A)[i][l]
		if ta == cublasOpT {
			return a[l+i*lda]
		}
		return a[i+l*lda]
	}
	bt := func(l, j int) float64 {
		if tb == cublasOpT {
			return b[j+l*ldb]
		}
		return b[l+j*ldb]
	}
	for j := range n {
		for i := range m {
			s := 0.0
			for l := range k {
				s += at(i, l) * bt(l, j)
			}
			c[i+j*ldc] = alpha*s + beta*c[i+j*ldc]
		}
	}
}

// The row-major product computed through rowMajorGemm's column-major call
// equals the plain row-major product, for every transpose combination.
func TestRowMajorGemmMapping(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for it := range 200 {
		m, n, k := 1+rng.IntN(7), 1+rng.IntN(7), 1+rng.IntN(7)
		ta, tb := it%2 == 1, (it/2)%2 == 1
		// Row-major storage: A is m x k (k x m when ta), B k x n (n x k when tb).
		a, b := make([]float64, m*k), make([]float64, k*n)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		opA := func(i, l int) float64 {
			if ta {
				return a[l*m+i]
			}
			return a[i*k+l]
		}
		opB := func(l, j int) float64 {
			if tb {
				return b[j*k+l]
			}
			return b[l*n+j]
		}
		c0 := make([]float64, m*n)
		for i := range c0 {
			c0[i] = rng.NormFloat64()
		}
		alpha, beta := 0.5+rng.Float64(), float64(rng.IntN(2))
		want := make([]float64, m*n)
		for i := range m {
			for j := range n {
				s := 0.0
				for l := range k {
					s += opA(i, l) * opB(l, j)
				}
				want[i*n+j] = alpha*s + beta*c0[i*n+j]
			}
		}
		g := rowMajorGemm(ta, tb, m, n, k)
		if !g.firstIsB {
			t.Fatal("mapping must pass B first")
		}
		got := append([]float64(nil), c0...)
		colMajorGemm(g.transA, g.transB, int(g.m), int(g.n), int(g.k), alpha, b, int(g.lda), a, int(g.ldb), beta, got, int(g.ldc))
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Fatalf("ta=%v tb=%v m=%d n=%d k=%d: element %d = %g, want %g (call %+v)", ta, tb, m, n, k, i, got[i], want[i], g)
			}
		}
	}
}
