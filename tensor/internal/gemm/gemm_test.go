package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// refGemm is the definition, accumulated in float64:
//
//	C[i][j] = alpha * sum_p op(A)[i][p]*op(B)[p][j] + beta*C[i][j]
//
// It also returns, per element, the scale that rounding errors are measured
// against: |alpha| * sum_p |op(A)[i][p]*op(B)[p][j]| + |beta*C[i][j]|.
func refGemm[T float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) (want, scale []float64) {
	want = make([]float64, m*n)
	scale = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			for p := 0; p < k; p++ {
				var x, y float64
				if transA {
					x = float64(a[p*lda+i])
				} else {
					x = float64(a[i*lda+p])
				}
				if transB {
					y = float64(b[j*ldb+p])
				} else {
					y = float64(b[p*ldb+j])
				}
				s += x * y
				sa += math.Abs(x * y)
			}
			w := float64(alpha) * s
			sc := math.Abs(float64(alpha)) * sa
			if beta != 0 {
				cij := float64(c[i*ldc+j])
				w += float64(beta) * cij
				sc += math.Abs(float64(beta) * cij)
			}
			want[i*n+j] = w
			scale[i*n+j] = sc
		}
	}
	return want, scale
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	// padA, padB, padC are added to the minimal leading dimensions.
	padA, padB, padC int
	alpha, beta      float64
}

func (tc gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s/m%d_n%d_k%d/pad%d.%d.%d/a%g_b%g", t(tc.transA), t(tc.transB), tc.m, tc.n, tc.k, tc.padA, tc.padB, tc.padC, tc.alpha, tc.beta)
}

// run computes the case with gemmFn on random data and compares every
// element of C (and the padding between rows, which must be untouched)
// with refGemm.
//
// Tolerance: each element is a sum of k products, so with unit roundoff u
// the computed value differs from the exact one by at most about
// (k+2)*u * (|alpha| sum |a*b| + |beta*c|) (the classic gamma_k bound for
// dot products, plus the alpha and beta roundings). The test allows 2x that,
// with u = 2^-24 for float32 and 2^-53 for float64, plus a tiny absolute term
// for elements whose scale is zero.
func run[T float](t *testing.T, tc gemmCase, rng *rand.Rand, gemmFn func(transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)) {
	t.Helper()
	m, n, k := tc.m, tc.n, tc.k
	rowA, colA := m, k
	if tc.transA {
		rowA, colA = k, m
	}
	rowB, colB := k, n
	if tc.transB {
		rowB, colB = n, k
	}
	lda, ldb, ldc := max(1, colA)+tc.padA, max(1, colB)+tc.padB, max(1, n)+tc.padC
	fill := func(rows, ld int) []T {
		s := make([]T, rows*ld)
		for i := range s {
			s[i] = T(rng.Float64()*2 - 1)
		}
		return s
	}
	a, b, c := fill(rowA, lda), fill(rowB, ldb), fill(m, ldc)
	alpha, beta := T(tc.alpha), T(tc.beta)
	if beta == 0 {
		// beta == 0 must not read C: fill the rows with NaN (padding
		// keeps its sentinel values below).
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				c[i*ldc+j] = T(math.NaN())
			}
		}
	}
	orig := append([]T(nil), c...)
	want, scale := refGemm(tc.transA, tc.transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

	gemmFn(tc.transA, tc.transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

	u := 0x1p-53
	if _, ok := any(alpha).(float32); ok {
		u = 0x1p-24
	}
	bad := 0
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			got := float64(c[i*ldc+j])
			if j >= n {
				if c[i*ldc+j] != orig[i*ldc+j] {
					t.Errorf("C[%d][%d] (padding) changed from %v to %v", i, j, orig[i*ldc+j], got)
					bad++
				}
				continue
			}
			w := want[i*n+j]
			tol := 2*float64(k+2)*u*scale[i*n+j] + 1e-30
			if !(math.Abs(got-w) <= tol) {
				t.Errorf("C[%d][%d] = %v, want %v (tolerance %.3g)", i, j, got, w, tol)
				bad++
			}
			if bad > 10 {
				t.Fatalf("too many errors")
			}
		}
	}
}

// withKernel runs f with the float32 kernel set to kern.
func withKernel(kern *kernel[float32], f func()) {
	old := sgemmKernel
	sgemmKernel = kern
	defer func() { sgemmKernel = old }()
	f()
}

// testCases crosses awkward sizes with the four transpose combinations,
// padded leading dimensions, and the alpha/beta cases that take different
// paths (beta 0 must ignore NaN in C; beta 1; a general beta).
func testCases() []gemmCase {
	type mnk struct{ m, n, k int }
	shapes := []mnk{
		{1, 1, 1}, {1, 1, 0}, {3, 5, 0}, {1, 7, 13}, {7, 1, 13}, {13, 7, 1},
		{6, 64, 1}, {6, 64, 2}, {6, 64, 3}, {12, 128, 5},
		{7, 13, 31}, {31, 97, 13}, {97, 31, 7}, {65, 129, 33},
		{6, 784, 25}, {16, 100, 150}, {17, 200, 257},
		{5, 63, 511}, {100, 33, 600},
		{6, 96, 9}, {13, 112, 20}, {7, 24, 5}, {12, 48, 3},
	}
	var cases []gemmCase
	for si, s := range shapes {
		for tr := 0; tr < 4; tr++ {
			for bi, beta := range []float64{0, 1, 0.5} {
				alpha := 1.0
				if (si+tr+bi)%2 == 1 {
					alpha = -1.5
				}
				pad := (si + tr + bi) % 3 * 5
				cases = append(cases, gemmCase{
					transA: tr&1 != 0, transB: tr&2 != 0,
					m: s.m, n: s.n, k: s.k,
					padA: pad, padB: (pad + 3) % 7, padC: pad / 2,
					alpha: alpha, beta: beta,
				})
			}
		}
	}
	// alpha == 0 must only scale C.
	cases = append(cases,
		gemmCase{m: 5, n: 9, k: 4, alpha: 0, beta: 0},
		gemmCase{m: 5, n: 9, k: 4, alpha: 0, beta: 0.5, padC: 2},
	)
	return cases
}

func TestSgemm(t *testing.T) {
	for _, kern := range sgemmKernels() {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(kern, func() {
				rng := rand.New(rand.NewPCG(1, 2))
				for _, tc := range testCases() {
					t.Run(tc.String(), func(t *testing.T) { run(t, tc, rng, Sgemm) })
				}
			})
		})
	}
}

func TestDgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range testCases() {
		t.Run(tc.String(), func(t *testing.T) { run(t, tc, rng, Dgemm) })
	}
}

// TestSgemmLarge covers multiple cache blocks in every dimension (k beyond
// kc, n beyond nc, m beyond mc) and the parallel splits along N, M and K.
func TestSgemmLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large shapes")
	}
	cases := []gemmCase{
		{m: 1100, n: 70, k: 300, alpha: 1, beta: 0.5},
		{transA: true, m: 1031, n: 67, k: 290, alpha: 1, beta: 0},
		{m: 13, n: 2000, k: 600, padB: 3, alpha: 2, beta: 1},
		{transB: true, m: 40, n: 1700, k: 530, alpha: 1, beta: 0},
		{transA: true, transB: true, m: 70, n: 900, k: 513, padA: 1, padC: 4, alpha: -1, beta: 0.5},
		{m: 512, n: 288, k: 100, alpha: 1, beta: 0},
		{m: 6, n: 5000, k: 25, alpha: 1, beta: 0},
		// Few tiles and a long inner dimension: split along K.
		{transB: true, m: 6, n: 25, k: 8000, padC: 3, alpha: 1, beta: 0.5},
		{transB: true, m: 16, n: 150, k: 2100, alpha: 2, beta: 0},
		{transA: true, m: 5, n: 70, k: 5001, padA: 2, alpha: 1, beta: 1},
	}
	for _, kern := range sgemmKernels() {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(kern, func() {
				rng := rand.New(rand.NewPCG(5, 6))
				for _, procs := range []int{1, 2, 3} {
					old := runtime.GOMAXPROCS(procs)
					for _, tc := range cases {
						t.Run(fmt.Sprintf("p%d/%v", procs, tc), func(t *testing.T) { run(t, tc, rng, Sgemm) })
					}
					runtime.GOMAXPROCS(old)
				}
			})
		})
	}
}

// TestSgemmRandom is a randomized sweep over many small shapes, every
// transpose, padding and alpha/beta, for each kernel.
func TestSgemmRandom(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 50
	}
	for _, kern := range sgemmKernels() {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(kern, func() {
				rng := rand.New(rand.NewPCG(7, 8))
				betas := []float64{0, 1, 0.5, -2}
				for i := 0; i < n; i++ {
					tc := gemmCase{
						transA: rng.IntN(2) == 1, transB: rng.IntN(2) == 1,
						m: 1 + rng.IntN(40), n: 1 + rng.IntN(150), k: rng.IntN(70),
						padA: rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3),
						alpha: []float64{1, -1, 0.25, 3}[rng.IntN(4)], beta: betas[rng.IntN(4)],
					}
					run(t, tc, rng, Sgemm)
					if t.Failed() {
						t.Fatalf("case %v", tc)
					}
				}
			})
		})
	}
}

func TestDgemmRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for i := 0; i < 200; i++ {
		tc := gemmCase{
			transA: rng.IntN(2) == 1, transB: rng.IntN(2) == 1,
			m: 1 + rng.IntN(30), n: 1 + rng.IntN(30), k: rng.IntN(40),
			padA: rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3),
			alpha: 1.5, beta: []float64{0, 1, 0.5}[rng.IntN(3)],
		}
		run(t, tc, rng, Dgemm)
		if t.Failed() {
			t.Fatalf("case %v", tc)
		}
	}
}

// TestSgemmZeroSize: m or n of zero is a no-op even with nil slices.
func TestSgemmZeroSize(t *testing.T) {
	Sgemm(false, false, 0, 5, 3, 1, nil, 3, nil, 5, 0, nil, 5)
	Sgemm(true, true, 4, 0, 3, 1, nil, 4, nil, 3, 0, nil, 1)
}

func TestSgemmPanics(t *testing.T) {
	a := make([]float32, 12)
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) }, errNegM},
		{"bad lda", func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) }, errBadLdA},
		{"bad ldb trans", func() { Sgemm(false, true, 2, 2, 3, 1, a, 3, a, 2, 0, a, 2) }, errBadLdB},
		{"bad ldc", func() { Sgemm(false, false, 2, 3, 2, 1, a, 2, a, 3, 0, a, 2) }, errBadLdC},
		{"short a", func() { Sgemm(false, false, 5, 2, 3, 1, a, 3, a, 2, 0, a, 2) }, errShortA},
		{"short c", func() { Sgemm(false, false, 7, 2, 1, 1, a, 1, a, 2, 0, a, 2) }, errShortC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != tt.want {
					t.Errorf("panic %v, want %q", r, tt.want)
				}
			}()
			tt.f()
		})
	}
}

// TestPaddingNotCleared: packing leaves the padding rows and columns of a
// short sliver as they were, since a row or column of C depends only on
// its own row of A or column of B. Here that padding is NaN (a workspace
// poisoned before every call), and every kernel must still give exact
// results on shapes with ragged edges, all transposes.
func TestPaddingNotCleared(t *testing.T) {
	poisoned := func() *workspace[float32] {
		ws := new(workspace[float32])
		ws.ensure(1<<16, 1<<18, 1<<12, 1<<16)
		for _, s := range [][]float32{ws.a, ws.b, ws.tile, ws.tail} {
			for i := range s {
				s[i] = float32(math.NaN())
			}
		}
		return ws
	}
	shapes := []struct{ m, n, k int }{{7, 13, 31}, {13, 70, 9}, {5, 25, 40}, {6, 16, 3}, {1, 97, 300}, {11, 130, 17}}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, kern := range sgemmKernels() {
		for _, sh := range shapes {
			for tr := range 4 {
				tc := gemmCase{transA: tr&1 != 0, transB: tr&2 != 0, m: sh.m, n: sh.n, k: sh.k, padB: 1, alpha: 1, beta: 0.5}
				t.Run(kern.name+"/"+tc.String(), func(t *testing.T) {
					run(t, tc, rng, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
						gemmSerial(kern, poisoned(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
					})
				})
			}
		}
	}
}

// TestSgemmNoAllocs: the packing buffers are pooled, so a repeated call
// allocates (almost) nothing.
func TestSgemmNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	m, n, k := 64, 300, 200
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	allocs := testing.AllocsPerRun(20, func() { Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) })
	if allocs > 0.5 {
		t.Errorf("%v allocations per call, want 0", allocs)
	}
}

// TestSgemmSerial: the single-goroutine entry points agree with the
// reference on shapes that Sgemm would split across goroutines.
func TestSgemmSerial(t *testing.T) {
	cases := []gemmCase{
		{m: 300, n: 70, k: 300, alpha: 1, beta: 0.5},
		{transA: true, m: 131, n: 67, k: 290, alpha: 1, beta: 0},
		{transB: true, m: 6, n: 25, k: 3000, padC: 3, alpha: 1, beta: 1},
		{m: 5, n: 9, k: 0, alpha: 1, beta: 0.5},
	}
	rng := rand.New(rand.NewPCG(11, 12))
	old := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(old)
	for _, tc := range cases {
		t.Run(tc.String(), func(t *testing.T) {
			run(t, tc, rng, SgemmSerial)
			run(t, tc, rng, DgemmSerial)
		})
	}
}

// Transpose32 against the definition, on awkward sizes around the 16 x 16
// blocks, with padded leading dimensions.
func TestTranspose32(t *testing.T) {
	for _, rows := range []int{1, 3, 15, 16, 17, 32, 47, 64} {
		for _, cols := range []int{1, 2, 16, 31, 33, 80} {
			lds, ldd := cols+3, rows+5
			src := make([]float32, rows*lds)
			for i := range src {
				src[i] = float32(i) + 0.5
			}
			dst := make([]float32, cols*ldd)
			for i := range dst {
				dst[i] = -1
			}
			Transpose32(dst, ldd, src, lds, rows, cols)
			for c := range cols {
				for r := range ldd {
					want := float32(-1)
					if r < rows {
						want = src[r*lds+c]
					}
					if got := dst[c*ldd+r]; got != want {
						t.Fatalf("%dx%d: dst[%d][%d] = %v, want %v", rows, cols, c, r, got, want)
					}
				}
			}
		}
	}
}
