package conceptual

import (
	"nnkit/conceptual/internal/matrix"

	"math"

	"nnkit/nn"
	"nnkit/optim"
	"nnkit/tensor"
)

// Convention says how a weight matrix's indices map to a layer's inputs
// and outputs. The figure of problem 5 is missing, so the kit states its
// convention and shows the other one.
type Convention int

const (
	// OutputsByRows is z = W x + B: w_{i,j} connects input x_j to output
	// z_i (PyTorch's nn.Linear weight layout). The kit's convention.
	OutputsByRows Convention = iota
	// InputsByRows is z = W^T x + B: w_{i,j} connects input x_i to output
	// z_j.
	InputsByRows
)

func (c Convention) String() string {
	if c == InputsByRows {
		return "z = W^T x + B"
	}
	return "z = W x + B"
}

// Problem5 returns the problem's numbers: W, B, x, p and the learning rate.
func Problem5() (W [][]float64, B, x, p []float64, lr float64) {
	return [][]float64{{1, 0}, {0, -1}}, []float64{0, 0}, []float64{1, 1}, []float64{0.3, 0.7}, 0.02
}

// SGDStep is every intermediate quantity of one SGD step of a softmax
// layer with E = -sum_i p_i ln q_i.
type SGDStep struct {
	Z, Q, DEdZ []float64
	DEdW       [][]float64
	DEdB       []float64
	W, B       [][]float64 // W' and B' (B' as a column: one entry a row)
}

// SoftmaxSGDStep computes one step in closed form: z = W x + B (or
// W^T x + B), q = softmax(z), dE/dz = q - p, and
//
//	OutputsByRows:  dE/dw_{i,j} = (q_i - p_i) x_j
//	InputsByRows:   dE/dw_{i,j} = x_i (q_j - p_j)
//	both:           dE/db_i = q_i - p_i
//
// then W' = W - lr dE/dW and B' = B - lr dE/dB.
func SoftmaxSGDStep(W [][]float64, B, x, p []float64, lr float64, c Convention) SGDStep {
	var s SGDStep
	nOut := len(B)
	s.Z = make([]float64, nOut)
	for o := range nOut {
		s.Z[o] = B[o]
		for in := range x {
			s.Z[o] += weight(W, in, o, c) * x[in]
		}
	}
	s.Q = Softmax(s.Z)
	s.DEdZ = SoftmaxCEGrad(s.Z, p)
	s.DEdW = matrix.New(len(W), len(W[0]))
	s.W = matrix.New(len(W), len(W[0]))
	for i := range W {
		for j := range W[i] {
			if c == OutputsByRows {
				s.DEdW[i][j] = s.DEdZ[i] * x[j]
			} else {
				s.DEdW[i][j] = x[i] * s.DEdZ[j]
			}
			s.W[i][j] = W[i][j] - lr*s.DEdW[i][j]
		}
	}
	s.DEdB = append([]float64(nil), s.DEdZ...)
	s.B = matrix.New(nOut, 1)
	for i := range B {
		s.B[i][0] = B[i] - lr*s.DEdB[i]
	}
	return s
}

// weight is the weight from input in to output o under convention c.
func weight(W [][]float64, in, o int, c Convention) float64 {
	if c == OutputsByRows {
		return W[o][in]
	}
	return W[in][o]
}

// SoftmaxSGDStepEngine runs the same step with the engine in float64:
// under OutputsByRows an nn.Linear layer (weight = W, bias = B, so
// z = x W^T + B for the row vector x), under InputsByRows raw tensors
// (z = x W + B); the loss is -sum(p * LogSoftmax(z)), and optim.SGD takes
// the step. It returns W' and B'.
func SoftmaxSGDStepEngine(W [][]float64, B, x, p []float64, lr float64, c Convention) ([][]float64, []float64) {
	xt := tensor.FromFloat64(append([]float64(nil), x...), 1, len(x))
	pt := tensor.FromFloat64(append([]float64(nil), p...), 1, len(p))
	wt := tensor.FromFloat64(matrix.Flatten(W), len(W), len(W[0])).SetRequiresGrad(true)
	bt := tensor.FromFloat64(append([]float64(nil), B...), len(B)).SetRequiresGrad(true)
	var z *tensor.Tensor
	if c == OutputsByRows {
		lin := nn.NewLinear(len(x), len(B), true)
		lin.Weight, lin.Bias = wt, bt
		z = lin.Forward(xt)
	} else {
		z = tensor.Add(tensor.MatMul(xt, wt), bt)
	}
	opt := optim.NewSGD([]*tensor.Tensor{wt, bt}, lr, 0, 0)
	opt.ZeroGrad()
	tensor.Neg(tensor.Sum(tensor.Mul(pt, tensor.LogSoftmax(z, 1)))).Backward()
	opt.Step()
	return matrix.Unflatten(wt.Float64s(), len(W), len(W[0])), bt.Float64s()
}

// maxAbsDiff is the largest |a - b| over two same-shape matrices.
func maxAbsDiff(a, b [][]float64) float64 {
	d := 0.0
	for i := range a {
		for j := range a[i] {
			d = math.Max(d, math.Abs(a[i][j]-b[i][j]))
		}
	}
	return d
}
