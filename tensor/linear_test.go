package tensor_test

import (
	"fmt"
	"slices"
	"testing"

	"nnkit/tensor"
	"nnkit/tensor/gradcheck"
)

// Linear gives exactly the bits of MatMul(x, w^T) + b, forward and
// backward, on awkward sizes; and its float64 gradient passes the check.
func TestLinearMatchesMatMulAdd(t *testing.T) {
	for _, sz := range [][3]int{{1, 1, 1}, {3, 7, 5}, {17, 33, 13}, {256, 400, 120}, {5, 300, 2}} {
		n, in, out := sz[0], sz[1], sz[2]
		for _, bias := range []bool{true, false} {
			name := fmt.Sprintf("%dx%d->%d bias %v", n, in, out, bias)
			mk := func(seed uint64, shape ...int) *tensor.Tensor {
				return tensor.RandUniform(tensor.NewRNG(seed), tensor.Float32, -1, 1, shape...).SetRequiresGrad(true)
			}
			run := func(fused bool) []float64 {
				x, w := mk(1, n, in), mk(2, out, in)
				var b *tensor.Tensor
				if bias {
					b = mk(3, out)
				}
				var y *tensor.Tensor
				if fused {
					y = tensor.Linear(x, w, b)
				} else {
					y = tensor.MatMul(x, w.T())
					if b != nil {
						y = tensor.Add(y, b)
					}
				}
				y.BackwardWith(tensor.RandUniform(tensor.NewRNG(4), tensor.Float32, -1, 1, n, out))
				r := slices.Concat(y.Float64s(), x.Grad().Float64s(), w.Grad().Float64s())
				if b != nil {
					r = append(r, b.Grad().Float64s()...)
				}
				return r
			}
			if !slices.Equal(run(true), run(false)) {
				t.Errorf("%s: Linear differs from MatMul + Add", name)
			}
		}
	}
	in := []*tensor.Tensor{convRand(1, 3, 4), convRand(2, 5, 4), convRand(3, 5)}
	f := func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Linear(in[0], in[1], in[2]) }
	if err := gradcheck.Check(f, in, gradcheck.Options{}); err != nil {
		t.Error(err)
	}
}
