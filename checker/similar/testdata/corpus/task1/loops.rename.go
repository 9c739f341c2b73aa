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

// Relu returns max(0, x) of every element of X, in a new matrix of X's
// shape.
func Relu(val0 *mat.Dense) *mat.Dense {
	tmp0, acc0 := val0.Dims()
	buf0 := mat.NewDense(tmp0, acc0, nil)
	for cur0 := 0; cur0 < tmp0; cur0++ {
		for arr0 := 0; arr0 < acc0; arr0++ {
			mat00 := val0.At(cur0, arr0)
			if mat00 > 0 {
				buf0.Set(cur0, arr0, mat00)
			}
		}
	}
	return buf0
}

// Prelu returns the derivative of ReLU at every element of X, in a new
// matrix of X's shape: 1 where x > 0 and 0 elsewhere (ReLU'(0) is taken
// as 0).
func Prelu(res0 *mat.Dense) *mat.Dense {
	item0, elem0 := res0.Dims()
	data00 := mat.NewDense(item0, elem0, nil)
	for num0 := 0; num0 < item0; num0++ {
		for cnt0 := 0; cnt0 < elem0; cnt0++ {
			if res0.At(num0, cnt0) > 0 {
				data00.Set(num0, cnt0, 1)
			}
		}
	}
	return data00
}

// DNNForward runs the network on the N x 3 batch X with hidden weights W
// (2 x 3) and output weights K (2 entries). It returns the hidden
// pre-activations H = W X^T (2 x N), the activations A = relu(H) (2 x N)
// and the outputs O = K A (N entries).
func DNNForward(ptr0, vec0 *mat.Dense, grid0 []float64) (val1, tmp1 *mat.Dense, acc1 []float64) {
	buf1, cur1 := ptr0.Dims()
	arr1, _ := vec0.Dims()
	val1 = mat.NewDense(arr1, buf1, nil)
	for mat01 := 0; mat01 < arr1; mat01++ {
		for res1 := 0; res1 < buf1; res1++ {
			item1 := 0.0
			for elem1 := 0; elem1 < cur1; elem1++ {
				item1 += vec0.At(mat01, elem1) * ptr0.At(res1, elem1)
			}
			val1.Set(mat01, res1, item1)
		}
	}
	tmp1 = Relu(val1)
	acc1 = make([]float64, buf1)
	for data01 := 0; data01 < buf1; data01++ {
		for num1 := 0; num1 < arr1; num1++ {
			acc1[data01] += grid0[num1] * tmp1.At(num1, data01)
		}
	}
	return val1, tmp1, acc1
}

// DNNBackward returns the gradients of the loss L = 1/N sum_i 1/2
// (y_i - O_i)^2 with respect to W (2 x 3, W's shape) and K (2 entries),
// given the batch X (N x 3), its labels y and what DNNForward returned
// for it (H, A, O).
func DNNBackward(cnt1 *mat.Dense, ptr1 []float64, vec1 *mat.Dense, grid1 []float64, val2, tmp2 *mat.Dense, acc2 []float64) (buf2 *mat.Dense, cur2 []float64) {
	arr2, mat02 := cnt1.Dims()
	res2, _ := vec1.Dims()
	buf2 = mat.NewDense(res2, mat02, nil)
	cur2 = make([]float64, res2)
	for item2 := 0; item2 < arr2; item2++ {
		elem2 := (acc2[item2] - ptr1[item2]) / float64(arr2)
		for data02 := 0; data02 < res2; data02++ {
			cur2[data02] += elem2 * tmp2.At(data02, item2)
			if val2.At(data02, item2) > 0 {
				num2 := elem2 * grid1[data02]
				for cnt2 := 0; cnt2 < mat02; cnt2++ {
					buf2.Set(data02, cnt2, buf2.At(data02, cnt2)+num2*cnt1.At(item2, cnt2))
				}
			}
		}
	}
	return buf2, cur2
}

// Train trains the network by mini-batch gradient descent, starting from
// W and K (which it leaves unchanged), and returns a copy of W and of K
// taken after every epoch (numEpochs of each).
func Train(ptr2 *mat.Dense, vec2 []float64, grid2 *mat.Dense, val3 []float64, tmp3 float64, acc3, buf3 int, cur3 bool) (arr3 []*mat.Dense, mat03 [][]float64) {
	res3, item3 := ptr2.Dims()
	elem3 := mat.DenseCopyOf(grid2)
	data03 := make([]float64, len(val3))
	copy(data03, val3)
	for num3 := 0; num3 < acc3; num3++ {
		for cnt3 := 0; cnt3 < res3; cnt3 += buf3 {
			ptr3 := cnt3 + buf3
			if ptr3 > res3 {
				ptr3 = res3
			}
			vec3 := mat.DenseCopyOf(ptr2.Slice(cnt3, ptr3, 0, item3))
			grid3 := vec2[cnt3:ptr3]
			val4, tmp4, acc4 := DNNForward(vec3, elem3, data03)
			buf4, cur4 := DNNBackward(vec3, grid3, elem3, data03, val4, tmp4, acc4)
			arr4, mat04 := elem3.Dims()
			for res4 := 0; res4 < arr4; res4++ {
				for item4 := 0; item4 < mat04; item4++ {
					elem3.Set(res4, item4, elem3.At(res4, item4)-tmp3*buf4.At(res4, item4))
				}
			}
			for elem4 := 0; elem4 < len(data03); elem4++ {
				data03[elem4] -= tmp3 * cur4[elem4]
			}
		}
		if cur3 {
			_, _, data04 := DNNForward(ptr2, elem3, data03)
			fmt.Println("epoch", num3, "loss", Loss(data04, vec2))
		}
		arr3 = append(arr3, mat.DenseCopyOf(elem3))
		num4 := make([]float64, len(data03))
		copy(num4, data03)
		mat03 = append(mat03, num4)
	}
	return arr3, mat03
}

// Loss returns the mean over the batch of 1/2 (y_i - O_i)^2.
func Loss(O, y []float64) float64 {
	var s float64
	for i := range O {
		s += 0.5 * (y[i] - O[i]) * (y[i] - O[i])
	}
	return s / float64(len(O))
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
