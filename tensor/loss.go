package tensor

import (
	"fmt"
	"math"
	"slices"
)

// CrossEntropy is the mean softmax cross-entropy of logits [N, C] against
// integer class labels, computed from log-softmax so large logits do not
// overflow. Backward: (softmax(logits) - onehot(labels)) / N.
func CrossEntropy(logits *Tensor, labels []int) *Tensor {
	if logits.Dim() != 2 {
		panic(fmt.Sprintf("tensor: CrossEntropy needs logits [N C], found shape %v", logits.shape))
	}
	n, c := logits.shape[0], logits.shape[1]
	if len(labels) != n {
		panic(fmt.Sprintf("tensor: CrossEntropy: %d labels for %d rows of logits", len(labels), n))
	}
	if n == 0 {
		panic("tensor: CrossEntropy of an empty batch")
	}
	for i, y := range labels {
		if y < 0 || y >= c {
			panic(fmt.Sprintf("tensor: CrossEntropy: label %d at row %d is outside [0, %d)", y, i, c))
		}
	}
	be := backendFor("CrossEntropy", logits)
	out, st := be.crossEntropy(logits, labels)
	out = record(out, "CrossEntropy", func(g *Tensor) {
		gi := be.crossEntropyBackward(g, logits, labels, st)
		st.release()
		accum(logits, gi, true)
	}, logits)
	return keepFor(out, st)
}

// crossEntropyHost is CrossEntropy's forward kernel on the host; it keeps
// the log-probabilities for the backward kernel.
func crossEntropyHost(logits *Tensor, labels []int) (*Tensor, saved) {
	n, c := logits.shape[0], logits.shape[1]
	logp := New(logits.dtype, n, c)
	if logits.dtype == Float32 {
		softmaxForward(logp.f32, logits.f32, n, c, 1, true)
	} else {
		softmaxForward(logp.f64, logits.f64, n, c, 1, true)
	}
	vals := logp.Float64s()
	loss := 0.0
	for i, y := range labels {
		loss -= vals[i*c+y]
	}
	return Scalar(logits.dtype, loss/float64(n)), &hostSaved{a: vals}
}

// crossEntropyBackwardHost is (softmax(logits) - onehot(labels)) * g / N.
func crossEntropyBackwardHost(g, logits *Tensor, labels []int, st saved) *Tensor {
	vals := st.(*hostSaved).a
	n, c := logits.shape[0], logits.shape[1]
	s := g.Item() / float64(n)
	gi := newGrad(logits, false)
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			v := math.Exp(vals[i*c+j])
			if j == labels[i] {
				v--
			}
			if logits.dtype == Float32 {
				gi.f32[i*c+j] = float32(v * s)
			} else {
				gi.f64[i*c+j] = v * s
			}
		}
	}
	return gi
}

// Reduction says how a loss combines per-element terms.
type Reduction int

const (
	ReduceMean Reduction = iota
	ReduceSum
)

// MSE is the squared error between pred and target (same shape), summed or
// averaged over every element.
func MSE(pred, target *Tensor, r Reduction) *Tensor {
	if !slices.Equal(pred.shape, target.shape) {
		panic(fmt.Sprintf("tensor: MSE: prediction shape %v differs from target shape %v", pred.shape, target.shape))
	}
	d := Sub(pred, target)
	sq := Mul(d, d)
	if r == ReduceSum {
		return Sum(sq)
	}
	return Mean(sq)
}
