package tensor_test

import (
	"math"
	"strings"
	"testing"

	"nnkit/tensor"
	"nnkit/tensor/gradcheck"
)

// Running statistics after two training calls, worked by hand (momentum
// 0.1, running mean starting at 0 and running variance at 1, as PyTorch
// initialises them). x is [2, 2, 1, 2]; channel 0 holds {1, 2, 3, 6},
// channel 1 holds {0, 0, 0, 4}; the second call uses 2x.
//
//	call 1, channel 0: mean 3, biased var (4+1+0+9)/4 = 3.5, unbiased 14/3
//	        runMean = 0.1*3 = 0.3, runVar = 0.9*1 + 0.1*14/3 = 1.3666667
//	call 1, channel 1: mean 1, unbiased var (1+1+1+9)/3 = 4
//	        runMean = 0.1, runVar = 0.9 + 0.4 = 1.3
//	call 2, channel 0: mean 6, unbiased var 4*14/3 = 56/3
//	        runMean = 0.9*0.3 + 0.6 = 0.87, runVar = 0.9*1.3666667 + 0.1*56/3 = 3.0966667
//	call 2, channel 1: mean 2, unbiased var 16
//	        runMean = 0.09 + 0.2 = 0.29, runVar = 0.9*1.3 + 1.6 = 2.77
//
// The first call's output for x = 1 in channel 0 with gamma 2, beta 0.5 is
// 2*(1-3)/sqrt(3.5+1e-5) + 0.5 = -1.6380869. In evaluation mode afterwards,
// x = 0 in channel 1 gives 3*(0-0.29)/sqrt(2.77+1e-5) - 1 = -1.5227314
// (gamma 3, beta -1). PyTorch 1.13.1 (nn.BatchNorm2d(2).double(), the same
// calls) prints the same running statistics and outputs -1.638086881 and
// -1.522731395.
func TestBatchNormByHand(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		x := tensor.FromValues(dt, []float64{1, 2, 0, 0, 3, 6, 0, 4}, 2, 2, 1, 2)
		gamma := tensor.FromValues(dt, []float64{2, 3}, 2)
		beta := tensor.FromValues(dt, []float64{0.5, -1}, 2)
		rm, rv := tensor.Zeros(dt, 2), tensor.Ones(dt, 2)
		y := tensor.BatchNorm2d(x, gamma, beta, rm, rv, true, 0.1, 1e-5)
		if got, want := y.At(0, 0, 0, 0), -1.6380869; math.Abs(got-want) > 1e-6 {
			t.Errorf("%v: training output %v, want %v", dt, got, want)
		}
		if got, want := append(rm.Float64s(), rv.Float64s()...), []float64{0.3, 0.1, 1.3666667, 1.3}; !poolAlmost(got, want, 1e-6) {
			t.Errorf("%v: running stats after one call %v, want %v", dt, got, want)
		}
		tensor.BatchNorm2d(tensor.MulScalar(x, 2), gamma, beta, rm, rv, true, 0.1, 1e-5)
		if got, want := append(rm.Float64s(), rv.Float64s()...), []float64{0.87, 0.29, 3.0966667, 2.77}; !poolAlmost(got, want, 1e-6) {
			t.Errorf("%v: running stats after two calls %v, want %v", dt, got, want)
		}
		ye := tensor.BatchNorm2d(x, gamma, beta, rm, rv, false, 0.1, 1e-5)
		if got, want := ye.At(0, 1, 0, 0), -1.5227314; math.Abs(got-want) > 1e-6 {
			t.Errorf("%v: evaluation output %v, want %v", dt, got, want)
		}
		if got := append(rm.Float64s(), rv.Float64s()...); !poolAlmost(got, []float64{0.87, 0.29, 3.0966667, 2.77}, 1e-6) {
			t.Errorf("%v: evaluation changed the running stats to %v", dt, got)
		}
	}
}

// Training mode normalises each channel to mean beta and standard
// deviation |gamma| (up to eps).
func TestBatchNormNormalises(t *testing.T) {
	x := tensor.RandUniform(tensor.NewRNG(3), tensor.Float32, 100, 104, 8, 3, 5, 7) // large mean: tests cancellation
	gamma := tensor.FromValues(tensor.Float32, []float64{1, 2, -0.5}, 3)
	beta := tensor.FromValues(tensor.Float32, []float64{0, 1, -3}, 3)
	y := tensor.BatchNorm2d(x, gamma, beta, nil, nil, true, 0.1, 0)
	for c := 0; c < 3; c++ {
		var s, s2 float64
		for n := 0; n < 8; n++ {
			for i := 0; i < 35; i++ {
				v := y.At(n, c, i/7, i%7)
				s += v
				s2 += v * v
			}
		}
		mean := s / 280
		std := math.Sqrt(s2/280 - mean*mean)
		if math.Abs(mean-beta.At(c)) > 1e-4 || math.Abs(std-math.Abs(gamma.At(c))) > 1e-3 {
			t.Errorf("channel %d: mean %v std %v, want %v and %v", c, mean, std, beta.At(c), math.Abs(gamma.At(c)))
		}
	}
}

func TestBatchNormGradients(t *testing.T) {
	for i, tc := range []struct {
		x        []int
		training bool
	}{
		{[]int{2, 3, 2, 3}, true},
		{[]int{4, 2, 1, 1}, true},
		{[]int{1, 2, 3, 2}, true},
		{[]int{2, 3, 2, 3}, false},
	} {
		c := tc.x[1]
		rm := tensor.RandUniform(tensor.NewRNG(uint64(i+7)), tensor.Float64, -0.5, 0.5, c)
		rv := tensor.RandUniform(tensor.NewRNG(uint64(i+8)), tensor.Float64, 0.5, 2, c)
		in := []*tensor.Tensor{convRand(uint64(i+1), tc.x...), convRand(uint64(i+2), c), convRand(uint64(i+3), c)}
		f := func(in []*tensor.Tensor) *tensor.Tensor {
			return tensor.BatchNorm2d(in[0], in[1], in[2], rm, rv, tc.training, 0.1, 1e-5)
		}
		if err := gradcheck.Check(f, in, gradcheck.Options{}); err != nil {
			t.Errorf("x %v training=%v: %v", tc.x, tc.training, err)
		}
	}
}

// The float32 path agrees with float64 forward and backward, on a batch
// large enough to be split across goroutines.
func TestBatchNormFloat32(t *testing.T) {
	for _, training := range []bool{true, false} {
		x, gamma, beta := convRand(1, 8, 16, 12, 12), convRand(2, 16), convRand(3, 16)
		rm, rv := tensor.Zeros(tensor.Float64, 16), tensor.Full(tensor.Float64, 0.7, 16)
		to32 := func(t *tensor.Tensor) *tensor.Tensor { return t.Detach().To(tensor.Float32).SetRequiresGrad(true) }
		x32, g32, b32 := to32(x), to32(gamma), to32(beta)
		rm32, rv32 := rm.To(tensor.Float32), rv.To(tensor.Float32)
		y := tensor.BatchNorm2d(x, gamma, beta, rm, rv, training, 0.1, 1e-5)
		y32 := tensor.BatchNorm2d(x32, g32, b32, rm32, rv32, training, 0.1, 1e-5)
		gy := tensor.RandUniform(tensor.NewRNG(4), tensor.Float64, -1, 1, y.Shape()...)
		y.BackwardWith(gy)
		y32.BackwardWith(gy.To(tensor.Float32))
		for _, p := range [][2]*tensor.Tensor{{y, y32}, {rm, rm32}, {rv, rv32}, {x.Grad(), x32.Grad()}, {gamma.Grad(), g32.Grad()}, {beta.Grad(), b32.Grad()}} {
			if d := convMaxDiff(t, p[1], p[0]); d > 1e-4 {
				t.Errorf("training=%v: float32 differs from float64 by %g for shape %v", training, d, p[0].Shape())
			}
		}
	}
}

func TestBatchNormMisuse(t *testing.T) {
	x := tensor.New(tensor.Float32, 2, 3, 4, 4)
	v := func(n int) *tensor.Tensor { return tensor.Ones(tensor.Float32, n) }
	for _, tc := range []struct {
		f    func()
		want string
	}{
		{func() { tensor.BatchNorm2d(x, nil, v(3), v(3), v(3), true, 0.1, 1e-5) }, "tensor: BatchNorm2d: gamma is nil (required always)"},
		{func() { tensor.BatchNorm2d(x, v(3), v(3), nil, nil, false, 0.1, 1e-5) }, "runMean is nil (required in evaluation mode)"},
		{func() { tensor.BatchNorm2d(x, v(3), v(4), v(3), v(3), true, 0.1, 1e-5) }, "beta [4] must be [3] for input [2 3 4 4]"},
		{func() { tensor.BatchNorm2d(x, v(3), v(3), tensor.Ones(tensor.Float64, 3), v(3), true, 0.1, 1e-5) }, "mixed dtypes"},
		{func() {
			tensor.BatchNorm2d(tensor.New(tensor.Float32, 1, 3, 1, 1), v(3), v(3), v(3), v(3), true, 0.1, 1e-5)
		}, "more than 1 value per channel"},
		{func() { tensor.BatchNorm2d(tensor.New(tensor.Float32, 2, 3), v(3), v(3), v(3), v(3), true, 0.1, 1e-5) }, "input must be [N C H W]"},
	} {
		if got := panicMessage(tc.f); !strings.Contains(got, tc.want) {
			t.Errorf("panic %q, want it to contain %q", got, tc.want)
		}
	}
}
