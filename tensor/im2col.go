package tensor

import (
	"fmt"
	"runtime"

	"nnkit/tensor/internal/gemm"
	"nnkit/tensor/internal/par"
)

// Helpers shared by the convolution-family operations (conv2d.go, pool.go,
// adaptivepool.go, batchnorm.go, resize.go).

// im2col unrolls one image x [C, H, W] into the OH*OW columns of col
// starting at col[0], whose rows are ld apart (ld >= OH*OW, so that several
// images can sit side by side):
//
//	col[((c*K+ki)*K+kj)*ld + oh*OW+ow] = x[c][oh*s-p+ki][ow*s-p+kj]   (0 outside x)
//
// so that a convolution becomes the matrix product W[OC, C*K*K] x col.
// Each row is one kernel offset (c, ki, kj) over every output position; the
// valid output columns of a row are found once, so the inner loop is a copy
// (stride 1) or a strided gather with no bounds tests.
//
// With stride 1 every row is a block of OH rows of OW elements read from the
// zero-padded image at a fixed offset, copied with copyRows.
func im2col[T float](col []T, ld int, x []T, C, H, W, K, s, p, OH, OW int) {
	if s == 1 {
		im2colStride1(col, ld, x, C, H, W, K, p, OH, OW)
		return
	}
	ohw := OH * OW
	for c := 0; c < C; c++ {
		plane := x[c*H*W : (c+1)*H*W]
		for ki := 0; ki < K; ki++ {
			for kj := 0; kj < K; kj++ {
				row := col[((c*K+ki)*K+kj)*ld:][:ohw]
				lo, hi := validRange(OW, W, kj, s, p)
				for oh := 0; oh < OH; oh++ {
					dst := row[oh*OW : (oh+1)*OW]
					ih := oh*s - p + ki
					if ih < 0 || ih >= H || lo >= hi {
						clear(dst)
						continue
					}
					clear(dst[:lo])
					clear(dst[hi:])
					src := plane[ih*W:]
					iw := lo*s - p + kj
					if s == 1 {
						copy(dst[lo:hi], src[iw:iw+hi-lo])
						continue
					}
					if s == 2 {
						copyEven(dst[lo:hi], src[iw:])
						continue
					}
					for ow := lo; ow < hi; ow++ {
						dst[ow] = src[iw]
						iw += s
					}
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it adds every element of the OH*OW
// columns of col (rows ld apart) into the position of x [C, H, W] that
// im2col read it from (elements read from the padding are dropped). x must be zeroed by the
// caller if a plain (not accumulated) result is wanted.
func col2im[T float](x, col []T, ld int, C, H, W, K, s, p, OH, OW int) {
	if s == 1 {
		col2imStride1(x, col, ld, C, H, W, K, p, OH, OW)
		return
	}
	ohw := OH * OW
	for c := 0; c < C; c++ {
		plane := x[c*H*W : (c+1)*H*W]
		for ki := 0; ki < K; ki++ {
			for kj := 0; kj < K; kj++ {
				row := col[((c*K+ki)*K+kj)*ld:][:ohw]
				lo, hi := validRange(OW, W, kj, s, p)
				if lo >= hi {
					continue
				}
				for oh := 0; oh < OH; oh++ {
					ih := oh*s - p + ki
					if ih < 0 || ih >= H {
						continue
					}
					src := row[oh*OW+lo : oh*OW+hi]
					iw := lo*s - p + kj
					if s == 1 {
						dst := plane[ih*W+iw:][:len(src)]
						for i, v := range src {
							dst[i] += v
						}
						continue
					}
					dst := plane[ih*W:]
					for _, v := range src {
						dst[iw] += v
						iw += s
					}
				}
			}
		}
	}
}

// padImage returns x [C, H, W] with p zeros on every side, [C, H+2p,
// W+2p], in a scratch buffer (x itself when p is 0), and whether it is a
// scratch buffer to put back.
func padImage[T float](x []T, C, H, W, p int) ([]T, bool) {
	if p == 0 {
		return x, false
	}
	xp := getScratch[T](C * (H + 2*p) * (W + 2*p))
	padInto(xp, x, C, H, W, p)
	return xp, true
}

// padInto writes x [C, H, W] with p zeros on every side into xp [C,
// H+2p, W+2p].
func padInto[T float](xp, x []T, C, H, W, p int) {
	hp, wp := H+2*p, W+2*p
	clear(xp[:C*hp*wp])
	for c := range C {
		copyRows(xp[c*hp*wp+p*wp+p:], wp, x[c*H*W:], W, H, W)
	}
}

// im2colStride1 is im2col for stride 1: output row oh of kernel offset
// (ki, kj) reads padded row oh+ki from column kj on, so each row of col is
// one block copy from the padded image.
func im2colStride1[T float](col []T, ld int, x []T, C, H, W, K, p, OH, OW int) {
	xp, scratch := padImage(x, C, H, W, p)
	hp, wp := H+2*p, W+2*p
	for c := range C {
		plane := xp[c*hp*wp : (c+1)*hp*wp]
		for ki := range K {
			for kj := range K {
				copyRows(col[((c*K+ki)*K+kj)*ld:], OW, plane[ki*wp+kj:], wp, OH, OW)
			}
		}
	}
	if scratch {
		putScratch(xp)
	}
}

// col2imStride1 is col2im for stride 1, the adjoint of im2colStride1: the
// rows of col are added into a zeroed padded image, whose interior is then
// added into x.
func col2imStride1[T float](x, col []T, ld int, C, H, W, K, p, OH, OW int) {
	hp, wp := H+2*p, W+2*p
	gp := x
	if p > 0 {
		gp = getScratch[T](C * hp * wp)
		clear(gp)
	}
	for c := range C {
		plane := gp[c*hp*wp : (c+1)*hp*wp]
		if col2imPlaneAcc(plane, col[c*K*K*ld:], ld, K, OH, OW) {
			continue
		}
		for ki := range K {
			for kj := range K {
				addRows(plane[ki*wp+kj:], wp, col[((c*K+ki)*K+kj)*ld:], OW, OH, OW)
			}
		}
	}
	if p > 0 {
		for c := range C {
			addRows(x[c*H*W:], W, gp[c*hp*wp+p*wp+p:], wp, H, W)
		}
		putScratch(gp)
	}
}

// validRange returns the output columns [lo, hi) whose input column
// o*s-p+k lies inside [0, W).
func validRange(OW, W, k, s, p int) (lo, hi int) {
	// o*s - p + k >= 0  <=>  o >= ceil((p-k)/s)
	if d := p - k; d > 0 {
		lo = (d + s - 1) / s
	}
	// o*s - p + k <= W-1  <=>  o <= floor((W-1+p-k)/s)
	if d := W - 1 + p - k; d >= 0 {
		hi = d/s + 1
	}
	lo, hi = min(lo, OW), min(hi, OW)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// gemmT is gemm.Sgemm or gemm.Dgemm, chosen by the element type (their
// Serial forms when serial is set: the caller runs one per core):
// c = op(a) op(b) + beta c with op(a) m x k and op(b) k x n, row-major.
func gemmT[T float](serial, ta, tb bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch a := any(a).(type) {
	case []float32:
		f := gemm.Sgemm
		if serial {
			f = gemm.SgemmSerial
		}
		f(ta, tb, m, n, k, 1, a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		f := gemm.Dgemm
		if serial {
			f = gemm.DgemmSerial
		}
		f(ta, tb, m, n, k, 1, a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

// gemmKBlocks is gemmT without transposes and with beta 0, its sum over k
// split into blocks of at most maxK, as equal as they come: each block's
// products are accumulated alone and added to the running total, which
// in float32 rounds like a two-level pairwise sum (winoKBlock,
// dgradKBlock).
func gemmKBlocks[T float](serial bool, m, n, k, maxK int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	if k <= maxK {
		gemmT(serial, false, false, m, n, k, a, lda, b, ldb, 0, c, ldc)
		return
	}
	blocks := (k + maxK - 1) / maxK
	step := (k + blocks - 1) / blocks
	for k0 := 0; k0 < k; k0 += step {
		beta := T(1)
		if k0 == 0 {
			beta = 0
		}
		gemmT(serial, false, false, m, n, min(step, k-k0), a[k0:], lda, b[k0*ldb:], ldb, beta, c, ldc)
	}
}

// splitWork calls f(worker, lo, hi) on up to GOMAXPROCS contiguous chunks of
// [0, n) in parallel (the calling goroutine runs chunk 0). The chunks depend
// only on n, cost and GOMAXPROCS, so per-worker partial sums reduced in
// worker order are deterministic; splitWorkers says how many chunks there
// will be, so callers can allocate per-worker buffers first.
func splitWork(n, cost int, f func(worker, lo, hi int)) {
	workers, chunk := splitPlan(n, cost)
	if workers == 1 {
		if n > 0 {
			f(0, 0, n)
		}
		return
	}
	par.Do(workers, func(w int) { f(w, w*chunk, min((w+1)*chunk, n)) })
}

// splitWorkers is the number of chunks splitWork(n, cost, f) uses.
func splitWorkers(n, cost int) int {
	w, _ := splitPlan(n, cost)
	return w
}

// splitPlan: cost is a rough count of element operations per item. Below
// about 32k operations in all, starting goroutines (microseconds) costs more
// than the second core saves, and everything runs in one chunk.
func splitPlan(n, cost int) (workers, chunk int) {
	workers = min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 || n*cost < 1<<15 {
		return 1, n
	}
	chunk = (n + workers - 1) / workers
	return (n + chunk - 1) / chunk, chunk
}

// check4D panics unless t is a 4-dimensional [N, C, H, W] tensor.
func check4D(op, name string, t *Tensor) {
	if t == nil {
		panic(fmt.Sprintf("tensor: %s: %s is nil", op, name))
	}
	if t.Dim() != 4 {
		panic(fmt.Sprintf("tensor: %s: %s must be [N C H W], found shape %v", op, name, t.shape))
	}
}

// poolOutSize is floor((in + 2p - k)/s) + 1, panicking with the op's name
// on bad arguments or an empty result.
func poolOutSize(op string, x *Tensor, in, k, s, p int) int {
	if k <= 0 || s <= 0 || p < 0 {
		panic(fmt.Sprintf("tensor: %s: kernel %d, stride %d, padding %d: kernel and stride must be positive and padding non-negative", op, k, s, p))
	}
	if in+2*p < k {
		panic(fmt.Sprintf("tensor: %s: input %v with padding %d is smaller than the kernel %d (output size would be <= 0)", op, x.shape, p, k))
	}
	return (in+2*p-k)/s + 1
}
