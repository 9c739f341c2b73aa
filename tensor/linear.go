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
	outF := w.shape[0]
	if b != nil {
		checkSameDType(op, x, b)
		if b.Dim() != 1 || b.shape[0] != outF {
			panic(fmt.Sprintf("tensor: %s: bias %v must be [%d] for weight %v", op, b.shape, outF, w.shape))
		}
	}
	be := backendFor(op, x, w, b)
	out := be.linear(x, w, b)
	return record(out, op, func(g *Tensor) {
		gx, gw, gb := be.linearBackward(g, x, w, b, x.requiresGrad, w.requiresGrad, b != nil && b.requiresGrad)
		accumAll(x, gx, w, gw, b, gb)
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
