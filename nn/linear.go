package nn

import (
	"fmt"
	"math/rand/v2"

	"nnkit/tensor"
)

var (
	_ Module = (*Linear)(nil)
	_ Fresh  = (*Linear)(nil)
)

// Linear is a fully connected layer: y = x W^T + b, with Weight [out, in]
// and Bias [out] (nil without a bias), PyTorch's layout. The input is
// [..., in]; the output [..., out].
type Linear struct {
	mode
	In, Out int
	Weight  *tensor.Tensor
	Bias    *tensor.Tensor
}

// NewLinear returns a Linear layer with PyTorch's default initialisation
// drawn from DefaultGenerator (see Generator). It panics unless in and out
// are positive.
func NewLinear(in, out int, bias bool) *Linear {
	positive("Linear", "in", in, "out", out)
	l := &Linear{In: in, Out: out, Weight: newParam(out, in)}
	if bias {
		l.Bias = newParam(out)
	}
	defaultGen.draw(l.ResetParameters)
	return l
}

// ResetParameters draws the default initialisation: weight and bias uniform
// in +-1/sqrt(in).
func (l *Linear) ResetParameters(rng *rand.Rand) { defaultInit(rng, l.Weight, l.Bias) }

// Forward computes x W^T + b.
func (l *Linear) Forward(x *tensor.Tensor) *tensor.Tensor {
	shape := x.Shape()
	if len(shape) == 0 || shape[len(shape)-1] != l.In {
		panic(fmt.Sprintf("nn: Linear(%d, %d): input shape %v, want last dimension %d", l.In, l.Out, shape, l.In))
	}
	flat := x
	if len(shape) != 2 {
		flat = tensor.Reshape(x, -1, l.In)
	}
	y := tensor.Linear(flat, l.Weight, l.Bias)
	if len(shape) != 2 {
		y = tensor.Reshape(y, append(shape[:len(shape)-1:len(shape)-1], l.Out)...)
	}
	return y
}

// FreshForward returns true: Forward returns new storage and keeps
// neither it nor its input (see Fresh).
func (*Linear) FreshForward() bool { return true }

// Parameters returns Weight and, when present, Bias.
func (l *Linear) Parameters() []*tensor.Tensor { return params(l.Weight, l.Bias) }

// NamedParameters returns "weight" and "bias".
func (l *Linear) NamedParameters() []Named { return namedParams(l.Weight, l.Bias) }

// Name returns "Linear".
func (l *Linear) Name() string { return "Linear" }

func (l *Linear) String() string {
	return fmt.Sprintf("Linear(in_features=%d, out_features=%d, bias=%s)", l.In, l.Out, pyBool(l.Bias != nil))
}

func params(weight, bias *tensor.Tensor) []*tensor.Tensor {
	if bias == nil {
		return []*tensor.Tensor{weight}
	}
	return []*tensor.Tensor{weight, bias}
}

func namedParams(weight, bias *tensor.Tensor) []Named {
	if bias == nil {
		return []Named{{"weight", weight}}
	}
	return []Named{{"weight", weight}, {"bias", bias}}
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
