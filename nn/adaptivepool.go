package nn

import (
	"fmt"

	"nnkit/tensor"
)

var (
	_ Module = (*AdaptiveAvgPool2d)(nil)
	_ Fresh  = (*AdaptiveAvgPool2d)(nil)
)

// AdaptiveAvgPool2d averages to a fixed output size [N, C, H, W] whatever
// the input size (ResNet's head uses 1 x 1).
type AdaptiveAvgPool2d struct {
	mode
	H, W int
}

// NewAdaptiveAvgPool2d returns an AdaptiveAvgPool2d layer. It panics unless
// h and w are positive.
func NewAdaptiveAvgPool2d(h, w int) *AdaptiveAvgPool2d {
	positive("AdaptiveAvgPool2d", "h", h, "w", w)
	return &AdaptiveAvgPool2d{H: h, W: w}
}

// Forward pools x [N, C, H, W] to [N, C, p.H, p.W].
func (p *AdaptiveAvgPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	checkNCHW(p, x)
	return tensor.AdaptiveAvgPool2d(x, p.H, p.W)
}

// FreshForward returns true: Forward returns new storage and keeps
// neither it nor its input (see Fresh).
func (*AdaptiveAvgPool2d) FreshForward() bool { return true }

// Parameters returns nil: pooling has none.
func (*AdaptiveAvgPool2d) Parameters() []*tensor.Tensor { return nil }

// Name returns "AdaptiveAvgPool2d".
func (*AdaptiveAvgPool2d) Name() string { return "AdaptiveAvgPool2d" }

func (p *AdaptiveAvgPool2d) String() string {
	return fmt.Sprintf("AdaptiveAvgPool2d(output_size=(%d, %d))", p.H, p.W)
}
