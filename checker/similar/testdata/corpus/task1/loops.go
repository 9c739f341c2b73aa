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
func Relu(X *mat.Dense) *mat.Dense {
	rows, cols := X.Dims()
	res := mat.NewDense(rows, cols, nil)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			v := X.At(i, j)
			if v > 0 {
				res.Set(i, j, v)
			}
		}
	}
	return res
}

// Prelu returns the derivative of ReLU at every element of X, in a new
// matrix of X's shape: 1 where x > 0 and 0 elsewhere (ReLU'(0) is taken
// as 0).
func Prelu(X *mat.Dense) *mat.Dense {
	rows, cols := X.Dims()
	res := mat.NewDense(rows, cols, nil)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			if X.At(i, j) > 0 {
				res.Set(i, j, 1)
			}
		}
	}
	return res
}

// DNNForward runs the network on the N x 3 batch X with hidden weights W
// (2 x 3) and output weights K (2 entries). It returns the hidden
// pre-activations H = W X^T (2 x N), the activations A = relu(H) (2 x N)
// and the outputs O = K A (N entries).
func DNNForward(X, W *mat.Dense, K []float64) (H, A *mat.Dense, O []float64) {
	n, d := X.Dims()
	hidden, _ := W.Dims()
	H = mat.NewDense(hidden, n, nil)
	for i := 0; i < hidden; i++ {
		for j := 0; j < n; j++ {
			sum := 0.0
			for k := 0; k < d; k++ {
				sum += W.At(i, k) * X.At(j, k)
			}
			H.Set(i, j, sum)
		}
	}
	A = Relu(H)
	O = make([]float64, n)
	for j := 0; j < n; j++ {
		for i := 0; i < hidden; i++ {
			O[j] += K[i] * A.At(i, j)
		}
	}
	return H, A, O
}

// DNNBackward returns the gradients of the loss L = 1/N sum_i 1/2
// (y_i - O_i)^2 with respect to W (2 x 3, W's shape) and K (2 entries),
// given the batch X (N x 3), its labels y and what DNNForward returned
// for it (H, A, O).
func DNNBackward(X *mat.Dense, y []float64, W *mat.Dense, K []float64, H, A *mat.Dense, O []float64) (dLdW *mat.Dense, dLdK []float64) {
	n, d := X.Dims()
	hidden, _ := W.Dims()
	dLdW = mat.NewDense(hidden, d, nil)
	dLdK = make([]float64, hidden)
	for j := 0; j < n; j++ {
		e := (O[j] - y[j]) / float64(n)
		for i := 0; i < hidden; i++ {
			dLdK[i] += e * A.At(i, j)
			if H.At(i, j) > 0 {
				g := e * K[i]
				for k := 0; k < d; k++ {
					dLdW.Set(i, k, dLdW.At(i, k)+g*X.At(j, k))
				}
			}
		}
	}
	return dLdW, dLdK
}

// Train trains the network by mini-batch gradient descent, starting from
// W and K (which it leaves unchanged), and returns a copy of W and of K
// taken after every epoch (numEpochs of each).
func Train(X *mat.Dense, y []float64, W *mat.Dense, K []float64, lr float64, numEpochs, batchSize int, printLoss bool) (WList []*mat.Dense, KList [][]float64) {
	n, d := X.Dims()
	w := mat.DenseCopyOf(W)
	k := make([]float64, len(K))
	copy(k, K)
	for epoch := 0; epoch < numEpochs; epoch++ {
		for start := 0; start < n; start += batchSize {
			end := start + batchSize
			if end > n {
				end = n
			}
			xb := mat.DenseCopyOf(X.Slice(start, end, 0, d))
			yb := y[start:end]
			h, a, o := DNNForward(xb, w, k)
			gw, gk := DNNBackward(xb, yb, w, k, h, a, o)
			r, c := w.Dims()
			for i := 0; i < r; i++ {
				for j := 0; j < c; j++ {
					w.Set(i, j, w.At(i, j)-lr*gw.At(i, j))
				}
			}
			for i := 0; i < len(k); i++ {
				k[i] -= lr * gk[i]
			}
		}
		if printLoss {
			_, _, o := DNNForward(X, w, k)
			fmt.Println("epoch", epoch, "loss", Loss(o, y))
		}
		WList = append(WList, mat.DenseCopyOf(w))
		kc := make([]float64, len(k))
		copy(kc, k)
		KList = append(KList, kc)
	}
	return WList, KList
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
