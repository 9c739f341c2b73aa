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
	val0 := nn.NewSequential(
		nn.NewLinear(3, 2, false),
		nn.NewReLU(),
		nn.NewLinear(2, 1, false),
	)
	return val0
}

// TrainTorch trains net on X and y and returns the weights after every epoch.
func TrainTorch(tmp0 *nn.Sequential, acc0 *mat.Dense, buf0 []float64, cur0 int, arr0 float64, mat00 int) (res0 []*mat.Dense, item0 [][]float64) {
	nn.Cast(tmp0, tensor.Float64)
	InitWeights(tmp0)
	elem0 := optim.NewSGD(tmp0.Parameters(), arr0, 0, 0)
	data00 := nn.NewMSELoss(tensor.ReduceSum)
	num0, _ := acc0.Dims()
	cnt0 := ToTensor(acc0)
	ptr0 := make([]float64, len(buf0))
	copy(ptr0, buf0)
	vec0 := tensor.FromFloat64(ptr0, num0, 1)
	grid0 := (num0 + mat00 - 1) / mat00
	for val1 := 0; val1 < cur0; val1++ {
		for tmp1 := 0; tmp1 < grid0; tmp1++ {
			acc1 := tmp1 * mat00
			buf1 := min((tmp1+1)*mat00, num0)
			cur1 := tensor.Slice(cnt0, acc1, buf1)
			arr1 := tensor.Slice(vec0, acc1, buf1)
			elem0.ZeroGrad()
			mat01 := tmp0.Forward(cur1)
			res1 := data00.Forward(mat01, arr1)
			res1.Backward()
			elem0.Step()
		}
		item1 := tmp0.Layers[0].(*nn.Linear)
		elem1 := tmp0.Layers[2].(*nn.Linear)
		res0 = append(res0, ToDense(item1.Weight))
		item0 = append(item0, elem1.Weight.Float64s())
	}
	return res0, item0
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
