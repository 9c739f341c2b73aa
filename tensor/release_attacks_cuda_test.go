//go:build cuda

package tensor_test

// Attacks on the recycling of storage on the device (a real GPU, or the
// CPU emulator of tensor/internal/cuda/cudaemu): run with
//
//	go test -tags cuda ./tensor -run TestAttackCUDA -v

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"nnkit/optim"
	"nnkit/tensor"
)

// Views, Detach leaves and handed-out gradients of device results keep
// their values after BackwardAndRelease and ZeroGrad, however much the
// next steps allocate; ended device results panic clearly.
func TestAttackCUDASharedStorage(t *testing.T) {
	dev := needGPU(t)
	const n = 4096
	x := tensor.RandUniform(tensor.NewRNG(3), tensor.Float32, -1, 1, n).ToDevice(dev).Detach().SetRequiresGrad(true)
	h := tensor.Sigmoid(x)
	h2 := tensor.Exp(h)
	view := tensor.Reshape(h, 64, 64)
	leaf2 := h2.Detach().SetRequiresGrad(true)
	h3 := tensor.Tanh(h2)
	l := tensor.Sum(tensor.Mul(h3, h3))
	wantView, wantLeaf := view.Float64s(), leaf2.Float64s()
	l.BackwardAndRelease()
	g := x.Grad()
	wantGrad := g.Float64s()
	x.ZeroGrad()
	for range 4 {
		tensor.Sum(tensor.Mul(tensor.Tanh(tensor.Exp(tensor.Sigmoid(x))), x)).BackwardAndRelease()
		x.ZeroGrad()
		tensor.Sum(tensor.Mul(leaf2, leaf2)).BackwardAndRelease()
		leaf2.ZeroGrad()
		tensor.Relu(tensor.Full(tensor.Float32, 9, n).ToDevice(dev)).Fill(7)
	}
	if !slices.Equal(view.Float64s(), wantView) {
		t.Error("a device view of an ended result changed")
	}
	if !slices.Equal(leaf2.Float64s(), wantLeaf) {
		t.Error("a device Detach of an ended result changed")
	}
	if !slices.Equal(g.Float64s(), wantGrad) {
		t.Error("a device gradient handed out by Grad changed after ZeroGrad")
	}
	if msg := panicMessage(func() { tensor.Relu(h3) }); !strings.Contains(msg, "gave back") {
		t.Errorf("use of an ended device result: %q", msg)
	}
	if err := tensor.Synchronize(dev); err != nil {
		t.Fatal(err)
	}
}

// A device gradient lent and kept past ZeroGrad: ZeroGrad frees its device
// buffer, and the kept tensor must panic on use (it used to claim to be on
// the CPU and read as zeros, silently).
func TestAttackCUDALendGradKeptPastZeroGrad(t *testing.T) {
	dev := needGPU(t)
	p := tensor.Full(tensor.Float32, 2, 256).ToDevice(dev).Detach().SetRequiresGrad(true)
	tensor.Sum(tensor.Mul(p, p)).Backward()
	var kept *tensor.Tensor
	p.LendGrad(func(g *tensor.Tensor) { kept = g })
	p.ZeroGrad()
	var vals []float64
	msg := panicMessage(func() { vals = kept.Float64s() })
	first := "none"
	if len(vals) > 0 {
		first = fmt.Sprint(vals[0])
	}
	t.Logf("kept device gradient after ZeroGrad: OnCPU %v, Device %q, Released %v, Float64s panic %q, %d values, first %s",
		kept.OnCPU(), kept.Device().Name(), kept.Released(), msg, len(vals), first)
	if msg == "" {
		t.Errorf("a device gradient kept past ZeroGrad reads without a panic (%d values, first %s; it was 4)", len(vals), first)
	}
}

// A device training step where SGD's kernel reads each gradient and
// ZeroGrad frees it right after, and the next step reuses the memory:
// the same parameters as the plain Backward / Grad path.
func TestAttackCUDASGDThenZeroGrad(t *testing.T) {
	dev := needGPU(t)
	run := func(release bool) []float64 {
		s := newResidualStep(tensor.Float32)
		for _, p := range s.params() {
			p.MoveTo(dev)
		}
		s.x = s.x.ToDevice(dev)
		opt := optim.NewSGD(s.params(), 0.05, 0.9, 1e-4)
		for range 3 {
			opt.ZeroGrad()
			l, _ := s.forward()
			if release {
				l.BackwardAndRelease()
			} else {
				l.Backward()
				for _, p := range s.params() {
					p.Grad() // handed out: never recycled
				}
			}
			opt.Step()
		}
		var out []float64
		for _, p := range s.params() {
			out = append(out, p.Float64s()...)
		}
		return out
	}
	if a, b := run(true), run(false); !slices.Equal(a, b) {
		t.Error("device training with BackwardAndRelease and recycled gradients gives different parameters")
	}
}
