package optim_test

import (
	"math"
	"strings"
	"testing"

	"nnkit/optim"
	"nnkit/tensor"
)

// step runs one optimiser step on loss = sum(c * p), whose gradient is c.
func step(opt *optim.SGD, p *tensor.Tensor, c []float64) {
	opt.ZeroGrad()
	tensor.Sum(tensor.Mul(p, tensor.FromValues(p.DType(), c, len(c)))).Backward()
	opt.Step()
}

func TestSGDByHand(t *testing.T) {
	// p0 = [1, -2], gradient g = [3, 4] every step, lr 0.1.
	tests := []struct {
		name         string
		momentum, wd float64
		after1       []float64
		after2       []float64
	}{
		// p -= 0.1 g.
		{"plain", 0, 0, []float64{0.7, -2.4}, []float64{0.4, -2.8}},
		// d = g + 0.01 p: step 1 d = [3.01, 3.98], p = [0.699, -2.398];
		// step 2 d = [3.00699, 3.97602], p = [0.3983010, -2.7956020].
		{"weight decay", 0, 0.01, []float64{0.699, -2.398}, []float64{0.398301, -2.795602}},
		// b = g, then b = 0.9 b + g = [5.7, 7.6].
		{"momentum", 0.9, 0, []float64{0.7, -2.4}, []float64{0.13, -3.16}},
		// Step 1: d = b = [3.01, 3.98], p = [0.699, -2.398].
		// Step 2: d = [3.00699, 3.97602], b = 0.9 [3.01, 3.98] + d =
		// [5.71599, 7.55802], p = [0.127401, -3.153802].
		{"momentum and weight decay", 0.9, 0.01, []float64{0.699, -2.398}, []float64{0.127401, -3.153802}},
	}
	for _, tt := range tests {
		for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
			t.Run(tt.name+"/"+dt.String(), func(t *testing.T) {
				tol := map[tensor.DType]float64{tensor.Float64: 1e-12, tensor.Float32: 1e-6}[dt]
				p := tensor.FromValues(dt, []float64{1, -2}, 2).SetRequiresGrad(true)
				frozen := tensor.FromValues(dt, []float64{5}, 1).SetRequiresGrad(true) // never gets a gradient
				opt := optim.NewSGD([]*tensor.Tensor{frozen, p}, 0.1, tt.momentum, tt.wd)
				step(opt, p, []float64{3, 4})
				near(t, "after step 1", p.Float64s(), tt.after1, tol)
				step(opt, p, []float64{3, 4})
				near(t, "after step 2", p.Float64s(), tt.after2, tol)
				if frozen.At(0) != 5 || opt.State(0) != nil {
					t.Error("a parameter without a gradient was updated")
				}
				if p.Grad() == nil || p.Grad().At(0) != 3 {
					t.Error("Step changed the gradient")
				}
			})
		}
	}
}

func TestSGDZeroGrad(t *testing.T) {
	p := tensor.Ones(tensor.Float32, 3).SetRequiresGrad(true)
	opt := optim.NewSGD([]*tensor.Tensor{p}, 1, 0, 0)
	tensor.Sum(p).Backward()
	if p.Grad() == nil {
		t.Fatal("no gradient after Backward")
	}
	opt.ZeroGrad()
	if p.Grad() != nil {
		t.Error("ZeroGrad left a gradient")
	}
	opt.Step() // no gradient: nothing happens
	if p.At(0) != 1 {
		t.Error("Step without gradients changed the parameter")
	}
}

func TestSGDMomentumSurvivesCast(t *testing.T) {
	p := tensor.FromValues(tensor.Float32, []float64{1, -2}, 2).SetRequiresGrad(true)
	opt := optim.NewSGD([]*tensor.Tensor{p}, 0.1, 0.9, 0)
	step(opt, p, []float64{3, 4})
	p.Cast(tensor.Float64)
	step(opt, p, []float64{3, 4})
	near(t, "after a cast", p.Float64s(), []float64{0.13, -3.16}, 1e-6)
	if opt.State(0).DType() != tensor.Float64 {
		t.Error("momentum buffer did not follow the parameter's dtype")
	}
}

func TestNewSGDRejectsBadHyperparameters(t *testing.T) {
	for _, tt := range []struct {
		lr, m, wd float64
		want      string
	}{
		{-0.1, 0, 0, "learning rate must be a finite number >= 0, found -0.1"},
		{0.1, -1, 0, "momentum must be"},
		{0.1, 0, math.NaN(), "weight decay must be"},
	} {
		msg := func() (msg string) {
			defer func() { msg, _ = recover().(string) }()
			optim.NewSGD(nil, tt.lr, tt.m, tt.wd)
			return ""
		}()
		if !strings.Contains(msg, tt.want) {
			t.Errorf("NewSGD(%v, %v, %v) panicked with %q, want %q", tt.lr, tt.m, tt.wd, msg, tt.want)
		}
	}
}

func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			t.Errorf("%s: element %d = %.9g, want %.9g", what, i, got[i], want[i])
		}
	}
}
