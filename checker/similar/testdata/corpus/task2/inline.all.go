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

// tmp0: my implementation, see the task sheet.
func tmp0(acc0 []float64) *tensor.Tensor {

  buf0 := make([]float64, len(acc0))
  copy(buf0, acc0)
  return tensor.FromFloat64(buf0, len(acc0), 1)
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

  val0 := nn.NewSequential(
    nn.NewLinear(3, 2, false),
    nn.NewReLU(),
    nn.NewLinear(2, 1, false),
  )
  return val0
}

// cur0: my implementation, see the task sheet.
func cur0(arr0 *nn.Sequential) (*mat.Dense, []float64) {

  mat00 := arr0.Layers[2].(*nn.Linear)
  res0 := arr0.Layers[0].(*nn.Linear)
  return ToDense(res0.Weight), mat00.Weight.Float64s()
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
func TrainTorch(item0 *nn.Sequential, elem0 *mat.Dense, data00 []float64, num0 int, cnt0 float64, ptr0 int) (vec0 []*mat.Dense, grid0 [][]float64) {

  nn.Cast(item0, tensor.Float64)
  InitWeights(item0)
  val1 := nn.NewMSELoss(tensor.ReduceSum)
  tmp1 := optim.NewSGD(item0.Parameters(), cnt0, 0, 0)
  acc1, _ := elem0.Dims()
  buf1 := ToTensor(elem0)
  cur1 := (acc1 + ptr0 - 1) / ptr0
  arr1 := tmp0(data00)
  for range num0 {

    for mat01 := range cur1 {

      res1 := min((mat01+1)*ptr0, acc1)
      item1 := mat01 * ptr0
      elem1 := tensor.Slice(arr1, item1, res1)
      data01 := tensor.Slice(buf1, item1, res1)
      tmp1.ZeroGrad()
      num1 := item0.Forward(data01)
      cnt1 := val1.Forward(num1, elem1)
      cnt1.Backward()
      tmp1.Step()
    }
    ptr1, vec1 := cur0(item0)
    grid0 = append(grid0, vec1)
    vec0 = append(vec0, ptr1)
  }
  return vec0, grid0
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
