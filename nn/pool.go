package nn

import (
	"fmt"

	"nnkit/tensor"
)

var (
	_ Module = (*AvgPool2d)(nil)
	_ Module = (*MaxPool2d)(nil)
	_ Fresh  = (*AvgPool2d)(nil)
	_ Fresh  = (*MaxPool2d)(nil)
)

// AvgPool2d averages square windows: output side (H+2P-K)/S+1. Padding
// counts in the average (PyTorch's count_include_pad=True).
type AvgPool2d struct {
	mode
	Kernel, Stride, Padding int
}

// NewAvgPool2d returns an AvgPool2d layer. It panics unless kernel and stride
// are positive and 0 <= padding <= kernel/2 (PyTorch's rule).
func NewAvgPool2d(kernel, stride, padding int) *AvgPool2d {
	checkPool("AvgPool2d", kernel, stride, padding)
	return &AvgPool2d{Kernel: kernel, Stride: stride, Padding: padding}
}

// Forward pools x [N, C, H, W].
func (p *AvgPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	checkNCHW(p, x)
	return tensor.AvgPool2d(x, p.Kernel, p.Stride, p.Padding)
}

// FreshForward returns true: Forward returns new storage and keeps
// neither it nor its input (see Fresh).
func (*AvgPool2d) FreshForward() bool { return true }

// Parameters returns nil: pooling has none.
func (*AvgPool2d) Parameters() []*tensor.Tensor { return nil }

// Name returns "AvgPool2d".
func (*AvgPool2d) Name() string { return "AvgPool2d" }

func (p *AvgPool2d) String() string {
	return fmt.Sprintf("AvgPool2d(kernel_size=%d, stride=%d, padding=%d)", p.Kernel, p.Stride, p.Padding)
}

// MaxPool2d takes the maximum of square windows: output side (H+2P-K)/S+1;
// padding never wins the maximum.
type MaxPool2d struct {
	mode
	Kernel, Stride, Padding int
}

// NewMaxPool2d returns a MaxPool2d layer. It panics unless kernel and stride
// are positive and 0 <= padding <= kernel/2.
func NewMaxPool2d(kernel, stride, padding int) *MaxPool2d {
	checkPool("MaxPool2d", kernel, stride, padding)
	return &MaxPool2d{Kernel: kernel, Stride: stride, Padding: padding}
}

// Forward pools x [N, C, H, W].
func (p *MaxPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	checkNCHW(p, x)
	return tensor.MaxPool2d(x, p.Kernel, p.Stride, p.Padding)
}

// FreshForward returns true: Forward returns new storage and keeps
// neither it nor its input (see Fresh).
func (*MaxPool2d) FreshForward() bool { return true }

// Parameters returns nil: pooling has none.
func (*MaxPool2d) Parameters() []*tensor.Tensor { return nil }

// Name returns "MaxPool2d".
func (*MaxPool2d) Name() string { return "MaxPool2d" }

func (p *MaxPool2d) String() string {
	return fmt.Sprintf("MaxPool2d(kernel_size=%d, stride=%d, padding=%d)", p.Kernel, p.Stride, p.Padding)
}

func checkPool(layer string, kernel, stride, padding int) {
	positive(layer, "kernel", kernel, "stride", stride)
	nonNegative(layer, "padding", padding)
	if 2*padding > kernel {
		panic(fmt.Sprintf("nn: %s: padding %d is more than half the kernel %d", layer, padding, kernel))
	}
}

func checkNCHW(m fmt.Stringer, x *tensor.Tensor) {
	if x.Dim() != 4 {
		panic(fmt.Sprintf("nn: %v: input shape %v, want [N C H W]", m, x.Shape()))
	}
}
