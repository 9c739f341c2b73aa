package checker

import (
	"math"
	"strings"
	"testing"

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
