package conceptual

import (
	"nnkit/conceptual/internal/matrix"

	"fmt"
	"math/rand/v2"
	"testing"
)

// TestProblem5MatchesEngine runs the problem's step with nn.Linear or raw
// tensors and optim.SGD under both conventions and compares with the closed
// form; both are exact float64 formulas, so they agree to rounding.
func TestProblem5MatchesEngine(t *testing.T) {
	W, B, x, p, lr := Problem5()
	for _, c := range []Convention{OutputsByRows, InputsByRows} {
		s := SoftmaxSGDStep(W, B, x, p, lr, c)
		w2, b2 := SoftmaxSGDStepEngine(W, B, x, p, lr, c)
		if d := maxAbsDiff(s.W, w2); d > 1e-15 {
			t.Errorf("%v: W' differs from the engine's by %g: closed form %v, engine %v", c, d, s.W, w2)
		}
		if d := maxAbsDiff(s.B, matrix.Transpose([][]float64{b2})); d > 1e-15 {
			t.Errorf("%v: B' differs from the engine's by %g", c, d)
		}
	}
	// The two conventions give transposed W' here, because W is symmetric
	// and x has equal entries.
	a, b := SoftmaxSGDStep(W, B, x, p, lr, OutputsByRows), SoftmaxSGDStep(W, B, x, p, lr, InputsByRows)
	if d := maxAbsDiff(a.W, matrix.Transpose(b.W)); d != 0 {
		t.Errorf("W' under the two conventions are not transposes (%g)", d)
	}
}

// TestSoftmaxSGDStepRandom compares the closed form with the engine on
// random layers of random sizes.
func TestSoftmaxSGDStepRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 40 {
		nIn, nOut := 1+rng.IntN(5), 1+rng.IntN(5)
		x := matrix.Rand(rng, 1, nIn, -2, 2)[0]
		B := matrix.Rand(rng, 1, nOut, -1, 1)[0]
		p := RandomSimplex(rng, nOut)
		for _, c := range []Convention{OutputsByRows, InputsByRows} {
			var W [][]float64
			if c == OutputsByRows {
				W = matrix.Rand(rng, nOut, nIn, -1, 1)
			} else {
				W = matrix.Rand(rng, nIn, nOut, -1, 1)
			}
			s := SoftmaxSGDStep(W, B, x, p, 0.1, c)
			w2, b2 := SoftmaxSGDStepEngine(W, B, x, p, 0.1, c)
			if d := maxAbsDiff(s.W, w2); d > 1e-14 {
				t.Fatalf("trial %d %v: W' off by %g", trial, c, d)
			}
			if d := maxAbsDiff(s.B, matrix.Transpose([][]float64{b2})); d > 1e-14 {
				t.Fatalf("trial %d %v: B' off by %g", trial, c, d)
			}
		}
	}
}

func Example_problem5() {
	W, B, x, p, lr := Problem5()
	s := SoftmaxSGDStep(W, B, x, p, lr, OutputsByRows)
	fmt.Println("z = W x + B      =", matrix.FormatVec(s.Z, 6))
	fmt.Println("q = softmax(z)   =", matrix.FormatVec(s.Q, 6))
	fmt.Println("dE/dz = q - p    =", matrix.FormatVec(s.DEdZ, 6))
	fmt.Println("dE/dW = (q - p) x^T =")
	fmt.Println(matrix.Format(s.DEdW, 6))
	fmt.Println("W' = W - 0.02 dE/dW =")
	fmt.Println(matrix.Format(s.W, 6))
	fmt.Println("B' = B - 0.02 (q - p) =")
	fmt.Println(matrix.Format(s.B, 6))
	o := SoftmaxSGDStep(W, B, x, p, lr, InputsByRows)
	fmt.Println("other convention, z = W^T x + B: W' =")
	fmt.Println(matrix.Format(o.W, 6))
	// Output:
	// z = W x + B      = [1.000000, -1.000000]
	// q = softmax(z)   = [0.880797, 0.119203]
	// dE/dz = q - p    = [0.580797, -0.580797]
	// dE/dW = (q - p) x^T =
	// [[0.580797, 0.580797],
	//  [-0.580797, -0.580797]]
	// W' = W - 0.02 dE/dW =
	// [[0.988384, -0.011616],
	//  [0.011616, -0.988384]]
	// B' = B - 0.02 (q - p) =
	// [[-0.011616],
	//  [0.011616]]
	// other convention, z = W^T x + B: W' =
	// [[0.988384, 0.011616],
	//  [-0.011616, -0.988384]]
}
