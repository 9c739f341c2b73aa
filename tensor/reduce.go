package tensor

import "fmt"

// Sum adds every element into a scalar (shape []).
func Sum(t *Tensor) *Tensor {
	be := backendFor("Sum", t)
	out := be.sum(t)
	return record(out, "Sum", func(g *Tensor) { accum(t, be.expand(g, t.shape), true) }, t)
}

// Mean averages every element into a scalar.
func Mean(t *Tensor) *Tensor {
	n := t.Numel()
	if n == 0 {
		panic("tensor: Mean of an empty tensor")
	}
	return MulScalar(Sum(t), 1/float64(n))
}

func sum64[T float](s []T) float64 {
	acc := 0.0
	for _, v := range s {
		acc += float64(v)
	}
	return acc
}

// SumAxis sums along axis; keepDim keeps it as a dimension of size 1.
func SumAxis(t *Tensor, axis int, keepDim bool) *Tensor {
	ax := t.axis(axis, "SumAxis")
	outer, n, inner := splitAxis(t.shape, ax)
	keep := append([]int(nil), t.shape...)
	keep[ax] = 1
	out := backendFor("SumAxis", t).sumAxis(t, outer, n, inner, keep)
	if !keepDim {
		out.shape = append(append([]int(nil), t.shape[:ax]...), t.shape[ax+1:]...)
	}
	return record(out, "SumAxis", func(g *Tensor) {
		// Broadcast g back along the summed axis: g viewed with the
		// kept axis, added to zeros of t's shape.
		gk := &Tensor{shape: keep, dtype: g.dtype, f32: g.f32, f64: g.f64, device: g.device, dev: g.dev}
		accum(t, sumTo(Add(gk, ZerosLike(t)), t.shape), true)
	}, t)
}

func sumAxis[T float](dst, src []T, outer, n, inner int) {
	for o := 0; o < outer; o++ {
		d := dst[o*inner : (o+1)*inner]
		for j := 0; j < n; j++ {
			s := src[(o*n+j)*inner : (o*n+j+1)*inner]
			for i := range d {
				d[i] += s[i]
			}
		}
	}
}

// MeanAxis averages along axis.
func MeanAxis(t *Tensor, axis int, keepDim bool) *Tensor {
	n := t.Size(axis)
	if n == 0 {
		panic(fmt.Sprintf("tensor: MeanAxis over an empty axis of shape %v", t.shape))
	}
	return MulScalar(SumAxis(t, axis, keepDim), 1/float64(n))
}

// Argmax returns, for every position of the other axes, the index of the
// largest element along axis (the first one on ties), in row-major order.
func Argmax(t *Tensor, axis int) []int {
	ax := t.axis(axis, "Argmax")
	if t.shape[ax] == 0 {
		panic(fmt.Sprintf("tensor: Argmax over an empty axis of shape %v", t.shape))
	}
	return backendFor("Argmax", t).argmax(t, ax)
}

// argmaxHost is Argmax on the host.
func argmaxHost(t *Tensor, ax int) []int {
	outer, n, inner := splitAxis(t.shape, ax)
	res := make([]int, outer*inner)
	vals := t.Float64s()
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			best, bi := vals[o*n*inner+in], 0
			for j := 1; j < n; j++ {
				if v := vals[(o*n+j)*inner+in]; v > best {
					best, bi = v, j
				}
			}
			res[o*inner+in] = bi
		}
	}
	return res
}
