// Package charts draws the kit's figures with gonum/plot: training curves,
// task 1's data with its decision regions, and the RNN gradient norms of
// conceptual problem 6. The file name's extension picks the format (.png,
// .svg or .pdf).
package charts

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgimg" // the png format of draw.NewFormattedCanvas
	_ "gonum.org/v1/plot/vg/vgpdf" // pdf
	_ "gonum.org/v1/plot/vg/vgsvg" // svg
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
		p.Y.Tick.Marker = decadeTicks{}
		// Curves on a log axis usually fan out to the right from a common
		// start: the bottom left is where the legend hides the least.
		p.Legend.Top, p.Legend.Left = false, true
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
		if len(pts) > 20 { // markers on every point would hide the lines
			p.Add(l)
			p.Legend.Add(s.Name, l)
			continue
		}
		p.Add(l, sc)
		p.Legend.Add(s.Name, l, sc)
	}
	p.Add(plotter.NewGrid())
	return save(p, path, 6*vg.Inch, 4*vg.Inch)
}

// decadeTicks marks the powers of ten of a log axis, labelling at most
// about eight of them ("1e-30", "0.01", "1", "1e5") so the labels never
// overlap; the others get unlabelled ticks.
type decadeTicks struct{}

func (decadeTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi >= lo) {
		return nil
	}
	a, b := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	step := max((b-a+7)/8, 1)
	var ts []plot.Tick
	for e := a; e <= b; e++ {
		t := plot.Tick{Value: math.Pow(10, float64(e))}
		if e%step == 0 {
			t.Label = fmt.Sprintf("1e%d", e)
			if e >= -3 && e <= 3 {
				t.Label = strconv.FormatFloat(t.Value, 'f', -1, 64)
			}
		}
		ts = append(ts, t)
	}
	return ts
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
	p, err := regionsPlot(Panel{Title: title, XLabel: xLabel, YLabel: yLabel, F: f, X0: x0, X1: x1, Y0: y0, Y1: y1, Sets: sets})
	if err != nil {
		return err
	}
	return save(p, path, 5*vg.Inch, 5*vg.Inch)
}

// Panel is one plot of RegionsRow: what Regions draws; a nil F draws the
// points alone.
type Panel struct {
	Title, XLabel, YLabel string
	F                     func(x, y float64) float64
	X0, X1, Y0, Y1        float64
	Sets                  []Points
}

// RegionsRow draws panels side by side in one figure, as Regions draws
// one (task 1 shows its three 2-D projections this way), under a title
// naming the figure.
func RegionsRow(path, title string, panels ...Panel) error {
	if len(panels) == 0 {
		return fmt.Errorf("charts: %s: no panels", path)
	}
	row := make([]*plot.Plot, len(panels))
	for i, pn := range panels {
		p, err := regionsPlot(pn)
		if err != nil {
			return err
		}
		row[i] = p
	}
	format, err := formatOf(path)
	if err != nil {
		return err
	}
	w, h := vg.Length(len(panels))*4*vg.Inch, 4.4*vg.Inch
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return fmt.Errorf("charts: %w", err)
	}
	dc := draw.New(c)
	if title != "" {
		top := dc
		top.Min.Y = top.Max.Y - 0.4*vg.Inch
		sty := plot.New().Title.TextStyle // the plots' own title style
		sty.Font.Size = vg.Points(13)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
		top.FillText(sty, vg.Point{X: (top.Min.X + top.Max.X) / 2, Y: (top.Min.Y + top.Max.Y) / 2}, title)
		dc.Max.Y -= 0.4 * vg.Inch
	}
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: 0.2 * vg.Inch, PadTop: 0.05 * vg.Inch,
		PadBottom: 0.05 * vg.Inch, PadLeft: 0.05 * vg.Inch, PadRight: 0.1 * vg.Inch}
	canvases := plot.Align([][]*plot.Plot{row}, tiles, dc)
	for i, p := range row {
		p.Draw(canvases[0][i])
	}
	return writeAtomic(path, c)
}

func regionsPlot(pn Panel) (*plot.Plot, error) {
	title, xLabel, yLabel, f, sets := pn.Title, pn.XLabel, pn.YLabel, pn.F, pn.Sets
	x0, x1, y0, y1 := pn.X0, pn.X1, pn.Y0, pn.Y1
	if !(x1 > x0 && y1 > y0) {
		return nil, fmt.Errorf("charts: empty region [%g, %g] x [%g, %g]", x0, x1, y0, y1)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	if f != nil {
		// f > 0 is tinted like the first point set (plotutil's red), f <= 0
		// like the second (green), so a class sits on its own colour when
		// it is classified right.
		const n = 120
		g := &signGrid{n: n, x0: x0, y0: y0, dx: (x1 - x0) / n, dy: (y1 - y0) / n, f: f}
		pal := palette{color.RGBA{R: 205, G: 235, B: 205, A: 255}, color.RGBA{R: 250, G: 210, B: 205, A: 255}}
		h := plotter.NewHeatMap(g, pal)
		h.Min, h.Max = 0, 1
		p.Add(h)
	}
	for i, s := range sets {
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("charts: point set %q has %d x values and %d y values", s.Name, len(s.X), len(s.Y))
		}
		pts := make(plotter.XYs, len(s.X))
		for j := range s.X {
			pts[j].X, pts[j].Y = s.X[j], s.Y[j]
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("charts: point set %q: %w", s.Name, err)
		}
		sc.Color = plotutil.Color(i)
		sc.Shape = plotutil.Shape(i)
		p.Add(sc)
		p.Legend.Add(s.Name, sc)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = x0, x1, y0, y1
	return p, nil
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

// formatOf returns the format the path's extension names.
func formatOf(path string) (string, error) {
	switch ext := filepath.Ext(path); ext {
	case ".png", ".svg", ".pdf":
		return ext[1:], nil
	}
	return "", fmt.Errorf("charts: %s: the extension must be .png, .svg or .pdf", path)
}

// writeAtomic writes a drawn canvas to path through a temporary file.
func writeAtomic(path string, c io.WriterTo) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("charts: %w", err)
	}
	tmp := path + ".tmp" + filepath.Ext(path)
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("charts: %w", err)
	}
	_, err = c.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("charts: saving %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

func save(p *plot.Plot, path string, w, h vg.Length) error {
	if _, err := formatOf(path); err != nil {
		return err
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
