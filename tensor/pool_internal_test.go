package tensor

import (
	"math"
	"testing"
)

// maxPoolRef is the general scan of maxPoolForward, without fast paths.
func maxPoolRef(g poolGeom, y []float32, arg []int32, x []float32) {
	hw, ohw := g.h*g.w, g.oh*g.ow
	for pl := 0; pl < g.planes; pl++ {
		xp := x[pl*hw : (pl+1)*hw]
		for i := 0; i < g.oh; i++ {
			for j := 0; j < g.ow; j++ {
				bi := g.r0[i]*g.w + g.c0[j]
				best := xp[bi]
				for r := g.r0[i]; r < g.r1[i]; r++ {
					for c := g.c0[j]; c < g.c1[j]; c++ {
						if v := xp[r*g.w+c]; v > best || v != v {
							best, bi = v, r*g.w+c
						}
					}
				}
				y[pl*ohw+i*g.ow+j], arg[pl*ohw+i*g.ow+j] = best, int32(bi)
			}
		}
	}
}

// The fast paths of max pooling against the general scan, on awkward
// shapes with many ties, signed zeros and NaNs: same values (bits) and
// same argmaxes.
func TestMaxPoolFastPathsMatchScan(t *testing.T) {
	rng := NewRNG(7)
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2, float32(math.NaN())}
	for _, k := range []int{2, 3} {
		for _, s := range []int{1, 2, 3} {
			for p := 0; p <= k/2; p++ {
				for _, hw := range [][2]int{{3, 3}, {4, 7}, {5, 5}, {7, 4}, {11, 13}, {48, 48}, {6, 9}, {9, 70}, {5, 35}, {4, 36}} {
					if hw[0]+2*p < k || hw[1]+2*p < k {
						continue
					}
					for _, nanRate := range []int{0, 7} {
						x := New(Float32, 2, 3, hw[0], hw[1])
						for i := range x.f32 {
							n := len(vals) - 1
							if nanRate > 0 && rng.IntN(nanRate) == 0 {
								n++
							}
							x.f32[i] = vals[rng.IntN(n)]
							if rng.IntN(3) == 0 {
								x.f32[i] = float32(rng.Float64())
							}
						}
						g := poolGeometry("MaxPool2d", x, k, s, p)
						n := g.planes * g.oh * g.ow
						y, a := make([]float32, n), make([]int32, n)
						yr, ar := make([]float32, n), make([]int32, n)
						maxPoolForward(g, y, a, x.f32)
						maxPoolRef(g, yr, ar, x.f32)
						for i := range y {
							if math.Float32bits(y[i]) != math.Float32bits(yr[i]) || a[i] != ar[i] {
								t.Fatalf("k %d s %d p %d %v: output %d = %v at %d, want %v at %d", k, s, p, hw, i, y[i], a[i], yr[i], ar[i])
							}
						}
					}
				}
			}
		}
	}
}

// ResNet-18's stem pooling at 96 x 96, batch 32.
func BenchmarkMaxPool3x3s2(b *testing.B) {
	x := RandUniform(NewRNG(1), Float32, -1, 1, 32, 64, 48, 48)
	b.SetBytes(int64(4 * x.Numel()))
	for b.Loop() {
		MaxPool2d(x, 3, 2, 1)
	}
}

// The 2 x 2, stride-2 average pooling kernels against the Go loops'
// operations: same bits forward (values spanning magnitudes, signed zeros,
// infinities, subnormals), the same elements written backward and none
// other, on rows of 1 to 40 outputs and planes with an unused last column
// and row.
func TestAvgPool2PlaneMatchesLoop(t *testing.T) {
	rng := NewRNG(3)
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-40, -3e-39, 3e38}
	const inv = float32(0.25)
	for _, c := range []struct{ oh, ow, w int }{
		{1, 1, 2}, {1, 1, 3}, {2, 7, 14}, {14, 14, 28}, {5, 5, 10}, {5, 5, 11}, {3, 16, 32}, {3, 17, 34}, {2, 31, 63}, {1, 32, 64}, {4, 33, 66}, {2, 40, 81},
	} {
		h := 2*c.oh + c.oh%2 // an unused last row where oh is odd
		x := make([]float32, h*c.w)
		for i := range x {
			x[i] = (rng.Float32() - 0.5) * float32(math.Pow(10, float64(rng.IntN(12)-6)))
			if rng.IntN(9) == 0 {
				x[i] = special[rng.IntN(len(special))]
			}
		}
		y := make([]float32, c.oh*c.ow)
		if !avgPool2Plane(y, x, c.w, c.oh, c.ow, inv, false) {
			t.Skip("no vector kernel in this build")
		}
		for i := range c.oh {
			for j := range c.ow {
				t0, t1, b0, b1 := x[2*i*c.w+2*j], x[2*i*c.w+2*j+1], x[(2*i+1)*c.w+2*j], x[(2*i+1)*c.w+2*j+1]
				want := (t0 + t1 + b0 + b1) * inv
				if got := y[i*c.ow+j]; math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("%+v: y[%d, %d] = %v, want %v", c, i, j, got, want)
				}
			}
		}
		const sentinel = -7
		gx := make([]float32, len(x))
		for i := range gx {
			gx[i] = sentinel
		}
		avgPool2Plane(y, gx, c.w, c.oh, c.ow, inv, true)
		for r := range h {
			for col := range c.w {
				want := float32(sentinel)
				if i, j := r/2, col/2; i < c.oh && j < c.ow {
					want = y[i*c.ow+j] * inv
				}
				if got := gx[r*c.w+col]; math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("%+v: backward gx[%d, %d] = %v, want %v", c, r, col, got, want)
				}
			}
		}
	}
}
