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
