package tensor

import "fmt"

// Reshape returns a tensor with the same data in a new shape; one dimension
// may be -1 and is inferred. Data is shared (every tensor is contiguous), so
// Reshape is also PyTorch's view.
func Reshape(t *Tensor, shape ...int) *Tensor {
	t.failIfEnded("Reshape")
	shape = inferShape("Reshape", t, shape)
	markShared(t)
	out := markShared(&Tensor{shape: shape, dtype: t.dtype, f32: t.f32, f64: t.f64, device: t.device, dev: t.dev})
	return record(out, "Reshape", func(g *Tensor) {
		passOn(t, g)
	}, t)
}

// Flatten keeps dimension 0 and merges the rest: [N, ...] -> [N, prod(...)].
func Flatten(t *Tensor) *Tensor {
	if t.Dim() < 1 {
		panic("tensor: Flatten of a 0-dimensional tensor")
	}
	return Reshape(t, t.shape[0], -1)
}

func inferShape(op string, t *Tensor, shape []int) []int {
	shape = append([]int(nil), shape...)
	free, known := -1, 1
	for i, s := range shape {
		switch {
		case s == -1 && free < 0:
			free = i
		case s < 0:
			panic(fmt.Sprintf("tensor: %s: bad shape %v (at most one -1, no other negatives)", op, shape))
		default:
			known *= s
		}
	}
	n := t.Numel()
	if free >= 0 {
		if known == 0 || n%known != 0 {
			panic(fmt.Sprintf("tensor: %s: cannot view %d elements (shape %v) as %v", op, n, t.shape, shape))
		}
		shape[free] = n / known
	} else if known != n {
		panic(fmt.Sprintf("tensor: %s: cannot view %d elements (shape %v) as %v", op, n, t.shape, shape))
	}
	return shape
}

// Permute reorders the dimensions: output dimension i is input dimension
// perm[i]. The data is copied.
func Permute(t *Tensor, perm ...int) *Tensor {
	n := t.Dim()
	if len(perm) != n {
		panic(fmt.Sprintf("tensor: Permute: %d axes given for shape %v", len(perm), t.shape))
	}
	seen := make([]bool, n)
	shape := make([]int, n)
	for i, p := range perm {
		if p < 0 || p >= n || seen[p] {
			panic(fmt.Sprintf("tensor: Permute: %v is not a permutation of %d axes", perm, n))
		}
		seen[p] = true
		shape[i] = t.shape[p]
	}
	out := backendFor("Permute", t).permute(t, perm, shape)
	inv := make([]int, n)
	for i, p := range perm {
		inv[p] = i
	}
	return record(out, "Permute", func(g *Tensor) { accum(t, Permute(g, inv...), true) }, t)
}

// permuteHost is Permute's kernel on the host.
func permuteHost(t *Tensor, perm, shape []int) *Tensor {
	// Strides of the input, reordered to walk the output in row-major order.
	inStride := contiguousStrides(t.shape)
	st := make([]int, len(perm))
	for i, p := range perm {
		st[i] = inStride[p]
	}
	out := New(t.dtype, shape...)
	if t.dtype == Float32 {
		gather(out.f32, t.f32, st, shape)
	} else {
		gather(out.f64, t.f64, st, shape)
	}
	return out
}

// Transpose swaps two dimensions.
func Transpose(t *Tensor, d0, d1 int) *Tensor {
	a, b := t.axis(d0, "Transpose"), t.axis(d1, "Transpose")
	perm := make([]int, t.Dim())
	for i := range perm {
		perm[i] = i
	}
	perm[a], perm[b] = perm[b], perm[a]
	return Permute(t, perm...)
}

// T is the transpose of a 2-D tensor.
func (t *Tensor) T() *Tensor {
	if t.Dim() != 2 {
		panic(fmt.Sprintf("tensor: T needs a 2-D tensor, found shape %v", t.shape))
	}
	return Transpose(t, 0, 1)
}

func contiguousStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// gather walks dst in row-major order, reading src at the given strides.
func gather[T float](dst, src []T, st, shape []int) {
	n := len(shape)
	if n == 0 {
		dst[0] = src[0]
		return
	}
	idx := make([]int, n)
	off := 0
	inner, is := shape[n-1], st[n-1]
	for o := 0; o < len(dst); o += inner {
		p := off
		for i := range dst[o : o+inner] {
			dst[o+i] = src[p]
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

// Rows selects entries of dimension 0 (a batch's examples) by index;
// indices may repeat, and their gradients then add up.
func Rows(t *Tensor, idx []int) *Tensor {
	if t.Dim() < 1 {
		panic("tensor: Rows of a 0-dimensional tensor")
	}
	t.hostOnly("Rows (batches are built on the CPU, then moved)")
	row := t.Numel() / max(t.shape[0], 1)
	shape := append([]int{len(idx)}, t.shape[1:]...)
	out := New(t.dtype, shape...)
	for i, r := range idx {
		if r < 0 || r >= t.shape[0] {
			panic(fmt.Sprintf("tensor: Rows: index %d out of range [0, %d)", r, t.shape[0]))
		}
		if t.dtype == Float32 {
			copy(out.f32[i*row:(i+1)*row], t.f32[r*row:(r+1)*row])
		} else {
			copy(out.f64[i*row:(i+1)*row], t.f64[r*row:(r+1)*row])
		}
	}
	return record(out, "Rows", func(g *Tensor) {
		gi := newGrad(t, true)
		for i, r := range idx {
			if t.dtype == Float32 {
				axpy(gi.f32[r*row:(r+1)*row], g.f32[i*row:(i+1)*row], 1)
			} else {
				axpy(gi.f64[r*row:(r+1)*row], g.f64[i*row:(i+1)*row], 1)
			}
		}
		accum(t, gi, true)
	}, t)
}

// Slice returns rows [start, end) of dimension 0.
func Slice(t *Tensor, start, end int) *Tensor {
	if t.Dim() < 1 || start < 0 || end > t.shape[0] || start > end {
		panic(fmt.Sprintf("tensor: Slice [%d, %d) out of range for shape %v", start, end, t.shape))
	}
	idx := make([]int, end-start)
	for i := range idx {
		idx[i] = start + i
	}
	return Rows(t, idx)
}
