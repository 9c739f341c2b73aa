package conceptual

import (
	"nnkit/conceptual/internal/matrix"

	"math"
	"math/rand/v2"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestJacobianProductMatchesFiniteDifferences checks the product of
// diag(sigma'(a_j)) W^h against central differences of the unrolled
// recurrence: column i of dh_t/dh_k is (h_t(h_k + eps e_i) -
// h_t(h_k - eps e_i)) / (2 eps), with the same inputs.
func TestJacobianProductMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n, d, T = 6, 3, 12
	for _, rho := range []float64{0.5, 2, 6} {
		r := RNN{Wh: MatrixWithRadius(rng, n, rho), Wi: mat.NewDense(n, d, nil)}
		for i := range n {
			for j := range d {
				r.Wi.Set(i, j, rng.NormFloat64())
			}
		}
		xs := make([][]float64, T)
		for i := range xs {
			xs[i] = matrix.Rand(rng, 1, d, -1, 1)[0]
		}
		as, hs := r.Run(make([]float64, n), xs)
		for _, k := range []int{T - 1, T - 4, 2} {
			p := r.JacobianProduct(as, k, T, false)
			const eps = 1e-6
			for i := range n {
				up, down := append([]float64(nil), hs[k]...), append([]float64(nil), hs[k]...)
				up[i] += eps
				down[i] -= eps
				_, hu := r.Run(up, xs[k:])
				_, hd := r.Run(down, xs[k:])
				for row := range n {
					num := (hu[T-k][row] - hd[T-k][row]) / (2 * eps)
					if !matrix.Near(p.At(row, i), num, 1e-9, 1e-6) {
						t.Fatalf("rho %v, k %d: dh_T/dh_k[%d][%d] = %v, finite difference %v", rho, k, row, i, p.At(row, i), num)
					}
				}
			}
		}
	}
}

// TestRNNNormBound checks ||prod|| <= (||W^h||/4)^lag on every row of the
// table, vanishing whenever ||W^h|| < 4, and that with sigma' = 1/4 the
// product explodes only for spectral radius above 4.
func TestRNNNormBound(t *testing.T) {
	lags := []int{1, 5, 10, 20, 50}
	rows := RNNNormTable(6, []float64{0.5, 1, 2, 4, 8, 16}, lags)
	for _, r := range rows {
		for i, L := range lags {
			if r.Trajectory[i] > r.Bound[i]*(1+1e-12) || r.Linear[i] > r.Bound[i]*(1+1e-12) {
				t.Errorf("rho %v lag %d: %v, %v exceed the bound %v", r.Rho, L, r.Trajectory[i], r.Linear[i], r.Bound[i])
			}
		}
		last := len(lags) - 1
		if r.Norm < 4 && r.Trajectory[last] > 1e-3 {
			t.Errorf("rho %v: ||W^h|| = %v < 4 but the lag-%d product has norm %v", r.Rho, r.Norm, lags[last], r.Trajectory[last])
		}
		// (W/4)^L grows like (rho/4)^L.
		grows := r.Linear[last] > 1e3
		if (r.Rho > 4) != grows && r.Rho != 4 {
			t.Errorf("rho %v: sigma' = 1/4 product at lag %d is %v", r.Rho, lags[last], r.Linear[last])
		}
	}
}

func TestSpectralHelpers(t *testing.T) {
	m := mat.NewDense(2, 2, []float64{0, 2, 0.5, 0}) // eigenvalues +-1, singular values 2, 0.5
	if got := SpectralRadius(m); math.Abs(got-1) > 1e-12 {
		t.Errorf("radius %v, want 1", got)
	}
	if got := SpectralNorm(m); math.Abs(got-2) > 1e-12 {
		t.Errorf("norm %v, want 2", got)
	}
	r := MatrixWithRadius(rand.New(rand.NewPCG(1, 2)), 8, 3)
	if got := SpectralRadius(r); math.Abs(got-3) > 1e-9 {
		t.Errorf("MatrixWithRadius gives radius %v, want 3", got)
	}
}

func Example_rnnGradientNorms() {
	lags := []int{1, 5, 10, 20, 50}
	WriteRNNNormTable(os.Stdout, RNNNormTable(6, []float64{0.5, 1, 2, 4, 8, 16}, lags), lags)
	// Output:
	// norm of dh_T/dh_{T-lag} along a run with random inputs
	//
	// | rho(W^h) | norm(W^h) | lag 1 | lag 5 | lag 10 | lag 20 | lag 50 |
	// |---:|---:|---:|---:|---:|---:|---:|
	// | 0.5 | 0.91 | 1.81e-01 | 1.69e-05 | 1.05e-10 | 1.34e-21 | 1.27e-53 |
	// | 1 | 1.77 | 3.39e-01 | 4.39e-04 | 5.51e-08 | 2.12e-15 | 3.07e-39 |
	// | 2 | 3.25 | 6.64e-01 | 7.37e-03 | 1.15e-05 | 3.63e-11 | 4.21e-26 |
	// | 4 | 7.60 | 1.57e+00 | 6.34e-01 | 3.39e-02 | 2.49e-04 | 1.39e-10 |
	// | 8 | 12.98 | 1.58e+00 | 1.48e+00 | 8.18e-01 | 2.71e-02 | 7.08e-06 |
	// | 16 | 24.95 | 3.07e+00 | 5.46e+00 | 5.96e-01 | 7.42e-02 | 1.55e-03 |
	//
	// the same with every sigma' = 1/4 (pre-activations at 0)
	//
	// | rho(W^h) | norm(W^h) | lag 1 | lag 5 | lag 10 | lag 20 | lag 50 |
	// |---:|---:|---:|---:|---:|---:|---:|
	// | 0.5 | 0.91 | 2.27e-01 | 4.90e-05 | 1.55e-09 | 1.32e-18 | 1.07e-45 |
	// | 1 | 1.77 | 4.43e-01 | 1.67e-03 | 1.61e-06 | 1.42e-12 | 1.22e-30 |
	// | 2 | 3.25 | 8.13e-01 | 5.41e-02 | 1.50e-03 | 1.47e-06 | 1.37e-15 |
	// | 4 | 7.60 | 1.90e+00 | 3.69e+00 | 3.00e+00 | 3.62e+00 | 2.50e+00 |
	// | 8 | 12.98 | 3.25e+00 | 4.96e+01 | 1.45e+03 | 1.42e+06 | 1.65e+15 |
	// | 16 | 24.95 | 6.24e+00 | 1.51e+03 | 1.67e+06 | 1.77e+12 | 2.04e+30 |
	//
	// the bound (norm(W^h)/4)^lag
	//
	// | rho(W^h) | norm(W^h) | lag 1 | lag 5 | lag 10 | lag 20 | lag 50 |
	// |---:|---:|---:|---:|---:|---:|---:|
	// | 0.5 | 0.91 | 2.27e-01 | 6.08e-04 | 3.70e-07 | 1.37e-13 | 6.91e-33 |
	// | 1 | 1.77 | 4.43e-01 | 1.70e-02 | 2.89e-04 | 8.34e-08 | 2.01e-18 |
	// | 2 | 3.25 | 8.13e-01 | 3.55e-01 | 1.26e-01 | 1.58e-02 | 3.14e-05 |
	// | 4 | 7.60 | 1.90e+00 | 2.48e+01 | 6.15e+02 | 3.78e+05 | 8.80e+13 |
	// | 8 | 12.98 | 3.25e+00 | 3.60e+02 | 1.30e+05 | 1.68e+10 | 3.68e+25 |
	// | 16 | 24.95 | 6.24e+00 | 9.44e+03 | 8.92e+07 | 7.95e+15 | 5.64e+39 |
}
