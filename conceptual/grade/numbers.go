package grade

import (
	"fmt"
	"math"

	"nnkit/checker"
	"nnkit/nn"
	"nnkit/optim"
	"nnkit/tensor"
)

// Answer keys in answers.txt.
const (
	KeyP3 = "p3.parameters"
	KeyW  = "p5.W"
	KeyB  = "p5.B"
)

// P5Atol is the tolerance of problem 5: every entry within 5e-4, so answers
// rounded to three decimals pass and every common slip (a transposed W', a
// wrong sign, a missing learning rate) is far outside it.
const P5Atol = 5e-4

const (
	pointsP3  = 6
	pointsP5W = 5
	pointsP5B = 2
)

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

func gradeP3(a Answers) checker.Result {
	r := checker.Result{Task: task, Item: ItemP3, Max: pointsP3}
	v, ok := a[KeyP3]
	if !ok || v.Empty {
		r.Status, r.Reason = checker.NotDone, fmt.Sprintf("no answer: write %s = <an integer> in %s", KeyP3, AnswersFile)
		return r
	}
	if v.Rank != 0 || v.Num != math.Trunc(v.Num) {
		r.Status, r.Reason = checker.Fail, fmt.Sprintf("%s should be an integer; found %s", KeyP3, shown(v))
		return r
	}
	want := nn.CountParameters(p3Net(true, true))
	got := int(v.Num)
	if got == want {
		r.Score, r.Status, r.Reason = pointsP3, checker.Pass, "exact"
		return r
	}
	r.Status = checker.Fail
	bnParams := 2 * (32 + 64)
	switch got {
	case nn.CountParameters(p3Net(false, true)):
		r.Reason = "that count leaves out the biases; the question says biases are used wherever possible"
	case want - bnParams:
		r.Reason = "that count leaves out BatchNorm2d's parameters (a scale gamma and a shift beta per channel)"
	case want + bnParams:
		r.Reason = "that count includes BatchNorm2d's running mean and variance, which are buffers, not trained parameters"
	default:
		r.Reason = "not the parameter count of the question's network: check the flattened size fed to fc1 and each layer's weights + biases"
	}
	return r
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
	return unflatten(lin.Weight.Float64s(), 2, 2), lin.Bias.Float64s()
}

// asMatrix returns v as a matrix: a vector of n entries as n x 1 when
// column is set (B may be written [b1, b2] or [[b1], [b2]]).
func asMatrix(v Value, column bool) [][]float64 {
	switch v.Rank {
	case 2:
		return v.Mat
	case 1:
		if column {
			return transpose([][]float64{v.Vec})
		}
		return [][]float64{v.Vec}
	}
	return [][]float64{{v.Num}}
}

func gradeP5(a Answers) []checker.Result {
	wantW, wantB := p5Truth()
	W0 := [][]float64{{1, 0}, {0, -1}}
	B0 := [][]float64{{0}, {0}}
	rw := checker.Result{Task: task, Item: ItemP5W, Max: pointsP5W}
	rb := checker.Result{Task: task, Item: ItemP5B, Max: pointsP5B}
	grade := func(r *checker.Result, key, form string, got, want, old [][]float64, v Value, ok bool) {
		if !ok || v.Empty {
			r.Status, r.Reason = checker.NotDone, fmt.Sprintf("no answer: write %s = %s in %s", key, form, AnswersFile)
			return
		}
		gr, gc, _ := dims(got)
		if gr != len(want) || gc != len(want[0]) {
			r.Status, r.Reason = checker.Fail, fmt.Sprintf("%s should be %s; found %s", key, form, v.Form())
			return
		}
		within := func(f func(i, j int) float64) bool {
			for i := range want {
				for j := range want[i] {
					if math.Abs(got[i][j]-f(i, j)) > P5Atol {
						return false
					}
				}
			}
			return true
		}
		if within(func(i, j int) float64 { return want[i][j] }) {
			r.Score, r.Status, r.Reason = r.Max, checker.Pass, fmt.Sprintf("every entry within %g", P5Atol)
			return
		}
		r.Status = checker.Fail
		step := func(i, j int) float64 { return want[i][j] - old[i][j] } // -lr dE/dparam
		switch {
		case len(want) == len(want[0]) && within(func(i, j int) float64 { return want[j][i] }):
			r.Reason = key + " is the transpose of the answer: the question fixes z = W x + B, so w_{i,j} connects input x_j to output z_i"
		case within(func(i, j int) float64 { return old[i][j] - step(i, j) }):
			r.Reason = key + " moves the wrong way: gradient descent subtracts, and dE/dz = q - p (not p - q)"
		case within(func(i, j int) float64 { return old[i][j] }):
			r.Reason = key + " equals the initial value: apply the update"
		case within(func(i, j int) float64 { return -step(i, j) / 0.02 }) || within(func(i, j int) float64 { return step(i, j) / 0.02 }):
			r.Reason = key + " looks like the gradient itself; give the updated value after one step"
		case within(func(i, j int) float64 { return old[i][j] + step(i, j)/0.02 }):
			r.Reason = key + " uses learning rate 1; the question's learning rate is 0.02"
		default:
			r.Reason = fmt.Sprintf("%s is not the value after one step (tolerance %g per entry); check z, q = softmax(z), dE/dz = q - p", key, P5Atol)
		}
	}
	vw, okw := a[KeyW]
	grade(&rw, KeyW, "a 2 x 2 matrix [[w11, w12], [w21, w22]]", asMatrix(vw, false), wantW, W0, vw, okw)
	vb, okb := a[KeyB]
	grade(&rb, KeyB, "a vector of 2 entries [b1, b2]", asMatrix(vb, true), transpose([][]float64{wantB}), B0, vb, okb)
	return []checker.Result{rw, rb}
}

// shown prints a value a student wrote, for messages.
func shown(v Value) string {
	s := v.String()
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
