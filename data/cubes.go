package data

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// TwoCubesSamples is the size of the data set of tasks 1 and 2.
const TwoCubesSamples = 400

// TwoCubes is the synthetic two-class data set of tasks 1 and 2: points in
// 3-D, half of them (label +1) uniform in the cube of half-width
// HalfWidth around Center1, the other half (label -1) uniform in the cube
// around Center2, rows shuffled.
type TwoCubes struct {
	X                *mat.Dense // N x 3 features, not standardised
	Y                []float64  // N labels, +1 or -1
	Center1, Center2 [3]float64 // the cube centres of class +1 and -1
	HalfWidth        float64    // 1
}

// NewTwoCubes draws n samples (n even and positive; the tasks use
// TwoCubesSamples) from a PCG generator seeded with seed:
//
//	c1 ~ U(-3, 6)^3
//	s  ~ uniform over {-1, +1}^3
//	c2 = c1 - s * U(2, 4)^3          (elementwise)
//	n/2 points c1 + U(-1, 1)^3 with label +1, then n/2 points
//	c2 + U(-1, 1)^3 with label -1, then the rows shuffled.
//
// The draws happen in the order written, coordinate by coordinate, so the
// same seed always gives the same data. Since every coordinate of c1 and
// c2 differs by at least 2, the two cubes never overlap: the classes are
// linearly separable.
func NewTwoCubes(n int, seed uint64) (*TwoCubes, error) {
	if n < 2 || n%2 != 0 {
		return nil, fmt.Errorf("two cubes: %d samples, expected an even number of at least 2", n)
	}
	r := newRand(seed)
	uniform := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

	d := &TwoCubes{X: mat.NewDense(n, 3, nil), Y: make([]float64, n), HalfWidth: 1}
	for j := range 3 {
		d.Center1[j] = uniform(-3, 6)
	}
	var sign [3]float64
	for j := range 3 {
		sign[j] = float64(2*r.IntN(2) - 1)
	}
	for j := range 3 {
		d.Center2[j] = d.Center1[j] - sign[j]*uniform(2, 4)
	}
	for i := range n {
		c, label := d.Center1, 1.0
		if i >= n/2 {
			c, label = d.Center2, -1.0
		}
		for j := range 3 {
			d.X.Set(i, j, c[j]+uniform(-d.HalfWidth, d.HalfWidth))
		}
		d.Y[i] = label
	}
	raw := d.X.RawMatrix()
	r.Shuffle(n, func(a, b int) {
		ra := raw.Data[a*raw.Stride : a*raw.Stride+3]
		rb := raw.Data[b*raw.Stride : b*raw.Stride+3]
		for j := range 3 {
			ra[j], rb[j] = rb[j], ra[j]
		}
		d.Y[a], d.Y[b] = d.Y[b], d.Y[a]
	})
	return d, nil
}

// Standardize returns a copy of X with every column shifted to mean 0 and
// scaled to standard deviation 1, and the means and standard deviations
// it used. The standard deviation is the population one (divide by N,
// numpy's std default). A constant column has standard deviation 0; it is
// only centred, not scaled (as scikit-learn's StandardScaler does). X is
// left unchanged.
func Standardize(X mat.Matrix) (Z *mat.Dense, mean, std []float64) {
	r, c := X.Dims()
	Z = mat.DenseCopyOf(X)
	mean = make([]float64, c)
	std = make([]float64, c)
	col := make([]float64, r)
	for j := range c {
		mat.Col(col, j, Z)
		var m float64
		for _, v := range col {
			m += v
		}
		m /= float64(r)
		var ss float64
		for _, v := range col {
			ss += (v - m) * (v - m)
		}
		s := math.Sqrt(ss / float64(r))
		mean[j], std[j] = m, s
		div := s
		if div == 0 {
			div = 1
		}
		for i, v := range col {
			col[i] = (v - m) / div
		}
		Z.SetCol(j, col)
	}
	return Z, mean, std
}

// newRand returns the generator every random choice of this package uses:
// PCG seeded from one uint64 the same way the tensor package does.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
