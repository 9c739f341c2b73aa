package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"nnkit/internal/gemm"
	"nnkit/nn"
	"nnkit/optim"
	"nnkit/solutions/task3"
	"nnkit/solutions/task4"
	"nnkit/tensor"
)

// A workload is one step repeated: examples (or FLOPs) per call of step.
type workload struct {
	step  func()
	per   float64 // examples (or GFLOP) per step
	isMem bool    // report bytes and allocations per step
}

type memStats struct {
	perCPU      float64 // rate per CPU-second of the process
	bytesPerOp  float64 // 0 unless the workload reports memory
	allocsPerOp uint64
}

// cpuTime is the user and system time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func newWorkload(name string) *workload {
	rng := tensor.NewRNG(1)
	switch name {
	case "lenet-train", "lenet-infer", "resnet-train", "resnet-infer":
		var net *nn.Sequential
		var batch, side int
		if strings.HasPrefix(name, "lenet") {
			net, batch, side = task3.GetLeNet(), 256, 28
			task3.InitWeights(net)
		} else {
			net, batch, side = task4.GetResNet(), 32, task4.Resize
		}
		x := tensor.RandUniform(rng, tensor.Float32, 0, 1, batch, 1, side, side)
		y := make([]int, batch)
		for i := range y {
			y[i] = rng.IntN(10)
		}
		if strings.HasSuffix(name, "infer") {
			net.SetTraining(false)
			return &workload{per: float64(batch), step: func() {
				tensor.NoGrad(func() { net.Forward(x) })
			}}
		}
		opt := optim.NewSGD(net.Parameters(), 0.05, 0, 0)
		loss := nn.NewCrossEntropyLoss(nn.ReduceMean)
		return &workload{per: float64(batch), isMem: name == "lenet-train", step: func() {
			opt.ZeroGrad()
			l := loss.Forward(net.Forward(x), y)
			l.Backward()
			opt.Step()
		}}
	case "sgemm":
		const n = 1024
		a, b, c := randSlice(rng, n*n), randSlice(rng, n*n), make([]float32, n*n)
		return &workload{per: 2 * n * n * n / 1e9, step: func() {
			gemm.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n)
		}}
	}
	panic("bench: no workload " + name)
}

func randSlice(rng interface{ Float32() float32 }, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

// measure runs two warm-up steps, then steps for at least d, and returns
// the rate (per second) and, in the memory statistics, the rate per
// CPU-second of the process.
func (wl *workload) measure(d time.Duration) (float64, *memStats) {
	wl.step()
	wl.step()
	var m0, m1 runtime.MemStats
	if wl.isMem {
		runtime.ReadMemStats(&m0)
	}
	n, start, cpu0 := 0, time.Now(), cpuTime()
	for time.Since(start) < d {
		wl.step()
		n++
	}
	el, cpu := time.Since(start), cpuTime()-cpu0
	ms := &memStats{perCPU: float64(n) * wl.per / max(cpu.Seconds(), 1e-9)}
	if wl.isMem {
		runtime.ReadMemStats(&m1)
		ms.bytesPerOp, ms.allocsPerOp = float64(m1.TotalAlloc-m0.TotalAlloc)/float64(n), (m1.Mallocs-m0.Mallocs)/uint64(n)
	}
	return float64(n) * wl.per / el.Seconds(), ms
}

func (wl *workload) close() { runtime.GC() }

// convShapes are the GEMMs of LeNet's and ResNet-18's convolutions (96 x
// 96, batch 32) as the engine runs them: im2col GEMMs on a chunk of images
// for the 5 x 5, 7 x 7 and stride-2 layers (tensor/conv2d.go), and for the
// 3 x 3 stride-1 layers one of the 36 (F(4x4): stages 1 and 2) or 25
// (F(3x3): stages 3 and 4) Winograd GEMMs of a chunk of tiles
// (tensor/winograd.go), which the engine runs one per core rather than
// splitting each.
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

// peakPerCore is the measured float32 peak of one core of the reference
// machine (docs/gemm-notes.md: 32 FLOP/cycle x 3.53 GHz).
const peakPerCore = 113.0

// gemmConv prints the GEMM rate on the convolution shapes on one core
// (SgemmSerial) and on all (Sgemm), medians over rounds.
func gemmConv(w io.Writer, d time.Duration, rounds int) {
	procs := runtime.GOMAXPROCS(0)
	fmt.Fprintf(w, "GEMM on convolution shapes (GFLOP/s, medians of %d; peak %.0f per core, %.0f on %d)\n", rounds, peakPerCore, peakPerCore*float64(procs), procs)
	fmt.Fprintf(w, "%-56s %9s %6s %9s %6s\n", "shape (M x N x K)", "1 core", "%peak", fmt.Sprintf("%d cores", procs), "%peak")
	rng := tensor.NewRNG(2)
	for _, s := range convShapes {
		a := randSlice(rng, s.m*s.k)
		b := randSlice(rng, s.k*s.n)
		c := make([]float32, s.m*s.n)
		lda, ldb := s.k, s.n
		if s.ta {
			lda = s.m
		}
		if s.tb {
			ldb = s.k
		}
		flop := 2 * float64(s.m) * float64(s.n) * float64(s.k) / 1e9
		var one, all []float64
		for range rounds {
			for i, f := range []func(bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int){gemm.SgemmSerial, gemm.Sgemm} {
				wl := &workload{per: flop, step: func() { f(s.ta, s.tb, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n) }}
				v, _ := wl.measure(d / 4)
				if i == 0 {
					one = append(one, v)
				} else {
					all = append(all, v)
				}
			}
		}
		m1, ma := median(one), median(all)
		fmt.Fprintf(w, "%-56s %9.1f %5.0f%% %9.1f %5.0f%%\n", fmt.Sprintf("%s %dx%dx%d", s.name, s.m, s.n, s.k),
			m1, 100*m1/peakPerCore, ma, 100*ma/(peakPerCore*float64(procs)))
	}
}

// runChild runs one workload alone in this (child) process.
func runChild(name string) error {
	if name != "lenet-epoch" {
		return fmt.Errorf("-child runs lenet-epoch only")
	}
	task3.Output = io.Discard
	train, test, err := task3.LoadDataFashionMNIST("", task3.BatchSize, 0)
	if err != nil {
		fmt.Printf("lenet-epoch: skipped, the full Fashion-MNIST is not installed (%v)\n", err)
		return nil
	}
	start := time.Now()
	h := task3.TrainCNN(task3.GetLeNet(), train, test, 1, task3.LR, tensor.CPU)
	wall := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("lenet-epoch: one epoch of TrainCNN on %d images (test evaluation included): wall %v, %.0f examples/s of step time, test acc %.3f\n",
		train.Len(), wall.Round(time.Millisecond), h[0].ExamplesPerSec, h[0].TestAcc)
	fmt.Printf("lenet-epoch: peak resident memory (VmHWM) %s, Go heap in use at the end %.1f MiB, %d GCs\n",
		vmHWM(), float64(ms.HeapInuse)/(1<<20), ms.NumGC)
	return nil
}

func vmHWM() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
