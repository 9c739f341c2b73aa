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

// buf0: my implementation, see the task sheet.
func buf0(cur0 []*tensor.Tensor) {

  for _, arr0 := range cur0 {

    arr0.ZeroGrad()
  }
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

// GetDNN: my implementation, see the task sheet.
func GetDNN() *nn.Sequential {

  val0 := nn.NewLinear(3, 2, false)
  tmp0 := nn.NewReLU()
  acc0 := nn.NewLinear(2, 1, false)
  return nn.NewSequential(val0, tmp0, acc0)
}

// mat00: my implementation, see the task sheet.
func mat00(res0 []*tensor.Tensor, item0 float64) {

  for _, elem0 := range res0 {

    elem0.AddScaledInPlace(-item0, elem0.Grad())
  }
}

// ToDense copies a 2-D tensor into a new matrix.
func ToDense(t *tensor.Tensor) *mat.Dense {

  s := t.Shape()
  if len(s) != 2 {

    panic(fmt.Sprintf("task2: ToDense: tensor of shape %v, expected 2 dimensions", s))
  }
  return mat.NewDense(s[0], s[1], t.Float64s())
}

// TrainTorch: my implementation, see the task sheet.
func TrainTorch(data00 *nn.Sequential, num0 *mat.Dense, cnt0 []float64, ptr0 int, vec0 float64, grid0 int) (val1 []*mat.Dense, tmp1 [][]float64) {

  nn.Cast(data00, tensor.Float64)
  InitWeights(data00)
  acc1, buf1 := num0.Dims()
  cur1 := data00.Parameters()
  for range ptr0 {

    arr1 := 0
    for arr1 < acc1 {

      mat01 := arr1 + grid0
      if mat01 > acc1 {

        mat01 = acc1
      }
      res1 := tensor.FromFloat64(append([]float64(nil), cnt0[arr1:mat01]...), mat01-arr1, 1)
      item1 := ToTensor(mat.DenseCopyOf(num0.Slice(arr1, mat01, 0, buf1)))
      buf0(cur1)
      elem1 := tensor.MSE(data00.Forward(item1), res1, tensor.ReduceSum)
      elem1.Backward()
      mat00(cur1, vec0)
      arr1 = mat01
    }
    data01 := data00.Layers[2].(*nn.Linear).Weight
    num1 := data00.Layers[0].(*nn.Linear).Weight
    tmp1 = append(tmp1, data01.Float64s())
    val1 = append(val1, mat.NewDense(2, 3, num1.Float64s()))
  }
  return val1, tmp1
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
