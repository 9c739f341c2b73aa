//go:build cuda

package cuda_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	. "nnkit/tensor/internal/cuda"
	"testing"

	"nnkit/optim"
	"nnkit/tensor"
)

// Parity of every device operation with the CPU engine (nnkit/tensor) on
// random shapes, at float32 tolerance. They run on the GPU when there is
// one, else on the CPU emulator (emu_test.go), else skip with the reason.

// fx is one test's device, random source and buffers (freed at cleanup).
type fx struct {
	t    *testing.T
	d    *Device
	rng  *rand.Rand
	bufs []*Buffer
}

func newFx(t *testing.T, seed uint64) *fx {
	d := DeviceForTest(t)
	f := &fx{t: t, d: d, rng: tensor.NewRNG(seed)}
	base := d.PoolStats().InUse
	t.Cleanup(func() {
		for _, b := range f.bufs {
			d.Free(b)
		}
		if err := d.Synchronize(); err != nil {
			t.Errorf("device error: %v", err)
		}
		if in := d.PoolStats().InUse; in != base {
			t.Errorf("pool: %d bytes in use after the test, %d before (a buffer leaked)", in, base)
		}
	})
	return f
}

func dtOf(x *tensor.Tensor) DType {
	if x.DType() == tensor.Float64 {
		return F64
	}
	return F32
}

// up copies a CPU tensor to a new device buffer.
func (f *fx) up(x *tensor.Tensor) *Buffer {
	f.t.Helper()
	var b *Buffer
	var err error
	if x.DType() == tensor.Float64 {
		b, err = f.d.FromFloat64(x.Data64())
	} else {
		b, err = f.d.FromFloat32(x.Data32())
	}
	if err != nil {
		f.t.Fatal(err)
	}
	f.bufs = append(f.bufs, b)
	return b
}

func (f *fx) labels(l []int) *Buffer {
	f.t.Helper()
	v := make([]int32, len(l))
	for i, x := range l {
		v[i] = int32(x)
	}
	b, err := f.d.FromInt32(v)
	if err != nil {
		f.t.Fatal(err)
	}
	f.bufs = append(f.bufs, b)
	return b
}

func (f *fx) alloc(dt DType, n int) *Buffer {
	f.t.Helper()
	b, err := f.d.Alloc(dt, n)
	if err != nil {
		f.t.Fatal(err)
	}
	f.bufs = append(f.bufs, b)
	return b
}

// down reads a buffer as float64s.
func (f *fx) down(b *Buffer) []float64 {
	f.t.Helper()
	out := make([]float64, b.Len())
	switch b.DType() {
	case F32:
		v := make([]float32, b.Len())
		if err := f.d.Download32(v, b); err != nil {
			f.t.Fatal(err)
		}
		for i, x := range v {
			out[i] = float64(x)
		}
	case F64:
		if err := f.d.Download64(out, b); err != nil {
			f.t.Fatal(err)
		}
	default:
		v := make([]int32, b.Len())
		if err := f.d.DownloadInt32(v, b); err != nil {
			f.t.Fatal(err)
		}
		for i, x := range v {
			out[i] = float64(x)
		}
	}
	return out
}

func (f *fx) ok(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fx) randn(dt tensor.DType, shape ...int) *tensor.Tensor {
	return tensor.RandNormal(f.rng, dt, 0, 1, shape...)
}

// near compares got with want: every |got-want| <= tol * max(1, max|want|).
func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 1.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	worst, wi := 0.0, -1
	for i := range got {
		e := math.Abs(got[i] - want[i])
		if math.IsNaN(got[i]) != math.IsNaN(want[i]) {
			e = math.Inf(1)
		}
		if e > worst {
			worst, wi = e, i
		}
	}
	if worst > tol*scale {
		t.Errorf("%s: element %d = %g, want %g (error %.3g > %.3g)", what, wi, got[wi], want[wi], worst, tol*scale)
	}
}

const tol32 = 2e-5

// gradOf backpropagates the upstream gradient g through out (the gradient
// of sum(out * g)).
func gradOf(out, g *tensor.Tensor) {
	tensor.Sum(tensor.Mul(out, g.Detach())).Backward()
}

func TestBinaryParity(t *testing.T) {
	f := newFx(t, 1)
	ops := []struct {
		op BinOp
		fn func(a, b *tensor.Tensor) *tensor.Tensor
	}{{OpAdd, tensor.Add}, {OpSub, tensor.Sub}, {OpMul, tensor.Mul}, {OpDiv, tensor.Div}}
	for it := range 4 {
		n, c, h, w := 1+f.rng.IntN(3), 1+f.rng.IntN(5), 1+f.rng.IntN(6), 1+f.rng.IntN(6)
		x := f.randn(tensor.Float32, n, c, h, w)
		same := tensor.AddScalar(f.randn(tensor.Float32, n, c, h, w), 3) // away from 0 for Div
		bias := tensor.AddScalar(f.randn(tensor.Float32, c), 3)
		cb := tensor.Reshape(bias, 1, c, 1, 1)
		rows := f.randn(tensor.Float32, n, c)
		rb := tensor.AddScalar(f.randn(tensor.Float32, c), 3)
		for _, o := range ops {
			name := fmt.Sprintf("case %d op %d", it, o.op)
			y := f.alloc(F32, x.Numel())
			f.ok(f.d.Binary(o.op, f.up(x), f.up(same), y))
			near(t, name+" same shape", f.down(y), o.fn(x, same).Float64s(), tol32)

			f.ok(f.d.BinaryBcast(o.op, f.up(x), Bcast{}, f.up(bias), Bcast{Inner: h * w, Mid: c}, y))
			near(t, name+" channel bias", f.down(y), o.fn(x, cb).Float64s(), tol32)

			yr := f.alloc(F32, n*c)
			f.ok(f.d.BinaryBcast(o.op, f.up(rows), Bcast{}, f.up(rb), Bcast{Inner: 1, Mid: c}, yr))
			near(t, name+" row bias", f.down(yr), o.fn(rows, rb).Float64s(), tol32)

			// Scalar on the left: c op x.
			s := tensor.FromFloat32([]float32{2.5}, 1)
			f.ok(f.d.BinaryBcast(o.op, f.up(s), Bcast{Inner: 1, Mid: 1}, f.up(same), Bcast{}, y))
			near(t, name+" scalar left", f.down(y), o.fn(s, same).Float64s(), tol32)

			// General broadcast: [n, 1, h, 1] op [c, 1, w].
			a := f.randn(tensor.Float32, n, 1, h, 1)
			b := tensor.AddScalar(f.randn(tensor.Float32, c, 1, w), 3)
			want := o.fn(a, b)
			ynd := f.alloc(F32, want.Numel())
			// Strides seen from [n, c, h, w] (0 along broadcast axes).
			f.ok(f.d.BinaryND(o.op, f.up(a), []int{h, 0, 1, 0}, f.up(b), []int{0, w, 0, 1}, want.Shape(), ynd))
			near(t, name+" nd", f.down(ynd), want.Float64s(), tol32)
		}
	}
}

func TestUnaryScalarParity(t *testing.T) {
	f := newFx(t, 2)
	x := f.randn(tensor.Float32, 3, 7, 5)
	pos := tensor.AddScalar(tensor.MulScalar(x, 0.3), 2) // for log, sqrt, pow
	g := f.randn(tensor.Float32, 3, 7, 5)
	n := x.Numel()
	for _, c := range []struct {
		name string
		op   UnaryOp
		in   *tensor.Tensor
		fn   func(*tensor.Tensor) *tensor.Tensor
	}{
		{"relu", UnaryRelu, x, tensor.Relu}, {"sigmoid", UnarySigmoid, x, tensor.Sigmoid}, {"tanh", UnaryTanh, x, tensor.Tanh},
		{"exp", UnaryExp, x, tensor.Exp}, {"log", UnaryLog, pos, tensor.Log}, {"sqrt", UnarySqrt, pos, tensor.Sqrt},
		{"neg", UnaryNeg, x, tensor.Neg},
	} {
		in := c.in.Detach().SetRequiresGrad(true)
		out := c.fn(in)
		gradOf(out, g)
		xb, y, gx := f.up(c.in), f.alloc(F32, n), f.alloc(F32, n)
		f.ok(f.d.Unary(c.op, xb, y))
		near(t, c.name, f.down(y), out.Float64s(), tol32)
		f.ok(f.d.UnaryBackward(c.op, f.up(g), xb, y, gx))
		near(t, c.name+" backward", f.down(gx), in.Grad().Float64s(), tol32)
	}
	y := f.alloc(F32, n)
	for _, c := range []struct {
		name string
		op   ScalarOp
		v    float64
		in   *tensor.Tensor
		want *tensor.Tensor
	}{
		{"add", ScalarAdd, 1.5, x, tensor.AddScalar(x, 1.5)},
		{"mul", ScalarMul, -0.7, x, tensor.MulScalar(x, -0.7)},
		{"pow", ScalarPow, 2.5, pos, tensor.PowScalar(pos, 2.5)},
	} {
		f.ok(f.d.ScalarOp(c.op, f.up(c.in), c.v, y))
		near(t, "scalar "+c.name, f.down(y), c.want.Float64s(), tol32)
	}
	in := pos.Detach().SetRequiresGrad(true)
	gradOf(tensor.PowScalar(in, 2.5), g)
	f.ok(f.d.PowBackward(f.up(g), f.up(pos), 2.5, y))
	near(t, "pow backward", f.down(y), in.Grad().Float64s(), tol32)

	f.ok(f.d.Fill(y, 3.25))
	for _, v := range f.down(y) {
		if v != 3.25 {
			t.Fatalf("Fill: %g", v)
		}
	}
	// Axpy: y = 3.25 + 2x.
	f.ok(f.d.Axpy(2, f.up(x), y))
	near(t, "axpy", f.down(y), tensor.AddScalar(tensor.MulScalar(x, 2), 3.25).Float64s(), tol32)
	// Copy and Zero.
	z := f.alloc(F32, n)
	f.ok(f.d.Copy(z, y))
	near(t, "copy", f.down(z), f.down(y), 0)
	f.ok(f.d.Zero(z))
	near(t, "zero", f.down(z), make([]float64, n), 0)
}

func TestReductionParity(t *testing.T) {
	f := newFx(t, 3)
	for _, shape := range [][]int{{1}, {5, 3}, {2, 3, 4, 5}, {7000}, {3, 300, 7}} {
		x := f.randn(tensor.Float32, shape...)
		xb := f.up(x)
		s := f.alloc(F32, 1)
		f.ok(f.d.Sum(xb, 1, s))
		near(t, fmt.Sprint("sum ", shape), f.down(s), tensor.Sum(x).Float64s(), tol32)
		f.ok(f.d.Sum(xb, 1/float64(x.Numel()), s))
		near(t, fmt.Sprint("mean ", shape), f.down(s), tensor.Mean(x).Float64s(), tol32)
		if x.Numel() > 1000 && Emulated() {
			continue // one block per kept element: slow on the emulator
		}
		for ax := range shape {
			outer, n, inner := 1, shape[ax], 1
			for _, v := range shape[:ax] {
				outer *= v
			}
			for _, v := range shape[ax+1:] {
				inner *= v
			}
			y := f.alloc(F32, outer*inner)
			f.ok(f.d.SumAxis(xb, outer, n, inner, 1, y))
			near(t, fmt.Sprint("sum axis ", ax, shape), f.down(y), tensor.SumAxis(x, ax, false).Float64s(), tol32)
			// Bias-gradient reduction: keep axis ax, sum the others.
			ym := f.alloc(F32, n)
			f.ok(f.d.SumOuterInner(xb, outer, n, inner, ym, false))
			want := x
			for a := len(shape) - 1; a >= 0; a-- {
				if a != ax {
					want = tensor.SumAxis(want, a, false)
				}
			}
			near(t, fmt.Sprint("sum outer inner ", ax, shape), f.down(ym), want.Float64s(), tol32)
			f.ok(f.d.SumOuterInner(xb, outer, n, inner, ym, true))
			near(t, fmt.Sprint("sum outer inner accumulate ", ax, shape), f.down(ym), tensor.MulScalar(want, 2).Float64s(), tol32)
		}
	}
}

func TestSoftmaxParity(t *testing.T) {
	f := newFx(t, 4)
	for _, shape := range [][]int{{4, 10}, {2, 5, 3}} {
		x := tensor.MulScalar(f.randn(tensor.Float32, shape...), 4)
		g := f.randn(tensor.Float32, shape...)
		for _, log := range []bool{false, true} {
			for ax := range shape {
				outer, n, inner := 1, shape[ax], 1
				for _, v := range shape[:ax] {
					outer *= v
				}
				for _, v := range shape[ax+1:] {
					inner *= v
				}
				in := x.Detach().SetRequiresGrad(true)
				var out *tensor.Tensor
				if log {
					out = tensor.LogSoftmax(in, ax)
				} else {
					out = tensor.Softmax(in, ax)
				}
				gradOf(out, g)
				y, gx := f.alloc(F32, x.Numel()), f.alloc(F32, x.Numel())
				f.ok(f.d.Softmax(f.up(x), outer, n, inner, log, y))
				name := fmt.Sprintf("softmax log=%v axis %d %v", log, ax, shape)
				near(t, name, f.down(y), out.Float64s(), tol32)
				f.ok(f.d.SoftmaxBackward(f.up(g), y, outer, n, inner, log, gx))
				near(t, name+" backward", f.down(gx), in.Grad().Float64s(), 1e-4)
			}
		}
	}
}

func TestGemmParity(t *testing.T) {
	f := newFx(t, 5)
	for it := range 8 {
		m, n, k := 1+f.rng.IntN(40), 1+f.rng.IntN(40), 1+f.rng.IntN(40)
		ta, tb := it%2 == 1, it/2%2 == 1
		a := f.randn(tensor.Float32, m, k)
		b := f.randn(tensor.Float32, k, n)
		as, bs := a, b
		if ta {
			as = tensor.Transpose(a, 0, 1) // stored k x m
		}
		if tb {
			bs = tensor.Transpose(b, 0, 1)
		}
		c0 := f.randn(tensor.Float32, m, n)
		cb := f.up(c0)
		f.ok(f.d.Gemm(ta, tb, m, n, k, 0.5, f.up(as), f.up(bs), 2, cb))
		want := tensor.Add(tensor.MulScalar(tensor.MatMul(a, b), 0.5), tensor.MulScalar(c0, 2))
		near(t, fmt.Sprintf("gemm ta=%v tb=%v %dx%dx%d", ta, tb, m, n, k), f.down(cb), want.Float64s(), 1e-5)
	}
	// Batched, with A shared (stride 0).
	bs, m, n, k := 3, 5, 6, 4
	a := f.randn(tensor.Float32, m, k)
	b := f.randn(tensor.Float32, bs, k, n)
	c := f.alloc(F32, bs*m*n)
	f.ok(f.d.GemmStridedBatched(false, false, m, n, k, 1, f.up(a), 0, f.up(b), k*n, 0, c, m*n, bs))
	var want []float64
	for i := range bs {
		want = append(want, tensor.MatMul(a, tensor.Reshape(tensor.Slice(b, i, i+1), k, n)).Float64s()...)
	}
	near(t, "gemm strided batched", f.down(c), want, 1e-5)
}

// convCase checks forward and backward of one convolution.
func convCase(t *testing.T, f *fx, dt tensor.DType, g ConvGeom, bias bool, tol float64) {
	t.Helper()
	x := f.randn(dt, g.N, g.C, g.H, g.W).SetRequiresGrad(true)
	w := tensor.MulScalar(f.randn(dt, g.OC, g.C, g.K, g.K), 0.3).Detach().SetRequiresGrad(true)
	var b *tensor.Tensor
	if bias {
		b = f.randn(dt, g.OC).SetRequiresGrad(true)
	}
	out := tensor.Conv2d(x, w, b, g.Stride, g.Pad)
	gy := f.randn(dt, out.Shape()...)
	gradOf(out, gy)
	// The output size is package tensor's to compute.
	g.OH, g.OW = out.Shape()[2], out.Shape()[3]
	name := fmt.Sprintf("conv %v %+v bias=%v", dt, g, bias)
	ddt := dtOf(x)
	var bb, gb *Buffer
	if bias {
		bb, gb = f.up(b), f.alloc(ddt, g.OC)
	}
	xb, wb := f.up(x), f.up(w)
	y := f.alloc(ddt, out.Numel())
	f.ok(f.d.Conv2dForward(xb, wb, bb, g, y))
	near(t, name, f.down(y), out.Float64s(), tol)
	gx, gw := f.alloc(ddt, x.Numel()), f.alloc(ddt, w.Numel())
	f.ok(f.d.Conv2dBackward(f.up(gy), xb, wb, g, gx, gw, gb))
	near(t, name+" dx", f.down(gx), x.Grad().Float64s(), tol)
	near(t, name+" dw", f.down(gw), w.Grad().Float64s(), tol)
	if bias {
		near(t, name+" db", f.down(gb), b.Grad().Float64s(), tol)
	}
}

func TestConv2dParity(t *testing.T) {
	f := newFx(t, 6)
	fixed := []ConvGeom{
		{N: 2, C: 1, H: 28, W: 28, OC: 6, K: 5, Stride: 1, Pad: 2},  // LeNet conv1
		{N: 2, C: 6, H: 14, W: 14, OC: 16, K: 5, Stride: 1, Pad: 0}, // LeNet conv2
		{N: 2, C: 1, H: 24, W: 24, OC: 8, K: 7, Stride: 2, Pad: 3},  // ResNet stem, small
		{N: 3, C: 4, H: 6, W: 6, OC: 8, K: 1, Stride: 2, Pad: 0},    // 1x1 shortcut
		{N: 2, C: 3, H: 5, W: 7, OC: 2, K: 3, Stride: 1, Pad: 1},
	}
	for i, g := range fixed {
		convCase(t, f, tensor.Float32, g, i%2 == 0, 1e-4)
	}
	for range 4 {
		k := 1 + f.rng.IntN(4)
		g := ConvGeom{N: 1 + f.rng.IntN(3), C: 1 + f.rng.IntN(4), H: k + f.rng.IntN(6), W: k + f.rng.IntN(6),
			OC: 1 + f.rng.IntN(5), K: k, Stride: 1 + f.rng.IntN(2), Pad: f.rng.IntN(k)}
		convCase(t, f, tensor.Float32, g, f.rng.IntN(2) == 0, 1e-4)
	}
	// A small im2col budget forces one image per chunk (and a last partial
	// chunk), as a large batch does on the GPU.
	old := f.d.ColBudget
	f.d.ColBudget = 3 * 3 * 3 * 8 * 8 * 4 * 2
	defer func() { f.d.ColBudget = old }()
	convCase(t, f, tensor.Float32, ConvGeom{N: 5, C: 3, H: 8, W: 8, OC: 4, K: 3, Stride: 1, Pad: 1}, true, 1e-4)
	// float64 (the second module).
	convCase(t, f, tensor.Float64, ConvGeom{N: 2, C: 2, H: 6, W: 5, OC: 3, K: 3, Stride: 2, Pad: 1}, true, 1e-10)
}

func TestPoolParity(t *testing.T) {
	f := newFx(t, 7)
	geoms := []PoolGeom{
		{N: 2, C: 3, H: 8, W: 8, K: 2, Stride: 2},           // LeNet
		{N: 2, C: 2, H: 12, W: 12, K: 3, Stride: 2, Pad: 1}, // ResNet max pool
		{N: 1, C: 2, H: 7, W: 5, K: 3, Stride: 1, Pad: 1},   // overlapping windows
		{N: 1, C: 1, H: 9, W: 6, K: 4, Stride: 3, Pad: 2},
	}
	for _, g := range geoms {
		x := f.randn(tensor.Float32, g.N, g.C, g.H, g.W)
		// The output size is package tensor's to compute.
		s := tensor.AvgPool2d(x, g.K, g.Stride, g.Pad).Shape()
		g.OH, g.OW = s[2], s[3]
		gy := f.randn(tensor.Float32, g.N, g.C, g.OH, g.OW)
		xb, gyb := f.up(x), f.up(gy)
		name := fmt.Sprintf("%+v", g)

		in := x.Detach().SetRequiresGrad(true)
		out := tensor.AvgPool2d(in, g.K, g.Stride, g.Pad)
		gradOf(out, gy)
		y, gx := f.alloc(F32, out.Numel()), f.alloc(F32, x.Numel())
		f.ok(f.d.AvgPool2dForward(xb, g, y))
		near(t, "avgpool "+name, f.down(y), out.Float64s(), tol32)
		f.ok(f.d.AvgPool2dBackward(gyb, g, gx))
		near(t, "avgpool backward "+name, f.down(gx), in.Grad().Float64s(), tol32)

		in = x.Detach().SetRequiresGrad(true)
		out = tensor.MaxPool2d(in, g.K, g.Stride, g.Pad)
		gradOf(out, gy)
		arg := f.alloc(I32, out.Numel())
		f.ok(f.d.MaxPool2dForward(xb, g, y, arg))
		near(t, "maxpool "+name, f.down(y), out.Float64s(), 0)
		f.ok(f.d.MaxPool2dBackward(gyb, arg, g, gx))
		near(t, "maxpool backward "+name, f.down(gx), in.Grad().Float64s(), tol32)
	}
	for _, g := range []AdaptiveGeom{{N: 2, C: 3, H: 5, W: 5, OH: 1, OW: 1}, {N: 1, C: 2, H: 5, W: 7, OH: 3, OW: 2}, {N: 1, C: 1, H: 2, W: 3, OH: 4, OW: 5}} {
		x := f.randn(tensor.Float32, g.N, g.C, g.H, g.W)
		gy := f.randn(tensor.Float32, g.N, g.C, g.OH, g.OW)
		in := x.Detach().SetRequiresGrad(true)
		out := tensor.AdaptiveAvgPool2d(in, g.OH, g.OW)
		gradOf(out, gy)
		y, gx := f.alloc(F32, out.Numel()), f.alloc(F32, x.Numel())
		f.ok(f.d.AdaptiveAvgPool2dForward(f.up(x), g, y))
		near(t, fmt.Sprintf("adaptive %+v", g), f.down(y), out.Float64s(), tol32)
		f.ok(f.d.AdaptiveAvgPool2dBackward(f.up(gy), g, gx))
		near(t, fmt.Sprintf("adaptive backward %+v", g), f.down(gx), in.Grad().Float64s(), tol32)
	}
}

func TestBatchNormParity(t *testing.T) {
	f := newFx(t, 8)
	for _, sh := range [][4]int{{4, 3, 5, 5}, {2, 8, 3, 1}, {16, 2, 1, 1}} {
		n, c, h, w := sh[0], sh[1], sh[2], sh[3]
		for _, training := range []bool{true, false} {
			x := tensor.AddScalar(tensor.MulScalar(f.randn(tensor.Float32, n, c, h, w), 2), 1)
			gamma := tensor.AddScalar(f.randn(tensor.Float32, c), 1)
			beta := f.randn(tensor.Float32, c)
			rm := f.randn(tensor.Float32, c)
			rv := tensor.AddScalar(tensor.MulScalar(f.randn(tensor.Float32, c), 0.1), 1)
			gy := f.randn(tensor.Float32, n, c, h, w)
			xb, gb, bb, rmb, rvb := f.up(x), f.up(gamma), f.up(beta), f.up(rm), f.up(rv)

			xi, gi, bi := x.Detach().SetRequiresGrad(true), gamma.Detach().SetRequiresGrad(true), beta.Detach().SetRequiresGrad(true)
			rmc, rvc := rm.Clone(), rv.Clone()
			out := tensor.BatchNorm2d(xi, gi, bi, rmc, rvc, training, 0.1, 1e-5)
			gradOf(out, gy)

			name := fmt.Sprintf("batchnorm %v training=%v", sh, training)
			y := f.alloc(F32, x.Numel())
			saved, err := f.d.BatchNorm2dForward(xb, gb, bb, rmb, rvb, n, c, h*w, training, 0.1, 1e-5, y)
			f.ok(err)
			near(t, name, f.down(y), out.Float64s(), 1e-4)
			near(t, name+" running mean", f.down(rmb), rmc.Float64s(), tol32)
			near(t, name+" running var", f.down(rvb), rvc.Float64s(), tol32)
			gx, gg, gbe := f.alloc(F32, x.Numel()), f.alloc(F32, c), f.alloc(F32, c)
			f.ok(f.d.BatchNorm2dBackward(f.up(gy), xb, gb, saved, n, c, h*w, training, gx, gg, gbe))
			near(t, name+" dx", f.down(gx), xi.Grad().Float64s(), 1e-4)
			near(t, name+" dgamma", f.down(gg), gi.Grad().Float64s(), 1e-4)
			near(t, name+" dbeta", f.down(gbe), bi.Grad().Float64s(), 1e-4)
			f.d.Free(saved.Mean)
			f.d.Free(saved.Istd)
		}
	}
}

func TestCrossEntropyParity(t *testing.T) {
	f := newFx(t, 9)
	for _, sh := range [][2]int{{1, 2}, {7, 10}, {256, 10}, {600, 3}} {
		n, c := sh[0], sh[1]
		x := tensor.MulScalar(f.randn(tensor.Float32, n, c), 5)
		labels := make([]int, n)
		for i := range labels {
			labels[i] = f.rng.IntN(c)
		}
		xi := x.Detach().SetRequiresGrad(true)
		loss := tensor.CrossEntropy(xi, labels)
		tensor.MulScalar(loss, 1.5).Backward()
		xb, lb := f.up(x), f.labels(labels)
		l := f.alloc(F32, 1)
		f.ok(f.d.CrossEntropyForward(xb, lb, n, c, l))
		v, err := f.d.Scalar(l)
		f.ok(err)
		near(t, fmt.Sprint("cross-entropy ", sh), []float64{v}, loss.Float64s(), tol32)
		g := f.up(tensor.FromFloat32([]float32{1.5}, 1))
		gx := f.alloc(F32, n*c)
		f.ok(f.d.CrossEntropyBackward(xb, lb, n, c, g, gx))
		near(t, fmt.Sprint("cross-entropy backward ", sh), f.down(gx), xi.Grad().Float64s(), tol32)

		am := f.alloc(I32, n)
		f.ok(f.d.Argmax(xb, n, c, am))
		want := tensor.Argmax(x, 1)
		correct := 0
		for i, a := range f.down(am) {
			if int(a) != want[i] {
				t.Fatalf("argmax row %d: %g, want %d", i, a, want[i])
			}
			if want[i] == labels[i] {
				correct++
			}
		}
		cnt := f.alloc(I32, 1)
		f.ok(f.d.CountCorrect(xb, lb, n, c, cnt, false))
		f.ok(f.d.CountCorrect(xb, lb, n, c, cnt, true))
		if got, _ := f.d.Scalar(cnt); int(got) != 2*correct {
			t.Errorf("count correct %v: %g, want %d", sh, got, 2*correct)
		}
	}
	// Ties: the first maximum, as tensor.Argmax.
	x := tensor.FromFloat32([]float32{1, 3, 3, 0, 2, 2, 2, 2}, 2, 4)
	am := f.alloc(I32, 2)
	f.ok(f.d.Argmax(f.up(x), 2, 4, am))
	if got := f.down(am); got[0] != 1 || got[1] != 0 {
		t.Errorf("argmax ties: %v, want [1 0]", got)
	}
}

func TestSGDParity(t *testing.T) {
	f := newFx(t, 10)
	for _, c := range []struct{ lr, mom, wd float64 }{{0.1, 0, 0}, {0.05, 0.9, 0}, {0.9, 0.5, 1e-3}} {
		p := f.randn(tensor.Float32, 37)
		ref := p.Clone().SetRequiresGrad(true)
		opt := optim.NewSGD([]*tensor.Tensor{ref}, c.lr, c.mom, c.wd)
		pb := f.up(p)
		var buf *Buffer
		if c.mom != 0 {
			buf = f.alloc(F32, 37)
		}
		for step := range 3 {
			g := f.randn(tensor.Float32, 37)
			opt.ZeroGrad()
			gradOf(ref, g)
			opt.Step()
			f.ok(f.d.SGDStep(pb, f.up(g), buf, c.lr, c.mom, c.wd, step == 0))
			near(t, fmt.Sprintf("sgd %+v step %d", c, step), f.down(pb), ref.Float64s(), tol32)
		}
	}
}

func TestCastPermute(t *testing.T) {
	f := newFx(t, 11)
	x := f.randn(tensor.Float32, 2, 3, 4)
	y64 := f.alloc(F64, x.Numel())
	f.ok(f.d.Cast(f.up(x), y64))
	near(t, "cast to float64", f.down(y64), x.Float64s(), 0)
	back := f.alloc(F32, x.Numel())
	f.ok(f.d.Cast(y64, back))
	near(t, "cast to float32", f.down(back), x.Float64s(), 0)
	for _, perm := range [][]int{{0, 1, 2}, {2, 0, 1}, {1, 0, 2}, {2, 1, 0}} {
		y := f.alloc(F32, x.Numel())
		f.ok(f.d.Permute(f.up(x), x.Shape(), perm, y))
		near(t, fmt.Sprint("permute ", perm), f.down(y), tensor.Permute(x, perm...).Float64s(), 0)
	}
}
