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
	"nnkit/tensor"
)

// InitSeed seeds the generator of InitWeights.
const InitSeed = 449

// GetDNN returns Linear(3, 2) -> ReLU -> Linear(2, 1), no biases.
func GetDNN() *nn.Sequential {
	hidden := nn.NewLinear(3, 2, false)
	act := nn.NewReLU()
	out := nn.NewLinear(2, 1, false)
	return nn.NewSequential(hidden, act, out)
}

// TrainTorch: SGD by hand (p -= lr * grad), which is what optim.SGD does
// without momentum or weight decay.
func TrainTorch(net *nn.Sequential, X *mat.Dense, y []float64, numEpochs int, lr float64, batchSize int) (WList []*mat.Dense, KList [][]float64) {
	nn.Cast(net, tensor.Float64)
	InitWeights(net)
	rows, cols := X.Dims()
	params := net.Parameters()
	for e := 0; e < numEpochs; e++ {
		i := 0
		for i < rows {
			j := i + batchSize
			if j > rows {
				j = rows
			}
			yb := tensor.FromFloat64(append([]float64(nil), y[i:j]...), j-i, 1)
			xb := ToTensor(mat.DenseCopyOf(X.Slice(i, j, 0, cols)))
			for _, p := range params {
				p.ZeroGrad()
			}
			loss := tensor.MSE(net.Forward(xb), yb, tensor.ReduceSum)
			loss.Backward()
			for _, p := range params {
				p.AddScaledInPlace(-lr, p.Grad())
			}
			i = j
		}
		K0 := net.Layers[2].(*nn.Linear).Weight
		W0 := net.Layers[0].(*nn.Linear).Weight
		KList = append(KList, K0.Float64s())
		WList = append(WList, mat.NewDense(2, 3, W0.Float64s()))
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
