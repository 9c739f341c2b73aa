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

// mapElems applies f to every element of m and returns the result as a
// new matrix.
func val0(tmp0 *mat.Dense, acc0 func(float64) float64) *mat.Dense {
	buf0, cur0 := tmp0.Dims()
	arr0 := mat.NewDense(buf0, cur0, nil)
	for mat00 := range buf0 {
		for res0 := range cur0 {
			arr0.Set(mat00, res0, acc0(tmp0.At(mat00, res0)))
		}
	}
	return arr0
}

func Relu(item0 *mat.Dense) *mat.Dense {
	return val0(item0, func(elem0 float64) float64 { return math.Max(0, elem0) })
}

func Prelu(data00 *mat.Dense) *mat.Dense {
	return val0(data00, num0)
}

func num0(cnt0 float64) float64 {
	if cnt0 > 0 {
		return 1.0
	}
	return 0.0
}

// matmulT returns a * b^T.
func ptr0(vec0, grid0 *mat.Dense) *mat.Dense {
	var val1 mat.Dense
	val1.Mul(vec0, grid0.T())
	return &val1
}

// rowTimes returns the row vector v times m (len(v) x cols of m).
func tmp1(acc1 []float64, buf1 *mat.Dense) []float64 {
	_, cur1 := buf1.Dims()
	arr1 := make([]float64, cur1)
	for mat01, res1 := range acc1 {
		for item1 := range cur1 {
			arr1[item1] += res1 * buf1.At(mat01, item1)
		}
	}
	return arr1
}

func DNNForward(elem1, data01 *mat.Dense, num1 []float64) (cnt1, ptr1 *mat.Dense, vec1 []float64) {
	cnt1 = ptr0(data01, elem1)
	ptr1 = Relu(cnt1)
	vec1 = tmp1(num1, ptr1)
	return
}

// residuals returns (O - y) / N, the gradient of the loss with respect to O.
func grid1(val2, tmp2 []float64) []float64 {
	acc2 := make([]float64, len(val2))
	for buf2 := range val2 {
		acc2[buf2] = (val2[buf2] - tmp2[buf2]) / float64(len(val2))
	}
	return acc2
}

func DNNBackward(cur2 *mat.Dense, arr2 []float64, mat02 *mat.Dense, res2 []float64, item2, elem2 *mat.Dense, data02 []float64) (num2 *mat.Dense, cnt2 []float64) {
	ptr2 := grid1(data02, arr2)
	vec2 := mat.NewVecDense(len(ptr2), ptr2)
	var grid2 mat.VecDense
	grid2.MulVec(elem2, vec2)
	cnt2 = grid2.RawVector().Data

	val3, tmp3 := item2.Dims()
	acc3 := mat.NewDense(val3, tmp3, nil)
	buf3 := Prelu(item2)
	for cur3 := range val3 {
		for arr3 := range tmp3 {
			acc3.Set(cur3, arr3, res2[cur3]*ptr2[arr3]*buf3.At(cur3, arr3))
		}
	}
	num2 = new(mat.Dense)
	num2.Mul(acc3, cur2)
	return
}

// sgdStep moves W and K against their gradients, in place.
func mat03(res3 *mat.Dense, item3 []float64, elem3 *mat.Dense, data03 []float64, num3 float64) {
	var cnt3 mat.Dense
	cnt3.Scale(num3, elem3)
	res3.Sub(res3, &cnt3)
	for ptr3 := range item3 {
		item3[ptr3] -= num3 * data03[ptr3]
	}
}

// batch returns rows lo..hi of X and y.
func vec3(grid3 *mat.Dense, val4 []float64, tmp4, acc4 int) (*mat.Dense, []float64) {
	_, buf4 := grid3.Dims()
	return mat.DenseCopyOf(grid3.Slice(tmp4, acc4, 0, buf4)), val4[tmp4:acc4]
}

func Train(cur4 *mat.Dense, arr4 []float64, mat04 *mat.Dense, res4 []float64, item4 float64, elem4, data04 int, num4 bool) (cnt4 []*mat.Dense, ptr4 [][]float64) {
	mat04 = mat.DenseCopyOf(mat04)
	res4 = slices.Clone(res4)
	vec4 := len(arr4)
	for grid4 := range elem4 {
		for val5 := 0; val5 < vec4; val5 += data04 {
			tmp5, acc5 := vec3(cur4, arr4, val5, min(val5+data04, vec4))
			buf5, cur5, arr5 := DNNForward(tmp5, mat04, res4)
			mat05, res5 := DNNBackward(tmp5, acc5, mat04, res4, buf5, cur5, arr5)
			mat03(mat04, res4, mat05, res5, item4)
		}
		cnt4 = append(cnt4, mat.DenseCopyOf(mat04))
		ptr4 = append(ptr4, slices.Clone(res4))
		if num4 {
			_, _, item5 := DNNForward(cur4, mat04, res4)
			fmt.Printf("epoch %d loss %f\n", grid4, Loss(item5, arr4))
		}
	}
	return
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
