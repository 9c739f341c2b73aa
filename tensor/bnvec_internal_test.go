package tensor

import (
	"math"
	"testing"
)

// The vectorised elementwise passes of batch norm against the Go loops,
// on lengths around the vector width: the same bits.
func TestBatchNormRowsVecSameBits(t *testing.T) {
	rng := NewRNG(3)
	for _, n := range []int{1, 7, 15, 16, 17, 31, 33, 36, 144, 577} {
		x := RandUniform(rng, Float32, -3, 3, n).f32
		gy := RandUniform(rng, Float32, -3, 3, n).f32
		want, got := make([]float32, n), make([]float32, n)
		bnNormRow(want, x, 0.3, 1.7, -0.2)
		bnNormVec(got, x, 0.3, 1.7, -0.2)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("norm n %d: [%d] = %v, want %v", n, i, got[i], want[i])
			}
		}
		bnGradRow(want, gy, x, 1.3, -0.01, 0.07, 0.3)
		bnGradVec(got, gy, x, 1.3, -0.01, 0.07, 0.3)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("grad n %d: [%d] = %v, want %v", n, i, got[i], want[i])
			}
		}
	}
}

// Batch norm's float64 sums on AVX-512 against the Go loops that define
// their order, on lengths around the block of 16: the same bits.
func TestBatchNormRowSumsVecSameBits(t *testing.T) {
	rng := NewRNG(5)
	for _, n := range []int{1, 9, 15, 16, 17, 31, 32, 36, 144, 577, 2304} {
		x := RandUniform(rng, Float32, -3, 5, n).f32
		gy := RandUniform(rng, Float32, -3, 3, n).f32
		same := func(what string, got, want float64) {
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("%s n %d: %v, want %v", what, n, got, want)
			}
		}
		same("sum", bnRowSumVec(x), bnRowSum(x))
		same("sqdev", bnRowSqDevVec(x, 0.7), bnRowSqDev(x, 0.7))
		a, b := bnRowBackSumsVec(gy, x, 0.7)
		c, d := bnRowBackSums(gy, x, 0.7)
		same("sg", a, c)
		same("sgx", b, d)
		// and the sum is the sum, to rounding
		var s float64
		for _, v := range x {
			s += float64(v)
		}
		if math.Abs(bnRowSum(x)-s) > 1e-9*float64(n) {
			t.Fatalf("sum n %d: %v, want about %v", n, bnRowSum(x), s)
		}
	}
}

// sumLanes8 is the sum, to rounding, on lengths around its block of 8.
func TestSumLanes8(t *testing.T) {
	rng := NewRNG(13)
	for _, n := range []int{0, 1, 7, 8, 9, 15, 17, 36, 577} {
		x := RandUniform(rng, Float64, -1, 1, n).f64
		var want float64
		for _, v := range x {
			want += v
		}
		if got := sumLanes8(x); math.Abs(got-want) > 1e-13*float64(n+1) {
			t.Fatalf("n %d: %v, want %v", n, got, want)
		}
	}
	if got := sumLanes8([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}); got != 55 {
		t.Fatalf("sum 1..10 = %v", got)
	}
}
