//go:build cuda

package nets_test

import (
	"math"
	"os"
	"testing"
	"time"

	"nnkit/nn"
	"nnkit/optim"
	"nnkit/solutions/nets"
	"nnkit/solutions/task3"
	"nnkit/tensor"
	"nnkit/tensor/cudatest"
	"nnkit/tensor/gradcheck"
)

// Training steps of the course's networks on the GPU against the CPU:
// LeNet-5 (task 3's GetLeNet) and ResNet-18 (task 4's, through
// nets.ResNet18), moved with nn.ToDevice, trained with optim.SGD, and the
// throughput benchmarks that scripts/gpu-check.sh runs. They moved here
// from the engine's tensor/cuda_train_test.go, with the same figures,
// because the networks are answers: the engine's own CUDA tests
// (tensor/cuda_test.go, tensor/internal/cuda) check every operation instead.
//
// Like tensor's CUDA tests, they run on a real GPU when one is usable;
// otherwise, when a C++ compiler is present, on the CPU emulator of
// tensor/internal/cuda/cudaemu (chosen through tensor/cudatest);
// otherwise they skip with the reason.
// NNKIT_CUDA_EMU=0 disables the emulator, =1 forces it.

var (
	gpu       tensor.Device // nil when there is none
	gpuReason string        // why not
	emulated  bool
)

// TestMain opens the GPU or the emulator once, as tensor's TestMain does.
func TestMain(m *testing.M) {
	gpuReason, emulated = cudatest.Select()
	if gpuReason == "" {
		d, err := tensor.GPU()
		if err != nil {
			gpuReason = err.Error()
		} else {
			gpu = d
		}
	}
	os.Exit(m.Run())
}

// needGPU returns the GPU or skips the test with the reason.
func needGPU(t testing.TB) tensor.Device {
	t.Helper()
	if gpu == nil {
		t.Skipf("no usable CUDA device: %s", gpuReason)
	}
	return gpu
}

func batch(seed uint64, n, side int) (*tensor.Tensor, []int) {
	rng := tensor.NewRNG(seed)
	x := tensor.RandUniform(rng, tensor.Float32, 0, 1, n, 1, side, side)
	y := make([]int, n)
	for i := range y {
		y[i] = rng.IntN(10)
	}
	return x, y
}

// twins returns two copies of a network with the same state.
func twins(mk func() *nn.Sequential) (a, b *nn.Sequential) {
	a, b = mk(), mk()
	task3.InitWeights(a) // deterministic Xavier weights, as TrainCNN's
	sa, sb := nn.StateDict(a), nn.StateDict(b)
	for i := range sa {
		sb[i].Tensor.CopyFrom(sa[i].Tensor)
	}
	return a, b
}

// trainSteps runs steps SGD steps of net on dev and returns the losses.
func trainSteps(net nn.Module, dev tensor.Device, steps, n, side int, lr, momentum float64) []float64 {
	nn.ToDevice(net, dev)
	opt := optim.NewSGD(net.Parameters(), lr, momentum, 1e-4)
	loss := nn.NewCrossEntropyLoss(nn.ReduceMean)
	var losses []float64
	net.SetTraining(true)
	for s := range steps {
		x, y := batch(uint64(100+s), n, side)
		opt.ZeroGrad()
		l := loss.Forward(net.Forward(x.ToDevice(dev)), y)
		l.Backward()
		opt.Step()
		losses = append(losses, l.Item())
	}
	return losses
}

// compareNets checks two copies of a network after training: every
// parameter and buffer, and every gradient, by the relative error of the
// whole tensor. Under the norm there is a floor of 1e-4 per element for
// the state and of 1% of the network's root-mean-square gradient for the
// gradients: the gradient of a convolution's bias before a batch norm is
// zero up to rounding, so its relative error says nothing.
func compareNets(t *testing.T, dev, cpu nn.Module, tolState, tolGrad float64) {
	t.Helper()
	ds, cs := nn.StateDict(dev), nn.StateDict(cpu)
	var worst [2]float64
	var where [2]string
	var gsum float64
	var gcount int
	for _, c := range cs {
		if g := c.Tensor.Grad(); g != nil {
			for _, v := range g.Float64s() {
				gsum += v * v
				gcount++
			}
		}
	}
	floors := [2]float64{1e-4, 1e-2 * math.Sqrt(gsum/float64(max(gcount, 1)))}
	for i := range cs {
		if ds[i].Tensor.OnCPU() {
			t.Errorf("%s is on the CPU after nn.ToDevice", ds[i].Name)
		}
		pairs := [2][2]*tensor.Tensor{{ds[i].Tensor, cs[i].Tensor}, {ds[i].Tensor.Grad(), cs[i].Tensor.Grad()}}
		for k, p := range pairs {
			if p[0] == nil || p[1] == nil {
				if (p[0] == nil) != (p[1] == nil) {
					t.Errorf("%s: gradient on one side only", cs[i].Name)
				}
				continue
			}
			got, want := p[0].Float64s(), p[1].Float64s()
			var d, n float64
			for j := range want {
				d += (got[j] - want[j]) * (got[j] - want[j])
				n += want[j] * want[j]
			}
			e := math.Sqrt(d) / math.Max(math.Sqrt(n), floors[k]*math.Sqrt(float64(len(want))))
			if e > worst[k] {
				worst[k], where[k] = e, cs[i].Name
			}
		}
	}
	t.Logf("largest relative error: %.2g in the state (%s), %.2g in the gradients (%s)", worst[0], where[0], worst[1], where[1])
	if worst[0] > tolState || worst[1] > tolGrad {
		t.Errorf("the GPU's network differs from the CPU's: relative error %.3g at %s, gradient %.3g at %s (tolerances %g, %g)",
			worst[0], where[0], worst[1], where[1], tolState, tolGrad)
	}
}

func TestCUDALeNetTrainStep(t *testing.T) {
	dev := needGPU(t)
	cpu, gpuNet := twins(task3.GetLeNet)
	lc := trainSteps(cpu, tensor.CPU, 2, 16, 28, 0.9, 0.5)
	lg := trainSteps(gpuNet, dev, 2, 16, 28, 0.9, 0.5)
	cudatest.CloseTo(t, "losses", lg, lc, 1e-5)
	compareNets(t, gpuNet, cpu, 1e-5, 1e-4)
}

func TestCUDAResNet18TrainStep(t *testing.T) {
	dev := needGPU(t)
	// On the emulator, whose block barriers are slow, the same network
	// with 16 times fewer channels (every kind of layer, a fraction of
	// the work); on a GPU the real one.
	narrow := 1
	if emulated {
		narrow = 16
	}
	cpu, gpuNet := twins(func() *nn.Sequential { return nets.ResNet18(narrow) })
	lc := trainSteps(cpu, tensor.CPU, 2, 4, 64, 0.05, 0.9)
	lg := trainSteps(gpuNet, dev, 2, 4, 64, 0.05, 0.9)
	cudatest.CloseTo(t, "losses", lg, lc, 1e-3)
	compareNets(t, gpuNet, cpu, 1e-4, 1e-2)
	// Evaluation mode uses the running statistics updated on the device.
	x, _ := batch(7, 3, 64)
	var yc, yg *tensor.Tensor
	cpu.SetTraining(false)
	gpuNet.SetTraining(false)
	tensor.NoGrad(func() {
		yc = cpu.Forward(x)
		yg = gpuNet.Forward(x.ToDevice(dev))
	})
	if e := gradcheck.RelErr(yg.Float64s(), yc.Float64s()); e > 2e-3 {
		t.Errorf("evaluation: relative error %.3g", e)
	}
}

// benchTrain measures training steps (forward, loss, backward, SGD) on
// the GPU in examples/s; the loss is read every step, as TrainCNN does.
func benchTrain(b *testing.B, mk func(narrow int) *nn.Sequential, n, side int, lr float64) {
	dev := needGPU(b)
	narrow := 1
	if emulated {
		// The emulator is slow: a dry run of a small step.
		n, side, narrow = min(n, 2), min(side, 32), 16
	}
	net := mk(narrow)
	task3.InitWeights(net)
	nn.ToDevice(net, dev)
	opt := optim.NewSGD(net.Parameters(), lr, 0, 0)
	loss := nn.NewCrossEntropyLoss(nn.ReduceMean)
	x, y := batch(1, n, side)
	step := func() {
		opt.ZeroGrad()
		l := loss.Forward(net.Forward(x.ToDevice(dev)), y)
		l.Backward()
		opt.Step()
		_ = l.Item()
	}
	step() // fills the allocator's cache (and loads the kernels)
	start, steps := time.Now(), 0
	for b.Loop() {
		step()
		steps++
	}
	if err := tensor.Synchronize(dev); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n*steps)/time.Since(start).Seconds(), "examples/s")
	b.ReportMetric(0, "ns/op")
	if emulated {
		b.Logf("emulated: batch %d of %dx%d, channels / %d (a dry run, not a measurement)", n, side, side, narrow)
	}
}

// BenchmarkCUDALeNetTrain is task 3's step: LeNet-5, batch 256 of 28x28.
func BenchmarkCUDALeNetTrain(b *testing.B) {
	benchTrain(b, func(int) *nn.Sequential { return task3.GetLeNet() }, 256, 28, 0.9)
}

// BenchmarkCUDAResNet18Train is task 4's step: ResNet-18, batch 128 of
// 96x96.
func BenchmarkCUDAResNet18Train(b *testing.B) {
	benchTrain(b, nets.ResNet18, 128, 96, 0.05)
}
