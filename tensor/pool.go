package tensor

import "fmt"

// AvgPool2d averages x [N, C, H, W] over kernel x kernel windows moved by
// stride, after zero padding on every side, as PyTorch's
// nn.AvgPool2d(kernel, stride, padding) with its defaults
// count_include_pad=True and ceil_mode=False:
//
//	y[n][c][i][j] = (1/K^2) * sum over ki, kj < K of xpad[n][c][i*s+ki][j*s+kj]
//
// The padding counts in the divisor, which is therefore always K^2 (with
// ceil_mode=False no window reaches past the padding). The result is
// [N, C, OH, OW] with OH = (H + 2p - K)/s + 1 (floor); padding may be at
// most kernel/2, as in PyTorch.
//
// Gradient: y is linear in x with coefficient 1/K^2 for every element of
// the window, so dL/dx[h][w] = (1/K^2) * sum of dL/dy over the windows that
// contain (h, w). Windows overlap when stride < kernel, so the backward
// pass adds rather than assigns.
func AvgPool2d(x *Tensor, kernel, stride, padding int) *Tensor {
	g := poolGeometry("AvgPool2d", x, kernel, stride, padding)
	out := New(x.dtype, g.n, g.c, g.oh, g.ow)
	if x.dtype == Float32 {
		avgPoolForward(g, out.f32, x.f32)
	} else {
		avgPoolForward(g, out.f64, x.f64)
	}
	return record(out, "AvgPool2d", func(gy *Tensor) {
		gx := New(x.dtype, x.shape...)
		if x.dtype == Float32 {
			avgPoolBackward(g, gx.f32, gy.f32)
		} else {
			avgPoolBackward(g, gx.f64, gy.f64)
		}
		accum(x, gx, true)
	}, x)
}

// MaxPool2d takes the maximum of x [N, C, H, W] over kernel x kernel
// windows moved by stride, as PyTorch's nn.MaxPool2d(kernel, stride,
// padding) (dilation 1, ceil_mode=False). Padding acts as -Inf, so it is
// never the maximum; it may be at most kernel/2, so every window holds at
// least one element of x. A NaN in a window is its maximum, as in PyTorch.
//
// Gradient: within a window y is x at the argmax, so dL/dy goes entirely
// to that element (the first one in row-major order when several tie, as
// PyTorch's CPU kernel does) and nothing to the others. The argmax of
// every window is recorded in the forward pass; overlapping windows may
// share an argmax, so the backward pass adds.
func MaxPool2d(x *Tensor, kernel, stride, padding int) *Tensor {
	g := poolGeometry("MaxPool2d", x, kernel, stride, padding)
	out := New(x.dtype, g.n, g.c, g.oh, g.ow)
	// arg[plane*OH*OW + i*OW + j] is the argmax's index within its H*W plane.
	arg := make([]int32, out.Numel())
	if x.dtype == Float32 {
		maxPoolForward(g, out.f32, arg, x.f32)
	} else {
		maxPoolForward(g, out.f64, arg, x.f64)
	}
	return record(out, "MaxPool2d", func(gy *Tensor) {
		gx := New(x.dtype, x.shape...)
		if x.dtype == Float32 {
			maxPoolBackward(g, gx.f32, gy.f32, arg)
		} else {
			maxPoolBackward(g, gx.f64, gy.f64, arg)
		}
		accum(x, gx, true)
	}, x)
}

// poolGeom is one pooling's sizes; planes = N*C.
type poolGeom struct {
	n, c, h, w, k, s, p, oh, ow, planes int
}

func poolGeometry(op string, x *Tensor, k, s, p int) poolGeom {
	check4D(op, "input", x)
	g := poolGeom{n: x.shape[0], c: x.shape[1], h: x.shape[2], w: x.shape[3], k: k, s: s, p: p}
	g.oh = poolOutSize(op, x, g.h, k, s, p)
	g.ow = poolOutSize(op, x, g.w, k, s, p)
	if 2*p > k {
		panic(fmt.Sprintf("tensor: %s: padding %d must be at most half the kernel %d", op, p, k))
	}
	if g.h*g.w > 1<<31-1 {
		panic(fmt.Sprintf("tensor: %s: input %v: planes over 2^31 elements are not supported", op, x.shape))
	}
	g.planes = g.n * g.c
	return g
}

// window returns the rows (or columns) [lo, hi) of x under output
// position i, clipped to the input.
func (g poolGeom) window(i, size int) (lo, hi int) {
	lo = i*g.s - g.p
	return max(lo, 0), min(lo+g.k, size)
}

func avgPoolForward[T float](g poolGeom, y, x []T) {
	inv := 1 / T(g.k*g.k)
	hw, ohw := g.h*g.w, g.oh*g.ow
	splitWork(g.planes, ohw*g.k*g.k, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp := x[pl*hw:(pl+1)*hw], y[pl*ohw:(pl+1)*ohw]
			for i := 0; i < g.oh; i++ {
				r0, r1 := g.window(i, g.h)
				for j := 0; j < g.ow; j++ {
					c0, c1 := g.window(j, g.w)
					var s T
					for r := r0; r < r1; r++ {
						for _, v := range xp[r*g.w+c0 : r*g.w+c1] {
							s += v
						}
					}
					yp[i*g.ow+j] = s * inv
				}
			}
		}
	})
}

func avgPoolBackward[T float](g poolGeom, gx, gy []T) {
	inv := 1 / T(g.k*g.k)
	hw, ohw := g.h*g.w, g.oh*g.ow
	splitWork(g.planes, ohw*g.k*g.k, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp := gx[pl*hw:(pl+1)*hw], gy[pl*ohw:(pl+1)*ohw]
			for i := 0; i < g.oh; i++ {
				r0, r1 := g.window(i, g.h)
				for j := 0; j < g.ow; j++ {
					c0, c1 := g.window(j, g.w)
					v := yp[i*g.ow+j] * inv
					for r := r0; r < r1; r++ {
						row := xp[r*g.w+c0 : r*g.w+c1]
						for k := range row {
							row[k] += v
						}
					}
				}
			}
		}
	})
}

func maxPoolForward[T float](g poolGeom, y []T, arg []int32, x []T) {
	hw, ohw := g.h*g.w, g.oh*g.ow
	splitWork(g.planes, ohw*g.k*g.k, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp, ap := x[pl*hw:(pl+1)*hw], y[pl*ohw:(pl+1)*ohw], arg[pl*ohw:(pl+1)*ohw]
			for i := 0; i < g.oh; i++ {
				r0, r1 := g.window(i, g.h)
				for j := 0; j < g.ow; j++ {
					c0, c1 := g.window(j, g.w)
					bi := r0*g.w + c0
					best := xp[bi]
					for r := r0; r < r1; r++ {
						for c := c0; c < c1; c++ {
							// v != v is NaN, which wins and stays.
							if v := xp[r*g.w+c]; v > best || (v != v && best == best) {
								best, bi = v, r*g.w+c
							}
						}
					}
					yp[i*g.ow+j], ap[i*g.ow+j] = best, int32(bi)
				}
			}
		}
	})
}

func maxPoolBackward[T float](g poolGeom, gx, gy []T, arg []int32) {
	hw, ohw := g.h*g.w, g.oh*g.ow
	splitWork(g.planes, ohw, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp, ap := gx[pl*hw:(pl+1)*hw], gy[pl*ohw:(pl+1)*ohw], arg[pl*ohw:(pl+1)*ohw]
			for i, v := range yp {
				xp[ap[i]] += v
			}
		}
	})
}
