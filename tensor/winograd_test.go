package tensor_test

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"

	"nnkit/tensor"
	"nnkit/tensor/gradcheck"
)

// Winograd F(2x2, 3x3) against the direct loops, forward and all three
// gradients, in float64 (where the transforms' rounding is far below the
// tolerance) and float32, on awkward sizes: odd planes (the last tiles cut
// short), planes of one and two pixels, every padding it takes (0, 1, 2),
// an empty batch, batches that leave ragged chunks, and 1, 2 and 3
// goroutines.
func TestWinogradMatchesNaive(t *testing.T) {
	defer tensor.ForceWinograd()()
	cases := []struct {
		c, oc, h, w, p int
	}{
		{3, 5, 3, 3, 1},    // ResNet stage 4-like: 2 x 2 tiles over 3 x 3
		{2, 3, 7, 5, 1},    // odd sizes
		{4, 2, 6, 6, 1},    // even sizes
		{1, 1, 1, 1, 1},    // one pixel
		{2, 3, 2, 1, 1},    // two
		{3, 2, 5, 7, 0},    // no padding: 3 x 5 output
		{2, 2, 3, 3, 0},    // no padding: one pixel out
		{2, 3, 4, 3, 2},    // padding 2: the input gradient has none
		{17, 19, 9, 11, 1}, // more channels than a vector, primes
	}
	for _, procs := range []int{1, 2, 3} {
		for _, tile := range []int{2, 3, 4} {
			restoreTile := tensor.ForceWinogradTile(tile)
			old := runtime.GOMAXPROCS(procs)
			for ci, tc := range cases {
				for _, n := range []int{0, 1, 2, 7, 37} {
					if tc.c > 8 && n > 7 {
						continue // the direct loops are slow
					}
					name := fmt.Sprintf("procs%d/F%d/%dx%dx%dx%d_pad%d_oc%d", procs, tile, n, tc.c, tc.h, tc.w, tc.p, tc.oc)
					seed := uint64(1000*ci + n)
					x, w, b := convRand(seed, n, tc.c, tc.h, tc.w), convRand(seed+1, tc.oc, tc.c, 3, 3), convRand(seed+2, tc.oc)
					checkConvAgainstNaive(t, name, x, w, b, seed+3, 1, tc.p, convTol{
						f64: 1e-12, grad64: 1e-11,
						f32: 1e-5 * float64(tc.c), gx32: 1e-5 * float64(tc.oc), gw32: 1e-5 * float64(n*tc.h*tc.w),
					})
				}
			}
			runtime.GOMAXPROCS(old)
			restoreTile()
		}
	}
}

// The Winograd convolution's gradients by central differences, through
// the public op, with and without bias.
func TestWinogradGradcheck(t *testing.T) {
	defer tensor.ForceWinograd()()
	for _, tp := range [][2]int{{2, 0}, {2, 1}, {2, 2}, {3, 0}, {3, 1}, {3, 2}, {4, 0}, {4, 1}, {4, 2}} {
		tile, p := tp[0], tp[1]
		restore := tensor.ForceWinogradTile(tile)
		x, w, b := convRand(1, 2, 3, 5, 4), convRand(2, 4, 3, 3, 3), convRand(3, 4)
		f := func(in []*tensor.Tensor) *tensor.Tensor {
			y := tensor.Conv2d(in[0], in[1], in[2], 1, p)
			return tensor.Sum(tensor.Mul(y, y))
		}
		if err := gradcheck.Check(f, []*tensor.Tensor{x, w, b}, gradcheck.Options{}); err != nil {
			t.Errorf("F(%dx%d), padding %d: %v", tile, tile, p, err)
		}
		restore()
	}
}

// Float32 ResNet-18 layers (96 x 96 input: 24 x 24 to 3 x 3 planes, 64
// to 512 channels, post-ReLU inputs, Kaiming-normal weights) through
// Winograd stay within these relative norm errors ||y32 - y64|| / ||y64||
// of the float64 im2col, for the output and both gradients. PyTorch's
// float32 on the same layers: 1.6e-7 (output), 2.1e-7 (input gradient),
// 0.9-5.8e-7 (weight gradient); `go run ./cmd/bench -work accuracy`
// measures both side by side. The default tile, F(2x2) with blocked
// channel sums, measures 2.3-2.5e-7, 2.7-2.8e-7 and 1.5-3.3e-7 (bounds
// 3.2e-7, twice PyTorch's output error, 4e-7 and 5e-7); F(3x3)
// 0.8-1.0e-6, 1.0-1.2e-6, 0.5-1.1e-6; F(4x4) 0.7-1.5e-6, 0.8-1.8e-6,
// 0.3-1.5e-6; SetWinogradFast's tiles with one chain per channel sum
// (F(4x4) or F(3x3) by size) 1.4-1.9e-6, 1.8-2.4e-6, 0.5-1.5e-6. Forced,
// so that builds without the vector transforms check the Go loops;
// "default" is the engine's own choice.
func TestWinogradFloat32Accuracy(t *testing.T) {
	bounds := map[string][3]float64{
		"default": {3.2e-7, 4e-7, 5e-7},
		"F2":      {3.2e-7, 4e-7, 5e-7},
		"F3":      {1.4e-6, 1.7e-6, 2e-6},
		"F4":      {2e-6, 2.5e-6, 2.8e-6},
		"fast":    {3e-6, 3.5e-6, 3e-6},
	}
	for _, tc := range []struct{ n, c, hw int }{{2, 64, 24}, {2, 128, 12}, {4, 256, 6}, {8, 512, 3}} {
		rng := tensor.NewRNG(uint64(tc.c))
		x := tensor.Relu(tensor.RandNormal(rng, tensor.Float32, 0, 1, tc.n, tc.c, tc.hw, tc.hw))
		w := tensor.RandNormal(rng, tensor.Float32, 0, math.Sqrt(2/float64(9*tc.c)), tc.c, tc.c, 3, 3)
		gy := tensor.RandNormal(rng, tensor.Float32, 0, 1, tc.n, tc.c, tc.hw, tc.hw)
		run := func(dt tensor.DType) [3][]float64 {
			xx, ww := x.To(dt).Detach().SetRequiresGrad(true), w.To(dt).Detach().SetRequiresGrad(true)
			y := tensor.Conv2d(xx, ww, nil, 1, 1)
			y.BackwardWith(gy.To(dt))
			return [3][]float64{y.Float64s(), xx.Grad().Float64s(), ww.Grad().Float64s()}
		}
		want := run(tensor.Float64) // float64: im2col
		for _, path := range []string{"default", "F2", "F3", "F4", "fast"} {
			restore := func() {}
			switch path {
			case "fast":
				was := tensor.SetWinogradFast(true)
				force := tensor.ForceWinograd()
				restore = func() { force(); tensor.SetWinogradFast(was) }
			case "F2", "F3", "F4":
				tile := map[string]int{"F2": 2, "F3": 3, "F4": 4}[path]
				restoreTile, force := tensor.ForceWinogradTile(tile), tensor.ForceWinograd()
				restore = func() { force(); restoreTile() }
			}
			got := run(tensor.Float32)
			restore()
			for i, what := range []string{"output", "input gradient", "weight gradient"} {
				e := gradcheck.RelErr(got[i], want[i])
				t.Logf("%s, %d channels, %dx%d: %s off by %.3g", path, tc.c, tc.hw, tc.hw, what, e)
				if b := bounds[path][i]; e > b {
					t.Errorf("%s, %d channels, %dx%d: float32 %s differs from float64 by %.3g relative (norm), want at most %.3g", path, tc.c, tc.hw, tc.hw, what, e, b)
				}
			}
		}
	}
}

// The vector transforms (AVX-512 where present) give the same bits as the
// Go loops, forward and backward, on shapes with ragged groups of 16 tiles
// and kernels, odd planes and every padding.
func TestWinogradVectorSameBits(t *testing.T) {
	defer tensor.ForceWinograd()()
	run := func(x, w, b, gy *tensor.Tensor, p int) []float64 {
		x, w, b = x.Detach().SetRequiresGrad(true), w.Detach().SetRequiresGrad(true), b.Detach().SetRequiresGrad(true)
		y := tensor.Conv2d(x, w, b, 1, p)
		y.BackwardWith(gy)
		return slices.Concat(y.Float64s(), x.Grad().Float64s(), w.Grad().Float64s(), b.Grad().Float64s())
	}
	for ci, tc := range []struct{ n, c, oc, h, w, p int }{
		{3, 17, 33, 7, 5, 1}, {2, 16, 16, 3, 3, 1}, {5, 18, 20, 6, 9, 0}, {1, 40, 17, 4, 4, 2}, {7, 3, 5, 1, 2, 1},
	} {
		seed := uint64(50 + ci)
		x := tensor.RandUniform(tensor.NewRNG(seed), tensor.Float32, -1, 1, tc.n, tc.c, tc.h, tc.w)
		w := tensor.RandUniform(tensor.NewRNG(seed+1), tensor.Float32, -1, 1, tc.oc, tc.c, 3, 3)
		b := tensor.RandUniform(tensor.NewRNG(seed+2), tensor.Float32, -1, 1, tc.oc)
		oh, ow := tc.h+2*tc.p-2, tc.w+2*tc.p-2
		gy := tensor.RandUniform(tensor.NewRNG(seed+3), tensor.Float32, -1, 1, tc.n, tc.oc, oh, ow)
		for _, tile := range []int{2, 3, 4} {
			restoreTile := tensor.ForceWinogradTile(tile)
			vec := run(x, w, b, gy, tc.p)
			restore := tensor.WinogradGoLoops()
			loops := run(x, w, b, gy, tc.p)
			restore()
			restoreTile()
			for i := range vec {
				if math.Float64bits(vec[i]) != math.Float64bits(loops[i]) {
					t.Errorf("F(%dx%d) case %d: element %d: vector kernels give %v, Go loops %v", tile, tile, ci, i, vec[i], loops[i])
					break
				}
			}
		}
	}
}

func abs(v float64) float64 { return max(v, -v) }

// Training through Winograd follows training through im2col: a small
// float32 network of two 3 x 3 convolutions (16 and 24 channels, so
// Winograd is on by default) trained by plain SGD gives the same losses
// over the first 10 steps within 1e-4 relative, and after 60 steps (when
// the loss has fallen from 1.73 to about 0.037, through an unstable
// stretch that amplifies any rounding difference) a final loss within 5%
// of im2col's; with each tile size on every layer. Measured: within 2e-7
// over the first 10 steps, final losses 0.037200 (F(2x2)), 0.037223
// (F(3x3)) and 0.037378 (F(4x4)) against 0.037211.
func TestWinogradTrainsLikeIm2col(t *testing.T) {
	rng := tensor.NewRNG(9)
	x := tensor.RandUniform(rng, tensor.Float32, -1, 1, 8, 16, 12, 12)
	labels := []int{0, 1, 2, 3, 4, 0, 1, 2}
	w1 := tensor.RandUniform(rng, tensor.Float32, -0.2, 0.2, 24, 16, 3, 3)
	w2 := tensor.RandUniform(rng, tensor.Float32, -0.2, 0.2, 24, 24, 3, 3)
	fc := tensor.RandUniform(rng, tensor.Float32, -0.5, 0.5, 5, 24)
	train := func() []float64 {
		ps := []*tensor.Tensor{w1.Clone().SetRequiresGrad(true), w2.Clone().SetRequiresGrad(true), fc.Clone().SetRequiresGrad(true)}
		var losses []float64
		for range 60 {
			h := tensor.Relu(tensor.Conv2d(x, ps[0], nil, 1, 1))
			h = tensor.Relu(tensor.Conv2d(h, ps[1], nil, 1, 1))
			h = tensor.Reshape(tensor.AvgPool2d(h, 12, 12, 0), 8, 24)
			loss := tensor.CrossEntropy(tensor.Linear(h, ps[2], nil), labels)
			losses = append(losses, loss.Item())
			loss.Backward()
			for _, p := range ps {
				p.AddScaledInPlace(-0.5, p.Grad())
				p.ZeroGrad()
			}
		}
		return losses
	}
	restore := tensor.DisableWinograd()
	want := train()
	restore()
	last := len(want) - 1
	if want[last] > 0.1*want[0] {
		t.Fatalf("im2col: loss went from %.4f to %.4f: the test network does not learn", want[0], want[last])
	}
	for _, tile := range []int{2, 3, 4} {
		restore, force := tensor.ForceWinogradTile(tile), tensor.ForceWinograd()
		got := train()
		force()
		restore()
		early := 0.0
		for i := range 10 {
			early = max(early, abs(got[i]-want[i])/want[i])
		}
		t.Logf("F(%dx%d): first 10 steps within %.2g relative; final loss %.6f, im2col %.6f", tile, tile, early, got[last], want[last])
		if early > 1e-4 {
			t.Errorf("F(%dx%d): losses of the first 10 steps differ from im2col's by up to %.3g relative", tile, tile, early)
		}
		if d := abs(got[last]-want[last]) / want[last]; d > 0.05 {
			t.Errorf("F(%dx%d): final loss %.6f, im2col %.6f", tile, tile, got[last], want[last])
		}
	}
}

// BenchmarkWinograd times one float32 forward and backward pass (all
// three gradients, batch 32) of each 3 x 3 stride-1 layer of ResNet-18 at
// 96 x 96 by every path: im2col, F(2x2) (the default), F(3x3) and F(4x4)
// (SetWinogradFast picks one of these two by size). Compare them with
// -count and interleaving on a loaded machine:
//
//	go test ./tensor -run x -bench Winograd -count 5
func BenchmarkWinograd(b *testing.B) {
	for _, l := range []struct{ c, hw int }{{64, 24}, {128, 12}, {256, 6}, {512, 3}} {
		for _, path := range []string{"im2col", "F2", "F3", "F4"} {
			b.Run(fmt.Sprintf("%dch_%dx%d/%s", l.c, l.hw, l.hw, path), func(b *testing.B) {
				rng := tensor.NewRNG(1)
				x := tensor.RandUniform(rng, tensor.Float32, -1, 1, 32, l.c, l.hw, l.hw).SetRequiresGrad(true)
				w := tensor.RandUniform(rng, tensor.Float32, -1, 1, l.c, l.c, 3, 3).SetRequiresGrad(true)
				gy := tensor.Ones(tensor.Float32, 32, l.c, l.hw, l.hw)
				if path == "im2col" {
					defer tensor.DisableWinograd()()
				} else {
					defer tensor.ForceWinogradTile(int(path[1] - '0'))()
				}
				for b.Loop() {
					y := tensor.Conv2d(x, w, nil, 1, 1)
					y.BackwardWith(gy)
					x.ZeroGrad()
					w.ZeroGrad()
				}
				b.ReportMetric(32*float64(b.N)/b.Elapsed().Seconds(), "examples/s")
			})
		}
	}
}
