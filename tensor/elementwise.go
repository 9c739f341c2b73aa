package tensor

import "slices"

// binary computes a broadcasting elementwise op on its inputs' backend.
func binary(op string, code binOp, a, b *Tensor) *Tensor {
	checkSameDType(op, a, b)
	shape := broadcastShape(op, a.shape, b.shape)
	return backendFor(op, a, b).binary(code, a, b, shape)
}

// Add returns a + b with broadcasting.
func Add(a, b *Tensor) *Tensor {
	out := binary("Add", opAdd, a, b)
	return record(out, "Add", func(g *Tensor) {
		if b.requiresGrad {
			accum(a, sumTo(g, a.shape), false)
		} else {
			passOnTo(a, g)
		}
		passOnTo(b, g)
	}, a, b)
}

// passOnTo sends g, a closure's incoming gradient, to t summed to t's
// shape: by passOn (g's storage, no copy) when no sum is needed. It must be
// the closure's last use of g.
func passOnTo(t, g *Tensor) {
	switch {
	case t == nil || !t.requiresGrad:
	case slices.Equal(g.shape, t.shape):
		passOn(t, g)
	default:
		accum(t, sumTo(g, t.shape), false)
	}
}

// Sub returns a - b with broadcasting.
func Sub(a, b *Tensor) *Tensor {
	out := binary("Sub", opSub, a, b)
	return record(out, "Sub", func(g *Tensor) {
		accum(a, sumTo(g, a.shape), false)
		if b.requiresGrad {
			accum(b, sumTo(Neg(g), b.shape), true)
		}
	}, a, b)
}

// Mul returns a * b elementwise with broadcasting.
func Mul(a, b *Tensor) *Tensor {
	out := binary("Mul", opMul, a, b)
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
	out := binary("Div", opDiv, a, b)
	return record(out, "Div", func(g *Tensor) {
		// The kernels alone (binary), without history: b or out may
		// require a gradient. NoGrad would also switch history off for
		// every other goroutine.
		if a.requiresGrad {
			accum(a, sumTo(binary("Div", opDiv, g, b), a.shape), true)
		}
		if b.requiresGrad {
			// d(a/b)/db = -a/b^2 = -out/b
			q := binary("Div", opDiv, binary("Mul", opMul, g, out), b)
			accum(b, sumTo(Neg(q), b.shape), true)
		}
	}, a, b)
}

// noGradMul is a * b without history, for backward closures whose
// factors may require a gradient.
func noGradMul(a, b *Tensor) *Tensor { return binary("Mul", opMul, a, b) }

// unary applies an elementwise function on t's backend; its backward is
// the backend's unaryBackward from the input, the output and g.
func unary(op unaryOp, t *Tensor, c float64) *Tensor {
	be := backendFor(unaryNames[op], t)
	out := be.unary(op, t, c)
	return record(out, unaryNames[op], func(g *Tensor) {
		accum(t, be.unaryBackward(op, g, t, out, c), true)
	}, t)
}

// Neg returns -t.
func Neg(t *Tensor) *Tensor { return MulScalar(t, -1) }

// AddScalar returns t + c; its gradient is the upstream one unchanged.
func AddScalar(t *Tensor, c float64) *Tensor {
	out := backendFor("AddScalar", t).unary(uAdd, t, c)
	return record(out, "AddScalar", func(g *Tensor) { passOn(t, g) }, t)
}

// MulScalar returns t * c.
func MulScalar(t *Tensor, c float64) *Tensor {
	out := backendFor("MulScalar", t).mulScalar(t, c)
	return record(out, "MulScalar", func(g *Tensor) { accum(t, MulScalar(g, c), true) }, t)
}

// PowScalar returns t^p elementwise.
func PowScalar(t *Tensor, p float64) *Tensor { return unary(uPow, t, p) }

// Exp returns e^t elementwise.
func Exp(t *Tensor) *Tensor { return unary(uExp, t, 0) }

// Log returns the natural logarithm elementwise.
func Log(t *Tensor) *Tensor { return unary(uLog, t, 0) }

// Sqrt returns the square root elementwise.
func Sqrt(t *Tensor) *Tensor { return unary(uSqrt, t, 0) }

// Tanh is the hyperbolic tangent.
func Tanh(t *Tensor) *Tensor { return unary(uTanh, t, 0) }
