//go:build cuda

package cuda

import "testing"

func TestSmoke(t *testing.T) {
	d := testDevice(t)
	t.Logf("%s (emulated %v)", d, emulated)
	a, _ := d.FromFloat32([]float32{1, 2, 3})
	b, _ := d.FromFloat32([]float32{10, 20, 30})
	y, _ := d.Alloc(F32, 3)
	if err := d.Binary(OpAdd, a, b, y); err != nil {
		t.Fatal(err)
	}
	out := make([]float32, 3)
	if err := d.Download32(out, y); err != nil {
		t.Fatal(err)
	}
	t.Log(out)
	s, _ := d.Alloc(F32, 1)
	if err := d.Sum(y, 1, s); err != nil {
		t.Fatal(err)
	}
	v, err := d.Scalar(s)
	t.Log(v, err)
}
