package tensor

import (
	"fmt"
	"math/bits"
	"unsafe"
)

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
	be := backendFor("AvgPool2d", x)
	out := be.avgPool(x, g)
	return record(out, "AvgPool2d", func(gy *Tensor) { accum(x, be.avgPoolBackward(gy, g), true) }, x)
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
	be := backendFor("MaxPool2d", x)
	out, arg := be.maxPool(x, g)
	out = record(out, "MaxPool2d", func(gy *Tensor) {
		gx := be.maxPoolBackward(gy, arg, g)
		arg.release()
		accum(x, gx, true)
	}, x)
	return keepFor(out, arg)
}

// poolGeom is one pooling's sizes; planes = N*C. Output row i reads
// input rows [r0[i], r1[i]) (the window clipped to the input), output
// column j columns [c0[j], c1[j]).
type poolGeom struct {
	n, c, h, w, k, s, p, oh, ow, planes int
	r0, r1, c0, c1                      []int
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
	g.r0, g.r1 = poolWindows(g.oh, g.h, k, s, p)
	g.c0, g.c1 = poolWindows(g.ow, g.w, k, s, p)
	return g
}

// poolWindows returns, for each of out positions, the input range
// [lo, hi) under its window, clipped to [0, in).
func poolWindows(out, in, k, s, p int) (lo, hi []int) {
	lo, hi = make([]int, out), make([]int, out)
	for i := range out {
		l := i*s - p
		lo[i], hi[i] = max(l, 0), min(l+k, in)
	}
	return lo, hi
}

// isPool2 reports LeNet's 2x2, stride 2, unpadded pooling, which has a
// fast path.
func (g poolGeom) isPool2() bool { return g.k == 2 && g.s == 2 && g.p == 0 }

func avgPoolForward[T float](g poolGeom, y, x []T) {
	inv := 1 / T(g.k*g.k)
	hw, ohw := g.h*g.w, g.oh*g.ow
	splitWork(g.planes, ohw*g.k*g.k, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp := x[pl*hw:(pl+1)*hw], y[pl*ohw:(pl+1)*ohw]
			if g.isPool2() && avgPool2Plane(yp, xp, g.w, g.oh, g.ow, inv, false) {
				continue
			}
			for i := 0; i < g.oh; i++ {
				yr := yp[i*g.ow : (i+1)*g.ow]
				if g.isPool2() {
					top, bot := xp[2*i*g.w:][:2*len(yr)], xp[(2*i+1)*g.w:][:2*len(yr)]
					for j := range yr {
						t, b := top[2*j:2*j+2], bot[2*j:2*j+2]
						yr[j] = (t[0] + t[1] + b[0] + b[1]) * inv
					}
					continue
				}
				for j := range yr {
					var s T
					for r := g.r0[i]; r < g.r1[i]; r++ {
						for _, v := range xp[r*g.w+g.c0[j] : r*g.w+g.c1[j]] {
							s += v
						}
					}
					yr[j] = s * inv
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
			if g.isPool2() && avgPool2Plane(yp, xp, g.w, g.oh, g.ow, inv, true) {
				continue
			}
			for i := 0; i < g.oh; i++ {
				yr := yp[i*g.ow : (i+1)*g.ow]
				if g.isPool2() {
					// Windows do not overlap: assign (gx is zeroed unless
					// they cover it).
					top, bot := xp[2*i*g.w:][:2*len(yr)], xp[(2*i+1)*g.w:][:2*len(yr)]
					for j, v := range yr {
						v *= inv
						t, b := top[2*j:2*j+2], bot[2*j:2*j+2]
						t[0], t[1], b[0], b[1] = v, v, v, v
					}
					continue
				}
				for j, v := range yr {
					v *= inv
					for r := g.r0[i]; r < g.r1[i]; r++ {
						row := xp[r*g.w+g.c0[j] : r*g.w+g.c1[j]]
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
	x32, _ := any(x).([]float32)
	y32, _ := any(y).([]float32)
	fast3 := g.k == 3 && x32 != nil
	splitWork(g.planes, ohw*g.k*g.k, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp, ap := x[pl*hw:(pl+1)*hw], y[pl*ohw:(pl+1)*ohw], arg[pl*ohw:(pl+1)*ohw]
			for i := 0; i < g.oh; i++ {
				r0, r1 := g.r0[i], g.r1[i]
				if fast3 && r1-r0 == 3 {
					maxPoolRow3(g, y32[pl*ohw+i*g.ow:pl*ohw+(i+1)*g.ow], ap[i*g.ow:(i+1)*g.ow], x32[pl*hw:(pl+1)*hw], r0)
					continue
				}
				for j := 0; j < g.ow; j++ {
					c0, c1 := g.c0[j], g.c1[j]
					bi := r0*g.w + c0
					best := xp[bi]
					for r := r0; r < r1; r++ {
						row := xp[r*g.w+c0 : r*g.w+c1]
						for k, v := range row {
							// As PyTorch: a NaN (v != v) is taken as the maximum.
							if v > best || v != v {
								best, bi = v, r*g.w+c0+k
							}
						}
					}
					yp[i*g.ow+j], ap[i*g.ow+j] = best, int32(bi)
				}
			}
		}
	})
}

// maxPoolRow3 is one output row of a 3 x 3 max pooling of float32 whose
// windows cover input rows r0, r0+1, r0+2 of the plane xp, with the
// result of the general scan (row-major, first maximum kept, a NaN always
// taken). A window that lies entirely inside the plane is done without
// branches on the data: the maximum of its elements mapped to integers
// of the same order (bits ^ (sign-extended sign >> 1), monotonic for
// all but NaN and the two zeros), then the first element with those bits,
// by conditional moves scanning backwards. Windows holding a NaN (their
// sum is NaN) or whose maximum is a zero (the two zeros compare equal)
// take the general scan, as do the clipped ones. With stride 2 (ResNet's
// stem) the windows inside the plane go to an AVX-512 kernel instead,
// 16 at a time, which compares in the scan's order and hands back the
// windows holding a NaN.
func maxPoolRow3(g poolGeom, yr []float32, ar []int32, xp []float32, r0 int) {
	w := g.w
	xi := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(xp))), len(xp))
	// scan is the general scan of output j.
	scan := func(j int) {
		c0, c1 := g.c0[j], g.c1[j]
		bi := r0*w + c0
		best := xp[bi]
		for r := r0; r < r0+3; r++ {
			row := xp[r*w+c0 : r*w+c1]
			for k, v := range row {
				if v > best || v != v {
					best, bi = v, r*w+c0+k
				}
			}
		}
		yr[j], ar[j] = best, int32(bi)
	}
	// With stride 2, the windows inside the plane go 16 at a time to the
	// vector kernel (maxPool3s2Vec), which hands back those with a NaN.
	vecLo, vecHi := 0, 0
	if g.s == 2 {
		for vecLo < len(yr) && g.c1[vecLo]-g.c0[vecLo] != 3 {
			vecLo++
		}
		vecHi = vecLo
		for vecHi < len(yr) && g.c1[vecHi]-g.c0[vecHi] == 3 {
			vecHi++
		}
	}
	for j := 0; j < len(yr); j++ {
		if j >= vecLo && j < vecHi {
			n := min(16, vecHi-j)
			start := r0*w + g.c0[j]
			if nan, ok := maxPool3s2Vec(yr[j:j+n], ar[j:j+n], xp, w, start, n); ok {
				for ; nan != 0; nan &= nan - 1 {
					scan(j + bits.TrailingZeros16(nan))
				}
				j += n - 1
				continue
			}
		}
		c0, c1 := g.c0[j], g.c1[j]
		base := r0*w + c0
		if c1-c0 == 3 {
			win := xi[base : base+2*w+3 : base+2*w+3]
			f := xp[base : base+2*w+3 : base+2*w+3]
			s := f[0] + f[1] + f[2] + f[w] + f[w+1] + f[w+2] + f[2*w] + f[2*w+1] + f[2*w+2]
			o := func(v int32) int32 { return v ^ (v >> 31 & 0x7fffffff) }
			mk := max(o(win[0]), o(win[1]), o(win[2]), o(win[w]), o(win[w+1]), o(win[w+2]),
				o(win[2*w]), o(win[2*w+1]), o(win[2*w+2]))
			if s == s && mk != 0 && mk != -1 {
				bi := 2*w + 2
				if o(win[2*w+1]) == mk {
					bi = 2*w + 1
				}
				if o(win[2*w]) == mk {
					bi = 2 * w
				}
				if o(win[w+2]) == mk {
					bi = w + 2
				}
				if o(win[w+1]) == mk {
					bi = w + 1
				}
				if o(win[w]) == mk {
					bi = w
				}
				if o(win[2]) == mk {
					bi = 2
				}
				if o(win[1]) == mk {
					bi = 1
				}
				if o(win[0]) == mk {
					bi = 0
				}
				yr[j], ar[j] = f[bi], int32(base+bi)
				continue
			}
		}
		scan(j)
	}
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
