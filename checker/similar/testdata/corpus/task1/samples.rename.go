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

// Relu returns max(0, x) of every element of X.
func Relu(val0 *mat.Dense) *mat.Dense {
	tmp0 := mat.DenseCopyOf(val0)
	acc0 := tmp0.RawMatrix()
	for buf0 := 0; buf0 < acc0.Rows; buf0++ {
		cur0 := acc0.Data[buf0*acc0.Stride : buf0*acc0.Stride+acc0.Cols]
		for arr0, mat00 := range cur0 {
			if mat00 < 0 {
				cur0[arr0] = 0
			}
		}
	}
	return tmp0
}

// Prelu is ReLU's derivative: 1 for positive inputs, 0 otherwise.
func Prelu(res0 *mat.Dense) *mat.Dense {
	item0 := mat.DenseCopyOf(res0)
	elem0 := item0.RawMatrix()
	for data00 := 0; data00 < elem0.Rows; data00++ {
		num0 := elem0.Data[data00*elem0.Stride : data00*elem0.Stride+elem0.Cols]
		for cnt0, ptr0 := range num0 {
			if ptr0 > 0 {
				num0[cnt0] = 1
			} else {
				num0[cnt0] = 0
			}
		}
	}
	return item0
}

// DNNForward computes the network one sample (one column of H) at a time.
func DNNForward(vec0, grid0 *mat.Dense, val1 []float64) (tmp1, acc1 *mat.Dense, buf1 []float64) {
	cur1, _ := vec0.Dims()
	arr1, _ := grid0.Dims()
	tmp1 = mat.NewDense(arr1, cur1, nil)
	buf1 = make([]float64, cur1)
	for mat01 := 0; mat01 < cur1; mat01++ {
		res1 := vec0.RawRowView(mat01)
		for item1 := 0; item1 < arr1; item1++ {
			tmp1.Set(item1, mat01, floats.Dot(grid0.RawRowView(item1), res1))
		}
	}
	acc1 = Relu(tmp1)
	for elem1 := 0; elem1 < cur1; elem1++ {
		buf1[elem1] = floats.Dot(val1, mat.Col(nil, elem1, acc1))
	}
	return tmp1, acc1, buf1
}

// DNNBackward accumulates the gradient sample by sample.
func DNNBackward(data01 *mat.Dense, num1 []float64, cnt1 *mat.Dense, ptr1 []float64, vec1, grid1 *mat.Dense, val2 []float64) (tmp2 *mat.Dense, acc2 []float64) {
	buf2, cur2 := data01.Dims()
	arr2, _ := cnt1.Dims()
	mat02 := make([]float64, arr2*cur2)
	res2 := make([]float64, arr2)
	for item2 := 0; item2 < buf2; item2++ {
		elem2 := val2[item2] - num1[item2]
		floats.AddScaled(res2, elem2, mat.Col(nil, item2, grid1))
		for data02 := 0; data02 < arr2; data02++ {
			if vec1.At(data02, item2) <= 0 {
				continue
			}
			floats.AddScaled(mat02[data02*cur2:(data02+1)*cur2], elem2*ptr1[data02], data01.RawRowView(item2))
		}
	}
	floats.Scale(1/float64(buf2), mat02)
	floats.Scale(1/float64(buf2), res2)
	return mat.NewDense(arr2, cur2, mat02), res2
}

// Train: plain mini-batch gradient descent.
func Train(num2 *mat.Dense, cnt2 []float64, ptr2 *mat.Dense, vec2 []float64, grid2 float64, val3, tmp3 int, acc3 bool) (buf3 []*mat.Dense, cur3 [][]float64) {
	arr3, mat03 := num2.Dims()
	res3 := mat.DenseCopyOf(ptr2)
	item3 := slices.Clone(vec2)
	for elem3 := 1; elem3 <= val3; elem3++ {
		data03 := 0
		for data03 < arr3 {
			num3 := min(data03+tmp3, arr3)
			cnt3 := mat.DenseCopyOf(num2.Slice(data03, num3, 0, mat03))
			ptr3, vec3, grid3 := DNNForward(cnt3, res3, item3)
			val4, tmp4 := DNNBackward(cnt3, cnt2[data03:num3], res3, item3, ptr3, vec3, grid3)
			floats.AddScaled(res3.RawMatrix().Data, -grid2, val4.RawMatrix().Data)
			floats.AddScaled(item3, -grid2, tmp4)
			data03 = num3
		}
		buf3 = append(buf3, mat.DenseCopyOf(res3))
		cur3 = append(cur3, slices.Clone(item3))
		if acc3 {
			_, _, acc4 := DNNForward(num2, res3, item3)
			fmt.Println("epoch:", elem3, "loss:", Loss(acc4, cnt2))
		}
	}
	return buf3, cur3
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
