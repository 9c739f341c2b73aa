// Package conformance is the one table of tensor operations that every
// backend must pass, in the style of gonum's testblas: a backend's test is
// one line,
//
//	func TestConformanceCPU(t *testing.T) { conformance.Test(t, tensor.CPU) }
//
// and runs every operation of the table, forward and backward, on that
// device (the CPU always; the CUDA backend with -tags cuda, on a GPU or on
// the emulator of tensor/internal/cuda/cudaemu). Adding an operation to package
// tensor means adding a case here.
package conformance

import (
	"fmt"
	"math/rand/v2"
	"nnkit/tensor/cudatest"
	"slices"
	"testing"

	"nnkit/tensor"
	"nnkit/tensor/gradcheck"
)

// Case is one operation, checked forward and backward.
type Case struct {
	Name   string
	Inputs []*tensor.Tensor // CPU leaves
	F      func(x []*tensor.Tensor) *tensor.Tensor
	// Tol is the relative tolerance against the CPU (default 2e-5, the
	// float32 rounding of a short sum).
	Tol float64
	// NoGradcheck skips the finite differences, saying why (an operation
	// that leaves float64 on the way).
	NoGradcheck string
}

// Shapes are the sizes a table is drawn with.
type Shapes struct{ N, C, H, W, R, K, F int }

// Cases returns the table for dtype dt: every operation of package tensor
// with a gradient, on inputs drawn from rng with the sizes s (H, W >= 4).
func Cases(dt tensor.DType, rng *rand.Rand, s Shapes) []Case {
	n, c, h, w, r, k, f := s.N, s.C, s.H, s.W, s.R, s.K, s.F
	u := func(shape ...int) *tensor.Tensor { return tensor.RandUniform(rng, dt, -1, 1, shape...) }
	pos := func(shape ...int) *tensor.Tensor { return tensor.RandUniform(rng, dt, 0.5, 2, shape...) }
	one := func(op func(*tensor.Tensor) *tensor.Tensor) func(x []*tensor.Tensor) *tensor.Tensor {
		return func(x []*tensor.Tensor) *tensor.Tensor { return op(x[0]) }
	}
	two := func(op func(a, b *tensor.Tensor) *tensor.Tensor) func(x []*tensor.Tensor) *tensor.Tensor {
		return func(x []*tensor.Tensor) *tensor.Tensor { return op(x[0], x[1]) }
	}
	labels := make([]int, r)
	for i := range labels {
		labels[i] = rng.IntN(k)
	}
	bn := func(training, stats bool) func(x []*tensor.Tensor) *tensor.Tensor {
		return func(x []*tensor.Tensor) *tensor.Tensor {
			if !stats {
				return tensor.BatchNorm2d(x[0], x[1], x[2], nil, nil, training, 0.1, 1e-5)
			}
			rm := tensor.RandUniform(tensor.NewRNG(9), dt, -0.5, 0.5, c).ToDevice(x[0].Device())
			rv := tensor.RandUniform(tensor.NewRNG(10), dt, 0.5, 1.5, c).ToDevice(x[0].Device())
			y := tensor.BatchNorm2d(x[0], x[1], x[2], rm, rv, training, 0.1, 1e-5)
			// The running statistics take part in the result, so their
			// update (in training) is compared too.
			return tensor.Add(y, tensor.Reshape(tensor.Add(rm, rv), c, 1, 1))
		}
	}
	return []Case{
		{Name: "Add same shape", Inputs: []*tensor.Tensor{u(r, k), u(r, k)}, F: two(tensor.Add)},
		{Name: "Add channel bias", Inputs: []*tensor.Tensor{u(n, c, h, w), u(c, 1, 1)}, F: two(tensor.Add)},
		{Name: "Add row bias", Inputs: []*tensor.Tensor{u(r, k), u(k)}, F: two(tensor.Add)},
		{Name: "Add scalar tensor", Inputs: []*tensor.Tensor{u(r, k), u(1)}, F: two(tensor.Add)},
		{Name: "Add both broadcast", Inputs: []*tensor.Tensor{u(r, 1), u(1, k)}, F: two(tensor.Add)},
		{Name: "Add general broadcast", Inputs: []*tensor.Tensor{u(n, 1, h, 1), u(c, 1, w)}, F: two(tensor.Add)},
		{Name: "Sub broadcast", Inputs: []*tensor.Tensor{u(k), u(r, k)}, F: two(tensor.Sub)},
		{Name: "Mul broadcast", Inputs: []*tensor.Tensor{u(n, c, h), u(n, 1, h)}, F: two(tensor.Mul)},
		{Name: "Mul same tensor", Inputs: []*tensor.Tensor{u(r, k)}, F: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Mul(x[0], x[0]) }},
		{Name: "Div broadcast", Inputs: []*tensor.Tensor{u(r, k), pos(k)}, F: two(tensor.Div)},
		{Name: "AddScalar", Inputs: []*tensor.Tensor{u(r, k)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AddScalar(x, 2.5) })},
		{Name: "MulScalar", Inputs: []*tensor.Tensor{u(r, k)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MulScalar(x, -3) })},
		{Name: "Neg", Inputs: []*tensor.Tensor{u(r, k)}, F: one(tensor.Neg)},
		{Name: "PowScalar", Inputs: []*tensor.Tensor{pos(r, k)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.PowScalar(x, 1.5) })},
		{Name: "Exp", Inputs: []*tensor.Tensor{u(r, k)}, F: one(tensor.Exp)},
		{Name: "Log", Inputs: []*tensor.Tensor{pos(r, k)}, F: one(tensor.Log)},
		{Name: "Sqrt", Inputs: []*tensor.Tensor{pos(r, k)}, F: one(tensor.Sqrt)},
		{Name: "Tanh", Inputs: []*tensor.Tensor{u(r, k)}, F: one(tensor.Tanh)},
		{Name: "Sigmoid", Inputs: []*tensor.Tensor{u(n, c, h)}, F: one(tensor.Sigmoid)},
		{Name: "Relu", Inputs: []*tensor.Tensor{u(n, c, h)}, F: one(tensor.Relu)},
		{Name: "Softmax last", Inputs: []*tensor.Tensor{u(r, k)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Softmax(x, -1) })},
		{Name: "Softmax axis 0", Inputs: []*tensor.Tensor{u(r, k, f)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Softmax(x, 0) })},
		{Name: "LogSoftmax", Inputs: []*tensor.Tensor{u(r, k)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.LogSoftmax(x, 1) })},
		{Name: "Sum", Inputs: []*tensor.Tensor{u(r, k, f)}, F: one(tensor.Sum)},
		{Name: "Mean", Inputs: []*tensor.Tensor{u(r, k, f)}, F: one(tensor.Mean)},
		{Name: "SumAxis middle", Inputs: []*tensor.Tensor{u(r, k, f)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.SumAxis(x, 1, false) })},
		{Name: "SumAxis keep", Inputs: []*tensor.Tensor{u(r, k, f)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.SumAxis(x, 0, true) })},
		{Name: "MeanAxis", Inputs: []*tensor.Tensor{u(r, k)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MeanAxis(x, -1, false) })},
		{Name: "MatMul", Inputs: []*tensor.Tensor{u(r, k), u(k, f)}, F: two(tensor.MatMul)},
		{Name: "MatMul batched", Inputs: []*tensor.Tensor{u(n, r, k), u(n, k, f)}, F: two(tensor.MatMul)},
		{Name: "Linear", Inputs: []*tensor.Tensor{u(r, k), u(f, k), u(f)}, F: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Linear(x[0], x[1], x[2]) }},
		{Name: "Linear no bias", Inputs: []*tensor.Tensor{u(r, k), u(f, k)}, F: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Linear(x[0], x[1], nil) }},
		{Name: "Transpose", Inputs: []*tensor.Tensor{u(r, k)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Transpose(x, 0, 1) })},
		{Name: "Permute", Inputs: []*tensor.Tensor{u(n, c, h, w)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Permute(x, 2, 0, 3, 1) })},
		{Name: "Reshape then Sigmoid", Inputs: []*tensor.Tensor{u(n, c, h)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Sigmoid(tensor.Reshape(x, n, -1)) })},
		{Name: "Conv2d", Inputs: []*tensor.Tensor{u(n, c, h, w), u(f, c, 3, 3), u(f)}, F: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Conv2d(x[0], x[1], x[2], 1, 1) }},
		{Name: "Conv2d stride 2 no bias", Inputs: []*tensor.Tensor{u(n, c, h, w), u(f, c, 3, 3)}, F: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Conv2d(x[0], x[1], nil, 2, 0) }},
		{Name: "Conv2d 1x1", Inputs: []*tensor.Tensor{u(n, c, h, w), u(f, c, 1, 1), u(f)}, F: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Conv2d(x[0], x[1], x[2], 1, 0) }},
		{Name: "AvgPool2d", Inputs: []*tensor.Tensor{u(n, c, h, w)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AvgPool2d(x, 2, 2, 0) })},
		{Name: "AvgPool2d padded", Inputs: []*tensor.Tensor{u(n, c, h, w)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AvgPool2d(x, 3, 2, 1) })},
		{Name: "MaxPool2d overlapping", Inputs: []*tensor.Tensor{u(n, c, h, w)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MaxPool2d(x, 3, 2, 1) })},
		{Name: "AdaptiveAvgPool2d", Inputs: []*tensor.Tensor{u(n, c, h, w)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AdaptiveAvgPool2d(x, 3, 2) })},
		{Name: "BatchNorm2d training", Inputs: []*tensor.Tensor{u(n+1, c, h, w), pos(c), u(c)}, F: bn(true, false), Tol: 1e-4},
		{Name: "BatchNorm2d training running stats", Inputs: []*tensor.Tensor{u(n+1, c, h, w), pos(c), u(c)}, F: bn(true, true), Tol: 1e-4,
			NoGradcheck: "the running statistics are updated outside autograd"},
		{Name: "BatchNorm2d eval", Inputs: []*tensor.Tensor{u(n, c, h, w), pos(c), u(c)}, F: bn(false, true), Tol: 1e-4},
		{Name: "CrossEntropy", Inputs: []*tensor.Tensor{u(r, k)}, F: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.CrossEntropy(x, labels) })},
		{Name: "MSE", Inputs: []*tensor.Tensor{u(r, k), u(r, k)}, F: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.MSE(x[0], x[1], tensor.ReduceMean) }},
		{Name: "To other dtype", Inputs: []*tensor.Tensor{u(r, k)}, F: one(func(x *tensor.Tensor) *tensor.Tensor {
			other := tensor.Float64
			if x.DType() == tensor.Float64 {
				other = tensor.Float32
			}
			return tensor.MulScalar(x.To(other), 2)
		}), NoGradcheck: "passes through float32"},
	}
}

// Test runs the table on dev:
//
//   - the gradients: in float64 on small shapes, every case's gradient as
//     dev computes it (inputs moved there with ToDevice, which is
//     differentiable) against central finite differences of dev's own
//     forward pass (tensor/gradcheck);
//   - the values: in float32 and float64 on three random draws of shapes,
//     every result and every input's gradient on dev against the CPU
//     backend's (skipped when dev is the CPU, which is the reference).
func Test(t *testing.T, dev tensor.Device) {
	t.Run("gradcheck", func(t *testing.T) {
		rng := tensor.NewRNG(1)
		dim := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
		s := Shapes{N: dim(1, 2), C: dim(1, 3), H: dim(4, 6), W: dim(4, 6), R: dim(1, 4), K: dim(1, 4), F: dim(1, 4)}
		for _, c := range Cases(tensor.Float64, rng, s) {
			t.Run(c.Name, func(t *testing.T) {
				if c.NoGradcheck != "" {
					t.Skip(c.NoGradcheck)
				}
				for _, x := range c.Inputs {
					x.SetRequiresGrad(true)
				}
				f := func(in []*tensor.Tensor) *tensor.Tensor {
					moved := make([]*tensor.Tensor, len(in))
					for i, x := range in {
						moved[i] = x.ToDevice(dev)
					}
					out := c.F(moved)
					if out.Device() != dev {
						t.Fatalf("result on %s, want %s", out.Device().Name(), dev.Name())
					}
					return out.ToDevice(tensor.CPU)
				}
				if err := gradcheck.Check(f, c.Inputs, gradcheck.Options{}); err != nil {
					t.Error(err)
				}
			})
		}
	})
	if dev == tensor.CPU {
		return
	}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for seed := uint64(1); seed <= 3; seed++ {
			rng := tensor.NewRNG(seed)
			dim := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
			s := Shapes{N: dim(1, 3), C: dim(1, 4), H: dim(5, 9), W: dim(5, 9), R: dim(1, 5), K: dim(1, 7), F: dim(1, 6)}
			for _, c := range Cases(dt, rng, s) {
				t.Run(fmt.Sprintf("%v/seed%d/%s", dt, seed, c.Name), func(t *testing.T) { againstCPU(t, c, dev, rng) })
			}
		}
	}
}

// againstCPU runs c on the CPU and on dev from the same inputs and
// upstream gradient, and compares the results and every input's gradient.
func againstCPU(t *testing.T, c Case, dev tensor.Device, rng *rand.Rand) {
	t.Helper()
	tol := c.Tol
	if tol == 0 {
		tol = 2e-5
	}
	for _, x := range c.Inputs {
		x.SetRequiresGrad(true)
		x.ZeroGrad()
	}
	out := c.F(c.Inputs)
	g := tensor.RandUniform(rng, out.DType(), -1, 1, out.Shape()...)
	out.BackwardWith(g)

	dins := make([]*tensor.Tensor, len(c.Inputs))
	for i, x := range c.Inputs {
		dins[i] = x.Detach().ToDevice(dev).SetRequiresGrad(true)
	}
	dout := c.F(dins)
	if dout.Device() != dev {
		t.Fatalf("result on %s, want %s", dout.Device().Name(), dev.Name())
	}
	if !slices.Equal(dout.Shape(), out.Shape()) {
		t.Fatalf("shape %v on %s, %v on the CPU", dout.Shape(), dev.Name(), out.Shape())
	}
	dout.BackwardWith(g.ToDevice(dev))
	cudatest.CloseTo(t, "forward", dout.Float64s(), out.Float64s(), tol)
	for i, x := range c.Inputs {
		if x.Grad() == nil {
			continue
		}
		dg := dins[i].Grad()
		if dg == nil {
			t.Errorf("no gradient for input %d on %s", i, dev.Name())
			continue
		}
		if dg.Device() != dev {
			t.Errorf("gradient of input %d on %s", i, dg.Device().Name())
		}
		cudatest.CloseTo(t, fmt.Sprintf("grad %d", i), dg.Float64s(), x.Grad().Float64s(), tol)
	}
}
