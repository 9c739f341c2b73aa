package grade

import (
	"nnkit/conceptual/internal/matrix"

	"nnkit/nn"
	"nnkit/optim"
	"nnkit/tensor"
)

// This file computes the truths of problems 3 and 5 with the engine. The
// student distribution (`check dist`) leaves it out and ships the salted
// hashes of judge.go instead, so that the answers are not one function
// call away there.

func init() { liveTruths = computeTruths }

// p3Net is the network stated in problem 3's question (answers/answers.txt
// and docs/conceptual/p3-parameter-count.md); bias and batch norm can be
// left out to recognise common slips.
func p3Net(bias, bn bool) nn.Module {
	layers := []nn.Module{nn.NewConv2d(3, 32, 3, 1, 1, bias)}
	if bn {
		layers = append(layers, nn.NewBatchNorm2d(32))
	}
	layers = append(layers, nn.NewReLU(), nn.NewMaxPool2d(2, 2, 0), nn.NewConv2d(32, 64, 3, 1, 1, bias))
	if bn {
		layers = append(layers, nn.NewBatchNorm2d(64))
	}
	layers = append(layers, nn.NewReLU(), nn.NewMaxPool2d(2, 2, 0), nn.NewFlatten(),
		nn.NewLinear(64*8*8, 128, bias), nn.NewReLU(), nn.NewLinear(128, 10, bias))
	return nn.NewSequential(layers...)
}

// p5Truth runs the step of problem 5 with the engine: nn.Linear(2, 2)
// holding W (its weight is [out, in], so z = W x + B) and B, loss
// -sum(p * LogSoftmax(z)), one optim.SGD step with lr 0.02.
func p5Truth() (W [][]float64, B []float64) {
	lin := nn.NewLinear(2, 2, true)
	lin.Weight = tensor.FromFloat64([]float64{1, 0, 0, -1}, 2, 2).SetRequiresGrad(true)
	lin.Bias = tensor.FromFloat64([]float64{0, 0}, 2).SetRequiresGrad(true)
	x := tensor.FromFloat64([]float64{1, 1}, 1, 2)
	p := tensor.FromFloat64([]float64{0.3, 0.7}, 1, 2)
	opt := optim.NewSGD(lin.Parameters(), 0.02, 0, 0)
	opt.ZeroGrad()
	tensor.Neg(tensor.Sum(tensor.Mul(p, tensor.LogSoftmax(lin.Forward(x), 1)))).Backward()
	opt.Step()
	return matrix.Unflatten(lin.Weight.Float64s(), 2, 2), lin.Bias.Float64s()
}

// computeTruths returns the answers of problems 3 and 5 and the common
// slips the messages name, in the order they are recognised.
func computeTruths() ([]p3Variant, map[string][]p5Variant) {
	want := nn.CountParameters(p3Net(true, true))
	bnParams := 2 * (32 + 64)
	p3 := []p3Variant{
		{p3Exact, want},
		{p3NoBias, nn.CountParameters(p3Net(false, true))},
		{p3NoBN, want - bnParams},
		{p3Buffers, want + bnParams},
	}
	wantW, wantB := p5Truth()
	p5 := map[string][]p5Variant{
		KeyW: p5Variants(wantW, [][]float64{{1, 0}, {0, -1}}),
		KeyB: p5Variants(matrix.Transpose([][]float64{wantB}), [][]float64{{0}, {0}}),
	}
	return p3, p5
}

// p5Variants lists the answer and the slips of one parameter of problem
// 5, given its value after the step and before it.
func p5Variants(want, old [][]float64) []p5Variant {
	f := func(g func(i, j int) float64) [][]float64 {
		m := make([][]float64, len(want))
		for i := range want {
			m[i] = make([]float64, len(want[i]))
			for j := range want[i] {
				m[i][j] = g(i, j)
			}
		}
		return m
	}
	step := func(i, j int) float64 { return want[i][j] - old[i][j] } // -lr dE/dparam
	vs := []p5Variant{{p5Exact, want}}
	if len(want) == len(want[0]) {
		vs = append(vs, p5Variant{p5Transpose, f(func(i, j int) float64 { return want[j][i] })})
	}
	return append(vs,
		p5Variant{p5WrongWay, f(func(i, j int) float64 { return old[i][j] - step(i, j) })},
		p5Variant{p5Initial, f(func(i, j int) float64 { return old[i][j] })},
		p5Variant{p5Gradient, f(func(i, j int) float64 { return -step(i, j) / 0.02 })},
		p5Variant{p5Gradient, f(func(i, j int) float64 { return step(i, j) / 0.02 })},
		p5Variant{p5LR1, f(func(i, j int) float64 { return old[i][j] + step(i, j)/0.02 })},
	)
}
