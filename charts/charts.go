// Package charts draws the kit's figures with gonum/plot: training curves,
// task 1's data with its decision regions, and the RNN gradient norms of
// conceptual problem 6. The file name's extension picks the format (.png,
// .svg or .pdf).
package charts

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Series is one named line.
type Series struct {
	Name string
	X, Y []float64
}

// Lines draws series against a shared x axis; logY uses a log10 y axis (all
// y must then be positive).
func Lines(path, title, xLabel, yLabel string, logY bool, series ...Series) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	for i, s := range series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("charts: series %q has %d x values and %d y values", s.Name, len(s.X), len(s.Y))
		}
		pts := make(plotter.XYs, len(s.X))
		for j := range s.X {
			if logY && !(s.Y[j] > 0) {
				return fmt.Errorf("charts: series %q has y = %g at x = %g; a log axis needs positive values", s.Name, s.Y[j], s.X[j])
			}
			pts[j].X, pts[j].Y = s.X[j], s.Y[j]
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return fmt.Errorf("charts: series %q: %w", s.Name, err)
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i)
		sc.Color = plotutil.Color(i)
		sc.Shape = plotutil.Shape(i)
		p.Add(l, sc)
		p.Legend.Add(s.Name, l, sc)
	}
	p.Add(plotter.NewGrid())
	return save(p, path, 6*vg.Inch, 4*vg.Inch)
}

// Points is a labelled set of 2-D points.
type Points struct {
	Name string
	X, Y []float64
}

// Regions draws f's sign over a grid as two shaded regions (f > 0 and
// f <= 0) on [x0, x1] x [y0, y1], with the point sets on top: a classifier's
// decision regions and its data.
func Regions(path, title, xLabel, yLabel string, f func(x, y float64) float64, x0, x1, y0, y1 float64, sets ...Points) error {
	if !(x1 > x0 && y1 > y0) {
		return fmt.Errorf("charts: empty region [%g, %g] x [%g, %g]", x0, x1, y0, y1)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	const n = 120
	g := &signGrid{n: n, x0: x0, y0: y0, dx: (x1 - x0) / n, dy: (y1 - y0) / n, f: f}
	pal := palette{color.RGBA{R: 250, G: 210, B: 200, A: 255}, color.RGBA{R: 200, G: 220, B: 250, A: 255}}
	h := plotter.NewHeatMap(g, pal)
	h.Min, h.Max = 0, 1
	p.Add(h)
	for i, s := range sets {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("charts: point set %q has %d x values and %d y values", s.Name, len(s.X), len(s.Y))
		}
		pts := make(plotter.XYs, len(s.X))
		for j := range s.X {
			pts[j].X, pts[j].Y = s.X[j], s.Y[j]
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("charts: point set %q: %w", s.Name, err)
		}
		sc.Color = plotutil.Color(i)
		sc.Shape = plotutil.Shape(i)
		p.Add(sc)
		p.Legend.Add(s.Name, sc)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = x0, x1, y0, y1
	return save(p, path, 5*vg.Inch, 5*vg.Inch)
}

// signGrid samples the sign of f at cell centres: 1 where f > 0, else 0.
type signGrid struct {
	n              int
	x0, y0, dx, dy float64
	f              func(x, y float64) float64
}

func (g *signGrid) Dims() (c, r int)   { return g.n, g.n }
func (g *signGrid) X(c int) float64    { return g.x0 + (float64(c)+0.5)*g.dx }
func (g *signGrid) Y(r int) float64    { return g.y0 + (float64(r)+0.5)*g.dy }
func (g *signGrid) Z(c, r int) float64 { return b2f(g.f(g.X(c), g.Y(r)) > 0) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

type palette []color.Color

func (p palette) Colors() []color.Color { return p }

func save(p *plot.Plot, path string, w, h vg.Length) error {
	switch filepath.Ext(path) {
	case ".png", ".svg", ".pdf":
	default:
		return fmt.Errorf("charts: %s: the extension must be .png, .svg or .pdf", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("charts: %w", err)
	}
	// Write to a temporary file and rename, so a failed save never leaves a
	// truncated figure behind.
	tmp := path + ".tmp" + filepath.Ext(path)
	if err := p.Save(w, h, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("charts: saving %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
