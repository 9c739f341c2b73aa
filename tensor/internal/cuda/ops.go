//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"unsafe"
)

// Operations on device buffers, each mirroring a CPU kernel of nnkit/tensor
// (named in its comment). They queue work on the device's stream and
// return; errors from the kernels themselves surface at the next
// synchronising call (a download, Scalar, Synchronize). Buffers are
// row-major and contiguous, as the CPU engine's storage; output buffers are
// supplied by the caller (Alloc) and overwritten unless a method says it
// accumulates.

// BinOp is an elementwise binary operation.
type BinOp int

const (
	OpAdd BinOp = iota
	OpSub
	OpMul
	OpDiv
)

// ScalarOp is an operation between a tensor x and a host scalar c.
type ScalarOp int

const (
	ScalarAdd  ScalarOp = iota // x + c
	ScalarMul                  // x * c
	ScalarRSub                 // c - x
	ScalarRDiv                 // c / x
	ScalarPow                  // x^c
	ScalarMax                  // max(x, c)
	ScalarFill                 // c (x may be nil)
)

// UnaryOp is an elementwise function.
type UnaryOp int

const (
	UnaryRelu UnaryOp = iota
	UnarySigmoid
	UnaryTanh
	UnaryExp
	UnaryLog
	UnarySqrt
	UnaryNeg
	UnaryAbs
	UnaryCopy
)

// check verifies a buffer's type and length.
func check(op, name string, b *Buffer, dt DType, n int) error {
	if b == nil {
		return fmt.Errorf("cuda: %s: %s is nil", op, name)
	}
	if b.dt != dt || b.n != n {
		return fmt.Errorf("cuda: %s: %s is %d %v, want %d %v", op, name, b.n, b.dt, n, dt)
	}
	return nil
}

// checkOpt is check for an optional buffer (nil allowed).
func checkOpt(op, name string, b *Buffer, dt DType, n int) error {
	if b == nil {
		return nil
	}
	return check(op, name, b, dt, n)
}

func floatType(op string, dt DType) error {
	if dt != F32 && dt != F64 {
		return fmt.Errorf("cuda: %s: element type %v, want float32 or float64", op, dt)
	}
	return nil
}

// run wraps enter/leave around f.
func (d *Device) run(f func() error) error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	return f()
}

// Binary computes y = a op b elementwise for same-length a, b, y
// (tensor.Add/Sub/Mul/Div without broadcasting).
func (d *Device) Binary(op BinOp, a, b, y *Buffer) error {
	dt, n := a.dt, a.n
	if err := firstErr(floatType("Binary", dt), check("Binary", "b", b, dt, n), check("Binary", "y", y, dt, n)); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(dt, "ew_binary", d.gridFor(n, blockSize), blockSize, int(op), n, a, b, y)
	})
}

// Bcast says how an operand of BinaryBcast is indexed: element
// (i / Inner) % Mid of the operand for element i of the result; the zero
// value means the operand has the result's shape.
//
//	bias [C] on [N, C, H, W]:  Bcast{Inner: H*W, Mid: C}
//	row bias [F] on [N, F]:    Bcast{Inner: 1, Mid: F}
//	scalar [1]:                Bcast{Inner: 1, Mid: 1}
type Bcast struct{ Inner, Mid int }

func (b Bcast) size(n int) int {
	if b.Mid == 0 {
		return n
	}
	return b.Mid
}

// BinaryBcast computes y = a op b where either operand may be broadcast
// as its Bcast says; y has n = y.Len() elements.
func (d *Device) BinaryBcast(op BinOp, a *Buffer, ab Bcast, b *Buffer, bb Bcast, y *Buffer) error {
	dt, n := y.dt, y.n
	for _, bc := range []Bcast{ab, bb} {
		if bc.Mid < 0 || (bc.Mid > 0 && (bc.Inner <= 0 || n%(bc.Inner*bc.Mid) != 0)) {
			return fmt.Errorf("cuda: BinaryBcast: pattern %+v does not tile %d elements", bc, n)
		}
	}
	if err := firstErr(floatType("BinaryBcast", dt), check("BinaryBcast", "a", a, dt, ab.size(n)), check("BinaryBcast", "b", b, dt, bb.size(n))); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(dt, "ew_binary_bcast", d.gridFor(n, blockSize), blockSize,
			int(op), n, a, max(ab.Inner, 1), ab.Mid, b, max(bb.Inner, 1), bb.Mid, y)
	})
}

// BinaryND computes y = a op b with general NumPy broadcasting: y has
// shape (at most 6 dimensions), and sa, sb are the operands' strides seen
// from y's index (0 along broadcast axes), computed by the caller
// (tensor's broadcastStrides): the broadcasting rules live there only.
func (d *Device) BinaryND(op BinOp, a *Buffer, sa []int, b *Buffer, sb []int, shape []int, y *Buffer) error {
	if len(shape) > maxDims || len(sa) != len(shape) || len(sb) != len(shape) {
		return fmt.Errorf("cuda: BinaryND: shape %v with strides %v and %v (at most %d dimensions)", shape, sa, sb, maxDims)
	}
	dt, n := y.dt, prod(shape)
	if err := firstErr(floatType("BinaryND", dt), check("BinaryND", "y", y, dt, n)); err != nil {
		return err
	}
	if n > 0 {
		for _, o := range []struct {
			name string
			b    *Buffer
			st   []int
		}{{"a", a, sa}, {"b", b, sb}} {
			if o.b == nil || o.b.dt != dt || reach(shape, o.st) >= o.b.n {
				return fmt.Errorf("cuda: BinaryND: %s does not cover shape %v with strides %v", o.name, shape, o.st)
			}
		}
	}
	g := bcastArg{ndim: int32(len(shape))}
	for i := range shape {
		g.shape[i], g.sa[i], g.sb[i] = int32(shape[i]), int32(sa[i]), int32(sb[i])
	}
	return d.run(func() error {
		return d.launch(dt, "ew_binary_nd", d.gridFor(n, blockSize), blockSize, int(op), n, a, b, y, g)
	})
}

// reach is the largest offset that strides st read over shape.
func reach(shape, st []int) int {
	r := 0
	for i, n := range shape {
		r += (n - 1) * st[i]
	}
	return r
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// Scalar applies y = x op c (tensor.AddScalar, MulScalar, PowScalar, ...).
// For ScalarFill x may be nil.
func (d *Device) ScalarOp(op ScalarOp, x *Buffer, c float64, y *Buffer) error {
	dt, n := y.dt, y.n
	if err := floatType("ScalarOp", dt); err != nil {
		return err
	}
	if op != ScalarFill || x != nil {
		if err := check("ScalarOp", "x", x, dt, n); err != nil {
			return err
		}
	}
	return d.run(func() error {
		return d.launch(dt, "ew_scalar", d.gridFor(n, blockSize), blockSize, int(op), n, x, scalarArg(dt, c), y)
	})
}

// Fill sets every element of y to v.
func (d *Device) Fill(y *Buffer, v float64) error { return d.ScalarOp(ScalarFill, nil, v, y) }

// PowBackward writes gx = g * c * x^(c-1).
func (d *Device) PowBackward(g, x *Buffer, c float64, gx *Buffer) error {
	dt, n := gx.dt, gx.n
	if err := firstErr(floatType("PowBackward", dt), check("PowBackward", "g", g, dt, n), check("PowBackward", "x", x, dt, n)); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(dt, "ew_pow_bwd", d.gridFor(n, blockSize), blockSize, n, g, x, scalarArg(dt, c), gx)
	})
}

// Unary applies y = f(x) (tensor.Relu, Sigmoid, Tanh, Exp, Log, Sqrt, Neg).
func (d *Device) Unary(op UnaryOp, x, y *Buffer) error {
	dt, n := x.dt, x.n
	if err := firstErr(floatType("Unary", dt), check("Unary", "y", y, dt, n)); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(dt, "ew_unary", d.gridFor(n, blockSize), blockSize, int(op), n, x, y)
	})
}

// UnaryBackward writes gx, the gradient through f, from the upstream g, the
// input x and the output y = f(x) (ReLU, sigmoid, tanh, exp and sqrt read
// only y; log and abs only x; the other may then be nil).
func (d *Device) UnaryBackward(op UnaryOp, g, x, y, gx *Buffer) error {
	dt, n := g.dt, g.n
	if err := firstErr(floatType("UnaryBackward", dt), check("UnaryBackward", "gx", gx, dt, n),
		checkOpt("UnaryBackward", "x", x, dt, n), checkOpt("UnaryBackward", "y", y, dt, n)); err != nil {
		return err
	}
	needX := op == UnaryLog || op == UnaryAbs
	needY := op == UnaryRelu || op == UnarySigmoid || op == UnaryTanh || op == UnaryExp || op == UnarySqrt
	if (needX && x == nil) || (needY && y == nil) {
		return fmt.Errorf("cuda: UnaryBackward of op %d needs x=%v y=%v", op, needX, needY)
	}
	return d.run(func() error {
		return d.launch(dt, "ew_unary_bwd", d.gridFor(n, blockSize), blockSize, int(op), n, g, x, y, gx)
	})
}

// Axpy does y += a*x (gradient accumulation).
func (d *Device) Axpy(a float64, x, y *Buffer) error {
	dt, n := y.dt, y.n
	if err := firstErr(floatType("Axpy", dt), check("Axpy", "x", x, dt, n)); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(dt, "axpy", d.gridFor(n, blockSize), blockSize, n, scalarArg(dt, a), x, y)
	})
}

// Cast converts x into y of another float type (or copies for the same).
func (d *Device) Cast(x, y *Buffer) error {
	if err := firstErr(floatType("Cast", x.dt), floatType("Cast", y.dt)); err != nil {
		return err
	}
	if x.n != y.n {
		return fmt.Errorf("cuda: Cast of %d elements into %d", x.n, y.n)
	}
	if x.dt == y.dt {
		return d.Copy(y, x)
	}
	n := x.n
	return d.run(func() error {
		if x.dt == F32 { // float -> double: F32 module's to_double
			return d.launch(F32, "to_double", d.gridFor(n, blockSize), blockSize, n, x, y)
		}
		return d.launch(F32, "from_double", d.gridFor(n, blockSize), blockSize, n, x, y)
	})
}

// Permute writes y = x permuted (tensor.Permute): x has shape, y has shape
// [shape[perm[0]], shape[perm[1]], ...]; at most 6 dimensions.
func (d *Device) Permute(x *Buffer, shape, perm []int, y *Buffer) error {
	nd := len(shape)
	if len(perm) != nd || nd > maxDims {
		return fmt.Errorf("cuda: Permute: shape %v, perm %v (at most %d dimensions)", shape, perm, maxDims)
	}
	dt, n := x.dt, prod(shape)
	if err := firstErr(check("Permute", "x", x, dt, n), check("Permute", "y", y, dt, n)); err != nil {
		return err
	}
	in := make([]int, nd)
	s := 1
	for i := nd - 1; i >= 0; i-- {
		in[i] = s
		s *= shape[i]
	}
	g := permArg{ndim: int32(nd)}
	seen := make([]bool, nd)
	for i, p := range perm {
		if p < 0 || p >= nd || seen[p] {
			return fmt.Errorf("cuda: Permute: %v is not a permutation of %d axes", perm, nd)
		}
		seen[p] = true
		g.shape[i], g.in[i] = int32(shape[p]), int32(in[p])
	}
	if dt == I32 {
		return fmt.Errorf("cuda: Permute of int32 is not supported")
	}
	return d.run(func() error {
		return d.launch(dt, "permute_nd", d.gridFor(n, blockSize), blockSize, n, x, y, g)
	})
}

// Sum writes out[0] = scale * sum of x (tensor.Sum with scale 1, Mean with
// 1/n); the sum is accumulated in double. out stays on the device.
func (d *Device) Sum(x *Buffer, scale float64, out *Buffer) error {
	dt := x.dt
	if err := firstErr(floatType("Sum", dt), check("Sum", "out", out, dt, 1)); err != nil {
		return err
	}
	return d.run(func() error {
		parts := min(reduceBlocks, d.gridFor(x.n, reduceThreads))
		if err := d.launch(dt, "reduce_sum_partial", parts, reduceThreads, x.n, x, d.sums); err != nil {
			return err
		}
		return d.launch(dt, "reduce_sum_final", 1, reduceThreads, parts, d.sums, scale, out)
	})
}

// SumOuterInner reduces x [outer, mid, inner] to y [mid], summing over
// outer and inner: the gradient of a broadcast bias (conv: N, OC, OH*OW;
// linear: N, F, 1). With accumulate it adds into y.
func (d *Device) SumOuterInner(x *Buffer, outer, mid, inner int, y *Buffer, accumulate bool) error {
	dt := x.dt
	if err := firstErr(floatType("SumOuterInner", dt), check("SumOuterInner", "x", x, dt, outer*mid*inner), check("SumOuterInner", "y", y, dt, mid)); err != nil {
		return err
	}
	if mid == 0 {
		return nil
	}
	return d.run(func() error {
		return d.launch(dt, "sum_outer_inner", mid, reduceThreads, outer, mid, inner, x, y, b2i(accumulate))
	})
}

// SumAxis reduces x [outer, n, inner] over n into y [outer, inner], times
// scale (tensor.SumAxis; MeanAxis with scale 1/n).
func (d *Device) SumAxis(x *Buffer, outer, n, inner int, scale float64, y *Buffer) error {
	dt := x.dt
	if err := firstErr(floatType("SumAxis", dt), check("SumAxis", "x", x, dt, outer*n*inner), check("SumAxis", "y", y, dt, outer*inner)); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(dt, "sum_axis", d.gridFor(outer*inner, blockSize), blockSize, outer, n, inner, x, y, scale)
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Softmax writes y = softmax (or log-softmax) of x [outer, n, inner] along
// the middle axis (tensor.Softmax, LogSoftmax).
func (d *Device) Softmax(x *Buffer, outer, n, inner int, log bool, y *Buffer) error {
	dt := x.dt
	if err := firstErr(floatType("Softmax", dt), check("Softmax", "x", x, dt, outer*n*inner), check("Softmax", "y", y, dt, outer*n*inner)); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(dt, "softmax_fwd", d.gridFor(outer*inner, blockSize), blockSize, outer, n, inner, x, y, b2i(log))
	})
}

// SoftmaxBackward writes gx from the upstream g and the forward output y.
func (d *Device) SoftmaxBackward(g, y *Buffer, outer, n, inner int, log bool, gx *Buffer) error {
	dt, m := g.dt, outer*n*inner
	if err := firstErr(floatType("SoftmaxBackward", dt), check("SoftmaxBackward", "g", g, dt, m), check("SoftmaxBackward", "y", y, dt, m), check("SoftmaxBackward", "gx", gx, dt, m)); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(dt, "softmax_bwd", d.gridFor(outer*inner, blockSize), blockSize, outer, n, inner, g, y, gx, b2i(log))
	})
}

// Gemm computes the row-major C[m,n] = alpha op(A) op(B) + beta C with
// cuBLAS (tensor.MatMul and the convolution GEMMs), where op(A) is m x k
// (A stored k x m when ta) and op(B) is k x n (B stored n x k when tb).
// See gemmCall for the mapping onto column-major cuBLAS.
func (d *Device) Gemm(ta, tb bool, m, n, k int, alpha float64, a, b *Buffer, beta float64, c *Buffer) error {
	return d.run(func() error { return d.gemmLocked(ta, tb, m, n, k, alpha, a, b, beta, c) })
}

func (d *Device) gemmLocked(ta, tb bool, m, n, k int, alpha float64, a, b *Buffer, beta float64, c *Buffer) error {
	dt := c.dt
	if err := firstErr(floatType("Gemm", dt), check("Gemm", "A", a, dt, m*k), check("Gemm", "B", b, dt, k*n), check("Gemm", "C", c, dt, m*n)); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	g := rowMajorGemm(ta, tb, m, n, k)
	first, second := b, a
	lda, ldb, ldc := max(g.lda, 1), max(g.ldb, 1), max(g.ldc, 1)
	if dt == F32 {
		al, be := float32(alpha), float32(beta)
		return cublasErr("cublasSgemm", cublasSgemm(d.blas, g.transA, g.transB, g.m, g.n, g.k,
			unsafe.Pointer(&al), first.ptr, lda, second.ptr, ldb, unsafe.Pointer(&be), c.ptr, ldc))
	}
	return cublasErr("cublasDgemm", cublasDgemm(d.blas, g.transA, g.transB, g.m, g.n, g.k,
		unsafe.Pointer(&alpha), first.ptr, lda, second.ptr, ldb, unsafe.Pointer(&beta), c.ptr, ldc))
}

// GemmStridedBatched is Gemm over count matrices at strides sa, sb, sc
// elements (a stride may be 0 to reuse one matrix): batched MatMul.
func (d *Device) GemmStridedBatched(ta, tb bool, m, n, k int, alpha float64, a *Buffer, sa int, b *Buffer, sb int, beta float64, c *Buffer, sc, count int) error {
	dt := c.dt
	span := func(stride, size int) int { return (count-1)*stride + size }
	if count <= 0 {
		return nil
	}
	if err := floatType("GemmStridedBatched", dt); err != nil {
		return err
	}
	if a.dt != dt || b.dt != dt || a.n < span(sa, m*k) || b.n < span(sb, k*n) || c.n < span(sc, m*n) {
		return fmt.Errorf("cuda: GemmStridedBatched: buffers too short or of mixed types for %d x (%d x %d x %d)", count, m, n, k)
	}
	if m == 0 || n == 0 {
		return nil
	}
	g := rowMajorGemm(ta, tb, m, n, k)
	lda, ldb, ldc := max(g.lda, 1), max(g.ldb, 1), max(g.ldc, 1)
	return d.run(func() error {
		if dt == F32 {
			al, be := float32(alpha), float32(beta)
			return cublasErr("cublasSgemmStridedBatched", cublasSgemmSB(d.blas, g.transA, g.transB, g.m, g.n, g.k,
				unsafe.Pointer(&al), b.ptr, lda, int64(sb), a.ptr, ldb, int64(sa), unsafe.Pointer(&be), c.ptr, ldc, int64(sc), int32(count)))
		}
		return cublasErr("cublasDgemmStridedBatched", cublasDgemmSB(d.blas, g.transA, g.transB, g.m, g.n, g.k,
			unsafe.Pointer(&alpha), b.ptr, lda, int64(sb), a.ptr, ldb, int64(sa), unsafe.Pointer(&beta), c.ptr, ldc, int64(sc), int32(count)))
	})
}

// ConvGeom is a 2-D convolution's sizes: input [N, C, H, W], weight
// [OC, C, K, K], output [N, OC, OH, OW]. The output size is the caller's
// (tensor's convGeom computes it); validate only checks that the windows
// stay within the padded input.
type ConvGeom struct {
	N, C, H, W, OC, K, Stride, Pad, OH, OW int
}

func (g ConvGeom) validate(op string) error {
	if g.N < 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 || g.OC <= 0 || g.K <= 0 || g.Stride <= 0 || g.Pad < 0 ||
		g.OH <= 0 || g.OW <= 0 || (g.OH-1)*g.Stride+g.K > g.H+2*g.Pad || (g.OW-1)*g.Stride+g.K > g.W+2*g.Pad {
		return fmt.Errorf("cuda: %s: invalid geometry %+v", op, g)
	}
	return nil
}

// chunk is the number of images whose im2col buffer fits ColBudget.
func (d *Device) chunk(g ConvGeom, dt DType) int {
	per := g.C * g.K * g.K * g.OH * g.OW * dt.Size()
	return max(1, min(g.N, d.ColBudget/max(per, 1)))
}

// Conv2dForward computes y = conv(x, w) + b (tensor.Conv2d; b may be nil):
// for each chunk of images, im2col into col [C*K*K, nb*OH*OW], one GEMM
// Yt = W col with W viewed as [OC, C*K*K], then a kernel that reorders Yt
// [OC, nb, OH*OW] into y [nb, OC, OH*OW] and adds the bias.
func (d *Device) Conv2dForward(x, w, b *Buffer, g ConvGeom, y *Buffer) error {
	const op = "Conv2dForward"
	if err := g.validate(op); err != nil {
		return err
	}
	dt := x.dt
	ckk, ohw, chw := g.C*g.K*g.K, g.OH*g.OW, g.C*g.H*g.W
	if err := firstErr(floatType(op, dt), check(op, "x", x, dt, g.N*chw), check(op, "w", w, dt, g.OC*ckk),
		checkOpt(op, "b", b, dt, g.OC), check(op, "y", y, dt, g.N*g.OC*ohw)); err != nil {
		return err
	}
	if g.N == 0 {
		return nil
	}
	return d.run(func() error {
		nb := d.chunk(g, dt)
		col, err := d.allocLocked(dt, ckk*nb*ohw)
		if err != nil {
			return err
		}
		defer d.Free(col)
		yt, err := d.allocLocked(dt, g.OC*nb*ohw)
		if err != nil {
			return err
		}
		defer d.Free(yt)
		for n0 := 0; n0 < g.N; n0 += nb {
			m := min(nb, g.N-n0)
			cv, yv := col.View(0, ckk*m*ohw), yt.View(0, g.OC*m*ohw)
			if err := d.launch(dt, "im2col", d.gridFor(cv.n, blockSize), blockSize, cv.n, x.View(n0*chw, m*chw), cv,
				g.C, g.H, g.W, g.K, g.Stride, g.Pad, g.OH, g.OW, m); err != nil {
				return err
			}
			if err := d.gemmLocked(false, false, g.OC, m*ohw, ckk, 1, w, cv, 0, yv); err != nil {
				return err
			}
			out := y.View(n0*g.OC*ohw, m*g.OC*ohw)
			if err := d.launch(dt, "conv_out", d.gridFor(out.n, blockSize), blockSize, out.n, yv, b, out, g.OC, ohw, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// Conv2dBackward writes the gradients of Conv2dForward from gy [N, OC,
// OH, OW]: gx [N, C, H, W], gw [OC, C, K, K], gb [OC]; each may be nil
// when not wanted. Per chunk, with Gt = gy reordered to [OC, nb*OH*OW]:
//
//	gw += Gt col^T   (GEMM, beta 0 for the first chunk, then 1)
//	dcol = W^T Gt,   gx = col2im(dcol)
//
// and gb sums gy over N and OH*OW. Nothing is accumulated across calls:
// each output is overwritten.
func (d *Device) Conv2dBackward(gy, x, w *Buffer, g ConvGeom, gx, gw, gb *Buffer) error {
	const op = "Conv2dBackward"
	if err := g.validate(op); err != nil {
		return err
	}
	dt := gy.dt
	ckk, ohw, chw := g.C*g.K*g.K, g.OH*g.OW, g.C*g.H*g.W
	if err := firstErr(floatType(op, dt), check(op, "gy", gy, dt, g.N*g.OC*ohw), check(op, "x", x, dt, g.N*chw),
		check(op, "w", w, dt, g.OC*ckk), checkOpt(op, "gx", gx, dt, g.N*chw), checkOpt(op, "gw", gw, dt, g.OC*ckk),
		checkOpt(op, "gb", gb, dt, g.OC)); err != nil {
		return err
	}
	return d.run(func() error {
		if gb != nil {
			if err := d.launch(dt, "sum_outer_inner", g.OC, reduceThreads, g.N, g.OC, ohw, gy, gb, 0); err != nil {
				return err
			}
		}
		if gx == nil && gw == nil {
			return nil
		}
		if g.N == 0 {
			if gw != nil {
				return d.zeroLocked(gw)
			}
			return nil
		}
		nb := d.chunk(g, dt)
		col, err := d.allocLocked(dt, ckk*nb*ohw)
		if err != nil {
			return err
		}
		defer d.Free(col)
		gt, err := d.allocLocked(dt, g.OC*nb*ohw)
		if err != nil {
			return err
		}
		defer d.Free(gt)
		for n0 := 0; n0 < g.N; n0 += nb {
			m := min(nb, g.N-n0)
			cv, tv := col.View(0, ckk*m*ohw), gt.View(0, g.OC*m*ohw)
			if err := d.launch(dt, "conv_gy_t", d.gridFor(tv.n, blockSize), blockSize, tv.n, gy.View(n0*g.OC*ohw, m*g.OC*ohw), tv, g.OC, ohw, m); err != nil {
				return err
			}
			if gw != nil {
				if err := d.launch(dt, "im2col", d.gridFor(cv.n, blockSize), blockSize, cv.n, x.View(n0*chw, m*chw), cv,
					g.C, g.H, g.W, g.K, g.Stride, g.Pad, g.OH, g.OW, m); err != nil {
					return err
				}
				beta := 1.0
				if n0 == 0 {
					beta = 0
				}
				if err := d.gemmLocked(false, true, g.OC, ckk, m*ohw, 1, tv, cv, beta, gw); err != nil {
					return err
				}
			}
			if gx != nil {
				// col is free again (stream order): reuse it for dcol.
				if err := d.gemmLocked(true, false, ckk, m*ohw, g.OC, 1, w, tv, 0, cv); err != nil {
					return err
				}
				xv := gx.View(n0*chw, m*chw)
				if err := d.launch(dt, "col2im", d.gridFor(xv.n, blockSize), blockSize, xv.n, cv, xv,
					g.C, g.H, g.W, g.K, g.Stride, g.Pad, g.OH, g.OW, m); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// PoolGeom is a pooling's sizes: input [N, C, H, W], K x K windows moved
// by Stride after Pad (at most K/2) on every side, output [N, C, OH, OW]
// (computed by the caller, tensor's poolGeometry).
type PoolGeom struct {
	N, C, H, W, K, Stride, Pad, OH, OW int
}

func (g PoolGeom) check(op string, dt DType, x, y *Buffer) error {
	if g.N < 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 || g.K <= 0 || g.Stride <= 0 || g.Pad < 0 || 2*g.Pad > g.K ||
		g.OH <= 0 || g.OW <= 0 || (g.OH-1)*g.Stride+g.K > g.H+2*g.Pad || (g.OW-1)*g.Stride+g.K > g.W+2*g.Pad {
		return fmt.Errorf("cuda: %s: invalid geometry %+v", op, g)
	}
	return firstErr(floatType(op, dt), check(op, "input", x, dt, g.N*g.C*g.H*g.W), check(op, "output", y, dt, g.N*g.C*g.OH*g.OW))
}

// AvgPool2dForward is tensor.AvgPool2d (count_include_pad, divisor K*K).
func (d *Device) AvgPool2dForward(x *Buffer, g PoolGeom, y *Buffer) error {
	if err := g.check("AvgPool2dForward", x.dt, x, y); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(x.dt, "avgpool_fwd", d.gridFor(y.n, blockSize), blockSize, y.n, x, y, g.H, g.W, g.K, g.Stride, g.Pad, g.OH, g.OW)
	})
}

// AvgPool2dBackward writes gx [N, C, H, W] from gy.
func (d *Device) AvgPool2dBackward(gy *Buffer, g PoolGeom, gx *Buffer) error {
	if err := g.check("AvgPool2dBackward", gy.dt, gx, gy); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(gy.dt, "avgpool_bwd", d.gridFor(gx.n, blockSize), blockSize, gx.n, gy, gx, g.H, g.W, g.K, g.Stride, g.Pad, g.OH, g.OW)
	})
}

// MaxPool2dForward is tensor.MaxPool2d; arg (I32, one per output) receives
// each window's argmax as an index into its H*W plane, for the backward
// pass.
func (d *Device) MaxPool2dForward(x *Buffer, g PoolGeom, y, arg *Buffer) error {
	if err := firstErr(g.check("MaxPool2dForward", x.dt, x, y), check("MaxPool2dForward", "arg", arg, I32, y.n)); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(x.dt, "maxpool_fwd", d.gridFor(y.n, blockSize), blockSize, y.n, x, y, arg, g.H, g.W, g.K, g.Stride, g.Pad, g.OH, g.OW)
	})
}

// MaxPool2dBackward writes gx from gy and the forward pass's arg.
func (d *Device) MaxPool2dBackward(gy, arg *Buffer, g PoolGeom, gx *Buffer) error {
	if err := firstErr(g.check("MaxPool2dBackward", gy.dt, gx, gy), check("MaxPool2dBackward", "arg", arg, I32, gy.n)); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(gy.dt, "maxpool_bwd", d.gridFor(gx.n, blockSize), blockSize, gx.n, gy, arg, gx, g.H, g.W, g.K, g.Stride, g.Pad, g.OH, g.OW)
	})
}

// AdaptiveGeom is an adaptive average pooling's sizes: [N, C, H, W] into
// [N, C, OH, OW].
type AdaptiveGeom struct {
	N, C, H, W, OH, OW int
}

func (g AdaptiveGeom) check(op string, dt DType, x, y *Buffer) error {
	if g.N < 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 || g.OH <= 0 || g.OW <= 0 {
		return fmt.Errorf("cuda: %s: invalid geometry %+v", op, g)
	}
	return firstErr(floatType(op, dt), check(op, "input", x, dt, g.N*g.C*g.H*g.W), check(op, "output", y, dt, g.N*g.C*g.OH*g.OW))
}

// AdaptiveAvgPool2dForward is tensor.AdaptiveAvgPool2d.
func (d *Device) AdaptiveAvgPool2dForward(x *Buffer, g AdaptiveGeom, y *Buffer) error {
	if err := g.check("AdaptiveAvgPool2dForward", x.dt, x, y); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(x.dt, "adaptive_avg_fwd", d.gridFor(y.n, blockSize), blockSize, y.n, x, y, g.H, g.W, g.OH, g.OW)
	})
}

// AdaptiveAvgPool2dBackward writes gx from gy.
func (d *Device) AdaptiveAvgPool2dBackward(gy *Buffer, g AdaptiveGeom, gx *Buffer) error {
	if err := g.check("AdaptiveAvgPool2dBackward", gy.dt, gx, gy); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(gy.dt, "adaptive_avg_bwd", d.gridFor(gx.n, blockSize), blockSize, gx.n, gy, gx, g.H, g.W, g.OH, g.OW)
	})
}

// BNSaved is what BatchNorm2dForward keeps for the backward pass: the mean
// and istd = 1/sqrt(var+eps) it normalised with (F64, [C]). Free both
// (Device.Free) when the backward pass is done or not needed.
type BNSaved struct{ Mean, Istd *Buffer }

// BatchNorm2dForward is tensor.BatchNorm2d on x [N, C, HW]: in training
// the batch statistics normalise and runMean/runVar (may be nil) are
// updated in place with momentum (the unbiased variance); in evaluation
// runMean/runVar normalise.
func (d *Device) BatchNorm2dForward(x, gamma, beta, runMean, runVar *Buffer, n, c, hw int, training bool, momentum, eps float64, y *Buffer) (*BNSaved, error) {
	const op = "BatchNorm2dForward"
	dt := x.dt
	if err := firstErr(floatType(op, dt), check(op, "x", x, dt, n*c*hw), check(op, "y", y, dt, n*c*hw),
		check(op, "gamma", gamma, dt, c), check(op, "beta", beta, dt, c),
		checkOpt(op, "runMean", runMean, dt, c), checkOpt(op, "runVar", runVar, dt, c)); err != nil {
		return nil, err
	}
	if (runMean == nil) != (runVar == nil) || (!training && runMean == nil) {
		return nil, fmt.Errorf("cuda: %s: runMean and runVar must both be given (required in evaluation) or both be nil", op)
	}
	if training && n*hw <= 1 {
		return nil, fmt.Errorf("cuda: %s: training needs more than 1 value per channel", op)
	}
	if eps < 0 || math.IsNaN(eps) {
		return nil, fmt.Errorf("cuda: %s: eps %g must be non-negative", op, eps)
	}
	var s BNSaved
	err := d.run(func() error {
		var err error
		if s.Mean, err = d.allocLocked(F64, c); err != nil {
			return err
		}
		if s.Istd, err = d.allocLocked(F64, c); err != nil {
			return err
		}
		if err := d.launch(dt, "bn_stats", c, reduceThreads, n, c, hw, x, s.Mean, s.Istd, runMean, runVar, momentum, eps, b2i(training)); err != nil {
			return err
		}
		return d.launch(dt, "bn_apply", d.gridFor(y.n, blockSize), blockSize, y.n, c, hw, x, s.Mean, s.Istd, gamma, beta, y)
	})
	if err != nil {
		d.Free(s.Mean)
		d.Free(s.Istd)
		return nil, err
	}
	return &s, nil
}

// BatchNorm2dBackward writes gx, ggamma, gbeta (each may be nil) from gy,
// with the statistics saved by the forward pass.
func (d *Device) BatchNorm2dBackward(gy, x, gamma *Buffer, s *BNSaved, n, c, hw int, training bool, gx, ggamma, gbeta *Buffer) error {
	const op = "BatchNorm2dBackward"
	dt := gy.dt
	if err := firstErr(floatType(op, dt), check(op, "gy", gy, dt, n*c*hw), check(op, "x", x, dt, n*c*hw),
		check(op, "gamma", gamma, dt, c), check(op, "saved mean", s.Mean, F64, c), check(op, "saved istd", s.Istd, F64, c),
		checkOpt(op, "gx", gx, dt, n*c*hw), checkOpt(op, "ggamma", ggamma, dt, c), checkOpt(op, "gbeta", gbeta, dt, c)); err != nil {
		return err
	}
	return d.run(func() error {
		sg, err := d.allocLocked(F64, c)
		if err != nil {
			return err
		}
		defer d.Free(sg)
		sgx, err := d.allocLocked(F64, c)
		if err != nil {
			return err
		}
		defer d.Free(sgx)
		if err := d.launch(dt, "bn_bwd_reduce", c, reduceThreads, n, c, hw, gy, x, s.Mean, s.Istd, sg, sgx, ggamma, gbeta); err != nil {
			return err
		}
		if gx == nil {
			return nil
		}
		return d.launch(dt, "bn_bwd_apply", d.gridFor(gx.n, blockSize), blockSize, gx.n, c, hw, n*hw, gy, x, s.Mean, s.Istd, gamma, sg, sgx, b2i(training), gx)
	})
}

// CrossEntropyForward writes loss[0] = the mean softmax cross-entropy of
// logits [n, c] against labels (I32, [n], each in [0, c): the caller
// checks, as tensor.CrossEntropy does on the host before uploading). The
// loss stays on the device; read it with Scalar when needed.
func (d *Device) CrossEntropyForward(logits, labels *Buffer, n, c int, loss *Buffer) error {
	const op = "CrossEntropyForward"
	dt := logits.dt
	if err := firstErr(floatType(op, dt), check(op, "logits", logits, dt, n*c), check(op, "labels", labels, I32, n), check(op, "loss", loss, dt, 1)); err != nil {
		return err
	}
	if n == 0 || c == 0 {
		return fmt.Errorf("cuda: %s: empty logits [%d %d]", op, n, c)
	}
	return d.run(func() error {
		return d.launch(dt, "ce_fwd", 1, reduceThreads, n, c, logits, labels, loss)
	})
}

// CrossEntropyBackward writes gx = (softmax(logits) - onehot) * g[0] / n,
// where g (one element, on the device) is the upstream gradient.
func (d *Device) CrossEntropyBackward(logits, labels *Buffer, n, c int, g, gx *Buffer) error {
	const op = "CrossEntropyBackward"
	dt := logits.dt
	if err := firstErr(floatType(op, dt), check(op, "logits", logits, dt, n*c), check(op, "labels", labels, I32, n),
		check(op, "g", g, dt, 1), check(op, "gx", gx, dt, n*c)); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(dt, "ce_bwd", d.gridFor(n*c, blockSize), blockSize, n, c, logits, labels, g, gx)
	})
}

// Argmax writes, for each row of x [n, c], the index of its first maximum
// (tensor.Argmax along axis 1) into out (I32, [n]).
func (d *Device) Argmax(x *Buffer, n, c int, out *Buffer) error {
	dt := x.dt
	if err := firstErr(floatType("Argmax", dt), check("Argmax", "x", x, dt, n*c), check("Argmax", "out", out, I32, n)); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(dt, "argmax_rows", d.gridFor(n, blockSize), blockSize, n, c, x, out)
	})
}

// CountCorrect sets (or, with accumulate, adds to) count[0] (I32) the
// number of rows of logits whose argmax equals the label, so an epoch's
// accuracy needs one read at its end.
func (d *Device) CountCorrect(logits, labels *Buffer, n, c int, count *Buffer, accumulate bool) error {
	const op = "CountCorrect"
	dt := logits.dt
	if err := firstErr(floatType(op, dt), check(op, "logits", logits, dt, n*c), check(op, "labels", labels, I32, n), check(op, "count", count, I32, 1)); err != nil {
		return err
	}
	return d.run(func() error {
		return d.launch(dt, "count_correct", 1, reduceThreads, n, c, logits, labels, count, b2i(accumulate))
	})
}

// SGDStep updates p in place as optim.SGD.Step (PyTorch's SGD): d = g +
// wd*p; with momentum, buf = d on the first step, else momentum*buf + d,
// and d = buf; then p -= lr*d. buf may be nil when momentum is 0.
func (d *Device) SGDStep(p, g, buf *Buffer, lr, momentum, wd float64, first bool) error {
	const op = "SGDStep"
	dt, n := p.dt, p.n
	if err := firstErr(floatType(op, dt), check(op, "g", g, dt, n), checkOpt(op, "buf", buf, dt, n)); err != nil {
		return err
	}
	if momentum != 0 && buf == nil {
		return fmt.Errorf("cuda: %s: momentum %g needs a buffer", op, momentum)
	}
	return d.run(func() error {
		return d.launch(dt, "sgd_step", d.gridFor(n, blockSize), blockSize, n, p, g, buf,
			scalarArg(dt, lr), scalarArg(dt, momentum), scalarArg(dt, wd), b2i(first))
	})
}
