//go:build cuda

package cuda

import (
	"errors"
	"testing"
)

// fakeMem hands out fake addresses and enforces a capacity.
type fakeMem struct {
	next, capacity, used uint64
	live                 map[uintptr]uint64
	mallocs, frees       int
}

func newFakeMem(capacity uint64) *fakeMem {
	return &fakeMem{next: 1 << 20, capacity: capacity, live: map[uintptr]uint64{}}
}

func (f *fakeMem) malloc(b uint64) (uintptr, error) {
	if f.used+b > f.capacity {
		return 0, errOutOfMemory
	}
	p := uintptr(f.next)
	f.next += b
	f.used += b
	f.live[p] = b
	f.mallocs++
	return p, nil
}

func (f *fakeMem) free(p uintptr) error {
	b, ok := f.live[p]
	if !ok {
		return errors.New("double or foreign free")
	}
	delete(f.live, p)
	f.used -= b
	f.frees++
	return nil
}

func TestSizeClass(t *testing.T) {
	for _, c := range []struct{ in, want uint64 }{
		{0, 512}, {1, 512}, {512, 512}, {513, 1024}, {1 << 20, 1 << 20},
		{1<<20 + 1, 1<<20 + 1<<18}, {3 << 20, 3 << 20}, {5<<20 + 7, 6 << 20},
	} {
		if got := sizeClass(c.in); got != c.want {
			t.Errorf("sizeClass(%d) = %d, want %d", c.in, got, c.want)
		}
	}
	for b := uint64(1); b < 1<<30; b = b*3 + 1 {
		c := sizeClass(b)
		if c < b || (b > 1<<20 && float64(c) > 1.25*float64(b)+1) {
			t.Errorf("sizeClass(%d) = %d wastes too much or is too small", b, c)
		}
	}
}

// A training loop's repeated allocations hit the free list after the
// first step.
func TestPoolReuse(t *testing.T) {
	fm := newFakeMem(1 << 30)
	p := newPool(fm, nil)
	sizes := []uint64{4000, 1 << 20, 3 << 20, 4000, 100}
	for step := range 5 {
		var got []uintptr
		var cls []uint64
		for _, s := range sizes {
			ptr, c, err := p.get(s)
			if err != nil {
				t.Fatal(err)
			}
			if c < s {
				t.Fatalf("class %d for %d bytes", c, s)
			}
			got, cls = append(got, ptr), append(cls, c)
		}
		seen := map[uintptr]bool{}
		for _, g := range got {
			if seen[g] {
				t.Fatalf("step %d: block %x handed out twice", step, g)
			}
			seen[g] = true
		}
		for i := range got {
			p.put(got[i], cls[i])
		}
	}
	if fm.mallocs != len(sizes) {
		t.Errorf("%d backend mallocs for 5 identical steps, want %d", fm.mallocs, len(sizes))
	}
	st := p.stats()
	if st.InUse != 0 || st.Cached == 0 || st.Mallocs != len(sizes) {
		t.Errorf("stats %+v", st)
	}
	if err := p.release(); err != nil {
		t.Fatal(err)
	}
	if len(fm.live) != 0 || p.stats().Cached != 0 {
		t.Errorf("after release: %d live blocks, stats %+v", len(fm.live), p.stats())
	}
}

// When the device is full the pool frees its cache and retries, and when
// even that fails it says how much it holds.
func TestPoolOutOfMemory(t *testing.T) {
	fm := newFakeMem(4 << 20)
	synced := 0
	p := newPool(fm, func() error { synced++; return nil })
	a, ca, err := p.get(2 << 20)
	if err != nil {
		t.Fatal(err)
	}
	b, cb, err := p.get(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	p.put(a, ca)
	p.put(b, cb)
	// 3 MiB more does not fit beside 3 MiB cached: the cache is released.
	if _, _, err := p.get(3 << 20); err != nil {
		t.Fatalf("get after release: %v", err)
	}
	if synced != 1 || fm.frees != 2 {
		t.Errorf("synced %d times, %d frees; want 1 and 2", synced, fm.frees)
	}
	if _, _, err := p.get(2 << 20); !errors.Is(err, errOutOfMemory) {
		t.Errorf("over capacity: err %v, want out of memory", err)
	}
}
