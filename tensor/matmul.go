package tensor

import (
	"fmt"

	"nnkit/tensor/internal/gemm"
)

// MatMul multiplies [m, k] x [k, n] -> [m, n], or batched
// [b, m, k] x [b, k, n] -> [b, m, n].
//
// Backward: with C = A B, dA = dC B^T and dB = A^T dC (per batch).
func MatMul(a, b *Tensor) *Tensor {
	checkSameDType("MatMul", a, b)
	switch {
	case a.Dim() == 2 && b.Dim() == 2:
	case a.Dim() == 3 && b.Dim() == 3 && a.shape[0] == b.shape[0]:
	default:
		panic(fmt.Sprintf("tensor: MatMul needs [m k]x[k n] or [b m k]x[b k n], found %v x %v", a.shape, b.shape))
	}
	batched := a.Dim() == 3
	bs, m, k := 1, a.shape[0], a.shape[1]
	if batched {
		bs, m, k = a.shape[0], a.shape[1], a.shape[2]
	}
	k2, n := b.shape[b.Dim()-2], b.shape[b.Dim()-1]
	if k != k2 {
		panic(fmt.Sprintf("tensor: MatMul inner dimensions differ: %v x %v", a.shape, b.shape))
	}
	shape := []int{m, n}
	if batched {
		shape = []int{bs, m, n}
	}
	be := backendFor("MatMul", a, b)
	out := be.matmul(false, false, bs, m, n, k, a, b, shape)
	return record(out, "MatMul", func(g *Tensor) {
		if a.requiresGrad {
			accum(a, be.matmul(false, true, bs, m, k, n, g, b, a.shape), true) // dC B^T
		}
		if b.requiresGrad {
			accum(b, be.matmul(true, false, bs, k, n, m, a, g, b.shape), true) // A^T dC
		}
	}, a, b)
}

// batchedGemm runs c[i] = op(a[i]) op(b[i]) + beta c[i] over bs contiguous
// matrices, where op(a) is m x k and op(b) is k x n.
func batchedGemm(dt DType, bs int, ta, tb bool, m, n, k int, a, b, c *Tensor, beta float64) {
	lda, ldb := k, n
	if ta {
		lda = m
	}
	if tb {
		ldb = k
	}
	sa, sb, sc := m*k, k*n, m*n
	for i := 0; i < bs; i++ {
		if dt == Float32 {
			gemm.Sgemm(ta, tb, m, n, k, 1, a.f32[i*sa:(i+1)*sa], lda, b.f32[i*sb:(i+1)*sb], ldb, float32(beta), c.f32[i*sc:(i+1)*sc], n)
		} else {
			gemm.Dgemm(ta, tb, m, n, k, 1, a.f64[i*sa:(i+1)*sa], lda, b.f64[i*sb:(i+1)*sb], ldb, beta, c.f64[i*sc:(i+1)*sc], n)
		}
	}
}
