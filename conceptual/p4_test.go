package conceptual

import (
	"nnkit/conceptual/internal/matrix"

	"fmt"
	"math/rand/v2"
	"testing"
)

// TestSoftmaxCEGrad checks dE/dz = q - p against central differences
// (step 1e-5: truncation ~1e-10, rounding ~1e-11) and against autograd on
// random z and random p on the simplex, for sizes 1 to 10.
func TestSoftmaxCEGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 200 {
		n := 1 + rng.IntN(10)
		z := make([]float64, n)
		for i := range z {
			z[i] = 6 * rng.NormFloat64()
		}
		p := RandomSimplex(rng, n)
		got := SoftmaxCEGrad(z, p)
		fd := SoftmaxCEGradFD(z, p, 1e-5)
		ag := SoftmaxCEGradAutograd(z, p)
		for i := range got {
			if !matrix.Near(got[i], fd[i], 1e-8, 1e-6) || !matrix.Near(got[i], ag[i], 1e-14, 1e-12) {
				t.Fatalf("trial %d, z %v, p %v: component %d: q - p = %v, finite difference %v, autograd %v", trial, z, p, i, got[i], fd[i], ag[i])
			}
		}
	}
}

// TestSoftmaxCEGradNeedsSimplex shows why sum p = 1 matters: for p that
// does not sum to 1, the finite differences give q sum(p) - p, not q - p.
func TestSoftmaxCEGradNeedsSimplex(t *testing.T) {
	z, p := []float64{0.5, -1, 2}, []float64{0.5, 0.5, 0.5}
	q := Softmax(z)
	fd := SoftmaxCEGradFD(z, p, 1e-5)
	for i := range z {
		if !matrix.Near(fd[i], 1.5*q[i]-p[i], 1e-8, 1e-6) {
			t.Fatalf("component %d: finite difference %v, q sum(p) - p = %v", i, fd[i], 1.5*q[i]-p[i])
		}
		if matrix.Near(fd[i], q[i]-p[i], 1e-3, 0) {
			t.Fatalf("component %d: q - p should not hold without sum p = 1", i)
		}
	}
}

func TestRandomSimplex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for range 100 {
		p := RandomSimplex(rng, 1+rng.IntN(8))
		s := 0.0
		for _, v := range p {
			if v < 0 {
				t.Fatal("negative entry")
			}
			s += v
		}
		if !matrix.Near(s, 1, 1e-15, 0) {
			t.Fatalf("sum %v", s)
		}
	}
}

func Example_softmaxGradient() {
	z, p := []float64{1, 2, 0.5}, []float64{0.2, 0.5, 0.3}
	q, g, fd := Softmax(z), SoftmaxCEGrad(z, p), SoftmaxCEGradFD(z, p, 1e-5)
	fmt.Println("x  z_x   p_x   q_x       q_x - p_x  finite difference")
	for i := range z {
		fmt.Printf("%d  %.2f  %.2f  %.6f  %+.6f  %+.6f\n", i+1, z[i], p[i], q[i], g[i], fd[i])
	}
	// Output:
	// x  z_x   p_x   q_x       q_x - p_x  finite difference
	// 1  1.00  0.20  0.231224  +0.031224  +0.031224
	// 2  2.00  0.50  0.628532  +0.128532  +0.128532
	// 3  0.50  0.30  0.140244  -0.159756  -0.159756
}
