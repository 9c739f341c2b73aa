package cudatest

import (
	"math"
	"testing"
)

// CloseTo compares a device's results got with want elementwise:
// |got-want| <= tol*(1+|want|), NaN matching NaN; it reports the first
// three that differ and how many do.
func CloseTo(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	bad := 0
	for i := range got {
		d := math.Abs(got[i] - want[i])
		if !(d <= tol*(1+math.Abs(want[i]))) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			if bad < 3 {
				t.Errorf("%s[%d] = %g, want %g (diff %g)", what, i, got[i], want[i], d)
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(got))
	}
}
