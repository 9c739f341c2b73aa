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
	"gonum.org/v1/plot/font"
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
// y must then be positive). Both axes must be labelled, and the legend is
// drawn beside the plot, never over the data.
func Lines(path, title, xLabel, yLabel string, logY bool, series ...Series) error {
	f, err := linesFigure(title, xLabel, yLabel, logY, series...)
	if err != nil {
		return err
	}
	return f.save(path, 7*vg.Inch, 4*vg.Inch)
}

func linesFigure(title, xLabel, yLabel string, logY bool, series ...Series) (*figure, error) {
	p, err := linePlot("", xLabel, yLabel, logY)
	if err != nil {
		return nil, err
	}
	f := newFigure(title, [][]*plot.Plot{{p}})
	for i, s := range series {
		if err := f.addSeries(p, i, s, logY); err != nil {
			return nil, err
		}
	}
	return f, f.checkGlyphs()
}

// Curves draws a training run's curves against the epoch in two panels
// stacked on one x axis: the losses above, on their own axis, and the
// accuracies below, on an axis from 0 to 1. (A loss and an accuracy
// sharing one axis would make neither readable.)
func Curves(path, title string, losses, accuracies []Series) error {
	f, err := curvesFigure(title, losses, accuracies)
	if err != nil {
		return err
	}
	return f.save(path, 7*vg.Inch, 5.5*vg.Inch)
}

func curvesFigure(title string, losses, accuracies []Series) (*figure, error) {
	if len(losses) == 0 || len(accuracies) == 0 {
		return nil, fmt.Errorf("charts: curves need a loss and an accuracy (got %d and %d series)", len(losses), len(accuracies))
	}
	lp, err := linePlot("", "epoch", "loss", false)
	if err != nil {
		return nil, err
	}
	ap, err := linePlot("", "epoch", "accuracy", false)
	if err != nil {
		return nil, err
	}
	ap.Y.Min, ap.Y.Max = 0, 1
	f := newFigure(title, [][]*plot.Plot{{lp}, {ap}})
	for i, s := range losses {
		if err := f.addSeries(lp, i, s, false); err != nil {
			return nil, err
		}
	}
	for i, s := range accuracies {
		for _, y := range s.Y {
			if y < 0 || y > 1 {
				return nil, fmt.Errorf("charts: accuracy %q has the value %g, outside 0..1", s.Name, y)
			}
		}
		if err := f.addSeries(ap, len(losses)+i, s, false); err != nil {
			return nil, err
		}
	}
	return f, f.checkGlyphs()
}

// linePlot is an empty plot with labelled axes and a grid.
func linePlot(title, xLabel, yLabel string, logY bool) (*plot.Plot, error) {
	if xLabel == "" || yLabel == "" {
		return nil, fmt.Errorf("charts: every axis needs a label (x %q, y %q)", xLabel, yLabel)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = decadeTicks{}
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// addSeries draws s on p in the i-th style and names it in the figure's
// legend.
func (f *figure) addSeries(p *plot.Plot, i int, s Series, logY bool) error {
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
		f.legend.Add(s.Name, l)
		return nil
	}
	p.Add(l, sc)
	f.legend.Add(s.Name, l, sc)
	return nil
}

// figure is a grid of plots (rows of plots side by side) under a title,
// with one legend in a column of its own to their right: the legend can
// never hide the data, whatever its shape.
type figure struct {
	title  string
	grid   [][]*plot.Plot // every row has the same number of plots
	legend plot.Legend
}

func newFigure(title string, grid [][]*plot.Plot) *figure {
	f := &figure{title: title, grid: grid, legend: plot.NewLegend()}
	f.legend.Top, f.legend.Left = true, true // its column's top left
	return f
}

// legendGap separates the plots from the legend's column.
const legendGap = 0.15 * vg.Inch

// layout splits c into the title's strip, one canvas per plot (as the
// grid) and the legend's column.
func (f *figure) layout(c draw.Canvas) (title draw.Canvas, plots [][]draw.Canvas, legend draw.Canvas) {
	legend, rest := c, c
	if w := f.legend.Rectangle(c).Size().X; w > 0 {
		legend.Min.X = c.Max.X - w - 0.1*vg.Inch
		rest.Max.X = legend.Min.X - legendGap
	} else {
		legend.Min.X = legend.Max.X
	}
	title = rest
	if f.title != "" {
		title.Min.Y = title.Max.Y - 0.4*vg.Inch
		rest.Max.Y = title.Min.Y
	}
	legend.Max.Y = rest.Max.Y
	tiles := draw.Tiles{Rows: len(f.grid), Cols: len(f.grid[0]), PadX: 0.2 * vg.Inch, PadY: 0.15 * vg.Inch,
		PadTop: 0.05 * vg.Inch, PadBottom: 0.05 * vg.Inch, PadLeft: 0.05 * vg.Inch}
	plots = plot.Align(f.grid, tiles, rest)
	// The legend starts level with the top of the first plot's data.
	legend.Max.Y = f.grid[0][0].DataCanvas(plots[0][0]).Max.Y
	return title, plots, legend
}

func (f *figure) draw(c draw.Canvas) {
	title, plots, legend := f.layout(c)
	if f.title != "" {
		sty := plot.New().Title.TextStyle // the plots' own title style
		sty.Font.Size = vg.Points(13)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
		title.FillText(sty, vg.Point{X: (title.Min.X + title.Max.X) / 2, Y: (title.Min.Y + title.Max.Y) / 2}, f.title)
	}
	for i, row := range f.grid {
		for j, p := range row {
			p.Draw(plots[i][j])
		}
	}
	f.legend.Draw(legend)
}

func (f *figure) save(path string, w, h vg.Length) error {
	format, err := formatOf(path)
	if err != nil {
		return err
	}
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return fmt.Errorf("charts: %w", err)
	}
	f.draw(draw.New(c))
	return writeAtomic(path, c)
}

// checkGlyphs reports text of the figure that the font cannot draw (a
// subscript letter, say), which would show as an empty box.
func (f *figure) checkGlyphs() error {
	texts := []string{f.title}
	for _, row := range f.grid {
		for _, p := range row {
			texts = append(texts, p.Title.Text, p.X.Label.Text, p.Y.Label.Text)
		}
	}
	for _, t := range texts {
		if r := missingGlyphs(t); len(r) > 0 {
			return fmt.Errorf("charts: the font %s has no glyph for %q in %q", plot.DefaultFont.Typeface, string(r), t)
		}
	}
	return nil
}

// missingGlyphs returns the runes of s the plots' default font lacks.
func missingGlyphs(s string) []rune {
	face := font.DefaultCache.Lookup(plot.DefaultFont, 12)
	var missing []rune
	for _, r := range s {
		if i, err := face.Face.GlyphIndex(nil, r); err != nil || i == 0 {
			missing = append(missing, r)
		}
	}
	return missing
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
	fig, err := regionsFigure("", Panel{Title: title, XLabel: xLabel, YLabel: yLabel, F: f, X0: x0, X1: x1, Y0: y0, Y1: y1, Sets: sets})
	if err != nil {
		return err
	}
	return fig.save(path, 6*vg.Inch, 5*vg.Inch)
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
// naming the figure. The panels' point sets are named once, in a legend
// beside the row: the first panel's names stand for all.
func RegionsRow(path, title string, panels ...Panel) error {
	fig, err := regionsFigure(title, panels...)
	if err != nil {
		return err
	}
	return fig.save(path, vg.Length(len(panels))*4*vg.Inch+1*vg.Inch, 4.4*vg.Inch)
}

func regionsFigure(title string, panels ...Panel) (*figure, error) {
	if len(panels) == 0 {
		return nil, fmt.Errorf("charts: no panels")
	}
	fig := newFigure(title, [][]*plot.Plot{make([]*plot.Plot, len(panels))})
	for i, pn := range panels {
		leg := &fig.legend
		if i > 0 {
			leg = nil
		}
		p, err := regionsPlot(pn, leg)
		if err != nil {
			return nil, err
		}
		fig.grid[0][i] = p
	}
	return fig, fig.checkGlyphs()
}

// regionsPlot draws one panel, naming its point sets in legend unless it
// is nil.
func regionsPlot(pn Panel, legend *plot.Legend) (*plot.Plot, error) {
	title, xLabel, yLabel, f, sets := pn.Title, pn.XLabel, pn.YLabel, pn.F, pn.Sets
	x0, x1, y0, y1 := pn.X0, pn.X1, pn.Y0, pn.Y1
	if !(x1 > x0 && y1 > y0) {
		return nil, fmt.Errorf("charts: empty region [%g, %g] x [%g, %g]", x0, x1, y0, y1)
	}
	if xLabel == "" || yLabel == "" {
		return nil, fmt.Errorf("charts: every axis needs a label (x %q, y %q)", xLabel, yLabel)
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
		if legend != nil {
			legend.Add(s.Name, sc)
		}
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
