package tensor_test

import (
	"strings"
	"testing"

	"nnkit/tensor"
	"nnkit/tensor/gradcheck"
)

// adaptiveRamp returns the single plane x[r][c] = width*r + c, whose mean
// over a bin is width * (mean row) + (mean column).
func adaptiveRamp(dt tensor.DType, h, w int) *tensor.Tensor {
	v := make([]float64, h*w)
	for i := range v {
		v[i] = float64(i)
	}
	return tensor.FromValues(dt, v, 1, 1, h, w)
}

// Values by hand. 5 -> 3: bins floor(i*5/3) .. ceil((i+1)*5/3) are rows
// {0,1}, {1,2,3}, {3,4}, with mean rows 0.5, 2, 3.5; on x = 5r + c the
// output is 5*{0.5, 2, 3.5} + {0.5, 2, 3.5}. 7 -> 2: rows {0..3}, {3..6},
// means 1.5 and 4.5, so on x = 7r + c the output is 7*{1.5, 4.5} + {1.5,
// 4.5}. 2 -> 3 (upsampling): bins {0}, {0,1}, {1}. To 1x1: the plane's mean.
func TestAdaptiveAvgPoolByHand(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for _, tc := range []struct {
			x          *tensor.Tensor
			outH, outW int
			want       []float64
		}{
			{adaptiveRamp(dt, 5, 5), 3, 3, []float64{3, 4.5, 6, 10.5, 12, 13.5, 18, 19.5, 21}},
			{adaptiveRamp(dt, 7, 7), 2, 2, []float64{12, 15, 33, 36}},
			{adaptiveRamp(dt, 1, 2), 1, 3, []float64{0, 0.5, 1}},
			{adaptiveRamp(dt, 4, 6), 1, 1, []float64{11.5}},
			{adaptiveRamp(dt, 4, 6), 4, 6, adaptiveRamp(tensor.Float64, 4, 6).Float64s()},
		} {
			y := tensor.AdaptiveAvgPool2d(tc.x, tc.outH, tc.outW)
			if got := y.Float64s(); !poolAlmost(got, tc.want, 1e-5) || y.Size(2) != tc.outH || y.Size(3) != tc.outW {
				t.Errorf("%v %v -> %dx%d: got %v %v, want %v", dt, tc.x.Shape(), tc.outH, tc.outW, y.Shape(), got, tc.want)
			}
		}
	}
}

func TestAdaptiveAvgPoolGradients(t *testing.T) {
	for i, tc := range []struct {
		x          []int
		outH, outW int
	}{
		{[]int{2, 3, 4, 5}, 1, 1},
		{[]int{1, 2, 5, 5}, 3, 3},
		{[]int{1, 2, 7, 5}, 2, 3},
		{[]int{2, 1, 3, 2}, 4, 3},
		{[]int{1, 1, 6, 4}, 3, 2},
	} {
		f := func(in []*tensor.Tensor) *tensor.Tensor { return tensor.AdaptiveAvgPool2d(in[0], tc.outH, tc.outW) }
		if err := gradcheck.Check(f, []*tensor.Tensor{convRand(uint64(i+1), tc.x...)}, gradcheck.Options{}); err != nil {
			t.Errorf("%v -> %dx%d: %v", tc.x, tc.outH, tc.outW, err)
		}
	}
}

func TestAdaptiveAvgPoolMisuse(t *testing.T) {
	for _, tc := range []struct {
		f    func()
		want string
	}{
		{func() { tensor.AdaptiveAvgPool2d(tensor.New(tensor.Float32, 1, 2, 3, 3), 0, 1) }, "tensor: AdaptiveAvgPool2d: output size 0x1 must be positive"},
		{func() { tensor.AdaptiveAvgPool2d(tensor.New(tensor.Float32, 2, 3, 3), 1, 1) }, "input must be [N C H W]"},
	} {
		if got := panicMessage(tc.f); !strings.Contains(got, tc.want) {
			t.Errorf("panic %q, want it to contain %q", got, tc.want)
		}
	}
}
