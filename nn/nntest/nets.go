// Package nntest builds the course's networks from nn layers for the
// engine's own tests (nn, tensor's GPU parity, conceptual counting), which
// must not depend on the kit's solutions. The kit's reference models live
// in solutions/task3 and solutions/task4; both are held to DESIGN's shapes
// and parameter counts by their tests (nn/resnet_test.go, solutions/*).
package nntest

import (
	"nnkit/nn"
	"nnkit/tensor"
)

// LeNet is DESIGN's task 3 network (61,706 parameters).
func LeNet() *nn.Sequential {
	return nn.NewSequential(
		nn.NewReshape(-1, 1, 28, 28),
		nn.NewConv2d(1, 6, 5, 1, 2, true), nn.NewSigmoid(), nn.NewAvgPool2d(2, 2, 0),
		nn.NewConv2d(6, 16, 5, 1, 0, true), nn.NewSigmoid(), nn.NewAvgPool2d(2, 2, 0),
		nn.NewFlatten(),
		nn.NewLinear(400, 120, true), nn.NewSigmoid(),
		nn.NewLinear(120, 84, true), nn.NewSigmoid(),
		nn.NewLinear(84, 10, true))
}

// Residual is DESIGN task 4's block, written as a student would: a struct
// with its own Forward that lists its layers as children.
type Residual struct {
	Conv1, Conv2, Conv3 *nn.Conv2d // Conv3 is nil without the 1x1 shortcut
	BN1, BN2            *nn.BatchNorm2d
}

var (
	_ nn.Module = (*Residual)(nil)
	_ nn.Parent = (*Residual)(nil)
)

// NewResidual is the block with in input and out output channels.
func NewResidual(in, out int, use1x1 bool, stride int) *Residual {
	r := &Residual{
		Conv1: nn.NewConv2d(in, out, 3, stride, 1, true),
		Conv2: nn.NewConv2d(out, out, 3, 1, 1, true),
		BN1:   nn.NewBatchNorm2d(out),
		BN2:   nn.NewBatchNorm2d(out),
	}
	if use1x1 {
		r.Conv3 = nn.NewConv2d(in, out, 1, stride, 0, true)
	}
	return r
}

// Forward is relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
func (r *Residual) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := tensor.Relu(r.BN1.Forward(r.Conv1.Forward(x)))
	y = r.BN2.Forward(r.Conv2.Forward(y))
	if r.Conv3 != nil {
		x = r.Conv3.Forward(x)
	}
	return tensor.Relu(tensor.Add(y, x))
}

// Children names the layers, so state files and Apply find them.
func (r *Residual) Children() []nn.Child {
	return []nn.Child{{Name: "conv1", Module: r.Conv1}, {Name: "conv2", Module: r.Conv2},
		{Name: "conv3", Module: r.Conv3}, {Name: "bn1", Module: r.BN1}, {Name: "bn2", Module: r.BN2}}
}

func (r *Residual) Parameters() []*tensor.Tensor { return nn.ChildParameters(r) }
func (r *Residual) SetTraining(on bool)          { nn.SetChildrenTraining(r, on) }
func (r *Residual) Name() string                 { return "Residual" }

// ResNet18 is d2l's ResNet-18 for 1-channel images (11,178,378 parameters
// at narrow 1), with the stage widths 64, 128, 256, 512 divided by narrow
// so that slow backends (the CUDA emulator) can test a thinner copy.
func ResNet18(narrow int) *nn.Sequential {
	w := func(c int) int { return c / narrow }
	stage := func(in, out int, first bool) *nn.Sequential {
		if first {
			return nn.NewSequential(NewResidual(in, out, false, 1), NewResidual(out, out, false, 1))
		}
		return nn.NewSequential(NewResidual(in, out, true, 2), NewResidual(out, out, false, 1))
	}
	return nn.NewSequential(
		nn.NewSequential(nn.NewConv2d(1, w(64), 7, 2, 3, true), nn.NewBatchNorm2d(w(64)), nn.NewReLU(), nn.NewMaxPool2d(3, 2, 1)),
		stage(w(64), w(64), true), stage(w(64), w(128), false), stage(w(128), w(256), false), stage(w(256), w(512), false),
		nn.NewAdaptiveAvgPool2d(1, 1), nn.NewFlatten(), nn.NewLinear(w(512), 10, true))
}
