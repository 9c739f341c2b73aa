package gemm

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"nnkit/tensor/peak"
)

// benchShape is one GEMM the engine runs, named after where it comes from.
// Convolutions are im2col GEMMs: forward Y[outC, HW*batch] = W[outC,
// inC*kh*kw] * col; the weight gradient dW = dY * col^T (transB, K =
// HW*batch); the input gradient dcol = W^T * dY (transA, K = outC).
type benchShape struct {
	name           string
	transA, transB bool
	m, n, k        int
}

var benchShapes = []benchShape{
	{name: "square1024", m: 1024, n: 1024, k: 1024},

	// LeNet, batch 256. conv1: 1->6 channels, 5x5, 28x28 output; conv2:
	// 6->16, 5x5, 10x10 output; per image and batched along N.
	{name: "lenet/conv1_fwd_img", m: 6, n: 784, k: 25},
	{name: "lenet/conv1_fwd_b256", m: 6, n: 256 * 784, k: 25},
	{name: "lenet/conv1_wgrad_b256", transB: true, m: 6, n: 25, k: 256 * 784},
	{name: "lenet/conv2_fwd_img", m: 16, n: 100, k: 150},
	{name: "lenet/conv2_fwd_b256", m: 16, n: 256 * 100, k: 150},
	{name: "lenet/conv2_wgrad_b256", transB: true, m: 16, n: 150, k: 256 * 100},
	{name: "lenet/conv2_dgrad_b256", transA: true, m: 150, n: 256 * 100, k: 16},
	// Linear(400, 120) at batch 256: forward Y = X W^T, dW = dY^T X, dX = dY W.
	{name: "lenet/fc1_fwd", transB: true, m: 256, n: 120, k: 400},
	{name: "lenet/fc1_wgrad", transA: true, m: 120, n: 400, k: 256},
	{name: "lenet/fc1_dgrad", m: 256, n: 400, k: 120},
	{name: "lenet/fc2_fwd", transB: true, m: 256, n: 84, k: 120},

	// ResNet-18 at 96x96, batch 32: the 7x7 stem and one 3x3 conv per stage.
	{name: "resnet/stem_fwd", m: 64, n: 48 * 48 * 32, k: 49},
	{name: "resnet/s1_fwd", m: 64, n: 24 * 24 * 32, k: 576},
	{name: "resnet/s2_fwd", m: 128, n: 12 * 12 * 32, k: 1152},
	{name: "resnet/s3_fwd", m: 256, n: 6 * 6 * 32, k: 2304},
	{name: "resnet/s4_fwd", m: 512, n: 3 * 3 * 32, k: 4608},
	{name: "resnet/s1_wgrad", transB: true, m: 64, n: 576, k: 24 * 24 * 32},
	{name: "resnet/s2_wgrad", transB: true, m: 128, n: 1152, k: 12 * 12 * 32},
	{name: "resnet/s3_wgrad", transB: true, m: 256, n: 2304, k: 6 * 6 * 32},
	{name: "resnet/s4_wgrad", transB: true, m: 512, n: 4608, k: 3 * 3 * 32},
	{name: "resnet/s1_dgrad", transA: true, m: 576, n: 24 * 24 * 32, k: 64},
	{name: "resnet/s2_dgrad", transA: true, m: 1152, n: 12 * 12 * 32, k: 128},
	{name: "resnet/s3_dgrad", transA: true, m: 2304, n: 6 * 6 * 32, k: 256},
	{name: "resnet/s4_dgrad", transA: true, m: 4608, n: 3 * 3 * 32, k: 512},
	{name: "resnet/fc_fwd", transB: true, m: 32, n: 10, k: 512},
}

// BenchmarkSgemm reports GFLOP/s (2*m*n*k per call) for the shapes above.
// Run with -cpu 1,2 for one and two threads:
//
//	go test ./internal/gemm -run x -bench Sgemm -cpu 1,2
func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("%s/%s_m%d_n%d_k%d", s.name, trName(s.transA, s.transB), s.m, s.n, s.k), func(b *testing.B) {
			benchGemm(b, s, Sgemm)
		})
	}
}

// BenchmarkSgemmGeneric is the pure-Go kernel on a few shapes, for
// comparison with the assembly.
func BenchmarkSgemmGeneric(b *testing.B) {
	gk := genericKernel[float32]()
	for _, s := range []benchShape{benchShapes[0], benchShapes[14]} {
		b.Run(s.name, func(b *testing.B) {
			withKernel(gk, func() { benchGemm(b, s, Sgemm) })
		})
	}
}

func BenchmarkDgemm(b *testing.B) {
	for _, s := range []benchShape{{name: "square256", m: 256, n: 256, k: 256}} {
		b.Run(s.name, func(b *testing.B) { benchGemm(b, s, Dgemm) })
	}
}

func trName(ta, tb bool) string {
	s := [2]byte{'N', 'N'}
	if ta {
		s[0] = 'T'
	}
	if tb {
		s[1] = 'T'
	}
	return string(s[:])
}

func benchGemm[T float](b *testing.B, s benchShape, gemmFn func(transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)) {
	lda, ldb := s.k, s.n
	if s.transA {
		lda = s.m
	}
	if s.transB {
		ldb = s.k
	}
	rng := rand.New(rand.NewPCG(1, 1))
	fill := func(n int) []T {
		x := make([]T, n)
		for i := range x {
			x[i] = T(rng.Float32() - 0.5)
		}
		return x
	}
	a, bb, c := fill(s.m*s.k), fill(s.k*s.n), fill(s.m*s.n)
	gemmFn(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n) // warm the pools
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		gemmFn(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
	}
	cpu := cpuTime() - cpu0
	flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		// Per busy core: with -cpu 2 this is the rate of each of the two.
		b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// convShapes are the GEMMs of LeNet's and ResNet-18's convolutions (96 x
// 96, batch 32) as the engine runs them: im2col GEMMs on a chunk of images
// for the 5 x 5, 7 x 7 and stride-2 layers (tensor/conv2d.go), and for the
// 3 x 3 stride-1 layers one of the 36 (F(4x4): stages 1 and 2) or 25
// (F(3x3): stages 3 and 4) Winograd GEMMs of a chunk of tiles
// (tensor/winograd.go), which the engine runs one per core rather than
// splitting each. They were cmd/bench's gemm-conv rows, which moved here
// when this package moved under tensor/internal.
var convShapes = []struct {
	name    string
	ta, tb  bool
	m, n, k int
}{
	{"square 1024 NN", false, false, 1024, 1024, 1024},
	{"lenet conv1 fwd (1 image) NN", false, false, 6, 784, 25},
	{"lenet conv2 fwd (6 images) NN", false, false, 16, 600, 150},
	{"lenet conv2 wgrad (6 images) NT", false, true, 16, 150, 600},
	{"resnet stem fwd (1 image) NN", false, false, 64, 2304, 49},
	{"resnet s2 stride-2 fwd (4 images) NN", false, false, 128, 576, 576},
	{"resnet s3 stride-2 fwd (15 images) NN", false, false, 256, 540, 1152},
	{"resnet s4 stride-2 fwd (32 images) NN", false, false, 512, 288, 2304},
	{"resnet s3 stride-2 wgrad (15 images) NT", false, true, 256, 1152, 540},
	{"resnet s4 stride-2 dgrad (32 images) NN", false, false, 2304, 288, 512},
	{"resnet s1 F4 product fwd (8 images) NN", false, false, 64, 288, 64},
	{"resnet s1 F4 product wgrad (8 images) NT", false, true, 64, 64, 288},
	{"resnet s2 F4 product fwd (32 images) NN", false, false, 128, 288, 128},
	{"resnet s3 F3 product fwd (32 images) NN", false, false, 256, 128, 256},
	{"resnet s3 F3 product wgrad (32 images) NT", false, true, 256, 256, 128},
	{"resnet s4 F3 product fwd (32 images) NN", false, false, 512, 32, 512},
	{"resnet s4 F3 product wgrad (32 images) NT", false, true, 512, 512, 32},
}

// measuredPeak is this machine's float32 FMA peak, measured once per test
// binary (a peak hard-coded from one CPU is wrong on the next: Zen 4 runs
// one 512-bit FMA per cycle, Zen 5 two); zero where it cannot be measured.
var measuredPeak = sync.OnceValue(func() peak.Peak {
	p, _ := peak.Measure(runtime.GOMAXPROCS(0), 300*time.Millisecond)
	return p
})

// BenchmarkSgemmConv reports the GFLOP/s of SgemmSerial (one core) and of
// Sgemm (GOMAXPROCS goroutines) on the convolution shapes, with the
// percentage of this machine's measured FMA peak (%peak: of one core for
// serial, of GOMAXPROCS cores for parallel):
//
//	go test ./tensor/internal/gemm -run x -bench SgemmConv -count 5
func BenchmarkSgemmConv(b *testing.B) {
	procs := runtime.GOMAXPROCS(0)
	for _, s := range convShapes {
		bs := benchShape{name: s.name, transA: s.ta, transB: s.tb, m: s.m, n: s.n, k: s.k}
		name := strings.ReplaceAll(fmt.Sprintf("%s_m%d_n%d_k%d", s.name, s.m, s.n, s.k), " ", "_")
		b.Run(name+"/serial", func(b *testing.B) {
			benchGemm(b, bs, SgemmSerial)
			reportPeak(b, bs, measuredPeak().PerCore)
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			benchGemm(b, bs, Sgemm)
			reportPeak(b, bs, measuredPeak().For(procs))
		})
	}
}

// reportPeak adds the wall-clock rate as a percentage of peak GFLOP/s.
func reportPeak(b *testing.B, s benchShape, peakGFLOPS float64) {
	if sec := b.Elapsed().Seconds(); sec > 0 && peakGFLOPS > 0 {
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
		b.ReportMetric(100*flops/sec/1e9/peakGFLOPS, "%peak")
	}
}
