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

// TrainTorch: my implementation, see the task sheet.
func TrainTorch(tmp0 *nn.Sequential, acc0 *mat.Dense, buf0 []float64, cur0 int, arr0 float64, mat00 int) (res0 []*mat.Dense, item0 [][]float64) {

  nn.Cast(tmp0, tensor.Float64)
  InitWeights(tmp0)
  elem0 := nn.NewMSELoss(tensor.ReduceSum)
  data00 := optim.NewSGD(tmp0.Parameters(), arr0, 0, 0)
  _, num0 := acc0.Dims()
  for range cur0 {

    for cnt0 := 0; cnt0 < len(buf0); cnt0 += mat00 {

      ptr0 := min(cnt0+mat00, len(buf0))
      vec0 := tensor.FromFloat64(append([]float64{}, buf0[cnt0:ptr0]...), ptr0-cnt0, 1)
      grid0 := ToTensor(mat.DenseCopyOf(acc0.Slice(cnt0, ptr0, 0, num0)))
      data00.ZeroGrad()
      val1 := elem0.Forward(tmp0.Forward(grid0), vec0)
      val1.Backward()
      data00.Step()
    }
    tmp1 := tmp0.Layers[2].(*nn.Linear).Weight
    acc1 := tmp0.Layers[0].(*nn.Linear).Weight
    res0 = append(res0, ToDense(acc1))
    item0 = append(item0, ToDense(tmp1).RawRowView(0))
  }
  return
}

// ToDense copies a 2-D tensor into a new matrix.
func ToDense(t *tensor.Tensor) *mat.Dense {

  s := t.Shape()
  if len(s) != 2 {

    panic(fmt.Sprintf("task2: ToDense: tensor of shape %v, expected 2 dimensions", s))
  }
  return mat.NewDense(s[0], s[1], t.Float64s())
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

  val0 := []nn.Module{nn.NewLinear(3, 2, false), nn.NewReLU(), nn.NewLinear(2, 1, false)}
  return nn.NewSequential(val0...)
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
