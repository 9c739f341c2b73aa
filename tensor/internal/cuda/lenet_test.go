//go:build cuda

package cuda_test

import (
	"fmt"
	. "nnkit/tensor/internal/cuda"
	"testing"
	"time"

	"nnkit/tensor"
)

// A LeNet-5 training step (the course's task 3 network, sigmoid and
// average pooling) written directly with device operations: it checks that
// the operations compose into the same loss, gradients and updated
// parameters as the CPU engine, and measures the device's training
// throughput before the tensor package dispatches to it.

type lenetParams struct{ c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b, f3w, f3b *tensor.Tensor }

func (p *lenetParams) list() []*tensor.Tensor {
	return []*tensor.Tensor{p.c1w, p.c1b, p.c2w, p.c2b, p.f1w, p.f1b, p.f2w, p.f2b, p.f3w, p.f3b}
}

func newLenetParams(rng func(shape ...int) *tensor.Tensor) *lenetParams {
	sc := func(t *tensor.Tensor, s float64) *tensor.Tensor {
		return tensor.MulScalar(t, s).Detach().SetRequiresGrad(true)
	}
	return &lenetParams{
		c1w: sc(rng(6, 1, 5, 5), 0.2), c1b: sc(rng(6), 0.1),
		c2w: sc(rng(16, 6, 5, 5), 0.08), c2b: sc(rng(16), 0.1),
		f1w: sc(rng(120, 400), 0.05), f1b: sc(rng(120), 0.1),
		f2w: sc(rng(84, 120), 0.1), f2b: sc(rng(84), 0.1),
		f3w: sc(rng(10, 84), 0.1), f3b: sc(rng(10), 0.1),
	}
}

// cpuLenetLoss is the reference forward pass on the CPU engine.
func cpuLenetLoss(p *lenetParams, x *tensor.Tensor, labels []int) *tensor.Tensor {
	lin := func(h, w, b *tensor.Tensor) *tensor.Tensor {
		return tensor.Add(tensor.MatMul(h, tensor.Transpose(w, 0, 1)), b)
	}
	h := tensor.AvgPool2d(tensor.Sigmoid(tensor.Conv2d(x, p.c1w, p.c1b, 1, 2)), 2, 2, 0)
	h = tensor.AvgPool2d(tensor.Sigmoid(tensor.Conv2d(h, p.c2w, p.c2b, 1, 0)), 2, 2, 0)
	h = tensor.Reshape(h, x.Size(0), 400)
	h = tensor.Sigmoid(lin(h, p.f1w, p.f1b))
	h = tensor.Sigmoid(lin(h, p.f2w, p.f2b))
	return tensor.CrossEntropy(lin(h, p.f3w, p.f3b), labels)
}

// devLenet is the same network on the device, with its activations and
// gradients preallocated for batch n.
type devLenet struct {
	d    *Device
	n    int
	p, g []*Buffer // parameters and their gradients, in lenetParams.list order
	a    map[string]*Buffer
	all  []*Buffer
}

func newDevLenet(t testing.TB, d *Device, p *lenetParams, n int) *devLenet {
	m := &devLenet{d: d, n: n, a: map[string]*Buffer{}}
	must := func(b *Buffer, err error) *Buffer {
		if err != nil {
			t.Fatal(err)
		}
		m.all = append(m.all, b)
		return b
	}
	for _, q := range p.list() {
		m.p = append(m.p, must(d.FromFloat32(q.Data32())))
		m.g = append(m.g, must(d.Alloc(F32, q.Numel())))
	}
	for name, size := range map[string]int{
		"z1": n * 6 * 28 * 28, "a1": n * 6 * 28 * 28, "p1": n * 6 * 14 * 14,
		"z2": n * 16 * 10 * 10, "a2": n * 16 * 10 * 10, "p2": n * 400,
		"z3": n * 120, "a3": n * 120, "z4": n * 84, "a4": n * 84, "z5": n * 10,
		"gz5": n * 10, "ga4": n * 84, "gz4": n * 84, "ga3": n * 120, "gz3": n * 120,
		"gp2": n * 400, "ga2": n * 16 * 10 * 10, "gz2": n * 16 * 10 * 10,
		"gp1": n * 6 * 14 * 14, "ga1": n * 6 * 28 * 28, "gz1": n * 6 * 28 * 28,
		"loss": 1, "one": 1,
	} {
		m.a[name] = must(d.Alloc(F32, size))
	}
	if err := d.Fill(m.a["one"], 1); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *devLenet) free() {
	for _, b := range m.all {
		m.d.Free(b)
	}
}

var (
	lenetC1 = func(n int) ConvGeom {
		return ConvGeom{N: n, C: 1, H: 28, W: 28, OC: 6, K: 5, Stride: 1, Pad: 2, OH: 28, OW: 28}
	}
	lenetC2 = func(n int) ConvGeom {
		return ConvGeom{N: n, C: 6, H: 14, W: 14, OC: 16, K: 5, Stride: 1, OH: 10, OW: 10}
	}
	lenetP1 = func(n int) PoolGeom { return PoolGeom{N: n, C: 6, H: 28, W: 28, K: 2, Stride: 2, OH: 14, OW: 14} }
	lenetP2 = func(n int) PoolGeom { return PoolGeom{N: n, C: 16, H: 10, W: 10, K: 2, Stride: 2, OH: 5, OW: 5} }
)

// step runs forward, backward and (when lr > 0) a plain SGD update; the
// loss stays on the device in m.a["loss"].
func (m *devLenet) step(x, labels *Buffer, lr float64) error {
	d, a, p, g, n := m.d, m.a, m.p, m.g, m.n
	linear := func(h *Buffer, in, out int, w, b, z *Buffer) error {
		if err := d.Gemm(false, true, n, out, in, 1, h, w, 0, z); err != nil {
			return err
		}
		return d.BinaryBcast(OpAdd, z, Bcast{}, b, Bcast{Inner: 1, Mid: out}, z)
	}
	// linearBack: gw = gz^T h, gb = sum gz, gh = gz w.
	linearBack := func(gz, h *Buffer, in, out int, w, gw, gb, gh *Buffer) error {
		return FirstErr(d.Gemm(true, false, out, in, n, 1, gz, h, 0, gw),
			d.SumOuterInner(gz, n, out, 1, gb, false),
			func() error {
				if gh == nil {
					return nil
				}
				return d.Gemm(false, false, n, in, out, 1, gz, w, 0, gh)
			}())
	}
	steps := []func() error{
		func() error { return d.Conv2dForward(x, p[0], p[1], lenetC1(n), a["z1"]) },
		func() error { return d.Unary(UnarySigmoid, a["z1"], a["a1"]) },
		func() error { return d.AvgPool2dForward(a["a1"], lenetP1(n), a["p1"]) },
		func() error { return d.Conv2dForward(a["p1"], p[2], p[3], lenetC2(n), a["z2"]) },
		func() error { return d.Unary(UnarySigmoid, a["z2"], a["a2"]) },
		func() error { return d.AvgPool2dForward(a["a2"], lenetP2(n), a["p2"]) },
		func() error { return linear(a["p2"], 400, 120, p[4], p[5], a["z3"]) },
		func() error { return d.Unary(UnarySigmoid, a["z3"], a["a3"]) },
		func() error { return linear(a["a3"], 120, 84, p[6], p[7], a["z4"]) },
		func() error { return d.Unary(UnarySigmoid, a["z4"], a["a4"]) },
		func() error { return linear(a["a4"], 84, 10, p[8], p[9], a["z5"]) },
		func() error { return d.CrossEntropyForward(a["z5"], labels, n, 10, a["loss"]) },
		func() error { return d.CrossEntropyBackward(a["z5"], labels, n, 10, a["one"], a["gz5"]) },
		func() error { return linearBack(a["gz5"], a["a4"], 84, 10, p[8], g[8], g[9], a["ga4"]) },
		func() error { return d.UnaryBackward(UnarySigmoid, a["ga4"], nil, a["a4"], a["gz4"]) },
		func() error { return linearBack(a["gz4"], a["a3"], 120, 84, p[6], g[6], g[7], a["ga3"]) },
		func() error { return d.UnaryBackward(UnarySigmoid, a["ga3"], nil, a["a3"], a["gz3"]) },
		func() error { return linearBack(a["gz3"], a["p2"], 400, 120, p[4], g[4], g[5], a["gp2"]) },
		func() error { return d.AvgPool2dBackward(a["gp2"], lenetP2(n), a["ga2"]) },
		func() error { return d.UnaryBackward(UnarySigmoid, a["ga2"], nil, a["a2"], a["gz2"]) },
		func() error { return d.Conv2dBackward(a["gz2"], a["p1"], p[2], lenetC2(n), a["gp1"], g[2], g[3]) },
		func() error { return d.AvgPool2dBackward(a["gp1"], lenetP1(n), a["ga1"]) },
		func() error { return d.UnaryBackward(UnarySigmoid, a["ga1"], nil, a["a1"], a["gz1"]) },
		func() error { return d.Conv2dBackward(a["gz1"], x, p[0], lenetC1(n), nil, g[0], g[1]) },
	}
	for i, s := range steps {
		if err := s(); err != nil {
			return fmt.Errorf("LeNet step %d: %w", i, err)
		}
	}
	if lr > 0 {
		for i := range p {
			if err := d.SGDStep(p[i], g[i], nil, lr, 0, 0, true); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestLeNetStepParity(t *testing.T) {
	f := newFx(t, 12)
	const n, lr = 8, 0.9
	params := newLenetParams(func(s ...int) *tensor.Tensor { return f.randn(tensor.Float32, s...) })
	x := tensor.RandUniform(f.rng, tensor.Float32, 0, 1, n, 1, 28, 28)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = f.rng.IntN(10)
	}
	m := newDevLenet(t, f.d, params, n)
	defer m.free()
	if err := m.step(f.up(x), f.labels(labels), lr); err != nil {
		t.Fatal(err)
	}
	loss := cpuLenetLoss(params, x, labels)
	loss.Backward()
	got, err := f.d.Scalar(m.a["loss"])
	f.ok(err)
	near(t, "LeNet loss", []float64{got}, loss.Float64s(), 1e-5)
	names := []string{"conv1.w", "conv1.b", "conv2.w", "conv2.b", "fc1.w", "fc1.b", "fc2.w", "fc2.b", "fc3.w", "fc3.b"}
	for i, q := range params.list() {
		near(t, "LeNet grad "+names[i], f.down(m.g[i]), q.Grad().Float64s(), 1e-4)
		want := q.Clone()
		want.AddScaledInPlace(-lr, q.Grad())
		near(t, "LeNet updated "+names[i], f.down(m.p[i]), want.Float64s(), 1e-4)
	}
}

// BenchmarkLeNetTrainStep reports LeNet training examples/s at batch 256,
// the figure gpu-check.sh compares with PyTorch.
func BenchmarkLeNetTrainStep(b *testing.B) {
	d := DeviceForTest(b)
	if Emulated() {
		b.Skip("throughput on the emulator means nothing")
	}
	const n = 256
	rng := tensor.NewRNG(1)
	params := newLenetParams(func(s ...int) *tensor.Tensor { return tensor.RandNormal(rng, tensor.Float32, 0, 1, s...) })
	m := newDevLenet(b, d, params, n)
	defer m.free()
	x, err := d.FromFloat32(tensor.RandUniform(rng, tensor.Float32, 0, 1, n, 1, 28, 28).Data32())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Free(x)
	lab := make([]int32, n)
	for i := range lab {
		lab[i] = int32(i % 10)
	}
	labels, err := d.FromInt32(lab)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Free(labels)
	for range 3 { // warm-up: allocations, module load
		if err := m.step(x, labels, 0.1); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := d.Scalar(m.a["loss"]); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := m.step(x, labels, 0.1); err != nil {
			b.Fatal(err)
		}
		// One scalar per batch comes back, as in a training loop.
		if _, err := d.Scalar(m.a["loss"]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/time.Since(start).Seconds(), "examples/s")
}
