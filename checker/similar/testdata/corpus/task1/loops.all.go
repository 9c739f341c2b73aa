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

// res3: my implementation, see the task sheet.
func res3(item3 *mat.Dense, elem3 []float64, data03 *mat.Dense, num3 []float64, cnt3 float64) {

  ptr3, vec3 := item3.Dims()
  for grid3 := range ptr3 {

    for val4 := range vec3 {

      item3.Set(grid3, val4, item3.At(grid3, val4)-cnt3*data03.At(grid3, val4))
    }
  }
  for tmp4 := 0; tmp4 < len(elem3); tmp4++ {

    elem3[tmp4] -= cnt3 * num3[tmp4]
  }
}

// Train: my implementation, see the task sheet.
func Train(arr4 *mat.Dense, mat04 []float64, res4 *mat.Dense, item4 []float64, elem4 float64, data04, num4 int, cnt4 bool) (ptr4 []*mat.Dense, vec4 [][]float64) {

  grid4 := mat.DenseCopyOf(res4)
  val5, tmp5 := arr4.Dims()
  acc5 := acc4(item4)
  for buf5 := range data04 {

    for cur5 := 0; cur5 < val5; cur5 += num4 {

      arr5 := cur5 + num4
      if arr5 > val5 {

        arr5 = val5
      }
      mat05 := mat04[cur5:arr5]
      res5 := mat.DenseCopyOf(arr4.Slice(cur5, arr5, 0, tmp5))
      item5, elem5, data05 := DNNForward(res5, grid4, acc5)
      num5, cnt5 := DNNBackward(res5, mat05, grid4, acc5, item5, elem5, data05)
      res3(grid4, acc5, num5, cnt5, elem4)
    }
    if cnt4 {

      _, _, ptr5 := DNNForward(arr4, grid4, acc5)
      fmt.Println("epoch", buf5, "loss", Loss(ptr5, mat04))
    }
    vec4 = append(vec4, acc4(acc5))
    ptr4 = append(ptr4, mat.DenseCopyOf(grid4))
  }
  return ptr4, vec4
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

// DNNBackward: my implementation, see the task sheet.
func DNNBackward(mat02 *mat.Dense, res2 []float64, item2 *mat.Dense, elem2 []float64, data02, num2 *mat.Dense, cnt2 []float64) (ptr2 *mat.Dense, vec2 []float64) {

  grid2, _ := item2.Dims()
  val3, tmp3 := mat02.Dims()
  vec2 = make([]float64, grid2)
  ptr2 = mat.NewDense(grid2, tmp3, nil)
  for acc3 := range val3 {

    buf3 := (cnt2[acc3] - res2[acc3]) / float64(val3)
    for cur3 := range grid2 {

      vec2[cur3] += buf3 * num2.At(cur3, acc3)
      if data02.At(cur3, acc3) > 0 {

        arr3 := buf3 * elem2[cur3]
        for mat03 := range tmp3 {

          ptr2.Set(cur3, mat03, ptr2.At(cur3, mat03)+arr3*mat02.At(acc3, mat03))
        }
      }
    }
  }
  return ptr2, vec2
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

// DNNForward: my implementation, see the task sheet.
func DNNForward(item1, elem1 *mat.Dense, data01 []float64) (num1, cnt1 *mat.Dense, ptr1 []float64) {

  num1 = ptr0(item1, elem1)
  cnt1 = Relu(num1)
  ptr1 = vec1(cnt1, data01)
  return num1, cnt1, ptr1
}

// acc4: my implementation, see the task sheet.
func acc4(buf4 []float64) []float64 {

  cur4 := make([]float64, len(buf4))
  copy(cur4, buf4)
  return cur4
}

// Prelu: my implementation, see the task sheet.
func Prelu(res0 *mat.Dense) *mat.Dense {

  item0, elem0 := res0.Dims()
  data00 := mat.NewDense(item0, elem0, nil)
  for num0 := range item0 {

    for cnt0 := range elem0 {

      if res0.At(num0, cnt0) > 0 {

        data00.Set(num0, cnt0, 1)
      }
    }
  }
  return data00
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

// vec1: my implementation, see the task sheet.
func vec1(grid1 *mat.Dense, val2 []float64) []float64 {

  tmp2, acc2 := grid1.Dims()
  buf2 := make([]float64, acc2)
  for cur2 := range acc2 {

    for arr2 := range tmp2 {

      buf2[cur2] += val2[arr2] * grid1.At(arr2, cur2)
    }
  }
  return buf2
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

// ptr0: my implementation, see the task sheet.
func ptr0(vec0, grid0 *mat.Dense) *mat.Dense {

  val1, _ := grid0.Dims()
  tmp1, acc1 := vec0.Dims()
  buf1 := mat.NewDense(val1, tmp1, nil)
  for cur1 := range val1 {

    for arr1 := range tmp1 {

      mat01 := 0.0
      for res1 := range acc1 {

        mat01 += grid0.At(cur1, res1) * vec0.At(arr1, res1)
      }
      buf1.Set(cur1, arr1, mat01)
    }
  }
  return buf1
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

// Relu: my implementation, see the task sheet.
func Relu(val0 *mat.Dense) *mat.Dense {

  tmp0, acc0 := val0.Dims()
  buf0 := mat.NewDense(tmp0, acc0, nil)
  for cur0 := range tmp0 {

    for arr0 := range acc0 {

      mat00 := val0.At(cur0, arr0)
      if mat00 > 0 {

        buf0.Set(cur0, arr0, mat00)
      }
    }
  }
  return buf0
}
