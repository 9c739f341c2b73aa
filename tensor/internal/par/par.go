// Package par runs the engine's parallel sections (a kernel split across
// cores) on a team of helper goroutines that keep polling for work for a
// short while after each section before they park.
//
// Why: a training step runs hundreds of sections, most of them a fraction
// of a millisecond long. Started with go statements, each waited for the
// runtime to wake a parked thread, which on the 2-core development VM took
// about 100 microseconds (median, from a runtime trace of a ResNet-18
// step): one core idle at the start of every section and, with a static
// split, again at its end. A helper that is still polling picks a section
// up within a microsecond.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// spinFor is how long a helper keeps polling after its last section, and
// how long a caller polls for its helpers before it blocks. Sections of a
// training step follow one another within this; a program that stops
// calling the engine costs each helper at most this much CPU.
const spinFor = 200 * time.Microsecond

// Do calls f(0), ..., f(workers-1) concurrently, f(0) on the calling
// goroutine, and returns when all have returned. A panic in any of them
// is raised again in the caller once every call has ended. Calls made while
// another Do is running (from inside f, or from another goroutine) get
// fresh goroutines instead of the team.
func Do(workers int, f func(worker int)) {
	switch {
	case workers <= 0:
		return
	case workers == 1:
		f(0)
		return
	}
	if !busy.CompareAndSwap(false, true) {
		spawn(workers, f)
		return
	}
	defer busy.Store(false)
	for len(team) < workers-1 {
		h := &helper{worker: len(team) + 1, wake: make(chan struct{}, 1)}
		team = append(team, h)
		go h.loop()
	}
	t := &task{f: f, done: make(chan struct{})}
	t.pending.Store(int32(workers - 1))
	for _, h := range team[:workers-1] {
		h.job.Store(t)
		if h.parked.Load() {
			select {
			case h.wake <- struct{}{}:
			default:
			}
		}
	}
	func() {
		defer t.wait()
		f(0)
	}()
	if p := t.panicked.Load(); p != nil {
		panic(*p)
	}
}

var (
	busy atomic.Bool // a Do holds the team
	team []*helper   // touched only by the holder of busy
)

type task struct {
	f        func(int)
	pending  atomic.Int32 // helpers still running
	done     chan struct{}
	panicked atomic.Pointer[any]
}

// wait returns when every helper has finished t: polling first, then
// blocking.
func (t *task) wait() {
	start := time.Now()
	for t.pending.Load() > 0 {
		if time.Since(start) > spinFor {
			<-t.done
			return
		}
		runtime.Gosched()
	}
}

type helper struct {
	worker int // the index it passes to f
	job    atomic.Pointer[task]
	parked atomic.Bool
	wake   chan struct{}
}

func (h *helper) loop() {
	for {
		idle := time.Now()
		for time.Since(idle) <= spinFor {
			if t := h.job.Swap(nil); t != nil {
				h.run(t)
				idle = time.Now()
				continue
			}
			runtime.Gosched()
		}
		// Park; a job stored before parked became visible is seen by the
		// check below, one stored after it comes with a wake-up.
		h.parked.Store(true)
		if t := h.job.Swap(nil); t != nil {
			h.parked.Store(false)
			h.run(t)
			continue
		}
		<-h.wake
		h.parked.Store(false)
	}
}

func (h *helper) run(t *task) {
	defer func() {
		if r := recover(); r != nil {
			t.panicked.CompareAndSwap(nil, &r)
		}
		if t.pending.Add(-1) == 0 {
			close(t.done)
		}
	}()
	t.f(h.worker)
}

// spawn is Do with one new goroutine per extra worker.
func spawn(workers int, f func(int)) {
	var wg sync.WaitGroup
	var panicked atomic.Pointer[any]
	call := func(w int) {
		defer func() {
			if r := recover(); r != nil {
				panicked.CompareAndSwap(nil, &r)
			}
		}()
		f(w)
	}
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call(w)
		}()
	}
	call(0)
	wg.Wait()
	if p := panicked.Load(); p != nil {
		panic(*p)
	}
}
