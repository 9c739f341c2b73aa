package tensor_test

import (
	"testing"

	"nnkit/tensor"
)

// BenchmarkMatMul1024 is float32 MatMul of two 1024 x 1024 matrices, as
// cmd/bench's sgemm row runs it (the result allocated each call: "fresh")
// and with the result given back to the engine's pool ("released"), so
// that the difference is the cost of allocating, zeroing and faulting in
// 4 MiB a call:
//
//	go test ./tensor -run '^$' -bench MatMul1024 -count 5
func BenchmarkMatMul1024(b *testing.B) {
	const n = 1024
	rng := tensor.NewRNG(1)
	x := tensor.RandUniform(rng, tensor.Float32, -1, 1, n, n)
	y := tensor.RandUniform(rng, tensor.Float32, -1, 1, n, n)
	for _, release := range []bool{false, true} {
		name := map[bool]string{false: "fresh", true: "released"}[release]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				z := tensor.MatMul(x, y)
				if release {
					z.Release()
				}
			}
			b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
