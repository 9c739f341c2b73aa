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

func Relu(X *mat.Dense) *mat.Dense {
	r, c := X.Dims()
	out := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			out.Set(i, j, math.Max(0, X.At(i, j)))
		}
	}
	return out
}

func Prelu(X *mat.Dense) *mat.Dense {
	r, c := X.Dims()
	out := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			if X.At(i, j) > 0 {
				out.Set(i, j, 1.0)
			} else {
				out.Set(i, j, 0.0)
			}
		}
	}
	return out
}

func DNNForward(X, W *mat.Dense, K []float64) (H, A *mat.Dense, O []float64) {
	var h mat.Dense
	h.Mul(W, X.T())
	H = &h
	A = Relu(H)
	_, c := A.Dims()
	O = make([]float64, c)
	for i, vi := range K {
		for j := range c {
			O[j] += vi * A.At(i, j)
		}
	}
	return
}

func DNNBackward(X *mat.Dense, y []float64, W *mat.Dense, K []float64, H, A *mat.Dense, O []float64) (dLdW *mat.Dense, dLdK []float64) {
	g := make([]float64, len(O))
	for i := range O {
		g[i] = (O[i] - y[i]) / float64(len(O))
	}
	gv := mat.NewVecDense(len(g), g)
	var dk mat.VecDense
	dk.MulVec(A, gv)
	dLdK = dk.RawVector().Data

	hr, hc := H.Dims()
	dH := mat.NewDense(hr, hc, nil)
	mask := Prelu(H)
	for i := range hr {
		for j := range hc {
			dH.Set(i, j, K[i]*g[j]*mask.At(i, j))
		}
	}
	dLdW = new(mat.Dense)
	dLdW.Mul(dH, X)
	return
}

func Train(X *mat.Dense, y []float64, W *mat.Dense, K []float64, lr float64, numEpochs, batchSize int, printLoss bool) (WList []*mat.Dense, KList [][]float64) {
	W = mat.DenseCopyOf(W)
	K = slices.Clone(K)
	N := len(y)
	_, cols := X.Dims()
	for e := range numEpochs {
		for lo := 0; lo < N; lo += batchSize {
			hi := min(lo+batchSize, N)
			xb, yb := mat.DenseCopyOf(X.Slice(lo, hi, 0, cols)), y[lo:hi]
			H, A, O := DNNForward(xb, W, K)
			dW, dK := DNNBackward(xb, yb, W, K, H, A, O)
			var s mat.Dense
			s.Scale(lr, dW)
			W.Sub(W, &s)
			for i := range K {
				K[i] -= lr * dK[i]
			}
		}
		WList = append(WList, mat.DenseCopyOf(W))
		KList = append(KList, slices.Clone(K))
		if printLoss {
			_, _, O := DNNForward(X, W, K)
			fmt.Printf("epoch %d loss %f\n", e, Loss(O, y))
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
