package charts

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func TestLinesWritesPNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	s := []Series{
		{Name: "loss", X: []float64{1, 2, 3}, Y: []float64{2.3, 0.9, 0.6}},
		{Name: "test acc", X: []float64{1, 2, 3}, Y: []float64{0.3, 0.6, 0.7}},
	}
	for _, name := range []string{"curves.png", "curves.svg"} {
		path := filepath.Join(dir, name)
		if err := Lines(path, "LeNet", "epoch", "value", false, s...); err != nil {
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
		{"no y label", "d.png", false, Series{Name: "x", X: []float64{1}, Y: []float64{1}}, "every axis needs a label"},
		{"a glyph the font lacks", "e.png", false, Series{Name: "x", X: []float64{1}, Y: []float64{1}}, "no glyph for \"ₜ\""},
	}
	for _, c := range cases {
		title, yLabel := "t", "y"
		switch c.name {
		case "no y label":
			yLabel = ""
		case "a glyph the font lacks":
			title = "dh_ₜ"
		}
		err := Lines(filepath.Join(dir, c.path), title, "x", yLabel, c.logY, c.s)
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

func TestCurvesWritesPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "curves.png")
	ep := []float64{1, 2, 3}
	err := Curves(path, "LeNet", []Series{{Name: "train loss", X: ep, Y: []float64{2.3, 0.9, 0.6}}},
		[]Series{{Name: "train acc", X: ep, Y: []float64{0.3, 0.6, 0.7}}, {Name: "test acc", X: ep, Y: []float64{0.3, 0.5, 0.7}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 2000 {
		t.Errorf("not a non-trivial PNG (%d bytes)", len(b))
	}
	for _, c := range []struct {
		name       string
		loss, accs []Series
		want       string
	}{
		{"no accuracy", []Series{{Name: "loss", X: ep, Y: ep}}, nil, "a loss and an accuracy"},
		{"accuracy above 1", []Series{{Name: "loss", X: ep, Y: ep}}, []Series{{Name: "acc", X: ep, Y: []float64{0.5, 1.5, 1}}}, "outside 0..1"},
	} {
		if err := Curves(filepath.Join(t.TempDir(), "c.png"), "t", c.loss, c.accs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// TestFiguresKeepTheLegendOffTheData lays out every kind of figure at its
// saved size: the legend's box must not meet any plot's data area, and
// every axis must be labelled.
func TestFiguresKeepTheLegendOffTheData(t *testing.T) {
	ep := []float64{1, 2, 3, 4}
	var many []Series
	for i := range 6 {
		many = append(many, Series{Name: "rho " + strings.Repeat("8", i+1), X: ep, Y: []float64{1, 0.1, 0.01, 1e-3}})
	}
	lines, err := linesFigure("norms", "lag k", "norm", true, many...)
	if err != nil {
		t.Fatal(err)
	}
	curves, err := curvesFigure("LeNet", []Series{{Name: "train loss", X: ep, Y: ep}},
		[]Series{{Name: "train acc", X: ep, Y: []float64{0.1, 0.2, 0.3, 0.4}}, {Name: "test acc", X: ep, Y: []float64{0.1, 0.2, 0.3, 0.5}}})
	if err != nil {
		t.Fatal(err)
	}
	pn := Panel{Title: "x1-x2", XLabel: "x1", YLabel: "x2", X0: -1, X1: 1, Y0: -1, Y1: 1,
		Sets: []Points{{Name: "class +1", X: []float64{0.5}, Y: []float64{0.5}}, {Name: "class -1", X: []float64{-0.5}, Y: []float64{-0.5}}}}
	regions, err := regionsFigure("epoch 1", pn, pn, pn)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    *figure
		w, h vg.Length
	}{
		{"lines", lines, 7 * vg.Inch, 4 * vg.Inch},
		{"curves", curves, 7 * vg.Inch, 5.5 * vg.Inch},
		{"regions", regions, 13 * vg.Inch, 4.4 * vg.Inch},
	} {
		canvas := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: c.w, Y: c.h}}}
		_, plots, legendC := c.f.layout(canvas)
		leg := c.f.legend.Rectangle(legendC)
		if leg.Size().X <= 0 || leg.Size().Y <= 0 {
			t.Errorf("%s: an empty legend %v", c.name, leg)
		}
		if !inside(leg, canvas.Rectangle) {
			t.Errorf("%s: the legend %v leaves the figure %v", c.name, leg, canvas.Rectangle)
		}
		for i, row := range c.f.grid {
			for j, p := range row {
				data := p.DataCanvas(plots[i][j]).Rectangle
				if overlap(leg, data) {
					t.Errorf("%s: the legend %v overlaps plot (%d,%d)'s data %v", c.name, leg, i, j, data)
				}
				if p.X.Label.Text == "" || p.Y.Label.Text == "" {
					t.Errorf("%s: plot (%d,%d) has an unlabelled axis (x %q, y %q)", c.name, i, j, p.X.Label.Text, p.Y.Label.Text)
				}
			}
		}
	}
	if a := curves.grid[1][0]; a.Y.Label.Text != "accuracy" || a.Y.Min != 0 || a.Y.Max != 1 {
		t.Errorf("the accuracy panel: y label %q from %g to %g, want accuracy from 0 to 1", a.Y.Label.Text, a.Y.Min, a.Y.Max)
	}
	if l := curves.grid[0][0]; l.Y.Label.Text != "loss" {
		t.Errorf("the loss panel's y label is %q", l.Y.Label.Text)
	}
}

func overlap(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

func inside(a, b vg.Rectangle) bool {
	return a.Min.X >= b.Min.X && a.Max.X <= b.Max.X && a.Min.Y >= b.Min.Y && a.Max.Y <= b.Max.Y
}

func TestMissingGlyphs(t *testing.T) {
	for _, c := range []struct{ s, want string }{
		{"‖∂h(T)/∂h(T−k)‖", ""},
		{"epoch", ""},
		{"h_ₜ ₖ", "ₜₖ"},
	} {
		if got := string(missingGlyphs(c.s)); got != c.want {
			t.Errorf("missingGlyphs(%q) = %q, want %q", c.s, got, c.want)
		}
	}
}
