package checker

import (
	"fmt"
	"strings"

	"nnkit/nn"
)

// The checker runs networks that came back from a student process (the
// layers GetLeNet built, the network TrainCNN trained) in its own
// process. Their engine layers crossed with their fields, which the
// student's code chose: a Conv2d with padding 100000 is a valid value
// whose forward pass would take the checker's memory. outputBound works
// out, from the fields alone, what a layer makes of an input shape and
// refuses sizes no network of the assignment comes near, before anything
// runs.

// maxActivation bounds the elements of any layer's output, and of a
// convolution's unfolded input, that the checker computes: a batch of 64
// through LeNet's first convolution is 1.3 million; ResNet-18's stem on
// one 64 x 64 image, 3.1 million.
const maxActivation = 1 << 25

// outputBound returns the shape l gives an input of shape in, or an error
// when l would compute more than maxActivation elements. Layers whose
// output is their input's size (activations, BatchNorm, Flatten,
// Reshape) pass the shape through; the engine checks the rest.
func outputBound(l nn.Module, in []int) ([]int, error) {
	out := in
	var work int // elements of the unfolded input, for convolutions
	conv := func(k, s, p int, ch int) error {
		if len(in) != 4 || k < 1 || s < 1 || p < 0 || p > maxActivation || k > maxActivation {
			return nil // the engine refuses it with a message
		}
		h, w := (in[2]+2*p-k)/s+1, (in[3]+2*p-k)/s+1
		if h < 1 || w < 1 {
			return nil
		}
		out = []int{in[0], ch, h, w}
		work = in[0] * in[1] * k * k * h * w
		return nil
	}
	switch l := l.(type) {
	case *nn.Conv2d:
		conv(l.Kernel, l.Stride, l.Padding, l.OutC)
	case *nn.AvgPool2d:
		if len(in) == 4 {
			conv(l.Kernel, l.Stride, l.Padding, in[1])
		}
	case *nn.MaxPool2d:
		if len(in) == 4 {
			conv(l.Kernel, l.Stride, l.Padding, in[1])
		}
	case *nn.AdaptiveAvgPool2d:
		if len(in) == 4 {
			out = []int{in[0], in[1], l.H, l.W}
		}
	case *nn.Linear:
		if len(in) >= 1 {
			out = []int{in[0], l.Out}
		}
	case *nn.Sequential:
		var err error
		for _, c := range l.Layers {
			if isNilModule(c) {
				continue
			}
			if out, err = outputBound(c, out); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	n := 1
	for _, d := range out {
		if d < 0 || d > maxActivation || n > maxActivation/max(d, 1) {
			return nil, fmt.Errorf("%s makes an output of shape %v from %v: far larger than the network should be (check its arguments)", safeName(l), out, in)
		}
		n *= d
	}
	if work > maxActivation || work < 0 {
		return nil, fmt.Errorf("%s would unfold %v into %d values: far larger than the network should be (check its kernel, stride and padding)", safeName(l), in, work)
	}
	return out, nil
}

// sameArchitecture describes how m's layers differ from before (a
// netSpec and the parameters' shapes, recorded with architectureOf), or
// returns "".
func sameArchitecture(before string, m nn.Module) string {
	if now := architectureOf(m); now != before {
		return "the network's layers or the shapes of its parameters changed"
	}
	return ""
}

// architectureOf is m's layers with the arguments they were made with
// and the shapes of their parameters and buffers, as one string.
func architectureOf(m nn.Module) string {
	var b strings.Builder
	nn.Apply(m, func(l nn.Module) {
		fmt.Fprintf(&b, "%T", l)
		switch l := l.(type) {
		case *nn.Conv2d:
			fmt.Fprint(&b, l.InC, l.OutC, l.Kernel, l.Stride, l.Padding)
		case *nn.AvgPool2d:
			fmt.Fprint(&b, l.Kernel, l.Stride, l.Padding)
		case *nn.MaxPool2d:
			fmt.Fprint(&b, l.Kernel, l.Stride, l.Padding)
		case *nn.AdaptiveAvgPool2d:
			fmt.Fprint(&b, l.H, l.W)
		case *nn.Linear:
			fmt.Fprint(&b, l.In, l.Out)
		case *nn.BatchNorm2d:
			fmt.Fprint(&b, l.C, l.Momentum, l.Eps)
		case *nn.Reshape:
			fmt.Fprint(&b, l.Shape)
		}
		if pn, ok := l.(nn.ParameterNamer); ok {
			for _, p := range pn.NamedParameters() {
				fmt.Fprint(&b, p.Name, p.Tensor.Shape())
			}
		}
		if bn, ok := l.(nn.BufferNamer); ok {
			for _, p := range bn.NamedBuffers() {
				fmt.Fprint(&b, p.Name, p.Tensor.Shape())
			}
		}
		b.WriteByte(';')
	})
	return b.String()
}
