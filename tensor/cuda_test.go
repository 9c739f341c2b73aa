//go:build cuda

package tensor_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"nnkit/tensor"
	"nnkit/tensor/cudatest"
	"nnkit/tensor/internal/conformance"
)

// The tensor-level CUDA tests: every operation, forward and backward, on
// the GPU against the CPU engine on random shapes (float32 tolerance), the
// accessors and transfers, and LeNet and ResNet-18 training steps
// (cuda_train_test.go). They run on a real GPU when one is usable;
// otherwise, when a C++ compiler is present, on the CPU emulator of
// tensor/internal/cuda/cudaemu (through tensor/cudatest); otherwise they
// skip with the reason.
// NNKIT_CUDA_EMU=0 disables the emulator, =1 forces it.

var (
	gpu       tensor.Device // nil when there is none
	gpuReason string        // why not
	emulated  bool
)

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

func TestCUDADevice(t *testing.T) {
	d := needGPU(t)
	if d.Name() != "cuda:0" && !strings.HasPrefix(d.Name(), "cuda:") {
		t.Errorf("Name = %q", d.Name())
	}
	if g := tensor.TryGPU(); g != d {
		t.Errorf("TryGPU = %v, want the GPU %v", g.Name(), d.Name())
	}
	t.Logf("device: %v; emulated=%v", d, emulated)
}

// Every operation on the GPU against finite differences and the CPU (the
// table is shared with the CPU's test, conformance_test.go).
func TestConformanceCUDA(t *testing.T) { conformance.Test(t, needGPU(t)) }

// A gradient flows back through ToDevice to a CPU leaf, and the GPU
// tensors' accessors behave.
func TestCUDATransferAndAccessors(t *testing.T) {
	dev := needGPU(t)
	x := tensor.FromValues(tensor.Float32, []float64{1, -2, 3, 4, 0.5, -6}, 2, 3).SetRequiresGrad(true)
	xd := x.ToDevice(dev)
	if xd.Device() != dev || xd.OnCPU() || xd.Op() != "ToDevice" {
		t.Fatalf("ToDevice: device %s, op %q", xd.Device().Name(), xd.Op())
	}
	if x.ToDevice(tensor.CPU) != x || xd.ToDevice(dev) != xd {
		t.Error("ToDevice to the tensor's own device should return it")
	}
	l := tensor.Sum(tensor.Mul(xd, xd))
	if got := l.Item(); got != 1+4+9+16+0.25+36 {
		t.Errorf("Item = %g", got)
	}
	l.Backward()
	if x.Grad() == nil || !x.Grad().OnCPU() {
		t.Fatal("the gradient did not come back to the CPU leaf")
	}
	cudatest.CloseTo(t, "grad", x.Grad().Float64s(), []float64{2, -4, 6, 8, 1, -12}, 0)
	if v := xd.At(1, 2); v != -6 {
		t.Errorf("At(1, 2) = %g", v)
	}
	cudatest.CloseTo(t, "Float64s", xd.Float64s(), x.Float64s(), 0)
	if !strings.Contains(xd.String(), "device="+dev.Name()) {
		t.Errorf("String = %q", xd.String())
	}
	for name, f := range map[string]func(){
		"Data32": func() { xd.Data32() },
		"Set":    func() { xd.Set(1, 0, 0) },
		"Rows":   func() { tensor.Rows(xd, []int{0}) },
	} {
		msg := panicMessage(f)
		if !strings.Contains(msg, "tensor on "+dev.Name()) || !strings.Contains(msg, "call ToDevice(tensor.CPU) first") {
			t.Errorf("%s on a device tensor: panic %q", name, msg)
		}
	}
	msg := panicMessage(func() { tensor.Add(xd, x) })
	if !strings.Contains(msg, "different devices") || !strings.Contains(msg, "cpu") || !strings.Contains(msg, dev.Name()) {
		t.Errorf("mixed devices: panic %q", msg)
	}

	// In-place methods and copies.
	c := xd.Clone()
	c.Fill(2)
	c.AddScaledInPlace(0.5, xd)
	c.ScaleInPlace(2)
	cudatest.CloseTo(t, "Fill/AddScaledInPlace/ScaleInPlace", c.Float64s(), []float64{5, 2, 7, 8, 4.5, -2}, 0)
	cudatest.CloseTo(t, "Clone untouched", xd.Float64s(), x.Float64s(), 0)
	h := tensor.New(tensor.Float64, 2, 3)
	h.CopyFrom(c)
	cudatest.CloseTo(t, "CopyFrom device to host", h.Float64s(), c.Float64s(), 0)
	c.CopyFrom(x)
	cudatest.CloseTo(t, "CopyFrom host to device", c.Float64s(), x.Float64s(), 0)
	if !c.IsFinite() {
		t.Error("IsFinite")
	}
	c.Cast(tensor.Float64)
	if c.DType() != tensor.Float64 || c.Device() != dev {
		t.Errorf("Cast: %v on %s", c.DType(), c.Device().Name())
	}
	cudatest.CloseTo(t, "Cast", c.Float64s(), x.Float64s(), 0)

	// MoveTo keeps the identity and moves the gradient.
	p := tensor.FromValues(tensor.Float32, []float64{1, 2}, 2).SetRequiresGrad(true)
	tensor.Sum(p).Backward()
	p.MoveTo(dev)
	if p.Device() != dev || p.Grad().Device() != dev {
		t.Fatal("MoveTo did not move the tensor and its gradient")
	}
	p.MoveTo(tensor.CPU)
	cudatest.CloseTo(t, "MoveTo and back", p.Float64s(), []float64{1, 2}, 0)

	// UniformFill draws the same values as on the CPU.
	a := tensor.New(tensor.Float32, 5)
	a.UniformFill(tensor.NewRNG(3), -1, 1)
	b := tensor.New(tensor.Float32, 5).ToDevice(dev)
	b.UniformFill(tensor.NewRNG(3), -1, 1)
	cudatest.CloseTo(t, "UniformFill", b.Float64s(), a.Float64s(), 0)

	// Argmax and CountCorrect.
	logits := tensor.FromValues(tensor.Float32, []float64{0, 3, 1, 5, 5, 2, -1, -2, -3}, 3, 3)
	ld := logits.ToDevice(dev)
	if got := tensor.Argmax(ld, 1); !slices.Equal(got, []int{1, 0, 0}) {
		t.Errorf("Argmax = %v", got)
	}
	if got := tensor.Argmax(ld, 0); !slices.Equal(got, tensor.Argmax(logits, 0)) {
		t.Errorf("Argmax axis 0 = %v", got)
	}
	if got, want := tensor.CountCorrect(ld, []int{1, 1, 0}), tensor.CountCorrect(logits, []int{1, 1, 0}); got != want || got != 2 {
		t.Errorf("CountCorrect = %d on the device, %d on the CPU, want 2", got, want)
	}
	// Release frees at once.
	r := tensor.Exp(ld)
	r.Release()
	if err := tensor.Synchronize(dev); err != nil {
		t.Fatal(err)
	}
}

// On a device BackwardAndRelease frees every intermediate result at the end
// of the backward pass: the gradients equal Backward's, step after step,
// and a freed result panics on use.
func TestCUDABackwardAndRelease(t *testing.T) {
	dev := needGPU(t)
	plain, releasing := newResidualStep(tensor.Float32), newResidualStep(tensor.Float32)
	for _, s := range []*residualStep{plain, releasing} {
		for _, p := range s.params() {
			p.MoveTo(dev)
		}
		s.x = s.x.ToDevice(dev)
	}
	for step := range 2 {
		l, _ := plain.forward()
		l.Backward()
		lr, inter := releasing.forward()
		lr.BackwardAndRelease()
		for i, p := range releasing.params() {
			if !slices.Equal(p.Grad().Float64s(), plain.params()[i].Grad().Float64s()) {
				t.Fatalf("step %d: gradient of parameter %d differs", step, i)
			}
			p.ZeroGrad()
			plain.params()[i].ZeroGrad()
		}
		for i, r := range inter {
			if !r.Released() {
				t.Fatalf("step %d: intermediate %d (%s) not released", step, i, r.Op())
			}
		}
		if msg := panicMessage(func() { tensor.Relu(inter[2]) }); !strings.Contains(msg, "BackwardAndRelease gave back") {
			t.Fatalf("use of a released device result: panic %q", msg)
		}
	}
	if err := tensor.Synchronize(dev); err != nil {
		t.Fatal(err)
	}
}
