package tensor

// Attacks on the recycling of storage that need to see the pools: after
// each scenario, no buffer may sit in a pool twice (a double put: two
// later results would share storage) and no buffer a live tensor still
// uses may sit in a pool (a use after give-back).

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// rtPoolContents counts the buffers the pools hold, by base address.
func rtPoolContents() map[uintptr]int {
	seen := map[uintptr]int{}
	for i := range pool32 {
		f := &pool32[i]
		f.mu.Lock()
		for _, b := range f.bufs {
			if cap(b) > 0 {
				seen[uintptr(unsafe.Pointer(unsafe.SliceData(b[:1])))]++
			}
		}
		f.mu.Unlock()
	}
	for i := range pool64 {
		f := &pool64[i]
		f.mu.Lock()
		for _, b := range f.bufs {
			if cap(b) > 0 {
				seen[uintptr(unsafe.Pointer(unsafe.SliceData(b[:1])))]++
			}
		}
		f.mu.Unlock()
	}
	return seen
}

func rtBase(t *Tensor) (uintptr, bool) {
	switch {
	case cap(t.f32) > 0:
		return uintptr(unsafe.Pointer(unsafe.SliceData(t.f32[:1]))), true
	case cap(t.f64) > 0:
		return uintptr(unsafe.Pointer(unsafe.SliceData(t.f64[:1]))), true
	}
	return 0, false
}

// rtCheckPool fails on a buffer held twice by the pools, or held by them
// while one of live (or its gradient) uses it.
func rtCheckPool(t *testing.T, scenario string, live ...*Tensor) {
	t.Helper()
	seen := rtPoolContents()
	for p, k := range seen {
		if k > 1 {
			t.Errorf("%s: the pools hold buffer %#x %d times (double put)", scenario, p, k)
		}
	}
	for i, l := range live {
		if l == nil {
			continue
		}
		for _, x := range []*Tensor{l, l.grad} {
			if x == nil {
				continue
			}
			if p, ok := rtBase(x); ok && seen[p] > 0 {
				t.Errorf("%s: live tensor %d (%s, grad %v) uses a buffer the pool holds", scenario, i, l.op, x == l.grad)
			}
		}
	}
}

// panicMessage runs f and returns its panic's message, "" when f returns.
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

func TestAttackPoolNoDoublePutNoLiveBuffer(t *testing.T) {
	const n = 1536 // a class size: New'd leaves of this size are poolable
	mkx := func(v float64) *Tensor { return Full(Float32, v, n).SetRequiresGrad(true) }

	// S1: Release twice, Release of a view and of its source, of a Detach.
	{
		var a, b, v, d *Tensor
		NoGrad(func() {
			a = Relu(Full(Float32, 1, n))
			b = Relu(Full(Float32, 2, n))
			v = Reshape(b, 2, n/2)
			d = b.Detach()
		})
		a.Release()
		if msg := panicMessage(func() { a.Release() }); !strings.Contains(msg, "Release gave back") {
			t.Errorf("S1: a second Release: panic %q, want the given-back message", msg)
		}
		v.Release()
		b.Release()
		rtCheckPool(t, "S1 Release twice / views", d)
		d.Release()
		rtCheckPool(t, "S1 Release of detach", d)
	}

	// S2: ReleaseAfterBackward plus BackwardAndRelease; plain Backward.
	{
		x := mkx(0.5)
		h := Sigmoid(x)
		h.ReleaseAfterBackward()
		h2 := Exp(h)
		h2.ReleaseAfterBackward()
		Sum(Mul(h2, h)).BackwardAndRelease()
		rtCheckPool(t, "S2 RAB + BAR", x)
		h = Sigmoid(x)
		h.ReleaseAfterBackward()
		Sum(Mul(h, h)).Backward()
		rtCheckPool(t, "S2 RAB + Backward", x)
		x.ZeroGrad()
		x.ZeroGrad()
		rtCheckPool(t, "S2 ZeroGrad twice", x)
	}

	// S3: BackwardAndRelease twice on one root; Backward after it.
	{
		x := mkx(0.25)
		l := Sum(Tanh(x))
		l.BackwardAndRelease()
		msg := panicMessage(func() { l.BackwardAndRelease() })
		rtCheckPool(t, "S3 BAR twice", x, l)
		msg2 := panicMessage(func() { l.Backward() })
		rtCheckPool(t, "S3 BAR then Backward", x, l)
		t.Logf("S3: second BackwardAndRelease: %q, then Backward: %q; root grad kept %v", msg, msg2, l.grad != nil)
		x.ZeroGrad()
		l.ZeroGrad()
		rtCheckPool(t, "S3 ZeroGrad of the root", x, l)
	}

	// S4: gradients: LendGrad+Release then ZeroGrad; Grad then ZeroGrad;
	// a lent gradient Released then a backward accumulating into it.
	{
		x := mkx(1)
		Sum(Mul(x, x)).BackwardAndRelease()
		x.LendGrad(func(g *Tensor) { g.Release() })
		rtCheckPool(t, "S4 lent gradient Released", x)
		x.ZeroGrad()
		rtCheckPool(t, "S4 ZeroGrad after Release of the lent gradient", x)

		Sum(Mul(x, x)).BackwardAndRelease()
		x.LendGrad(func(g *Tensor) { g.Release() })
		msg := panicMessage(func() { Sum(Mul(x, x)).BackwardAndRelease() })
		rtCheckPool(t, "S4 accumulate into a Released gradient", x)
		t.Logf("S4: accumulating into a Released gradient: %q", msg)
		x.grad = nil

		Sum(Mul(x, x)).BackwardAndRelease()
		g := x.Grad()
		x.ZeroGrad()
		rtCheckPool(t, "S4 Grad then ZeroGrad", x, g)
	}

	// S5: passOn chains and a root that is a view.
	{
		x := mkx(0.5)
		y := mkx(0.25)
		h := AddScalar(x, 1)
		s := Add(Add(h, h), Add(x, x))
		s = Add(s, Sub(y, y))
		s = Add(Reshape(s, 3, n/3), Reshape(Mul(y, y), 3, n/3))
		root := Reshape(Sum(s), 1)
		root.BackwardAndRelease()
		rtCheckPool(t, "S5 passOn chains", x, y, root)
		x.ZeroGrad()
		y.ZeroGrad()
		rtCheckPool(t, "S5 ZeroGrad", x, y, root)
	}

	// S6: a second loss over the released trunk panics midway; the user
	// recovers and goes on.
	{
		x := mkx(0.5)
		w := mkx(0.25)
		h := Mul(x, w)
		a := Relu(h)
		l1 := Sum(a)
		l2 := Sum(Mul(Exp(w), a))
		l1.BackwardAndRelease()
		msg := panicMessage(func() { l2.BackwardAndRelease() })
		rtCheckPool(t, "S6 panicking second backward", x, w, l1, l2)
		x.ZeroGrad()
		w.ZeroGrad()
		rtCheckPool(t, "S6 ZeroGrad after the panic", x, w, l1, l2)
		t.Logf("S6: %q", msg)
	}

	// S7: the caller Releases an input (New'd, so poolable) that a live
	// graph's closure reads, then backpropagates.
	{
		w := Full(Float32, 0.5, 4, n/4).SetRequiresGrad(true)
		in := Full(Float32, 1, 3, n/4)
		l := Sum(Linear(in, w, nil))
		in.Release()
		msg := panicMessage(func() { l.BackwardAndRelease() })
		rtCheckPool(t, "S7 released input", w, l)
		t.Logf("S7: backward after Release of the input: %q", msg)
	}

	// S8: a leaf used twice in one op and in a product with itself.
	{
		x := mkx(0.5)
		l := Sum(Add(Mul(x, x), Add(x, x)))
		l.BackwardAndRelease()
		rtCheckPool(t, "S8 same leaf twice", x, l)
		if msg := panicMessage(func() {
			for _, v := range x.grad.f32 {
				if v != 3 {
					panic(fmt.Sprint("gradient ", v, ", want 3"))
				}
			}
		}); msg != "" {
			t.Errorf("S8: %s", msg)
		}
		x.ZeroGrad()
		rtCheckPool(t, "S8 ZeroGrad", x)
	}

	// S9: BackwardWith from a non-scalar intermediate root, with the
	// upstream gradient being another intermediate (copied, not adopted).
	{
		x := mkx(0.5)
		h := Sigmoid(x)
		up := Relu(x)
		h.BackwardWith(up)
		rtCheckPool(t, "S9 BackwardWith an intermediate", x, h, up)
		x.ZeroGrad()
		rtCheckPool(t, "S9 ZeroGrad", x, h, up)
	}
}

// A leaf's gradient and a closure: no path lets two leaves end up with
// one gradient buffer (ZeroGrad of one would then recycle the other's).
func TestAttackNoTwoLeavesShareAGradient(t *testing.T) {
	const n = 1536
	a := Full(Float32, 0.5, n).SetRequiresGrad(true)
	b := Full(Float32, 0.25, n).SetRequiresGrad(true)
	c := Full(Float32, 0.75, 3, n/3).SetRequiresGrad(true)
	s := Add(Add(AddScalar(a, 1), b), Reshape(c, n))
	Sum(Mul(s, s)).BackwardAndRelease()
	pa, _ := rtBase(a.grad)
	pb, _ := rtBase(b.grad)
	pc, _ := rtBase(c.grad)
	if pa == pb || pa == pc || pb == pc {
		t.Fatalf("two leaves share a gradient buffer: %#x %#x %#x", pa, pb, pc)
	}
	a.ZeroGrad()
	rtCheckPool(t, "ZeroGrad a", b, c)
}

// The ended sentinel is what keeps an ended tensor out of every kernel.
// ZeroGrad gave an unshared gradient back with release, which emptied it
// without ending it: whoever still held that gradient object (a LendGrad
// callback that kept it) passed devOf and reached kernels with nil
// storage. It must be ended.
func TestAttackZeroGradDoesNotEnd(t *testing.T) {
	x := Full(Float32, 2, 1024).SetRequiresGrad(true)
	Sum(Mul(x, x)).Backward()
	g := x.grad // what a LendGrad callback could have kept
	x.ZeroGrad()
	msg := panicMessage(func() { devOf("probe", g) })
	var first any = "panic"
	if m := panicMessage(func() { first = g.Float64s()[0] }); m != "" {
		first = "panic: " + m
	}
	t.Logf("after ZeroGrad the old gradient: devOf panic %q; Released() %v; Float64s()[0] %v", msg, g.Released(), first)
	if !strings.Contains(msg, "gave back") {
		t.Errorf("a gradient given back by ZeroGrad is not ended: it passes devOf and reads as zeros")
	}
}
