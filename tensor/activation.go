package tensor

import "math"

// Relu returns max(0, x) elementwise. Its derivative at 0 is taken as 0,
// as in PyTorch.
func Relu(t *Tensor) *Tensor { return unary(uRelu, t, 0) }

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
func Sigmoid(t *Tensor) *Tensor { return unary(uSigmoid, t, 0) }

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
func Softmax(t *Tensor, axis int) *Tensor { return softmax("Softmax", t, axis, false) }

// LogSoftmax returns x - logsumexp(x) along axis, computed stably.
func LogSoftmax(t *Tensor, axis int) *Tensor { return softmax("LogSoftmax", t, axis, true) }

// softmax is Softmax or (log) LogSoftmax. Backward, from the output y:
//
//	Softmax:    dx_i = y_i (g_i - sum_j g_j y_j)
//	LogSoftmax: dx_i = g_i - softmax_i * sum_j g_j
func softmax(op string, t *Tensor, axis int, log bool) *Tensor {
	ax := t.axis(axis, op)
	be := backendFor(op, t)
	outer, n, inner := splitAxis(t.shape, ax)
	out := be.softmax(t, outer, n, inner, log)
	return record(out, op, func(g *Tensor) {
		accum(t, be.softmaxBackward(g, out, outer, n, inner, log), true)
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
