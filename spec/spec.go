// Package spec declares, once, the contract of each programming task:
// the graded functions, with the names and signatures a student's
// package must keep. The checker grades through these types (its source
// rules hold a package to them, and its student programs answer calls of
// them), and check run's notebooks call a student's code through them.
// The solutions and the exercises generated from them are held to the
// same signatures by the checker's tests.
//
// Each field is named like the graded function; the documentation of the
// function itself, its points and the reference settings live in the
// solutions (nnkit/solutions/taskN), which the exercises copy.
package spec

import (
	"gonum.org/v1/gonum/mat"

	"nnkit/data"
	"nnkit/nn"
	"nnkit/progress"
	"nnkit/tensor"
)

// Task1 is the MLP from scratch with gonum (20 points).
type Task1 struct {
	Relu        func(X *mat.Dense) *mat.Dense
	Prelu       func(X *mat.Dense) *mat.Dense
	DNNForward  func(X, W *mat.Dense, K []float64) (H, A *mat.Dense, O []float64)
	DNNBackward func(X *mat.Dense, y []float64, W *mat.Dense, K []float64, H, A *mat.Dense, O []float64) (dLdW *mat.Dense, dLdK []float64)
	Train       func(X *mat.Dense, y []float64, W *mat.Dense, K []float64, lr float64, numEpochs, batchSize int, printLoss bool) (WList []*mat.Dense, KList [][]float64)
}

// Task2 is the same MLP from nn layers (10 points).
type Task2 struct {
	GetDNN     func() *nn.Sequential
	TrainTorch func(net *nn.Sequential, X *mat.Dense, y []float64, numEpochs int, lr float64, batchSize int) (WList []*mat.Dense, KList [][]float64)
}

// TrainCNN is task 3's training loop, which task 4 reuses.
type TrainCNN = func(net nn.Module, trainIter, testIter *data.Loader, numEpochs int, lr float64, device tensor.Device) []progress.EpochStats

// Task3 is LeNet-5 on Fashion-MNIST (20 points).
type Task3 struct {
	GetLeNet func() *nn.Sequential
	TrainCNN TrainCNN
}

// Task4 is ResNet-18 on Fashion-MNIST (10 points). Residual's Forward is
// a method, graded through the blocks NewResidual returns.
type Task4 struct {
	NewResidual func(inputChannels, numChannels int, use1x1Conv bool, strides int) nn.Module
	GetResNet   func() *nn.Sequential
}

// The reference settings of the original notebooks: task 3 trains LeNet
// on 28 x 28 images, task 4 ResNet-18 on images resized to 96 x 96
// (bilinear). The solutions give them to students (task3.LR, ...), and
// check run uses them.
const (
	Task3BatchSize = 256
	Task3LR        = 0.9
	Task3NumEpochs = 10

	Task4Resize    = 96
	Task4BatchSize = 256
	Task4LR        = 0.05
	Task4NumEpochs = 10
)

// The trainable parameters of the assignment's networks (BatchNorm's
// running statistics are buffers, not parameters).
const (
	LeNetParameters  = 61706
	ResNetParameters = 11178378
)

// LeNetShapes returns LeNet-5's layers with their parameter counts and
// output shapes for one 28 x 28 image (input [1 1 28 28]), as the
// original notebook printed them.
func LeNetShapes() []nn.LayerInfo {
	return []nn.LayerInfo{
		{Name: "Reshape", OutputShape: []int{1, 1, 28, 28}},
		{Name: "Conv2d", OutputShape: []int{1, 6, 28, 28}, Parameters: 156},
		{Name: "Sigmoid", OutputShape: []int{1, 6, 28, 28}},
		{Name: "AvgPool2d", OutputShape: []int{1, 6, 14, 14}},
		{Name: "Conv2d", OutputShape: []int{1, 16, 10, 10}, Parameters: 2416},
		{Name: "Sigmoid", OutputShape: []int{1, 16, 10, 10}},
		{Name: "AvgPool2d", OutputShape: []int{1, 16, 5, 5}},
		{Name: "Flatten", OutputShape: []int{1, 400}},
		{Name: "Linear", OutputShape: []int{1, 120}, Parameters: 48120},
		{Name: "Sigmoid", OutputShape: []int{1, 120}},
		{Name: "Linear", OutputShape: []int{1, 84}, Parameters: 10164},
		{Name: "Sigmoid", OutputShape: []int{1, 84}},
		{Name: "Linear", OutputShape: []int{1, 10}, Parameters: 850},
	}
}

// ResNetShapes returns ResNet-18's top-level layers with their parameter
// counts and output shapes for one side x side image (224 in the
// original notebook).
func ResNetShapes(side int) []nn.LayerInfo {
	s := side / 4
	return []nn.LayerInfo{
		{Name: "Sequential", OutputShape: []int{1, 64, s, s}, Parameters: 3328},
		{Name: "Sequential", OutputShape: []int{1, 64, s, s}, Parameters: 148224},
		{Name: "Sequential", OutputShape: []int{1, 128, s / 2, s / 2}, Parameters: 525952},
		{Name: "Sequential", OutputShape: []int{1, 256, s / 4, s / 4}, Parameters: 2100480},
		{Name: "Sequential", OutputShape: []int{1, 512, s / 8, s / 8}, Parameters: 8395264},
		{Name: "AdaptiveAvgPool2d", OutputShape: []int{1, 512, 1, 1}},
		{Name: "Flatten", OutputShape: []int{1, 512}},
		{Name: "Linear", OutputShape: []int{1, 10}, Parameters: 5130},
	}
}
