package tensor

import (
	"fmt"

	"nnkit/tensor/internal/gemm"
	"nnkit/tensor/internal/par"
)

// Conv2d is the 2-D convolution (cross-correlation, as in PyTorch) of
// x [N, C, H, W] with w [OC, C, K, K], plus the optional bias b [OC] (nil for
// none), with the given stride and zero padding on every side:
//
//	y[n][o][i][j] = b[o] + sum over c, ki, kj of
//	                w[o][c][ki][kj] * x[n][c][i*s-p+ki][j*s-p+kj]
//
// The result is [N, OC, OH, OW] with OH = (H + 2p - K)/s + 1 (floor), and
// likewise OW.
//
// # How it is computed
//
// Float32 3 x 3 stride-1 convolutions with at least 16 input and output
// channels (the bulk of a ResNet) go through Winograd's F(2x2, 3x3) or
// F(4x4, 3x3) instead, which multiply 2.25 or 4 times less: see
// winograd.go. The forward pass of small float32 stride-1 layers
// (LeNet's) runs as a direct convolution with the same sums as below, so
// the same bits: see directconv.go. Everything else, and every float64
// convolution (the reference for gradient checks), is computed as
// follows.
//
// im2col unrolls an image x_n into col_n [C*K*K, OH*OW] (one row per
// kernel offset (c, ki, kj), one column per output position), so that
//
//	Y_n = W col_n           W viewed as [OC, C*K*K], Y_n as [OC, OH*OW]
//
// is one GEMM. When OH*OW is small (the deep layers of a ResNet) one image
// makes a thin, inefficient GEMM, so a chunk of B images is unrolled side by
// side into col [C*K*K, B*OH*OW] and multiplied at once; the result
// [OC, B*OH*OW] is then copied to the images' [OC, OH*OW] blocks, adding
// the bias on the way. Chunks hold about convChunkCols columns, few enough
// that col stays in the L2 cache for small layers (LeNet) while deep
// layers get a GEMM wide enough to run near the machine's peak. Every
// output element is one dot product over C*K*K accumulated in the same
// order whatever the chunking, so the forward result does not depend on it.
//
// Parallelism: when every goroutine gets at least a chunk, the images are
// split into runtime.GOMAXPROCS(0) contiguous ranges, one per goroutine,
// each running single-threaded GEMMs on its own buffers; otherwise (a small
// batch) chunks run one after the other and the GEMM itself is split.
//
// # Gradient
//
// Y_n = W col_n + b 1^T is linear in W, b and col_n, so with G_n = dL/dY_n:
//
//	dL/dW = sum over n of G_n col_n^T      ([OC, OH*OW] x [OH*OW, C*K*K])
//	dL/db = sum over n, i, j of G_n[o][i, j]
//	dL/dcol_n = W^T G_n                    ([C*K*K, OC] x [OC, OH*OW])
//
// and since col_n copies elements of x_n (each x element appears once per
// kernel offset that reaches it), dL/dx_n is col2im(dL/dcol_n): every
// element of dL/dcol_n is added back to the x position it was copied from,
// and those that came from the padding are dropped. The same chunks are
// used: a chunk's G blocks are gathered side by side into [OC, B*OH*OW],
// one GEMM gives the chunk's part of dL/dW and one its dL/dcol. W^T is
// transposed once per backward pass, so that GEMM reads it in place. col_n
// is rebuilt in the backward pass rather than kept, which costs one im2col
// per image but saves C*K*K*OH*OW elements per image of memory (ResNet's
// first stage would otherwise hold tens of megabytes per layer). Each
// goroutine sums its images' dL/dW and dL/db into its own buffer; the
// buffers are added in goroutine order, so the result does not depend on
// scheduling.
func Conv2d(x, w, b *Tensor, stride, padding int) *Tensor {
	g := conv2dGeometry(x, w, b, stride, padding)
	be := backendFor("Conv2d", x, w, b)
	out := be.conv2d(x, w, b, g)
	return record(out, "Conv2d", func(gy *Tensor) {
		gx, gw, gb := be.conv2dBackward(gy, x, w, g, x.requiresGrad, w.requiresGrad, b != nil && b.requiresGrad)
		accumAll(x, gx, w, gw, b, gb)
	}, x, w, b)
}

// conv2dHost is Conv2d's forward kernel on the host.
func conv2dHost(x, w, b *Tensor, g convGeom) *Tensor {
	out := newOut(x.dtype, g.n, g.oc, g.oh, g.ow)
	var bf32 []float32
	var bf64 []float64
	if b != nil {
		bf32, bf64 = b.f32, b.f64
	}
	switch wino := g.useWinograd(x.dtype); {
	case x.dtype == Float32 && wino:
		winoForward(g, out.f32, x.f32, w.f32, bf32)
	case g.useDirect(x.dtype):
		directForward(g, out.f32, x.f32, w.f32, bf32)
	case x.dtype == Float32:
		conv2dForward(g, out.f32, x.f32, w.f32, bf32)
	case wino:
		winoForward(g, out.f64, x.f64, w.f64, bf64)
	default:
		conv2dForward(g, out.f64, x.f64, w.f64, bf64)
	}
	return out
}

// dgradKBlock is the most output channels one GEMM of an im2col input
// gradient (dcol = W^T G) sums in float32: the sum runs as blocks of 64,
// each accumulated alone and added to the running total, as winoKBlock
// does for Winograd. A single FMA chain over 256 channels made stage 3's
// stride-2 input gradient 2.1 times PyTorch's float32 error; in blocks it
// is 1.1 times, and every im2col input gradient of ResNet-18 is within
// 1.2 times (go run ./cmd/bench -work accuracy).
const dgradKBlock = 64

// conv2dBackwardHost is Conv2d's backward kernel on the host.
func conv2dBackwardHost(gy, x, w *Tensor, g convGeom, needX, needW, needB bool) (gx, gw, gb *Tensor) {
	wino := g.useWinograd(x.dtype)
	if needX {
		gx = newGrad(x, !wino) // Winograd writes every element
	}
	if needW {
		gw = newGrad(w, !wino) // Winograd writes every element
	}
	if needB {
		gb = newPooled(x.dtype, true, g.oc)
	}
	switch {
	case x.dtype == Float32 && wino:
		winoBackward(g, gy.f32, x.f32, w.f32, data32(gx), data32(gw), data32(gb))
	case x.dtype == Float32:
		conv2dBackward(g, gy.f32, x.f32, w.f32, data32(gx), data32(gw), data32(gb))
	case wino:
		winoBackward(g, gy.f64, x.f64, w.f64, data64(gx), data64(gw), data64(gb))
	default:
		conv2dBackward(g, gy.f64, x.f64, w.f64, data64(gx), data64(gw), data64(gb))
	}
	return gx, gw, gb
}

// convGeom is one convolution's sizes.
type convGeom struct {
	n, c, h, w    int  // input
	oc, k, s, p   int  // weight, stride, padding
	oh, ow        int  // output
	ckk, ohw, chw int  // rows of col, columns of col, elements of one image
	pointwise     bool // 1x1, stride 1, no padding: col_n is x_n
	imageFlops    int  // 2*OC*C*K*K*OH*OW, the forward GEMM's work per image
}

func conv2dGeometry(x, w, b *Tensor, stride, padding int) convGeom {
	const op = "Conv2d"
	check4D(op, "input", x)
	check4D(op, "weight", w)
	checkSameDType(op, x, w)
	if w.shape[2] != w.shape[3] {
		panic(fmt.Sprintf("tensor: %s: weight %v must have a square kernel [OC C K K]", op, w.shape))
	}
	if x.shape[1] != w.shape[1] {
		panic(fmt.Sprintf("tensor: %s: input %v has %d channels, weight %v expects %d", op, x.shape, x.shape[1], w.shape, w.shape[1]))
	}
	if b != nil {
		checkSameDType(op, x, b)
		if b.Dim() != 1 || b.shape[0] != w.shape[0] {
			panic(fmt.Sprintf("tensor: %s: bias %v must be [%d] for weight %v", op, b.shape, w.shape[0], w.shape))
		}
	}
	if w.shape[2] == 0 {
		panic(fmt.Sprintf("tensor: %s: weight %v has an empty kernel", op, w.shape))
	}
	g := convGeom{n: x.shape[0], c: x.shape[1], h: x.shape[2], w: x.shape[3], oc: w.shape[0], k: w.shape[2], s: stride, p: padding}
	g.oh = poolOutSize(op, x, g.h, g.k, g.s, g.p)
	g.ow = poolOutSize(op, x, g.w, g.k, g.s, g.p)
	g.ckk, g.ohw, g.chw = g.c*g.k*g.k, g.oh*g.ow, g.c*g.h*g.w
	g.pointwise = g.k == 1 && g.s == 1 && g.p == 0
	g.imageFlops = 2 * g.oc * g.ckk * g.ohw
	return g
}

// convChunkCols is the number of GEMM columns (images x output positions)
// a chunk aims at.
const convChunkCols = 512

// convPlan says how a convolution's images are shared out: workers
// goroutines take contiguous ranges of images (1 means the batch is not
// split and the GEMMs are), and each range is cut into chunks of at most
// chunk images.
type convPlan struct{ workers, chunk int }

func (g convGeom) plan() convPlan { return newConvPlan(g.n, g.ohw, convChunkCols, g.imageFlops) }

// newConvPlan shares out n images of colsPerImage GEMM columns each in
// chunks of about chunkCols columns (Winograd counts tiles as columns).
func newConvPlan(n, colsPerImage, chunkCols, imageFlops int) convPlan {
	chunk := min(max(1, (chunkCols+colsPerImage-1)/colsPerImage), max(n, 1))
	workers := splitWorkers(n, imageFlops)
	if per := (n + workers - 1) / max(workers, 1); workers > 1 && per < chunk {
		// Too few images for a chunk per goroutine: one range, parallel GEMMs.
		workers = 1
	}
	return convPlan{workers: workers, chunk: chunk}
}

// forEach splits [0, n) into p.workers ranges and calls f(worker, lo,
// hi) on each, in parallel; the chunks of a range are (lo, hi) cut by
// chunks(). The workers are the plan's, not GOMAXPROCS's at the time of
// the call, which callers have sized per-worker buffers by (a GOMAXPROCS
// changed between the two used to index past them). A range may be
// empty.
func (p convPlan) forEach(n int, f func(worker, lo, hi int)) {
	if p.workers <= 1 {
		if n > 0 {
			f(0, 0, n)
		}
		return
	}
	chunk := (n + p.workers - 1) / p.workers
	par.Do(p.workers, func(w int) { f(w, min(w*chunk, n), min((w+1)*chunk, n)) })
}

// chunks cuts [lo, hi) into the fewest pieces of at most p.chunk images,
// of nearly equal sizes, and calls f on each.
func (p convPlan) chunks(lo, hi int, f func(n0, nb int)) {
	cnt := hi - lo
	if cnt <= 0 {
		return
	}
	pieces := (cnt + p.chunk - 1) / p.chunk
	size := (cnt + pieces - 1) / pieces
	for n0 := lo; n0 < hi; n0 += size {
		f(n0, min(size, hi-n0))
	}
}

func conv2dForward[T float](g convGeom, y, x, w, b []T) {
	p := g.plan()
	serial := p.workers > 1
	p.forEach(g.n, func(_, lo, hi int) {
		col := getScratch[T](g.ckk * p.chunk * g.ohw)
		tmp := getScratch[T](g.oc * p.chunk * g.ohw)
		defer putScratch(col)
		defer putScratch(tmp)
		p.chunks(lo, hi, func(n0, nb int) {
			ld := nb * g.ohw
			c := unroll(g, col, x, n0, nb, !serial)
			if nb == 1 {
				// The GEMM writes the image's block directly.
				yn := y[n0*g.oc*g.ohw : (n0+1)*g.oc*g.ohw]
				gemmT(serial, false, false, g.oc, ld, g.ckk, w, g.ckk, c, ld, 0, yn, ld)
				for o, bo := range b {
					addConst(yn[o*g.ohw:(o+1)*g.ohw], bo)
				}
				return
			}
			gemmT(serial, false, false, g.oc, ld, g.ckk, w, g.ckk, c, ld, 0, tmp, ld)
			perImage(!serial, nb, g.oc*g.ohw, func(i int) {
				yn := y[(n0+i)*g.oc*g.ohw : (n0+i+1)*g.oc*g.ohw]
				for o := range g.oc {
					src := tmp[o*ld+i*g.ohw : o*ld+(i+1)*g.ohw]
					dst := yn[o*g.ohw : (o+1)*g.ohw]
					if b == nil {
						copy(dst, src)
						continue
					}
					bo := b[o]
					for j, v := range src {
						dst[j] = v + bo
					}
				}
			})
		})
	})
}

// unroll returns the im2col of images [n0, n0+nb) side by side, [C*K*K,
// nb*OH*OW], written into col, or for a single image of a pointwise
// convolution the image itself.
//
// With par set (the caller is the only goroutine: an unsplit plan) the
// images are unrolled on all cores; each writes its own columns.
func unroll[T float](g convGeom, col, x []T, n0, nb int, par bool) []T {
	if g.pointwise && nb == 1 {
		return x[n0*g.chw : (n0+1)*g.chw]
	}
	ld := nb * g.ohw
	perImage(par, nb, g.ckk*g.ohw, func(i int) {
		im2col(col[i*g.ohw:], ld, x[(n0+i)*g.chw:(n0+i+1)*g.chw], g.c, g.h, g.w, g.k, g.s, g.p, g.oh, g.ow)
	})
	return col[:g.ckk*ld]
}

// perImage calls f(i) for i in [0, nb): split across cores when par is set
// and the work (cost element operations per image) is worth it, otherwise
// in order on the calling goroutine. f must write disjoint memory for
// different i.
func perImage(par bool, nb, cost int, f func(i int)) {
	perRange(par, nb, cost, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			f(i)
		}
	})
}

// perRange is perImage for callers that set up once per range: f(lo, hi)
// on the ranges of [0, n) splitWork gives, or on all of it when par is
// not set.
func perRange(par bool, n, cost int, f func(lo, hi int)) {
	if !par {
		if n > 0 {
			f(0, n)
		}
		return
	}
	splitWork(n, cost, func(_, lo, hi int) { f(lo, hi) })
}

// conv2dBackward fills whichever of gx, gw, gb is non-nil from gy.
func conv2dBackward[T float](g convGeom, gy, x, w, gx, gw, gb []T) {
	p := g.plan()
	serial := p.workers > 1
	// Per-worker partial sums of dW and db; worker 0 writes the result.
	pw := make([][]T, p.workers)
	pb := make([][]T, p.workers)
	var wt []T // W^T [CKK, OC]
	if gx != nil {
		wt = getScratch[T](g.ckk * g.oc)
		defer putScratch(wt)
		transpose(wt, w, g.oc, g.ckk)
	}
	// The weight gradient of a layer whose forward pass runs direct is
	// summed the direct way too (see directWeightGrad), without im2col.
	var direct *directPlan
	if _, f32 := any(T(0)).(float32); f32 && gw != nil && g.useDirect(Float32) {
		direct = newDirectPlan(g)
	}
	gemmW := gw != nil && direct == nil // the weight gradient through im2col and a GEMM
	p.forEach(g.n, func(worker, lo, hi int) {
		dw, db := gw, gb
		if worker > 0 {
			if gw != nil {
				dw = getScratch[T](len(gw))
				clear(dw)
				pw[worker] = dw
			}
			if gb != nil {
				db = getScratch[T](len(gb))
				clear(db)
				pb[worker] = db
			}
		}
		// With more rows of col than output channels, a multiple of 16
		// (LeNet's conv2, ResNet's stride-2 layers), dW^T = col G^T is
		// summed instead of dW = G col^T: the GEMM then packs (transposes,
		// 16 x 16 blocks) G rather than the larger col, and reads col in
		// place. Every element is the same sum in the same order, so the
		// same bits.
		var dwt []T
		if gemmW && g.ckk > g.oc && g.oc%16 == 0 {
			dwt = getScratch[T](g.ckk * g.oc)
			clear(dwt)
			defer putScratch(dwt)
		}
		// The buffers of the GEMMs, sized for what runs through them (the
		// weight gradient unless it runs direct, the input gradient); a
		// size of 0 gets nil.
		var ncol, ndcol, ngch int
		if gemmW {
			ncol, ngch = g.ckk*p.chunk*g.ohw, g.oc*p.chunk*g.ohw
		}
		if gx != nil {
			ndcol, ngch = g.ckk*p.chunk*g.ohw, g.oc*p.chunk*g.ohw
		}
		col, dcol, gch := getScratch[T](ncol), getScratch[T](ndcol), getScratch[T](ngch)
		defer putScratch(col)
		defer putScratch(dcol)
		defer putScratch(gch)
		if dw != nil && direct != nil {
			directWeightGrad(g, direct, any(dw).([]float32), any(x).([]float32), any(gy).([]float32), lo, hi-lo)
		}
		p.chunks(lo, hi, func(n0, nb int) {
			ld := nb * g.ohw
			// G for the chunk, [OC, nb*OH*OW].
			gc := gy[n0*g.oc*g.ohw : (n0+1)*g.oc*g.ohw]
			if nb > 1 && gch != nil {
				gc = gch[:g.oc*ld]
				perImage(!serial, nb, g.oc*g.ohw, func(i int) {
					gyn := gy[(n0+i)*g.oc*g.ohw : (n0+i+1)*g.oc*g.ohw]
					for o := range g.oc {
						copy(gc[o*ld+i*g.ohw:o*ld+(i+1)*g.ohw], gyn[o*g.ohw:(o+1)*g.ohw])
					}
				})
			}
			if gemmW {
				c := unroll(g, col, x, n0, nb, !serial)
				if dwt != nil {
					// dW^T += col G^T
					gemmT(serial, false, true, g.ckk, g.oc, ld, c, ld, gc, ld, 1, dwt, g.oc)
				} else {
					// dW += G col^T
					gemmT(serial, false, true, g.oc, g.ckk, ld, gc, ld, c, ld, 1, dw, g.ckk)
				}
			}
			if gx != nil {
				// dcol = W^T G, then every image's columns go back to its dx.
				// In float32 the sum over the output channels runs in
				// blocks of dgradKBlock (see there).
				maxK := g.oc
				if _, f32 := any(T(0)).(float32); f32 {
					maxK = dgradKBlock
				}
				gemmKBlocks(serial, g.ckk, ld, g.oc, maxK, wt, g.oc, gc, ld, dcol, ld)
				perImage(!serial, nb, g.ckk*g.ohw, func(i int) {
					col2im(gx[(n0+i)*g.chw:(n0+i+1)*g.chw], dcol[i*g.ohw:], ld, g.c, g.h, g.w, g.k, g.s, g.p, g.oh, g.ow)
				})
			}
			if db != nil {
				for i := n0; i < n0+nb; i++ {
					sumPlanes(db, gy[i*g.oc*g.ohw:(i+1)*g.oc*g.ohw], g.ohw)
				}
			}
		})
		for kk := 0; dwt != nil && kk < g.ckk; kk++ {
			for o, v := range dwt[kk*g.oc : (kk+1)*g.oc] {
				dw[o*g.ckk+kk] += v
			}
		}
	})
	for worker := 1; worker < p.workers; worker++ {
		if pw[worker] != nil {
			axpy(gw, pw[worker], 1)
			putScratch(pw[worker])
		}
		if pb[worker] != nil {
			axpy(gb, pb[worker], 1)
			putScratch(pb[worker])
		}
	}
}

// transpose writes the transpose of the rows x cols matrix a into at
// (cols x rows). Float32 goes through gemm.Transpose32 (16 x 16 blocks in
// registers with AVX-512) with the rows split across cores; float64 in
// 32 x 32 tiles so that both sides stay in cache.
func transpose[T float](at, a []T, rows, cols int) {
	if a32, ok := any(a).([]float32); ok {
		at32 := any(at).([]float32)
		parallelFor(rows*cols, 16*cols, func(lo, hi int) {
			r0, r1 := lo/cols, hi/cols
			gemm.Transpose32(at32[r0:], rows, a32[r0*cols:], cols, r1-r0, cols)
		})
		return
	}
	const tile = 32
	for i0 := 0; i0 < rows; i0 += tile {
		for j0 := 0; j0 < cols; j0 += tile {
			for i := i0; i < min(i0+tile, rows); i++ {
				for j, v := range a[i*cols+j0 : i*cols+min(j0+tile, cols)] {
					at[(j0+j)*rows+i] = v
				}
			}
		}
	}
}

// data32 and data64 return t's storage, or nil for a nil tensor.
func data32(t *Tensor) []float32 {
	if t == nil {
		return nil
	}
	return t.f32
}

func data64(t *Tensor) []float64 {
	if t == nil {
		return nil
	}
	return t.f64
}

// sumLanes8 returns the sum of s in eight independent chains (element i
// of each full block of 8 into chain i, the chains then added pairwise:
// 0+4, 2+6, 1+5, 3+7, and those in that order), then the ragged end in
// order: a fixed order, eight times fewer dependent additions than one
// running sum.
func sumLanes8[T float](s []T) T {
	var a [8]T
	nb := len(s) &^ 7
	for b := 0; b < nb; b += 8 {
		v := s[b : b+8 : b+8]
		a[0] += v[0]
		a[1] += v[1]
		a[2] += v[2]
		a[3] += v[3]
		a[4] += v[4]
		a[5] += v[5]
		a[6] += v[6]
		a[7] += v[7]
	}
	t := ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
	for _, v := range s[nb:] {
		t += v
	}
	return t
}
