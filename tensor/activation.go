package tensor

import "math"

// Relu returns max(0, x) elementwise. Its derivative at 0 is taken as 0,
// as in PyTorch.
func Relu(t *Tensor) *Tensor {
	if d := devOf("Relu", t); d != nil {
		return d.unary("Relu", t, 0)
	}
	out := newOut(t.dtype, t.shape...)
	if t.dtype == Float32 {
		parallelFor(len(out.f32), 16, func(lo, hi int) { reluVec(out.f32[lo:hi], t.f32[lo:hi]) })
	} else {
		reluForward(out.f64, t.f64)
	}
	return record(out, "Relu", func(g *Tensor) {
		gi := newGrad(t, false)
		if t.dtype == Float32 {
			parallelFor(len(gi.f32), 16, func(lo, hi int) { reluBackVec(gi.f32[lo:hi], g.f32[lo:hi], out.f32[lo:hi]) })
		} else {
			reluBackward(gi.f64, g.f64, out.f64)
		}
		accum(t, gi, true)
	}, t)
}

func reluForward[T float](dst, src []T) {
	src = src[:len(dst)]
	for i, v := range src {
		if v > 0 {
			dst[i] = v
		} else {
			dst[i] = 0
		}
	}
}

// reluBackward passes g where the output was positive (input > 0) and
// writes 0 elsewhere.
func reluBackward[T float](dst, g, out []T) {
	g, out = g[:len(dst)], out[:len(dst)]
	for i, y := range out {
		if y > 0 {
			dst[i] = g[i]
		} else {
			dst[i] = 0
		}
	}
}

// Sigmoid returns 1 / (1 + e^-x) elementwise; its derivative is y (1 - y).
// Float32 tensors use sigmoid32 (vecmath.go: within 2 ulp of the correctly
// rounded value, vectorised where the CPU allows, the same bits either way);
// float64 ones use math.Exp.
func Sigmoid(t *Tensor) *Tensor {
	if d := devOf("Sigmoid", t); d != nil {
		return d.unary("Sigmoid", t, 0)
	}
	out := newOut(t.dtype, t.shape...)
	if t.dtype == Float32 {
		sigmoidSlice(out.f32, t.f32)
	} else {
		for i, v := range t.f64 {
			out.f64[i] = sigmoid(v)
		}
	}
	return record(out, "Sigmoid", func(g *Tensor) {
		gi := newGrad(t, false)
		if t.dtype == Float32 {
			parallelFor(len(gi.f32), 16, func(lo, hi int) { sigmoidBackVec(gi.f32[lo:hi], g.f32[lo:hi], out.f32[lo:hi]) })
		} else {
			sigmoidBackward(gi.f64, g.f64, out.f64)
		}
		accum(t, gi, true)
	}, t)
}

// sigmoid is stable for large |x|: it never evaluates e^x for large x.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func sigmoidBackward[T float](dst, g, y []T) {
	g, y = g[:len(dst)], y[:len(dst)]
	for i, v := range y {
		dst[i] = g[i] * v * (1 - v)
	}
}

// Softmax normalises exp(x) along axis.
func Softmax(t *Tensor, axis int) *Tensor {
	ax := t.axis(axis, "Softmax")
	if d := devOf("Softmax", t); d != nil {
		return d.softmax(t, ax, false)
	}
	out := New(t.dtype, t.shape...)
	outer, n, inner := splitAxis(t.shape, ax)
	if t.dtype == Float32 {
		softmaxForward(out.f32, t.f32, outer, n, inner, false)
	} else {
		softmaxForward(out.f64, t.f64, outer, n, inner, false)
	}
	return record(out, "Softmax", func(g *Tensor) {
		// dx_i = y_i (g_i - sum_j g_j y_j)
		gi := newGrad(t, false)
		if t.dtype == Float32 {
			softmaxBackward(gi.f32, g.f32, out.f32, outer, n, inner, false)
		} else {
			softmaxBackward(gi.f64, g.f64, out.f64, outer, n, inner, false)
		}
		accum(t, gi, true)
	}, t)
}

// LogSoftmax returns x - logsumexp(x) along axis, computed stably.
func LogSoftmax(t *Tensor, axis int) *Tensor {
	ax := t.axis(axis, "LogSoftmax")
	if d := devOf("LogSoftmax", t); d != nil {
		return d.softmax(t, ax, true)
	}
	out := New(t.dtype, t.shape...)
	outer, n, inner := splitAxis(t.shape, ax)
	if t.dtype == Float32 {
		softmaxForward(out.f32, t.f32, outer, n, inner, true)
	} else {
		softmaxForward(out.f64, t.f64, outer, n, inner, true)
	}
	return record(out, "LogSoftmax", func(g *Tensor) {
		// dx_i = g_i - softmax_i * sum_j g_j
		gi := newGrad(t, false)
		if t.dtype == Float32 {
			softmaxBackward(gi.f32, g.f32, out.f32, outer, n, inner, true)
		} else {
			softmaxBackward(gi.f64, g.f64, out.f64, outer, n, inner, true)
		}
		accum(t, gi, true)
	}, t)
}

// splitAxis views shape as [outer, n, inner] around axis.
func splitAxis(shape []int, axis int) (outer, n, inner int) {
	outer, inner = 1, 1
	for i := 0; i < axis; i++ {
		outer *= shape[i]
	}
	for i := axis + 1; i < len(shape); i++ {
		inner *= shape[i]
	}
	return outer, shape[axis], inner
}

func softmaxForward[T float](dst, src []T, outer, n, inner int, logOut bool) {
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			base := o*n*inner + in
			m := math.Inf(-1)
			for j := 0; j < n; j++ {
				m = math.Max(m, float64(src[base+j*inner]))
			}
			s := 0.0
			for j := 0; j < n; j++ {
				s += math.Exp(float64(src[base+j*inner]) - m)
			}
			ls := math.Log(s)
			for j := 0; j < n; j++ {
				v := float64(src[base+j*inner]) - m - ls
				if logOut {
					dst[base+j*inner] = T(v)
				} else {
					dst[base+j*inner] = T(math.Exp(v))
				}
			}
		}
	}
}

func softmaxBackward[T float](dst, g, y []T, outer, n, inner int, logOut bool) {
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			base := o*n*inner + in
			s := 0.0
			for j := 0; j < n; j++ {
				k := base + j*inner
				if logOut {
					s += float64(g[k])
				} else {
					s += float64(g[k]) * float64(y[k])
				}
			}
			for j := 0; j < n; j++ {
				k := base + j*inner
				if logOut {
					dst[k] = T(float64(g[k]) - math.Exp(float64(y[k]))*s)
				} else {
					dst[k] = T(float64(y[k]) * (float64(g[k]) - s))
				}
			}
		}
	}
}
