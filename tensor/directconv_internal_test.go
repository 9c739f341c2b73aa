package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// directCase is a convolution the direct path takes: input [n, c, h, w],
// oc output channels, a k x k kernel, padding p, stride 1.
type directCase struct{ n, c, h, w, oc, k, p int }

func (tc directCase) geom() convGeom {
	x := &Tensor{shape: []int{tc.n, tc.c, tc.h, tc.w}, dtype: Float32}
	wt := &Tensor{shape: []int{tc.oc, tc.c, tc.k, tc.k}, dtype: Float32}
	return conv2dGeometry(x, wt, nil, 1, tc.p)
}

func (tc directCase) String() string {
	return fmt.Sprintf("%dx%dx%dx%d_oc%d_k%d_p%d", tc.n, tc.c, tc.h, tc.w, tc.oc, tc.k, tc.p)
}

// directCases are LeNet's two layers and awkward shapes around the
// kernel's blocks: output channels not a multiple of 6, 1 to 4 vectors
// per call, rows of one output, the most taps (256), no padding and
// padding wider than the kernel's reach, then random ones.
func directCases() []directCase {
	cases := []directCase{
		{3, 1, 28, 28, 6, 5, 2},  // LeNet conv1
		{3, 6, 14, 14, 16, 5, 0}, // LeNet conv2
		{2, 1, 1, 1, 1, 2, 1},    // one output of four taps
		{2, 2, 5, 3, 7, 3, 1},    // 7 channels: a block of 6 and one of 1
		{1, 3, 9, 40, 13, 3, 1},  // rows longer than a vector
		{2, 4, 8, 8, 5, 4, 0},    // even kernel
		{1, 10, 5, 5, 12, 5, 2},  // 250 taps
		{1, 16, 6, 6, 6, 4, 0},   // 256 taps, the most
		{2, 1, 30, 30, 2, 7, 3},  // 7 x 7
		{1, 2, 3, 17, 11, 2, 0},  // 2 x 2
		{1, 1, 61, 61, 3, 3, 1},  // 59 vectors: calls of 4 and 3
		{1, 5, 2, 2, 4, 2, 3},    // padding beyond the kernel
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for len(cases) < 60 {
		k := 2 + rng.IntN(4)
		cases = append(cases, directCase{n: 1 + rng.IntN(3), c: 1 + rng.IntN(8), h: k + rng.IntN(20), w: k + rng.IntN(20), oc: 1 + rng.IntN(20), k: k, p: rng.IntN(3)})
	}
	return cases
}

// fillDirect gives x, w and b values of mixed magnitudes and signs.
func fillDirect(rng *rand.Rand, s []float32) {
	for i := range s {
		s[i] = float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(9)-4)))
	}
}

// The direct convolution gives the im2col path's bits, with and without
// a bias, and writes every output (y starts as NaN).
func TestDirectConvSameBits(t *testing.T) {
	if !directKernels() {
		t.Skip("no direct convolution kernels in this build")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range directCases() {
		g := tc.geom() // not all of them pass useDirect's cost test
		x := make([]float32, g.n*g.chw)
		w := make([]float32, g.oc*g.ckk)
		b := make([]float32, g.oc)
		fillDirect(rng, x)
		fillDirect(rng, w)
		fillDirect(rng, b)
		for _, bias := range [][]float32{b, nil} {
			y := make([]float32, g.n*g.oc*g.ohw)
			for i := range y {
				y[i] = float32(math.NaN())
			}
			sameBitsAsIm2col(t, fmt.Sprintf("%v, bias %v", tc, bias != nil), g, y, x, w, bias)
		}
	}
}

// sameBitsAsIm2col runs the direct forward pass into y and fails t
// unless every output has the im2col path's bits.
func sameBitsAsIm2col(t *testing.T, what string, g convGeom, y, x, w, b []float32) {
	t.Helper()
	want := make([]float32, len(y))
	conv2dForward(g, want, x, w, b)
	directForward(g, y, x, w, b)
	for i := range want {
		if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: y[%d] = %v (%#x), im2col gives %v (%#x)", what, i, y[i], math.Float32bits(y[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// Infinities and NaN in the input reach the outputs they touch, as in the
// im2col path, and only those.
func TestDirectConvSpecialValues(t *testing.T) {
	if !directKernels() {
		t.Skip("no direct convolution kernels in this build")
	}
	g := directCase{1, 2, 9, 9, 7, 3, 1}.geom()
	x := make([]float32, g.chw)
	w := make([]float32, g.oc*g.ckk)
	rng := rand.New(rand.NewPCG(7, 8))
	fillDirect(rng, x)
	fillDirect(rng, w)
	x[10], x[50], x[100] = float32(math.Inf(1)), float32(math.NaN()), float32(math.Inf(-1))
	sameBitsAsIm2col(t, "infinities and NaN", g, make([]float32, g.oc*g.ohw), x, w, nil)
}

// Of two NaNs in one product, the same comes out as from the im2col GEMM
// (x86 keeps the first operand's): the kernels put the weight and the
// input in the FMA's operands where the GEMM kernel has them.
func TestDirectConvNaNPayloads(t *testing.T) {
	if !directKernels() {
		t.Skip("no direct convolution kernels in this build")
	}
	g := directCase{1, 1, 6, 6, 2, 3, 0}.geom()
	x := make([]float32, g.chw)
	w := make([]float32, g.oc*g.ckk)
	for i := range x {
		x[i] = math.Float32frombits(0x7fc00001) // quiet NaN, payload 1
	}
	for i := range w {
		w[i] = math.Float32frombits(0x7fc00002) // payload 2
	}
	sameBitsAsIm2col(t, "two NaN payloads", g, make([]float32, g.oc*g.ohw), x, w, nil)
}

// A convolution's plan fixes its workers: a GOMAXPROCS raised between
// the plan and the split (by another goroutine) must not hand out worker
// numbers past the per-worker buffers sized by the plan.
func TestConvPlanWorkersFixed(t *testing.T) {
	p := convPlan{workers: 2, chunk: 1}
	old := runtime.GOMAXPROCS(7)
	defer runtime.GOMAXPROCS(old)
	var mu sync.Mutex
	covered := 0
	p.forEach(20, func(worker, lo, hi int) {
		mu.Lock()
		defer mu.Unlock()
		if worker >= p.workers {
			t.Errorf("worker %d of a plan of %d", worker, p.workers)
		}
		covered += hi - lo
	})
	if covered != 20 {
		t.Errorf("the ranges cover %d of 20 images", covered)
	}
}

// Which layers go direct: LeNet's, and not ResNet's, float64, strided or
// pointwise ones, or those whose rows are mostly padding.
func TestUseDirect(t *testing.T) {
	if !directKernels() {
		t.Skip("no direct convolution kernels in this build")
	}
	for _, tc := range []struct {
		name string
		x, w []int
		s, p int
		dt   DType
		want bool
	}{
		{"LeNet conv1", []int{256, 1, 28, 28}, []int{6, 1, 5, 5}, 1, 2, Float32, true},
		{"LeNet conv2", []int{256, 6, 14, 14}, []int{16, 6, 5, 5}, 1, 0, Float32, true},
		{"float64", []int{256, 6, 14, 14}, []int{16, 6, 5, 5}, 1, 0, Float64, false},
		{"stride 2", []int{2, 3, 28, 28}, []int{6, 3, 5, 5}, 2, 2, Float32, false},
		{"1 x 1", []int{2, 3, 28, 28}, []int{6, 3, 1, 1}, 1, 0, Float32, false},
		{"ResNet stage 1", []int{32, 64, 24, 24}, []int{64, 64, 3, 3}, 1, 1, Float32, false},
		{"ResNet stem", []int{32, 1, 96, 96}, []int{64, 1, 7, 7}, 2, 3, Float32, false},
		{"257 taps", []int{1, 257, 4, 4}, []int{2, 257, 1, 1}, 1, 0, Float32, false},
		{"rows mostly padding", []int{1, 1, 8, 4}, []int{2, 1, 3, 3}, 1, 0, Float32, false},
		{"large image", []int{1, 3, 100, 100}, []int{4, 3, 3, 3}, 1, 1, Float32, false},
	} {
		x := &Tensor{shape: tc.x, dtype: tc.dt}
		w := &Tensor{shape: tc.w, dtype: tc.dt}
		if got := conv2dGeometry(x, w, nil, tc.s, tc.p).useDirect(tc.dt); got != tc.want {
			t.Errorf("%s: useDirect = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// directWeightGradRef is the weight gradient in float64, and per element
// the sum of the absolute values of its terms (the scale of float32's
// rounding error).
func directWeightGradRef(g convGeom, x, gy []float32) (want, scale []float64) {
	want = make([]float64, g.oc*g.ckk)
	scale = make([]float64, len(want))
	for n := range g.n {
		for o := range g.oc {
			for c := range g.c {
				for ki := range g.k {
					for kj := range g.k {
						t := (c*g.k+ki)*g.k + kj
						for i := range g.oh {
							for j := range g.ow {
								r, s := i-g.p+ki, j-g.p+kj
								if r < 0 || r >= g.h || s < 0 || s >= g.w {
									continue
								}
								v := float64(gy[((n*g.oc+o)*g.oh+i)*g.ow+j]) * float64(x[((n*g.c+c)*g.h+r)*g.w+s])
								want[o*g.ckk+t] += v
								scale[o*g.ckk+t] += math.Abs(v)
							}
						}
					}
				}
			}
		}
	}
	return want, scale
}

// The direct weight gradient against float64, within the rounding error
// of its sums (each lane's chain, then the tree over 16 lanes, then the
// running total over chunks), on every case, in one chunk and image by
// image, added to what dw held.
func TestDirectWeightGrad(t *testing.T) {
	if !directKernels() {
		t.Skip("no direct convolution kernels in this build")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range directCases() {
		g := tc.geom()
		x := make([]float32, g.n*g.chw)
		gy := make([]float32, g.n*g.oc*g.ohw)
		fillDirect(rng, x)
		fillDirect(rng, gy)
		want, scale := directWeightGradRef(g, x, gy)
		terms := g.n * g.ohw
		p := newDirectPlan(g)
		for _, perImage := range []bool{false, true} {
			// Scratch buffers come back with what they held: here NaN.
			poisonScratch(g.n * (g.oc + 5) / 6 * 6 * 16 * p.nvec)
			poisonScratch(g.n * g.c * p.hp * p.wp)
			dw := make([]float32, g.oc*g.ckk)
			for i := range dw {
				dw[i] = 1
			}
			if perImage {
				for n := range g.n {
					directWeightGrad(g, p, dw, x, gy, n, 1)
				}
			} else {
				directWeightGrad(g, p, dw, x, gy, 0, g.n)
			}
			for i := range dw {
				got := float64(dw[i]) - 1
				tol := 2*float64(terms+16+g.n)*0x1p-24*(scale[i]+1) + 1e-30
				if !(math.Abs(got-want[i]) <= tol) {
					t.Fatalf("%v, per image %v: dw[%d] = %v, want %v (tolerance %.3g)", tc, perImage, i, got, want[i], tol)
				}
			}
		}
	}
}

// A NaN in the output gradient reaches the weight gradients of its output
// channel and no other; the positions past each row's outputs, which the
// kernel also sums over, carry nothing.
func TestDirectWeightGradNaN(t *testing.T) {
	if !directKernels() {
		t.Skip("no direct convolution kernels in this build")
	}
	g := directCase{2, 3, 9, 11, 8, 3, 1}.geom()
	rng := rand.New(rand.NewPCG(13, 14))
	x := make([]float32, g.n*g.chw)
	gy := make([]float32, g.n*g.oc*g.ohw)
	fillDirect(rng, x)
	fillDirect(rng, gy)
	const o = 7 // the last block's second channel
	gy[((1*g.oc+o)*g.oh+4)*g.ow+10] = float32(math.NaN())
	dw := make([]float32, g.oc*g.ckk)
	directWeightGrad(g, newDirectPlan(g), dw, x, gy, 0, g.n)
	for i, v := range dw {
		if nan := v != v; nan != (i/g.ckk == o) {
			t.Fatalf("dw[%d] (channel %d) = %v", i, i/g.ckk, v)
		}
	}
}

// poisonScratch puts a float32 scratch buffer of n elements full of NaN
// back in the pool, where the next getScratch of its size class finds it.
func poisonScratch(n int) {
	s := getScratch[float32](n)
	for i := range s[:cap(s)] {
		s[:cap(s)][i] = float32(math.NaN())
	}
	putScratch(s)
}
