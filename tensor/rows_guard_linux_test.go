//go:build linux

package tensor

import (
	"math/rand/v2"
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

// The direct convolution reads nothing past the image and writes nothing
// past the output: both end exactly at a page the process may not touch.
func TestDirectConvGuardPage(t *testing.T) {
	if !directKernels() {
		t.Skip("no direct convolution kernels in this build")
	}
	page := syscall.Getpagesize()
	// [x: 2 pages][guard][y: 2 pages][guard]
	mem, err := syscall.Mmap(-1, 0, 6*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	defer syscall.Munmap(mem)
	for _, guard := range []int{2 * page, 5 * page} {
		if err := syscall.Mprotect(mem[guard:guard+page], syscall.PROT_NONE); err != nil {
			t.Skipf("mprotect: %v", err)
		}
	}
	xs := unsafe.Slice((*float32)(unsafe.Pointer(&mem[0])), 2*page/4)
	ys := unsafe.Slice((*float32)(unsafe.Pointer(&mem[3*page])), 2*page/4)
	for _, tc := range []directCase{{1, 6, 14, 14, 16, 5, 0}, {1, 3, 7, 9, 7, 3, 0}, {1, 1, 5, 17, 5, 2, 0}, {1, 2, 6, 6, 13, 3, 1}} {
		g := tc.geom()
		x := xs[len(xs)-g.chw:]
		y := ys[len(ys)-g.oc*g.ohw:]
		w := make([]float32, g.oc*g.ckk)
		rng := rand.New(rand.NewPCG(9, 10))
		fillDirect(rng, x)
		fillDirect(rng, w)
		sameBitsAsIm2col(t, tc.String(), g, y, x, w, nil)
	}
}
