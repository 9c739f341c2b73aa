//go:build amd64 && !purego

package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Both assembly kernels, whichever one sigmoidVec picks on this CPU, give
// the Go loop's bits.
func TestSigmoidAsmKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	src := make([]float32, 16*40)
	for i := range src {
		src[i] = float32(rng.NormFloat64() * 30)
	}
	src[0], src[1], src[2] = float32(math.NaN()), float32(math.Inf(-1)), float32(math.Copysign(0, -1))
	want := make([]float32, len(src))
	sigmoidGo(want, src)
	kernels := map[string]struct {
		ok bool
		f  func(dst, src *float32, n int)
	}{"AVX-512": {hasAVX512, sigmoidAVX512}, "AVX2": {hasAVX2, sigmoidAVX2}}
	for name, k := range kernels {
		if !k.ok {
			t.Logf("%s: not on this CPU", name)
			continue
		}
		got := make([]float32, len(src))
		k.f(&got[0], &src[0], len(src))
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: element %d (x = %g) is %g, the Go loop gives %g", name, i, src[i], got[i], want[i])
			}
		}
	}
}

// sigmoidBackVec gives the Go loop's bits, ragged ends included.
func TestSigmoidBackVec(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 15, 16, 17, 100, 16 * 9} {
		g, y := make([]float32, n), make([]float32, n)
		for i := range g {
			g[i] = float32(rng.NormFloat64() * 3)
			y[i] = float32(rng.Float64())
		}
		if n > 2 {
			g[0], y[1] = float32(math.Inf(1)), float32(math.NaN())
		}
		got, want := make([]float32, n), make([]float32, n)
		sigmoidBackVec(got, g, y)
		sigmoidBackward(want, g, y)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: element %d is %g, the Go loop gives %g", n, i, got[i], want[i])
			}
		}
	}
}

// addConst gives the Go loop's bits, ragged ends included.
func TestAddConstVec(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{1, 15, 16, 17, 100} {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		want := make([]float32, n)
		c := float32(rng.NormFloat64())
		for i, v := range s {
			want[i] = v + c
		}
		addConst(s, c)
		for i := range s {
			if math.Float32bits(s[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: element %d is %g, want %g", n, i, s[i], want[i])
			}
		}
	}
}
