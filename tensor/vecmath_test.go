package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulpDiff is the distance in units in the last place between two finite
// float32 values of the same sign (or zero), counted on the bit patterns,
// which are ordered like the values for non-negative floats (subnormals
// included).
func ulpDiff(a, b float32) int64 {
	d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
	if d < 0 {
		d = -d
	}
	return d
}

// sweep32 calls f on lo, hi, and on every float32 in [lo, hi] whose
// magnitude's bit pattern is a multiple of step (both signs, subnormals
// included).
func sweep32(lo, hi float32, step uint32, f func(x float32)) {
	f(lo)
	f(hi)
	top := math.Float32bits(max(-lo, hi))
	for u := uint32(0); u <= top; u += step {
		x := math.Float32frombits(u)
		if x <= hi {
			f(x)
		}
		if -x >= lo {
			f(-x)
		}
	}
}

// exp32 is within 2 ulp of the correctly rounded e^x on the whole range
// where the result is a normal float; in the subnormal range (x below about
// -87.3) the absolute error stays within 2 ulp of the smallest normal.
func TestExp32Accuracy(t *testing.T) {
	worst, at := int64(0), float32(0)
	sweep32(-104, 88.72, 97, func(x float32) {
		got := exp32(x)
		want := float32(math.Exp(float64(x)))
		if d := ulpDiff(got, want); d > worst {
			worst, at = d, x
		}
	})
	t.Logf("exp32: worst error %d ulp at x = %g", worst, at)
	if worst > 2 {
		t.Errorf("exp32: %d ulp at x = %g: got %g, want %g", worst, at, exp32(at), math.Exp(float64(at)))
	}
	for _, c := range []struct{ x, want float32 }{
		{0, 1}, {float32(math.Inf(-1)), 0}, {-200, 0}, {float32(math.Inf(1)), float32(math.Inf(1))}, {89, float32(math.Inf(1))},
	} {
		if got := exp32(c.x); got != c.want {
			t.Errorf("exp32(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if got := exp32(float32(math.NaN())); got == got {
		t.Errorf("exp32(NaN) = %g, want NaN", got)
	}
}

// sigmoid32 is within 2 ulp of the float64 sigmoid rounded to float32 for
// every input, including the subnormal outputs far left.
func TestSigmoid32Accuracy(t *testing.T) {
	worst, at := int64(0), float32(0)
	sweep32(-120, 120, 89, func(x float32) {
		got := sigmoid32(x)
		want := float32(sigmoid(float64(x)))
		if d := ulpDiff(got, want); d > worst {
			worst, at = d, x
		}
	})
	t.Logf("sigmoid32: worst error %d ulp at x = %g", worst, at)
	if worst > 2 {
		t.Errorf("sigmoid32: %d ulp at x = %g: got %g, want %g", worst, at, sigmoid32(at), sigmoid(float64(at)))
	}
	inf := float32(math.Inf(1))
	for _, c := range []struct{ x, want float32 }{
		{0, 0.5}, {float32(math.Copysign(0, -1)), 0.5}, {inf, 1}, {-inf, 0}, {200, 1}, {-200, 0},
	} {
		if got := sigmoid32(c.x); got != c.want {
			t.Errorf("sigmoid32(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if got := sigmoid32(float32(math.NaN())); got == got {
		t.Errorf("sigmoid32(NaN) = %g, want NaN", got)
	}
}

// The vector kernels (and their split across goroutines) give exactly the
// bits of the Go loop, for lengths around the vector widths and for
// special values.
func TestSigmoidVecMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		-87.5, -103.9, -104.1, 88.7, 1e-30, -1e-30, math.MaxFloat32, -math.MaxFloat32, 1.5e-45}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 97, 1000, 4099, parallelMinElems + 13} {
		src := make([]float32, n)
		for i := range src {
			switch {
			case i < len(special) && n < 100:
				src[i] = special[i]
			default:
				src[i] = float32(rng.NormFloat64() * 20)
			}
		}
		want := make([]float32, n)
		sigmoidGo(want, src)
		for name, f := range map[string]func(dst, src []float32){"sigmoidVec": sigmoidVec, "sigmoidSlice": sigmoidSlice} {
			got := make([]float32, n)
			f(got, src)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s, n = %d: element %d (x = %g) is %g, the Go loop gives %g", name, n, i, src[i], got[i], want[i])
				}
			}
		}
	}
}

// The vectorised ReLU gives the Go loop's bits, NaN and -0 included.
func TestReluVecMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 15, 16, 17, 33, 100} {
		src, g := make([]float32, n), make([]float32, n)
		for i := range src {
			src[i], g[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		src[0] = float32(math.NaN())
		if n > 2 {
			src[1], src[2] = float32(math.Copysign(0, -1)), float32(math.Inf(1))
		}
		want, got := make([]float32, n), make([]float32, n)
		reluForward(want, src)
		reluVec(got, src)
		wantB, gotB := make([]float32, n), make([]float32, n)
		reluBackward(wantB, g, want)
		reluBackVec(gotB, g, want)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.Float32bits(gotB[i]) != math.Float32bits(wantB[i]) {
				t.Fatalf("n = %d, element %d (x = %g): forward %g backward %g, the Go loops give %g and %g", n, i, src[i], got[i], gotB[i], want[i], wantB[i])
			}
		}
	}
}
