//go:build cuda

package tensor_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"nnkit/internal/cuda"
	"nnkit/internal/cuda/cudaemu"
	"nnkit/tensor"
)

// The tensor-level CUDA tests: every operation, forward and backward, on
// the GPU against the CPU engine on random shapes (float32 tolerance), the
// accessors and transfers, and LeNet and ResNet-18 training steps
// (cuda_train_test.go). They run on a real GPU when one is usable;
// otherwise, when a C++ compiler is present, on the CPU emulator of
// internal/cuda/cudaemu; otherwise they skip with the reason.
// NNKIT_CUDA_EMU=0 disables the emulator, =1 forces it.

var (
	gpu       tensor.Device // nil when there is none
	gpuReason string        // why not
	emulated  bool
)

func TestMain(m *testing.M) {
	gpuReason, emulated = cudaemu.Select(func() error { _, err := cuda.Probe(); return err }, cuda.KernelSource(), cuda.EnvPath)
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

// closeTo compares got with want elementwise: |got-want| <= tol*(1+|want|).
func closeTo(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	bad := 0
	for i := range got {
		d := math.Abs(got[i] - want[i])
		if !(d <= tol*(1+math.Abs(want[i]))) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			if bad < 3 {
				t.Errorf("%s[%d] = %g, want %g (diff %g)", what, i, got[i], want[i], d)
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(got))
	}
}

// relErr is ||got - want|| / max(||want||, tiny).
func relErr(got, want []float64) float64 {
	var d, n float64
	for i := range want {
		d += (got[i] - want[i]) * (got[i] - want[i])
		n += want[i] * want[i]
	}
	return math.Sqrt(d) / math.Max(math.Sqrt(n), 1e-30)
}

// opCase is one operation checked forward and backward.
type opCase struct {
	name   string
	inputs []*tensor.Tensor // CPU leaves
	f      func(x []*tensor.Tensor) *tensor.Tensor
	tol    float64
}

// check runs c on the CPU and on dev from the same inputs and upstream
// gradient, and compares the results and every input's gradient.
func (c opCase) check(t *testing.T, dev tensor.Device, rng *rand.Rand) {
	t.Helper()
	tol := c.tol
	if tol == 0 {
		tol = 2e-5
	}
	for _, x := range c.inputs {
		x.SetRequiresGrad(true)
		x.ZeroGrad()
	}
	out := c.f(c.inputs)
	g := tensor.RandUniform(rng, out.DType(), -1, 1, out.Shape()...)
	out.BackwardWith(g)

	dins := make([]*tensor.Tensor, len(c.inputs))
	for i, x := range c.inputs {
		dins[i] = x.Detach().ToDevice(dev).SetRequiresGrad(true)
	}
	dout := c.f(dins)
	if dout.Device() != dev {
		t.Fatalf("%s: result on %s, want %s", c.name, dout.Device().Name(), dev.Name())
	}
	if !slices.Equal(dout.Shape(), out.Shape()) {
		t.Fatalf("%s: shape %v on the device, %v on the CPU", c.name, dout.Shape(), out.Shape())
	}
	dout.BackwardWith(g.ToDevice(dev))
	closeTo(t, c.name+" forward", dout.Float64s(), out.Float64s(), tol)
	for i, x := range c.inputs {
		if x.Grad() == nil {
			continue
		}
		dg := dins[i].Grad()
		if dg == nil {
			t.Errorf("%s: no gradient for input %d on the device", c.name, i)
			continue
		}
		if dg.Device() != dev {
			t.Errorf("%s: gradient of input %d on %s", c.name, i, dg.Device().Name())
		}
		closeTo(t, fmt.Sprintf("%s grad %d", c.name, i), dg.Float64s(), x.Grad().Float64s(), tol)
	}
}

func TestCUDAOpsParity(t *testing.T) {
	dev := needGPU(t)
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for seed := uint64(1); seed <= 3; seed++ {
			rng := tensor.NewRNG(seed)
			dim := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
			u := func(shape ...int) *tensor.Tensor { return tensor.RandUniform(rng, dt, -1, 1, shape...) }
			pos := func(shape ...int) *tensor.Tensor { return tensor.RandUniform(rng, dt, 0.5, 2, shape...) }
			n, c, h, w := dim(1, 3), dim(1, 4), dim(5, 9), dim(5, 9)
			r, k, f := dim(1, 5), dim(1, 7), dim(1, 6)
			one := func(op func(*tensor.Tensor) *tensor.Tensor) func(x []*tensor.Tensor) *tensor.Tensor {
				return func(x []*tensor.Tensor) *tensor.Tensor { return op(x[0]) }
			}
			two := func(op func(a, b *tensor.Tensor) *tensor.Tensor) func(x []*tensor.Tensor) *tensor.Tensor {
				return func(x []*tensor.Tensor) *tensor.Tensor { return op(x[0], x[1]) }
			}
			labels := make([]int, r)
			for i := range labels {
				labels[i] = rng.IntN(k)
			}
			bnOut := func(training bool) func(x []*tensor.Tensor) *tensor.Tensor {
				return func(x []*tensor.Tensor) *tensor.Tensor {
					rm := tensor.RandUniform(tensor.NewRNG(9), dt, -0.5, 0.5, c).ToDevice(x[0].Device())
					rv := tensor.RandUniform(tensor.NewRNG(10), dt, 0.5, 1.5, c).ToDevice(x[0].Device())
					y := tensor.BatchNorm2d(x[0], x[1], x[2], rm, rv, training, 0.1, 1e-5)
					// The running statistics take part in the result, so
					// their update is compared too.
					return tensor.Add(tensor.Sum(y), tensor.Add(tensor.Sum(rm), tensor.Sum(rv)))
				}
			}
			cases := []opCase{
				{name: "Add same shape", inputs: []*tensor.Tensor{u(r, k), u(r, k)}, f: two(tensor.Add)},
				{name: "Add channel bias", inputs: []*tensor.Tensor{u(n, c, h, w), u(c, 1, 1)}, f: two(tensor.Add)},
				{name: "Add row bias", inputs: []*tensor.Tensor{u(r, k), u(k)}, f: two(tensor.Add)},
				{name: "Add scalar tensor", inputs: []*tensor.Tensor{u(r, k), u(1)}, f: two(tensor.Add)},
				{name: "Add both broadcast", inputs: []*tensor.Tensor{u(r, 1), u(1, k)}, f: two(tensor.Add)},
				{name: "Add general broadcast", inputs: []*tensor.Tensor{u(n, 1, h, 1), u(c, 1, w)}, f: two(tensor.Add)},
				{name: "Sub broadcast", inputs: []*tensor.Tensor{u(k), u(r, k)}, f: two(tensor.Sub)},
				{name: "Mul broadcast", inputs: []*tensor.Tensor{u(n, c, h), u(n, 1, h)}, f: two(tensor.Mul)},
				{name: "Mul same tensor", inputs: []*tensor.Tensor{u(r, k)}, f: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Mul(x[0], x[0]) }},
				{name: "Div broadcast", inputs: []*tensor.Tensor{u(r, k), pos(k)}, f: two(tensor.Div)},
				{name: "AddScalar", inputs: []*tensor.Tensor{u(r, k)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AddScalar(x, 2.5) })},
				{name: "MulScalar", inputs: []*tensor.Tensor{u(r, k)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MulScalar(x, -3) })},
				{name: "Neg", inputs: []*tensor.Tensor{u(r, k)}, f: one(tensor.Neg)},
				{name: "PowScalar", inputs: []*tensor.Tensor{pos(r, k)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.PowScalar(x, 1.5) })},
				{name: "Exp", inputs: []*tensor.Tensor{u(r, k)}, f: one(tensor.Exp)},
				{name: "Log", inputs: []*tensor.Tensor{pos(r, k)}, f: one(tensor.Log)},
				{name: "Sqrt", inputs: []*tensor.Tensor{pos(r, k)}, f: one(tensor.Sqrt)},
				{name: "Tanh", inputs: []*tensor.Tensor{u(r, k)}, f: one(tensor.Tanh)},
				{name: "Sigmoid", inputs: []*tensor.Tensor{u(n, c, h)}, f: one(tensor.Sigmoid)},
				{name: "Relu", inputs: []*tensor.Tensor{u(n, c, h)}, f: one(tensor.Relu)},
				{name: "Softmax last", inputs: []*tensor.Tensor{u(r, k)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Softmax(x, -1) })},
				{name: "Softmax axis 0", inputs: []*tensor.Tensor{u(r, k, f)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Softmax(x, 0) })},
				{name: "LogSoftmax", inputs: []*tensor.Tensor{u(r, k)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.LogSoftmax(x, 1) })},
				{name: "Sum", inputs: []*tensor.Tensor{u(r, k, f)}, f: one(tensor.Sum)},
				{name: "Mean", inputs: []*tensor.Tensor{u(r, k, f)}, f: one(tensor.Mean)},
				{name: "SumAxis middle", inputs: []*tensor.Tensor{u(r, k, f)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.SumAxis(x, 1, false) })},
				{name: "SumAxis keep", inputs: []*tensor.Tensor{u(r, k, f)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.SumAxis(x, 0, true) })},
				{name: "MeanAxis", inputs: []*tensor.Tensor{u(r, k)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MeanAxis(x, -1, false) })},
				{name: "MatMul", inputs: []*tensor.Tensor{u(r, k), u(k, f)}, f: two(tensor.MatMul)},
				{name: "MatMul batched", inputs: []*tensor.Tensor{u(n, r, k), u(n, k, f)}, f: two(tensor.MatMul)},
				{name: "Linear", inputs: []*tensor.Tensor{u(r, k), u(f, k), u(f)}, f: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Linear(x[0], x[1], x[2]) }},
				{name: "Linear no bias", inputs: []*tensor.Tensor{u(r, k), u(f, k)}, f: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Linear(x[0], x[1], nil) }},
				{name: "Transpose", inputs: []*tensor.Tensor{u(r, k)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Transpose(x, 0, 1) })},
				{name: "Permute", inputs: []*tensor.Tensor{u(n, c, h, w)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Permute(x, 2, 0, 3, 1) })},
				{name: "Reshape then Sigmoid", inputs: []*tensor.Tensor{u(n, c, h)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Sigmoid(tensor.Reshape(x, n, -1)) })},
				{name: "Conv2d", inputs: []*tensor.Tensor{u(n, c, h, w), u(f, c, 3, 3), u(f)}, f: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Conv2d(x[0], x[1], x[2], 1, 1) }},
				{name: "Conv2d stride 2 no bias", inputs: []*tensor.Tensor{u(n, c, h, w), u(f, c, 3, 3)}, f: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Conv2d(x[0], x[1], nil, 2, 0) }},
				{name: "Conv2d 1x1", inputs: []*tensor.Tensor{u(n, c, h, w), u(f, c, 1, 1), u(f)}, f: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Conv2d(x[0], x[1], x[2], 1, 0) }},
				{name: "AvgPool2d", inputs: []*tensor.Tensor{u(n, c, h, w)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AvgPool2d(x, 2, 2, 0) })},
				{name: "AvgPool2d padded", inputs: []*tensor.Tensor{u(n, c, h, w)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AvgPool2d(x, 3, 2, 1) })},
				{name: "MaxPool2d overlapping", inputs: []*tensor.Tensor{u(n, c, h, w)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MaxPool2d(x, 3, 2, 1) })},
				{name: "AdaptiveAvgPool2d", inputs: []*tensor.Tensor{u(n, c, h, w)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AdaptiveAvgPool2d(x, 3, 2) })},
				{name: "BatchNorm2d training", inputs: []*tensor.Tensor{u(n+1, c, h, w), pos(c), u(c)}, f: bnOut(true), tol: 1e-4},
				{name: "BatchNorm2d eval", inputs: []*tensor.Tensor{u(n, c, h, w), pos(c), u(c)}, f: bnOut(false), tol: 1e-4},
				{name: "CrossEntropy", inputs: []*tensor.Tensor{u(r, k)}, f: one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.CrossEntropy(x, labels) })},
				{name: "MSE", inputs: []*tensor.Tensor{u(r, k), u(r, k)}, f: func(x []*tensor.Tensor) *tensor.Tensor { return tensor.MSE(x[0], x[1], tensor.ReduceMean) }},
				{name: "To other dtype", inputs: []*tensor.Tensor{u(r, k)}, f: one(func(x *tensor.Tensor) *tensor.Tensor {
					other := tensor.Float64
					if x.DType() == tensor.Float64 {
						other = tensor.Float32
					}
					return tensor.MulScalar(x.To(other), 2)
				})},
			}
			for _, c := range cases {
				t.Run(fmt.Sprintf("%v/seed%d/%s", dt, seed, c.name), func(t *testing.T) { c.check(t, dev, rng) })
			}
		}
	}
}

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
	closeTo(t, "grad", x.Grad().Float64s(), []float64{2, -4, 6, 8, 1, -12}, 0)
	if v := xd.At(1, 2); v != -6 {
		t.Errorf("At(1, 2) = %g", v)
	}
	closeTo(t, "Float64s", xd.Float64s(), x.Float64s(), 0)
	if !strings.Contains(xd.String(), "device="+dev.Name()) {
		t.Errorf("String = %q", xd.String())
	}
	for name, f := range map[string]func(){
		"Data32": func() { xd.Data32() },
		"Set":    func() { xd.Set(1, 0, 0) },
		"Rows":   func() { tensor.Rows(xd, []int{0}) },
	} {
		msg := panicOf(f)
		if !strings.Contains(msg, "tensor on "+dev.Name()) || !strings.Contains(msg, "call ToDevice(tensor.CPU) first") {
			t.Errorf("%s on a device tensor: panic %q", name, msg)
		}
	}
	msg := panicOf(func() { tensor.Add(xd, x) })
	if !strings.Contains(msg, "different devices") || !strings.Contains(msg, "cpu") || !strings.Contains(msg, dev.Name()) {
		t.Errorf("mixed devices: panic %q", msg)
	}

	// In-place methods and copies.
	c := xd.Clone()
	c.Fill(2)
	c.AddScaledInPlace(0.5, xd)
	c.ScaleInPlace(2)
	closeTo(t, "Fill/AddScaledInPlace/ScaleInPlace", c.Float64s(), []float64{5, 2, 7, 8, 4.5, -2}, 0)
	closeTo(t, "Clone untouched", xd.Float64s(), x.Float64s(), 0)
	h := tensor.New(tensor.Float64, 2, 3)
	h.CopyFrom(c)
	closeTo(t, "CopyFrom device to host", h.Float64s(), c.Float64s(), 0)
	c.CopyFrom(x)
	closeTo(t, "CopyFrom host to device", c.Float64s(), x.Float64s(), 0)
	if !c.IsFinite() {
		t.Error("IsFinite")
	}
	c.Cast(tensor.Float64)
	if c.DType() != tensor.Float64 || c.Device() != dev {
		t.Errorf("Cast: %v on %s", c.DType(), c.Device().Name())
	}
	closeTo(t, "Cast", c.Float64s(), x.Float64s(), 0)

	// MoveTo keeps the identity and moves the gradient.
	p := tensor.FromValues(tensor.Float32, []float64{1, 2}, 2).SetRequiresGrad(true)
	tensor.Sum(p).Backward()
	p.MoveTo(dev)
	if p.Device() != dev || p.Grad().Device() != dev {
		t.Fatal("MoveTo did not move the tensor and its gradient")
	}
	p.MoveTo(tensor.CPU)
	closeTo(t, "MoveTo and back", p.Float64s(), []float64{1, 2}, 0)

	// UniformFill draws the same values as on the CPU.
	a := tensor.New(tensor.Float32, 5)
	a.UniformFill(tensor.NewRNG(3), -1, 1)
	b := tensor.New(tensor.Float32, 5).ToDevice(dev)
	b.UniformFill(tensor.NewRNG(3), -1, 1)
	closeTo(t, "UniformFill", b.Float64s(), a.Float64s(), 0)

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

func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
