// Package gradcheck compares the tensor engine's autograd gradients with
// central finite differences in float64. Every op test uses it in one line;
// the checker and the conceptual package use it to verify derivations.
package gradcheck

import (
	"fmt"
	"math"

	"nnkit/tensor"
)

// Options sets the step and tolerances. The zero value means the defaults.
type Options struct {
	// Eps is the finite-difference step (default 1e-6). Central differences
	// have truncation error O(eps^2) and rounding error O(1e-16/eps), so
	// 1e-6 balances the two at about 1e-10 relative.
	Eps float64
	// Atol and Rtol bound |autograd - numeric| <= Atol + Rtol*|numeric|
	// (defaults 1e-6 and 1e-5: far above the difference error, far below
	// any real mistake in a derivative).
	Atol, Rtol float64
	// Seed chooses the random weights that project a non-scalar output to a
	// scalar, so every output element's gradient path is exercised with a
	// distinct weight.
	Seed uint64
}

func (o *Options) defaults() {
	if o.Eps == 0 {
		o.Eps = 1e-6
	}
	if o.Atol == 0 {
		o.Atol = 1e-6
	}
	if o.Rtol == 0 {
		o.Rtol = 1e-5
	}
}

// Check verifies the gradient of f with respect to every input that requires
// a gradient. Inputs must be float64. f must be deterministic and must not
// modify its inputs. The scalar compared is sum(w * f(inputs)) with fixed
// random weights w. It returns nil or an error naming the first input and
// element whose gradients disagree.
func Check(f func(in []*tensor.Tensor) *tensor.Tensor, inputs []*tensor.Tensor, opt Options) error {
	opt.defaults()
	for i, in := range inputs {
		if in.DType() != tensor.Float64 {
			return fmt.Errorf("gradcheck: input %d is %v; gradient checks need float64", i, in.DType())
		}
		in.ZeroGrad()
	}
	out := f(inputs)
	w := tensor.RandUniform(tensor.NewRNG(opt.Seed+1), tensor.Float64, 0.5, 1.5, out.Shape()...)
	loss := func() float64 {
		var v float64
		tensor.NoGrad(func() { v = tensor.Sum(tensor.Mul(f(inputs), w)).Item() })
		return v
	}
	tensor.Sum(tensor.Mul(out, w)).Backward()
	for i, in := range inputs {
		if !in.RequiresGrad() {
			continue
		}
		g := in.Grad()
		data := in.Data64()
		for j := range data {
			orig := data[j]
			data[j] = orig + opt.Eps
			up := loss()
			data[j] = orig - opt.Eps
			down := loss()
			data[j] = orig
			num := (up - down) / (2 * opt.Eps)
			ana := 0.0
			if g != nil {
				ana = g.Data64()[j]
			}
			if math.IsNaN(ana) || math.Abs(ana-num) > opt.Atol+opt.Rtol*math.Abs(num) {
				return fmt.Errorf("gradcheck: input %d (shape %v) element %v: autograd %.10g, finite difference %.10g",
					i, in.Shape(), tensor.Unravel(j, in.Shape()), ana, num)
			}
		}
	}
	return nil
}

// RelErr is the relative norm error ||got - want|| / ||want|| (want's
// norm floored at 1e-30), the measure the float32-against-float64
// accuracy tests and cmd/bench's accuracy table use. It panics when the
// lengths differ.
func RelErr(got, want []float64) float64 {
	if len(got) != len(want) {
		panic(fmt.Sprintf("gradcheck.RelErr: %d values against %d", len(got), len(want)))
	}
	var d, n float64
	for i := range want {
		d += (got[i] - want[i]) * (got[i] - want[i])
		n += want[i] * want[i]
	}
	return math.Sqrt(d) / math.Max(math.Sqrt(n), 1e-30)
}
