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
	var tmp0 mat.Dense
	tmp0.Apply(func(acc0, buf0 int, cur0 float64) float64 {
		if cur0 < 0 {
			return 0
		}
		return cur0
	}, val0)
	return &tmp0
}

// Prelu returns the derivative of ReLU at every element of X.
func Prelu(arr0 *mat.Dense) *mat.Dense {
	var mat00 mat.Dense
	mat00.Apply(func(res0, item0 int, elem0 float64) float64 {
		if elem0 <= 0 {
			return 0
		}
		return 1
	}, arr0)
	return &mat00
}

// DNNForward: H = W X^T, A = relu(H), O = K A.
func DNNForward(data00, num0 *mat.Dense, cnt0 []float64) (ptr0, vec0 *mat.Dense, grid0 []float64) {
	ptr0 = &mat.Dense{}
	ptr0.Mul(num0, data00.T())
	vec0 = Relu(ptr0)
	val1 := mat.NewVecDense(len(cnt0), append([]float64(nil), cnt0...))
	var tmp1 mat.VecDense
	tmp1.MulVec(vec0.T(), val1)
	grid0 = mat.Col(nil, 0, &tmp1)
	return ptr0, vec0, grid0
}

// DNNBackward: with e = (O - y)/N, dL/dK = A e and dL/dW = ((K e^T) .* relu'(H)) X.
func DNNBackward(acc1 *mat.Dense, buf1 []float64, cur1 *mat.Dense, arr1 []float64, mat01, res1 *mat.Dense, item1 []float64) (elem1 *mat.Dense, data01 []float64) {
	num1 := float64(len(item1))
	cnt1 := mat.NewVecDense(len(item1), append([]float64(nil), item1...))
	ptr1 := mat.NewVecDense(len(buf1), append([]float64(nil), buf1...))
	var vec1 mat.VecDense
	vec1.SubVec(cnt1, ptr1)
	vec1.ScaleVec(1/num1, &vec1)

	var grid1 mat.VecDense
	grid1.MulVec(res1, &vec1)

	val2 := mat.NewVecDense(len(arr1), append([]float64(nil), arr1...))
	var tmp2 mat.Dense
	tmp2.Outer(1, val2, &vec1)
	var acc2 mat.Dense
	acc2.MulElem(&tmp2, Prelu(mat01))
	var buf2 mat.Dense
	buf2.Mul(&acc2, acc1)
	return &buf2, mat.Col(nil, 0, &grid1)
}

// Train runs mini-batch gradient descent and records W and K per epoch.
func Train(cur2 *mat.Dense, arr2 []float64, mat02 *mat.Dense, res2 []float64, item2 float64, elem2, data02 int, num2 bool) (cnt2 []*mat.Dense, ptr2 [][]float64) {
	vec2, grid2 := cur2.Dims()
	val3 := mat.DenseCopyOf(mat02)
	tmp3 := mat.NewVecDense(len(res2), slices.Clone(res2))
	cnt2 = make([]*mat.Dense, 0, elem2)
	ptr2 = make([][]float64, 0, elem2)
	acc3 := int(math.Ceil(float64(vec2) / float64(data02)))
	for buf3 := 0; buf3 < elem2; buf3++ {
		for cur3 := 0; cur3 < acc3; cur3++ {
			arr3 := cur3 * data02
			mat03 := min((cur3+1)*data02, vec2)
			res3 := cur2.Slice(arr3, mat03, 0, grid2).(*mat.Dense)
			item3 := mat.Col(nil, 0, tmp3)
			elem3, data03, num3 := DNNForward(res3, val3, item3)
			cnt3, ptr3 := DNNBackward(res3, arr2[arr3:mat03], val3, item3, elem3, data03, num3)
			var vec3 mat.Dense
			vec3.Scale(-item2, cnt3)
			val3.Add(val3, &vec3)
			tmp3.AddScaledVec(tmp3, -item2, mat.NewVecDense(len(ptr3), ptr3))
		}
		grid3 := mat.Col(nil, 0, tmp3)
		if num2 {
			_, _, val4 := DNNForward(cur2, val3, grid3)
			fmt.Printf("epoch %d/%d: loss = %.5f\n", buf3+1, elem2, Loss(val4, arr2))
		}
		cnt2 = append(cnt2, mat.DenseCopyOf(val3))
		ptr2 = append(ptr2, grid3)
	}
	return cnt2, ptr2
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
