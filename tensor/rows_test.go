package tensor

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// copyRows and addRows (AVX-512 where the CPU has it) match the reference
// loops for widths around the vector width and strides wider than the
// rows, without touching anything outside the block.
func TestRowsKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, width := range []int{1, 2, 7, 15, 16, 17, 28, 31, 32, 33, 64, 97} {
		for _, rows := range []int{1, 3, 10} {
			ldd, lds := width+rng.IntN(5), width+rng.IntN(7)
			src := make([]float32, (rows-1)*lds+width+3)
			dst := make([]float32, (rows-1)*ldd+width+3)
			for i := range src {
				src[i] = rng.Float32()
			}
			for i := range dst {
				dst[i] = rng.Float32()
			}
			name := fmt.Sprintf("rows %d width %d", rows, width)
			for _, k := range []struct {
				name      string
				fast, go_ func(dst []float32, ldd int, src []float32, lds int, rows, width int)
			}{{"copyRows", copyRows[float32], copyRowsGo[float32]}, {"addRows", addRows[float32], addRowsGo[float32]}} {
				want, got := slices.Clone(dst), slices.Clone(dst)
				k.go_(want, ldd, src, lds, rows, width)
				k.fast(got, ldd, src, lds, rows, width)
				if !slices.Equal(got, want) {
					t.Errorf("%s, %s: differs from the reference loop", k.name, name)
				}
			}
		}
	}
}

// sizeClass rounds up by at most 1/8 (from 16 on), is the identity on
// class sizes, and numbers the classes in increasing order of size.
func TestSizeClass(t *testing.T) {
	last := -1
	for n := 1; n < 1<<20; n++ {
		size, class := sizeClass(n)
		if size < n || (n >= 16 && 8*size > 9*n+8*16) || (n < 16 && size != n) {
			t.Fatalf("sizeClass(%d) = %d", n, size)
		}
		if s2, c2 := sizeClass(size); s2 != size || c2 != class {
			t.Fatalf("sizeClass(%d) = %d, %d but sizeClass(%d) = %d, %d", n, size, class, size, s2, c2)
		}
		if class < last || class >= len(pool32) {
			t.Fatalf("class of %d is %d after %d", n, class, last)
		}
		last = class
	}
}
