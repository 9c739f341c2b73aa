package gradcheck_test

import (
	"math"
	"testing"

	"nnkit/tensor/gradcheck"
)

// RelErr by hand: equal vectors, a 3-4-5 triangle, a scaled vector, a
// zero reference (the floor keeps it finite), and unequal lengths.
func TestRelErr(t *testing.T) {
	for _, tc := range []struct {
		got, want []float64
		rel       float64
	}{
		{[]float64{1, 2, 2}, []float64{1, 2, 2}, 0},
		{[]float64{3, 0}, []float64{3, 4}, 0.8},
		{[]float64{0, 0, 1}, []float64{0, 0, 2}, 0.5},
		{[]float64{1e-40, 0}, []float64{0, 0}, 1e-10},
	} {
		if got := gradcheck.RelErr(tc.got, tc.want); math.Abs(got-tc.rel) > 1e-15*math.Max(1, tc.rel) {
			t.Errorf("RelErr(%v, %v) = %v, want %v", tc.got, tc.want, got, tc.rel)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("RelErr of 2 values against 3: no panic")
		}
	}()
	gradcheck.RelErr([]float64{1, 2}, []float64{1, 2, 3})
}
