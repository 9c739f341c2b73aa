package tensor

import (
	"runtime"
	"sync"
)

// parallelMinElems is the smallest elementwise job parallelFor splits:
// below about 32k elements (tens of microseconds), starting and joining a
// goroutine costs more than the second core saves.
const parallelMinElems = 1 << 15

// parallelFor calls f(lo, hi) on contiguous chunks covering [0, n), one
// per goroutine up to GOMAXPROCS when n is at least parallelMinElems, with
// chunk boundaries on multiples of align (a vector width, so that only the
// last chunk has a ragged end). It is for elementwise work without
// reductions, where the result cannot depend on the split.
func parallelFor(n, align int, f func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers <= 1 || n < parallelMinElems {
		if n > 0 {
			f(0, n)
		}
		return
	}
	chunk := (n + workers - 1) / workers
	chunk = (chunk + align - 1) / align * align
	var wg sync.WaitGroup
	for lo := chunk; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	f(0, min(chunk, n))
	wg.Wait()
}
