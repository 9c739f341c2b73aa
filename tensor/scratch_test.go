package tensor

import (
	"runtime"
	"testing"
)

// Each test uses a size class of its own (float64 buffers of odd lengths
// that no operation of the other tests asks for), so that the tests of the
// package can share the pools.

// Buffers given back are handed out again after a garbage collection: the
// pool does not lose what a training step gave back when the collector
// runs, as a sync.Pool would. (Eight buffers, because the trims run after
// the collections, asynchronously: one trim may still be pending from an
// earlier collection, and two trims leave four of eight unused buffers.)
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
	waitForTrim()
	c := getScratch[float64](n - 3) // same class
	if !given[&c[0]] {
		t.Fatalf("after a garbage collection none of the 8 buffers given back was reused")
	}
	putScratch(c)
}

// waitForTrim runs a garbage collection and waits until the trim it
// triggers has run.
func waitForTrim() {
	before := gcTrims.Load()
	runtime.GC()
	for gcTrims.Load() == before {
		runtime.Gosched()
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
	if got := len(pool64[class].bufs); got != 1 {
		t.Fatalf("the pool holds %d buffers of class %d, want 1", got, class)
	}
	// The trims run in the runtime's cleanup goroutine after each
	// collection; the one buffer is dropped by the second trim after it
	// arrived at the latest. Collections are counted, not time.
	for i := 0; ; i++ {
		runtime.GC()
		runtime.Gosched()
		pool64[class].mu.Lock()
		left := len(pool64[class].bufs)
		pool64[class].mu.Unlock()
		if left == 0 {
			break
		}
		if i == 1000 {
			t.Fatalf("after %d garbage collections the unused buffer is still pooled", i+1)
		}
	}
}
