package tensor

import (
	"math/bits"
	"sync"
)

// Scratch buffers: temporaries that an operation allocates and frees
// itself (im2col matrices, per-goroutine partial sums, transposed weights),
// kept in size-bucketed pools so that a training loop does not allocate
// them again every step. A buffer comes back with arbitrary contents.
//
// Ownership rule: only the function that took a buffer returns it, after
// its last use, and never a buffer that a Tensor (or a closure that
// outlives the call) refers to.

// scratch32[i] and scratch64[i] hold buffers of capacity exactly 1<<i
// elements.
var scratch32, scratch64 [48]sync.Pool

// getScratch returns a buffer of n elements with arbitrary contents.
func getScratch[T float](n int) []T {
	if n == 0 {
		return nil
	}
	b := bits.Len(uint(n - 1)) // 1<<b >= n
	p := scratchPool[T](b)
	if v, ok := p.Get().(*[]T); ok {
		return (*v)[:n]
	}
	return make([]T, n, 1<<b)
}

// putScratch returns a buffer obtained from getScratch.
func putScratch[T float](s []T) {
	c := cap(s)
	if c == 0 || c&(c-1) != 0 {
		return // not from getScratch
	}
	s = s[:c]
	scratchPool[T](bits.Len(uint(c - 1))).Put(&s)
}

func scratchPool[T float](b int) *sync.Pool {
	var z T
	if _, ok := any(z).(float32); ok {
		return &scratch32[b]
	}
	return &scratch64[b]
}
