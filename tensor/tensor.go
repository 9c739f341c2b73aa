package tensor

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
)

// DType is a tensor's element type.
type DType int

const (
	Float32 DType = iota
	Float64
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// Tensor is an n-dimensional array with an optional autograd history.
type Tensor struct {
	shape  []int
	dtype  DType
	f32    []float32
	f64    []float64
	device Device     // nil for the CPU
	dev    devStorage // the data on a device (f32 and f64 then nil); nil on the CPU

	requiresGrad bool
	grad         *Tensor

	// Autograd history: the inputs this tensor was computed from and the
	// closure that sends this tensor's gradient back to them.
	op       string
	parents  []*Tensor
	backward func(g *Tensor)

	// releaseAfterBackward: the storage goes back to the pool when a
	// backward pass through t has finished (ReleaseAfterBackward).
	releaseAfterBackward bool

	// historyFreed: a backward pass ran t's closure and dropped its
	// history, so another one through t would miss its inputs.
	historyFreed bool

	// shared: the storage may be referenced from outside this tensor (a
	// view made by Reshape or Detach, a slice handed out by Data32 or
	// Data64, or a slice the caller wrapped with FromFloat32): releasing
	// t then ends t but leaves the storage to the garbage collector.
	shared atomic.Bool
}

// Shape returns a copy of the tensor's dimensions.
func (t *Tensor) Shape() []int { return append([]int(nil), t.shape...) }

// Dim returns the number of dimensions.
func (t *Tensor) Dim() int { return len(t.shape) }

// Size returns the length of dimension i; negative i counts from the end.
func (t *Tensor) Size(i int) int { return t.shape[t.axis(i, "Size")] }

// Numel returns the number of elements.
func (t *Tensor) Numel() int { return numel(t.shape) }

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Device returns where the tensor's data lives.
func (t *Tensor) Device() Device {
	if t.device == nil {
		return CPU
	}
	return t.device
}

// Op names the operation that produced the tensor ("" for a leaf).
func (t *Tensor) Op() string { return t.op }

// Data32 returns the float32 storage itself (not a copy); it panics on a
// float64 tensor. Writing to it bypasses autograd.
func (t *Tensor) Data32() []float32 {
	t.hostOnly("Data32")
	if t.dtype != Float32 {
		panic(fmt.Sprintf("tensor: Data32 on a %v tensor", t.dtype))
	}
	t.shared.Store(true)
	return t.f32
}

// Data64 returns the float64 storage itself (not a copy); it panics on a
// float32 tensor.
func (t *Tensor) Data64() []float64 {
	t.hostOnly("Data64")
	if t.dtype != Float64 {
		panic(fmt.Sprintf("tensor: Data64 on a %v tensor", t.dtype))
	}
	t.shared.Store(true)
	return t.f64
}

// Float64s returns a float64 copy of the elements, whatever the dtype (on
// a device: downloaded).
func (t *Tensor) Float64s() []float64 {
	if t.dev != nil {
		return t.backendOf().float64s(t)
	}
	out := make([]float64, t.Numel())
	if t.dtype == Float64 {
		copy(out, t.f64)
		return out
	}
	for i, v := range t.f32 {
		out[i] = float64(v)
	}
	return out
}

// At returns the element at the given index as float64.
func (t *Tensor) At(idx ...int) float64 {
	off := t.offset(idx)
	if t.dev != nil {
		return t.backendOf().at(t, off)
	}
	if t.dtype == Float32 {
		return float64(t.f32[off])
	}
	return t.f64[off]
}

// Set writes one element (bypassing autograd).
func (t *Tensor) Set(v float64, idx ...int) {
	t.hostOnly("Set")
	off := t.offset(idx)
	if t.dtype == Float32 {
		t.f32[off] = float32(v)
	} else {
		t.f64[off] = v
	}
}

// Item returns the value of a one-element tensor. On a device it waits
// for the queued work and downloads the value: how a loss reaches the host
// (and where an asynchronous device error surfaces).
func (t *Tensor) Item() float64 {
	if t.Numel() != 1 {
		panic(fmt.Sprintf("tensor: Item needs one element, found shape %v", t.shape))
	}
	if t.dev != nil {
		return t.backendOf().at(t, 0)
	}
	if t.dtype == Float32 {
		return float64(t.f32[0])
	}
	return t.f64[0]
}

func (t *Tensor) offset(idx []int) int {
	if len(idx) != len(t.shape) {
		panic(fmt.Sprintf("tensor: index %v has %d coordinates, tensor has shape %v", idx, len(idx), t.shape))
	}
	off := 0
	for i, v := range idx {
		if v < 0 || v >= t.shape[i] {
			panic(fmt.Sprintf("tensor: index %v out of range for shape %v", idx, t.shape))
		}
		off = off*t.shape[i] + v
	}
	return off
}

// axis normalises a possibly negative axis.
func (t *Tensor) axis(a int, op string) int {
	n := len(t.shape)
	if a < 0 {
		a += n
	}
	if a < 0 || a >= n {
		panic(fmt.Sprintf("tensor: %s: axis out of range for shape %v", op, t.shape))
	}
	return a
}

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

func checkShape(op string, shape []int) {
	for _, s := range shape {
		if s < 0 {
			panic(fmt.Sprintf("tensor: %s: negative dimension in shape %v", op, shape))
		}
	}
}

// New returns a zero tensor of the given dtype and shape.
func New(dtype DType, shape ...int) *Tensor {
	checkShape("New", shape)
	t := &Tensor{shape: append([]int(nil), shape...), dtype: dtype}
	switch dtype {
	case Float32:
		t.f32 = make([]float32, numel(shape))
	case Float64:
		t.f64 = make([]float64, numel(shape))
	default:
		panic(fmt.Sprintf("tensor: unknown dtype %v", dtype))
	}
	return t
}

// Zeros is New: a float32 or float64 tensor of zeros.
func Zeros(dtype DType, shape ...int) *Tensor { return New(dtype, shape...) }

// Full returns a tensor filled with v.
func Full(dtype DType, v float64, shape ...int) *Tensor {
	t := New(dtype, shape...)
	t.Fill(v)
	return t
}

// Ones returns a tensor of ones.
func Ones(dtype DType, shape ...int) *Tensor { return Full(dtype, 1, shape...) }

// Scalar returns a 0-dimensional tensor.
func Scalar(dtype DType, v float64) *Tensor { return Full(dtype, v) }

// FromFloat32 wraps data (without copying) as a float32 tensor.
func FromFloat32(data []float32, shape ...int) *Tensor {
	checkShape("FromFloat32", shape)
	if numel(shape) != len(data) {
		panic(fmt.Sprintf("tensor: FromFloat32: shape %v needs %d elements, found %d", shape, numel(shape), len(data)))
	}
	return markShared(&Tensor{shape: append([]int(nil), shape...), dtype: Float32, f32: data})
}

// FromFloat64 wraps data (without copying) as a float64 tensor.
func FromFloat64(data []float64, shape ...int) *Tensor {
	checkShape("FromFloat64", shape)
	if numel(shape) != len(data) {
		panic(fmt.Sprintf("tensor: FromFloat64: shape %v needs %d elements, found %d", shape, numel(shape), len(data)))
	}
	return markShared(&Tensor{shape: append([]int(nil), shape...), dtype: Float64, f64: data})
}

// FromValues copies float64 values into a new tensor of the given dtype.
func FromValues(dtype DType, values []float64, shape ...int) *Tensor {
	checkShape("FromValues", shape)
	if numel(shape) != len(values) {
		panic(fmt.Sprintf("tensor: FromValues: shape %v needs %d elements, found %d", shape, numel(shape), len(values)))
	}
	t := New(dtype, shape...)
	t.copyFromFloat64(values)
	return t
}

func (t *Tensor) copyFromFloat64(values []float64) {
	if t.dtype == Float64 {
		copy(t.f64, values)
		return
	}
	for i, v := range values {
		t.f32[i] = float32(v)
	}
}

// Fill sets every element to v, in place and outside autograd.
func (t *Tensor) Fill(v float64) {
	if t.dev != nil {
		t.backendOf().fill(t, v)
		return
	}
	if t.dtype == Float32 {
		fill(t.f32, float32(v))
	} else {
		fill(t.f64, v)
	}
}

func fill[T float](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// CopyFrom copies src's values into t in place (outside autograd), converting
// dtype if needed. The shapes must match.
func (t *Tensor) CopyFrom(src *Tensor) {
	t.failIfEnded("CopyFrom")
	src.failIfEnded("CopyFrom")
	if !slices.Equal(t.shape, src.shape) {
		panic(fmt.Sprintf("tensor: CopyFrom: shape %v into %v", src.shape, t.shape))
	}
	if t.dev != nil || src.dev != nil {
		if src.Device() != t.Device() {
			src = moveData(src, t.Device())
		}
		if t.dev != nil {
			t.backendOf().copyInto(t, src)
			return
		}
	}
	switch {
	case t.dtype == Float32 && src.dtype == Float32:
		copy(t.f32, src.f32)
	case t.dtype == Float64 && src.dtype == Float64:
		copy(t.f64, src.f64)
	default:
		t.copyFromFloat64(src.Float64s())
	}
}

// Clone returns a copy of the data with no autograd history.
func (t *Tensor) Clone() *Tensor {
	if t.dev != nil {
		return t.backendOf().cast(t, t.dtype)
	}
	c := New(t.dtype, t.shape...)
	c.CopyFrom(t)
	c.device = t.device
	return c
}

// To returns the tensor converted to dtype (t itself when it already has it).
// The conversion is differentiable.
func (t *Tensor) To(dtype DType) *Tensor {
	if t.dtype == dtype {
		return t
	}
	var out *Tensor
	if t.dev != nil {
		out = t.backendOf().cast(t, dtype)
	} else {
		out = New(dtype, t.shape...)
		out.copyFromFloat64(t.Float64s())
	}
	return record(out, "To", func(g *Tensor) { accum(t, g.To(t.dtype), true) }, t)
}

// IsFinite reports whether no element is NaN or infinite.
func (t *Tensor) IsFinite() bool {
	if t.dev != nil {
		for _, v := range t.Float64s() {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
		return true
	}
	if t.dtype == Float32 {
		for _, v := range t.f32 {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return false
			}
		}
		return true
	}
	for _, v := range t.f64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// String prints the shape, dtype and up to 8 leading elements.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor(%v, %v", t.shape, t.dtype)
	if e, ok := t.dev.(ended); ok {
		// Printing is how one finds out what a tensor is: say it, no
		// panic.
		fmt.Fprintf(&b, ", storage given back by %s, op=%s)", e.why, t.op)
		return b.String()
	}
	vals := t.Float64s()
	if len(vals) > 8 {
		vals = vals[:8]
	}
	fmt.Fprintf(&b, ", %v", vals)
	if t.Numel() > 8 {
		b.WriteString("...")
	}
	if t.requiresGrad {
		b.WriteString(", requires_grad")
	}
	if t.op != "" {
		fmt.Fprintf(&b, ", op=%s", t.op)
	}
	if t.dev != nil {
		fmt.Fprintf(&b, ", device=%s", t.device.Name())
	}
	b.WriteString(")")
	return b.String()
}

type float interface{ ~float32 | ~float64 }

func checkSameDType(op string, a, b *Tensor) {
	if a.dtype != b.dtype {
		panic(fmt.Sprintf("tensor: %s: mixed dtypes %v and %v (convert with To)", op, a.dtype, b.dtype))
	}
}

// Cast converts a leaf tensor's storage to dtype in place, keeping its
// identity (so a model's parameter list stays valid) and dropping any
// gradient. It is how a model is switched to float64, like PyTorch's
// module.double().
func (t *Tensor) Cast(dtype DType) {
	if t.backward != nil {
		panic(fmt.Sprintf("tensor: Cast on a non-leaf tensor (op %s)", t.op))
	}
	if t.dtype == dtype {
		return
	}
	if t.dev != nil {
		c := t.backendOf().cast(t, dtype)
		t.dtype, t.dev, t.grad = dtype, c.dev, nil
		return
	}
	vals := t.Float64s()
	t.dtype, t.f32, t.f64, t.grad = dtype, nil, nil, nil
	if dtype == Float32 {
		t.f32 = make([]float32, len(vals))
	} else {
		t.f64 = make([]float64, len(vals))
	}
	t.copyFromFloat64(vals)
}
