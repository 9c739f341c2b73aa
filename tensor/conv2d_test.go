package tensor_test

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"nnkit/tensor"
	"nnkit/tensor/gradcheck"
)

// convRand returns a float64 tensor uniform in [-1, 1) that requires a
// gradient.
func convRand(seed uint64, shape ...int) *tensor.Tensor {
	return tensor.RandUniform(tensor.NewRNG(seed), tensor.Float64, -1, 1, shape...).SetRequiresGrad(true)
}

// convNaive is the definition of Conv2d written as the direct seven-deep
// loop, in float64.
func convNaive(x, w, b *tensor.Tensor, s, p int) *tensor.Tensor {
	n, c, h, wd := x.Size(0), x.Size(1), x.Size(2), x.Size(3)
	oc, k := w.Size(0), w.Size(2)
	oh, ow := (h+2*p-k)/s+1, (wd+2*p-k)/s+1
	y := tensor.New(tensor.Float64, n, oc, oh, ow)
	for in := 0; in < n; in++ {
		for o := 0; o < oc; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					acc := 0.0
					if b != nil {
						acc = b.At(o)
					}
					for ci := 0; ci < c; ci++ {
						for ki := 0; ki < k; ki++ {
							for kj := 0; kj < k; kj++ {
								r, q := i*s-p+ki, j*s-p+kj
								if r >= 0 && r < h && q >= 0 && q < wd {
									acc += w.At(o, ci, ki, kj) * x.At(in, ci, r, q)
								}
							}
						}
					}
					y.Set(acc, in, o, i, j)
				}
			}
		}
	}
	return y
}

func convMaxDiff(t *testing.T, a, b *tensor.Tensor) float64 {
	t.Helper()
	if fmt.Sprint(a.Shape()) != fmt.Sprint(b.Shape()) {
		t.Fatalf("shape %v, want %v", a.Shape(), b.Shape())
	}
	av, bv := a.Float64s(), b.Float64s()
	d := 0.0
	for i := range av {
		d = math.Max(d, math.Abs(av[i]-bv[i]))
	}
	return d
}

// A 3x3 input and a 2x2 kernel worked by hand:
//
//	x = 1 2 3    w = 1 2
//	    4 5 6        3 4
//	    7 8 9
//
// Stride 1, no padding, bias 1: y00 = 1*1+2*2+4*3+5*4 + 1 = 38, y01 = 2+6+15+24
// + 1 = 48, y10 = 4+10+21+32 + 1 = 68, y11 = 5+12+24+36 + 1 = 78.
// Stride 2, padding 1 (no bias): the windows are rows/columns {-1,0} and
// {1,2}; y00 = x00*w11 = 4, y01 = x01*w10 + x02*w11 = 6+12 = 18,
// y10 = x10*w01 + x20*w11 = 8+28 = 36, y11 = 5+12+24+36 = 77.
func TestConv2dByHand(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		x := tensor.FromValues(dt, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3)
		w := tensor.FromValues(dt, []float64{1, 2, 3, 4}, 1, 1, 2, 2)
		b := tensor.FromValues(dt, []float64{1}, 1)
		for _, tc := range []struct {
			b       *tensor.Tensor
			s, p    int
			want    []float64
			comment string
		}{
			{b, 1, 0, []float64{38, 48, 68, 78}, "stride 1, bias"},
			{nil, 2, 1, []float64{4, 18, 36, 77}, "stride 2, pad 1"},
		} {
			y := tensor.Conv2d(x, w, tc.b, tc.s, tc.p)
			if got := y.Float64s(); fmt.Sprint(got) != fmt.Sprint(tc.want) || fmt.Sprint(y.Shape()) != "[1 1 2 2]" {
				t.Errorf("%v %s: got %v %v, want [1 1 2 2] %v", dt, tc.comment, y.Shape(), got, tc.want)
			}
		}
	}
}

// convCases cover stride 1 and 2, padding 0-3, bias or none, H != W,
// kernels 1, 3, 5, 7, batch 1 and 3, one and several channels.
var convCases = []struct {
	x, w      []int
	bias      bool
	s, p      int
	small     bool // small enough for a gradient check
	something string
}{
	{[]int{1, 1, 5, 4}, []int{1, 1, 3, 3}, false, 1, 0, true, "single channel"},
	{[]int{3, 2, 5, 6}, []int{3, 2, 3, 3}, true, 1, 1, true, "batch 3, pad 1"},
	{[]int{2, 3, 6, 5}, []int{2, 3, 3, 3}, true, 2, 1, true, "stride 2"},
	{[]int{1, 2, 5, 7}, []int{3, 2, 5, 5}, false, 1, 2, true, "k5 pad 2 (LeNet conv1)"},
	{[]int{1, 1, 8, 7}, []int{2, 1, 7, 7}, true, 2, 3, true, "k7 s2 pad 3 (ResNet stem)"},
	{[]int{2, 3, 5, 4}, []int{4, 3, 1, 1}, false, 1, 0, true, "1x1 pointwise"},
	{[]int{3, 3, 5, 6}, []int{2, 3, 1, 1}, true, 2, 0, true, "1x1 stride 2 (ResNet shortcut)"},
	{[]int{1, 2, 4, 4}, []int{2, 2, 3, 3}, false, 2, 2, true, "pad 2 stride 2"},
	{[]int{1, 1, 3, 4}, []int{1, 1, 5, 5}, true, 1, 1, true, "kernel larger than input"},
	{[]int{4, 6, 14, 13}, []int{16, 6, 5, 5}, true, 1, 0, false, "LeNet conv2-like"},
	{[]int{3, 8, 12, 11}, []int{8, 8, 3, 3}, false, 2, 1, false, "3x3 s2"},
	{[]int{5, 3, 17, 19}, []int{4, 3, 7, 7}, true, 2, 3, false, "7x7 s2 p3"},
}

func TestConv2dMatchesNaive(t *testing.T) {
	for i, tc := range convCases {
		x, w := convRand(uint64(10*i+1), tc.x...), convRand(uint64(10*i+2), tc.w...)
		var b, b32 *tensor.Tensor
		if tc.bias {
			b = convRand(uint64(10*i+3), tc.w[0])
			b32 = b.To(tensor.Float32)
		}
		want := convNaive(x, w, b, tc.s, tc.p)
		if d := convMaxDiff(t, tensor.Conv2d(x, w, b, tc.s, tc.p), want); d > 1e-12 {
			t.Errorf("%s: float64 differs from the direct loop by %g", tc.something, d)
		}
		got32 := tensor.Conv2d(x.To(tensor.Float32), w.To(tensor.Float32), b32, tc.s, tc.p)
		if got32.DType() != tensor.Float32 {
			t.Errorf("%s: float32 input gave %v", tc.something, got32.DType())
		}
		if d := convMaxDiff(t, got32, want); d > 1e-5 {
			t.Errorf("%s: float32 differs from the direct loop by %g", tc.something, d)
		}
	}
}

// The float32 backward agrees with the float64 one (which the gradient
// check verifies) to float32 rounding.
func TestConv2dBackwardFloat32(t *testing.T) {
	tc := convCases[10]
	x, w, b := convRand(1, tc.x...), convRand(2, tc.w...), convRand(3, tc.w[0])
	x32 := x.Detach().To(tensor.Float32).SetRequiresGrad(true)
	w32 := w.Detach().To(tensor.Float32).SetRequiresGrad(true)
	b32 := b.Detach().To(tensor.Float32).SetRequiresGrad(true)
	gy := tensor.RandUniform(tensor.NewRNG(4), tensor.Float64, -1, 1, 3, 8, 6, 6)
	tensor.Conv2d(x, w, b, tc.s, tc.p).BackwardWith(gy)
	tensor.Conv2d(x32, w32, b32, tc.s, tc.p).BackwardWith(gy.To(tensor.Float32))
	for _, p := range [][2]*tensor.Tensor{{x, x32}, {w, w32}, {b, b32}} {
		if d := convMaxDiff(t, p[1].Grad(), p[0].Grad()); d > 1e-4 {
			t.Errorf("float32 gradient of %v differs by %g", p[0].Shape(), d)
		}
	}
}

func TestConv2dGradients(t *testing.T) {
	for i, tc := range convCases {
		if !tc.small {
			continue
		}
		in := []*tensor.Tensor{convRand(uint64(10*i+1), tc.x...), convRand(uint64(10*i+2), tc.w...), nil}
		if tc.bias {
			in[2] = convRand(uint64(10*i+3), tc.w[0])
		} else {
			in = in[:2]
		}
		f := func(in []*tensor.Tensor) *tensor.Tensor {
			var b *tensor.Tensor
			if len(in) == 3 {
				b = in[2]
			}
			return tensor.Conv2d(in[0], in[1], b, tc.s, tc.p)
		}
		if err := gradcheck.Check(f, in, gradcheck.Options{}); err != nil {
			t.Errorf("%s: %v", tc.something, err)
		}
	}
}

// Only the inputs that require a gradient get one (LeNet's conv1 input
// does not).
func TestConv2dGradientOnlyWhereRequired(t *testing.T) {
	x := tensor.RandUniform(tensor.NewRNG(1), tensor.Float32, -1, 1, 2, 1, 6, 6)
	w := tensor.RandUniform(tensor.NewRNG(2), tensor.Float32, -1, 1, 3, 1, 3, 3).SetRequiresGrad(true)
	tensor.Sum(tensor.Conv2d(x, w, nil, 1, 1)).Backward()
	if x.Grad() != nil || w.Grad() == nil {
		t.Errorf("x.Grad() = %v, w.Grad() = %v; want nil and a gradient", x.Grad(), w.Grad())
	}
}

func TestConv2dMisuse(t *testing.T) {
	f32 := func(shape ...int) *tensor.Tensor { return tensor.New(tensor.Float32, shape...) }
	f64 := func(shape ...int) *tensor.Tensor { return tensor.New(tensor.Float64, shape...) }
	for _, tc := range []struct {
		f    func()
		want string
	}{
		{func() { tensor.Conv2d(f32(2, 3, 8, 8), f32(6, 1, 5, 5), nil, 1, 0) }, "tensor: Conv2d: input [2 3 8 8] has 3 channels, weight [6 1 5 5] expects 1"},
		{func() { tensor.Conv2d(f32(3, 8, 8), f32(6, 3, 5, 5), nil, 1, 0) }, "input must be [N C H W], found shape [3 8 8]"},
		{func() { tensor.Conv2d(f32(1, 3, 8, 8), f32(6, 3, 5, 4), nil, 1, 0) }, "square kernel"},
		{func() { tensor.Conv2d(f32(1, 3, 8, 8), f64(6, 3, 5, 5), nil, 1, 0) }, "mixed dtypes"},
		{func() { tensor.Conv2d(f32(1, 3, 8, 8), f32(6, 3, 5, 5), f32(5), 1, 0) }, "bias [5] must be [6]"},
		{func() { tensor.Conv2d(f32(1, 3, 4, 8), f32(6, 3, 5, 5), nil, 1, 0) }, "output size would be <= 0"},
		{func() { tensor.Conv2d(f32(1, 3, 8, 8), f32(6, 3, 5, 5), nil, 0, 0) }, "stride must be positive"},
		{func() { tensor.Conv2d(f32(1, 3, 8, 8), f32(6, 3, 5, 5), nil, 1, -1) }, "padding non-negative"},
	} {
		if got := panicMessage(tc.f); !strings.Contains(got, tc.want) {
			t.Errorf("panic %q, want it to contain %q", got, tc.want)
		}
	}
}

// BenchmarkConv2d times one forward and backward pass in float32 (weight
// and bias gradients always; the input gradient except for LeNet's conv1,
// whose input is the data) and reports examples per second.
func BenchmarkConv2d(b *testing.B) {
	for _, bc := range []struct {
		name      string
		x, w      []int
		s, p      int
		inputGrad bool
	}{
		{"LeNetConv1", []int{256, 1, 28, 28}, []int{6, 1, 5, 5}, 1, 2, false},
		{"LeNetConv2", []int{256, 6, 14, 14}, []int{16, 6, 5, 5}, 1, 0, true},
		{"ResNet3x3", []int{32, 64, 24, 24}, []int{64, 64, 3, 3}, 1, 1, true},
		// ResNet-18's stride-2 3 x 3 convolutions at 96 x 96 (im2col; the
		// input gradient's sum over 128, 256 and 512 output channels runs
		// in blocks of 64).
		{"ResNetS2Stride2", []int{32, 64, 24, 24}, []int{128, 64, 3, 3}, 2, 1, true},
		{"ResNetS3Stride2", []int{32, 128, 12, 12}, []int{256, 128, 3, 3}, 2, 1, true},
		{"ResNetS4Stride2", []int{32, 256, 6, 6}, []int{512, 256, 3, 3}, 2, 1, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rng := tensor.NewRNG(1)
			x := tensor.RandUniform(rng, tensor.Float32, -1, 1, bc.x...).SetRequiresGrad(bc.inputGrad)
			w := tensor.RandUniform(rng, tensor.Float32, -1, 1, bc.w...).SetRequiresGrad(true)
			bias := tensor.RandUniform(rng, tensor.Float32, -1, 1, bc.w[0]).SetRequiresGrad(true)
			var gy *tensor.Tensor
			b.ResetTimer()
			for range b.N {
				y := tensor.Conv2d(x, w, bias, bc.s, bc.p)
				if gy == nil {
					gy = tensor.Ones(tensor.Float32, y.Shape()...)
				}
				y.BackwardWith(gy)
				x.ZeroGrad()
				w.ZeroGrad()
				bias.ZeroGrad()
			}
			b.ReportMetric(float64(bc.x[0])*float64(b.N)/b.Elapsed().Seconds(), "examples/s")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
		})
	}
}

// The float32 input gradient of an im2col convolution sums over the
// output channels in blocks of 64 (dgradKBlock): on ResNet-18's stride-2
// 3 x 3 layers (128, 256 and 512 output channels) it stays within about
// 1.6e-7 of float64 (relative norm), where a single chain over 256
// channels was 2.9e-7, twice PyTorch's float32.
func TestIm2colInputGradFloat32Accuracy(t *testing.T) {
	for _, tc := range []struct{ n, c, oc, hw int }{{4, 64, 128, 24}, {4, 128, 256, 12}, {8, 256, 512, 6}} {
		rng := tensor.NewRNG(uint64(tc.oc))
		x := tensor.Relu(tensor.RandNormal(rng, tensor.Float32, 0, 1, tc.n, tc.c, tc.hw, tc.hw))
		w := tensor.RandNormal(rng, tensor.Float32, 0, math.Sqrt(2/float64(9*tc.c)), tc.oc, tc.c, 3, 3)
		gy := tensor.RandNormal(rng, tensor.Float32, 0, 1, tc.n, tc.oc, tc.hw/2, tc.hw/2)
		grad := func(dt tensor.DType) []float64 {
			xx := x.To(dt).Detach().SetRequiresGrad(true)
			tensor.Conv2d(xx, w.To(dt), nil, 2, 1).BackwardWith(gy.To(dt))
			return xx.Grad().Float64s()
		}
		e := gradcheck.RelErr(grad(tensor.Float32), grad(tensor.Float64))
		t.Logf("%d -> %d channels, %dx%d, stride 2: input gradient off by %.3g", tc.c, tc.oc, tc.hw, tc.hw, e)
		if e > 2.2e-7 {
			t.Errorf("%d -> %d channels, %dx%d, stride 2: float32 input gradient differs from float64 by %.3g relative (norm), want at most 2.2e-7",
				tc.c, tc.oc, tc.hw, tc.hw, e)
		}
	}
}
