package tensor

import "fmt"

// Linear is the fully connected layer's product y = x W^T + b for x [N, in],
// w [out, in] and the optional bias b [out] (nil for none), giving [N, out].
// It is MatMul(x, Transpose(w)) followed by Add(y, b) in one operation,
// without materialising W^T or the intermediate product, and with the same
// bits: every element is the same dot product, accumulated in the same
// order, plus the bias.
//
// Gradient, with G = dL/dy [N, out]:
//
//	dL/dx = G W        ([N, out] x [out, in])
//	dL/dW = G^T x      ([out, N] x [N, in])
//	dL/db = sum over the rows of G
func Linear(x, w, b *Tensor) *Tensor {
	const op = "Linear"
	checkSameDType(op, x, w)
	if x.Dim() != 2 || w.Dim() != 2 || x.shape[1] != w.shape[1] {
		panic(fmt.Sprintf("tensor: %s needs x [N in] and w [out in], found %v and %v", op, x.shape, w.shape))
	}
	n, in, outF := x.shape[0], x.shape[1], w.shape[0]
	if b != nil {
		checkSameDType(op, x, b)
		if b.Dim() != 1 || b.shape[0] != outF {
			panic(fmt.Sprintf("tensor: %s: bias %v must be [%d] for weight %v", op, b.shape, outF, w.shape))
		}
	}
	if d := devOf(op, x, w, b); d != nil {
		return d.linear(x, w, b)
	}
	out := newOut(x.dtype, n, outF)
	if x.dtype == Float32 {
		linearForward(out.f32, x.f32, w.f32, data32(b), n, in, outF)
	} else {
		linearForward(out.f64, x.f64, w.f64, data64(b), n, in, outF)
	}
	return record(out, op, func(g *Tensor) {
		if x.requiresGrad {
			gx := newGrad(x, false)
			if x.dtype == Float32 {
				gemmT(false, false, false, n, in, outF, g.f32, outF, w.f32, in, 0, gx.f32, in)
			} else {
				gemmT(false, false, false, n, in, outF, g.f64, outF, w.f64, in, 0, gx.f64, in)
			}
			accum(x, gx, true)
		}
		if w.requiresGrad {
			gw := newGrad(w, false)
			if x.dtype == Float32 {
				gemmT(false, true, false, outF, in, n, g.f32, outF, x.f32, in, 0, gw.f32, in)
			} else {
				gemmT(false, true, false, outF, in, n, g.f64, outF, x.f64, in, 0, gw.f64, in)
			}
			accum(w, gw, true)
		}
		if b != nil && b.requiresGrad {
			gb := newGrad(b, true)
			if x.dtype == Float32 {
				sumRows(gb.f32, g.f32, n, outF)
			} else {
				sumRows(gb.f64, g.f64, n, outF)
			}
			accum(b, gb, true)
		}
	}, x, w, b)
}

func linearForward[T float](y, x, w, b []T, n, in, out int) {
	gemmT(false, false, true, n, out, in, x, in, w, in, 0, y, out)
	if b != nil {
		for i := range n {
			row := y[i*out : (i+1)*out]
			for j, bj := range b {
				row[j] += bj
			}
		}
	}
}

// sumRows adds the n rows of the n x m matrix g into dst [m], in row order.
func sumRows[T float](dst, g []T, n, m int) {
	for i := range n {
		for j, v := range g[i*m : (i+1)*m] {
			dst[j] += v
		}
	}
}
