package tensor_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"nnkit/tensor"
	"nnkit/tensor/gradcheck"
)

// poolAlmost reports whether got and want agree to tol elementwise.
func poolAlmost(got, want []float64, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			return false
		}
	}
	return true
}

// Pooled values worked by hand on the 4x4 input x = 1..16 (row-major) and
// on -x:
//
//	 1  2  3  4
//	 5  6  7  8
//	 9 10 11 12
//	13 14 15 16
//
// k2 s2: the four 2x2 blocks. k3 s2 p1: OH = (4+2-3)/2+1 = 2; the windows
// cover rows/columns {0,1} and {1,2,3} of x (plus padding), so the average
// (always over 9) is 14/9, 30/9, 57/9, 99/9, and the maximum of x is
// 6, 8, 14, 16; on -x the maximum is -1, -2, -5, -6: the zero padding
// never wins because it acts as -Inf.
func TestPoolByHand(t *testing.T) {
	in := make([]float64, 16)
	for i := range in {
		in[i] = float64(i + 1)
	}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		x := tensor.FromValues(dt, in, 1, 1, 4, 4)
		nx := tensor.MulScalar(x, -1)
		for _, tc := range []struct {
			name string
			y    *tensor.Tensor
			want []float64
		}{
			{"avg k2 s2", tensor.AvgPool2d(x, 2, 2, 0), []float64{3.5, 5.5, 11.5, 13.5}},
			{"avg k3 s2 p1", tensor.AvgPool2d(x, 3, 2, 1), []float64{14.0 / 9, 30.0 / 9, 57.0 / 9, 11}},
			{"avg k3 s2 p1 of -x", tensor.AvgPool2d(nx, 3, 2, 1), []float64{-14.0 / 9, -30.0 / 9, -57.0 / 9, -11}},
			{"max k2 s2", tensor.MaxPool2d(x, 2, 2, 0), []float64{6, 8, 14, 16}},
			{"max k3 s2 p1", tensor.MaxPool2d(x, 3, 2, 1), []float64{6, 8, 14, 16}},
			{"max k3 s2 p1 of -x", tensor.MaxPool2d(nx, 3, 2, 1), []float64{-1, -2, -5, -6}},
			{"max k3 s1 p1 corner", tensor.FromValues(dt, []float64{tensor.MaxPool2d(x, 3, 1, 1).At(0, 0, 0, 0)}, 1), []float64{6}},
		} {
			if got := tc.y.Float64s(); !poolAlmost(got, tc.want, 1e-6) {
				t.Errorf("%v %s: got %v, want %v", dt, tc.name, got, tc.want)
			}
		}
	}
}

// With ties the whole gradient goes to the first maximum in row-major
// order, as in PyTorch's CPU kernel.
func TestMaxPoolTiesGoToFirst(t *testing.T) {
	x := tensor.Ones(tensor.Float64, 1, 1, 2, 3).SetRequiresGrad(true)
	tensor.Sum(tensor.MaxPool2d(x, 2, 1, 0)).Backward() // windows at columns {0,1} and {1,2}
	if got, want := x.Grad().Float64s(), []float64{1, 1, 0, 0, 0, 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("gradient %v, want %v", got, want)
	}
}

func TestMaxPoolNaNPropagates(t *testing.T) {
	x := tensor.FromValues(tensor.Float32, []float64{1, math.NaN(), 3, 2}, 1, 1, 2, 2)
	if v := tensor.MaxPool2d(x, 2, 2, 0).Item(); !math.IsNaN(v) {
		t.Errorf("max of a window holding NaN = %v, want NaN", v)
	}
}

// Gradient checks on random inputs (no ties); shapes include H != W,
// padding, stride below, equal to and above the kernel, and windows that
// leave input rows unused.
func TestPoolGradients(t *testing.T) {
	for i, tc := range []struct {
		max     bool
		x       []int
		k, s, p int
	}{
		{false, []int{2, 3, 4, 6}, 2, 2, 0},
		{false, []int{1, 2, 5, 6}, 3, 2, 1},
		{false, []int{2, 1, 5, 4}, 3, 1, 1},
		{false, []int{1, 2, 5, 5}, 2, 1, 1},
		{false, []int{1, 1, 7, 5}, 2, 3, 0},
		{true, []int{2, 3, 4, 6}, 2, 2, 0},
		{true, []int{1, 2, 5, 6}, 3, 2, 1},
		{true, []int{2, 1, 5, 4}, 3, 1, 1},
		{true, []int{1, 2, 5, 5}, 2, 1, 1},
		{true, []int{1, 1, 7, 5}, 2, 3, 0},
	} {
		f := func(in []*tensor.Tensor) *tensor.Tensor {
			if tc.max {
				return tensor.MaxPool2d(in[0], tc.k, tc.s, tc.p)
			}
			return tensor.AvgPool2d(in[0], tc.k, tc.s, tc.p)
		}
		if err := gradcheck.Check(f, []*tensor.Tensor{convRand(uint64(i+1), tc.x...)}, gradcheck.Options{}); err != nil {
			t.Errorf("max=%v x %v k%d s%d p%d: %v", tc.max, tc.x, tc.k, tc.s, tc.p, err)
		}
	}
}

// The float32 path matches the float64 one, forward and backward, on a
// LeNet-sized batch (large enough to run on several goroutines).
func TestPoolFloat32(t *testing.T) {
	for _, pool := range []func(*tensor.Tensor) *tensor.Tensor{
		func(x *tensor.Tensor) *tensor.Tensor { return tensor.AvgPool2d(x, 2, 2, 0) },
		func(x *tensor.Tensor) *tensor.Tensor { return tensor.MaxPool2d(x, 3, 2, 1) },
	} {
		x := convRand(7, 16, 6, 28, 28)
		x32 := x.Detach().To(tensor.Float32).SetRequiresGrad(true)
		y, y32 := pool(x), pool(x32)
		gy := tensor.RandUniform(tensor.NewRNG(8), tensor.Float64, -1, 1, y.Shape()...)
		y.BackwardWith(gy)
		y32.BackwardWith(gy.To(tensor.Float32))
		if d := convMaxDiff(t, y32, y); d > 1e-6 {
			t.Errorf("forward differs by %g", d)
		}
		if d := convMaxDiff(t, x32.Grad(), x.Grad()); d > 1e-6 {
			t.Errorf("backward differs by %g", d)
		}
	}
}

func TestPoolMisuse(t *testing.T) {
	x := tensor.New(tensor.Float32, 1, 1, 4, 4)
	for _, tc := range []struct {
		f    func()
		want string
	}{
		{func() { tensor.AvgPool2d(x, 2, 2, 2) }, "tensor: AvgPool2d: padding 2 must be at most half the kernel 2"},
		{func() { tensor.MaxPool2d(x, 5, 1, 0) }, "tensor: MaxPool2d: input [1 1 4 4] with padding 0 is smaller than the kernel 5"},
		{func() { tensor.MaxPool2d(x, 2, 0, 0) }, "stride must be positive"},
		{func() { tensor.AvgPool2d(tensor.New(tensor.Float32, 4, 4), 2, 2, 0) }, "tensor: AvgPool2d: input must be [N C H W], found shape [4 4]"},
	} {
		if got := panicMessage(tc.f); !strings.Contains(got, tc.want) {
			t.Errorf("panic %q, want it to contain %q", got, tc.want)
		}
	}
}
