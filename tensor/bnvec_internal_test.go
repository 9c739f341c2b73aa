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
