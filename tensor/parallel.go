package tensor

import (
	"runtime"

	"nnkit/tensor/internal/par"
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
	par.Do((n+chunk-1)/chunk, func(w int) { f(w*chunk, min((w+1)*chunk, n)) })
}
