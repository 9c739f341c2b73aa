package similar

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// similarity.html is one file an instructor opens from disk: no network,
// no external asset. The page is a small skeleton (header, task tabs, a
// histogram per task as inline SVG, an empty pairs table, an empty pair
// view) followed by the data and report.js, which builds the table one
// page at a time and a pair's two files only when the pair is opened, so
// that a report of 1,000 students holds no 500,000 rows of DOM.
//
// The data is JSON, gzipped and in base64 (report.js unpacks it with the
// browser's DecompressionStream): the files of a class share the kit's
// stubs and helpers, so a report of 300 generated submissions takes 0.9
// MB instead of 5.
//
// Student code and IDs are hostile. They reach the page only in base64
// (the rest goes through html/template), report.js writes them with
// textContent only and shows invisible and bidirectional control
// characters as visible marks, and a Content-Security-Policy allows no
// network and no script but report.js itself (by hash): markup that
// slipped through could not run or load anything.

//go:embed report.html
var reportHTML string

//go:embed report.css
var reportCSS string

//go:embed report.js
var reportJS string

var pageTemplate = template.Must(template.New("similarity.html").Parse(reportHTML))

// HTMLPairs is the most pairs per task the HTML report embeds, the top
// ones by score (similarity.csv has them all): the histogram counts every
// pair, and an instructor reads the top of the list, not the 500,000th
// pair of a class of 1,000.
const HTMLPairs = 1000

// htmlNow is the report's date; a test sets it to check that the same
// Result writes the same bytes.
var htmlNow = time.Now

// histBins is the number of bars of a histogram of scores in [0, 1].
const histBins = 20

// WriteHTML writes the report of r as one self-contained HTML page. It
// fails, writing nothing, when a match points outside its pair's files.
func WriteHTML(w io.Writer, r *Result) error {
	page, err := newHTMLPage(r)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := pageTemplate.Execute(&b, page); err != nil {
		return err
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// htmlPage is what report.html shows.
type htmlPage struct {
	Date      string
	Students  int
	K, Window int
	Tabs      []htmlTab
	CSP       string
	CSS       template.CSS
	JS        template.JS
	Data      string // htmlData packed (see pack)
}

// htmlTab is one task's tab (Name "" for all tasks together) with its
// histogram.
type htmlTab struct {
	Name, Label string
	Pairs       int // pairs of the Result
	Shown       int // pairs in the report
	Hist        htmlHist
}

// htmlData is the JSON report.js reads. Pairs are arrays, not objects,
// to keep a large report small: [task index, A, B (indexes into IDs),
// score, share A, share B, longest run, fingerprints of A, of B,
// matches], each match [file of A, from, to, file of B, from, to,
// tokens]. Files[i][task] are the files of IDs[i] for that task, each
// [name, text], for the tasks where IDs[i] is in a shown pair.
type htmlData struct {
	Tasks []string                 `json:"tasks"`
	IDs   []string                 `json:"ids"`
	Files []map[string][][2]string `json:"files"`
	Pairs [][]any                  `json:"pairs"`
}

func newHTMLPage(r *Result) (*htmlPage, error) {
	pairs := r.Pairs
	order := func(p, q Pair) int {
		return cmp.Or(cmp.Compare(q.Score, p.Score), cmp.Compare(p.Task, q.Task), cmp.Compare(p.A, q.A), cmp.Compare(p.B, q.B))
	}
	if !slices.IsSortedFunc(pairs, order) {
		pairs = slices.Clone(pairs)
		slices.SortStableFunc(pairs, order)
	}

	tasks := slices.Clone(r.Tasks)
	taskIndex := map[string]int{}
	for i, t := range tasks {
		taskIndex[t] = i
	}
	for _, p := range pairs {
		if _, ok := taskIndex[p.Task]; !ok {
			taskIndex[p.Task] = len(tasks)
			tasks = append(tasks, p.Task)
		}
	}

	var (
		d        = htmlData{Tasks: tasks}
		idIndex  = map[string]int{}
		total    = make([]int, len(tasks))
		shown    = make([]int, len(tasks))
		hists    = make([][histBins]int, len(tasks)+1) // the last: all tasks
		withTask = map[[2]int]bool{}                   // [student, task] whose files are in Files
	)
	student := func(id string) int {
		i, ok := idIndex[id]
		if !ok {
			i = len(d.IDs)
			idIndex[id] = i
			d.IDs = append(d.IDs, id)
			d.Files = append(d.Files, map[string][][2]string{})
		}
		return i
	}
	for _, p := range pairs {
		t := taskIndex[p.Task]
		bin := min(max(int(p.Score*histBins), 0), histBins-1)
		hists[t][bin]++
		hists[len(tasks)][bin]++
		total[t]++
		if shown[t] == HTMLPairs {
			continue
		}
		shown[t]++
		fa, fb := r.Files[p.A].Tasks[p.Task], r.Files[p.B].Tasks[p.Task]
		matches := make([][7]int, len(p.Matches))
		for i, m := range p.Matches {
			if err := checkSpan(p, "A", m.A, fa); err != nil {
				return nil, err
			}
			if err := checkSpan(p, "B", m.B, fb); err != nil {
				return nil, err
			}
			matches[i] = [7]int{m.A.File, m.A.From, m.A.To, m.B.File, m.B.From, m.B.To, m.Tokens}
		}
		a, b := student(p.A), student(p.B)
		for _, s := range []struct {
			i     int
			files []File
		}{{a, fa}, {b, fb}} {
			if withTask[[2]int{s.i, t}] {
				continue
			}
			withTask[[2]int{s.i, t}] = true
			fs := make([][2]string, len(s.files))
			for j, f := range s.files {
				fs[j] = [2]string{f.Name, f.Text}
			}
			d.Files[s.i][p.Task] = fs
		}
		d.Pairs = append(d.Pairs, []any{t, a, b, round3(p.Score), round3(p.ShareA), round3(p.ShareB), p.Longest,
			r.Counts[p.Task][p.A], r.Counts[p.Task][p.B], matches})
	}

	page := &htmlPage{
		Date:     htmlNow().UTC().Format("2006-01-02 15:04 UTC"),
		Students: len(r.Students),
		K:        r.K,
		Window:   r.Window,
		CSS:      template.CSS(reportCSS),
		JS:       template.JS(reportJS),
	}
	data, err := pack(d)
	if err != nil {
		return nil, err
	}
	page.Data = data
	all := htmlTab{Name: "", Label: "All tasks", Hist: newHist(hists[len(tasks)])}
	for t := range tasks {
		all.Pairs += total[t]
		all.Shown += shown[t]
	}
	page.Tabs = append(page.Tabs, all)
	for t, name := range tasks {
		page.Tabs = append(page.Tabs, htmlTab{Name: name, Label: name, Pairs: total[t], Shown: shown[t], Hist: newHist(hists[t])})
	}
	page.CSP = fmt.Sprintf("default-src 'none'; style-src '%s'; script-src '%s'; img-src data:; base-uri 'none'; form-action 'none'", hashSource(reportCSS), hashSource(reportJS))
	return page, nil
}

// checkSpan reports a span outside the files of its side of the pair.
func checkSpan(p Pair, side string, s Span, files []File) error {
	id := p.A
	if side == "B" {
		id = p.B
	}
	if s.File < 0 || s.File >= len(files) {
		return fmt.Errorf("similarity report: pair %s %s/%s: a match of %s (%s) is in file %d, expected a file index below %d (its files of %s)", p.Task, p.A, p.B, side, id, s.File, len(files), p.Task)
	}
	if n := strings.Count(files[s.File].Text, "\n") + 1; s.From < 1 || s.To < s.From || s.To > n {
		return fmt.Errorf("similarity report: pair %s %s/%s: a match of %s (%s) spans lines %d-%d of %s, expected 1 <= from <= to <= %d", p.Task, p.A, p.B, side, id, s.From, s.To, files[s.File].Name, n)
	}
	return nil
}

// pack returns d as JSON, gzipped, in unpadded base64url: html/template
// writes its alphabet as it is into a JavaScript string, where it
// would escape + and / of standard base64 in six bytes each.
func pack(d htmlData) (string, error) {
	var b bytes.Buffer
	enc := base64.NewEncoder(base64.RawURLEncoding, &b)
	z := gzip.NewWriter(enc)
	j := json.NewEncoder(z)
	j.SetEscapeHTML(false)
	if err := j.Encode(d); err != nil {
		return "", err
	}
	if err := z.Close(); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// hashSource is a CSP source allowing the inline element whose text is s.
func hashSource(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(h[:])
}

// htmlHist is a histogram of scores drawn as SVG: counts on a log
// scale, since nearly every pair sits in the first bars and the pairs
// that matter are a handful at the right.
type htmlHist struct {
	Width, Height int
	Left, Bottom  int // the plot area's left and bottom edges
	Right, Top    int
	Bars          []htmlBar
	XTicks        []htmlTick
	YTicks        []htmlTick
	Empty         bool
}

type htmlBar struct {
	X, Y, W, H float64
	Lo, Hi     string
	Count      int
	Hot        bool // at least 0.5
}

type htmlTick struct {
	Pos   float64
	Label string
}

func newHist(counts [histBins]int) htmlHist {
	h := htmlHist{Width: 640, Height: 170, Left: 60, Right: 632, Top: 10, Bottom: 140}
	most := slices.Max(counts[:])
	h.Empty = most == 0
	plotW, plotH := float64(h.Right-h.Left), float64(h.Bottom-h.Top)
	scale := math.Log10(1 + float64(max(most, 1)))
	height := func(c int) float64 { return plotH * math.Log10(1+float64(c)) / scale }
	w := plotW / histBins
	for i, c := range counts {
		lo, hi := float64(i)/histBins, float64(i+1)/histBins
		bar := htmlBar{X: round3(float64(h.Left) + float64(i)*w + 1), W: round3(w - 2), Lo: strconv.FormatFloat(lo, 'f', 2, 64),
			Hi: strconv.FormatFloat(hi, 'f', 2, 64), Count: c, Hot: lo >= 0.5}
		bar.H = round3(height(c))
		bar.Y = round3(float64(h.Bottom) - bar.H)
		h.Bars = append(h.Bars, bar)
	}
	for _, x := range []float64{0, 0.25, 0.5, 0.75, 1} {
		h.XTicks = append(h.XTicks, htmlTick{Pos: float64(h.Left) + x*plotW, Label: strconv.FormatFloat(x, 'f', -1, 64)})
	}
	for v := 1; v <= max(most, 1); v *= 10 {
		h.YTicks = append(h.YTicks, htmlTick{Pos: round3(float64(h.Bottom) - height(v)), Label: strconv.Itoa(v)})
	}
	return h
}
