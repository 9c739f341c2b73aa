package tensor

import (
	"fmt"
	"slices"
	"sync/atomic"
)

// gradDisabled counts nested no-grad scopes. It is process-wide: Go has no
// goroutine-local state, and the engine's one user of concurrency (a
// training loop evaluating between epochs) never overlaps the two.
var gradDisabled atomic.Int32

// NoGrad runs f with gradient recording switched off, as PyTorch's
// torch.no_grad(): results computed inside have no history.
//
// Unlike PyTorch's thread-local switch, this one is process-wide: while f
// runs, operations on every goroutine record no history. Do not train on
// one goroutine while another is inside NoGrad (its Backward would find no
// graph and panic saying so); nesting and sequential use are safe.
func NoGrad(f func()) {
	gradDisabled.Add(1)
	defer gradDisabled.Add(-1)
	f()
}

// GradEnabled reports whether operations currently record history.
func GradEnabled() bool { return gradDisabled.Load() == 0 }

// SetRequiresGrad marks a leaf tensor as a parameter whose gradient is
// wanted, and returns it.
func (t *Tensor) SetRequiresGrad(on bool) *Tensor {
	if t.backward != nil {
		panic(fmt.Sprintf("tensor: SetRequiresGrad on a non-leaf tensor (op %s); use Detach first", t.op))
	}
	t.requiresGrad = on
	return t
}

// RequiresGrad reports whether a gradient flows to or through t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// Grad returns the accumulated gradient of a leaf (nil before any
// Backward). The caller may keep it: ZeroGrad then leaves its storage to
// the garbage collector.
func (t *Tensor) Grad() *Tensor {
	if t.grad != nil {
		t.grad.shared.Store(true)
	}
	return t.grad
}

// LendGrad calls f with t's gradient (nil when there is none) without
// handing it out as Grad does: f must not keep g, or anything sharing its
// storage, after it returns. An optimiser's step reads the gradients this
// way, so that the next ZeroGrad can give their storage back to the
// engine's buffer pool instead of leaving it to the garbage collector.
func (t *Tensor) LendGrad(f func(g *Tensor)) { f(t.grad) }

// ZeroGrad drops the accumulated gradient (PyTorch's set_to_none). Its
// storage goes back to the engine's buffer pool unless the gradient was
// handed out (Grad) or its storage shared; a gradient kept from LendGrad
// against its rule then panics on use.
func (t *Tensor) ZeroGrad() {
	if t.grad != nil && !t.grad.shared.Load() {
		end(t.grad, "ZeroGrad", "a gradient, kept past ZeroGrad")
	}
	t.grad = nil
}

// Detach returns a tensor sharing t's data with no history.
func (t *Tensor) Detach() *Tensor {
	t.failIfEnded("Detach")
	markShared(t)
	return markShared(&Tensor{shape: t.shape, dtype: t.dtype, f32: t.f32, f64: t.f64, device: t.device, dev: t.dev})
}

// IsLeaf reports whether t was created by the user rather than an operation.
func (t *Tensor) IsLeaf() bool { return t.backward == nil }

// record attaches history to out when gradients are on and some input needs
// one. backward receives the gradient with respect to out.
func record(out *Tensor, op string, backward func(g *Tensor), inputs ...*Tensor) *Tensor {
	out.op = op
	if !GradEnabled() {
		return out
	}
	need := false
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			need = true
			break
		}
	}
	if !need {
		return out
	}
	out.requiresGrad = true
	out.parents = inputs
	out.backward = backward
	return out
}

// accum adds g into t's gradient. owned says g is a fresh buffer nobody else
// holds, so it can become t.grad without a copy, and goes back to the pool
// (scratch.go) when it has been added into an existing gradient.
func accum(t *Tensor, g *Tensor, owned bool) {
	if t == nil || !t.requiresGrad {
		if owned {
			release(g)
		}
		return
	}
	if !slices.Equal(t.shape, g.shape) {
		panic(fmt.Sprintf("tensor: internal: gradient of shape %v for tensor of shape %v (op %s)", g.shape, t.shape, t.op))
	}
	if t.grad == nil {
		switch {
		case owned:
			t.grad = &Tensor{shape: t.shape, dtype: g.dtype, f32: g.f32, f64: g.f64, device: g.device, dev: g.dev}
		case g.dev == nil:
			// A copy in a pooled buffer, on both cores: Clone's fresh
			// allocation is zeroed by the runtime on one core first.
			c := newPooled(g.dtype, false, t.shape...)
			c.device = g.device
			if g.dtype == Float32 {
				copyPar(c.f32, g.f32)
			} else {
				copyPar(c.f64, g.f64)
			}
			t.grad = c
		default:
			t.grad = g.Clone()
			t.grad.shape = t.shape
		}
		return
	}
	if t.grad.dev != nil || g.dev != nil {
		devOf("gradient accumulation", t.grad, g).axpy(t.grad, g, 1)
	} else if t.dtype == Float32 {
		axpy(t.grad.f32, g.f32, 1)
	} else {
		axpy(t.grad.f64, g.f64, 1)
	}
	if owned {
		release(g)
	}
}

// passOn hands g, the gradient a backward closure received for its own
// result, on to t unchanged (Add, Reshape): t adopts g's storage instead
// of a copy, and g is left empty, so that BackwardWith, which gives g back
// to the pool once the closure has run, gives back nothing. It must be the
// closure's last use of g; t's shape has g's number of elements.
func passOn(t, g *Tensor) {
	if t == nil || !t.requiresGrad {
		return
	}
	if t.dtype != g.dtype {
		accum(t, &Tensor{shape: t.shape, dtype: g.dtype, f32: g.f32, f64: g.f64, device: g.device, dev: g.dev}, false)
		return
	}
	h := &Tensor{shape: t.shape, dtype: g.dtype, f32: g.f32, f64: g.f64, device: g.device, dev: g.dev}
	g.f32, g.f64, g.dev = nil, nil, nil
	accum(t, h, true)
}

// copyPar copies src into dst (as long), on both cores when long.
func copyPar[T float](dst, src []T) {
	src = src[:len(dst)]
	parallelFor(len(dst), 16, func(lo, hi int) { copy(dst[lo:hi], src[lo:hi]) })
}

// accumAll hands each non-nil gradient of a backward kernel to accum:
// pairs of (input, its gradient).
func accumAll(ts ...*Tensor) {
	for i := 0; i+1 < len(ts); i += 2 {
		if ts[i+1] != nil {
			accum(ts[i], ts[i+1], true)
		}
	}
}

// axpy does dst += a*src, on both cores when long (elementwise: the split
// cannot change a result).
func axpy[T float](dst, src []T, a T) {
	src = src[:len(dst)]
	parallelFor(len(dst), 16, func(lo, hi int) {
		d, s := dst[lo:hi], src[lo:hi]
		for i := range d {
			d[i] += a * s[i]
		}
	})
}

// Backward computes the gradient of the scalar t with respect to every leaf
// that requires one, accumulating into their Grad. The history is released
// afterwards, as PyTorch does without retain_graph.
func (t *Tensor) Backward() {
	if t.Numel() != 1 {
		panic(fmt.Sprintf("tensor: Backward needs a scalar, found shape %v (reduce with Sum or Mean first)", t.shape))
	}
	t.BackwardWith(onesLike(t))
}

// BackwardAndRelease is Backward for a training loop that keeps none of
// the step's intermediate results: after the backward pass it gives the
// storage of every tensor the graph computed, except t itself, back to the
// engine's buffer pool, so that the next step reuses it while it is still
// in the cache instead of leaving it to the garbage collector (in Python,
// reference counting does this for PyTorch). Those tensors end: any later
// use of one (an operation, Item, Data32, ...) panics, naming the
// operation that made it, so a value needed after the step (the logits
// for an accuracy count) is read before this call. A result whose storage
// is shared (a Reshape or Detach view of it or by it, a slice from Data32)
// ends too, but its storage is left to the garbage collector, so the
// views and slices keep their values. Leaves (parameters, inputs) and
// their gradients are untouched.
func (t *Tensor) BackwardAndRelease() {
	if t.Numel() != 1 {
		panic(fmt.Sprintf("tensor: BackwardAndRelease needs a scalar, found shape %v (reduce with Sum or Mean first)", t.shape))
	}
	t.backwardFrom(onesLike(t), true)
}

// BackwardWith starts backpropagation from a non-scalar t with the given
// upstream gradient (the vector in a vector-Jacobian product).
func (t *Tensor) BackwardWith(grad *Tensor) { t.backwardFrom(grad, false) }

// backwardFrom runs the backward pass from t; endResults ends every
// non-leaf of the graph but t afterwards (BackwardAndRelease).
func (t *Tensor) backwardFrom(grad *Tensor, endResults bool) {
	t.failIfEnded("Backward")
	if !t.requiresGrad {
		panic("tensor: Backward on a tensor that does not require a gradient (no input had SetRequiresGrad(true), or it was computed under NoGrad)")
	}
	if !slices.Equal(grad.shape, t.shape) {
		panic(fmt.Sprintf("tensor: BackwardWith: gradient shape %v for tensor shape %v", grad.shape, t.shape))
	}
	if grad.Device() != t.Device() {
		grad = moveData(grad, t.Device())
	}
	order := topoOrder(t)
	checkGraph(order)
	accum(t, grad.To(t.dtype), false)
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.backward == nil {
			continue
		}
		if n.grad != nil {
			n.backward(n.grad)
			// The intermediate gradient's storage belongs to n alone
			// (see scratch.go): back to the pool.
			release(n.grad)
		}
		// Release the intermediate gradient and the history.
		n.grad = nil
		n.backward = nil
		n.parents = nil
		n.historyFreed = true
	}
	// Every closure that could read a marked result has run and been
	// dropped: the storage of marked results goes back to the pool, and
	// with endResults that of every result this pass went through (the
	// nodes whose history it freed; checkGraph refused any freed before).
	for _, n := range order {
		switch {
		case n.releaseAfterBackward:
			n.releaseAfterBackward = false
			end(n, "ReleaseAfterBackward", resultOf(n))
		case endResults && n != t && n.historyFreed:
			end(n, "BackwardAndRelease", resultOf(n))
		}
	}
}

// checkGraph panics, before any gradient is accumulated, when the backward
// pass over order could not be complete: a result whose history an
// earlier backward pass used and dropped (its inputs would silently get
// no gradient through it), or a closure that would read a result given
// back by an earlier BackwardAndRelease through a shared part of the
// graph.
func checkGraph(order []*Tensor) {
	for _, n := range order {
		if n.historyFreed {
			panic(fmt.Sprintf("tensor: Backward through the result of %s, whose history an earlier backward pass used and dropped: add the losses and call Backward once (PyTorch would need retain_graph=True)", n.op))
		}
		// A result with history cannot have been given back (that
		// frees its history first); its inputs can (Release).
		for _, p := range n.parents {
			if p != nil {
				p.failIfEnded("Backward through " + n.op)
			}
		}
	}
}

// topoOrder lists the nodes reachable from root, inputs before outputs,
// without recursion (ResNet graphs are deep).
func topoOrder(root *Tensor) []*Tensor {
	var order []*Tensor
	visited := map[*Tensor]bool{}
	type frame struct {
		t    *Tensor
		next int
	}
	stack := []frame{{t: root}}
	visited[root] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next < len(top.t.parents) {
			p := top.t.parents[top.next]
			top.next++
			if p != nil && p.requiresGrad && !visited[p] {
				visited[p] = true
				stack = append(stack, frame{t: p})
			}
			continue
		}
		order = append(order, top.t)
		stack = stack[:len(stack)-1]
	}
	return order
}
