// Package task4 is task 4 of assignment 2: ResNet-18 on Fashion-MNIST
// (10 points), trained with task 3's TrainCNN.
//
// Graded functions and their points (keep the names and signatures: the
// checker binds to them and gives 0 for a renamed function, a changed
// signature or an extra import):
//
//	NewResidual [2]          the residual block's layers, see Residual
//	(*Residual).Forward [3]  the block's forward pass
//	GetResNet [5]            ResNet-18 as an nn.Sequential: 3 points for
//	                         the five stages b1..b5, 2 for the head
//
// Given (use them, do not change them): the Residual struct and its
// methods other than Forward, resnetBlock, ExpectedResNetShapes, and the
// reference settings Resize, BatchSize, LR and NumEpochs. Train with
// task3.TrainCNN on the loaders of task3.LoadDataFashionMNIST(dir,
// BatchSize, Resize).
package task4

import (
  "fmt"

  "nnkit/nn"
  "nnkit/spec"
  "nnkit/tensor"
)

// The reference settings of the original notebook: images resized to
// 96 x 96 (bilinear), batch 256, learning rate 0.05, 10 epochs.
const (
  Resize    = spec.Task4Resize
  BatchSize = spec.Task4BatchSize
  LR        = spec.Task4LR
  NumEpochs = spec.Task4NumEpochs
)

var (
  _ nn.Module = (*Residual)(nil)
  _ nn.Parent = (*Residual)(nil)
)

// Residual is the residual block of ResNet (He et al. 2016), as the d2l
// book writes it:
//
//	Conv1  Conv2d(inputChannels, numChannels, kernel 3, padding 1, stride strides)
//	Conv2  Conv2d(numChannels, numChannels, kernel 3, padding 1)
//	Conv3  Conv2d(inputChannels, numChannels, kernel 1, stride strides), only
//	       with the 1x1 convolution on the shortcut; nil otherwise
//	BN1    BatchNorm2d(numChannels)
//	BN2    BatchNorm2d(numChannels)
//
// Every convolution has a bias. Forward computes
//
//	Y = relu(BN1(Conv1(X)))
//	Y = BN2(Conv2(Y))
//	X = Conv3(X), when Conv3 is not nil
//	return relu(Y + X)
type Residual struct {

  Conv1, Conv2, Conv3 *nn.Conv2d
  BN1, BN2            *nn.BatchNorm2d
}

// Name returns "Residual".
func (r *Residual) Name() string { return "Residual" }

// String prints the block as PyTorch does.
func (r *Residual) String() string {

  s := "Residual(\n"
  for _, c := range r.Children() {

    if c.Name == "conv3" && r.Conv3 == nil {

      continue
    }
    s += fmt.Sprintf("  (%s): %v\n", c.Name, c.Module)
  }
  return s + ")"
}

// Forward: my implementation, see the task sheet.
func (res0 *Residual) Forward(item0 *tensor.Tensor) *tensor.Tensor {

  elem0 := res0.cnt0(item0)
  data00 := res0.Conv1.Forward(item0)
  data00 = res0.BN1.Forward(data00)
  data00 = tensor.Relu(data00)
  data00 = res0.Conv2.Forward(data00)
  data00 = res0.BN2.Forward(data00)
  data00 = tensor.Add(data00, elem0)
  return tensor.Relu(data00)
}

// ResNetParameters is the number of trainable parameters of ResNet-18.
const ResNetParameters = spec.ResNetParameters

// NewResidual: my implementation, see the task sheet.
func NewResidual(val0, tmp0 int, acc0 bool, buf0 int) nn.Module {

  cur0 := nn.NewConv2d(val0, tmp0, 3, buf0, 1, true)
  var arr0 *nn.Conv2d
  mat00 := nn.NewConv2d(tmp0, tmp0, 3, 1, 1, true)
  if acc0 {

    arr0 = nn.NewConv2d(val0, tmp0, 1, buf0, 0, true)
  }
  return &Residual{Conv1: cur0, Conv2: mat00, Conv3: arr0, BN1: nn.NewBatchNorm2d(tmp0), BN2: nn.NewBatchNorm2d(tmp0)}
}

// grid0: my implementation, see the task sheet.
func grid0(val1 []nn.Module) []nn.Module {

  tmp1 := [][2]int{{64, 64}, {64, 128}, {128, 256}, {256, 512}}
  for acc1, buf1 := range tmp1 {

    val1 = append(val1, resnetBlock(buf1[0], buf1[1], 2, acc1 == 0))
  }
  return val1
}

// Parameters returns the parameters of the block's layers.
func (r *Residual) Parameters() []*tensor.Tensor { return nn.ChildParameters(r) }

// SetTraining sets the mode of the block's layers.
func (r *Residual) SetTraining(on bool) { nn.SetChildrenTraining(r, on) }

// Children lists the block's layers by the names of the original
// (conv1, bn1, conv2, bn2, conv3); a nil Conv3 is skipped. Parameters,
// SetTraining, nn.Save and nn.Load find the layers through it.
func (r *Residual) Children() []nn.Child {

  if r == nil {

    return nil
  }
  return []nn.Child{{Name: "conv1", Module: r.Conv1}, {Name: "bn1", Module: r.BN1},
    {Name: "conv2", Module: r.Conv2}, {Name: "bn2", Module: r.BN2}, {Name: "conv3", Module: r.Conv3}}
}

// cnt0: my implementation, see the task sheet.
func (ptr0 *Residual) cnt0(vec0 *tensor.Tensor) *tensor.Tensor {

  if ptr0.Conv3 != nil {

    return ptr0.Conv3.Forward(vec0)
  }
  return vec0
}

// GetResNet: my implementation, see the task sheet.
func GetResNet() *nn.Sequential {

  num0 := []nn.Module{nn.NewSequential(nn.NewConv2d(1, 64, 7, 2, 3, true), nn.NewBatchNorm2d(64), nn.NewReLU(), nn.NewMaxPool2d(3, 2, 1))}
  num0 = grid0(num0)
  num0 = append(num0, nn.NewAdaptiveAvgPool2d(1, 1))
  num0 = append(num0, nn.NewFlatten())
  num0 = append(num0, nn.NewLinear(512, 10, true))
  return nn.NewSequential(num0...)
}

// resnetBlock returns a stage of numResiduals Residual blocks producing
// numChannels channels. The first block of every stage but the first
// (firstBlock false) halves the height and width and changes the number
// of channels, so it has the 1x1 convolution on the shortcut and stride
// 2; the others keep the shape.
//
//lint:ignore U1000 given: the graded functions call it once they are written
func resnetBlock(inputChannels, numChannels, numResiduals int, firstBlock bool) *nn.Sequential {

  var blk []nn.Module
  for i := range numResiduals {

    if i == 0 && !firstBlock {

      blk = append(blk, NewResidual(inputChannels, numChannels, true, 2))
    } else {

      blk = append(blk, NewResidual(numChannels, numChannels, false, 1))
    }
  }
  return nn.NewSequential(blk...)
}

// ExpectedResNetShapes returns the top-level layers of ResNet-18 with
// their parameter counts and output shapes for one side x side image
// (input [1 1 side side]), side a multiple of 32: 224 gives the shapes of
// the original notebook, [1 64 56 56] after b1 and [1 512 7 7] after b5.
func ExpectedResNetShapes(side int) []nn.LayerInfo { return spec.ResNetShapes(side) }
