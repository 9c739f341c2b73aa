package checker

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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

func (t tol) opt() cmp.Option { return cmpopts.EquateApprox(t.rel, t.abs) }

func (t tol) equal(x, y float64) bool {
	if x == y {
		return true
	}
	return cmp.Equal(x, y, t.opt())
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
	first.detail = fmt.Sprintf("%s: -expected +got\n%s", name, cmp.Diff(rows(want), rows(got), t.opt()))
	return first
}

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
	first.detail = fmt.Sprintf("%s: -expected +got\n%s", name, cmp.Diff(want, got, t.opt()))
	return first
}

func dump(want, got *mat.Dense) string {
	return fmt.Sprintf("expected\n%v\ngot\n%v", mat.Formatted(want, mat.Squeeze()), mat.Formatted(got, mat.Squeeze()))
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
