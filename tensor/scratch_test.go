package tensor

import (
	"runtime"
	"slices"
	"testing"
)

// Each test uses a size class of its own (float64 buffers of odd lengths
// that no operation of the other tests asks for), so that the tests of the
// package can share the pools.

// Buffers given back are handed out again after garbage collections: the
// pool does not lose what a training step gave back when the collector
// runs, as a sync.Pool would (it keeps its items through one collection,
// in its victim cache, and loses them at the second). Eight buffers,
// because the trims run after the collections, asynchronously: besides
// the two awaited, one may still be pending from an earlier collection,
// and three trims leave two of eight unused buffers.
func TestScratchSurvivesGC(t *testing.T) {
	const n = 123_457
	given := map[*float64]bool{}
	var bufs [][]float64
	for range 8 {
		b := getScratch[float64](n)
		if len(b) != n {
			t.Fatalf("getScratch(%d): length %d", n, len(b))
		}
		given[&b[0]] = true
		bufs = append(bufs, b)
	}
	for _, b := range bufs {
		putScratch(b)
	}
	waitForTrims(t, 2)
	c := getScratch[float64](n - 3) // same class
	if !given[&c[0]] {
		t.Fatalf("after two garbage collections none of the 8 buffers given back was reused")
	}
	putScratch(c)
}

// waitForTrims runs garbage collections until n more trims have run. It
// fails after 1,000 collections without them: the cleanup that trims the
// pools has stopped re-arming itself.
func waitForTrims(t *testing.T, n int64) {
	t.Helper()
	want := gcTrims.Load() + n
	for gcs := 0; gcTrims.Load() < want; gcs++ {
		if gcs == 1000 {
			t.Fatalf("%d garbage collections ran %d of the %d trims awaited: the pools are no longer trimmed", gcs, n-(want-gcTrims.Load()), n)
		}
		runtime.GC()
		for range 1000 {
			if gcTrims.Load() >= want {
				break
			}
			runtime.Gosched()
		}
	}
}

// trim drops half (rounded up) of the buffers that no one took since the
// previous trim, and keeps the ones in use in the meantime.
func TestFreeListTrim(t *testing.T) {
	var f freeList[float64]
	for range 5 {
		f.put(make([]float64, 4))
	}
	if d := f.trim(); d != 0 {
		t.Fatalf("first trim dropped %d: the five buffers arrived after the last trim", d)
	}
	want := []struct{ dropped, left int }{{3, 2}, {1, 1}, {1, 0}, {0, 0}}
	for i, w := range want {
		if d := f.trim(); d != w.dropped || len(f.bufs) != w.left {
			t.Fatalf("idle trim %d: dropped %d, %d left; want %d, %d left", i+1, d, len(f.bufs), w.dropped, w.left)
		}
	}

	// Four buffers, three of which are taken and given back between two
	// trims: the low-water mark is one, so one is dropped (half, rounded
	// up), and the three that were used stay.
	for range 4 {
		f.put(make([]float64, 4))
	}
	f.trim()
	b1, b2, b3 := f.get(), f.get(), f.get()
	f.put(b1)
	f.put(b2)
	f.put(b3)
	if d := f.trim(); d != 1 || len(f.bufs) != 3 {
		t.Fatalf("trim after three of four buffers were used: dropped %d, %d left; want 1, 3 left", d, len(f.bufs))
	}
}

// The pools are trimmed after garbage collections without anyone asking:
// a buffer nobody takes again is let go after a few collections.
func TestPoolsTrimmedAtGC(t *testing.T) {
	const n = 98_765
	_, class := sizeClass(n)
	putScratch(make([]float64, n)) // not a class size: left to the GC
	putScratch(getScratch[float64](n))
	held := func() int {
		pool64[class].mu.Lock()
		defer pool64[class].mu.Unlock()
		return len(pool64[class].bufs)
	}
	if got := held(); got != 1 {
		t.Fatalf("the pool holds %d buffers of class %d, want 1", got, class)
	}
	// The trims run in the runtime's cleanup goroutine after each
	// collection; the one buffer is dropped by the second trim after it
	// arrived at the latest (a third may be needed if a trim was pending
	// from an earlier collection). Trims are counted, not time.
	waitForTrims(t, 3)
	if got := held(); got != 0 {
		t.Fatalf("after three trims the unused buffer is still pooled (%d held)", got)
	}
}

// BackwardAndRelease gives each intermediate result's storage to the pool
// once, even one also marked with ReleaseAfterBackward, and never the
// storage of one that a view shares, nor of the loss or the leaves.
func TestBackwardAndReleaseRecycles(t *testing.T) {
	const n = 98_767 // float64: a class no other test uses
	base := func(s []float64) *float64 { return &s[:1][0] }
	drain := func() map[*float64]int {
		seen := map[*float64]int{}
		f := poolFor[float64](classOf(n))
		for b := f.get(); b != nil; b = f.get() {
			seen[base(b)]++
		}
		return seen
	}
	drain()

	x := Full(Float64, 0.5, n).SetRequiresGrad(true)
	h := Sigmoid(x)
	h.ReleaseAfterBackward() // ended twice: given back once
	m := Mul(h, h)
	l := Sum(m)
	hBuf, mBuf, xBuf := base(h.f64), base(m.f64), base(x.f64)
	l.BackwardAndRelease()
	got := drain()
	if got[hBuf] != 1 || got[mBuf] != 1 || got[xBuf] != 0 {
		t.Fatalf("pool holds h's buffer %d times, m's %d, the leaf's %d; want 1, 1, 0", got[hBuf], got[mBuf], got[xBuf])
	}
	if !h.Released() || !m.Released() || l.Released() || x.Released() {
		t.Fatalf("ended: h %v, m %v, loss %v, leaf %v; want true, true, false, false", h.Released(), m.Released(), l.Released(), x.Released())
	}

	// A view of h outside the loss: h ends, its storage stays with the
	// view.
	h = Sigmoid(x)
	v := Reshape(h, 1, n)
	hBuf = base(h.f64)
	Sum(Mul(h, h)).BackwardAndRelease()
	if got := drain(); got[hBuf] != 0 || !h.Released() || v.Released() {
		t.Fatalf("shared storage: pool holds it %d times, h ended %v, view ended %v; want 0, true, false", got[hBuf], h.Released(), v.Released())
	}
}

// classOf is the size class of n elements.
func classOf(n int) int {
	_, c := sizeClass(n)
	return c
}

// ZeroGrad gives a gradient's storage to the pool when nobody was handed
// the gradient (LendGrad lends it without handing it out), and leaves it
// to the garbage collector, values intact, when Grad handed it out.
func TestZeroGradRecycles(t *testing.T) {
	const n = 98_771 // float64: a class no other test uses
	f := poolFor[float64](classOf(n))
	holds := func(p *float64) (k int) {
		var all [][]float64
		for b := f.get(); b != nil; b = f.get() {
			if &b[:1][0] == p {
				k++
			}
			all = append(all, b)
		}
		for _, b := range all {
			f.put(b)
		}
		return k
	}
	x := Full(Float64, 0.5, n).SetRequiresGrad(true)
	step := func() *float64 {
		Sum(Mul(x, x)).Backward()
		var buf *float64
		x.LendGrad(func(g *Tensor) { buf = &g.f64[:1][0] })
		return buf
	}

	lent := step()
	x.ZeroGrad()
	if k := holds(lent); k != 1 {
		t.Fatalf("a lent gradient: the pool holds its storage %d times, want 1", k)
	}

	handed := step()
	g := x.Grad()
	want := g.Float64s()
	x.ZeroGrad()
	if k := holds(handed); k != 0 {
		t.Fatalf("a gradient handed out by Grad: the pool holds its storage %d times, want 0", k)
	}
	for range 3 {
		step()
		x.ZeroGrad()
	}
	if !slices.Equal(g.Float64s(), want) {
		t.Fatal("a gradient handed out by Grad changed after ZeroGrad: its storage was reused")
	}
}
