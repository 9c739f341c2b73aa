// Package peak measures the CPU's float32 FMA peak at run time: a loop of
// independent vector FMA chains (AVX-512 where the CPU has it, else AVX2
// with FMA) on one core and on several at once. A peak hard-coded from one
// machine is wrong on the next (Zen 4 runs one 512-bit FMA per cycle,
// Zen 5 two), so the "% of peak" of cmd/bench and of the GEMM benchmarks
// divides by this measurement instead.
package peak

import (
	"errors"
	"runtime"
	"sync"
	"time"
)

// Peak is a measured float32 FMA peak in GFLOP/s.
type Peak struct {
	ISA      string  // the vector extension the loop ran on
	PerCore  float64 // one core: the best chunk's FLOPs over its thread CPU time
	AllCores float64 // Threads cores at once: the sum of each thread's best rate
	Wall     float64 // Threads cores at once: all FLOPs over the wall-clock window
	Threads  int
}

// For is the peak of threads cores: AllCores from Threads cores up,
// PerCore times threads below.
func (p Peak) For(threads int) float64 {
	if threads >= p.Threads {
		return p.AllCores
	}
	return p.PerCore * float64(threads)
}

// ErrNoKernel says that the CPU (or the architecture) has no FMA loop
// here: no AVX2 with FMA, or not amd64.
var ErrNoKernel = errors.New("peak: no FMA loop for this CPU (needs amd64 with AVX2 and FMA, or AVX-512)")

// HasAVX512 reports whether the CPU and the OS support AVX-512F.
func HasAVX512() bool { return hasAVX512 }

// chunk is the iterations of the loop per timed chunk: about 1-3 ms.
const chunk = 1 << 18

// Measure runs the FMA loop on one thread for window, then on threads
// threads at once for window, each thread locked to its OS thread, and
// returns the rates. Rates per thread CPU-second are what a core does
// while it runs, which other processes on a loaded machine disturb much
// less than the wall clock; the best chunk of each thread counts.
func Measure(threads int, window time.Duration) (Peak, error) {
	fn, isa, flops := kernel()
	if fn == nil {
		return Peak{}, ErrNoKernel
	}
	threads = max(threads, 1)
	one, _ := measureThreads(fn, flops, 1, window)
	many, wall := measureThreads(fn, flops, threads, window)
	sum := 0.0
	for _, r := range many {
		sum += r
	}
	return Peak{ISA: isa, PerCore: one[0], AllCores: sum, Wall: wall, Threads: threads}, nil
}

// measureThreads runs fn on n locked threads until window has passed and
// returns each thread's best rate per CPU-second and the total rate per
// wall-clock second, in GFLOP/s.
func measureThreads(fn func(int), flopsPerIter float64, n int, window time.Duration) ([]float64, float64) {
	best := make([]float64, n)
	iters := make([]int, n)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(window)
	for i := range n {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			fn(1024) // warm up the vector units
			for time.Now().Before(deadline) {
				c0 := threadCPU()
				fn(chunk)
				if dt := threadCPU() - c0; dt > 0 {
					best[i] = max(best[i], chunk*flopsPerIter/dt.Seconds()/1e9)
				}
				iters[i] += chunk
			}
		})
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	total := 0.0
	for _, it := range iters {
		total += float64(it) * flopsPerIter
	}
	return best, total / el / 1e9
}
