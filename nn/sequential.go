package nn

import (
	"fmt"
	"strconv"
	"strings"

	"nnkit/tensor"
)

var (
	_ Module = (*Sequential)(nil)
	_ Parent = (*Sequential)(nil)
)

// Sequential chains modules: the output of Layers[i] is the input of
// Layers[i+1]. Layers can be indexed and type-asserted, as in
// net.Layers[0].(*nn.Linear).Weight.
type Sequential struct {
	Layers []Module
}

// NewSequential returns a Sequential of the given layers. It panics on a nil
// layer.
func NewSequential(layers ...Module) *Sequential {
	for i, l := range layers {
		if isNil(l) {
			panic(fmt.Sprintf("nn: NewSequential: layer %d is nil", i))
		}
	}
	return &Sequential{Layers: layers}
}

// Forward runs x through every layer in order.
//
// When no gradients are recorded (tensor.NoGrad: evaluation), a result
// passed between two layers that neither keep nor alias their input (both
// Fresh) is given back to the engine's buffer pool as soon as the next
// layer has used it, so that inference reuses the same memory batch after
// batch. When gradients are recorded (training), such a result is marked
// (tensor.ReleaseAfterBackward) and goes back to the pool at the end of
// the backward pass, once the backward closures that read it have run.
// Nothing else can see such a result: it was made inside this call and is
// not returned.
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	release := !tensor.GradEnabled()
	fresh := false // x was made by the previous layer, a fresh one
	for _, l := range s.Layers {
		y := l.Forward(x)
		lf := isFresh(l)
		if fresh && lf && y != x {
			if release {
				x.Release()
			} else {
				x.ReleaseAfterBackward()
			}
		}
		// A layer that returns its input unchanged leaves it as fresh
		// as it was.
		fresh = lf && (y != x || fresh)
		x = y
	}
	return x
}

// isFresh reports whether m says it keeps no reference to its input or
// result after Forward (see Fresh).
func isFresh(m Module) bool {
	f, ok := m.(Fresh)
	return ok && f.FreshForward()
}

// Parameters concatenates the layers' parameters in order, each tensor once.
func (s *Sequential) Parameters() []*tensor.Tensor { return ChildParameters(s) }

// SetTraining sets the mode of every layer.
func (s *Sequential) SetTraining(on bool) { SetChildrenTraining(s, on) }

// Name returns "Sequential".
func (s *Sequential) Name() string { return "Sequential" }

// Children names the layers "0", "1", ...
func (s *Sequential) Children() []Child {
	out := make([]Child, len(s.Layers))
	for i, l := range s.Layers {
		out[i] = Child{strconv.Itoa(i), l}
	}
	return out
}

// String prints the layers as PyTorch does.
func (s *Sequential) String() string {
	var b strings.Builder
	b.WriteString("Sequential(\n")
	for i, l := range s.Layers {
		inner := strings.ReplaceAll(describe(l), "\n", "\n  ")
		fmt.Fprintf(&b, "  (%d): %s\n", i, inner)
	}
	b.WriteString(")")
	return b.String()
}

// describe is a module's String when it has one, else its Name.
func describe(m Module) string {
	if s, ok := m.(fmt.Stringer); ok {
		return s.String()
	}
	return m.Name() + "()"
}
