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

// The average pooling kernels read (forward) and write (backward) nothing
// past the plane's last window: the plane ends exactly at a page the
// process may not touch.
func TestAvgPool2GuardPage(t *testing.T) {
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
	for ow := 1; ow <= 40; ow++ {
		const oh = 3
		w := 2 * ow
		x := all[len(all)-2*oh*w:]
		for i := range x {
			x[i] = 1
		}
		y := make([]float32, oh*ow)
		if !avgPool2Plane(y, x, w, oh, ow, 0.25, false) {
			t.Skip("no vector kernel in this build")
		}
		for i, v := range y {
			if v != 1 {
				t.Fatalf("ow %d: y[%d] = %v, want 1", ow, i, v)
			}
		}
		avgPool2Plane(y, x, w, oh, ow, 0.25, true)
		if x[len(x)-1] != 0.25 {
			t.Fatalf("ow %d: backward wrote %v to the last element, want 0.25", ow, x[len(x)-1])
		}
	}
}
