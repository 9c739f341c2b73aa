package tensor

import "fmt"

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
// Per image, im2col unrolls x_n into col_n [C*K*K, OH*OW] (one row per
// kernel offset (c, ki, kj), one column per output position), so that
//
//	Y_n = W col_n           W viewed as [OC, C*K*K], Y_n as [OC, OH*OW]
//
// is one GEMM whose result is already in [OC, OH, OW] order. Images are
// split across runtime.GOMAXPROCS(0) goroutines, each with its own col
// buffer. A 1x1 convolution with stride 1 and no padding skips im2col:
// col_n is x_n itself.
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
// and those that came from the padding are dropped. col_n is rebuilt in
// the backward pass rather than kept, which costs one im2col per image but
// saves C*K*K*OH*OW elements per image of memory (ResNet's first stage
// would otherwise hold tens of megabytes per layer). Each goroutine sums
// its images' dL/dW and dL/db into its own buffer; the buffers are added in
// goroutine order, so the result does not depend on scheduling.
func Conv2d(x, w, b *Tensor, stride, padding int) *Tensor {
	g := conv2dGeometry(x, w, b, stride, padding)
	out := New(x.dtype, g.n, g.oc, g.oh, g.ow)
	var bf32 []float32
	var bf64 []float64
	if b != nil {
		bf32, bf64 = b.f32, b.f64
	}
	if x.dtype == Float32 {
		conv2dForward(g, out.f32, x.f32, w.f32, bf32)
	} else {
		conv2dForward(g, out.f64, x.f64, w.f64, bf64)
	}
	return record(out, "Conv2d", func(gy *Tensor) {
		var gx, gw, gb *Tensor
		if x.requiresGrad {
			gx = New(x.dtype, x.shape...)
		}
		if w.requiresGrad {
			gw = New(w.dtype, w.shape...)
		}
		if b != nil && b.requiresGrad {
			gb = New(b.dtype, b.shape...)
		}
		if x.dtype == Float32 {
			conv2dBackward(g, gy.f32, x.f32, w.f32, data32(gx), data32(gw), data32(gb))
		} else {
			conv2dBackward(g, gy.f64, x.f64, w.f64, data64(gx), data64(gw), data64(gb))
		}
		if gx != nil {
			accum(x, gx, true)
		}
		if gw != nil {
			accum(w, gw, true)
		}
		if gb != nil {
			accum(b, gb, true)
		}
	}, x, w, b)
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

func conv2dForward[T float](g convGeom, y, x, w, b []T) {
	splitWork(g.n, g.imageFlops, func(_, lo, hi int) {
		var col []T
		if !g.pointwise {
			col = make([]T, g.ckk*g.ohw)
		}
		for n := lo; n < hi; n++ {
			xn := x[n*g.chw : (n+1)*g.chw]
			yn := y[n*g.oc*g.ohw : (n+1)*g.oc*g.ohw]
			if g.pointwise {
				col = xn
			} else {
				im2col(col, xn, g.c, g.h, g.w, g.k, g.s, g.p, g.oh, g.ow)
			}
			gemmT(false, false, g.oc, g.ohw, g.ckk, w, g.ckk, col, g.ohw, 0, yn, g.ohw)
			if b != nil {
				for o, bo := range b {
					row := yn[o*g.ohw : (o+1)*g.ohw]
					for i := range row {
						row[i] += bo
					}
				}
			}
		}
	})
}

// conv2dBackward fills whichever of gx, gw, gb is non-nil from gy.
func conv2dBackward[T float](g convGeom, gy, x, w, gx, gw, gb []T) {
	workers := splitWorkers(g.n, g.imageFlops)
	// Per-worker partial sums of dW and db; worker 0 writes the result.
	pw := make([][]T, workers)
	pb := make([][]T, workers)
	splitWork(g.n, g.imageFlops, func(worker, lo, hi int) {
		dw, db := gw, gb
		if worker > 0 {
			if gw != nil {
				dw = make([]T, len(gw))
				pw[worker] = dw
			}
			if gb != nil {
				db = make([]T, len(gb))
				pb[worker] = db
			}
		}
		var col, dcol []T
		if !g.pointwise {
			if gw != nil {
				col = make([]T, g.ckk*g.ohw)
			}
			if gx != nil {
				dcol = make([]T, g.ckk*g.ohw)
			}
		}
		for n := lo; n < hi; n++ {
			gyn := gy[n*g.oc*g.ohw : (n+1)*g.oc*g.ohw]
			xn := x[n*g.chw : (n+1)*g.chw]
			if gw != nil {
				if g.pointwise {
					col = xn
				} else {
					im2col(col, xn, g.c, g.h, g.w, g.k, g.s, g.p, g.oh, g.ow)
				}
				// dW += G_n col_n^T
				gemmT(false, true, g.oc, g.ckk, g.ohw, gyn, g.ohw, col, g.ohw, 1, dw, g.ckk)
			}
			if gx != nil {
				gxn := gx[n*g.chw : (n+1)*g.chw]
				if g.pointwise {
					// dx_n = W^T G_n directly.
					gemmT(true, false, g.ckk, g.ohw, g.oc, w, g.ckk, gyn, g.ohw, 0, gxn, g.ohw)
				} else {
					gemmT(true, false, g.ckk, g.ohw, g.oc, w, g.ckk, gyn, g.ohw, 0, dcol, g.ohw)
					col2im(gxn, dcol, g.c, g.h, g.w, g.k, g.s, g.p, g.oh, g.ow)
				}
			}
			if db != nil {
				for o := range db {
					var s T
					for _, v := range gyn[o*g.ohw : (o+1)*g.ohw] {
						s += v
					}
					db[o] += s
				}
			}
		}
	})
	for worker := 1; worker < workers; worker++ {
		if pw[worker] != nil {
			axpy(gw, pw[worker], 1)
		}
		if pb[worker] != nil {
			axpy(gb, pb[worker], 1)
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
