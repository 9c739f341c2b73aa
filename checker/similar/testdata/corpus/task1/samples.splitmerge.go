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

// rawRows calls f on every row of m's storage, in place.
func rawRows(m *mat.Dense, f func(row []float64)) {
	raw := m.RawMatrix()
	for r := 0; r < raw.Rows; r++ {
		f(raw.Data[r*raw.Stride : r*raw.Stride+raw.Cols])
	}
}

// Relu returns max(0, x) of every element of X.
func Relu(X *mat.Dense) *mat.Dense {
	out := mat.DenseCopyOf(X)
	rawRows(out, func(row []float64) {
		for c, v := range row {
			if v < 0 {
				row[c] = 0
			}
		}
	})
	return out
}

// Prelu is ReLU's derivative: 1 for positive inputs, 0 otherwise.
func Prelu(X *mat.Dense) *mat.Dense {
	out := mat.DenseCopyOf(X)
	rawRows(out, func(row []float64) {
		for c, v := range row {
			if v > 0 {
				row[c] = 1
			} else {
				row[c] = 0
			}
		}
	})
	return out
}

// DNNForward computes the network one sample (one column of H) at a time.
func DNNForward(X, W *mat.Dense, K []float64) (H, A *mat.Dense, O []float64) {
	N, _ := X.Dims()
	M, _ := W.Dims()
	H = mat.NewDense(M, N, nil)
	O = make([]float64, N)
	for s := 0; s < N; s++ {
		x := X.RawRowView(s)
		for u := 0; u < M; u++ {
			H.Set(u, s, floats.Dot(W.RawRowView(u), x))
		}
	}
	A = Relu(H)
	for s := 0; s < N; s++ {
		O[s] = floats.Dot(K, mat.Col(nil, s, A))
	}
	return H, A, O
}

// sampleGrad adds sample s's share of the gradient to gradW and gradK.
func sampleGrad(gradW, gradK []float64, s int, delta float64, X, H, A *mat.Dense, K []float64) {
	_, D := X.Dims()
	floats.AddScaled(gradK, delta, mat.Col(nil, s, A))
	for u := range K {
		if H.At(u, s) <= 0 {
			continue
		}
		floats.AddScaled(gradW[u*D:(u+1)*D], delta*K[u], X.RawRowView(s))
	}
}

// DNNBackward accumulates the gradient sample by sample.
func DNNBackward(X *mat.Dense, y []float64, W *mat.Dense, K []float64, H, A *mat.Dense, O []float64) (dLdW *mat.Dense, dLdK []float64) {
	N, D := X.Dims()
	M, _ := W.Dims()
	gradW := make([]float64, M*D)
	gradK := make([]float64, M)
	for s := 0; s < N; s++ {
		sampleGrad(gradW, gradK, s, O[s]-y[s], X, H, A, K)
	}
	floats.Scale(1/float64(N), gradW)
	floats.Scale(1/float64(N), gradK)
	return mat.NewDense(M, D, gradW), gradK
}

// Train: plain mini-batch gradient descent.
func Train(X *mat.Dense, y []float64, W *mat.Dense, K []float64, lr float64, numEpochs, batchSize int, printLoss bool) (WList []*mat.Dense, KList [][]float64) {
	N, D := X.Dims()
	w := mat.DenseCopyOf(W)
	k := slices.Clone(K)
	for epoch := 1; epoch <= numEpochs; epoch++ {
		start := 0
		for start < N {
			stop := min(start+batchSize, N)
			xs := mat.DenseCopyOf(X.Slice(start, stop, 0, D))
			H, A, O := DNNForward(xs, w, k)
			gW, gK := DNNBackward(xs, y[start:stop], w, k, H, A, O)
			floats.AddScaled(w.RawMatrix().Data, -lr, gW.RawMatrix().Data)
			floats.AddScaled(k, -lr, gK)
			start = stop
		}
		WList = append(WList, mat.DenseCopyOf(w))
		KList = append(KList, slices.Clone(k))
		if printLoss {
			_, _, O := DNNForward(X, w, k)
			fmt.Println("epoch:", epoch, "loss:", Loss(O, y))
		}
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
