//go:build linux

package tensor

import (
	"syscall"
	"testing"
	"unsafe"
)

// copyEven reads nothing past src[2n-2]: src ends exactly at a page the
// process may not read, so one element too many crashes the test.
func TestCopyEvenGuardPage(t *testing.T) {
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	all := unsafe.Slice((*float32)(unsafe.Pointer(&mem[0])), page/4)
	for n := 1; n <= 40; n++ {
		src := all[len(all)-(2*n-1):]
		for i := range src {
			src[i] = float32(i)
		}
		dst := make([]float32, n)
		copyEven(dst, src)
		for i, v := range dst {
			if v != float32(2*i) {
				t.Fatalf("n %d: dst[%d] = %v, want %d", n, i, v, 2*i)
			}
		}
	}
}
