package notebook

import (
	"testing"

	"nnkit/spec"
)

// TestMinResize: the smallest side whose shape table has no empty layer,
// and the table's last stage really is empty just below it.
func TestMinResize(t *testing.T) {
	m := MinResize()
	if m != 32 {
		t.Errorf("MinResize() = %d, want 32 (ResNet-18 halves the side five times)", m)
	}
	empty := false
	for _, l := range spec.ResNetShapes(m - 1) {
		for _, d := range l.OutputShape {
			empty = empty || d < 1
		}
	}
	if !empty {
		t.Errorf("spec.ResNetShapes(%d) has no empty layer, so %d is not the minimum", m-1, m)
	}
}
