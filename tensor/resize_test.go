package tensor_test

import (
	"math"
	"strings"
	"testing"

	"nnkit/tensor"
)

// The reference values below were produced with PyTorch 1.13.1 (Debian's
// python3-torch) in float64:
//
//	F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
//
// on the inputs that resizeInput builds. One by hand: for 4x5 -> 7x3,
// output row 0 samples source row (0+0.5)*4/7-0.5 < 0, clamped to 0, and
// output column 0 samples source column (0+0.5)*5/3-0.5 = 1/3, so
// y[0][0] = (2/3)*x[0][0] + (1/3)*x[0][1] = 1/3 on x = 0..19.

// resizeInput is x[n][c][r][q] = ((n*C+c)*H*W + r*W + q)*37 mod 101 / 100,
// with exact float64 values in both Go and Python.
func resizeInput(dt tensor.DType, n, c, h, w int) *tensor.Tensor {
	v := make([]float64, n*c*h*w)
	for i := range v {
		v[i] = float64(i*37%101) / 100
	}
	return tensor.FromValues(dt, v, n, c, h, w)
}

func resizeClose(got, want []float64, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*(1+math.Abs(want[i])) {
			return false
		}
	}
	return true
}

func TestResizeBilinearMatchesPyTorch(t *testing.T) {
	ramp := make([]float64, 20)
	for i := range ramp {
		ramp[i] = float64(i)
	}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		tol := 1e-9
		if dt == tensor.Float32 {
			tol = 1e-5 // PyTorch's own float32 result differs from its float64 one by 1.1e-6 here
		}
		for _, tc := range []struct {
			name string
			x    *tensor.Tensor
			h, w int
			want []float64
		}{
			{"4x5 -> 7x3", tensor.FromValues(dt, ramp, 1, 1, 4, 5), 7, 3, []float64{
				0.3333333333, 2, 3.666666667, 2.119047619, 3.785714286, 5.452380952, 4.976190476,
				6.642857143, 8.30952381, 7.833333333, 9.5, 11.16666667, 10.69047619, 12.35714286,
				14.02380952, 13.54761905, 15.21428571, 16.88095238, 15.33333333, 17, 18.66666667}},
			{"[2 2 7 9] -> 3x4", resizeInput(dt, 2, 2, 7, 9), 3, 4, []float64{
				0.43125, 0.2958333333, 0.3708333333, 0.65625, 0.5, 0.95375, 0.65, 0.59875,
				0.6108333333, 0.64375, 0.46625, 0.28875, 0.51125, 0.3758333333, 0.4508333333, 0.61,
				0.58, 0.15, 0.73, 0.67875, 0.6908333333, 0.72375, 0.5041666667, 0.36875,
				0.59125, 0.4558333333, 0.5308333333, 0.2691666667, 0.28125, 0.23, 0.81, 0.75875,
				0.35, 0.5091666667, 0.5841666667, 0.44875, 0.67125, 0.5358333333, 0.31625, 0.3491666667,
				0.36125, 0.31, 0.89, 0.46, 0.30375, 0.5891666667, 0.6641666667, 0.52875}},
		} {
			y := tensor.ResizeBilinear(tc.x, tc.h, tc.w)
			shape := tc.x.Shape()
			if got := y.Shape(); got[0] != shape[0] || got[1] != shape[1] || got[2] != tc.h || got[3] != tc.w {
				t.Errorf("%v %s: shape %v", dt, tc.name, got)
			}
			// The literals have 10 significant digits.
			if got := y.Float64s(); !resizeClose(got, tc.want, max(tol, 1e-9)) {
				t.Errorf("%v %s: got %v, want %v", dt, tc.name, got, tc.want)
			}
		}
	}
}

// 28x28 -> 96x96 (Fashion-MNIST for ResNet-18): PyTorch's checksums
// sum(y) = 4605.39424 and sum(y[k] * (k mod 7 + 1)) = 18417.75338 over the
// flattened output, and a few values.
func TestResizeBilinear28To96(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		tol := 1e-9
		if dt == tensor.Float32 {
			tol = 1e-5
		}
		y := tensor.ResizeBilinear(resizeInput(dt, 1, 1, 28, 28), 96, 96)
		var sum, weighted float64
		for k, v := range y.Float64s() {
			sum += v
			weighted += v * float64(k%7+1)
		}
		if !resizeClose([]float64{sum, weighted}, []float64{4605.39424, 18417.75338}, max(tol, 1e-9)) {
			t.Errorf("%v: checksums %.10g %.10g, want 4605.39424 18417.75338", dt, sum, weighted)
		}
		for _, v := range []struct {
			i, j int
			want float64
		}{{0, 0, 0}, {0, 95, 0.9}, {1, 2, 0.08479166667}, {47, 50, 0.5749001736}, {95, 0, 0.96}, {95, 95, 0.85}, {30, 61, 0.5547916667}} {
			if got := y.At(0, 0, v.i, v.j); math.Abs(got-v.want) > max(tol, 1e-10) {
				t.Errorf("%v: y[%d][%d] = %.10g, want %.10g", dt, v.i, v.j, got, v.want)
			}
		}
	}
}

// Resizing to the same size is the identity, and the result never has a
// history even when x requires a gradient.
func TestResizeBilinearIdentityNoGradient(t *testing.T) {
	x := resizeInput(tensor.Float64, 2, 3, 5, 4).SetRequiresGrad(true)
	y := tensor.ResizeBilinear(x, 5, 4)
	if d := convMaxDiff(t, y, x); d != 0 {
		t.Errorf("same-size resize changed values by %g", d)
	}
	if y.RequiresGrad() || !y.IsLeaf() {
		t.Errorf("ResizeBilinear result requires a gradient")
	}
}

func TestResizeBilinearMisuse(t *testing.T) {
	for _, tc := range []struct {
		f    func()
		want string
	}{
		{func() { tensor.ResizeBilinear(tensor.New(tensor.Float32, 1, 1, 4, 4), 0, 3) }, "tensor: ResizeBilinear: output size 0x3 must be positive"},
		{func() { tensor.ResizeBilinear(tensor.New(tensor.Float32, 4, 4), 2, 2) }, "tensor: ResizeBilinear: input must be [N C H W]"},
	} {
		if got := panicMessage(tc.f); !strings.Contains(got, tc.want) {
			t.Errorf("panic %q, want it to contain %q", got, tc.want)
		}
	}
}
