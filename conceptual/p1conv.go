package conceptual

import (
	"nnkit/conceptual/internal/matrix"

	"math"
	"math/rand/v2"
)

// Problem 1: a building block of conv (kernel K, k x k, stride 1, no
// padding) -> sigmoid -> 2x2 average pooling, with
//
//	X: (2n+k-1) x (2m+k-1),  C = X * K: 2n x 2m,  S = sigmoid(C): 2n x 2m,  P = avgpool(S): n x m,
//
// and g = dL/dP given. The functions below are the closed forms of
// docs/conceptual/p1-conv-sigmoid-pool.md written index by index, with the
// 1-based indices of the text (at(M, i, j) is m_{i,j} = M[i-1][j-1]).

// at returns m_{i,j} with 1-based i, j, as the derivation writes it.
func at(m [][]float64, i, j int) float64 { return m[i-1][j-1] }

// set writes m_{i,j} with 1-based i, j.
func set(m [][]float64, i, j int, v float64) { m[i-1][j-1] = v }

// ceilHalf is ceil(d/2) for d >= 1.
func ceilHalf(d int) int { return (d + 1) / 2 }

// ConvBlockForward computes C, S and P of the building block for input X
// and kernel K (cross-correlation, as every framework's convolution):
//
//	c_{d,e} = sum_{a,b=1..k} k_{a,b} x_{d+a-1, e+b-1}
//	s_{d,e} = 1 / (1 + e^{-c_{d,e}})
//	p_{i,j} = (s_{2i-1,2j-1} + s_{2i-1,2j} + s_{2i,2j-1} + s_{2i,2j}) / 4
//
// X must be (2n+k-1) x (2m+k-1) for some n, m >= 1.
func ConvBlockForward(X, K [][]float64) (C, S, P [][]float64) {
	k := len(K)
	rows, cols := len(X)-k+1, len(X[0])-k+1
	n, m := rows/2, cols/2
	C, S, P = matrix.New(2*n, 2*m), matrix.New(2*n, 2*m), matrix.New(n, m)
	for d := 1; d <= 2*n; d++ {
		for e := 1; e <= 2*m; e++ {
			c := 0.0
			for a := 1; a <= k; a++ {
				for b := 1; b <= k; b++ {
					c += at(K, a, b) * at(X, d+a-1, e+b-1)
				}
			}
			set(C, d, e, c)
			set(S, d, e, 1/(1+math.Exp(-c)))
		}
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			set(P, i, j, (at(S, 2*i-1, 2*j-1)+at(S, 2*i-1, 2*j)+at(S, 2*i, 2*j-1)+at(S, 2*i, 2*j))/4)
		}
	}
	return C, S, P
}

// DLdS is the closed form of dL/dS (2n x 2m) from g = dL/dP (n x m):
//
//	dL/ds_{d,e} = g_{ceil(d/2), ceil(e/2)} / 4
//
// since s_{d,e} enters exactly one average, p_{ceil(d/2),ceil(e/2)}, with
// weight 1/4.
func DLdS(g [][]float64) [][]float64 {
	n, m := len(g), len(g[0])
	out := matrix.New(2*n, 2*m)
	for d := 1; d <= 2*n; d++ {
		for e := 1; e <= 2*m; e++ {
			set(out, d, e, at(g, ceilHalf(d), ceilHalf(e))/4)
		}
	}
	return out
}

// DLdC is the closed form of dL/dC (2n x 2m):
//
//	dL/dc_{d,e} = dL/ds_{d,e} * s_{d,e} (1 - s_{d,e}) = g_{ceil(d/2), ceil(e/2)} s_{d,e} (1 - s_{d,e}) / 4
//
// using sigmoid'(c) = s (1 - s).
func DLdC(g, S [][]float64) [][]float64 {
	dS := DLdS(g)
	out := matrix.New(len(S), len(S[0]))
	for d := 1; d <= len(S); d++ {
		for e := 1; e <= len(S[0]); e++ {
			s := at(S, d, e)
			set(out, d, e, at(dS, d, e)*s*(1-s))
		}
	}
	return out
}

// DLdK is the closed form of dL/dK (k x k):
//
//	dL/dk_{a,b} = sum_{d=1..2n} sum_{e=1..2m} dL/dc_{d,e} x_{d+a-1, e+b-1}
//	            = sum_{d,e} g_{ceil(d/2), ceil(e/2)} s_{d,e} (1 - s_{d,e}) x_{d+a-1, e+b-1} / 4
//
// since c_{d,e} depends on k_{a,b} through the single term k_{a,b} x_{d+a-1,e+b-1}.
func DLdK(g, S, X [][]float64, k int) [][]float64 {
	dC := DLdC(g, S)
	out := matrix.New(k, k)
	for a := 1; a <= k; a++ {
		for b := 1; b <= k; b++ {
			sum := 0.0
			for d := 1; d <= len(S); d++ {
				for e := 1; e <= len(S[0]); e++ {
					sum += at(dC, d, e) * at(X, d+a-1, e+b-1)
				}
			}
			set(out, a, b, sum)
		}
	}
	return out
}

// P1Instance is one building block with every quantity of the problem.
type P1Instance struct {
	N, M, K   int
	X, Kernel [][]float64
	C, S, P   [][]float64
	G         [][]float64 // dL/dP
}

// NewP1Instance draws X, K and g uniform in [-1, 1) for the given sizes and
// computes C, S and P with ConvBlockForward.
func NewP1Instance(rng *rand.Rand, n, m, k int) P1Instance {
	in := P1Instance{N: n, M: m, K: k}
	in.X = matrix.Rand(rng, 2*n+k-1, 2*m+k-1, -1, 1)
	in.Kernel = matrix.Rand(rng, k, k, -1, 1)
	in.G = matrix.Rand(rng, n, m, -1, 1)
	in.C, in.S, in.P = ConvBlockForward(in.X, in.Kernel)
	return in
}
