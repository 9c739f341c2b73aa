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
func tmp0(acc0 *nn.Linear) *mat.Dense {

  buf0 := acc0.Weight.Shape()
  cur0 := mat.NewDense(buf0[0], buf0[1], nil)
  for arr0 := range buf0[0] {

    for mat00 := range buf0[1] {

      cur0.Set(arr0, mat00, acc0.Weight.At(arr0, mat00))
    }
  }
  return cur0
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
func TrainTorch(res0 *nn.Sequential, item0 *mat.Dense, elem0 []float64, data00 int, num0 float64, cnt0 int) (ptr0 []*mat.Dense, vec0 [][]float64) {

  nn.Cast(res0, tensor.Float64)
  InitWeights(res0)
  grid0 := nn.NewMSELoss(tensor.ReduceSum)
  val1 := optim.NewSGD(res0.Parameters(), num0, 0, 0)
  tmp1 := tensor.FromFloat64(append([]float64(nil), elem0...), len(elem0), 1)
  acc1 := ToTensor(item0)
  buf1 := len(elem0)
  for cur1 := 1; cur1 <= data00; cur1++ {

    arr1 := []int{}
    for mat01 := range buf1 {

      arr1 = append(arr1, mat01)
      if len(arr1) == cnt0 || mat01 == buf1-1 {

        val1.ZeroGrad()
        res1 := res0.Forward(tensor.Rows(acc1, arr1))
        item1 := grid0.Forward(res1, tensor.Rows(tmp1, arr1))
        item1.Backward()
        val1.Step()
        arr1 = arr1[:0]
      }
    }
    ptr0 = append(ptr0, tmp0(res0.Layers[0].(*nn.Linear)))
    vec0 = append(vec0, tmp0(res0.Layers[2].(*nn.Linear)).RawRowView(0))
  }
  return ptr0, vec0
}

// GetDNN: my implementation, see the task sheet.
func GetDNN() *nn.Sequential {

  var val0 []nn.Module
  val0 = append(val0, nn.NewLinear(3, 2, false))
  val0 = append(val0, nn.NewReLU())
  val0 = append(val0, nn.NewLinear(2, 1, false))
  return nn.NewSequential(val0...)
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
