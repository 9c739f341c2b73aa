package tensor

import (
	"fmt"
	"slices"
)

// broadcastShape returns the NumPy broadcast of two shapes.
func broadcastShape(op string, a, b []int) []int {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			panic(fmt.Sprintf("tensor: %s: shapes %v and %v do not broadcast", op, a, b))
		}
	}
	return out
}

// broadcastStrides returns strides that read a tensor of shape in as if it
// had shape out (stride 0 along broadcast dimensions).
func broadcastStrides(in, out []int) []int {
	st := make([]int, len(out))
	s := 1
	for i := len(out) - 1; i >= 0; i-- {
		j := len(in) - len(out) + i
		if j >= 0 && in[j] != 1 {
			st[i] = s
		}
		if j >= 0 {
			s *= in[j]
		}
	}
	return st
}

// binaryBroadcast applies f elementwise over the broadcast of a and b.
func binaryBroadcast[T float](dst, a, b []T, sa, sb, shape []int, f func(x, y T) T) {
	n := len(shape)
	if n == 0 {
		dst[0] = f(a[0], b[0])
		return
	}
	inner := shape[n-1]
	ia, ib := sa[n-1], sb[n-1]
	idx := make([]int, n)
	offA, offB := 0, 0
	for o := 0; o < len(dst); o += inner {
		pa, pb := offA, offB
		d := dst[o : o+inner]
		for i := range d {
			d[i] = f(a[pa], b[pb])
			pa += ia
			pb += ib
		}
		// Advance the odometer over the outer dimensions.
		for k := n - 2; k >= 0; k-- {
			idx[k]++
			offA += sa[k]
			offB += sb[k]
			if idx[k] < shape[k] {
				break
			}
			offA -= sa[k] * shape[k]
			offB -= sb[k] * shape[k]
			idx[k] = 0
		}
	}
}

// sumTo reduces g (of a broadcast shape) back to shape by summing over the
// broadcast dimensions: the backward of broadcasting.
func sumTo(g *Tensor, shape []int) *Tensor {
	if slices.Equal(g.shape, shape) {
		return g
	}
	return backendFor("sumTo", g).sumTo(g, shape)
}

// sumToHost is sumTo's kernel on the host.
func sumToHost(g *Tensor, shape []int) *Tensor {
	out := New(g.dtype, shape...)
	st := broadcastStrides(shape, g.shape)
	if g.dtype == Float32 {
		scatterAdd(out.f32, g.f32, st, g.shape)
	} else {
		scatterAdd(out.f64, g.f64, st, g.shape)
	}
	return out
}

func scatterAdd[T float](dst, src []T, st, shape []int) {
	n := len(shape)
	if n == 0 {
		dst[0] += src[0]
		return
	}
	inner := shape[n-1]
	is := st[n-1]
	idx := make([]int, n)
	off := 0
	for o := 0; o < len(src); o += inner {
		p := off
		for _, v := range src[o : o+inner] {
			dst[p] += v
			p += is
		}
		for k := n - 2; k >= 0; k-- {
			idx[k]++
			off += st[k]
			if idx[k] < shape[k] {
				break
			}
			off -= st[k] * shape[k]
			idx[k] = 0
		}
	}
}
