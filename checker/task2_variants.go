package checker

// This file holds the answer to TrainTorch, with knobs: check dist leaves
// it out of the student copy (see torchVariants).

import (
	"slices"

	"gonum.org/v1/gonum/mat"

	"nnkit/nn"
	"nnkit/optim"
	"nnkit/solutions/task2"
	"nnkit/tensor"
)

func init() {
	for _, k := range torchMistakes {
		torchVariants = append(torchVariants, torchVariant{what: k.what, keepsPart: k.keepsPart, train: k.train})
	}
}

// torchKnobs trains like TrainTorch, written by the checker with knobs
// for the known mistakes.
type torchKnobs struct {
	offByOne  bool // batch end min((b+1)*bs, N-1)
	mean      bool // mean instead of sum reduction
	noZero    bool // gradients never zeroed
	noInit    bool // InitWeights not called
	noCast    bool // trained in float32
	what      string
	keepsPart bool // the rest is right: keep some points
}

var torchMistakes = []torchKnobs{
	{offByOne: true, keepsPart: true, what: "the batches drop the last sample: batch b ends at min((b+1)*batchSize, N), not N-1 (the original template's bug); otherwise right"},
	{mean: true, what: "the loss is averaged over the batch; TrainTorch uses the sum (nn.NewMSELoss(tensor.ReduceSum))"},
	{noZero: true, what: "the gradients are never zeroed, so they add up over the batches: call ZeroGrad before every backward pass"},
	{noInit: true, what: "the weights were not initialised with InitWeights(net), so training starts from other weights"},
	{noCast: true, what: "it trains in float32: cast the net to float64 first (nn.Cast(net, tensor.Float64))"},
}

func (v torchKnobs) train(net *nn.Sequential, X *mat.Dense, y []float64, epochs int, lr float64, bs int) ([]*mat.Dense, [][]float64) {
	dt := tensor.Float64
	if v.noCast {
		dt = tensor.Float32
	}
	nn.Cast(net, dt)
	if !v.noInit {
		task2.InitWeights(net)
	}
	opt := optim.NewSGD(net.Parameters(), lr, 0, 0)
	red := tensor.ReduceSum
	if v.mean {
		red = tensor.ReduceMean
	}
	Xt := task2.ToTensor(X).To(dt)
	yt := tensor.FromFloat64(slices.Clone(y), len(y), 1).To(dt)
	n := len(y)
	var WL []*mat.Dense
	var KL [][]float64
	for range epochs {
		for lo := 0; lo < n; lo += bs {
			hi := min(lo+bs, n)
			if v.offByOne {
				hi = min(lo+bs, n-1)
			}
			if hi <= lo {
				continue
			}
			if !v.noZero {
				opt.ZeroGrad()
			}
			l := tensor.MSE(net.Forward(tensor.Slice(Xt, lo, hi)), tensor.Slice(yt, lo, hi), red)
			l.Backward()
			opt.Step()
		}
		WL = append(WL, mat.NewDense(2, 3, net.Layers[0].(*nn.Linear).Weight.Float64s()))
		KL = append(KL, net.Layers[2].(*nn.Linear).Weight.Float64s())
	}
	return WL, KL
}
