package gemm

import (
	"fmt"
	"testing"
)

// BenchmarkKernel measures a micro-kernel alone, sweeping one packed A
// sliver over a packed kc x nc B block as the driver does, so that it shows
// the ceiling the driver's packing and blocking overheads are measured from.
func BenchmarkKernel(b *testing.B) {
	for _, kern := range sgemmKernels() {
		for _, nc := range []int{kern.nr, 256, 768} {
			kc := 256
			b.Run(fmt.Sprintf("%s/kc%d_nc%d", kern.name, kc, nc), func(b *testing.B) {
				ap := make([]float32, kern.mr*kc)
				bp := make([]float32, kc*nc)
				c := make([]float32, kern.mr*nc)
				for i := range ap {
					ap[i] = 1
				}
				for b.Loop() {
					for jr := 0; jr < nc; jr += kern.nr {
						kern.fn(kc, ap, 1, kern.mr, bp[jr*kc:], kern.nr, c[jr:], nc, 1, 1)
					}
				}
				flops := 2 * float64(kern.mr*nc*kc)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
