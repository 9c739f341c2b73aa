package tensor

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// Device is where a tensor's data lives and its kernels run. The default
// build knows only CPU; the CUDA backend compiled with -tags cuda provides
// another Device (TryGPU), and the tensor operations dispatch on their
// inputs' device, so layers and models never name a device beyond passing
// one along.
type Device interface {
	// Name is a short human name such as "cpu" or "cuda:0".
	Name() string
}

// CPU is the host device, always available.
var CPU Device = cpuBackend{}

// host is CPU as a Backend.
var host Backend = cpuBackend{}

// devStorage is a tensor's storage on a device other than the CPU
// (tensor/cuda.go); on such a tensor f32 and f64 are nil. Views (Reshape,
// Detach, a leaf's adopted gradient) share it.
type devStorage interface {
	// free gives the memory back now (Release, intermediate gradients
	// in Backward); otherwise it goes back when the storage becomes
	// unreachable.
	free()
}

// Backend is the one seam between the operations and their kernels: the
// CPU (cpuBackend, cpu.go) and the CUDA backend (cudaDevice, cuda.go, with
// -tags cuda) implement it, and nothing else does (its methods are
// unexported). Every operation of this package is written once above it:
// its shape checks and geometry (broadcastShape, convGeom, poolGeom, ...),
// its forward pass as kernel calls on its inputs' backend (backendFor),
// and its backward closure, recorded once, as kernel calls or other
// operations. A kernel allocates and returns its results on its device
// and records no history. A backend must give the CPU's results to
// rounding (the conformance suite, tensor/internal/conformance, checks
// every operation on every backend against the CPU and against finite
// differences).
//
// To add an operation: write it in this package with backendFor, add its
// forward and backward kernels here, implement them in cpu.go and
// cuda.go, and add a case to the conformance table.
type Backend interface {
	Device

	// Storage and transfer.
	fromHost(t *Tensor) *Tensor // a copy of the CPU tensor t on this device
	toHost(t *Tensor) *Tensor   // a CPU copy of t
	full(dt DType, v float64, shape []int) *Tensor
	fill(t *Tensor, v float64)
	copyInto(dst, src *Tensor) // same shape and device, converting dtype
	cast(t *Tensor, dt DType) *Tensor
	float64s(t *Tensor) []float64
	at(t *Tensor, off int) float64
	axpy(dst, x *Tensor, alpha float64) // dst += alpha*x
	scale(t *Tensor, alpha float64)     // t *= alpha
	upload(t *Tensor, vals []float64)   // overwrite t with host values

	// Elementwise and broadcasting.
	binary(op binOp, a, b *Tensor, shape []int) *Tensor
	sumTo(g *Tensor, shape []int) *Tensor // the backward of broadcasting
	mulScalar(t *Tensor, c float64) *Tensor
	unary(op unaryOp, x *Tensor, c float64) *Tensor
	unaryBackward(op unaryOp, g, x, y *Tensor, c float64) *Tensor
	softmax(x *Tensor, outer, n, inner int, log bool) *Tensor
	softmaxBackward(g, y *Tensor, outer, n, inner int, log bool) *Tensor

	// Reductions.
	sum(t *Tensor) *Tensor
	expand(g *Tensor, shape []int) *Tensor // every element the one-element g
	sumAxis(t *Tensor, outer, n, inner int, keep []int) *Tensor
	argmax(t *Tensor, axis int) []int
	countCorrect(logits *Tensor, labels []int) int

	// Products and layout.
	matmul(ta, tb bool, bs, m, n, k int, a, b *Tensor, shape []int) *Tensor
	linear(x, w, b *Tensor) *Tensor
	linearBackward(g, x, w, b *Tensor, needX, needW, needB bool) (gx, gw, gb *Tensor)
	permute(t *Tensor, perm, shape []int) *Tensor

	// Convolution, pooling, normalisation, loss, optimiser.
	conv2d(x, w, b *Tensor, g convGeom) *Tensor
	conv2dBackward(gy, x, w *Tensor, g convGeom, needX, needW, needB bool) (gx, gw, gb *Tensor)
	avgPool(x *Tensor, g poolGeom) *Tensor
	avgPoolBackward(gy *Tensor, g poolGeom) *Tensor
	maxPool(x *Tensor, g poolGeom) (*Tensor, saved)
	maxPoolBackward(gy *Tensor, arg saved, g poolGeom) *Tensor
	adaptiveAvgPool(x *Tensor, g adaptiveGeom) *Tensor
	adaptiveAvgPoolBackward(gy *Tensor, g adaptiveGeom) *Tensor
	batchNorm(x, gamma, beta, runMean, runVar *Tensor, g bnGeom, training bool, momentum, eps float64) (*Tensor, saved)
	batchNormBackward(gy, x, gamma *Tensor, s saved, g bnGeom, training, needX, needG, needB bool) (gx, gg, gb *Tensor)
	crossEntropy(logits *Tensor, labels []int) (*Tensor, saved)
	crossEntropyBackward(g, logits *Tensor, labels []int, s saved) *Tensor
	sgdStep(p, g, buf *Tensor, lr, momentum, wd float64, first bool)
}

// saved is what a forward kernel keeps for its backward kernel (max-pooling
// indices, batch statistics, uploaded labels): released after the backward
// pass, or at once when no history is recorded.
type saved interface{ release() }

// keepFor releases s at once when out recorded no history (so no backward
// closure will): the forward half of the saved-state rule.
func keepFor(out *Tensor, s saved) *Tensor {
	if out.backward == nil && s != nil {
		s.release()
	}
	return out
}

// unaryOp names an elementwise function for the kernels.
type unaryOp int

const (
	uRelu unaryOp = iota
	uSigmoid
	uTanh
	uExp
	uLog
	uSqrt
	uPow // x^c
	uAdd // x + c (its backward is the identity, written above the seam)
)

var unaryNames = [...]string{uRelu: "Relu", uSigmoid: "Sigmoid", uTanh: "Tanh", uExp: "Exp", uLog: "Log", uSqrt: "Sqrt", uPow: "PowScalar", uAdd: "AddScalar"}

// binOp names an elementwise binary operation for the device kernels.
type binOp int

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
)

// backendFor returns the backend that runs op on its inputs: the CPU's
// when all of them (nil ones skipped) are in host memory.
func backendFor(op string, ts ...*Tensor) Backend {
	if d := devOf(op, ts...); d != nil {
		return d
	}
	return host
}

// devOf returns the device backend of op's inputs, nil when all of them
// (nil ones skipped) are on the CPU; inputs on different devices panic,
// naming both. Accessors and in-place updates use it to keep their host
// path inline; operations use backendFor.
func devOf(op string, ts ...*Tensor) Backend {
	var d Backend
	cpu := false
	for _, t := range ts {
		if t == nil {
			continue
		}
		t.failIfEnded(op)
		if t.dev == nil {
			if d != nil {
				mixedDevices(op, d, CPU)
			}
			cpu = true
			continue
		}
		b := t.device.(Backend)
		switch {
		case d == nil && cpu:
			mixedDevices(op, CPU, b)
		case d == nil:
			d = b
		case d != b:
			mixedDevices(op, d, b)
		}
	}
	return d
}

func mixedDevices(op string, a, b Device) {
	panic(fmt.Sprintf("tensor: %s: inputs on different devices, %s and %s (move them with ToDevice first)", op, a.Name(), b.Name()))
}

// backendOf returns the backend of a tensor known to be on a device.
func (t *Tensor) backendOf() Backend {
	t.failIfEnded("a use")
	return t.device.(Backend)
}

// hostOnly panics for an accessor that needs the data in host memory.
func (t *Tensor) hostOnly(what string) {
	t.failIfEnded(what)
	if t.dev != nil {
		panic(fmt.Sprintf("tensor: %s of a tensor on %s: call ToDevice(tensor.CPU) first", what, t.device.Name()))
	}
}

// ToDevice returns a copy of t on dev (t itself when it is already there),
// as PyTorch's tensor.to(device). The copy is differentiable: its gradient
// is copied back to t's device. A training loop moves each batch with it:
//
//	X = X.ToDevice(device)
func (t *Tensor) ToDevice(dev Device) *Tensor {
	if dev == nil {
		dev = CPU
	}
	if t.Device() == dev {
		return t
	}
	out := moveData(t, dev)
	return record(out, "ToDevice", func(g *Tensor) { accum(t, g.ToDevice(t.Device()), true) }, t)
}

// moveData copies t's data to dev (a different device), without history.
func moveData(t *Tensor, dev Device) *Tensor {
	var host *Tensor
	if t.dev == nil {
		host = t
	} else {
		host = t.backendOf().toHost(t)
	}
	if dev == CPU {
		return host
	}
	if e, ok := dev.(ended); ok {
		e.fail("ToDevice to the device")
	}
	b, ok := dev.(Backend)
	if !ok {
		panic(fmt.Sprintf("tensor: ToDevice: %s is not a device of this build", dev.Name()))
	}
	return b.fromHost(host)
}

// MoveTo moves a leaf tensor's storage to dev in place, keeping its
// identity (so a model's parameter list and an optimiser's stay valid),
// and moves its gradient too: how nn.ToDevice moves a model, like
// PyTorch's module.to(device).
func (t *Tensor) MoveTo(dev Device) {
	if t.backward != nil {
		panic(fmt.Sprintf("tensor: MoveTo on a non-leaf tensor (op %s)", t.op))
	}
	if dev == nil {
		dev = CPU
	}
	if t.Device() == dev {
		return
	}
	c := moveData(t, dev)
	t.f32, t.f64, t.dev, t.device = c.f32, c.f64, c.dev, c.device
	if t.grad != nil {
		g := moveData(t.grad, dev)
		t.grad = g
	}
}

// onesLike and zerosLike return a tensor of t's shape and dtype on t's
// device: Backward's seed, and zero gradients on a device.
func onesLike(t *Tensor) *Tensor {
	if t.dev != nil {
		return t.backendOf().full(t.dtype, 1, t.shape)
	}
	return Ones(t.dtype, t.shape...)
}

// ZerosLike returns a zero tensor of t's dtype and shape on t's device.
func ZerosLike(t *Tensor) *Tensor {
	if t.dev != nil {
		return t.backendOf().full(t.dtype, 0, t.shape)
	}
	return New(t.dtype, t.shape...)
}

// OnCPU reports whether t's data are in host memory.
func (t *Tensor) OnCPU() bool { return t.dev == nil }

// CountCorrect returns the number of rows of logits [N C] whose largest
// entry (the first on ties) is at the row's label: the numerator of a
// batch's accuracy. On a device only the count comes back to the host.
func CountCorrect(logits *Tensor, labels []int) int {
	if logits.Dim() != 2 || len(labels) != logits.shape[0] {
		panic(fmt.Sprintf("tensor: CountCorrect needs logits [N C] and N labels, found %v and %d labels", logits.shape, len(labels)))
	}
	return backendFor("CountCorrect", logits).countCorrect(logits, labels)
}

// SGDUpdate is one parameter's update of optim.SGD on a device (PyTorch's
// SGD, dampening 0, no Nesterov): d = g + wd*p; with momentum, buf = d on
// the first step (first), else momentum*buf + d, and d = buf; then
// p -= lr*d, in place, in one kernel. buf (on p's device, like p) may be
// nil without momentum. p must be on a device: optim keeps its own loop
// for the CPU.
func SGDUpdate(p, g, buf *Tensor, lr, momentum, wd float64, first bool) {
	d := devOf("SGDUpdate", p, g, buf)
	if d == nil {
		panic("tensor: SGDUpdate: the parameter is on the CPU (optim.SGD updates it on the host)")
	}
	checkSameDType("SGDUpdate", p, g)
	if !slices.Equal(p.shape, g.shape) || (buf != nil && buf.Numel() != p.Numel()) {
		panic(fmt.Sprintf("tensor: SGDUpdate: parameter %v, gradient %v", p.shape, g.shape))
	}
	d.sgdStep(p, g, buf, lr, momentum, wd, first)
}

// noteOutput is where TryGPU says why it falls back to the CPU (tests
// replace it).
var noteOutput io.Writer = os.Stderr

// noteCPU prints TryGPU's one line.
func noteCPU(reason string) {
	fmt.Fprintf(noteOutput, "nnkit: using the CPU: %s\n", reason)
}
