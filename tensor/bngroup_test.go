package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Interleaving the sums of bnGroup channels (bnStatsGroup,
// bnBackSumsGroup) gives the bits of one channel at a time (bnStats,
// bnBackSums), for channel counts around the group size and either split
// across goroutines.
func TestBatchNormGroupedSumsSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, c := range []int{1, 3, 4, 5, 8, 9, 13} {
		for _, hw := range []int{37, 1100} { // the second splits the channels across goroutines
			g := bnGeom{n: 3, c: c, hw: hw}
			size := g.n * g.c * g.hw
			x, gy := make([]float32, size), make([]float32, size)
			for i := range x {
				x[i] = float32(rng.NormFloat64()*2 + 1)
				gy[i] = float32(rng.NormFloat64())
			}
			gamma, beta := make([]float32, c), make([]float32, c)
			for i := range gamma {
				gamma[i], beta[i] = float32(rng.Float64()+0.5), float32(rng.NormFloat64())
			}
			m := float64(g.n * g.hw)
			y := make([]float32, size)
			mean, istd := bnForward(g, y, x, gamma, beta, nil, nil, true, 0.1, 1e-5)
			gx, gg, gb := make([]float32, size), make([]float32, c), make([]float32, c)
			bnBackward(g, gy, x, gamma, mean, istd, true, gx, gg, gb)
			for ch := range c {
				mu, v := bnStats(g, x, ch, m)
				if mean[ch] != mu || istd[ch] != 1/math.Sqrt(v+1e-5) {
					t.Fatalf("C=%d channel %d: mean/istd %v %v, one channel at a time %v %v", c, ch, mean[ch], istd[ch], mu, 1/math.Sqrt(v+1e-5))
				}
				sg, sgx := bnBackSums(g, gy, x, ch, mu)
				if gb[ch] != float32(sg) || gg[ch] != float32(sgx*istd[ch]) {
					t.Fatalf("C=%d channel %d: gamma/beta gradients differ", c, ch)
				}
			}
		}
	}
}
