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

func GetDNN() *nn.Sequential {
	val0 := []nn.Module{nn.NewLinear(3, 2, false), nn.NewReLU(), nn.NewLinear(2, 1, false)}
	return nn.NewSequential(val0...)
}

// batchTensors returns rows lo..hi of X and y as tensors ([B 3] and [B 1]).
func tmp0(acc0 *mat.Dense, buf0 []float64, cur0, arr0 int) (*tensor.Tensor, *tensor.Tensor) {
	_, mat00 := acc0.Dims()
	res0 := ToTensor(mat.DenseCopyOf(acc0.Slice(cur0, arr0, 0, mat00)))
	item0 := tensor.FromFloat64(append([]float64{}, buf0[cur0:arr0]...), arr0-cur0, 1)
	return res0, item0
}

// snapshot copies the two weight matrices of the net.
func elem0(data00 *nn.Sequential) (*mat.Dense, []float64) {
	num0 := data00.Layers[0].(*nn.Linear).Weight
	cnt0 := data00.Layers[2].(*nn.Linear).Weight
	return ToDense(num0), ToDense(cnt0).RawRowView(0)
}

// trainBatch does one SGD step on a batch.
func ptr0(vec0 *nn.Sequential, grid0 *optim.SGD, val1 *nn.MSELoss, tmp1, acc1 *tensor.Tensor) {
	grid0.ZeroGrad()
	buf1 := val1.Forward(vec0.Forward(tmp1), acc1)
	buf1.Backward()
	grid0.Step()
}

func TrainTorch(cur1 *nn.Sequential, arr1 *mat.Dense, mat01 []float64, res1 int, item1 float64, elem1 int) (data01 []*mat.Dense, num1 [][]float64) {
	nn.Cast(cur1, tensor.Float64)
	InitWeights(cur1)
	cnt1 := optim.NewSGD(cur1.Parameters(), item1, 0, 0)
	ptr1 := nn.NewMSELoss(tensor.ReduceSum)
	for range res1 {
		for vec1 := 0; vec1 < len(mat01); vec1 += elem1 {
			grid1, val2 := tmp0(arr1, mat01, vec1, min(vec1+elem1, len(mat01)))
			ptr0(cur1, cnt1, ptr1, grid1, val2)
		}
		tmp2, acc2 := elem0(cur1)
		data01 = append(data01, tmp2)
		num1 = append(num1, acc2)
	}
	return
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
