package nn_test

import (
	"testing"

	"nnkit/nn"
	"nnkit/optim"
	"nnkit/tensor"
)

// A 2-layer MLP trained with SGD separates a linearly separable toy set.
func TestTrainMLPReachesFullAccuracy(t *testing.T) {
	nn.Seed(1)
	rng := tensor.NewRNG(2)
	const n = 128
	xs := make([]float64, 0, 2*n)
	labels := make([]int, 0, n)
	for len(labels) < n {
		a, b := 4*rng.Float64()-2, 4*rng.Float64()-2
		s := a + 2*b - 0.5
		if s > -0.2 && s < 0.2 {
			continue // keep a margin around the boundary
		}
		xs = append(xs, a, b)
		if s > 0 {
			labels = append(labels, 1)
		} else {
			labels = append(labels, 0)
		}
	}
	x := tensor.FromValues(tensor.Float32, xs, n, 2)
	net := nn.NewSequential(nn.NewLinear(2, 8, true), nn.NewReLU(), nn.NewLinear(8, 2, true))
	lossFn := nn.NewCrossEntropyLoss(nn.ReduceMean)
	opt := optim.NewSGD(net.Parameters(), 0.5, 0.9, 0)
	var first, last float64
	for epoch := range 150 {
		opt.ZeroGrad()
		loss := lossFn.Forward(net.Forward(x), labels)
		loss.Backward()
		opt.Step()
		if epoch == 0 {
			first = loss.Item()
		}
		last = loss.Item()
	}
	net.SetTraining(false)
	var pred []int
	tensor.NoGrad(func() { pred = tensor.Argmax(net.Forward(x), 1) })
	correct := 0
	for i := range pred {
		if pred[i] == labels[i] {
			correct++
		}
	}
	if correct != n {
		t.Errorf("accuracy %d/%d after training (loss %.4f -> %.4f), want 100%%", correct, n, first, last)
	}
}
