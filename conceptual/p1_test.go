package conceptual

import (
	"nnkit/conceptual/internal/matrix"

	"math/rand/v2"
	"testing"
)

func TestP1ClosedFormsMatchAutograd(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 30 {
		n, m, k := 1+rng.IntN(4), 1+rng.IntN(4), 1+rng.IntN(5)
		if err := VerifyP1(NewP1Instance(rng, n, m, k)); err != nil {
			t.Fatalf("random instance %d: %v", i, err)
		}
	}
}

// TestP1ClosedFormsMatchFiniteDifferences checks dL/dK against central
// differences of the package's own forward pass, a truth that does not use
// the engine at all. The step 1e-6 gives an error near 1e-10.
func TestP1ClosedFormsMatchFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5 {
		in := NewP1Instance(rng, 1+rng.IntN(3), 1+rng.IntN(3), 1+rng.IntN(3))
		loss := func(K [][]float64) float64 {
			_, _, P := ConvBlockForward(in.X, K)
			l := 0.0
			for i := range P {
				for j := range P[i] {
					l += in.G[i][j] * P[i][j]
				}
			}
			return l
		}
		dK := DLdK(in.G, in.S, in.X, in.K)
		const h = 1e-6
		for a := range in.K {
			for b := range in.K {
				K := matrix.Clone(in.Kernel)
				K[a][b] += h
				up := loss(K)
				K[a][b] -= 2 * h
				num := (up - loss(K)) / (2 * h)
				if !matrix.Near(dK[a][b], num, 1e-8, 1e-6) {
					t.Fatalf("n=%d m=%d k=%d: dL/dk_{%d,%d} closed form %.12g, finite difference %.12g", in.N, in.M, in.K, a+1, b+1, dK[a][b], num)
				}
			}
		}
	}
}

// TestP1Textbook checks the smallest block by hand: n = m = k = 1, so
// X is 2 x 2, K = [w], C = w X, and every s_{d,e} gets g/4.
func TestP1Textbook(t *testing.T) {
	in := P1Instance{N: 1, M: 1, K: 1, X: [][]float64{{0, 1}, {2, -1}}, Kernel: [][]float64{{0.5}}, G: [][]float64{{2}}}
	in.C, in.S, in.P = ConvBlockForward(in.X, in.Kernel)
	dS := DLdS(in.G)
	for _, row := range dS {
		for _, v := range row {
			if v != 0.5 {
				t.Fatalf("dL/dS = %v, want every entry 2/4", dS)
			}
		}
	}
	// s(0) = 1/2, so dL/dc_{1,1} = 0.5 * 1/4 = 0.125 and x_{1,1} = 0.
	if got := DLdC(in.G, in.S)[0][0]; got != 0.125 {
		t.Fatalf("dL/dc_{1,1} = %v, want 0.125", got)
	}
	if err := VerifyP1(in); err != nil {
		t.Fatal(err)
	}
}
