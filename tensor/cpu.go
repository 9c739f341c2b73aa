package tensor

import (
	"fmt"
	"math"
	"slices"
)

// cpuBackend is the host's Backend: the kernels of every operation on
// tensors in host memory. Each method picks the float32 or float64
// instance of a generic kernel once per call; the loops below never go
// back through the seam.
type cpuBackend struct{}

var _ Backend = cpuBackend{}

func (cpuBackend) Name() string { return "cpu" }

// hostSaved is what a host forward kernel keeps for its backward kernel;
// the garbage collector takes it, so release does nothing.
type hostSaved struct {
	a, b []float64 // log-probabilities; batch mean and istd
	arg  []int32   // max-pooling argmax
}

func (*hostSaved) release() {}

// ---------------------------------------------------------------- storage

func (cpuBackend) fromHost(t *Tensor) *Tensor { return t }
func (cpuBackend) toHost(t *Tensor) *Tensor   { return t }
func (cpuBackend) full(dt DType, v float64, shape []int) *Tensor {
	return Full(dt, v, shape...)
}
func (cpuBackend) fill(t *Tensor, v float64)    { t.Fill(v) }
func (cpuBackend) copyInto(dst, src *Tensor)    { dst.CopyFrom(src) }
func (cpuBackend) float64s(t *Tensor) []float64 { return t.Float64s() }
func (cpuBackend) at(t *Tensor, off int) float64 {
	if t.dtype == Float32 {
		return float64(t.f32[off])
	}
	return t.f64[off]
}
func (cpuBackend) cast(t *Tensor, dt DType) *Tensor {
	c := New(dt, t.shape...)
	c.CopyFrom(t)
	return c
}
func (cpuBackend) axpy(dst, x *Tensor, alpha float64) { dst.AddScaledInPlace(alpha, x) }
func (cpuBackend) scale(t *Tensor, alpha float64)     { t.ScaleInPlace(alpha) }
func (cpuBackend) upload(t *Tensor, vals []float64)   { t.copyFromFloat64(vals) }

// ---------------------------------------------------------------- elementwise

var (
	binFns32 = [...]func(x, y float32) float32{
		opAdd: func(x, y float32) float32 { return x + y },
		opSub: func(x, y float32) float32 { return x - y },
		opMul: func(x, y float32) float32 { return x * y },
		opDiv: func(x, y float32) float32 { return x / y },
	}
	binFns64 = [...]func(x, y float64) float64{
		opAdd: func(x, y float64) float64 { return x + y },
		opSub: func(x, y float64) float64 { return x - y },
		opMul: func(x, y float64) float64 { return x * y },
		opDiv: func(x, y float64) float64 { return x / y },
	}
)

func (cpuBackend) binary(op binOp, a, b *Tensor, shape []int) *Tensor {
	out := newOut(a.dtype, shape...)
	if op == opAdd && a.dtype == Float32 && b.dtype == Float32 && slices.Equal(a.shape, b.shape) {
		// The common case (a residual connection): a plain parallel loop.
		parallelFor(len(out.f32), 16, func(lo, hi int) { addSlices(out.f32[lo:hi], a.f32[lo:hi], b.f32[lo:hi]) })
		return out
	}
	sa, sb := broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)
	if a.dtype == Float32 {
		binaryBroadcast(out.f32, a.f32, b.f32, sa, sb, shape, binFns32[op])
	} else {
		binaryBroadcast(out.f64, a.f64, b.f64, sa, sb, shape, binFns64[op])
	}
	return out
}

// addSlices sets dst[i] = a[i] + b[i].
func addSlices[T float](dst, a, b []T) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func (cpuBackend) sumTo(g *Tensor, shape []int) *Tensor { return sumToHost(g, shape) }

func (cpuBackend) mulScalar(t *Tensor, c float64) *Tensor {
	out := New(t.dtype, t.shape...)
	if t.dtype == Float32 {
		axpy(out.f32, t.f32, float32(c))
	} else {
		axpy(out.f64, t.f64, c)
	}
	return out
}

// unaryFns returns the function of a generic unary op and its local
// derivative from the input x and output y (backward is g * df(x, y)).
func unaryFns(op unaryOp, c float64) (f func(float64) float64, df func(x, y float64) float64) {
	switch op {
	case uAdd:
		return func(x float64) float64 { return x + c }, func(x, y float64) float64 { return 1 }
	case uPow:
		return func(x float64) float64 { return math.Pow(x, c) }, func(x, y float64) float64 { return c * math.Pow(x, c-1) }
	case uExp:
		return math.Exp, func(x, y float64) float64 { return y }
	case uLog:
		return math.Log, func(x, y float64) float64 { return 1 / x }
	case uSqrt:
		return math.Sqrt, func(x, y float64) float64 { return 0.5 / y }
	case uTanh:
		return math.Tanh, func(x, y float64) float64 { return 1 - y*y }
	}
	panic(fmt.Sprintf("tensor: internal: no host kernel for unary op %d", op))
}

func (cpuBackend) unary(op unaryOp, t *Tensor, c float64) *Tensor {
	switch op {
	case uRelu:
		out := newOut(t.dtype, t.shape...)
		if t.dtype == Float32 {
			parallelFor(len(out.f32), 16, func(lo, hi int) { reluVec(out.f32[lo:hi], t.f32[lo:hi]) })
		} else {
			reluForward(out.f64, t.f64)
		}
		return out
	case uSigmoid:
		out := newOut(t.dtype, t.shape...)
		if t.dtype == Float32 {
			sigmoidSlice(out.f32, t.f32)
		} else {
			for i, v := range t.f64 {
				out.f64[i] = sigmoid(v)
			}
		}
		return out
	}
	f, _ := unaryFns(op, c)
	out := New(t.dtype, t.shape...)
	if t.dtype == Float32 {
		for i, v := range t.f32 {
			out.f32[i] = float32(f(float64(v)))
		}
	} else {
		for i, v := range t.f64 {
			out.f64[i] = f(v)
		}
	}
	return out
}

func (cpuBackend) unaryBackward(op unaryOp, g, t, out *Tensor, c float64) *Tensor {
	gi := newGrad(t, false)
	switch {
	case op == uRelu && t.dtype == Float32:
		parallelFor(len(gi.f32), 16, func(lo, hi int) { reluBackVec(gi.f32[lo:hi], g.f32[lo:hi], out.f32[lo:hi]) })
	case op == uRelu:
		reluBackward(gi.f64, g.f64, out.f64)
	case op == uSigmoid && t.dtype == Float32:
		parallelFor(len(gi.f32), 16, func(lo, hi int) { sigmoidBackVec(gi.f32[lo:hi], g.f32[lo:hi], out.f32[lo:hi]) })
	case op == uSigmoid:
		sigmoidBackward(gi.f64, g.f64, out.f64)
	default:
		_, df := unaryFns(op, c)
		if t.dtype == Float32 {
			for i := range gi.f32 {
				gi.f32[i] = g.f32[i] * float32(df(float64(t.f32[i]), float64(out.f32[i])))
			}
		} else {
			for i := range gi.f64 {
				gi.f64[i] = g.f64[i] * df(t.f64[i], out.f64[i])
			}
		}
	}
	return gi
}

func (cpuBackend) softmax(t *Tensor, outer, n, inner int, log bool) *Tensor {
	out := New(t.dtype, t.shape...)
	if t.dtype == Float32 {
		softmaxForward(out.f32, t.f32, outer, n, inner, log)
	} else {
		softmaxForward(out.f64, t.f64, outer, n, inner, log)
	}
	return out
}

func (cpuBackend) softmaxBackward(g, y *Tensor, outer, n, inner int, log bool) *Tensor {
	gi := newGrad(y, false)
	if y.dtype == Float32 {
		softmaxBackward(gi.f32, g.f32, y.f32, outer, n, inner, log)
	} else {
		softmaxBackward(gi.f64, g.f64, y.f64, outer, n, inner, log)
	}
	return gi
}

// ---------------------------------------------------------------- reductions

func (cpuBackend) sum(t *Tensor) *Tensor {
	out := New(t.dtype)
	if t.dtype == Float32 {
		out.f32[0] = float32(sum64(t.f32))
	} else {
		out.f64[0] = sum64(t.f64)
	}
	return out
}

func (cpuBackend) expand(g *Tensor, shape []int) *Tensor { return Full(g.dtype, g.Item(), shape...) }

func (cpuBackend) sumAxis(t *Tensor, outer, n, inner int, keep []int) *Tensor {
	out := New(t.dtype, keep...)
	if t.dtype == Float32 {
		sumAxis(out.f32, t.f32, outer, n, inner)
	} else {
		sumAxis(out.f64, t.f64, outer, n, inner)
	}
	return out
}

func (cpuBackend) argmax(t *Tensor, ax int) []int { return argmaxHost(t, ax) }

func (cpuBackend) countCorrect(logits *Tensor, labels []int) int {
	n := 0
	for i, p := range argmaxHost(logits, 1) {
		if p == labels[i] {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------- products

func (cpuBackend) matmul(ta, tb bool, bs, m, n, k int, a, b *Tensor, shape []int) *Tensor {
	out := newOut(a.dtype, shape...) // beta = 0: every element written
	batchedGemm(a.dtype, bs, ta, tb, m, n, k, a, b, out, 0)
	return out
}

func (cpuBackend) linear(x, w, b *Tensor) *Tensor {
	n, in, outF := x.shape[0], x.shape[1], w.shape[0]
	out := newOut(x.dtype, n, outF)
	if x.dtype == Float32 {
		linearForward(out.f32, x.f32, w.f32, data32(b), n, in, outF)
	} else {
		linearForward(out.f64, x.f64, w.f64, data64(b), n, in, outF)
	}
	return out
}

func (cpuBackend) linearBackward(g, x, w, b *Tensor, needX, needW, needB bool) (gx, gw, gb *Tensor) {
	n, in, outF := x.shape[0], x.shape[1], w.shape[0]
	if needX {
		gx = newGrad(x, false)
		if x.dtype == Float32 {
			gemmT(false, false, false, n, in, outF, g.f32, outF, w.f32, in, 0, gx.f32, in)
		} else {
			gemmT(false, false, false, n, in, outF, g.f64, outF, w.f64, in, 0, gx.f64, in)
		}
	}
	if needW {
		gw = newGrad(w, false)
		if x.dtype == Float32 {
			gemmT(false, true, false, outF, in, n, g.f32, outF, x.f32, in, 0, gw.f32, in)
		} else {
			gemmT(false, true, false, outF, in, n, g.f64, outF, x.f64, in, 0, gw.f64, in)
		}
	}
	if needB {
		gb = newGrad(b, true)
		if x.dtype == Float32 {
			sumRows(gb.f32, g.f32, n, outF)
		} else {
			sumRows(gb.f64, g.f64, n, outF)
		}
	}
	return gx, gw, gb
}

func (cpuBackend) permute(t *Tensor, perm, shape []int) *Tensor { return permuteHost(t, perm, shape) }

// ---------------------------------------------------------------- convolution and pooling

func (cpuBackend) conv2d(x, w, b *Tensor, g convGeom) *Tensor { return conv2dHost(x, w, b, g) }

func (cpuBackend) conv2dBackward(gy, x, w *Tensor, g convGeom, needX, needW, needB bool) (gx, gw, gb *Tensor) {
	return conv2dBackwardHost(gy, x, w, g, needX, needW, needB)
}

func (cpuBackend) avgPool(x *Tensor, g poolGeom) *Tensor {
	out := newOut(x.dtype, g.n, g.c, g.oh, g.ow)
	if x.dtype == Float32 {
		avgPoolForward(g, out.f32, x.f32)
	} else {
		avgPoolForward(g, out.f64, x.f64)
	}
	return out
}

func (cpuBackend) avgPoolBackward(gy *Tensor, g poolGeom) *Tensor {
	// 2x2 windows tiling an even plane write every element of gx.
	gx := newPooled(gy.dtype, !(g.isPool2() && g.h%2 == 0 && g.w%2 == 0), g.n, g.c, g.h, g.w)
	if gy.dtype == Float32 {
		avgPoolBackward(g, gx.f32, gy.f32)
	} else {
		avgPoolBackward(g, gx.f64, gy.f64)
	}
	return gx
}

func (cpuBackend) maxPool(x *Tensor, g poolGeom) (*Tensor, saved) {
	out := newOut(x.dtype, g.n, g.c, g.oh, g.ow)
	// arg[plane*OH*OW + i*OW + j] is the argmax's index within its H*W plane.
	arg := make([]int32, out.Numel())
	if x.dtype == Float32 {
		maxPoolForward(g, out.f32, arg, x.f32)
	} else {
		maxPoolForward(g, out.f64, arg, x.f64)
	}
	return out, &hostSaved{arg: arg}
}

func (cpuBackend) maxPoolBackward(gy *Tensor, arg saved, g poolGeom) *Tensor {
	a := arg.(*hostSaved).arg
	gx := newPooled(gy.dtype, true, g.n, g.c, g.h, g.w)
	if gy.dtype == Float32 {
		maxPoolBackward(g, gx.f32, gy.f32, a)
	} else {
		maxPoolBackward(g, gx.f64, gy.f64, a)
	}
	return gx
}

func (cpuBackend) adaptiveAvgPool(x *Tensor, g adaptiveGeom) *Tensor {
	out := New(x.dtype, g.n, g.c, g.oh, g.ow)
	if x.dtype == Float32 {
		adaptiveForward(g, out.f32, x.f32)
	} else {
		adaptiveForward(g, out.f64, x.f64)
	}
	return out
}

func (cpuBackend) adaptiveAvgPoolBackward(gy *Tensor, g adaptiveGeom) *Tensor {
	gx := newPooled(gy.dtype, true, g.n, g.c, g.h, g.w)
	if gy.dtype == Float32 {
		adaptiveBackward(g, gx.f32, gy.f32)
	} else {
		adaptiveBackward(g, gx.f64, gy.f64)
	}
	return gx
}

// ---------------------------------------------------------------- normalisation, loss, optimiser

func (cpuBackend) batchNorm(x, gamma, beta, runMean, runVar *Tensor, g bnGeom, training bool, momentum, eps float64) (*Tensor, saved) {
	out := newOut(x.dtype, x.shape...)
	var mean, istd []float64
	if x.dtype == Float32 {
		mean, istd = bnForward(g, out.f32, x.f32, gamma.f32, beta.f32, data32(runMean), data32(runVar), training, momentum, eps)
	} else {
		mean, istd = bnForward(g, out.f64, x.f64, gamma.f64, beta.f64, data64(runMean), data64(runVar), training, momentum, eps)
	}
	return out, &hostSaved{a: mean, b: istd}
}

func (cpuBackend) batchNormBackward(gy, x, gamma *Tensor, s saved, g bnGeom, training, needX, needG, needB bool) (gx, gg, gb *Tensor) {
	st := s.(*hostSaved)
	// Every element of the three is written.
	if needX {
		gx = newGrad(x, false)
	}
	if needG {
		gg = newGrad(gamma, false)
	}
	if needB {
		gb = newGrad(gamma, false)
	}
	if x.dtype == Float32 {
		bnBackward(g, gy.f32, x.f32, gamma.f32, st.a, st.b, training, data32(gx), data32(gg), data32(gb))
	} else {
		bnBackward(g, gy.f64, x.f64, gamma.f64, st.a, st.b, training, data64(gx), data64(gg), data64(gb))
	}
	return gx, gg, gb
}

func (cpuBackend) crossEntropy(logits *Tensor, labels []int) (*Tensor, saved) {
	return crossEntropyHost(logits, labels)
}

func (cpuBackend) crossEntropyBackward(g, logits *Tensor, labels []int, s saved) *Tensor {
	return crossEntropyBackwardHost(g, logits, labels, s)
}

// sgdStep is not reached: SGDUpdate refuses a CPU parameter, since
// optim.SGD updates those on the host itself.
func (cpuBackend) sgdStep(p, g, buf *Tensor, lr, momentum, wd float64, first bool) {
	panic("tensor: SGDUpdate: the parameter is on the CPU (optim.SGD updates it on the host)")
}
