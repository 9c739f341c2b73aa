package tensor_test

import (
	"fmt"
	"runtime"
	"slices"
	"testing"

	"nnkit/tensor"
)

// convNaiveBackward is the gradient of convNaive written as direct loops:
// given gy, it returns dL/dx, dL/dw and dL/db.
func convNaiveBackward(x, w, gy *tensor.Tensor, s, p int) (gx, gw, gb *tensor.Tensor) {
	n, c, h, wd := x.Size(0), x.Size(1), x.Size(2), x.Size(3)
	oc, k := w.Size(0), w.Size(2)
	oh, ow := gy.Size(2), gy.Size(3)
	gx, gw, gb = tensor.New(tensor.Float64, x.Shape()...), tensor.New(tensor.Float64, w.Shape()...), tensor.New(tensor.Float64, oc)
	for in := 0; in < n; in++ {
		for o := 0; o < oc; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					g := gy.At(in, o, i, j)
					gb.Set(gb.At(o)+g, o)
					for ci := 0; ci < c; ci++ {
						for ki := 0; ki < k; ki++ {
							for kj := 0; kj < k; kj++ {
								r, q := i*s-p+ki, j*s-p+kj
								if r >= 0 && r < h && q >= 0 && q < wd {
									gw.Set(gw.At(o, ci, ki, kj)+g*x.At(in, ci, r, q), o, ci, ki, kj)
									gx.Set(gx.At(in, ci, r, q)+g*w.At(o, ci, ki, kj), in, ci, r, q)
								}
							}
						}
					}
				}
			}
		}
	}
	return gx, gw, gb
}

// The chunked, parallel convolution (several images per GEMM, images split
// across goroutines or GEMMs split) agrees with the direct loops forward and
// backward, for batch sizes that leave ragged chunks and for 1, 2 and 3
// goroutines, and gives the same bits when run twice.
func TestConv2dChunkedMatchesNaive(t *testing.T) {
	cases := []struct {
		x, w []int
		s, p int
	}{
		{[]int{0, 3, 3, 3}, []int{5, 3, 3, 3}, 1, 1},   // ResNet stage 4-like: 9 positions, many images per chunk
		{[]int{0, 2, 7, 5}, []int{3, 2, 3, 3}, 2, 1},   // stride 2, odd sizes
		{[]int{0, 3, 6, 6}, []int{4, 3, 1, 1}, 2, 0},   // 1x1 shortcut
		{[]int{0, 2, 4, 4}, []int{3, 2, 1, 1}, 1, 0},   // pointwise
		{[]int{0, 1, 11, 13}, []int{2, 1, 5, 5}, 1, 2}, // LeNet conv1-like, primes
	}
	for _, procs := range []int{1, 2, 3} {
		old := runtime.GOMAXPROCS(procs)
		for ci, tc := range cases {
			for _, n := range []int{1, 2, 7, 37} {
				name := fmt.Sprintf("procs%d/case%d/n%d", procs, ci, n)
				xs := append([]int{n}, tc.x[1:]...)
				x, w, b := convRand(uint64(100*ci+n), xs...), convRand(uint64(100*ci+n+1), tc.w...), convRand(uint64(100*ci+n+2), tc.w[0])
				checkConvAgainstNaive(t, name, x, w, b, uint64(n), tc.s, tc.p, convTol{f64: 1e-12, grad64: 1e-12, f32: 1e-5, gw32: 1e-4 * float64(n)})
			}
		}
		runtime.GOMAXPROCS(old)
	}
}

// convTol bounds the differences checkConvAgainstNaive accepts: float64
// forward and gradients, float32 forward, input gradient (0: not
// checked) and weight gradient.
type convTol struct{ f64, grad64, f32, gx32, gw32 float64 }

// checkConvAgainstNaive compares Conv2d with the direct loops for x, w, b
// (float64, requiring gradients) and a random output gradient from
// gySeed: forward and the three gradients in float64, then twice in
// float32, which must agree with the float64 loops within tol and give the
// same bits both times.
func checkConvAgainstNaive(t *testing.T, name string, x, w, b *tensor.Tensor, gySeed uint64, s, p int, tol convTol) {
	t.Helper()
	want := convNaive(x, w, b, s, p)
	gy := tensor.RandUniform(tensor.NewRNG(gySeed), tensor.Float64, -1, 1, want.Shape()...)
	wgx, wgw, wgb := convNaiveBackward(x, w, gy, s, p)
	y := tensor.Conv2d(x, w, b, s, p)
	if d := convMaxDiff(t, y, want); d > tol.f64 {
		t.Errorf("%s: forward differs from the direct loops by %g", name, d)
	}
	y.BackwardWith(gy)
	for _, g := range [][2]*tensor.Tensor{{x.Grad(), wgx}, {w.Grad(), wgw}, {b.Grad(), wgb}} {
		if d := convMaxDiff(t, g[0], g[1]); d > tol.grad64 {
			t.Errorf("%s: gradient of shape %v differs from the direct loops by %g", name, g[1].Shape(), d)
		}
	}
	// float32, twice: within rounding of the float64 result, and bitwise
	// reproducible.
	var runs [2][]float64
	for r := range runs {
		x32 := x.Detach().To(tensor.Float32).SetRequiresGrad(true)
		w32 := w.Detach().To(tensor.Float32).SetRequiresGrad(true)
		b32 := b.Detach().To(tensor.Float32).SetRequiresGrad(true)
		y32 := tensor.Conv2d(x32, w32, b32, s, p)
		y32.BackwardWith(gy.To(tensor.Float32))
		if d := convMaxDiff(t, y32, want); d > tol.f32 {
			t.Errorf("%s: float32 forward differs by %g", name, d)
		}
		if d := convMaxDiff(t, x32.Grad(), wgx); tol.gx32 > 0 && d > tol.gx32 {
			t.Errorf("%s: float32 input gradient differs by %g", name, d)
		}
		if d := convMaxDiff(t, w32.Grad(), wgw); d > tol.gw32 {
			t.Errorf("%s: float32 weight gradient differs by %g", name, d)
		}
		runs[r] = slices.Concat(y32.Float64s(), x32.Grad().Float64s(), w32.Grad().Float64s(), b32.Grad().Float64s())
	}
	if !slices.Equal(runs[0], runs[1]) {
		t.Errorf("%s: two float32 runs differ", name)
	}
}
