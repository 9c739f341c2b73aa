package conceptual

import (
	"math"
	"math/rand/v2"

	"nnkit/tensor"
)

// Softmax returns q_i = e^{z_i} / sum_j e^{z_j}, computed with the largest
// z subtracted first so that no exponential overflows.
func Softmax(z []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	q := make([]float64, len(z))
	sum := 0.0
	for i, v := range z {
		q[i] = math.Exp(v - mx)
		sum += q[i]
	}
	for i := range q {
		q[i] /= sum
	}
	return q
}

// CrossEntropy is E = -sum_i p_i ln q_i with q = softmax(z).
func CrossEntropy(z, p []float64) float64 {
	q := Softmax(z)
	e := 0.0
	for i := range p {
		e -= p[i] * math.Log(q[i])
	}
	return e
}

// SoftmaxCEGrad is the closed form of problem 4, dE/dz_x = q_x - p_x. It
// holds when sum_i p_i = 1; in general dE/dz_x = q_x sum_i p_i - p_x.
func SoftmaxCEGrad(z, p []float64) []float64 {
	q := Softmax(z)
	for i := range q {
		q[i] -= p[i]
	}
	return q
}

// SoftmaxCEGradFD is dE/dz by central differences with step h: error
// O(h^2) from truncation plus O(1e-16/h) from rounding.
func SoftmaxCEGradFD(z, p []float64, h float64) []float64 {
	g := make([]float64, len(z))
	zz := append([]float64(nil), z...)
	for i := range z {
		zz[i] = z[i] + h
		up := CrossEntropy(zz, p)
		zz[i] = z[i] - h
		g[i] = (up - CrossEntropy(zz, p)) / (2 * h)
		zz[i] = z[i]
	}
	return g
}

// SoftmaxCEGradAutograd is dE/dz from the tensor engine in float64, with
// E = -sum(p * LogSoftmax(z)) (soft targets, so not tensor.CrossEntropy,
// which takes class labels).
func SoftmaxCEGradAutograd(z, p []float64) []float64 {
	zt := tensor.FromFloat64(append([]float64(nil), z...), 1, len(z)).SetRequiresGrad(true)
	pt := tensor.FromFloat64(append([]float64(nil), p...), 1, len(p))
	tensor.Neg(tensor.Sum(tensor.Mul(pt, tensor.LogSoftmax(zt, 1)))).Backward()
	return zt.Grad().Float64s()
}

// RandomSimplex draws p uniformly from the probability simplex of
// dimension n (a flat Dirichlet): normalised standard exponentials.
func RandomSimplex(rng *rand.Rand, n int) []float64 {
	p := make([]float64, n)
	sum := 0.0
	for i := range p {
		p[i] = rng.ExpFloat64()
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}
