//go:build cuda

package tensor

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"nnkit/tensor/internal/cuda"
)

// The CUDA backend of the tensor operations (docs/gpu.md, "The seam").
// A tensor on the GPU holds a *cudaStorage (one device buffer, shared by
// its views); every operation of this package whose inputs live on the
// GPU calls the kernel of cudaDevice below (the Backend seam, device.go),
// which queues the kernels of nnkit/tensor/internal/cuda on the device's one
// stream and returns without waiting. The operations' shape checks,
// geometry and backward closures are written once, above the seam, for
// the CPU and this backend alike. Only
// Item, Float64s, At, Argmax, CountCorrect and ToDevice(CPU) wait for the
// device.
//
// Memory: a buffer goes back to the device's caching allocator when its
// tensor is unreachable (runtime.AddCleanup), at once for the gradients of
// intermediate results (Backward) and for Release. The Go collector does
// not see device memory, so allocation counts the bytes handed out and
// runs a collection when they pass a budget (a quarter of the device's
// memory, or twice what was live after the previous collection), and
// once more, then again with a pause, when the device is out of memory.

var _ Backend = (*cudaDevice)(nil)

// cudaDevice is the GPU as a Device.
type cudaDevice struct {
	d      *cuda.Device
	live   atomic.Int64 // bytes handed out by alloc and not freed
	gcAt   atomic.Int64 // collect when live would pass it
	budget int64
	gcMu   sync.Mutex
}

var (
	gpuMu  sync.Mutex
	gpuDev *cudaDevice
)

// openGPU opens the GPU once (cuda.Open caches its result).
func openGPU() (*cudaDevice, error) {
	gpuMu.Lock()
	defer gpuMu.Unlock()
	if gpuDev != nil {
		return gpuDev, nil
	}
	d, err := cuda.Open()
	if err != nil {
		return nil, err
	}
	c := &cudaDevice{d: d}
	c.budget = min(max(int64(d.TotalMem)/4, 256<<20), 64<<30)
	c.gcAt.Store(c.budget)
	gpuDev = c
	return c, nil
}

// TryGPU returns the GPU (the original try_gpu) when nnkit was built with
// -tags cuda and a CUDA device is usable, otherwise CPU, after one line on
// standard error saying why: the driver or a library not found (where it
// was looked for: docs/gpu.md), no device, or an error of the driver.
func TryGPU() Device {
	c, err := openGPU()
	if err != nil {
		noteCPU(firstLine(err.Error()))
		return CPU
	}
	return c
}

// GPU returns the GPU, or the reason there is none: for a program that
// was asked for the GPU explicitly (check run --device cuda).
func GPU() (Device, error) {
	c, err := openGPU()
	if err != nil {
		return nil, fmt.Errorf("%s", firstLine(err.Error()))
	}
	return c, nil
}

// GPUBuilt reports whether this build has the CUDA backend (-tags cuda).
const GPUBuilt = true

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Name is "cuda:<ordinal>".
func (c *cudaDevice) Name() string { return c.d.Name() }

// String describes the GPU in one line (name, compute capability,
// memory, driver, libraries).
func (c *cudaDevice) String() string { return c.d.String() }

// Synchronize waits for the work queued on the GPU and returns the first
// asynchronous error, if any.
func Synchronize(dev Device) error {
	if c, ok := dev.(*cudaDevice); ok {
		return c.d.Synchronize()
	}
	return nil
}

// must turns a device error into a panic naming the device.
func (c *cudaDevice) must(err error) {
	if err != nil {
		panic(fmt.Sprintf("tensor: %s: %v", c.Name(), err))
	}
}

// cudaStorage is a device tensor's data.
type cudaStorage struct {
	c   *cudaDevice
	buf *cuda.Buffer
}

func (s *cudaStorage) free() {
	if s.buf != nil {
		s.c.free(s.buf)
		s.buf = nil
	}
}

// alloc returns a buffer of n elements, collecting garbage first when the
// bytes handed out pass the budget, and retrying after a collection when
// the device is full.
func (c *cudaDevice) alloc(dt cuda.DType, n int) *cuda.Buffer {
	bytes := int64(n * dt.Size())
	if c.live.Load()+bytes > c.gcAt.Load() {
		c.collect()
	}
	b, err := c.d.Alloc(dt, n)
	for try := 0; err != nil && try < 3; try++ {
		c.collect()
		time.Sleep(time.Duration(try*10) * time.Millisecond)
		b, err = c.d.Alloc(dt, n)
	}
	c.must(err)
	c.live.Add(int64(b.Bytes()))
	return b
}

// free gives b back to the pool; a second free of the same buffer (an
// explicit one, then the cleanup's) does nothing.
func (c *cudaDevice) free(b *cuda.Buffer) {
	if b == nil || b.Ptr() == 0 {
		return
	}
	n := b.Bytes()
	c.d.Free(b)
	c.live.Add(-int64(n))
}

// collect runs the garbage collector so that the buffers of unreachable
// tensors go back to the pool, waits (briefly) for their cleanups, and
// sets the next threshold.
func (c *cudaDevice) collect() {
	c.gcMu.Lock()
	defer c.gcMu.Unlock()
	done := make(chan struct{})
	// AddCleanup moves its pointer to the heap itself; nothing keeps the
	// sentinel reachable, so the collection below runs its cleanup.
	runtime.AddCleanup(new([64]byte), func(ch chan struct{}) { close(ch) }, done)
	runtime.GC()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
	runtime.Gosched()
	c.gcAt.Store(max(c.budget, 2*c.live.Load()))
}

func cdt(d DType) cuda.DType {
	if d == Float64 {
		return cuda.F64
	}
	return cuda.F32
}

// newTensor returns an uninitialised tensor on the GPU.
func (c *cudaDevice) newTensor(dt DType, shape []int) *Tensor {
	buf := c.alloc(cdt(dt), numel(shape))
	s := &cudaStorage{c: c, buf: buf}
	runtime.AddCleanup(s, func(b *cuda.Buffer) { c.free(b) }, buf)
	return &Tensor{shape: append([]int(nil), shape...), dtype: dt, device: c, dev: s}
}

// like is a new uninitialised tensor of t's dtype and shape.
func (c *cudaDevice) like(t *Tensor) *Tensor { return c.newTensor(t.dtype, t.shape) }

// bufOf is t's device buffer (nil for a nil tensor).
func bufOf(t *Tensor) *cuda.Buffer {
	if t == nil {
		return nil
	}
	s := t.dev.(*cudaStorage)
	if s.buf == nil {
		panic("tensor: use of a released device tensor")
	}
	return s.buf
}

// auxBuf is a buffer a backward closure keeps (labels, max-pooling
// indices): freed after the backward pass, or when unreachable.
type auxBuf struct {
	c *cudaDevice
	b *cuda.Buffer
}

func (c *cudaDevice) aux(dt cuda.DType, n int) *auxBuf {
	b := c.alloc(dt, n)
	a := &auxBuf{c: c, b: b}
	runtime.AddCleanup(a, func(b *cuda.Buffer) { c.free(b) }, b)
	return a
}

func (a *auxBuf) release() { a.c.free(a.b) }

// labelsBuf uploads class labels as int32.
func (c *cudaDevice) labelsBuf(labels []int) *auxBuf {
	v := make([]int32, len(labels))
	for i, l := range labels {
		v[i] = int32(max(min(l, math.MaxInt32), math.MinInt32))
	}
	a := c.aux(cuda.I32, len(v))
	c.must(c.d.UploadInt32(a.b, v))
	return a
}

// ---------------------------------------------------------------- storage

func (c *cudaDevice) fromHost(t *Tensor) *Tensor {
	out := c.newTensor(t.dtype, t.shape)
	if t.dtype == Float32 {
		c.must(c.d.Upload32(bufOf(out), t.f32[:t.Numel()]))
	} else {
		c.must(c.d.Upload64(bufOf(out), t.f64[:t.Numel()]))
	}
	return out
}

func (c *cudaDevice) toHost(t *Tensor) *Tensor {
	out := New(t.dtype, t.shape...)
	if t.dtype == Float32 {
		c.must(c.d.Download32(out.f32, bufOf(t)))
	} else {
		c.must(c.d.Download64(out.f64, bufOf(t)))
	}
	return out
}

func (c *cudaDevice) full(dt DType, v float64, shape []int) *Tensor {
	out := c.newTensor(dt, shape)
	c.fill(out, v)
	return out
}

func (c *cudaDevice) fill(t *Tensor, v float64) {
	if t.Numel() > 0 {
		c.must(c.d.Fill(bufOf(t), v))
	}
}

func (c *cudaDevice) copyInto(dst, src *Tensor) {
	if dst.Numel() > 0 {
		c.must(c.d.Cast(bufOf(src), bufOf(dst)))
	}
}

func (c *cudaDevice) cast(t *Tensor, dt DType) *Tensor {
	out := c.newTensor(dt, t.shape)
	c.copyInto(out, t)
	return out
}

func (c *cudaDevice) float64s(t *Tensor) []float64 {
	return c.toHost(t).Float64s()
}

func (c *cudaDevice) at(t *Tensor, off int) float64 {
	v, err := c.d.Scalar(bufOf(t).View(off, 1))
	c.must(err)
	return v
}

func (c *cudaDevice) axpy(dst, x *Tensor, alpha float64) {
	checkSameDType("gradient accumulation", dst, x)
	if dst.Numel() > 0 {
		c.must(c.d.Axpy(alpha, bufOf(x), bufOf(dst)))
	}
}

func (c *cudaDevice) scale(t *Tensor, alpha float64) {
	if t.Numel() > 0 {
		b := bufOf(t)
		c.must(c.d.ScalarOp(cuda.ScalarMul, b, alpha, b))
	}
}

func (c *cudaDevice) upload(t *Tensor, vals []float64) {
	if t.dtype == Float64 {
		c.must(c.d.Upload64(bufOf(t), vals))
		return
	}
	v := make([]float32, len(vals))
	for i, x := range vals {
		v[i] = float32(x)
	}
	c.must(c.d.Upload32(bufOf(t), v))
}

// ---------------------------------------------------------------- elementwise

var cudaBinOp = [...]cuda.BinOp{opAdd: cuda.OpAdd, opSub: cuda.OpSub, opMul: cuda.OpMul, opDiv: cuda.OpDiv}

// bcastPattern says how an operand of shape in is read for a result of
// shape out by the kernel ew_binary_bcast, when it can be: the operand's
// dimensions other than 1 (aligned to the right) must form one run equal
// to out's (a bias [C] on [N, C, H, W] as [C, 1, 1], a row [F] on [N, F],
// a scalar).
func bcastPattern(in, out []int) (cuda.Bcast, bool) {
	k := len(out) - len(in)
	if k < 0 {
		return cuda.Bcast{}, false
	}
	dim := func(i int) int {
		if i < k {
			return 1
		}
		return in[i-k]
	}
	lo, hi := -1, -1
	for i := range out {
		if dim(i) != 1 {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	if numel(in) == numel(out) {
		return cuda.Bcast{}, true // the same elements in the same order
	}
	if lo < 0 {
		return cuda.Bcast{Inner: 1, Mid: 1}, true
	}
	for i := lo; i <= hi; i++ {
		if dim(i) != out[i] {
			return cuda.Bcast{}, false
		}
	}
	return cuda.Bcast{Inner: numel(out[hi+1:]), Mid: numel(out[lo : hi+1])}, true
}

func (c *cudaDevice) binary(op binOp, a, b *Tensor, shape []int) *Tensor {
	out := c.newTensor(a.dtype, shape)
	if out.Numel() == 0 {
		return out
	}
	ba, bb, y := bufOf(a), bufOf(b), bufOf(out)
	if slices.Equal(a.shape, shape) && slices.Equal(b.shape, shape) {
		c.must(c.d.Binary(cudaBinOp[op], ba, bb, y))
		return out
	}
	pa, okA := bcastPattern(a.shape, shape)
	pb, okB := bcastPattern(b.shape, shape)
	if okA && okB {
		c.must(c.d.BinaryBcast(cudaBinOp[op], ba, pa, bb, pb, y))
		return out
	}
	c.must(c.d.BinaryND(cudaBinOp[op], ba, broadcastStrides(a.shape, shape), bb, broadcastStrides(b.shape, shape), shape, y))
	return out
}

// sumTo reduces g to shape (the backward of broadcasting): one kernel for
// a whole sum or a bias pattern, else one SumAxis per reduced axis.
func (c *cudaDevice) sumTo(g *Tensor, shape []int) *Tensor {
	out := c.newTensor(g.dtype, shape)
	if out.Numel() == 0 {
		return out
	}
	if g.Numel() == 0 {
		c.fill(out, 0)
		return out
	}
	y := bufOf(out)
	if p, ok := bcastPattern(shape, g.shape); ok {
		switch {
		case p.Mid == 0: // same elements: a copy
			c.must(c.d.Copy(y, bufOf(g)))
		case p.Mid == 1 && p.Inner == 1:
			c.must(c.d.Sum(bufOf(g), 1, y))
		default:
			c.must(c.d.SumOuterInner(bufOf(g), g.Numel()/(p.Mid*p.Inner), p.Mid, p.Inner, y, false))
		}
		return out
	}
	// General case: sum the broadcast axes one at a time.
	k := len(g.shape) - len(shape)
	cur := g
	curShape := append([]int(nil), g.shape...)
	for i := range curShape {
		want := 1
		if i >= k {
			want = shape[i-k]
		}
		if want != 1 || curShape[i] == 1 {
			continue
		}
		outer, n, inner := splitAxis(curShape, i)
		curShape[i] = 1
		next := c.newTensor(g.dtype, curShape)
		c.must(c.d.SumAxis(bufOf(cur), outer, n, inner, 1, bufOf(next)))
		if cur != g {
			release(cur)
		}
		cur = next
	}
	c.must(c.d.Copy(y, bufOf(cur)))
	if cur != g {
		release(cur)
	}
	return out
}

func (c *cudaDevice) mulScalar(t *Tensor, s float64) *Tensor {
	out := c.like(t)
	if t.Numel() > 0 {
		c.must(c.d.ScalarOp(cuda.ScalarMul, bufOf(t), s, bufOf(out)))
	}
	return out
}

var cudaUnary = [...]cuda.UnaryOp{
	uRelu: cuda.UnaryRelu, uSigmoid: cuda.UnarySigmoid, uTanh: cuda.UnaryTanh,
	uExp: cuda.UnaryExp, uLog: cuda.UnaryLog, uSqrt: cuda.UnarySqrt,
}

func (c *cudaDevice) unary(op unaryOp, t *Tensor, s float64) *Tensor {
	out := c.like(t)
	if t.Numel() == 0 {
		return out
	}
	switch op {
	case uAdd:
		c.must(c.d.ScalarOp(cuda.ScalarAdd, bufOf(t), s, bufOf(out)))
	case uPow:
		c.must(c.d.ScalarOp(cuda.ScalarPow, bufOf(t), s, bufOf(out)))
	default:
		c.must(c.d.Unary(cudaUnary[op], bufOf(t), bufOf(out)))
	}
	return out
}

func (c *cudaDevice) unaryBackward(op unaryOp, g, t, out *Tensor, s float64) *Tensor {
	gi := c.like(t)
	if t.Numel() == 0 {
		return gi
	}
	switch op {
	case uAdd:
		c.must(c.d.Copy(bufOf(gi), bufOf(g)))
	case uPow:
		c.must(c.d.PowBackward(bufOf(g), bufOf(t), s, bufOf(gi)))
	default:
		c.must(c.d.UnaryBackward(cudaUnary[op], bufOf(g), bufOf(t), bufOf(out), bufOf(gi)))
	}
	return gi
}

func (c *cudaDevice) softmax(t *Tensor, outer, n, inner int, log bool) *Tensor {
	out := c.like(t)
	if t.Numel() > 0 {
		c.must(c.d.Softmax(bufOf(t), outer, n, inner, log, bufOf(out)))
	}
	return out
}

func (c *cudaDevice) softmaxBackward(g, y *Tensor, outer, n, inner int, log bool) *Tensor {
	gi := c.like(y)
	if y.Numel() > 0 {
		c.must(c.d.SoftmaxBackward(bufOf(g), bufOf(y), outer, n, inner, log, bufOf(gi)))
	}
	return gi
}

// ---------------------------------------------------------------- reductions

// expand returns a tensor of shape whose elements all are the one-element
// g: the backward of Sum.
func (c *cudaDevice) expand(g *Tensor, shape []int) *Tensor {
	out := c.newTensor(g.dtype, shape)
	if out.Numel() > 0 {
		y := bufOf(out)
		c.must(c.d.Zero(y))
		c.must(c.d.BinaryBcast(cuda.OpAdd, y, cuda.Bcast{}, bufOf(g), cuda.Bcast{Inner: 1, Mid: 1}, y))
	}
	return out
}

func (c *cudaDevice) sum(t *Tensor) *Tensor {
	out := c.newTensor(t.dtype, nil)
	if t.Numel() == 0 {
		c.fill(out, 0)
	} else {
		c.must(c.d.Sum(bufOf(t), 1, bufOf(out)))
	}
	return out
}

func (c *cudaDevice) sumAxis(t *Tensor, outer, n, inner int, keep []int) *Tensor {
	out := c.newTensor(t.dtype, keep)
	if out.Numel() > 0 {
		if n == 0 {
			c.fill(out, 0)
		} else {
			c.must(c.d.SumAxis(bufOf(t), outer, n, inner, 1, bufOf(out)))
		}
	}
	return out
}

func (c *cudaDevice) argmax(t *Tensor, ax int) []int {
	outer, n, inner := splitAxis(t.shape, ax)
	if inner != 1 || outer == 0 {
		return Argmax(c.toHost(t), ax)
	}
	idx := c.aux(cuda.I32, outer)
	defer idx.release()
	c.must(c.d.Argmax(bufOf(t), outer, n, idx.b))
	v := make([]int32, outer)
	c.must(c.d.DownloadInt32(v, idx.b))
	res := make([]int, outer)
	for i, x := range v {
		res[i] = int(x)
	}
	return res
}

func (c *cudaDevice) countCorrect(logits *Tensor, labels []int) int {
	n, k := logits.shape[0], logits.shape[1]
	if n == 0 {
		return 0
	}
	if k == 0 {
		panic(fmt.Sprintf("tensor: CountCorrect: logits %v have no classes", logits.shape))
	}
	lab := c.labelsBuf(labels)
	defer lab.release()
	cnt := c.aux(cuda.I32, 1)
	defer cnt.release()
	c.must(c.d.CountCorrect(bufOf(logits), lab.b, n, k, cnt.b, false))
	v, err := c.d.Scalar(cnt.b)
	c.must(err)
	return int(v)
}

// ---------------------------------------------------------------- products

// matmul runs C[i] = op(A[i]) op(B[i]) over the batch (bs matrices when
// shape has 3 dimensions), as batchedGemm.
func (c *cudaDevice) matmul(ta, tb bool, bs, m, n, k int, a, b *Tensor, shape []int) *Tensor {
	out := c.newTensor(a.dtype, shape)
	switch {
	case out.Numel() == 0:
	case k == 0:
		c.fill(out, 0)
	case len(shape) == 2:
		c.must(c.d.Gemm(ta, tb, m, n, k, 1, bufOf(a), bufOf(b), 0, bufOf(out)))
	default:
		c.must(c.d.GemmStridedBatched(ta, tb, m, n, k, 1, bufOf(a), a.Numel()/bs, bufOf(b), b.Numel()/bs, 0, bufOf(out), out.Numel()/bs, bs))
	}
	return out
}

// gemm2 is one row-major GEMM into a new tensor of shape [m n].
func (c *cudaDevice) gemm2(ta, tb bool, m, n, k int, a, b *Tensor, shape []int) *Tensor {
	return c.matmul(ta, tb, 1, m, n, k, a, b, shape)
}

func (c *cudaDevice) linear(x, w, b *Tensor) *Tensor {
	n, in, outF := x.shape[0], x.shape[1], w.shape[0]
	out := c.gemm2(false, true, n, outF, in, x, w, []int{n, outF}) // x W^T
	if b != nil && out.Numel() > 0 {
		y := bufOf(out)
		c.must(c.d.BinaryBcast(cuda.OpAdd, y, cuda.Bcast{}, bufOf(b), cuda.Bcast{Inner: 1, Mid: outF}, y))
	}
	return out
}

func (c *cudaDevice) linearBackward(g, x, w, b *Tensor, needX, needW, needB bool) (gx, gw, gb *Tensor) {
	n, in, outF := x.shape[0], x.shape[1], w.shape[0]
	if needX {
		gx = c.gemm2(false, false, n, in, outF, g, w, x.shape) // G W
	}
	if needW {
		gw = c.gemm2(true, false, outF, in, n, g, x, w.shape) // G^T x
	}
	if needB {
		gb = c.like(b)
		if n == 0 {
			c.fill(gb, 0)
		} else if outF > 0 {
			c.must(c.d.SumOuterInner(bufOf(g), n, outF, 1, bufOf(gb), false))
		}
	}
	return gx, gw, gb
}

func (c *cudaDevice) permute(t *Tensor, perm, shape []int) *Tensor {
	out := c.newTensor(t.dtype, shape)
	if out.Numel() > 0 {
		if len(perm) > 6 {
			panic(fmt.Sprintf("tensor: Permute on %s: at most 6 dimensions, found shape %v", c.Name(), t.shape))
		}
		c.must(c.d.Permute(bufOf(t), t.shape, perm, bufOf(out)))
	}
	return out
}

// ---------------------------------------------------------------- convolution and pooling

func cudaConvGeom(g convGeom) cuda.ConvGeom {
	return cuda.ConvGeom{N: g.n, C: g.c, H: g.h, W: g.w, OC: g.oc, K: g.k, Stride: g.s, Pad: g.p, OH: g.oh, OW: g.ow}
}

func (c *cudaDevice) conv2d(x, w, b *Tensor, g convGeom) *Tensor {
	out := c.newTensor(x.dtype, []int{g.n, g.oc, g.oh, g.ow})
	if out.Numel() > 0 {
		c.must(c.d.Conv2dForward(bufOf(x), bufOf(w), bufOf(b), cudaConvGeom(g), bufOf(out)))
	}
	return out
}

func (c *cudaDevice) conv2dBackward(gy, x, w *Tensor, g convGeom, needX, needW, needB bool) (gx, gw, gb *Tensor) {
	if needX {
		gx = c.like(x)
	}
	if needW {
		gw = c.like(w)
	}
	if needB {
		gb = c.newTensor(x.dtype, []int{g.oc})
	}
	if g.n == 0 || g.oh*g.ow == 0 {
		for _, t := range []*Tensor{gx, gw, gb} {
			if t != nil {
				c.fill(t, 0)
			}
		}
	} else {
		c.must(c.d.Conv2dBackward(bufOf(gy), bufOf(x), bufOf(w), cudaConvGeom(g), bufOf(gx), bufOf(gw), bufOf(gb)))
	}
	return gx, gw, gb
}

func cudaPoolGeom(g poolGeom) cuda.PoolGeom {
	return cuda.PoolGeom{N: g.n, C: g.c, H: g.h, W: g.w, K: g.k, Stride: g.s, Pad: g.p, OH: g.oh, OW: g.ow}
}

// poolEmpty says that a pooling has nothing to compute.
func poolEmpty(g poolGeom) bool { return g.n*g.c*g.oh*g.ow == 0 || g.h*g.w == 0 }

func (c *cudaDevice) avgPool(x *Tensor, g poolGeom) *Tensor {
	out := c.newTensor(x.dtype, []int{g.n, g.c, g.oh, g.ow})
	if !poolEmpty(g) {
		c.must(c.d.AvgPool2dForward(bufOf(x), cudaPoolGeom(g), bufOf(out)))
	}
	return out
}

func (c *cudaDevice) avgPoolBackward(gy *Tensor, g poolGeom) *Tensor {
	gx := c.newTensor(gy.dtype, []int{g.n, g.c, g.h, g.w})
	if poolEmpty(g) {
		c.fill(gx, 0)
	} else {
		c.must(c.d.AvgPool2dBackward(bufOf(gy), cudaPoolGeom(g), bufOf(gx)))
	}
	return gx
}

func (c *cudaDevice) maxPool(x *Tensor, g poolGeom) (*Tensor, saved) {
	out := c.newTensor(x.dtype, []int{g.n, g.c, g.oh, g.ow})
	arg := c.aux(cuda.I32, out.Numel())
	if !poolEmpty(g) {
		c.must(c.d.MaxPool2dForward(bufOf(x), cudaPoolGeom(g), bufOf(out), arg.b))
	}
	return out, arg
}

func (c *cudaDevice) maxPoolBackward(gy *Tensor, arg saved, g poolGeom) *Tensor {
	gx := c.newTensor(gy.dtype, []int{g.n, g.c, g.h, g.w})
	if poolEmpty(g) {
		c.fill(gx, 0)
	} else {
		c.must(c.d.MaxPool2dBackward(bufOf(gy), arg.(*auxBuf).b, cudaPoolGeom(g), bufOf(gx)))
	}
	return gx
}

func cudaAdaptiveGeom(g adaptiveGeom) cuda.AdaptiveGeom {
	return cuda.AdaptiveGeom{N: g.n, C: g.c, H: g.h, W: g.w, OH: g.oh, OW: g.ow}
}

func (c *cudaDevice) adaptiveAvgPool(x *Tensor, g adaptiveGeom) *Tensor {
	out := c.newTensor(x.dtype, []int{g.n, g.c, g.oh, g.ow})
	if out.Numel() > 0 {
		c.must(c.d.AdaptiveAvgPool2dForward(bufOf(x), cudaAdaptiveGeom(g), bufOf(out)))
	}
	return out
}

func (c *cudaDevice) adaptiveAvgPoolBackward(gy *Tensor, g adaptiveGeom) *Tensor {
	gx := c.newTensor(gy.dtype, []int{g.n, g.c, g.h, g.w})
	if gy.Numel() == 0 {
		c.fill(gx, 0)
	} else {
		c.must(c.d.AdaptiveAvgPool2dBackward(bufOf(gy), cudaAdaptiveGeom(g), bufOf(gx)))
	}
	return gx
}

// bnSaved holds the statistics BatchNorm2dForward keeps for the backward
// pass: freed after it, or when unreachable.
type bnSaved struct {
	c *cudaDevice
	s *cuda.BNSaved
}

func (b *bnSaved) release() {
	if b.s != nil {
		b.c.d.Free(b.s.Mean)
		b.c.d.Free(b.s.Istd)
		b.s = nil
	}
}

func (c *cudaDevice) batchNorm(x, gamma, beta, runMean, runVar *Tensor, g bnGeom, training bool, momentum, eps float64) (*Tensor, saved) {
	out := c.like(x)
	s, err := c.d.BatchNorm2dForward(bufOf(x), bufOf(gamma), bufOf(beta), bufOf(runMean), bufOf(runVar), g.n, g.c, g.hw, training, momentum, eps, bufOf(out))
	c.must(err)
	st := &bnSaved{c: c, s: s}
	dev := c.d
	runtime.AddCleanup(st, func(s *cuda.BNSaved) { dev.Free(s.Mean); dev.Free(s.Istd) }, s)
	return out, st
}

func (c *cudaDevice) batchNormBackward(gy, x, gamma *Tensor, s saved, g bnGeom, training, needX, needG, needB bool) (gx, gg, gb *Tensor) {
	if needX {
		gx = c.like(x)
	}
	if needG {
		gg = c.like(gamma)
	}
	if needB {
		gb = c.like(gamma)
	}
	c.must(c.d.BatchNorm2dBackward(bufOf(gy), bufOf(x), bufOf(gamma), s.(*bnSaved).s, g.n, g.c, g.hw, training, bufOf(gx), bufOf(gg), bufOf(gb)))
	return gx, gg, gb
}

// ---------------------------------------------------------------- loss and optimiser

func (c *cudaDevice) crossEntropy(logits *Tensor, labels []int) (*Tensor, saved) {
	n, k := logits.shape[0], logits.shape[1]
	lab := c.labelsBuf(labels)
	out := c.newTensor(logits.dtype, nil)
	c.must(c.d.CrossEntropyForward(bufOf(logits), lab.b, n, k, bufOf(out)))
	return out, lab
}

func (c *cudaDevice) crossEntropyBackward(g, logits *Tensor, labels []int, s saved) *Tensor {
	n, k := logits.shape[0], logits.shape[1]
	gi := c.like(logits)
	c.must(c.d.CrossEntropyBackward(bufOf(logits), s.(*auxBuf).b, n, k, bufOf(g), bufOf(gi)))
	return gi
}

func (c *cudaDevice) sgdStep(p, g, buf *Tensor, lr, momentum, wd float64, first bool) {
	if p.Numel() == 0 {
		return
	}
	if buf != nil {
		checkSameDType("SGDUpdate", p, buf)
	}
	c.must(c.d.SGDStep(bufOf(p), bufOf(g), bufOf(buf), lr, momentum, wd, first))
}
