package checker

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
)

func valueOfFuncs(funcs any) reflect.Value { return reflect.ValueOf(funcs).Elem() }

// tol is a comparison tolerance: values x and y are equal when
// |x - y| <= max(abs, rel * min(|x|, |y|)) (cmpopts.EquateApprox).
type tol struct{ rel, abs float64 }

var (
	// exactTol is for results that involve no arithmetic (ReLU, masks).
	exactTol = tol{0, 0}
	// closeTol is for the same computation done in another order:
	// a few ulps of float64, with a floor for values near zero.
	closeTol = tol{1e-9, 1e-12}
	// trainTol allows rounding differences to grow over a few epochs of
	// training.
	trainTol = tol{1e-7, 1e-10}
)

// equal is cmpopts.EquateApprox(t.rel, t.abs) written out: a comparison
// through cmp's reflection costs a microsecond, and the checker compares
// every parameter of a network after every variant it tries.
func (t tol) equal(x, y float64) bool {
	if x == y {
		return true
	}
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return false
	}
	return math.Abs(x-y) <= max(t.abs, t.rel*min(math.Abs(x), math.Abs(y)))
}

// mismatch describes where a result differs from the expected one.
type mismatch struct {
	reason string // one line: where, expected, got
	detail string // the full diff
	row    int    // the first row (matrices) or entry (vectors) that differs; -1 for shape, nil, NaN
	count  int    // how many entries differ
}

func rows(m *mat.Dense) [][]float64 {
	r, _ := m.Dims()
	out := make([][]float64, r)
	for i := range r {
		out[i] = mat.Row(nil, i, m)
	}
	return out
}

func dims(m *mat.Dense) (int, int) {
	if isNil(m) {
		return 0, 0
	}
	return m.Dims()
}

func isNil(m *mat.Dense) bool { return m == nil || m.IsEmpty() }

// diffDense compares got with want; nil means equal within t.
func diffDense(name string, want, got *mat.Dense, t tol) *mismatch {
	if isNil(got) {
		return &mismatch{reason: name + " is nil", row: -1}
	}
	wr, wc := want.Dims()
	gr, gc := got.Dims()
	if wr != gr || wc != gc {
		return &mismatch{reason: fmt.Sprintf("%s has shape %dx%d, expected %dx%d", name, gr, gc, wr, wc), row: -1}
	}
	var first *mismatch
	n := 0
	for i := range wr {
		for j := range wc {
			w, g := want.At(i, j), got.At(i, j)
			if !math.IsNaN(w) && (math.IsNaN(g) || math.IsInf(g, 0)) {
				return &mismatch{reason: fmt.Sprintf("%s[%d,%d] is %v", name, i, j, g), row: -1, detail: dump(want, got)}
			}
			if !t.equal(w, g) {
				n++
				if first == nil {
					first = &mismatch{reason: fmt.Sprintf("%s[%d,%d] = %.6g, expected %.6g", name, i, j, g, w), row: i}
				}
			}
		}
	}
	if first == nil {
		return nil
	}
	first.count = n
	if n > 1 {
		first.reason += fmt.Sprintf(" (%d of %d entries differ)", n, wr*wc)
	}
	first.detail = matrixDiff(name, rows(want), rows(got), func(w, g float64) bool { return !t.equal(w, g) })
	return first
}

// matrixDiff shows an expected and a found matrix of the same shape for
// -v: both aligned, the differing entries marked, when they are small;
// else cmp's diff of the rows that differ.
func matrixDiff(name string, want, got [][]float64, differ func(w, g float64) bool) string {
	if entries(want) > maxShownEntries {
		return listDiff(name, want, got, differ)
	}
	mark := func(i, j int) bool { return differ(want[i][j], got[i][j]) }
	return fmt.Sprintf("%s expected:\n%s\n%s found (* marks the entries that differ):\n%s",
		name, indent(formatMatrix(want, nil)), name, indent(formatMatrix(got, mark)))
}

// listDiff lists the first maxListed entries of a large matrix that
// differ, with their indices: a full diff of a network's parameters is
// tens of thousands of lines nobody reads.
func listDiff(name string, want, got [][]float64, differ func(w, g float64) bool) string {
	var b strings.Builder
	n := 0
	for i, r := range want {
		for j, w := range r {
			if !differ(w, got[i][j]) {
				continue
			}
			if n < maxListed {
				idx := fmt.Sprint(j)
				if len(want) > 1 {
					idx = fmt.Sprintf("%d %d", i, j)
				}
				fmt.Fprintf(&b, "  [%s] expected %.6g, found %.6g\n", idx, w, got[i][j])
			}
			n++
		}
	}
	if n > maxListed {
		fmt.Fprintf(&b, "  ... and %d more\n", n-maxListed)
	}
	return fmt.Sprintf("%s: %d of %d entries differ:\n%s", name, n, entries(want), strings.TrimSuffix(b.String(), "\n"))
}

// maxListed is how many differing entries listDiff shows.
const maxListed = 20

// maxShownEntries is the most entries a matrix may have for the checker
// to show it whole: a failing case's input, expected and found values.
const maxShownEntries = 64

// maxInlineEntries is the most entries of an input that a reason (one
// line of the table) shows.
const maxInlineEntries = 12

func entries(m [][]float64) int {
	n := 0
	for _, r := range m {
		n += len(r)
	}
	return n
}

// formatMatrix writes rows as numpy prints an array, one row a line,
// each column right-aligned to its widest entry:
//
//	[[ 1.5  -0.25]
//	 [10     3   ]]
//
// Numbers take %.6g. mark, when not nil, puts a * after the entries it
// reports, a space after the others, so that the columns stay aligned.
func formatMatrix(rows [][]float64, mark func(i, j int) bool) string {
	cells := make([][]string, len(rows))
	var width []int
	for i, r := range rows {
		cells[i] = make([]string, len(r))
		for j, v := range r {
			cells[i][j] = fmt.Sprintf("%.6g", v)
			if j >= len(width) {
				width = append(width, 0)
			}
			width[j] = max(width[j], len(cells[i][j]))
		}
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, r := range cells {
		if i > 0 {
			b.WriteString("\n ")
		}
		b.WriteByte('[')
		for j, c := range r {
			if j > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%*s", width[j], c)
			switch {
			case mark == nil:
			case mark(i, j):
				b.WriteByte('*')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
	return b.String()
}

// inlineMatrix writes a small matrix on one line, [[1.5 -0.25] [10 3]],
// with %.4g numbers: for a reason, which is one line of the table.
func inlineMatrix(m *mat.Dense) string {
	var rs []string
	for _, r := range rows(m) {
		var cs []string
		for _, v := range r {
			cs = append(cs, fmt.Sprintf("%.4g", v))
		}
		rs = append(rs, "["+strings.Join(cs, " ")+"]")
	}
	return "[" + strings.Join(rs, " ") + "]"
}

// shownInput is a failing case's input for -v: "name (RxC):" and the
// matrix aligned, or "" when it is too large to show.
func shownInput(name string, m *mat.Dense) string {
	if isNil(m) {
		return ""
	}
	r, c := m.Dims()
	if r*c > maxShownEntries {
		return ""
	}
	return fmt.Sprintf("input %s (%dx%d):\n%s\n", name, r, c, indent(formatMatrix(rows(m), nil)))
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// diffVec compares vectors.
func diffVec(name string, want, got []float64, t tol) *mismatch {
	if got == nil && want != nil {
		return &mismatch{reason: name + " is nil", row: -1}
	}
	if len(got) != len(want) {
		return &mismatch{reason: fmt.Sprintf("%s has %d entries, expected %d", name, len(got), len(want)), row: -1}
	}
	var first *mismatch
	n := 0
	for i := range want {
		w, g := want[i], got[i]
		if !math.IsNaN(w) && (math.IsNaN(g) || math.IsInf(g, 0)) {
			return &mismatch{reason: fmt.Sprintf("%s[%d] is %v", name, i, g), row: -1, detail: fmt.Sprintf("expected %v\ngot      %v", want, got)}
		}
		if !t.equal(w, g) {
			n++
			if first == nil {
				first = &mismatch{reason: fmt.Sprintf("%s[%d] = %.6g, expected %.6g", name, i, g, w), row: i}
			}
		}
	}
	if first == nil {
		return nil
	}
	first.count = n
	if n > 1 {
		first.reason += fmt.Sprintf(" (%d of %d entries differ)", n, len(want))
	}
	first.detail = matrixDiff(name, [][]float64{want}, [][]float64{got}, func(w, g float64) bool { return !t.equal(w, g) })
	return first
}

func dump(want, got *mat.Dense) string {
	return fmt.Sprintf("expected\n%v\nfound\n%v", mat.Formatted(want, mat.Squeeze()), mat.Formatted(got, mat.Squeeze()))
}

// ratio returns c when got = c * want for every entry (within 1e-6),
// else NaN: it recognises a missing 1/N, a flipped sign and the like.
func ratio(want, got []float64) float64 {
	c := math.NaN()
	for i := range want {
		if math.Abs(want[i]) < 1e-12 {
			if math.Abs(got[i]) > 1e-9 {
				return math.NaN()
			}
			continue
		}
		r := got[i] / want[i]
		if math.IsNaN(c) {
			c = r
		} else if math.Abs(r-c) > 1e-6*math.Max(1, math.Abs(c)) {
			return math.NaN()
		}
	}
	return c
}

func flat(m *mat.Dense) []float64 {
	if isNil(m) {
		return nil
	}
	return slices.Concat(rows(m)...)
}

// snapshot records inputs so that a check can say which one a student's
// function changed.
type snapshot struct {
	names  []string
	before [][]float64
	now    []func() []float64
}

func (s *snapshot) dense(name string, m *mat.Dense) {
	s.names = append(s.names, name)
	s.before = append(s.before, flat(m))
	s.now = append(s.now, func() []float64 { return flat(m) })
}

func (s *snapshot) vec(name string, v []float64) {
	s.names = append(s.names, name)
	s.before = append(s.before, slices.Clone(v))
	s.now = append(s.now, func() []float64 { return v })
}

// changed lists the inputs whose values changed since they were recorded.
func (s *snapshot) changed() []string {
	var out []string
	for i, f := range s.now {
		if !slices.EqualFunc(s.before[i], f(), func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }) {
			out = append(out, s.names[i])
		}
	}
	return out
}

func andList(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
