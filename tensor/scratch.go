package tensor

import (
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// Buffer pools. Two kinds of storage are recycled instead of being left to
// the garbage collector, so that a training loop stops allocating (and the
// kernel stops zeroing fresh pages) once its first steps have filled the
// pools:
//
//   - scratch: temporaries an operation takes and gives back itself
//     (im2col matrices, per-goroutine partial sums, transposed weights);
//   - gradients of intermediate results: backward closures take their
//     output gradients from the pool (newGrad), and BackwardWith gives a
//     non-leaf's gradient back once that node's closure has run.
//
// Ownership rule: a buffer is given back only by the code that holds the
// only reference to it. For gradients this holds because the engine makes
// every non-leaf gradient itself: accum either adopts a buffer that a
// backward closure has just made and handed over (owned = true; closures
// never keep the buffers they hand over or the gradient they receive) or
// copies it. A leaf's gradient goes back at ZeroGrad only if it was never
// handed out (Grad marks it shared; optimisers read it with LendGrad).
// Forward results go back only when the caller says it keeps none of them
// (Release, ReleaseAfterBackward, BackwardAndRelease), and then through
// end, which makes the tensor panic on any later use and gives the storage
// back only if nothing shares it: Reshape, Detach, Data32, Data64 and
// FromFloat32 mark storage shared (Tensor.shared), so that a view or a
// slice the caller holds keeps its values.
//
// Buffers come back with arbitrary contents. Sizes are rounded up to a
// class (at most 1/8 more), so that buffers of nearby sizes are shared.
//
// The pools hold their buffers across garbage collections, unlike a
// sync.Pool, which empties within two: a ResNet-18 training step leaves
// about 200 MB of garbage (the forward results of user modules, which
// nothing may recycle), so the collector runs about once a step, and a
// sync.Pool lost the recycled buffers as fast as the step gave them back;
// each was then allocated afresh, zeroed and faulted in page by page. What
// a pool holds is bounded instead by trimming: at each collection, half of
// the buffers of a class that were never taken since the previous one
// (rounded up) are dropped, so a program that stops using a size gives its
// memory back after a few collections.

var pool32 [64 * 8]freeList[float32]
var pool64 [64 * 8]freeList[float64]

// A freeList holds the buffers of one size class.
type freeList[T float] struct {
	mu   sync.Mutex
	bufs [][]T
	// low is the fewest buffers held since the last trim: that many were
	// not needed in the meantime.
	low int
}

func (f *freeList[T]) get() []T {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.bufs)
	if n == 0 {
		return nil
	}
	b := f.bufs[n-1]
	f.bufs[n-1] = nil
	f.bufs = f.bufs[:n-1]
	f.low = min(f.low, n-1)
	return b
}

func (f *freeList[T]) put(b []T) {
	f.mu.Lock()
	f.bufs = append(f.bufs, b)
	f.mu.Unlock()
}

// trim drops half (rounded up) of the buffers not taken since the last
// trim and returns how many it dropped.
func (f *freeList[T]) trim() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	drop := (f.low + 1) / 2
	n := len(f.bufs)
	for i := n - drop; i < n; i++ {
		f.bufs[i] = nil
	}
	// The oldest buffers sit at the bottom of the stack; the ones
	// dropped are the top ones, the same size, so which is immaterial.
	f.bufs = f.bufs[:n-drop]
	f.low = len(f.bufs)
	return drop
}

// trimPools trims every class of both pools.
func trimPools() (dropped int) {
	for i := range pool32 {
		dropped += pool32[i].trim()
	}
	for i := range pool64 {
		dropped += pool64[i].trim()
	}
	return dropped
}

// trimAtEachGC runs trimPools once after every garbage collection: a
// cleanup on an object that nothing references runs after the collection
// that finds it unreachable, and arms the next one.
func trimAtEachGC() {
	sentinel := &struct{ _ *int }{} // holds a pointer: not tiny-allocated
	runtime.AddCleanup(sentinel, func(struct{}) {
		trimPools()
		gcTrims.Add(1)
		trimAtEachGC()
	}, struct{}{})
}

func init() { trimAtEachGC() }

// gcTrims counts the trims trimAtEachGC has run.
var gcTrims atomic.Int64

// sizeClass rounds n up to its class: below 16 n itself, otherwise n with
// all but its 4 leading bits rounded up.
func sizeClass(n int) (size, class int) {
	if n < 16 {
		return n, n
	}
	shift := bits.Len(uint(n-1)) - 4
	q := (n-1)>>shift + 1 // 9..16
	return q << shift, 16 + shift*8 + q - 9
}

// getScratch returns a buffer of n elements with arbitrary contents.
func getScratch[T float](n int) []T {
	if n == 0 {
		return nil
	}
	size, class := sizeClass(n)
	if b := poolFor[T](class).get(); b != nil {
		return b[:n]
	}
	return make([]T, n, size)
}

// putScratch gives back a buffer that nothing else refers to. Buffers whose
// capacity is not a class size (not from getScratch) are left to the
// garbage collector.
func putScratch[T float](s []T) {
	c := cap(s)
	if c == 0 {
		return
	}
	size, class := sizeClass(c)
	if size != c {
		return
	}
	poolFor[T](class).put(s[:c])
}

func poolFor[T float](class int) *freeList[T] {
	var z T
	if _, ok := any(z).(float32); ok {
		return any(&pool32[class]).(*freeList[T])
	}
	return any(&pool64[class]).(*freeList[T])
}

// newGrad returns a tensor of t's dtype and shape for a gradient, from the
// pool; zeroed when zero is set, otherwise with arbitrary contents that
// the caller overwrites entirely.
func newGrad(t *Tensor, zero bool) *Tensor {
	return newPooled(t.dtype, zero, t.shape...)
}

// newOut returns an operation's result tensor with storage from the pool
// and arbitrary contents: for kernels that write every element.
func newOut(dtype DType, shape ...int) *Tensor { return newPooled(dtype, false, shape...) }

// newPooled is New with storage from the pool, zeroed only when zero is set.
func newPooled(dtype DType, zero bool, shape ...int) *Tensor {
	out := &Tensor{shape: append([]int(nil), shape...), dtype: dtype}
	n := numel(shape)
	if dtype == Float32 {
		out.f32 = getScratch[float32](n)
		if zero {
			clearPar(out.f32)
		}
	} else {
		out.f64 = getScratch[float64](n)
		if zero {
			clearPar(out.f64)
		}
	}
	return out
}

// clearPar zeroes s, on every core when it is long (gradients of ResNet
// weights and activations are megabytes).
func clearPar[T float](s []T) {
	parallelFor(len(s), 16, func(lo, hi int) { clear(s[lo:hi]) })
}

// release gives t's storage back to the pool (a device's memory back to
// the device) and empties t. It is for buffers only the engine has seen:
// intermediate gradients, scratch tensors. A result the user may hold is
// ended instead (end), which checks that nothing else shares the storage.
func release(t *Tensor) {
	if t.dev != nil {
		t.dev.free()
		t.dev = nil
		return
	}
	if t.f32 != nil {
		putScratch(t.f32)
	}
	if t.f64 != nil {
		putScratch(t.f64)
	}
	t.f32, t.f64 = nil, nil
}

// markShared records that t's storage may be referenced from outside t
// (a view, a slice handed out or wrapped), and returns t.
func markShared(t *Tensor) *Tensor {
	t.shared.Store(true)
	return t
}

// end makes t unusable, so that any later use panics (ended.fail) instead
// of reading memory another result may be using, and gives its storage
// back to the pool unless something else may refer to it (t.shared): a
// view, or a slice from Data32, keeps its values and stays with the
// garbage collector. why names the call that ended t and what says what t
// was, for the panic.
func end(t *Tensor, why, what string) {
	if t.Released() {
		return
	}
	if !t.shared.Load() {
		release(t)
	}
	e := ended{why: why, what: what}
	t.f32, t.f64, t.dev, t.device = nil, nil, e, e
}

// resultOf describes t for end: the operation that made it.
func resultOf(t *Tensor) string {
	if t.op == "" {
		return "a tensor made outside autograd"
	}
	return "the result of " + t.op
}

// ended stands in for the storage and device of a tensor whose storage was
// given back: every path that reads data either checks for a device (and
// so reaches fail, through devOf, backendOf or hostOnly) or finds no
// storage.
type ended struct{ why, what string }

func (ended) free() {}

// Name is what Device() reports for an ended tensor.
func (e ended) Name() string { return "released storage" }

// fail panics for a use of the ended tensor in what.
func (e ended) fail(use string) {
	panic(fmt.Sprintf("tensor: %s of a tensor whose storage %s gave back (%s): keep what you need before that call, or copy it with Clone", use, e.why, e.what))
}

// Released reports whether t's storage was given back (Release,
// ReleaseAfterBackward, BackwardAndRelease), so that using t panics. Its
// shape and operation stay readable.
func (t *Tensor) Released() bool {
	_, ok := t.dev.(ended)
	return ok
}

// failIfEnded panics when t was ended.
func (t *Tensor) failIfEnded(what string) {
	if e, ok := t.dev.(ended); ok {
		e.fail(what)
	}
}

// Release gives t's storage to the engine's buffer pool, to be reused by a
// later operation, and empties t. It is for code that knows it holds the
// only reference to an intermediate result: nn.Sequential releases the
// results passed between its built-in layers when no gradients are
// recorded. After Release neither t nor any tensor or slice sharing its
// storage (Reshape, Detach, Data32) may be used. Storage that did not come
// from the pool is left to the garbage collector.
func (t *Tensor) Release() {
	t.failIfEnded("Release")
	if t.backward != nil || t.requiresGrad {
		panic("tensor: Release of a tensor with autograd history or requiring a gradient")
	}
	end(t, "Release", resultOf(t))
}

// ReleaseAfterBackward marks t, an operation's result, as an intermediate
// that nothing will read except the operations recorded from it: its
// storage goes back to the engine's buffer pool at the end of the next
// backward pass whose graph contains t, once every backward closure that
// reads it has run. It is for code that made t and does not hand it out:
// nn.Sequential marks the results passed between its built-in layers while
// gradients are recorded, so that a training loop reuses the same memory
// step after step instead of leaving it to the garbage collector. After
// that backward pass neither t nor anything sharing its storage may be
// used. Leaves, tensors without history (they are in no backward pass and
// stay with the garbage collector) and device tensors are left alone.
func (t *Tensor) ReleaseAfterBackward() {
	if t.backward == nil || t.dev != nil {
		return
	}
	t.releaseAfterBackward = true
}
