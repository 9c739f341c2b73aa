package par

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every worker index runs exactly once, index 0 on the caller, for team
// sizes that grow and shrink between calls.
func TestDoRunsEachWorkerOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 5, 3, 8, 2} {
		counts := make([]atomic.Int32, max(workers, 1))
		Do(workers, func(w int) { counts[w].Add(1) })
		for w := range workers {
			if c := counts[w].Load(); c != 1 {
				t.Fatalf("workers %d: worker %d ran %d times", workers, w, c)
			}
		}
	}
}

// Do returns only after every worker has finished, including helpers that
// had parked (the pause outlasts spinFor).
func TestDoWaitsForAllAfterParking(t *testing.T) {
	for round := range 3 {
		var done atomic.Int32
		Do(4, func(w int) {
			if w > 0 {
				time.Sleep(time.Duration(w) * time.Millisecond)
			}
			done.Add(1)
		})
		if d := done.Load(); d != 4 {
			t.Fatalf("round %d: Do returned with %d of 4 workers done", round, d)
		}
		time.Sleep(3 * spinFor) // let the helpers park
	}
}

// A Do inside a worker, and Do from several goroutines at once, complete
// (the inner or concurrent calls get their own goroutines).
func TestDoNestedAndConcurrent(t *testing.T) {
	var total atomic.Int64
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				Do(3, func(int) {
					Do(2, func(int) { total.Add(int64(g + 1)) })
				})
			}
		}()
	}
	wg.Wait()
	if want := int64(50 * 3 * 2 * (1 + 2 + 3 + 4)); total.Load() != want {
		t.Fatalf("total %d, want %d", total.Load(), want)
	}
}

// A panic in a helper or in the caller's share reaches the caller after
// every worker has ended, and the team still works afterwards.
func TestDoPanics(t *testing.T) {
	for _, bad := range []int{0, 2} {
		var finished atomic.Int32
		func() {
			defer func() {
				r := recover()
				if r == nil || fmt.Sprint(r) != fmt.Sprintf("worker %d failed", bad) {
					t.Fatalf("bad worker %d: recovered %v", bad, r)
				}
				if f := finished.Load(); f != 2 {
					t.Fatalf("bad worker %d: %d of the 2 other workers had finished when Do returned", bad, f)
				}
			}()
			Do(3, func(w int) {
				if w == bad {
					panic(fmt.Sprintf("worker %d failed", w))
				}
				time.Sleep(time.Millisecond)
				finished.Add(1)
			})
		}()
	}
	var n atomic.Int32
	Do(3, func(int) { n.Add(1) })
	if n.Load() != 3 {
		t.Fatalf("after the panics: %d of 3 workers ran", n.Load())
	}
}

func BenchmarkDo2(b *testing.B) {
	var sink atomic.Int64
	for b.Loop() {
		Do(2, func(w int) { sink.Add(int64(w)) })
	}
}
