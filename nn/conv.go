package nn

import (
	"fmt"
	"math/rand/v2"

	"nnkit/tensor"
)

var (
	_ Module = (*Conv2d)(nil)
	_ Fresh  = (*Conv2d)(nil)
)

// Conv2d is a 2-D convolution (cross-correlation) with square kernels:
// input [N, InC, H, W], Weight [OutC, InC, K, K], Bias [OutC] (nil without
// a bias), output [N, OutC, (H+2P-K)/S+1, (W+2P-K)/S+1].
type Conv2d struct {
	mode
	InC, OutC, Kernel, Stride, Padding int
	Weight                             *tensor.Tensor
	Bias                               *tensor.Tensor
}

// NewConv2d returns a Conv2d layer with PyTorch's default initialisation
// drawn from DefaultGenerator (see Generator). It panics unless inC, outC,
// kernel and stride are positive and padding is not negative.
func NewConv2d(inC, outC, kernel, stride, padding int, bias bool) *Conv2d {
	positive("Conv2d", "inC", inC, "outC", outC, "kernel", kernel, "stride", stride)
	nonNegative("Conv2d", "padding", padding)
	c := &Conv2d{InC: inC, OutC: outC, Kernel: kernel, Stride: stride, Padding: padding,
		Weight: newParam(outC, inC, kernel, kernel)}
	if bias {
		c.Bias = newParam(outC)
	}
	defaultGen.draw(c.ResetParameters)
	return c
}

// ResetParameters draws the default initialisation: weight and bias uniform
// in +-1/sqrt(InC*K*K).
func (c *Conv2d) ResetParameters(rng *rand.Rand) { defaultInit(rng, c.Weight, c.Bias) }

// Forward convolves x [N, InC, H, W].
func (c *Conv2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dim() != 4 || x.Size(1) != c.InC {
		panic(fmt.Sprintf("nn: %v: input shape %v, want [N %d H W]", c, x.Shape(), c.InC))
	}
	return tensor.Conv2d(x, c.Weight, c.Bias, c.Stride, c.Padding)
}

// FreshForward returns true: Forward returns new storage and keeps
// neither it nor its input (see Fresh).
func (*Conv2d) FreshForward() bool { return true }

// Parameters returns Weight and, when present, Bias.
func (c *Conv2d) Parameters() []*tensor.Tensor { return params(c.Weight, c.Bias) }

// NamedParameters returns "weight" and "bias".
func (c *Conv2d) NamedParameters() []Named { return namedParams(c.Weight, c.Bias) }

// Name returns "Conv2d".
func (c *Conv2d) Name() string { return "Conv2d" }

func (c *Conv2d) String() string {
	s := fmt.Sprintf("Conv2d(%d, %d, kernel_size=(%d, %d), stride=(%d, %d)", c.InC, c.OutC, c.Kernel, c.Kernel, c.Stride, c.Stride)
	if c.Padding != 0 {
		s += fmt.Sprintf(", padding=(%d, %d)", c.Padding, c.Padding)
	}
	if c.Bias == nil {
		s += ", bias=False"
	}
	return s + ")"
}

// nonNegative panics unless every value is >= 0.
func nonNegative(layer string, args ...any) {
	for i := 0; i+1 < len(args); i += 2 {
		if v := args[i+1].(int); v < 0 {
			panic(fmt.Sprintf("nn: %s: %s must not be negative, found %d", layer, args[i], v))
		}
	}
}
