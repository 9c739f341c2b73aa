// Package reference holds the reference answers to the conceptual
// problems, in the layout of conceptual/answers: check scores it full
// marks on every auto-graded item. It is the instructor's copy; it is not
// part of the student distribution.
package answers

// DLdS: s_{d,e} enters only p_{ceil(d/2),ceil(e/2)}, with weight 1/4, so
// dL/ds_{d,e} = g_{ceil(d/2),ceil(e/2)} / 4 (0-based: g[d/2][e/2] / 4).
func DLdS(g [][]float64) [][]float64 {
	out := make([][]float64, 2*len(g))
	for d := range out {
		out[d] = make([]float64, 2*len(g[0]))
		for e := range out[d] {
			out[d][e] = g[d/2][e/2] / 4
		}
	}
	return out
}

// DLdC: dL/dc_{d,e} = dL/ds_{d,e} s_{d,e} (1 - s_{d,e}).
func DLdC(g, S [][]float64) [][]float64 {
	out := DLdS(g)
	for d := range out {
		for e := range out[d] {
			out[d][e] *= S[d][e] * (1 - S[d][e])
		}
	}
	return out
}

// DLdK: dL/dk_{a,b} = sum_{d,e} dL/dc_{d,e} x_{d+a-1,e+b-1} (1-based), the
// cross-correlation of X with dL/dC.
func DLdK(g, S, X [][]float64, k int) [][]float64 {
	dC := DLdC(g, S)
	out := make([][]float64, k)
	for a := range out {
		out[a] = make([]float64, k)
		for b := range out[a] {
			for d := range dC {
				for e := range dC[d] {
					out[a][b] += dC[d][e] * X[d+a][e+b]
				}
			}
		}
	}
	return out
}
