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

  "gonum.org/v1/gonum/floats"
  "gonum.org/v1/gonum/mat"

  "nnkit/data"
)

// cnt1: my implementation, see the task sheet.
func cnt1(ptr1, vec1 []float64, grid1 int, val2 float64, tmp2, acc2, buf2 *mat.Dense, cur2 []float64) {

  _, arr2 := tmp2.Dims()
  floats.AddScaled(vec1, val2, mat.Col(nil, grid1, buf2))
  for mat02 := range cur2 {

    if acc2.At(mat02, grid1) <= 0 {

      continue
    }
    floats.AddScaled(ptr1[mat02*arr2:(mat02+1)*arr2], val2*cur2[mat02], tmp2.RawRowView(grid1))
  }
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

// Loss returns the mean over the batch of 1/2 (y_i - O_i)^2.
func Loss(O, y []float64) float64 {

  var s float64
  for i := range O {

    s += 0.5 * (y[i] - O[i]) * (y[i] - O[i])
  }
  return s / float64(len(O))
}

// Train: my implementation, see the task sheet.
func Train(mat03 *mat.Dense, res3 []float64, item3 *mat.Dense, elem3 []float64, data03 float64, num3, cnt3 int, ptr3 bool) (vec3 []*mat.Dense, grid3 [][]float64) {

  val4 := mat.DenseCopyOf(item3)
  tmp4, acc4 := mat03.Dims()
  buf4 := slices.Clone(elem3)
  for cur4 := 1; cur4 <= num3; cur4++ {

    arr4 := 0
    for arr4 < tmp4 {

      mat04 := min(arr4+cnt3, tmp4)
      res4 := mat.DenseCopyOf(mat03.Slice(arr4, mat04, 0, acc4))
      item4, elem4, data04 := DNNForward(res4, val4, buf4)
      num4, cnt4 := DNNBackward(res4, res3[arr4:mat04], val4, buf4, item4, elem4, data04)
      floats.AddScaled(val4.RawMatrix().Data, -data03, num4.RawMatrix().Data)
      floats.AddScaled(buf4, -data03, cnt4)
      arr4 = mat04
    }
    grid3 = append(grid3, slices.Clone(buf4))
    vec3 = append(vec3, mat.DenseCopyOf(val4))
    if ptr3 {

      _, _, ptr4 := DNNForward(mat03, val4, buf4)
      fmt.Println("epoch:", cur4, "loss:", Loss(ptr4, res3))
    }
  }
  return vec3, grid3
}

// DNNBackward: my implementation, see the task sheet.
func DNNBackward(res2 *mat.Dense, item2 []float64, elem2 *mat.Dense, data02 []float64, num2, cnt2 *mat.Dense, ptr2 []float64) (vec2 *mat.Dense, grid2 []float64) {

  val3, _ := elem2.Dims()
  tmp3, acc3 := res2.Dims()
  buf3 := make([]float64, val3)
  cur3 := make([]float64, val3*acc3)
  for arr3 := range tmp3 {

    cnt1(cur3, buf3, arr3, ptr2[arr3]-item2[arr3], res2, num2, cnt2, data02)
  }
  floats.Scale(1/float64(tmp3), cur3)
  floats.Scale(1/float64(tmp3), buf3)
  return mat.NewDense(val3, acc3, cur3), buf3
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

// DNNForward: my implementation, see the task sheet.
func DNNForward(val1, tmp1 *mat.Dense, acc1 []float64) (buf1, cur1 *mat.Dense, arr1 []float64) {

  mat01, _ := tmp1.Dims()
  res1, _ := val1.Dims()
  arr1 = make([]float64, res1)
  buf1 = mat.NewDense(mat01, res1, nil)
  for item1 := range res1 {

    elem1 := val1.RawRowView(item1)
    for data01 := range mat01 {

      buf1.Set(data01, item1, floats.Dot(tmp1.RawRowView(data01), elem1))
    }
  }
  cur1 = Relu(buf1)
  for num1 := range res1 {

    arr1[num1] = floats.Dot(acc1, mat.Col(nil, num1, cur1))
  }
  return buf1, cur1, arr1
}

// Relu: my implementation, see the task sheet.
func Relu(mat00 *mat.Dense) *mat.Dense {

  res0 := mat.DenseCopyOf(mat00)
  val0(res0, func(item0 []float64) {

    for elem0, data00 := range item0 {

      if data00 < 0 {

        item0[elem0] = 0
      }
    }
  })
  return res0
}

// val0: my implementation, see the task sheet.
func val0(tmp0 *mat.Dense, acc0 func(buf0 []float64)) {

  cur0 := tmp0.RawMatrix()
  for arr0 := range cur0.Rows {

    acc0(cur0.Data[arr0*cur0.Stride : arr0*cur0.Stride+cur0.Cols])
  }
}

// Prelu: my implementation, see the task sheet.
func Prelu(num0 *mat.Dense) *mat.Dense {

  cnt0 := mat.DenseCopyOf(num0)
  val0(cnt0, func(ptr0 []float64) {

    for vec0, grid0 := range ptr0 {

      if grid0 > 0 {

        ptr0[vec0] = 1
      } else {

        ptr0[vec0] = 0
      }
    }
  })
  return cnt0
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
