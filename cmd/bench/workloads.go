package main

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"nnkit/nn"
	"nnkit/optim"
	"nnkit/solutions/task3"
	"nnkit/solutions/task4"
	"nnkit/tensor"
)

// timedWork are the workloads timed in the interleaved rounds, in the
// table's order.
var timedWork = []string{"lenet-train", "lenet-infer", "resnet-train", "resnet-infer", "sgemm"}

// targets are the goals: nnkit / best PyTorch.
var targets = map[string]float64{"lenet-train": 3, "lenet-infer": 3, "resnet-train": 1.5, "resnet-infer": 1.5}

// A section is a workload that is no rate: it runs once, after the timed
// rounds, only when -work names it, and prints its own part of the report.
type section func(w io.Writer, env sectionEnv) error

// sectionEnv is what a section may need from the run.
type sectionEnv struct {
	python, script string   // -python, -script
	torchEnv       []string // the chosen PyTorch BLAS environment; nil without PyTorch
}

// sections registers the sections by name, one line each.
var sections = map[string]section{
	"lenet-epoch": func(w io.Writer, _ sectionEnv) error { return lenetEpochChild(w) },
	"accuracy": func(w io.Writer, env sectionEnv) error {
		python := env.python
		if env.torchEnv == nil { // -torch=false, or no PyTorch: nnkit's errors alone
			python = ""
		}
		return runAccuracy(w, python, filepath.Join(filepath.Dir(env.script), "conv_accuracy.py"), env.torchEnv)
	},
}

// allWork is every workload -work accepts.
func allWork() []string {
	names := slices.Clone(timedWork)
	return append(names, slices.Sorted(maps.Keys(sections))...)
}

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
			l.BackwardAndRelease() // as task3.TrainCNN does
			opt.Step()
		}}
	case "sgemm":
		// tensor.MatMul of two float32 [1024, 1024] tensors that need no
		// gradient: the engine's GEMM (all cores) plus the allocation of
		// the result, as torch.mm(A, B) on PyTorch's side allocates its
		// own. It used to call the GEMM on preallocated slices; the GEMM
		// is internal to tensor now (tensor/internal/gemm, whose go test
		// -bench measures it alone).
		const n = 1024
		a := tensor.FromFloat32(randSlice(rng, n*n), n, n)
		b := tensor.FromFloat32(randSlice(rng, n*n), n, n)
		return &workload{per: 2 * n * n * n / 1e9, step: func() {
			tensor.MatMul(a, b)
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

// A tally adds up the timed slices of one side of a window: the work done
// (examples, or GFLOP for sgemm), the wall-clock and CPU time it took, and
// for a workload that reports memory its steps, bytes and allocations.
type tally struct {
	work      float64
	wall, cpu time.Duration
	steps     int
	bytes     uint64
	allocs    uint64
}

func (t *tally) add(u tally) {
	t.work += u.work
	t.wall += u.wall
	t.cpu += u.cpu
	t.steps += u.steps
	t.bytes += u.bytes
	t.allocs += u.allocs
}

// rates returns the tally's work per second and per CPU-second.
func (t tally) rates() (rate, perCPU float64) {
	return t.work / max(t.wall.Seconds(), 1e-9), t.work / max(t.cpu.Seconds(), 1e-9)
}

// warm runs the two untimed steps that a window starts with.
func (wl *workload) warm() {
	wl.step()
	wl.step()
}

// slice runs steps for at least d and adds them to t.
func (wl *workload) slice(d time.Duration, t *tally) {
	var m0, m1 runtime.MemStats
	if wl.isMem {
		runtime.ReadMemStats(&m0)
	}
	n, start, cpu0 := 0, time.Now(), cpuTime()
	for time.Since(start) < d {
		wl.step()
		n++
	}
	t.work += float64(n) * wl.per
	t.steps += n
	t.wall += time.Since(start)
	t.cpu += cpuTime() - cpu0
	if wl.isMem {
		runtime.ReadMemStats(&m1)
		t.bytes += m1.TotalAlloc - m0.TotalAlloc
		t.allocs += m1.Mallocs - m0.Mallocs
	}
}

// stats turns a tally into the rate and the memory statistics.
func (wl *workload) stats(t tally) (float64, *memStats) {
	rate, perCPU := t.rates()
	ms := &memStats{perCPU: perCPU}
	if wl.isMem && t.steps > 0 {
		ms.bytesPerOp, ms.allocsPerOp = float64(t.bytes)/float64(t.steps), t.allocs/uint64(t.steps)
	}
	return rate, ms
}

func (wl *workload) close() { runtime.GC() }

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

// lenetEpochChild runs the lenet-epoch workload in a child process, so
// that its peak resident memory is its own.
func lenetEpochChild(w io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "-child", "-work", "lenet-epoch")
	cmd.Stdout, cmd.Stderr = w, os.Stderr
	return cmd.Run()
}
