package nn_test

import (
	"nnkit/nn"
	"nnkit/tensor"
)

// The engine's own test networks. Between them they use every layer the
// assignment needs, in arrangements of their own: the assignment's
// networks (task 2's MLP, LeNet-5, the residual block and ResNet-18) are
// answers, kept with the solutions (solutions/taskN, solutions/nets,
// which hold them to DESIGN's shapes and parameter counts), out of the
// engine and out of the student copy, where these tests ship.

// mlp is a two-layer perceptron without biases: 4 inputs, 5 hidden
// units (ReLU), 3 outputs; 20 + 15 parameters.
func mlp() *nn.Sequential {
	return nn.NewSequential(nn.NewLinear(4, 5, false), nn.NewReLU(), nn.NewLinear(5, 3, false))
}

// convNet is a small CNN for 16 x 16 grey images, given as [N 1 16 16] or
// [N 256]: 12 layers, 1,042 parameters (convNetShapes lists them).
func convNet() *nn.Sequential {
	return nn.NewSequential(
		nn.NewReshape(-1, 1, 16, 16),
		nn.NewConv2d(1, 4, 3, 1, 1, true), nn.NewReLU(), nn.NewMaxPool2d(2, 2, 0),
		nn.NewConv2d(4, 8, 3, 2, 1, false), nn.NewBatchNorm2d(8), nn.NewSigmoid(), nn.NewAvgPool2d(2, 2, 0),
		nn.NewFlatten(),
		nn.NewLinear(32, 16, true), nn.NewSigmoid(),
		nn.NewLinear(16, 10, true))
}

// convNetShapes are convNet's layers for one 16 x 16 image, worked by
// hand: a 3x3 convolution with padding 1 keeps 16 x 16 (4*1*9 + 4
// parameters); pooling by 2 halves it; the stride-2 3x3 convolution with
// padding 1 gives (8 + 2 - 3)/2 + 1 = 4 (8*4*9, no bias); BatchNorm has
// 2*8; after pooling, 8*2*2 = 32 features; Linear 32*16 + 16 and
// 16*10 + 10.
var convNetShapes = []nn.LayerInfo{
	{Name: "Reshape", OutputShape: []int{1, 1, 16, 16}},
	{Name: "Conv2d", OutputShape: []int{1, 4, 16, 16}, Parameters: 40},
	{Name: "ReLU", OutputShape: []int{1, 4, 16, 16}},
	{Name: "MaxPool2d", OutputShape: []int{1, 4, 8, 8}},
	{Name: "Conv2d", OutputShape: []int{1, 8, 4, 4}, Parameters: 288},
	{Name: "BatchNorm2d", OutputShape: []int{1, 8, 4, 4}, Parameters: 16},
	{Name: "Sigmoid", OutputShape: []int{1, 8, 4, 4}},
	{Name: "AvgPool2d", OutputShape: []int{1, 8, 2, 2}},
	{Name: "Flatten", OutputShape: []int{1, 32}},
	{Name: "Linear", OutputShape: []int{1, 16}, Parameters: 528},
	{Name: "Sigmoid", OutputShape: []int{1, 16}},
	{Name: "Linear", OutputShape: []int{1, 10}, Parameters: 170},
}

// twoPath is a user-defined module of the tests: a Parent with a nil
// child, like a student's residual block, but not the assignment's. A
// 3x3 and a 1x1 convolution of the same input are summed, normalised and
// squashed; an optional 1x1 convolution mixes the result:
//
//	y = sigmoid(norm(wide(x) + narrow(x)));  y = mix(y) when Mix is set
type twoPath struct {
	Wide, Narrow, Mix *nn.Conv2d // Mix is nil when absent
	Norm              *nn.BatchNorm2d
}

var (
	_ nn.Module = (*twoPath)(nil)
	_ nn.Parent = (*twoPath)(nil)
)

// newTwoPath turns in channels into out, dividing the height and width
// by stride; the wide path has no bias (the norm follows it).
func newTwoPath(in, out, stride int, mix bool) *twoPath {
	p := &twoPath{
		Wide:   nn.NewConv2d(in, out, 3, stride, 1, false),
		Narrow: nn.NewConv2d(in, out, 1, stride, 0, true),
		Norm:   nn.NewBatchNorm2d(out),
	}
	if mix {
		p.Mix = nn.NewConv2d(out, out, 1, 1, 0, true)
	}
	return p
}

func (p *twoPath) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := tensor.Sigmoid(p.Norm.Forward(tensor.Add(p.Wide.Forward(x), p.Narrow.Forward(x))))
	if p.Mix != nil {
		y = p.Mix.Forward(y)
	}
	return y
}

func (p *twoPath) Children() []nn.Child {
	return []nn.Child{{Name: "wide", Module: p.Wide}, {Name: "narrow", Module: p.Narrow},
		{Name: "norm", Module: p.Norm}, {Name: "mix", Module: p.Mix}}
}

func (p *twoPath) Parameters() []*tensor.Tensor { return nn.ChildParameters(p) }
func (p *twoPath) SetTraining(on bool)          { nn.SetChildrenTraining(p, on) }
func (p *twoPath) Name() string                 { return "TwoPath" }

// branchNet nests twoPath blocks under Sequentials, with a stem and a
// size-independent head: 6 top-level layers, 1,219 parameters.
func branchNet() *nn.Sequential {
	return nn.NewSequential(
		nn.NewSequential(nn.NewConv2d(1, 4, 5, 2, 2, true), nn.NewBatchNorm2d(4), nn.NewReLU()),
		newTwoPath(4, 8, 2, false),
		newTwoPath(8, 8, 1, true),
		nn.NewAdaptiveAvgPool2d(1, 1), nn.NewFlatten(), nn.NewLinear(8, 3, true))
}
