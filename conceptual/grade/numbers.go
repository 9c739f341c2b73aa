package grade

import (
	"nnkit/conceptual/internal/matrix"

	"fmt"
	"math"

	"nnkit/checker"
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
	r.Status = checker.Fail
	switch judgeP3(int(v.Num)) {
	case p3Exact:
		r.Score, r.Status, r.Reason = pointsP3, checker.Pass, "exact"
	case p3NoBias:
		r.Reason = "that count leaves out the biases; the question says biases are used wherever possible"
	case p3NoBN:
		r.Reason = "that count leaves out BatchNorm2d's parameters (a scale gamma and a shift beta per channel)"
	case p3Buffers:
		r.Reason = "that count includes BatchNorm2d's running mean and variance, which are buffers, not trained parameters"
	default:
		r.Reason = "not the parameter count of the question's network: check the flattened size fed to fc1 and each layer's weights + biases"
	}
	return r
}

// asMatrix returns v as a matrix: a vector of n entries as n x 1 when
// column is set (B may be written [b1, b2] or [[b1], [b2]]).
func asMatrix(v Value, column bool) [][]float64 {
	switch v.Rank {
	case 2:
		return v.Mat
	case 1:
		if column {
			return matrix.Transpose([][]float64{v.Vec})
		}
		return [][]float64{v.Vec}
	}
	return [][]float64{{v.Num}}
}

func gradeP5(a Answers) []checker.Result {
	rw := checker.Result{Task: task, Item: ItemP5W, Max: pointsP5W}
	rb := checker.Result{Task: task, Item: ItemP5B, Max: pointsP5B}
	grade := func(r *checker.Result, key, form string, rows, cols int, got [][]float64, v Value, ok bool) {
		if !ok || v.Empty {
			r.Status, r.Reason = checker.NotDone, fmt.Sprintf("no answer: write %s = %s in %s", key, form, AnswersFile)
			return
		}
		gr, gc, _ := matrix.Dims(got)
		if gr != rows || gc != cols {
			r.Status, r.Reason = checker.Fail, fmt.Sprintf("%s should be %s; found %s", key, form, v.Form())
			return
		}
		r.Status = checker.Fail
		switch judgeP5(key, got) {
		case p5Exact:
			r.Score, r.Status, r.Reason = r.Max, checker.Pass, fmt.Sprintf("every entry within %g", P5Atol)
		case p5Transpose:
			r.Reason = key + " is the transpose of the answer: the question fixes z = W x + B, so w_{i,j} connects input x_j to output z_i"
		case p5WrongWay:
			r.Reason = key + " moves the wrong way: gradient descent subtracts, and dE/dz = q - p (not p - q)"
		case p5Initial:
			r.Reason = key + " equals the initial value: apply the update"
		case p5Gradient:
			r.Reason = key + " looks like the gradient itself; give the updated value after one step"
		case p5LR1:
			r.Reason = key + " uses learning rate 1; the question's learning rate is 0.02"
		default:
			r.Reason = fmt.Sprintf("%s is not the value after one step (tolerance %g per entry); check z, q = softmax(z), dE/dz = q - p", key, P5Atol)
		}
	}
	vw, okw := a[KeyW]
	grade(&rw, KeyW, "a 2 x 2 matrix [[w11, w12], [w21, w22]]", 2, 2, asMatrix(vw, false), vw, okw)
	vb, okb := a[KeyB]
	grade(&rb, KeyB, "a vector of 2 entries [b1, b2]", 2, 1, asMatrix(vb, true), vb, okb)
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
