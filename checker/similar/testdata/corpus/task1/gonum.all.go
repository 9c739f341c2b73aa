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

// DNNBackward: my implementation, see the task sheet.
func DNNBackward(item1 *mat.Dense, elem1 []float64, data01 *mat.Dense, num1 []float64, cnt1, ptr1 *mat.Dense, vec1 []float64) (grid1 *mat.Dense, val2 []float64) {

  var tmp2 mat.VecDense
  acc2 := cur1(vec1, elem1)
  tmp2.MulVec(ptr1, acc2)

  var buf2 mat.Dense
  buf2.Outer(1, val0(num1), acc2)
  var cur2 mat.Dense
  cur2.MulElem(&buf2, Prelu(cnt1))
  var arr2 mat.Dense
  arr2.Mul(&cur2, item1)
  return &arr2, mat.Col(nil, 0, &tmp2)
}

// Train: my implementation, see the task sheet.
func Train(ptr2 *mat.Dense, vec2 []float64, grid2 *mat.Dense, val3 []float64, tmp3 float64, acc3, buf3 int, cur3 bool) (arr3 []*mat.Dense, mat03 [][]float64) {

  res3 := mat.DenseCopyOf(grid2)
  item3, elem3 := ptr2.Dims()
  arr3 = make([]*mat.Dense, 0, acc3)
  data03 := val0(val3)
  num3 := int(math.Ceil(float64(item3) / float64(buf3)))
  mat03 = make([][]float64, 0, acc3)
  for cnt3 := range acc3 {

    for ptr3 := range num3 {

      vec3 := min((ptr3+1)*buf3, item3)
      grid3 := ptr3 * buf3
      val4 := mat.Col(nil, 0, data03)
      tmp4 := ptr2.Slice(grid3, vec3, 0, elem3).(*mat.Dense)
      acc4, buf4, cur4 := DNNForward(tmp4, res3, val4)
      arr4, mat04 := DNNBackward(tmp4, vec2[grid3:vec3], res3, val4, acc4, buf4, cur4)
      mat02(res3, data03, arr4, mat04, tmp3)
    }
    res4 := mat.Col(nil, 0, data03)
    if cur3 {

      _, _, item4 := DNNForward(ptr2, res3, res4)
      fmt.Printf("epoch %d/%d: loss = %.5f\n", cnt3+1, acc3, Loss(item4, vec2))
    }
    mat03 = append(mat03, res4)
    arr3 = append(arr3, mat.DenseCopyOf(res3))
  }
  return arr3, mat03
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

// cur1: my implementation, see the task sheet.
func cur1(arr1, mat01 []float64) *mat.VecDense {

  var res1 mat.VecDense
  res1.SubVec(val0(arr1), val0(mat01))
  res1.ScaleVec(1/float64(len(arr1)), &res1)
  return &res1
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

// Prelu: my implementation, see the task sheet.
func Prelu(num0 *mat.Dense) *mat.Dense {

  return acc0(num0, func(cnt0 float64) float64 {

    if cnt0 <= 0 {

      return 0
    }
    return 1
  })
}

// mat02: my implementation, see the task sheet.
func mat02(res2 *mat.Dense, item2 *mat.VecDense, elem2 *mat.Dense, data02 []float64, num2 float64) {

  var cnt2 mat.Dense
  cnt2.Scale(-num2, elem2)
  res2.Add(res2, &cnt2)
  item2.AddScaledVec(item2, -num2, mat.NewVecDense(len(data02), data02))
}

// acc0: my implementation, see the task sheet.
func acc0(buf0 *mat.Dense, cur0 func(float64) float64) *mat.Dense {

  var arr0 mat.Dense
  arr0.Apply(func(mat00, res0 int, item0 float64) float64 { return cur0(item0) }, buf0)
  return &arr0
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

// DNNForward: my implementation, see the task sheet.
func DNNForward(ptr0, vec0 *mat.Dense, grid0 []float64) (val1, tmp1 *mat.Dense, acc1 []float64) {

  val1 = &mat.Dense{}
  val1.Mul(vec0, ptr0.T())
  var buf1 mat.VecDense
  tmp1 = Relu(val1)
  buf1.MulVec(tmp1.T(), val0(grid0))
  acc1 = mat.Col(nil, 0, &buf1)
  return val1, tmp1, acc1
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

// Relu: my implementation, see the task sheet.
func Relu(elem0 *mat.Dense) *mat.Dense {

  return acc0(elem0, func(data00 float64) float64 {

    if data00 < 0 {

      return 0
    }
    return data00
  })
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

// Loss returns the mean over the batch of 1/2 (y_i - O_i)^2.
func Loss(O, y []float64) float64 {

  var s float64
  for i := range O {

    s += 0.5 * (y[i] - O[i]) * (y[i] - O[i])
  }
  return s / float64(len(O))
}

// val0: my implementation, see the task sheet.
func val0(tmp0 []float64) *mat.VecDense {

  return mat.NewVecDense(len(tmp0), append([]float64(nil), tmp0...))
}
