package nn

import (
	"fmt"

	"nnkit/tensor"
)

var (
	_ Module = (*ReLU)(nil)
	_ Module = (*Sigmoid)(nil)
	_ Module = (*Flatten)(nil)
	_ Module = (*Reshape)(nil)
	_ Fresh  = (*ReLU)(nil)
	_ Fresh  = (*Sigmoid)(nil)
)

// ReLU applies max(0, x) elementwise.
type ReLU struct{ mode }

// NewReLU returns a ReLU layer.
func NewReLU() *ReLU { return &ReLU{} }

// Forward applies max(0, x).
func (*ReLU) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Relu(x) }

// FreshForward returns true: Forward returns new storage and keeps
// neither it nor its input (see Fresh).
func (*ReLU) FreshForward() bool { return true }

// Parameters returns nil: ReLU has none.
func (*ReLU) Parameters() []*tensor.Tensor { return nil }

// Name returns "ReLU".
func (*ReLU) Name() string { return "ReLU" }

func (*ReLU) String() string { return "ReLU()" }

// Sigmoid applies 1 / (1 + exp(-x)) elementwise.
type Sigmoid struct{ mode }

// NewSigmoid returns a Sigmoid layer.
func NewSigmoid() *Sigmoid { return &Sigmoid{} }

// Forward applies the logistic function.
func (*Sigmoid) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Sigmoid(x) }

// FreshForward returns true: Forward returns new storage and keeps
// neither it nor its input (see Fresh).
func (*Sigmoid) FreshForward() bool { return true }

// Parameters returns nil: Sigmoid has none.
func (*Sigmoid) Parameters() []*tensor.Tensor { return nil }

// Name returns "Sigmoid".
func (*Sigmoid) Name() string { return "Sigmoid" }

func (*Sigmoid) String() string { return "Sigmoid()" }

// Flatten keeps dimension 0 and merges the rest: [N, ...] -> [N, prod(...)],
// PyTorch's nn.Flatten().
type Flatten struct{ mode }

// NewFlatten returns a Flatten layer.
func NewFlatten() *Flatten { return &Flatten{} }

// Forward flattens every dimension after the first.
func (*Flatten) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Flatten(x) }

// Parameters returns nil: Flatten has none.
func (*Flatten) Parameters() []*tensor.Tensor { return nil }

// Name returns "Flatten".
func (*Flatten) Name() string { return "Flatten" }

func (*Flatten) String() string { return "Flatten(start_dim=1, end_dim=-1)" }

// Reshape views its input in a fixed shape, one dimension of which may be -1
// (inferred); LeNet starts with Reshape(-1, 1, 28, 28).
type Reshape struct {
	mode
	Shape []int
}

// NewReshape returns a Reshape layer. It panics unless every dimension is
// positive except at most one -1.
func NewReshape(shape ...int) *Reshape {
	free := 0
	for _, s := range shape {
		switch {
		case s == -1:
			free++
		case s <= 0:
			panic(fmt.Sprintf("nn: Reshape: dimension %d in shape %v (want positive sizes and at most one -1)", s, shape))
		}
	}
	if free > 1 || len(shape) == 0 {
		panic(fmt.Sprintf("nn: Reshape: bad shape %v (want positive sizes and at most one -1)", shape))
	}
	return &Reshape{Shape: append([]int(nil), shape...)}
}

// Forward returns x viewed in the layer's shape.
func (r *Reshape) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Reshape(x, r.Shape...) }

// Parameters returns nil: Reshape has none.
func (*Reshape) Parameters() []*tensor.Tensor { return nil }

// Name returns "Reshape".
func (*Reshape) Name() string { return "Reshape" }

func (r *Reshape) String() string { return fmt.Sprintf("Reshape(%v)", r.Shape) }
