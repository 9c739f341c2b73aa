package conceptual

import (
	"nnkit/conceptual/internal/matrix"

	"fmt"

	"nnkit/tensor"
)

// P1Autograd computes dL/dS, dL/dC and dL/dK of the building block with the
// tensor engine (float64): L = sum(g * P) so that dL/dP = g, with P built
// from tensor.Conv2d (no bias), tensor.Sigmoid and tensor.AvgPool2d(2, 2, 0).
// dL/dS and dL/dC are the gradients of leaves that stand in for S and C, so
// each comes from its own graph; dL/dK from the whole block.
func P1Autograd(in P1Instance) (dS, dC, dK [][]float64) {
	g := mat4(in.G)
	loss := func(p *tensor.Tensor) { tensor.Sum(tensor.Mul(p, g)).Backward() }
	pool := func(s *tensor.Tensor) *tensor.Tensor { return tensor.AvgPool2d(s, 2, 2, 0) }

	S := mat4(in.S).SetRequiresGrad(true)
	loss(pool(S))
	C := mat4(in.C).SetRequiresGrad(true)
	loss(pool(tensor.Sigmoid(C)))
	K := mat4(in.Kernel).SetRequiresGrad(true)
	loss(pool(tensor.Sigmoid(tensor.Conv2d(mat4(in.X), K, nil, 1, 0))))
	return unmat4(S.Grad()), unmat4(C.Grad()), unmat4(K.Grad())
}

// VerifyP1 checks the closed forms DLdS, DLdC and DLdK against P1Autograd
// (and the forward pass against the engine's) on one instance, within
// 1e-12 + 1e-10 relative: both sides are exact formulas in float64.
func VerifyP1(in P1Instance) error {
	var P *tensor.Tensor
	tensor.NoGrad(func() {
		P = tensor.AvgPool2d(tensor.Sigmoid(tensor.Conv2d(mat4(in.X), mat4(in.Kernel), nil, 1, 0)), 2, 2, 0)
	})
	dS, dC, dK := P1Autograd(in)
	for _, c := range []struct {
		name       string
		want, have [][]float64
	}{
		{"P", unmat4(P), in.P},
		{"dL/dS", dS, DLdS(in.G)},
		{"dL/dC", dC, DLdC(in.G, in.S)},
		{"dL/dK", dK, DLdK(in.G, in.S, in.X, in.K)},
	} {
		r, col, ok := matrix.Dims(c.have)
		wr, wc, _ := matrix.Dims(c.want)
		if !ok || r != wr || col != wc {
			return fmt.Errorf("%s: closed form is %d x %d, autograd %d x %d", c.name, r, col, wr, wc)
		}
		for i := range c.want {
			for j := range c.want[i] {
				if !matrix.Near(c.have[i][j], c.want[i][j], 1e-12, 1e-10) {
					return fmt.Errorf("%s (n=%d, m=%d, k=%d) entry (%d, %d): closed form %.15g, autograd %.15g",
						c.name, in.N, in.M, in.K, i+1, j+1, c.have[i][j], c.want[i][j])
				}
			}
		}
	}
	return nil
}

// mat4 is a matrix as a float64 tensor [1, 1, rows, cols].
func mat4(m [][]float64) *tensor.Tensor {
	r, c, _ := matrix.Dims(m)
	return tensor.FromFloat64(matrix.Flatten(m), 1, 1, r, c)
}

// unmat4 is the inverse of mat4.
func unmat4(t *tensor.Tensor) [][]float64 {
	s := t.Shape()
	return matrix.Unflatten(t.Float64s(), s[2], s[3])
}
