package gemm

import (
	"runtime"
	"sync"

	"nnkit/tensor/internal/par"
)

type float interface{ ~float32 | ~float64 }

// A kernel is a register-blocked micro-kernel and the cache blocking that
// suits it.
//
// fn computes one mr x nr tile of C from an mr x kc sliver of A
// (a[i*ars+p*aks] = op(A)[i][p]: ars = 1, aks = mr for a packed sliver,
// ars = lda, aks = 1 for rows of A read in place) and a kc x nr sliver of B
// (b[p*ldb+j] = op(B)[p][j], so ldb is nr for a packed sliver or the
// caller's ldb when B is read in place):
//
//	for i < mr, j < nr:
//		s := sum over p < kc of a[i*ars+p*aks] * b[p*ldb+j]
//		c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]   // or alpha*s when beta == 0
//
// kc is at least 1. With beta == 0, c is written without being read.
type kernel[T float] struct {
	name   string
	mr, nr int
	// kc, mc, nc are the largest cache blocks: an mr x kc sliver of A
	// stays in L1 while it sweeps a kc x nc block of packed B held in L2.
	kc, mc, nc int
	fn         func(kc int, a []T, ars, aks int, b []T, ldb int, c []T, ldc int, alpha, beta T)
	// tails are narrower kernels (ascending nr, same mr) for the last
	// column tile when it is short, so that less of it is padding.
	tails []tailKernel[T]
	// packBT, if set, replaces packBTrans (the transposing pack of B).
	packBT func(b []T, ldb, pc, j0, kc, nrr, nr int, d []T)
}

// columnTile returns the kernel for a column tile nrr wide and the width
// it computes: the main kernel, or the narrowest tail kernel at least
// nrr wide.
func (kern *kernel[T]) columnTile(nrr int) (fn func(kc int, a []T, ars, aks int, b []T, ldb int, c []T, ldc int, alpha, beta T), w int) {
	if nrr < kern.nr {
		for _, t := range kern.tails {
			if t.nr >= nrr {
				return t.fn, t.nr
			}
		}
	}
	return kern.fn, kern.nr
}

type tailKernel[T float] struct {
	nr int
	fn func(kc int, a []T, ars, aks int, b []T, ldb int, c []T, ldc int, alpha, beta T)
}

// parallelMinFlops is the smallest product (2*m*n*k) that is split across
// goroutines (4 MFLOP, about 40 microseconds on one core); below it,
// waking and joining goroutines (several microseconds) and packing the
// shared operand twice cost more than the second core saves.
const parallelMinFlops = 1 << 22

// gemm checks nothing; Sgemm and Dgemm have validated the arguments.
func gemm[T float](kern *kernel[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	workers := runtime.GOMAXPROCS(0)
	if workers == 1 || 2*float64(m)*float64(n)*float64(k) < parallelMinFlops {
		serial(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}

	mt, nt := ceilDiv(m, kern.mr), ceilDiv(n, kern.nr)
	if mt*nt < 2*workers && k >= kSplitMinK {
		gemmSplitK(kern, workers, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}

	// Split along N or M into at most workers chunks of whole tiles,
	// whichever gives the smallest largest chunk, counted in elements of C
	// with the padding the kernels compute (a short last column tile runs a
	// kernel a multiple of 16 wide). Ties go to N: splitting M makes every
	// worker pack all of B.
	chunkN := ceilDiv(nt, min(workers, nt)) * kern.nr
	chunkM := ceilDiv(mt, min(workers, mt)) * kern.mr
	costN := roundUp(min(chunkN, n), 16) * roundUp(m, kern.mr)
	costM := min(chunkM, roundUp(m, kern.mr)) * roundUp(n, 16)
	splitN := costN <= costM
	chunk, total := chunkN, n
	if !splitN {
		chunk, total = chunkM, m
	}
	run := func(lo, hi int) {
		ws := getWorkspace(kern)
		if splitN {
			bo := lo
			if transB {
				bo = lo * ldb
			}
			gemmSerial(kern, ws, transA, transB, m, hi-lo, k, alpha, a, lda, b[bo:], ldb, beta, c[lo:], ldc)
		} else {
			ao := lo * lda
			if transA {
				ao = lo
			}
			gemmSerial(kern, ws, transA, transB, hi-lo, n, k, alpha, a[ao:], lda, b, ldb, beta, c[lo*ldc:], ldc)
		}
		putWorkspace(ws)
	}
	par.Do(ceilDiv(total, chunk), func(w int) { run(w*chunk, min((w+1)*chunk, total)) })
}

// serial is gemm on the calling goroutine, with a pooled workspace.
func serial[T float](kern *kernel[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	ws := getWorkspace(kern)
	gemmSerial(kern, ws, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	putWorkspace(ws)
}

// kSplitMinK is the smallest inner dimension split across goroutines when C
// has too few tiles to share out (weight gradients of convolutions: a small
// C summed over every position of the batch).
const kSplitMinK = 1024

// gemmSplitK gives each goroutine a slice of the inner dimension. The first
// accumulates into C with the caller's beta; the others into zeroed scratch
// copies of C, which are then added in.
func gemmSplitK[T float](kern *kernel[T], workers int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	workers = min(workers, k/(kSplitMinK/2))
	chunk := ceilDiv(k, workers)
	workers = ceilDiv(k, chunk)
	parts := make([]*workspace[T], workers)
	par.Do(workers, func(w int) {
		lo, hi := w*chunk, min((w+1)*chunk, k)
		ao, bo := lo, lo*ldb
		if transA {
			ao = lo * lda
		}
		if transB {
			bo = lo
		}
		ws := getWorkspace(kern)
		parts[w] = ws
		cc, ldcc, bt := c, ldc, beta
		if w > 0 {
			ws.part = grow(ws.part, m*n)
			cc, ldcc, bt = ws.part, n, 0
		}
		gemmSerial(kern, ws, transA, transB, m, n, hi-lo, alpha, a[ao:], lda, b[bo:], ldb, bt, cc, ldcc)
	})
	for w, ws := range parts {
		if ws == nil {
			continue
		}
		if w > 0 {
			for i := 0; i < m; i++ {
				ci := c[i*ldc : i*ldc+n]
				for j, v := range ws.part[i*n : i*n+n] {
					ci[j] += v
				}
			}
		}
		putWorkspace(ws)
	}
}

// gemmSerial is the blocked algorithm on one goroutine:
//
//	for each nc-wide column block jc of C:
//	  for each kc-deep block pc of the inner dimension:
//	    pack op(B)[pc:pc+kc, jc:jc+nc] into nr-wide slivers (or read B in place)
//	    for each mc-tall row block ic:
//	      pack op(A)[ic:ic+mc, pc:pc+kc] into mr-tall slivers when transA
//	      (otherwise the kernel reads rows of A in place)
//	      for each mr sliver of A, for each nr sliver of B: micro-kernel
//
// The first kc block applies the caller's beta; later ones accumulate
// (beta = 1). Tiles cut short by the edges of C are computed into a
// scratch tile and merged.
func gemmSerial[T float](kern *kernel[T], ws *workspace[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	mr, nr := kern.mr, kern.nr
	kcb := ceilDiv(k, ceilDiv(k, kern.kc))
	mcb := roundUp(ceilDiv(m, ceilDiv(m, kern.mc)), mr)
	ncb := roundUp(ceilDiv(n, ceilDiv(n, kern.nc)), nr)
	// When op(B) is B itself its rows are already contiguous runs of nr, so
	// the kernels read B in place (only a short last column tile is packed,
	// zero-padded). Measured on the convolution shapes this is as fast or
	// faster than packing (M = 64, N = 18432, K = 576: 71 -> 82 GFLOP/s on one
	// core), since copying costs a pass over B that the kernel's reads, which
	// the hardware prefetcher follows row by row, do not need.
	direct := !transB
	nb := 0 // packed B, only when transposed
	if !direct {
		nb = min(ncb, roundUp(n, nr)) * kcb
	}
	ws.ensure(min(mcb, roundUp(m, mr))*kcb, nb, mr*nr, kcb*nr)

	for jc := 0; jc < n; jc += ncb {
		nc := min(ncb, n-jc)
		for pc := 0; pc < k; pc += kcb {
			kc := min(kcb, k-pc)
			bt := beta
			if pc > 0 {
				bt = 1
			}
			ntail := nc % nr
			if direct {
				if ntail != 0 {
					packB(kern, false, b, ldb, pc, jc+nc-ntail, kc, ntail, ws.tail)
				}
			} else {
				packB(kern, transB, b, ldb, pc, jc, kc, nc, ws.b)
			}
			for ic := 0; ic < m; ic += mcb {
				mc := min(mcb, m-ic)
				mtail := mc % mr
				if !transA {
					// Full slivers are read in place; only a short last
					// one is packed (zero-padded).
					if mtail != 0 {
						packA(false, a, lda, ic+mc-mtail, pc, mtail, kc, mr, ws.a)
					}
				} else {
					packA(true, a, lda, ic, pc, mc, kc, mr, ws.a)
				}
				for ir := 0; ir < mc; ir += mr {
					mrr := min(mr, mc-ir)
					var ap []T
					ars, aks := 1, mr
					switch {
					case transA:
						ap = ws.a[ir*kc : (ir+mr)*kc]
					case mrr < mr:
						ap = ws.a[:kc*mr]
					default:
						ap = a[(ic+ir)*lda+pc:]
						ars, aks = lda, 1
					}
					for jr := 0; jr < nc; jr += nr {
						nrr := min(nr, nc-jr)
						var bp []T
						bs := nr
						switch {
						case !direct:
							bp = ws.b[jr*kc : (jr+nr)*kc]
						case nrr < nr:
							bp = ws.tail[:kc*nr]
						default:
							bp = b[pc*ldb+jc+jr:]
							bs = ldb
						}
						ci := (ic+ir)*ldc + jc + jr
						fn, w := kern.columnTile(nrr)
						if mrr == mr && nrr == w {
							fn(kc, ap, ars, aks, bp, bs, c[ci:], ldc, alpha, bt)
							continue
						}
						tile := ws.tile
						fn(kc, ap, ars, aks, bp, bs, tile, nr, 1, 0)
						for i := 0; i < mrr; i++ {
							ct := c[ci+i*ldc : ci+i*ldc+nrr]
							tt := tile[i*nr : i*nr+nrr]
							if bt == 0 {
								for j, v := range tt {
									ct[j] = alpha * v
								}
							} else {
								for j, v := range tt {
									ct[j] = alpha*v + bt*ct[j]
								}
							}
						}
					}
				}
			}
		}
	}
}

// scaleC sets C = beta*C, writing zeros without reading C when beta == 0.
func scaleC[T float](m, n int, beta T, c []T, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// workspace holds one goroutine's packing buffers. They are pooled so that
// repeated calls reuse them instead of allocating in proportion to the
// problem.
type workspace[T float] struct {
	a, b, tile, tail []T
	part             []T // a private C for gemmSplitK
}

func grow[T float](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func (ws *workspace[T]) ensure(na, nb, ntile, ntail int) {
	ws.a = grow(ws.a, na)
	ws.b = grow(ws.b, nb)
	ws.tile = grow(ws.tile, ntile)
	ws.tail = grow(ws.tail, ntail)
}

var pool32, pool64 sync.Pool

func poolFor[T float]() *sync.Pool {
	var z T
	switch any(z).(type) {
	case float32:
		return &pool32
	case float64:
		return &pool64
	}
	panic(errInternal)
}

func getWorkspace[T float](*kernel[T]) *workspace[T] {
	if ws, ok := poolFor[T]().Get().(*workspace[T]); ok {
		return ws
	}
	return new(workspace[T])
}

func putWorkspace[T float](ws *workspace[T]) { poolFor[T]().Put(ws) }

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }
