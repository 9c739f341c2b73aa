// Package matrix holds the small [][]float64 helpers that the conceptual
// problems and their grader share (the grader must not import the
// conceptual package, which the student distribution withholds).
package matrix

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// New returns an r x c matrix of zeros.
func New(r, c int) [][]float64 {
	m := make([][]float64, r)
	for i := range m {
		m[i] = make([]float64, c)
	}
	return m
}

// Rand returns an r x c matrix of values uniform in [lo, hi).
func Rand(rng *rand.Rand, r, c int, lo, hi float64) [][]float64 {
	m := New(r, c)
	for i := range m {
		for j := range m[i] {
			m[i][j] = lo + (hi-lo)*rng.Float64()
		}
	}
	return m
}

// Clone deep-copies m (nil stays nil).
func Clone(m [][]float64) [][]float64 {
	if m == nil {
		return nil
	}
	out := make([][]float64, len(m))
	for i := range m {
		out[i] = append([]float64(nil), m[i]...)
	}
	return out
}

// Dims returns the rows and columns of m and whether every row has the same
// length.
func Dims(m [][]float64) (r, c int, rect bool) {
	r = len(m)
	if r == 0 {
		return 0, 0, true
	}
	c = len(m[0])
	for _, row := range m {
		if len(row) != c {
			return r, c, false
		}
	}
	return r, c, true
}

// Equal reports whether a and b have the same shape and bit-identical
// entries (NaN equals NaN), used to detect modified inputs.
func Equal(a, b [][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if math.Float64bits(a[i][j]) != math.Float64bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}

// Flatten returns the entries of m row by row.
func Flatten(m [][]float64) []float64 {
	var out []float64
	for _, row := range m {
		out = append(out, row...)
	}
	return out
}

// Unflatten is the inverse of flatten for an r x c matrix.
func Unflatten(v []float64, r, c int) [][]float64 {
	m := New(r, c)
	for i := range m {
		copy(m[i], v[i*c:(i+1)*c])
	}
	return m
}

// Transpose returns m^T of a rectangular m.
func Transpose(m [][]float64) [][]float64 {
	r, c, _ := Dims(m)
	t := New(c, r)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			t[j][i] = m[i][j]
		}
	}
	return t
}

// Format prints a matrix with a fixed number of decimals, one row a line,
// in the bracket style of the answers file.
func Format(m [][]float64, decimals int) string {
	var b strings.Builder
	b.WriteString("[")
	for i, row := range m {
		if i > 0 {
			b.WriteString(",\n ")
		}
		b.WriteString(FormatVec(row, decimals))
	}
	b.WriteString("]")
	return b.String()
}

// FormatVec prints a vector with a fixed number of decimals.
func FormatVec(v []float64, decimals int) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.*f", decimals, x)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Near reports |got - want| <= atol + rtol |want| (NaN is never near).
func Near(got, want, atol, rtol float64) bool {
	return !math.IsNaN(got) && math.Abs(got-want) <= atol+rtol*math.Abs(want)
}
