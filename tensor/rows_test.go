package tensor

import (
	"fmt"
	"math"
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

// copyEven agrees with the Go loop for every length around the vector
// blocks (TestCopyEvenGuardPage checks that it reads nothing past
// src[2n-2]).
func TestCopyEven(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for n := 1; n <= 70; n++ {
		src := make([]float32, 2*n-1)
		for i := range src {
			src[i] = rng.Float32()
		}
		want, got := make([]float32, n+2), make([]float32, n+2)
		copyEvenGo(want[:n], src)
		copyEven(got[:n], src)
		if !slices.Equal(got, want) {
			t.Errorf("n %d: %v, want %v", n, got, want)
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

// col2im with stride 1 (col2imPlaneAcc's register accumulation where the
// CPU has AVX-512) gives the same bits as one addRowsGo per kernel offset,
// on awkward sizes: kernels 1 to 7, rows narrower and wider than 16 lanes,
// padding, columns of several images side by side (ld > OH*OW), and
// nothing outside the image touched.
func TestCol2imStride1MatchesRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, K := range []int{1, 2, 3, 5, 7} {
		for _, H := range []int{K, K + 1, 10, 14, 17, 33} {
			for _, p := range []int{0, K / 2} {
				C, W := 1+rng.IntN(3), H+rng.IntN(3)
				OH, OW := H+2*p-K+1, W+2*p-K+1
				ld := OH*OW + rng.IntN(2)*OH*OW
				col := make([]float32, C*K*K*ld)
				for i := range col {
					col[i] = float32(rng.NormFloat64())
				}
				x := make([]float32, C*H*W+5)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				want := slices.Clone(x)
				hp, wp := H+2*p, W+2*p
				gp := make([]float32, C*hp*wp)
				if p == 0 { // col2im adds into x directly
					gp = want
				}
				for c := range C {
					for ki := range K {
						for kj := range K {
							addRowsGo(gp[c*hp*wp+ki*wp+kj:], wp, col[((c*K+ki)*K+kj)*ld:], OW, OH, OW)
						}
					}
					if p > 0 {
						addRowsGo(want[c*H*W:], W, gp[c*hp*wp+p*wp+p:], wp, H, W)
					}
				}
				col2im(x[:C*H*W], col, ld, C, H, W, K, 1, p, OH, OW)
				for i := range x {
					if x[i] != want[i] {
						t.Fatalf("C=%d H=%d W=%d K=%d p=%d: element %d is %v, want %v", C, H, W, K, p, i, x[i], want[i])
					}
				}
			}
		}
	}
}

// sumPlanes gives, plane by plane, the bits of sumLanes8 added to dst.
func TestSumPlanesMatchesSumLanes8(t *testing.T) {
	rng := NewRNG(11)
	for _, hw := range []int{1, 7, 8, 9, 15, 16, 17, 36, 100, 784} {
		for planes := 1; planes <= 9; planes++ {
			g := make([]float32, planes*hw)
			for i := range g {
				g[i] = (rng.Float32() - 0.5) * float32(1+rng.IntN(1000))
			}
			got, want := make([]float32, planes), make([]float32, planes)
			for i := range got {
				got[i] = float32(i) * 0.1
				want[i] = got[i]
			}
			sumPlanes(got, g, hw)
			for q := range want {
				want[q] += sumLanes8(g[q*hw : (q+1)*hw])
				if math.Float32bits(got[q]) != math.Float32bits(want[q]) {
					t.Fatalf("hw %d, %d planes: plane %d sums to %v, want %v", hw, planes, q, got[q], want[q])
				}
			}
		}
	}
}
