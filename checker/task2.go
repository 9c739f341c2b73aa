package checker

import (
	"fmt"
	"math"
	"nnkit/spec"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"nnkit/nn"
	"nnkit/solutions/task1"
	"nnkit/solutions/task2"
	"nnkit/tensor"
)

// Task2Funcs are the graded functions of task 2 (nnkit/spec).
type Task2Funcs = spec.Task2

// task2Reference is the seam through which the reference solution reaches
// the rubric.
var task2Reference = &Task2Funcs{GetDNN: task2.GetDNN, TrainTorch: task2.TrainTorch}

// Task2 is the rubric of task 2 (10 points).
var Task2 = register(NewTask("task2", "the same MLP from nn layers", task2Reference,
	[]string{"fmt", "math", "slices", "gonum.org/v1/gonum/mat", "nnkit/nn", "nnkit/optim", "nnkit/tensor"},
	ItemOf[Task2Funcs]{Name: "GetDNN", Points: 5, Check: checkGetDNN},
	ItemOf[Task2Funcs]{Name: "TrainTorch", Points: 5, Check: checkTrainTorch},
))

// checkGetDNN compares the student's network with the reference layer by
// layer: kinds and order (2 points), output shapes for a batch of 10 (2),
// parameter count (1).
func checkGetDNN(c *Ctx, s, ref *Task2Funcs) {
	net := s.GetDNN()
	if net == nil {
		c.LoseAll(NotDone, "not implemented: GetDNN returns nil")
		return
	}
	want, err := nn.Summarize(ref.GetDNN(), 10, 3)
	if err != nil {
		panic(err)
	}
	var wantKinds, gotKinds []string
	for _, l := range want {
		wantKinds = append(wantKinds, l.Name)
	}
	for _, l := range net.Layers {
		if l == nil {
			gotKinds = append(gotKinds, "nil")
			continue
		}
		gotKinds = append(gotKinds, safeName(l))
	}
	c.Detailf("layers: %s; expected %s", strings.Join(gotKinds, ", "), strings.Join(wantKinds, ", "))
	if !slices.Equal(gotKinds, wantKinds) {
		i := 0
		for i < len(gotKinds) && i < len(wantKinds) && gotKinds[i] == wantKinds[i] {
			i++
		}
		switch {
		case i == len(gotKinds):
			c.Lose(2, Fail, "the network has %d layers, expected %d: layer %d (%s) is missing", len(gotKinds), len(wantKinds), i, wantKinds[i])
		case i == len(wantKinds):
			c.Lose(2, Fail, "the network has %d layers, expected %d: layer %d (%s) is extra", len(gotKinds), len(wantKinds), i, gotKinds[i])
		default:
			c.Lose(2, Fail, "layer %d is %s, expected %s (expected %s)", i, gotKinds[i], wantKinds[i], strings.Join(wantKinds, ", "))
		}
	}
	remote := ""
	for i, l := range net.Layers {
		if why := remoteLayer(l); why != "" && remote == "" {
			remote = fmt.Sprintf("layer %d is %s", i, why)
		}
	}
	var got []nn.LayerInfo
	_, err = outputBound(net, []int{10, 3})
	if err == nil {
		got, err = nn.Summarize(net, 10, 3)
	}
	switch {
	case remote != "":
		c.Lose(2, Fail, "the output shapes cannot be checked: %s", remote)
	case err != nil:
		c.Lose(2, Fail, "a batch of 10 samples [10 3] does not go through: %v", err)
	default:
		for i := range max(len(got), len(want)) {
			if i >= len(got) || i >= len(want) || !slices.Equal(got[i].OutputShape, want[i].OutputShape) {
				g, w := "nothing", "nothing"
				if i < len(got) {
					g = fmt.Sprint(got[i].OutputShape)
				}
				if i < len(want) {
					w = fmt.Sprint(want[i].OutputShape)
				}
				c.Lose(2, Fail, "for a batch of 10, layer %d outputs %s, expected %s", i, g, w)
				break
			}
		}
	}
	if remote != "" {
		c.Lose(1, Fail, "the parameters cannot be counted: %s", remote)
	} else if n, w := nn.CountParameters(net), nn.CountParameters(ref.GetDNN()); n != w {
		hint := ""
		for _, l := range net.Layers {
			if lin, ok := l.(*nn.Linear); ok && lin.Bias != nil {
				hint = " (the Linear layers have no bias: nn.NewLinear(in, out, false))"
			}
		}
		c.Lose(1, Fail, "%d parameters, expected %d%s", n, w, hint)
	}
}

// torchVariant is a known mistake in TrainTorch: train trains the way a
// TrainTorch with that mistake does; what names it; keepsPart says the
// rest is right, so some points stay.
type torchVariant struct {
	what      string
	keepsPart bool
	train     func(net *nn.Sequential, X *mat.Dense, y []float64, epochs int, lr float64, bs int) ([]*mat.Dense, [][]float64)
}

// torchVariants are registered by task2_variants.go, which the student
// copy leaves out: a training loop with knobs for the known mistakes is
// TrainTorch's answer. Without them a wrong TrainTorch gets the general
// message; `check grade` runs with them.
var torchVariants []torchVariant

type torchCase struct {
	X             *mat.Dense
	y             []float64
	lr            float64
	epochs, batch int
	what          string
}

func torchCases() []torchCase {
	X, y, err := task1.GetData(seedOf(13))
	if err != nil {
		panic(err)
	}
	sub := func(n int) (*mat.Dense, []float64) {
		return mat.DenseCopyOf(X.Slice(0, n, 0, 3)), slices.Clone(y[:n])
	}
	X23, y23 := sub(23)
	X1, y1 := sub(1)
	return []torchCase{
		{X: X23, y: y23, lr: 0.01, epochs: 3, batch: 5, what: "N = 23, batch 5 (last batch of 3)"},
		{X: X1, y: y1, lr: 0.01, epochs: 2, batch: 1, what: "N = 1, batch 1"},
		{X: X, y: y, lr: 0.002, epochs: 4, batch: 10, what: "the 400 samples, batch 10"},
	}
}

// mlpLoss is task 1's loss of the weights W, K on X, y, computed by the
// checker (the weights come from the student's training, so no recorded
// reference output can cover them): O_i = sum_j K_j relu(W_j . X_i).
func mlpLoss(X *mat.Dense, y []float64, W *mat.Dense, K []float64) float64 {
	n, d := X.Dims()
	O := make([]float64, n)
	for i := range n {
		for j := range K {
			var h float64
			for k := range d {
				h += W.At(j, k) * X.At(i, k)
			}
			O[i] += K[j] * max(h, 0)
		}
	}
	return task1.Loss(O, y)
}

// checkTrainTorch trains a reference-built network with the student's
// TrainTorch and another with the reference one: one entry per epoch (1
// point), the same weights after every epoch (3), a falling loss (1); 1
// point off for changing X or y. A TrainTorch that does not lower the
// loss keeps no point.
func checkTrainTorch(c *Ctx, s, ref *Task2Funcs) {
	var snap snapshot
	epochsBad, valuesBad, valuesDetail := "", "", ""
	var variant *torchVariant
	cases := torchCases()
	var lossBefore, lossAfter float64
	for i, tc := range cases {
		snap.dense("X", tc.X)
		snap.vec("y", tc.y)
		wW, wK := ref.TrainTorch(ref.GetDNN(), mat.DenseCopyOf(tc.X), slices.Clone(tc.y), tc.epochs, tc.lr, tc.batch)
		net := ref.GetDNN()
		gW, gK := s.TrainTorch(net, tc.X, tc.y, tc.epochs, tc.lr, tc.batch)
		if i == 0 && len(gW) == 0 && len(gK) == 0 {
			c.LoseAll(NotDone, "not implemented: TrainTorch returns no epochs")
			return
		}
		if (len(gW) != tc.epochs || len(gK) != tc.epochs) && epochsBad == "" {
			epochsBad = fmt.Sprintf("%s, %d epochs: WList has %d entries and KList %d, expected one per epoch", tc.what, tc.epochs, len(gW), len(gK))
		}
		if m := diffHistory(wW, wK, gW, gK, trainTol); m != nil && valuesBad == "" {
			valuesBad, valuesDetail = tc.what+": "+m.reason, m.detail
			if len(gW) > 1 && gW[0] == gW[len(gW)-1] {
				valuesBad += " (every WList entry is the same matrix: append a new one after each epoch)"
			}
			if nn.DTypeOf(net) != tensor.Float64 {
				valuesBad += " (the net is still " + nn.DTypeOf(net).String() + ": cast it to float64 with nn.Cast)"
			}
			for _, v := range torchVariants {
				vW, vK := v.train(ref.GetDNN(), tc.X, tc.y, tc.epochs, tc.lr, tc.batch)
				if diffHistory(vW, vK, gW, gK, tol{1e-5, 1e-7}) == nil {
					variant = &v
					break
				}
			}
		}
		if i == len(cases)-1 {
			init := ref.GetDNN()
			nn.Cast(init, tensor.Float64)
			task2.InitWeights(init)
			lossBefore = mlpLoss(tc.X, tc.y, task2.ToDense(init.Layers[0].(*nn.Linear).Weight), init.Layers[2].(*nn.Linear).Weight.Float64s())
			lossAfter = math.NaN()
			if n := len(gW); n > 0 && len(gK) == n && !isNil(gW[n-1]) && len(gK[n-1]) == 2 {
				if r, cc := gW[n-1].Dims(); r == 2 && cc == 3 {
					lossAfter = mlpLoss(tc.X, tc.y, gW[n-1], gK[n-1])
				}
			}
		}
	}
	why := valuesBad
	if variant != nil {
		why = variant.what
	}
	if valuesDetail != "" {
		c.Detailf("%s", valuesDetail)
	}
	if lossDidNotFall(c, lossBefore, lossAfter, why) {
		return
	}
	if epochsBad != "" {
		c.Lose(1, Fail, "%s", epochsBad)
	}
	switch {
	case valuesBad == "":
	case variant != nil && variant.keepsPart:
		c.Lose(2, Fail, "%s", why)
	default:
		c.Lose(3, Fail, "%s", why)
	}
	if ch := snap.changed(); len(ch) > 0 {
		c.Lose(1, InputModified, "TrainTorch changes its input %s", andList(unique(ch)))
	}
}
