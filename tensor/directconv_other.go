//go:build !amd64 || purego

package tensor

// No direct convolution kernels in this build: Conv2d keeps im2col (see
// useDirect).

func directKernels() bool { return false }

func directKernel(nv, taps int, off []int, w, x, y []float32, ldy, noc int, masks, smasks []uint16, yoff []int32, bias []float32) {
	panic("tensor: directKernel without vector kernels")
}

func directGradKernel(imgs, nvec int, x []float32, xstride int, gy []float32, gstride, gimg int, masks []uint16, offs []int, dw []float32, ldw, noc int) {
	panic("tensor: directGradKernel without vector kernels")
}
