package tensor_test

import (
	"fmt"
	"math"
	"testing"

	"nnkit/tensor"
	"nnkit/tensor/gradcheck"
)

func rnd(seed uint64, shape ...int) *tensor.Tensor {
	return tensor.RandUniform(tensor.NewRNG(seed), tensor.Float64, -1, 1, shape...).SetRequiresGrad(true)
}

// panicMessage runs f and returns its panic's message, "" when f returns.
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
			if msg == "" {
				msg = "<empty panic>"
			}
		}
	}()
	f()
	return ""
}

// positive returns values in [0.5, 2): safe for Div, Log, Sqrt and PowScalar.
func positive(seed uint64, shape ...int) *tensor.Tensor {
	return tensor.RandUniform(tensor.NewRNG(seed), tensor.Float64, 0.5, 2, shape...).SetRequiresGrad(true)
}

// awayFromZero avoids ReLU's kink, where the finite difference straddles it.
func awayFromZero(seed uint64, shape ...int) *tensor.Tensor {
	t := rnd(seed, shape...)
	d := t.Data64()
	for i := range d {
		if math.Abs(d[i]) < 0.05 {
			d[i] = 0.3
		}
	}
	return t
}

type in = []*tensor.Tensor

func TestGradients(t *testing.T) {
	cases := []struct {
		name   string
		inputs in
		f      func(x in) *tensor.Tensor
	}{
		{"Add same shape", in{rnd(1, 2, 3), rnd(2, 2, 3)}, func(x in) *tensor.Tensor { return tensor.Add(x[0], x[1]) }},
		{"Add bias broadcast", in{rnd(1, 4, 3), rnd(2, 3)}, func(x in) *tensor.Tensor { return tensor.Add(x[0], x[1]) }},
		{"Add both broadcast", in{rnd(1, 4, 1), rnd(2, 1, 3)}, func(x in) *tensor.Tensor { return tensor.Add(x[0], x[1]) }},
		{"Add channel bias 4-D", in{rnd(1, 2, 3, 2, 2), rnd(2, 1, 3, 1, 1)}, func(x in) *tensor.Tensor { return tensor.Add(x[0], x[1]) }},
		{"Add scalar tensor", in{rnd(1, 2, 3), rnd(2)}, func(x in) *tensor.Tensor { return tensor.Add(x[0], x[1]) }},
		{"Sub broadcast", in{rnd(1, 3), rnd(2, 2, 3)}, func(x in) *tensor.Tensor { return tensor.Sub(x[0], x[1]) }},
		{"Mul broadcast", in{rnd(1, 2, 3), rnd(2, 2, 1)}, func(x in) *tensor.Tensor { return tensor.Mul(x[0], x[1]) }},
		{"Mul same tensor twice", in{rnd(1, 2, 3)}, func(x in) *tensor.Tensor { return tensor.Mul(x[0], x[0]) }},
		{"Div broadcast", in{rnd(1, 2, 3), positive(2, 3)}, func(x in) *tensor.Tensor { return tensor.Div(x[0], x[1]) }},
		{"AddScalar", in{rnd(1, 5)}, func(x in) *tensor.Tensor { return tensor.AddScalar(x[0], 2.5) }},
		{"MulScalar", in{rnd(1, 5)}, func(x in) *tensor.Tensor { return tensor.MulScalar(x[0], -3) }},
		{"Neg", in{rnd(1, 5)}, func(x in) *tensor.Tensor { return tensor.Neg(x[0]) }},
		{"PowScalar", in{positive(1, 5)}, func(x in) *tensor.Tensor { return tensor.PowScalar(x[0], 1.5) }},
		{"Exp", in{rnd(1, 5)}, func(x in) *tensor.Tensor { return tensor.Exp(x[0]) }},
		{"Log", in{positive(1, 5)}, func(x in) *tensor.Tensor { return tensor.Log(x[0]) }},
		{"Sqrt", in{positive(1, 5)}, func(x in) *tensor.Tensor { return tensor.Sqrt(x[0]) }},
		{"Tanh", in{rnd(1, 2, 5)}, func(x in) *tensor.Tensor { return tensor.Tanh(x[0]) }},
		{"Sigmoid", in{rnd(1, 2, 5)}, func(x in) *tensor.Tensor { return tensor.Sigmoid(x[0]) }},
		{"Relu", in{awayFromZero(1, 3, 4)}, func(x in) *tensor.Tensor { return tensor.Relu(x[0]) }},
		{"Softmax last axis", in{rnd(1, 3, 4)}, func(x in) *tensor.Tensor { return tensor.Softmax(x[0], -1) }},
		{"Softmax axis 0", in{rnd(1, 3, 4)}, func(x in) *tensor.Tensor { return tensor.Softmax(x[0], 0) }},
		{"LogSoftmax last axis", in{rnd(1, 3, 4)}, func(x in) *tensor.Tensor { return tensor.LogSoftmax(x[0], 1) }},
		{"LogSoftmax middle axis", in{rnd(1, 2, 3, 2)}, func(x in) *tensor.Tensor { return tensor.LogSoftmax(x[0], 1) }},
		{"Sum", in{rnd(1, 2, 3)}, func(x in) *tensor.Tensor { return tensor.Sum(x[0]) }},
		{"Mean", in{rnd(1, 2, 3)}, func(x in) *tensor.Tensor { return tensor.Mean(x[0]) }},
		{"SumAxis 0", in{rnd(1, 2, 3)}, func(x in) *tensor.Tensor { return tensor.SumAxis(x[0], 0, false) }},
		{"SumAxis 1 keep", in{rnd(1, 2, 3, 2)}, func(x in) *tensor.Tensor { return tensor.SumAxis(x[0], 1, true) }},
		{"MeanAxis last", in{rnd(1, 2, 3)}, func(x in) *tensor.Tensor { return tensor.MeanAxis(x[0], -1, false) }},
		{"Reshape", in{rnd(1, 2, 6)}, func(x in) *tensor.Tensor { return tensor.Mul(tensor.Reshape(x[0], 3, -1), tensor.Reshape(x[0], 3, 4)) }},
		{"Flatten", in{rnd(1, 2, 3, 2)}, func(x in) *tensor.Tensor { return tensor.Flatten(x[0]) }},
		{"Permute", in{rnd(1, 2, 3, 4)}, func(x in) *tensor.Tensor { return tensor.Permute(x[0], 2, 0, 1) }},
		{"Transpose", in{rnd(1, 2, 3, 4)}, func(x in) *tensor.Tensor { return tensor.Transpose(x[0], 0, 2) }},
		{"T", in{rnd(1, 2, 3)}, func(x in) *tensor.Tensor { return x[0].T() }},
		{"Rows with repeats", in{rnd(1, 4, 3)}, func(x in) *tensor.Tensor { return tensor.Rows(x[0], []int{3, 0, 3, 1}) }},
		{"Slice", in{rnd(1, 5, 2)}, func(x in) *tensor.Tensor { return tensor.Slice(x[0], 1, 4) }},
		{"MatMul 2-D", in{rnd(1, 3, 4), rnd(2, 4, 5)}, func(x in) *tensor.Tensor { return tensor.MatMul(x[0], x[1]) }},
		{"MatMul 1 x k", in{rnd(1, 1, 7), rnd(2, 7, 1)}, func(x in) *tensor.Tensor { return tensor.MatMul(x[0], x[1]) }},
		{"MatMul batched", in{rnd(1, 2, 3, 4), rnd(2, 2, 4, 5)}, func(x in) *tensor.Tensor { return tensor.MatMul(x[0], x[1]) }},
		{"MatMul with transpose", in{rnd(1, 3, 4), rnd(2, 5, 4)}, func(x in) *tensor.Tensor { return tensor.MatMul(x[0], x[1].T()) }},
		{"CrossEntropy", in{rnd(1, 4, 5)}, func(x in) *tensor.Tensor { return tensor.CrossEntropy(x[0], []int{0, 4, 2, 2}) }},
		{"CrossEntropy batch 1", in{rnd(1, 1, 3)}, func(x in) *tensor.Tensor { return tensor.CrossEntropy(x[0], []int{1}) }},
		{"MSE mean", in{rnd(1, 3, 2), rnd(2, 3, 2)}, func(x in) *tensor.Tensor { return tensor.MSE(x[0], x[1], tensor.ReduceMean) }},
		{"MSE sum", in{rnd(1, 3, 2), rnd(2, 3, 2)}, func(x in) *tensor.Tensor { return tensor.MSE(x[0], x[1], tensor.ReduceSum) }},
		{"linear layer composite", in{rnd(1, 5, 3), rnd(2, 2, 3), rnd(3, 2)}, func(x in) *tensor.Tensor {
			return tensor.Sigmoid(tensor.Add(tensor.MatMul(x[0], x[1].T()), x[2]))
		}},
		{"To float32 and back", in{rnd(1, 3)}, func(x in) *tensor.Tensor {
			return tensor.MulScalar(x[0].To(tensor.Float32).To(tensor.Float64), 2)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := gradcheck.Options{}
			if c.name == "To float32 and back" {
				// A float32 round trip rounds at 6e-8 relative: the finite
				// difference over 2e-6 sees steps of that size.
				opt = gradcheck.Options{Eps: 1e-3, Atol: 1e-3, Rtol: 1e-3}
			}
			if err := gradcheck.Check(c.f, c.inputs, opt); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestGradcheckCatchesWrongGradient makes sure the checker can fail: a
// deliberately wrong backward (here: treating relu's input as its output
// for a shifted input) must be reported.
func TestGradcheckCatchesWrongGradient(t *testing.T) {
	x := rnd(5, 3)
	wrong := func(in in) *tensor.Tensor {
		// d/dx of x*detach(x) is detach(x), not 2x: autograd is right, but
		// the finite difference sees 2x, so the check must fail.
		return tensor.Mul(in[0], in[0].Detach())
	}
	if err := gradcheck.Check(wrong, in{x}, gradcheck.Options{}); err == nil {
		t.Fatal("gradcheck accepted a gradient that ignores half the dependence")
	}
}

func vals(t *tensor.Tensor) []float64 { return t.Float64s() }

func near(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

func TestForwardValues(t *testing.T) {
	f := func(v []float64, s ...int) *tensor.Tensor { return tensor.FromValues(tensor.Float64, v, s...) }
	a := f([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	cases := []struct {
		name string
		got  *tensor.Tensor
		want []float64
	}{
		{"bias add", tensor.Add(a, f([]float64{10, 20, 30}, 3)), []float64{11, 22, 33, 14, 25, 36}},
		{"column broadcast", tensor.Mul(a, f([]float64{2, -1}, 2, 1)), []float64{2, 4, 6, -4, -5, -6}},
		{"div", tensor.Div(a, f([]float64{2}, 1)), []float64{0.5, 1, 1.5, 2, 2.5, 3}},
		{"matmul", tensor.MatMul(a, f([]float64{1, 0, 0, 1, 1, 1}, 3, 2)), []float64{4, 5, 10, 11}},
		{"transpose", a.T(), []float64{1, 4, 2, 5, 3, 6}},
		{"sum axis 0", tensor.SumAxis(a, 0, false), []float64{5, 7, 9}},
		{"mean axis 1", tensor.MeanAxis(a, 1, false), []float64{2, 5}},
		{"relu kink", tensor.Relu(f([]float64{-1, 0, 2}, 3)), []float64{0, 0, 2}},
		{"sigmoid", tensor.Sigmoid(f([]float64{0, -1000, 1000}, 3)), []float64{0.5, 0, 1}},
		{"softmax", tensor.Softmax(f([]float64{0, math.Log(3)}, 1, 2), 1), []float64{0.25, 0.75}},
		{"softmax large logits", tensor.Softmax(f([]float64{1000, 1000}, 1, 2), 1), []float64{0.5, 0.5}},
		{"log-softmax", tensor.LogSoftmax(f([]float64{0, 0}, 1, 2), 1), []float64{-math.Ln2, -math.Ln2}},
		{"rows", tensor.Rows(a, []int{1, 1}), []float64{4, 5, 6, 4, 5, 6}},
		{"permute", tensor.Permute(f([]float64{0, 1, 2, 3, 4, 5, 6, 7}, 2, 2, 2), 2, 0, 1), []float64{0, 2, 4, 6, 1, 3, 5, 7}},
		// ln(1+e^1)-1 and ln(2): hand-computed cross-entropy rows.
		{"cross-entropy", tensor.CrossEntropy(f([]float64{0, 1, 5, 5}, 2, 2), []int{1, 0}), []float64{(math.Log(1+math.E) - 1 + math.Ln2) / 2}},
		{"cross-entropy huge logits", tensor.CrossEntropy(f([]float64{1e4, 0}, 1, 2), []int{1}), []float64{1e4}},
		{"mse sum", tensor.MSE(f([]float64{1, 2}, 2), f([]float64{0, 4}, 2), tensor.ReduceSum), []float64{5}},
		{"mse mean", tensor.MSE(f([]float64{1, 2}, 2), f([]float64{0, 4}, 2), tensor.ReduceMean), []float64{2.5}},
	}
	for _, c := range cases {
		if !near(vals(c.got), c.want, 1e-12) {
			t.Errorf("%s: got %v, want %v", c.name, vals(c.got), c.want)
		}
	}
	if got := tensor.Argmax(f([]float64{1, 3, 3, 9, 0, -1}, 2, 3), 1); got[0] != 1 || got[1] != 0 {
		t.Errorf("Argmax rows: got %v, want [1 0] (first maximum on ties)", got)
	}
	if got := tensor.Argmax(f([]float64{1, 3, 3, 9, 0, -1}, 2, 3), 0); got[0] != 1 || got[1] != 0 || got[2] != 0 {
		t.Errorf("Argmax columns: got %v, want [1 0 0]", got)
	}
}

func TestFloat32MatchesFloat64(t *testing.T) {
	a64 := tensor.RandUniform(tensor.NewRNG(3), tensor.Float64, -1, 1, 37, 29)
	b64 := tensor.RandUniform(tensor.NewRNG(4), tensor.Float64, -1, 1, 29, 13)
	want := tensor.Softmax(tensor.MatMul(a64, b64), 1)
	got := tensor.Softmax(tensor.MatMul(a64.To(tensor.Float32), b64.To(tensor.Float32)), 1)
	if got.DType() != tensor.Float32 {
		t.Fatalf("dtype %v, want float32", got.DType())
	}
	if !near(vals(got), vals(want), 1e-5) {
		t.Error("float32 and float64 softmax(matmul) disagree beyond 1e-5")
	}
}

func TestAutogradSemantics(t *testing.T) {
	t.Run("gradients accumulate until zeroed", func(t *testing.T) {
		w := tensor.FromValues(tensor.Float64, []float64{2}, 1).SetRequiresGrad(true)
		for range 2 {
			tensor.Sum(tensor.MulScalar(w, 3)).Backward()
		}
		if g := w.Grad().Item(); g != 6 {
			t.Fatalf("after two backward passes grad = %v, want 6", g)
		}
		w.ZeroGrad()
		tensor.Sum(tensor.Mul(w, w)).Backward()
		if g := w.Grad().Item(); g != 4 {
			t.Fatalf("after zeroing, d(w^2)/dw = %v, want 4", g)
		}
	})
	t.Run("diamond graph sums both paths", func(t *testing.T) {
		x := tensor.FromValues(tensor.Float64, []float64{3}, 1).SetRequiresGrad(true)
		y := tensor.Mul(x, x)                            // 2x
		z := tensor.Add(tensor.Mul(y, x), tensor.Exp(y)) // x^3 + e^(x^2)
		tensor.Sum(z).Backward()
		want := 3*9 + 2*3*math.Exp(9)
		if g := x.Grad().Item(); math.Abs(g-want) > 1e-9*want {
			t.Fatalf("grad = %v, want %v", g, want)
		}
	})
	t.Run("no-grad records nothing", func(t *testing.T) {
		x := rnd(1, 2)
		var y *tensor.Tensor
		tensor.NoGrad(func() { y = tensor.Relu(x) })
		if y.RequiresGrad() || !y.IsLeaf() {
			t.Fatal("result computed under NoGrad has history")
		}
		if !tensor.GradEnabled() {
			t.Fatal("NoGrad did not restore gradient recording")
		}
	})
	t.Run("detach stops the gradient", func(t *testing.T) {
		x := tensor.FromValues(tensor.Float64, []float64{1, 2}, 2).SetRequiresGrad(true)
		tensor.Sum(tensor.Mul(x, tensor.AddScalar(x, 1).Detach())).Backward()
		if got := vals(x.Grad()); !near(got, []float64{2, 3}, 0) {
			t.Fatalf("grad = %v, want [2 3]", got)
		}
	})
	t.Run("inputs are not modified", func(t *testing.T) {
		a, b := rnd(1, 3, 3), rnd(2, 3)
		a0, b0 := vals(a), vals(b)
		tensor.Sum(tensor.Softmax(tensor.Add(a, b), 1)).Backward()
		if !near(vals(a), a0, 0) || !near(vals(b), b0, 0) {
			t.Fatal("an operation modified its input")
		}
	})
	// Add, AddScalar and Reshape hand their incoming gradient's storage to
	// an input (passOn): no two gradients may end up sharing it.
	t.Run("passed-on gradients own their storage", func(t *testing.T) {
		for _, c := range []struct {
			name string
			f    func(a, b *tensor.Tensor) *tensor.Tensor
			ga   float64 // d/da of Sum(f), per element
			gb   float64
		}{
			{"Add", func(a, b *tensor.Tensor) *tensor.Tensor { return tensor.Add(a, b) }, 1, 1},
			{"Add of itself", func(a, _ *tensor.Tensor) *tensor.Tensor { return tensor.Add(a, a) }, 2, 0},
			{"Add of a non-leaf twice", func(a, b *tensor.Tensor) *tensor.Tensor {
				s := tensor.AddScalar(a, 1)
				return tensor.Add(tensor.Add(s, b), s)
			}, 2, 1},
			{"Add of a broadcast constant", func(a, _ *tensor.Tensor) *tensor.Tensor {
				return tensor.Add(a, tensor.FromValues(tensor.Float64, []float64{1, 2, 3}, 3))
			}, 1, 0},
			{"Add to a broadcast constant", func(a, _ *tensor.Tensor) *tensor.Tensor {
				return tensor.Add(tensor.FromValues(tensor.Float64, []float64{1, 2, 3}, 3), a)
			}, 1, 0},
			{"Reshape of Add", func(a, b *tensor.Tensor) *tensor.Tensor {
				return tensor.Reshape(tensor.Add(tensor.Reshape(a, 6), tensor.Reshape(b, 6)), 3, 2)
			}, 1, 1},
		} {
			a, b := rnd(1, 2, 3), rnd(2, 2, 3)
			tensor.Sum(tensor.MulScalar(c.f(a, b), 3)).Backward()
			want := func(g float64) []float64 { return []float64{3 * g, 3 * g, 3 * g, 3 * g, 3 * g, 3 * g} }
			if got := vals(a.Grad()); !near(got, want(c.ga), 0) {
				t.Fatalf("%s: da = %v, want %v", c.name, got, want(c.ga))
			}
			if c.gb == 0 {
				continue
			}
			if got := vals(b.Grad()); !near(got, want(c.gb), 0) {
				t.Fatalf("%s: db = %v, want %v", c.name, got, want(c.gb))
			}
			// Changing one gradient must not change the other.
			a.Grad().Data64()[0] = 100
			if got := b.Grad().Data64()[0]; got != 3*c.gb {
				t.Fatalf("%s: writing a's gradient changed b's to %v: they share storage", c.name, got)
			}
		}
	})
	t.Run("non-scalar backward panics with a clear message", func(t *testing.T) {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("no panic")
			}
		}()
		rnd(1, 2).Backward()
	})
	t.Run("cast keeps identity", func(t *testing.T) {
		p := tensor.FromValues(tensor.Float32, []float64{0.5, -1}, 2)
		p.Cast(tensor.Float64)
		if p.DType() != tensor.Float64 || !near(vals(p), []float64{0.5, -1}, 0) {
			t.Fatalf("Cast: got %v", p)
		}
	})
}

func TestMisusePanicsWithReason(t *testing.T) {
	cases := []struct {
		name string
		f    func()
	}{
		{"broadcast mismatch", func() { tensor.Add(rnd(1, 2, 3), rnd(2, 4)) }},
		{"mixed dtypes", func() { tensor.Add(rnd(1, 2), tensor.Zeros(tensor.Float32, 2)) }},
		{"matmul inner", func() { tensor.MatMul(rnd(1, 2, 3), rnd(2, 4, 2)) }},
		{"reshape size", func() { tensor.Reshape(rnd(1, 2, 3), 4, -1) }},
		{"label range", func() { tensor.CrossEntropy(rnd(1, 2, 3), []int{0, 3}) }},
		{"label count", func() { tensor.CrossEntropy(rnd(1, 2, 3), []int{0}) }},
		{"rows range", func() { tensor.Rows(rnd(1, 2, 3), []int{2}) }},
		{"from data size", func() { tensor.FromFloat32(make([]float32, 5), 2, 3) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if s, ok := r.(string); !ok || len(s) < 20 {
					t.Fatalf("panic value %v is not a descriptive message", r)
				}
			}()
			c.f()
		})
	}
}

// A result marked with ReleaseAfterBackward keeps its value until Backward
// has run the closures that read it, and is emptied afterwards; leaves and
// results without history are left alone.
func TestReleaseAfterBackward(t *testing.T) {
	x := tensor.FromFloat32([]float32{-1, 0.5, 2, 3}, 4).SetRequiresGrad(true)
	h := tensor.Sigmoid(x) // its backward reads h itself
	h.ReleaseAfterBackward()
	y := tensor.Sum(tensor.Mul(h, h))
	want := make([]float64, 4)
	for i, v := range h.Float64s() {
		want[i] = 2 * v * v * (1 - v)
	}
	y.Backward()
	if !h.Released() {
		t.Fatalf("marked result not released")
	}
	for i, g := range x.Grad().Float64s() {
		if math.Abs(g-want[i]) > 1e-6 {
			t.Fatalf("grad %d = %v, want %v", i, g, want[i])
		}
	}
	x.ReleaseAfterBackward() // a leaf: ignored
	c := tensor.FromFloat32([]float32{1, 2}, 2)
	d := tensor.Sigmoid(c) // no history
	d.ReleaseAfterBackward()
	if x.Released() || d.Released() {
		t.Fatalf("leaf or history-less result released")
	}
}
