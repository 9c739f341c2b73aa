package grade

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// newMat returns an r x c matrix of zeros.
func newMat(r, c int) [][]float64 {
	m := make([][]float64, r)
	for i := range m {
		m[i] = make([]float64, c)
	}
	return m
}

// randMat returns an r x c matrix of values uniform in [lo, hi).
func randMat(rng *rand.Rand, r, c int, lo, hi float64) [][]float64 {
	m := newMat(r, c)
	for i := range m {
		for j := range m[i] {
			m[i][j] = lo + (hi-lo)*rng.Float64()
		}
	}
	return m
}

// cloneMat deep-copies m (nil stays nil).
func cloneMat(m [][]float64) [][]float64 {
	if m == nil {
		return nil
	}
	out := make([][]float64, len(m))
	for i := range m {
		out[i] = append([]float64(nil), m[i]...)
	}
	return out
}

// dims returns the rows and columns of m and whether every row has the same
// length.
func dims(m [][]float64) (r, c int, rect bool) {
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

// equalMat reports whether a and b have the same shape and bit-identical
// entries (NaN equals NaN), used to detect modified inputs.
func equalMat(a, b [][]float64) bool {
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

// flatten returns the entries of m row by row.
func flatten(m [][]float64) []float64 {
	var out []float64
	for _, row := range m {
		out = append(out, row...)
	}
	return out
}

// unflatten is the inverse of flatten for an r x c matrix.
func unflatten(v []float64, r, c int) [][]float64 {
	m := newMat(r, c)
	for i := range m {
		copy(m[i], v[i*c:(i+1)*c])
	}
	return m
}

// transpose returns m^T of a rectangular m.
func transpose(m [][]float64) [][]float64 {
	r, c, _ := dims(m)
	t := newMat(c, r)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			t[j][i] = m[i][j]
		}
	}
	return t
}

// formatMat prints a matrix with a fixed number of decimals, one row a line,
// in the bracket style of the answers file.
func formatMat(m [][]float64, decimals int) string {
	var b strings.Builder
	b.WriteString("[")
	for i, row := range m {
		if i > 0 {
			b.WriteString(",\n ")
		}
		b.WriteString(formatVec(row, decimals))
	}
	b.WriteString("]")
	return b.String()
}

// formatVec prints a vector with a fixed number of decimals.
func formatVec(v []float64, decimals int) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.*f", decimals, x)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
