// Package task1 is task 1 of assignment 2: a multi-layer perceptron written
// from scratch on gonum matrices (20 points).
//
// The network maps 3 inputs to 2 hidden ReLU units and the hidden units to
// one output, with no biases:
//
//	H = W X^T      (2 x N)   W is 2 x 3, X is N x 3
//	A = relu(H)    (2 x N)
//	O = K A        (N)       K has 2 entries
//
// and is trained on labels y in {+1, -1} with the loss
//
//	L = 1/N sum_i 1/2 (y_i - O_i)^2
//
// Graded functions and their points (keep the names and signatures: the
// checker binds to them and gives 0 for a renamed function, a changed
// signature or an extra import):
//
//	Relu(X) [3]          elementwise max(0, x), same shape as X
//	Prelu(X) [2]         the derivative of ReLU: 1 where x > 0, else 0
//	                     (not the parametric ReLU)
//	DNNForward [5]       H, A and O as above
//	DNNBackward [5]      dL/dW (2 x 3) and dL/dK (2 entries)
//	Train [5]            mini-batch gradient descent, see its comment
//
// Conventions: no function modifies its arguments (copy a matrix with
// mat.DenseCopyOf and a slice with slices.Clone before changing it), and
// every matrix returned is newly allocated. The helpers below (Loss,
// Inference, Accuracy, NumericalGradient, GetData, InitParams) are given;
// use them to test your code.
package task1

import (
  "fmt"
  "math"
  "math/rand/v2"
  "slices"

  "gonum.org/v1/gonum/mat"

  "nnkit/data"
)

// Train: my implementation, see the task sheet.
func Train(data02 *mat.Dense, num2 []float64, cnt2 *mat.Dense, ptr2 []float64, vec2 float64, grid2, val3 int, tmp3 bool) (acc3 []*mat.Dense, buf3 [][]float64) {

  ptr2 = slices.Clone(ptr2)
  cnt2 = mat.DenseCopyOf(cnt2)
  _, cur3 := data02.Dims()
  arr3 := len(num2)
  for mat03 := range grid2 {

    for res3 := 0; res3 < arr3; res3 += val3 {

      item3 := min(res3+val3, arr3)
      elem3, data03 := mat.DenseCopyOf(data02.Slice(res3, item3, 0, cur3)), num2[res3:item3]
      num3, cnt3, ptr3 := DNNForward(elem3, cnt2, ptr2)
      var vec3 mat.Dense
      grid3, val4 := DNNBackward(elem3, data03, cnt2, ptr2, num3, cnt3, ptr3)
      vec3.Scale(vec2, grid3)
      cnt2.Sub(cnt2, &vec3)
      for tmp4 := range ptr2 {

        ptr2[tmp4] -= vec2 * val4[tmp4]
      }
    }
    buf3 = append(buf3, slices.Clone(ptr2))
    acc3 = append(acc3, mat.DenseCopyOf(cnt2))
    if tmp3 {

      _, _, acc4 := DNNForward(data02, cnt2, ptr2)
      fmt.Printf("epoch %d loss %f\n", mat03, Loss(acc4, num2))
    }
  }
  return
}

// DNNBackward: my implementation, see the task sheet.
func DNNBackward(res1 *mat.Dense, item1 []float64, elem1 *mat.Dense, data01 []float64, num1, cnt1 *mat.Dense, ptr1 []float64) (vec1 *mat.Dense, grid1 []float64) {

  val2 := make([]float64, len(ptr1))
  for tmp2 := range ptr1 {

    val2[tmp2] = (ptr1[tmp2] - item1[tmp2]) / float64(len(ptr1))
  }
  var acc2 mat.VecDense
  buf2 := mat.NewVecDense(len(val2), val2)
  acc2.MulVec(cnt1, buf2)
  cur2, arr2 := num1.Dims()

  grid1 = acc2.RawVector().Data
  mat02 := Prelu(num1)
  res2 := mat.NewDense(cur2, arr2, nil)
  for item2 := range cur2 {

    for elem2 := range arr2 {

      res2.Set(item2, elem2, data01[item2]*val2[elem2]*mat02.At(item2, elem2))
    }
  }
  vec1 = new(mat.Dense)
  vec1.Mul(res2, res1)
  return
}

// InitParams returns initial weights for seed: W (2 x 3) and K (2
// entries) drawn from a normal distribution with mean 0 and standard
// deviation 1.
func InitParams(seed uint64) (W *mat.Dense, K []float64) {

  r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
  W = mat.NewDense(2, 3, nil)
  for i := range 2 {

    for j := range 3 {

      W.Set(i, j, r.NormFloat64())
    }
  }
  K = []float64{r.NormFloat64(), r.NormFloat64()}
  return W, K
}

// Prelu: my implementation, see the task sheet.
func Prelu(mat00 *mat.Dense) *mat.Dense {

  res0, item0 := mat00.Dims()
  elem0 := mat.NewDense(res0, item0, nil)
  for data00 := range res0 {

    for num0 := range item0 {

      if mat00.At(data00, num0) > 0 {

        elem0.Set(data00, num0, 1.0)
      } else {

        elem0.Set(data00, num0, 0.0)
      }
    }
  }
  return elem0
}

// Loss returns the mean over the batch of 1/2 (y_i - O_i)^2.
func Loss(O, y []float64) float64 {

  var s float64
  for i := range O {

    s += 0.5 * (y[i] - O[i]) * (y[i] - O[i])
  }
  return s / float64(len(O))
}

// DNNForward: my implementation, see the task sheet.
func DNNForward(cnt0, ptr0 *mat.Dense, vec0 []float64) (grid0, val1 *mat.Dense, tmp1 []float64) {

  var acc1 mat.Dense
  acc1.Mul(ptr0, cnt0.T())
  grid0 = &acc1
  val1 = Relu(grid0)
  _, buf1 := val1.Dims()
  tmp1 = make([]float64, buf1)
  for cur1, arr1 := range vec0 {

    for mat01 := range buf1 {

      tmp1[mat01] += arr1 * val1.At(cur1, mat01)
    }
  }
  return
}

// NumericalGradient estimates dL/dW and dL/dK numerically, to test
// DNNBackward: a forward difference (L(W + eps e_ij) - L(W)) / eps for
// every entry of W and a central difference (L(K + eps e_i) -
// L(K - eps e_i)) / (2 eps) for every entry of K, with eps = 1e-6.
func NumericalGradient(X *mat.Dense, y []float64, W *mat.Dense, K []float64) (dLdW *mat.Dense, dLdK []float64) {

  const eps = 1e-6
  loss := func(W *mat.Dense, K []float64) float64 {

    _, _, O := DNNForward(X, W, K)
    return Loss(O, y)
  }
  base := loss(W, K)
  r, c := W.Dims()
  dLdW = mat.NewDense(r, c, nil)
  for i := range r {

    for j := range c {

      Wp := mat.DenseCopyOf(W)
      Wp.Set(i, j, W.At(i, j)+eps)
      dLdW.Set(i, j, (loss(Wp, K)-base)/eps)
    }
  }
  dLdK = make([]float64, len(K))
  for i := range K {

    Kp, Km := slices.Clone(K), slices.Clone(K)
    Kp[i] += eps
    Km[i] -= eps
    dLdK[i] = (loss(W, Kp) - loss(W, Km)) / (2 * eps)
  }
  return dLdW, dLdK
}

// Relu: my implementation, see the task sheet.
func Relu(val0 *mat.Dense) *mat.Dense {

  tmp0, acc0 := val0.Dims()
  buf0 := mat.NewDense(tmp0, acc0, nil)
  for cur0 := range tmp0 {

    for arr0 := range acc0 {

      buf0.Set(cur0, arr0, math.Max(0, val0.At(cur0, arr0)))
    }
  }
  return buf0
}

// Describe returns one line about a trained network: its loss and
// accuracy on X and y.
func Describe(X *mat.Dense, y []float64, W *mat.Dense, K []float64) string {

  _, _, O := DNNForward(X, W, K)
  loss := Loss(O, y)
  if math.IsNaN(loss) {

    return "loss NaN: check your gradients and learning rate"
  }
  return fmt.Sprintf("loss %.4f, accuracy %.3f", loss, Accuracy(Inference(O), y))
}

// Accuracy returns the fraction of predictions equal to the labels.
func Accuracy(pred, y []float64) float64 {

  if len(y) == 0 {

    return 0
  }
  right := 0
  for i := range y {

    if pred[i] == y[i] {

      right++
    }
  }
  return float64(right) / float64(len(y))
}

// Inference turns outputs into class predictions: +1 where O > 0 and -1
// elsewhere.
func Inference(O []float64) []float64 {

  pred := make([]float64, len(O))
  for i, o := range O {

    pred[i] = -1
    if o > 0 {

      pred[i] = 1
    }
  }
  return pred
}

// GetData returns the task's data set for seed: data.TwoCubesSamples
// points of the two-cubes data set (see nnkit/data.NewTwoCubes) with every
// feature standardised to mean 0 and standard deviation 1, and their
// labels (+1 or -1).
func GetData(seed uint64) (X *mat.Dense, y []float64, err error) {

  d, err := data.NewTwoCubes(data.TwoCubesSamples, seed)
  if err != nil {

    return nil, nil, err
  }
  X, _, _ = data.Standardize(d.X)
  return X, d.Y, nil
}
