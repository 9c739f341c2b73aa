package conceptual

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Problem 6: h_t = sigma(W^i x_t + W^h h_{t-1}) has Jacobians
//
//	dh_j/dh_{j-1} = diag(sigma'(a_j)) W^h,   a_j = W^i x_j + W^h h_{j-1},
//
// and the gradient over a time lag t - k carries their product. Since
// sigma' = s(1 - s) <= 1/4, its spectral norm is at most (||W^h|| / 4)^(t-k).

// RNN is a sigmoid RNN without biases: Wh is n x n, Wi is n x d.
type RNN struct {
	Wh, Wi *mat.Dense
}

// MatrixWithRadius draws an n x n matrix of independent standard normals
// and scales it to spectral radius rho (largest |eigenvalue|).
func MatrixWithRadius(rng *rand.Rand, n int, rho float64) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			m.Set(i, j, rng.NormFloat64())
		}
	}
	m.Scale(rho/SpectralRadius(m), m)
	return m
}

// SpectralRadius is the largest |eigenvalue| of a square matrix.
func SpectralRadius(m *mat.Dense) float64 {
	var e mat.Eigen
	if !e.Factorize(m, mat.EigenNone) {
		panic("conceptual: eigen decomposition failed")
	}
	r := 0.0
	for _, v := range e.Values(nil) {
		r = math.Max(r, math.Hypot(real(v), imag(v)))
	}
	return r
}

// SpectralNorm is the largest singular value, ||m||_2.
func SpectralNorm(m mat.Matrix) float64 {
	var s mat.SVD
	if !s.Factorize(m, mat.SVDNone) {
		panic("conceptual: SVD failed")
	}
	return s.Values(nil)[0]
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Run returns the pre-activations a_1..a_T and states h_0..h_T for inputs
// x_1..x_T (xs[t-1]) from h0.
func (r RNN) Run(h0 []float64, xs [][]float64) (as, hs [][]float64) {
	n, _ := r.Wh.Dims()
	hs = [][]float64{append([]float64(nil), h0...)}
	for _, x := range xs {
		a := mat.NewVecDense(n, nil)
		a.MulVec(r.Wh, mat.NewVecDense(n, hs[len(hs)-1]))
		var in mat.VecDense
		in.MulVec(r.Wi, mat.NewVecDense(len(x), x))
		a.AddVec(a, &in)
		av := a.RawVector().Data
		h := make([]float64, n)
		for i, v := range av {
			h[i] = sigmoid(v)
		}
		as = append(as, append([]float64(nil), av...))
		hs = append(hs, h)
	}
	return as, hs
}

// JacobianProduct is dh_t/dh_k = prod_{j=k+1..t} diag(sigma'(a_j)) W^h,
// the later factors on the left, given the pre-activations as (as[j-1] is
// a_j). With sigmaPrime0 set, every sigma' is 1/4 (its largest value, at
// a = 0), which gives (W^h / 4)^(t-k).
func (r RNN) JacobianProduct(as [][]float64, k, t int, sigmaPrime0 bool) *mat.Dense {
	n, _ := r.Wh.Dims()
	p := mat.NewDense(n, n, nil)
	for i := range n {
		p.Set(i, i, 1)
	}
	for j := k + 1; j <= t; j++ {
		var jac mat.Dense
		jac.CloneFrom(r.Wh)
		for i := range n {
			d := 0.25
			if !sigmaPrime0 {
				s := sigmoid(as[j-1][i])
				d = s * (1 - s)
			}
			for c := range n {
				jac.Set(i, c, d*jac.At(i, c))
			}
		}
		p.Mul(&jac, p)
	}
	return p
}

// RNNNormRow is one row of the gradient-norm table.
type RNNNormRow struct {
	Rho, Norm  float64   // spectral radius and spectral norm of W^h
	Trajectory []float64 // ||dh_t/dh_{t-L}|| along a run with random inputs, per lag L
	Linear     []float64 // the same with every sigma' = 1/4, i.e. ||(W^h/4)^L||
	Bound      []float64 // (||W^h|| / 4)^L
}

// RNNNormTable measures, for each spectral radius, the norms of the
// Jacobian products over the given lags: hidden size 16, input size 4,
// W^i and the inputs standard normal, h_0 = 0, a run of T = max lag + 10
// steps, the product ending at step T. Every random choice comes from seed.
func RNNNormTable(seed uint64, radii []float64, lags []int) []RNNNormRow {
	const n, d = 16, 4
	maxLag := 0
	for _, l := range lags {
		maxLag = max(maxLag, l)
	}
	T := maxLag + 10
	var rows []RNNNormRow
	for ri, rho := range radii {
		rng := rand.New(rand.NewPCG(seed, uint64(ri)))
		r := RNN{Wh: MatrixWithRadius(rng, n, rho), Wi: mat.NewDense(n, d, nil)}
		for i := range n {
			for j := range d {
				r.Wi.Set(i, j, rng.NormFloat64())
			}
		}
		xs := make([][]float64, T)
		for t := range xs {
			xs[t] = make([]float64, d)
			for j := range xs[t] {
				xs[t][j] = rng.NormFloat64()
			}
		}
		as, _ := r.Run(make([]float64, n), xs)
		row := RNNNormRow{Rho: rho, Norm: SpectralNorm(r.Wh)}
		for _, L := range lags {
			row.Trajectory = append(row.Trajectory, SpectralNorm(r.JacobianProduct(as, T-L, T, false)))
			row.Linear = append(row.Linear, SpectralNorm(r.JacobianProduct(as, T-L, T, true)))
			row.Bound = append(row.Bound, math.Pow(row.Norm/4, float64(L)))
		}
		rows = append(rows, row)
	}
	return rows
}

// WriteRNNNormTable writes the rows as Markdown tables: the trajectory
// norms, the sigma' = 1/4 norms and the bound, one column per lag.
func WriteRNNNormTable(w io.Writer, rows []RNNNormRow, lags []int) {
	head := func(title string) {
		fmt.Fprintf(w, "%s\n\n| rho(W^h) | norm(W^h) |", title)
		for _, l := range lags {
			fmt.Fprintf(w, " lag %d |", l)
		}
		fmt.Fprintf(w, "\n|---:|---:|")
		for range lags {
			fmt.Fprintf(w, "---:|")
		}
		fmt.Fprintln(w)
	}
	for ti, part := range []struct {
		title string
		get   func(RNNNormRow) []float64
	}{
		{"norm of dh_T/dh_{T-lag} along a run with random inputs", func(r RNNNormRow) []float64 { return r.Trajectory }},
		{"the same with every sigma' = 1/4 (pre-activations at 0)", func(r RNNNormRow) []float64 { return r.Linear }},
		{"the bound (norm(W^h)/4)^lag", func(r RNNNormRow) []float64 { return r.Bound }},
	} {
		if ti > 0 {
			fmt.Fprintln(w)
		}
		head(part.title)
		for _, r := range rows {
			fmt.Fprintf(w, "| %g | %.2f |", r.Rho, r.Norm)
			for _, v := range part.get(r) {
				fmt.Fprintf(w, " %.2e |", v)
			}
			fmt.Fprintln(w)
		}
	}
}
