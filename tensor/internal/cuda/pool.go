//go:build cuda

package cuda

import (
	"errors"
	"fmt"
	"sync"
)

// memBackend is where the pool gets and returns device memory: the driver
// (cuMemAlloc/cuMemFree) on a GPU, a fake in tests.
type memBackend interface {
	malloc(bytes uint64) (uintptr, error)
	free(ptr uintptr) error
}

// errOutOfMemory is what a backend returns when the device is full; the
// pool then frees its cached blocks and tries once more.
var errOutOfMemory = errors.New("out of device memory")

// pool is a caching allocator: freed blocks go to a free list by size
// class and are handed out again, so a training step, which allocates the
// same sizes every batch, calls cuMemAlloc only in its first step.
//
// Reuse is safe without synchronisation because every kernel and copy runs
// on the device's one stream: work that used a block before it was freed
// is queued before any work that uses it after it is handed out again.
// Returning memory to the driver (release) synchronises first.
type pool struct {
	mu     sync.Mutex
	be     memBackend
	free   map[uint64][]uintptr // size class -> blocks
	inUse  uint64               // bytes handed out
	cached uint64               // bytes in free lists
	peak   uint64               // highest inUse+cached
	allocs int                  // backend malloc calls
	sync   func() error         // waits for the device before release (nil in tests)
}

func newPool(be memBackend, sync func() error) *pool {
	return &pool{be: be, free: map[uint64][]uintptr{}, sync: sync}
}

// sizeClass rounds a request up: to 512 bytes below 1 MiB, and above to a
// quarter of the power of two below it, so no more than 25% is wasted and
// nearby sizes (the last, smaller batch of an epoch) share blocks.
func sizeClass(bytes uint64) uint64 {
	if bytes == 0 {
		bytes = 1
	}
	const small = 1 << 20
	if bytes <= small {
		return (bytes + 511) &^ 511
	}
	p := uint64(1)
	for p*2 <= bytes {
		p *= 2
	}
	q := p / 4
	return (bytes + q - 1) / q * q
}

// get returns a block of at least bytes bytes and its size class.
func (p *pool) get(bytes uint64) (uintptr, uint64, error) {
	c := sizeClass(bytes)
	p.mu.Lock()
	defer p.mu.Unlock()
	if l := p.free[c]; len(l) > 0 {
		ptr := l[len(l)-1]
		p.free[c] = l[:len(l)-1]
		p.cached -= c
		p.inUse += c
		return ptr, c, nil
	}
	ptr, err := p.be.malloc(c)
	if errors.Is(err, errOutOfMemory) && p.cached > 0 {
		if err2 := p.releaseLocked(); err2 != nil {
			return 0, 0, err2
		}
		ptr, err = p.be.malloc(c)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("allocating %d bytes (%d in use, %d cached): %w", c, p.inUse, p.cached, err)
	}
	p.allocs++
	p.inUse += c
	p.peak = max(p.peak, p.inUse+p.cached)
	return ptr, c, nil
}

// put returns a block obtained from get with its size class.
func (p *pool) put(ptr uintptr, class uint64) {
	if ptr == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free[class] = append(p.free[class], ptr)
	p.inUse -= class
	p.cached += class
	p.peak = max(p.peak, p.inUse+p.cached)
}

// release gives every cached block back to the backend.
func (p *pool) release() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.releaseLocked()
}

func (p *pool) releaseLocked() error {
	if p.sync != nil {
		if err := p.sync(); err != nil {
			return err
		}
	}
	var first error
	for c, l := range p.free {
		for _, ptr := range l {
			if err := p.be.free(ptr); err != nil && first == nil {
				first = err
			}
			p.cached -= c
		}
		delete(p.free, c)
	}
	return first
}

// PoolStats describes the allocator.
type PoolStats struct {
	InUse, Cached, Peak uint64 // bytes
	Mallocs             int    // calls to cuMemAlloc so far
}

func (p *pool) stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PoolStats{InUse: p.inUse, Cached: p.cached, Peak: p.peak, Mallocs: p.allocs}
}
