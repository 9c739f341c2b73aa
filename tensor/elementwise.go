package tensor

import (
	"math"
	"slices"
)

// binary computes a broadcasting elementwise op with the given kernels.
func binary(op string, code binOp, a, b *Tensor, f32 func(x, y float32) float32, f64 func(x, y float64) float64) *Tensor {
	checkSameDType(op, a, b)
	shape := broadcastShape(op, a.shape, b.shape)
	if d := devOf(op, a, b); d != nil {
		return d.binary(code, a, b, shape)
	}
	out := newOut(a.dtype, shape...)
	sa, sb := broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)
	if a.dtype == Float32 {
		binaryBroadcast(out.f32, a.f32, b.f32, sa, sb, shape, f32)
	} else {
		binaryBroadcast(out.f64, a.f64, b.f64, sa, sb, shape, f64)
	}
	return out
}

// Add returns a + b with broadcasting.
func Add(a, b *Tensor) *Tensor {
	var out *Tensor
	if a.dev == nil && b.dev == nil && a.dtype == Float32 && b.dtype == Float32 && slices.Equal(a.shape, b.shape) {
		// The common case (a residual connection): a plain parallel loop.
		out = newOut(Float32, a.shape...)
		parallelFor(len(out.f32), 16, func(lo, hi int) { addSlices(out.f32[lo:hi], a.f32[lo:hi], b.f32[lo:hi]) })
	} else {
		out = binary("Add", opAdd, a, b, func(x, y float32) float32 { return x + y }, func(x, y float64) float64 { return x + y })
	}
	return record(out, "Add", func(g *Tensor) {
		accum(a, sumTo(g, a.shape), false)
		accum(b, sumTo(g, b.shape), false)
	}, a, b)
}

// Sub returns a - b with broadcasting.
func Sub(a, b *Tensor) *Tensor {
	out := binary("Sub", opSub, a, b, func(x, y float32) float32 { return x - y }, func(x, y float64) float64 { return x - y })
	return record(out, "Sub", func(g *Tensor) {
		accum(a, sumTo(g, a.shape), false)
		if b.requiresGrad {
			accum(b, sumTo(Neg(g), b.shape), true)
		}
	}, a, b)
}

// Mul returns a * b elementwise with broadcasting.
func Mul(a, b *Tensor) *Tensor {
	out := binary("Mul", opMul, a, b, func(x, y float32) float32 { return x * y }, func(x, y float64) float64 { return x * y })
	return record(out, "Mul", func(g *Tensor) {
		if a.requiresGrad {
			accum(a, sumTo(noGradMul(g, b), a.shape), true)
		}
		if b.requiresGrad {
			accum(b, sumTo(noGradMul(g, a), b.shape), true)
		}
	}, a, b)
}

// Div returns a / b elementwise with broadcasting.
func Div(a, b *Tensor) *Tensor {
	out := binary("Div", opDiv, a, b, func(x, y float32) float32 { return x / y }, func(x, y float64) float64 { return x / y })
	return record(out, "Div", func(g *Tensor) {
		var ga, gb *Tensor
		NoGrad(func() {
			if a.requiresGrad {
				ga = sumTo(Div(g, b), a.shape)
			}
			if b.requiresGrad {
				// d(a/b)/db = -a/b^2 = -out/b
				gb = sumTo(Neg(Div(Mul(g, out), b)), b.shape)
			}
		})
		if ga != nil {
			accum(a, ga, true)
		}
		if gb != nil {
			accum(b, gb, true)
		}
	}, a, b)
}

// addSlices sets dst[i] = a[i] + b[i].
func addSlices[T float](dst, a, b []T) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func noGradMul(a, b *Tensor) *Tensor {
	var out *Tensor
	NoGrad(func() { out = Mul(a, b) })
	return out
}

// unary applies f elementwise; df computes the local derivative from the
// input x and output y, so backward is g * df(x, y).
func unary(op string, t *Tensor, f func(float64) float64, df func(x, y float64) float64) *Tensor {
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
	return record(out, op, func(g *Tensor) {
		gi := newGrad(t, false)
		if t.dtype == Float32 {
			for i := range gi.f32 {
				gi.f32[i] = g.f32[i] * float32(df(float64(t.f32[i]), float64(out.f32[i])))
			}
		} else {
			for i := range gi.f64 {
				gi.f64[i] = g.f64[i] * df(t.f64[i], out.f64[i])
			}
		}
		accum(t, gi, true)
	}, t)
}

// Neg returns -t.
func Neg(t *Tensor) *Tensor { return MulScalar(t, -1) }

// AddScalar returns t + c.
func AddScalar(t *Tensor, c float64) *Tensor {
	if d := devOf("AddScalar", t); d != nil {
		return d.unary("AddScalar", t, c)
	}
	return unary("AddScalar", t, func(x float64) float64 { return x + c }, func(x, y float64) float64 { return 1 })
}

// MulScalar returns t * c.
func MulScalar(t *Tensor, c float64) *Tensor {
	var out *Tensor
	if d := devOf("MulScalar", t); d != nil {
		out = d.mulScalar(t, c)
	} else {
		out = New(t.dtype, t.shape...)
		if t.dtype == Float32 {
			axpy(out.f32, t.f32, float32(c))
		} else {
			axpy(out.f64, t.f64, c)
		}
	}
	return record(out, "MulScalar", func(g *Tensor) { accum(t, MulScalar(g, c), true) }, t)
}

// PowScalar returns t^p elementwise.
func PowScalar(t *Tensor, p float64) *Tensor {
	if d := devOf("PowScalar", t); d != nil {
		return d.unary("PowScalar", t, p)
	}
	return unary("PowScalar", t, func(x float64) float64 { return math.Pow(x, p) },
		func(x, y float64) float64 { return p * math.Pow(x, p-1) })
}

// Exp returns e^t elementwise.
func Exp(t *Tensor) *Tensor {
	if d := devOf("Exp", t); d != nil {
		return d.unary("Exp", t, 0)
	}
	return unary("Exp", t, math.Exp, func(x, y float64) float64 { return y })
}

// Log returns the natural logarithm elementwise.
func Log(t *Tensor) *Tensor {
	if d := devOf("Log", t); d != nil {
		return d.unary("Log", t, 0)
	}
	return unary("Log", t, math.Log, func(x, y float64) float64 { return 1 / x })
}

// Sqrt returns the square root elementwise.
func Sqrt(t *Tensor) *Tensor {
	if d := devOf("Sqrt", t); d != nil {
		return d.unary("Sqrt", t, 0)
	}
	return unary("Sqrt", t, math.Sqrt, func(x, y float64) float64 { return 0.5 / y })
}

// Tanh is the hyperbolic tangent.
func Tanh(t *Tensor) *Tensor {
	if d := devOf("Tanh", t); d != nil {
		return d.unary("Tanh", t, 0)
	}
	return unary("Tanh", t, math.Tanh, func(x, y float64) float64 { return 1 - y*y })
}
