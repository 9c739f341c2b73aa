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

// vecOf copies s into a new vector.
func vecOf(s []float64) *mat.VecDense {
	return mat.NewVecDense(len(s), append([]float64(nil), s...))
}

// clampApply applies f to X into a new matrix.
func clampApply(X *mat.Dense, f func(float64) float64) *mat.Dense {
	var out mat.Dense
	out.Apply(func(i, j int, v float64) float64 { return f(v) }, X)
	return &out
}

// Relu returns max(0, x) of every element of X, in a new matrix of X's
// shape.
func Relu(X *mat.Dense) *mat.Dense {
	return clampApply(X, func(v float64) float64 {
		if v < 0 {
			return 0
		}
		return v
	})
}

// Prelu returns the derivative of ReLU at every element of X.
func Prelu(X *mat.Dense) *mat.Dense {
	return clampApply(X, func(v float64) float64 {
		if v <= 0 {
			return 0
		}
		return 1
	})
}

// DNNForward: H = W X^T, A = relu(H), O = K A.
func DNNForward(X, W *mat.Dense, K []float64) (H, A *mat.Dense, O []float64) {
	H = &mat.Dense{}
	H.Mul(W, X.T())
	A = Relu(H)
	var ov mat.VecDense
	ov.MulVec(A.T(), vecOf(K))
	O = mat.Col(nil, 0, &ov)
	return H, A, O
}

// outputError returns e = (O - y)/N.
func outputError(O, y []float64) *mat.VecDense {
	var e mat.VecDense
	e.SubVec(vecOf(O), vecOf(y))
	e.ScaleVec(1/float64(len(O)), &e)
	return &e
}

// DNNBackward: with e = (O - y)/N, dL/dK = A e and dL/dW = ((K e^T) .* relu'(H)) X.
func DNNBackward(X *mat.Dense, y []float64, W *mat.Dense, K []float64, H, A *mat.Dense, O []float64) (dLdW *mat.Dense, dLdK []float64) {
	e := outputError(O, y)
	var gk mat.VecDense
	gk.MulVec(A, e)

	var dA mat.Dense
	dA.Outer(1, vecOf(K), e)
	var dH mat.Dense
	dH.MulElem(&dA, Prelu(H))
	var gw mat.Dense
	gw.Mul(&dH, X)
	return &gw, mat.Col(nil, 0, &gk)
}

// descend moves W and K one step of size lr against the gradients.
func descend(curW *mat.Dense, curK *mat.VecDense, gW *mat.Dense, gK []float64, lr float64) {
	var stepW mat.Dense
	stepW.Scale(-lr, gW)
	curW.Add(curW, &stepW)
	curK.AddScaledVec(curK, -lr, mat.NewVecDense(len(gK), gK))
}

// Train runs mini-batch gradient descent and records W and K per epoch.
func Train(X *mat.Dense, y []float64, W *mat.Dense, K []float64, lr float64, numEpochs, batchSize int, printLoss bool) (WList []*mat.Dense, KList [][]float64) {
	n, cols := X.Dims()
	curW := mat.DenseCopyOf(W)
	curK := vecOf(K)
	WList = make([]*mat.Dense, 0, numEpochs)
	KList = make([][]float64, 0, numEpochs)
	batches := int(math.Ceil(float64(n) / float64(batchSize)))
	for ep := 0; ep < numEpochs; ep++ {
		for b := 0; b < batches; b++ {
			lo := b * batchSize
			hi := min((b+1)*batchSize, n)
			Xb := X.Slice(lo, hi, 0, cols).(*mat.Dense)
			kNow := mat.Col(nil, 0, curK)
			H, A, O := DNNForward(Xb, curW, kNow)
			gW, gK := DNNBackward(Xb, y[lo:hi], curW, kNow, H, A, O)
			descend(curW, curK, gW, gK, lr)
		}
		kNow := mat.Col(nil, 0, curK)
		if printLoss {
			_, _, O := DNNForward(X, curW, kNow)
			fmt.Printf("epoch %d/%d: loss = %.5f\n", ep+1, numEpochs, Loss(O, y))
		}
		WList = append(WList, mat.DenseCopyOf(curW))
		KList = append(KList, kNow)
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
