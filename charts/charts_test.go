package charts

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLinesWritesPNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	s := []Series{
		{Name: "loss", X: []float64{1, 2, 3}, Y: []float64{2.3, 0.9, 0.6}},
		{Name: "test acc", X: []float64{1, 2, 3}, Y: []float64{0.3, 0.6, 0.7}},
	}
	for _, name := range []string{"curves.png", "curves.svg"} {
		path := filepath.Join(dir, name)
		if err := Lines(path, "LeNet", "epoch", "", false, s...); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(name) {
		case ".png":
			if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 2000 {
				t.Errorf("%s: not a non-trivial PNG (%d bytes)", name, len(b))
			}
		case ".svg":
			if !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "test acc") {
				t.Errorf("%s: SVG lacks the svg element or the legend", name)
			}
		}
	}
}

func TestLinesRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, path string
		logY       bool
		s          Series
		want       string
	}{
		{"length mismatch", "a.png", false, Series{Name: "x", X: []float64{1, 2}, Y: []float64{1}}, "2 x values and 1 y values"},
		{"log of zero", "b.png", true, Series{Name: "norm", X: []float64{1, 2}, Y: []float64{1, 0}}, "positive"},
		{"extension", "c.jpg", false, Series{Name: "x", X: []float64{1}, Y: []float64{1}}, ".png, .svg or .pdf"},
	}
	for _, c := range cases {
		err := Lines(filepath.Join(dir, c.path), "t", "x", "y", c.logY, c.s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
		if _, statErr := os.Stat(filepath.Join(dir, c.path)); statErr == nil {
			t.Errorf("%s: a file was written despite the error", c.name)
		}
	}
}

func TestRegions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "regions.png")
	f := func(x, y float64) float64 { return x + y }
	err := Regions(path, "boundary", "x1", "x2", f, -2, 2, -2, 2,
		Points{Name: "+1", X: []float64{1, 1.5}, Y: []float64{1, 0.5}},
		Points{Name: "-1", X: []float64{-1}, Y: []float64{-1.5}})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() < 2000 {
		t.Fatalf("regions plot missing or trivial: %v", err)
	}
	g := &signGrid{n: 2, x0: -1, y0: -1, dx: 1, dy: 1, f: f}
	if g.Z(0, 0) != 0 || g.Z(1, 1) != 1 {
		t.Errorf("sign grid: Z(0,0)=%v Z(1,1)=%v, want 0 and 1", g.Z(0, 0), g.Z(1, 1))
	}
}

func TestRegionsRowWritesPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "row.png")
	f := func(x, y float64) float64 { return x - y }
	var panels []Panel
	for _, n := range []string{"x1-x2", "x1-x3", "x2-x3"} {
		panels = append(panels, Panel{Title: n, XLabel: "a", YLabel: "b", F: f, X0: -1, X1: 1, Y0: -1, Y1: 1,
			Sets: []Points{{Name: "+1", X: []float64{0.5}, Y: []float64{-0.5}}}})
	}
	if err := RegionsRow(path, "epoch 1", panels...); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 2000 {
		t.Errorf("not a non-trivial PNG (%d bytes)", len(b))
	}
	if err := RegionsRow(filepath.Join(t.TempDir(), "row.gif"), "", panels...); err == nil {
		t.Error("a .gif path gave no error")
	}
}

func TestDecadeTicks(t *testing.T) {
	ts := decadeTicks{}.Ticks(1e-45, 1e30)
	labelled := 0
	for _, tk := range ts {
		if tk.Label != "" {
			labelled++
		}
	}
	if len(ts) != 76 || labelled > 9 || labelled < 4 {
		t.Errorf("%d ticks, %d labelled; want 76 with 4..9 labels", len(ts), labelled)
	}
	if ts := (decadeTicks{}).Ticks(0.01, 100); ts[0].Label != "0.01" || ts[2].Label != "1" || ts[4].Label != "100" {
		t.Errorf("labels %q %q %q", ts[0].Label, ts[2].Label, ts[4].Label)
	}
}
