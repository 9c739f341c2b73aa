// Package task2 is task 2 of assignment 2: the multi-layer perceptron of
// task 1 again, built from nnkit's layers and trained with its autograd
// and optimiser (10 points).
//
// Graded functions and their points (keep the names and signatures: the
// checker binds to them and gives 0 for a renamed function, a changed
// signature or an extra import):
//
//	GetDNN [5]       the network as an nn.Sequential: Linear(3, 2, no bias),
//	                 ReLU, Linear(2, 1, no bias); for a batch of 10 its
//	                 layers output [10 2], [10 2] and [10 1]
//	TrainTorch [5]   mini-batch training in float64, see its comment
//
// The data are task 1's (task1.GetData): X is N x 3, y holds N labels +1
// or -1. Given (use them, do not change them): InitWeights, the seeded
// uniform(-0.2, 0.2) initialisation TrainTorch must use, and ToTensor /
// ToDense to move between gonum matrices and tensors.
//
// Conventions: TrainTorch trains the net it is given in place (as PyTorch
// does), but leaves X and y unchanged.
package task2

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"nnkit/nn"
	"nnkit/optim"
	"nnkit/tensor"
)

// InitSeed seeds the generator of InitWeights.
const InitSeed = 449

// GetDNN returns the network Linear(3, 2, no bias) -> ReLU ->
// Linear(2, 1, no bias) as an nn.Sequential of those three layers.
func GetDNN() *nn.Sequential {
	net := nn.NewSequential(
		nn.NewLinear(3, 2, false),
		nn.NewReLU(),
		nn.NewLinear(2, 1, false),
	)
	return net
}

// TrainTorch trains net on X and y and returns the weights after every epoch.
func TrainTorch(net *nn.Sequential, X *mat.Dense, y []float64, numEpochs int, lr float64, batchSize int) (WList []*mat.Dense, KList [][]float64) {
	nn.Cast(net, tensor.Float64)
	InitWeights(net)
	criterion := nn.NewMSELoss(tensor.ReduceSum)
	optimizer := optim.NewSGD(net.Parameters(), lr, 0, 0)
	N, _ := X.Dims()
	labels := make([]float64, len(y))
	features := ToTensor(X)
	copy(labels, y)
	numBatches := (N + batchSize - 1) / batchSize
	targets := tensor.FromFloat64(labels, N, 1)
	for epoch := 0; epoch < numEpochs; epoch++ {
		for b := 0; b < numBatches; b++ {
			end := min((b+1)*batchSize, N)
			start := b * batchSize
			yb := tensor.Slice(targets, start, end)
			xb := tensor.Slice(features, start, end)
			optimizer.ZeroGrad()
			out := net.Forward(xb)
			loss := criterion.Forward(out, yb)
			loss.Backward()
			optimizer.Step()
		}
		last := net.Layers[2].(*nn.Linear)
		first := net.Layers[0].(*nn.Linear)
		KList = append(KList, last.Weight.Float64s())
		WList = append(WList, ToDense(first.Weight))
	}
	return WList, KList
}

// InitWeights fills the weight (and bias, if any) of
// every Linear layer of net with values uniform in [-0.2, 0.2), drawn
// from a generator seeded with InitSeed, layer by layer in order: the
// same net always gets the same weights.
func InitWeights(net *nn.Sequential) {
	rng := tensor.NewRNG(InitSeed)
	for _, l := range net.Layers {
		if lin, ok := l.(*nn.Linear); ok {
			nn.Uniform(rng, lin.Weight, -0.2, 0.2)
			if lin.Bias != nil {
				nn.Uniform(rng, lin.Bias, -0.2, 0.2)
			}
		}
	}
}

// ToTensor copies a matrix into a new float64 tensor of shape [r c].
func ToTensor(X *mat.Dense) *tensor.Tensor {
	r, c := X.Dims()
	data := make([]float64, 0, r*c)
	for i := range r {
		data = append(data, mat.Row(nil, i, X)...)
	}
	return tensor.FromFloat64(data, r, c)
}

// ToDense copies a 2-D tensor into a new matrix.
func ToDense(t *tensor.Tensor) *mat.Dense {
	s := t.Shape()
	if len(s) != 2 {
		panic(fmt.Sprintf("task2: ToDense: tensor of shape %v, expected 2 dimensions", s))
	}
	return mat.NewDense(s[0], s[1], t.Float64s())
}
