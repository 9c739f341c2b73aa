package checker

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gonum.org/v1/gonum/mat"
)

func TestFormatMatrix(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows [][]float64
		mark func(i, j int) bool
		want string
	}{
		{"one entry", [][]float64{{3}}, nil, "[[3]]"},
		{"one row", [][]float64{{1, -2.5, 0}}, nil, "[[1 -2.5 0]]"},
		{"columns aligned", [][]float64{{1.5, -0.25}, {10, 3}}, nil, "" +
			"[[1.5 -0.25]\n" +
			" [ 10     3]]"},
		{"negative zero and tiny values", [][]float64{{math.Copysign(0, -1), -1e-300}, {-0.5, 1e300}}, nil, "" +
			"[[  -0 -1e-300]\n" +
			" [-0.5  1e+300]]"},
		{"marks keep the columns aligned", [][]float64{{1, 22}, {333, 4}}, func(i, j int) bool { return i == 1 && j == 0 }, "" +
			"[[  1  22 ]\n" +
			" [333*  4 ]]"},
		{"six significant digits", [][]float64{{0.1234567, 1}}, nil, "[[0.123457 1]]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatMatrix(tc.rows, tc.mark); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestInputShownWhenSmall(t *testing.T) {
	for _, tc := range []struct {
		name       string
		r, c       int
		inline     string
		shownLines int // 0: not shown
	}{
		{"2x2", 2, 2, "[[0 1] [2 3]]", 3},
		{"8x8 is shown in the details", 8, 8, "", 9},
		{"9x8 is not", 9, 8, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mat.NewDense(tc.r, tc.c, nil)
			for i := range tc.r * tc.c {
				m.Set(i/tc.c, i%tc.c, float64(i))
			}
			if tc.inline != "" {
				if got := inlineMatrix(m); got != tc.inline {
					t.Errorf("inlineMatrix = %q, want %q", got, tc.inline)
				}
			}
			got := shownInput("X", m)
			if n := strings.Count(got, "\n"); n != tc.shownLines {
				t.Errorf("shownInput has %d lines, want %d:\n%s", n, tc.shownLines, got)
			}
		})
	}
}

func TestMatrixDiffMarksDifferences(t *testing.T) {
	want := [][]float64{{0, 1}, {0, 2}}
	got := [][]float64{{0, 1}, {-0.5, 2}}
	d := matrixDiff("Relu(X)", want, got, func(w, g float64) bool { return w != g })
	if !strings.Contains(d, " [-0.5* 2 ]]") || strings.Count(d, "*") != 2 { // one mark, one in the legend
		t.Errorf("matrixDiff:\n%s", d)
	}
}

// TestTolEqualIsEquateApprox: the written-out comparison agrees with
// cmpopts.EquateApprox, which it replaces, on every kind of pair.
func TestTolEqualIsEquateApprox(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 1 + 1e-10, 1 + 1e-8, 1e-13, -1e-13, 1e300, -1e300, inf, -inf, nan, 0.5, 0.5000001}
	for _, tl := range []tol{exactTol, closeTol, trainTol, {0.1, 0}, {0, 0.1}} {
		opt := cmpopts.EquateApprox(tl.rel, tl.abs)
		for _, x := range vals {
			for _, y := range vals {
				if got, want := tl.equal(x, y), cmp.Equal(x, y, opt); got != want {
					t.Errorf("tol%v.equal(%v, %v) = %v, EquateApprox says %v", tl, x, y, got, want)
				}
			}
		}
	}
}

// TestListDiff: a large result's differences come as a bounded list with
// indices and a count, not a diff of every entry.
func TestListDiff(t *testing.T) {
	want := make([]float64, 1000)
	got := make([]float64, 1000)
	for i := range got {
		if i%10 == 3 {
			got[i] = 1
		}
	}
	d := matrixDiff("p", [][]float64{want}, [][]float64{got}, func(w, g float64) bool { return w != g })
	for _, s := range []string{"p: 100 of 1000 entries differ:", "  [3] expected 0, found 1", "  [193] expected 0, found 1", "... and 80 more"} {
		if !strings.Contains(d, s) {
			t.Errorf("matrixDiff lacks %q:\n%s", s, d)
		}
	}
	if n := strings.Count(d, "\n"); n != maxListed+1 {
		t.Errorf("matrixDiff has %d lines, want %d:\n%s", n+1, maxListed+2, d)
	}
}
