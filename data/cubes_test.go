package data

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestNewTwoCubes(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42, 1 << 63} {
		d, err := NewTwoCubes(TwoCubesSamples, seed)
		if err != nil {
			t.Fatal(err)
		}
		if r, c := d.X.Dims(); r != 400 || c != 3 || len(d.Y) != 400 {
			t.Fatalf("seed %d: X is %dx%d with %d labels, want 400x3 and 400", seed, r, c, len(d.Y))
		}
		for j := range 3 {
			if c := d.Center1[j]; c < -3 || c >= 6 {
				t.Errorf("seed %d: Center1[%d] = %g, want in [-3, 6)", seed, j, c)
			}
			if off := math.Abs(d.Center1[j] - d.Center2[j]); off < 2 || off >= 4 {
				t.Errorf("seed %d: |Center1-Center2|[%d] = %g, want in [2, 4)", seed, j, off)
			}
		}
		count := map[float64]int{}
		for i, y := range d.Y {
			count[y]++
			c := d.Center1
			if y == -1 {
				c = d.Center2
			} else if y != 1 {
				t.Fatalf("seed %d: label %g at row %d, want +1 or -1", seed, y, i)
			}
			for j := range 3 {
				if v := d.X.At(i, j); math.Abs(v-c[j]) > d.HalfWidth {
					t.Errorf("seed %d: row %d (label %g) coordinate %d = %g, outside the cube around %g", seed, i, y, j, v, c[j])
				}
			}
		}
		if count[1] != 200 || count[-1] != 200 {
			t.Errorf("seed %d: class counts %v, want 200 each", seed, count)
		}
		// Shuffled: the first half is not all one class.
		first := 0
		for _, y := range d.Y[:200] {
			if y == 1 {
				first++
			}
		}
		if first == 0 || first == 200 {
			t.Errorf("seed %d: the first 200 rows hold %d of class +1: not shuffled", seed, first)
		}
	}
}

func TestNewTwoCubesDeterministic(t *testing.T) {
	a, _ := NewTwoCubes(400, 7)
	b, _ := NewTwoCubes(400, 7)
	c, _ := NewTwoCubes(400, 8)
	if !mat.Equal(a.X, b.X) || !slices.Equal(a.Y, b.Y) || a.Center1 != b.Center1 || a.Center2 != b.Center2 {
		t.Error("seed 7 twice gave different data")
	}
	if mat.Equal(a.X, c.X) || a.Center1 == c.Center1 {
		t.Error("seeds 7 and 8 gave the same data")
	}
}

func TestNewTwoCubesErrors(t *testing.T) {
	for _, n := range []int{-2, 0, 1, 401} {
		if _, err := NewTwoCubes(n, 1); err == nil || !strings.Contains(err.Error(), "expected an even number of at least 2") {
			t.Errorf("NewTwoCubes(%d) error = %v", n, err)
		}
	}
}

func TestStandardize(t *testing.T) {
	// Hand-checked: column 0 is 1, 2, 3, 6 (mean 3, population variance
	// (4+1+0+9)/4 = 3.5); column 1 is constant 5; column 2 is -1, 1, -1, 1
	// (mean 0, std 1).
	X := mat.NewDense(4, 3, []float64{
		1, 5, -1,
		2, 5, 1,
		3, 5, -1,
		6, 5, 1,
	})
	orig := mat.DenseCopyOf(X)
	Z, mean, std := Standardize(X)
	s := math.Sqrt(3.5)
	want := mat.NewDense(4, 3, []float64{
		-2 / s, 0, -1,
		-1 / s, 0, 1,
		0, 0, -1,
		3 / s, 0, 1,
	})
	if !mat.EqualApprox(Z, want, 1e-15) {
		t.Errorf("Standardize =\n%v\nwant\n%v", mat.Formatted(Z), mat.Formatted(want))
	}
	if !slices.Equal(mean, []float64{3, 5, 0}) || math.Abs(std[0]-s) > 1e-15 || std[1] != 0 || std[2] != 1 {
		t.Errorf("mean %v std %v, want [3 5 0] [%g 0 1]", mean, std, s)
	}
	if !mat.Equal(X, orig) {
		t.Error("Standardize changed its input")
	}
}

func TestStandardizeTwoCubes(t *testing.T) {
	d, _ := NewTwoCubes(TwoCubesSamples, 3)
	Z, _, std := Standardize(d.X)
	for j := range 3 {
		col := mat.Col(nil, j, Z)
		var m, v float64
		for _, x := range col {
			m += x
		}
		m /= float64(len(col))
		for _, x := range col {
			v += (x - m) * (x - m)
		}
		v /= float64(len(col))
		if math.Abs(m) > 1e-12 || math.Abs(v-1) > 1e-12 || std[j] <= 0 {
			t.Errorf("column %d: mean %g, variance %g after standardising (std was %g), want 0 and 1", j, m, v, std[j])
		}
	}
}
