package program

import (
	"fmt"
	"math"
	"math/rand/v2"
	"nnkit/cmd/check/internal/notebook"
	"nnkit/spec"
	"slices"

	"gonum.org/v1/gonum/mat"

	"nnkit/charts"
	"nnkit/data"
)

// Task1Funcs are task 1's graded functions, as the student wrote them.
type Task1Funcs = spec.Task1

// Task 1's settings: the notebook's 10 epochs of batches of 10, and a
// learning rate that separates the two cubes in a few epochs.
const (
	Task1Epochs = 10
	Task1Batch  = 10
	Task1LR     = 0.2
	Task1Seed   = 449
)

// Task1 walks through task 1's notebook: the data, a gradient check of
// DNNBackward against numerical differences of DNNForward, training with
// the loss and accuracy of every epoch, and plots of the data with the
// decision boundary after every epoch (the three 2-D projections, the
// third coordinate at 0).
func Task1(nb *Notebook, f *Task1Funcs) error {
	o := nb.Opt
	epochs, batch, lr, seed := or(o.Epochs, Task1Epochs), or(o.Batch, Task1Batch), orF(o.LR, Task1LR), o.Seed
	if seed == 0 {
		seed = Task1Seed
	}
	nb.Opt.Seed = seed

	nb.Section("Data")
	cubes, err := data.NewTwoCubes(data.TwoCubesSamples, seed)
	if err != nil {
		return fmt.Errorf("%w: %v", notebook.ErrSetup, err)
	}
	X, mean, std := data.Standardize(cubes.X)
	y := cubes.Y
	n, _ := X.Dims()
	pos := 0
	for _, v := range y {
		if v > 0 {
			pos++
		}
	}
	nb.Printf("%d samples of 3 features (seed %d): %d of class +1, %d of class -1\n", n, seed, pos, n-pos)
	nb.Printf("standardised: column means %.2f, standard deviations %.2f (now 0 and 1)\n", mean, std)
	if err := task1Plot(nb, "data.png", "the two cubes (standardised)", X, y, nil); err != nil {
		return err
	}

	nb.Section("ReLU and its derivative")
	probe := mat.NewDense(1, 5, []float64{-2, -0.5, 0, 0.5, 2})
	var r, p *mat.Dense
	if nb.Try("Relu", func() { r = f.Relu(probe) }) && nb.Try("Prelu", func() { p = f.Prelu(probe) }) {
		switch {
		case r == nil:
			nb.NotDone("Relu", "returned nil")
		case p == nil:
			nb.NotDone("Prelu", "returned nil")
		default:
			nb.Printf("x          %v\nRelu(x)    %v\nPrelu(x)   %v\n", mat.Row(nil, 0, probe), rowOf(r), rowOf(p))
		}
	}

	W0, K0 := initParams(seed)
	nb.Section("Gradient check")
	task1GradCheck(nb, f, X, y, W0, K0)

	nb.Section(fmt.Sprintf("Training: %d epochs, batches of %d, learning rate %g", epochs, batch, lr))
	var WList []*mat.Dense
	var KList [][]float64
	if !nb.Try("Train", func() { WList, KList = f.Train(X, y, W0, K0, lr, epochs, batch, false) }) {
		return nil
	}
	if len(WList) == 0 || len(KList) == 0 {
		nb.NotDone("Train", "returned no weights")
		return nil
	}
	if len(WList) != epochs || len(KList) != epochs {
		nb.Skip("Train returned %d and %d snapshots of W and K, expected one per epoch (%d)", len(WList), len(KList), epochs)
	}
	loss0, acc0, ok := task1Eval(nb, f, X, y, W0, K0)
	if !ok {
		return nil
	}
	nb.Printf("epoch  loss     accuracy\n%5d  %.5f  %.3f   (before training)\n", 0, loss0, acc0)
	ep, losses, accs := []float64{0}, []float64{loss0}, []float64{acc0}
	for e := range min(len(WList), len(KList)) {
		l, a, ok := task1Eval(nb, f, X, y, WList[e], KList[e])
		if !ok {
			return nil
		}
		nb.Printf("%5d  %.5f  %.3f\n", e+1, l, a)
		ep, losses, accs = append(ep, float64(e+1)), append(losses, l), append(accs, a)
	}
	if math.IsNaN(losses[len(losses)-1]) {
		nb.Skip("the loss is NaN after training: check DNNBackward's gradients and the learning rate")
	}
	if err := nb.curves("loss", "task 1: MLP from scratch",
		[]charts.Series{{Name: "loss", X: ep, Y: losses}}, []charts.Series{{Name: "accuracy", X: ep, Y: accs}}); err != nil {
		return err
	}

	nb.Section("Decision boundary after every epoch")
	for e := range min(len(WList), len(KList)) {
		W, K := WList[e], KList[e]
		if err := task1Plot(nb, fmt.Sprintf("boundary-epoch%02d.png", e+1),
			fmt.Sprintf("decision regions after epoch %d (third coordinate at 0)", e+1), X, y, func(x []float64) float64 {
				var O []float64
				_ = nb.Call("DNNForward", func() { _, _, O = f.DNNForward(mat.NewDense(1, 3, x), W, K) })
				if len(O) == 0 {
					return math.NaN()
				}
				return O[0]
			}); err != nil {
			return err
		}
	}
	return nil
}

func rowOf(m *mat.Dense) []float64 {
	if r, _ := m.Dims(); r == 0 {
		return nil
	}
	return mat.Row(nil, 0, m)
}

// initParams is task 1's given InitParams: W (2 x 3) and K (2) standard
// normal from seed.
func initParams(seed uint64) (*mat.Dense, []float64) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	W := mat.NewDense(2, 3, nil)
	for i := range 2 {
		for j := range 3 {
			W.Set(i, j, r.NormFloat64())
		}
	}
	return W, []float64{r.NormFloat64(), r.NormFloat64()}
}

// loss1 is task 1's given Loss: the mean of 1/2 (y - O)^2.
func loss1(O, y []float64) float64 {
	var s float64
	for i := range O {
		s += 0.5 * (y[i] - O[i]) * (y[i] - O[i])
	}
	return s / float64(len(O))
}

// task1Eval returns the loss and accuracy of W, K on X, y through the
// student's DNNForward.
func task1Eval(nb *Notebook, f *Task1Funcs, X *mat.Dense, y []float64, W *mat.Dense, K []float64) (loss, acc float64, ok bool) {
	var O []float64
	if !nb.Try("DNNForward", func() { _, _, O = f.DNNForward(X, W, K) }) {
		return 0, 0, false
	}
	if len(O) != len(y) {
		if O == nil {
			nb.NotDone("DNNForward", "returned nil O")
		} else {
			nb.Skip("DNNForward returned %d outputs for %d samples", len(O), len(y))
		}
		return 0, 0, false
	}
	right := 0
	for i, o := range O {
		if (o > 0) == (y[i] > 0) {
			right++
		}
	}
	return loss1(O, y), float64(right) / float64(len(y)), true
}

// numericalGradient is task 1's given NumericalGradient on the student's
// DNNForward: forward differences for W, central ones for K, eps 1e-6.
func numericalGradient(fwd func(X, W *mat.Dense, K []float64) (H, A *mat.Dense, O []float64), X *mat.Dense, y []float64, W *mat.Dense, K []float64) (*mat.Dense, []float64) {
	const eps = 1e-6
	loss := func(W *mat.Dense, K []float64) float64 {
		_, _, O := fwd(X, W, K)
		return loss1(O, y)
	}
	base := loss(W, K)
	r, c := W.Dims()
	dW := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			Wp := mat.DenseCopyOf(W)
			Wp.Set(i, j, W.At(i, j)+eps)
			dW.Set(i, j, (loss(Wp, K)-base)/eps)
		}
	}
	dK := make([]float64, len(K))
	for i := range K {
		Kp, Km := slices.Clone(K), slices.Clone(K)
		Kp[i] += eps
		Km[i] -= eps
		dK[i] = (loss(W, Kp) - loss(W, Km)) / (2 * eps)
	}
	return dW, dK
}

// GradCheckTol is the relative error under which the analytic and
// numerical gradients are taken to agree: forward differences with eps
// 1e-6 are good to about 1e-6 relative here.
const GradCheckTol = 1e-4

func task1GradCheck(nb *Notebook, f *Task1Funcs, X *mat.Dense, y []float64, W *mat.Dense, K []float64) {
	Xb := mat.DenseCopyOf(X.Slice(0, 10, 0, 3))
	yb := y[:10]
	var H, A *mat.Dense
	var O []float64
	if !nb.Try("DNNForward", func() { H, A, O = f.DNNForward(Xb, W, K) }) {
		return
	}
	if H == nil || A == nil || O == nil {
		nb.NotDone("DNNForward", "returned nil")
		return
	}
	var dW *mat.Dense
	var dK []float64
	if !nb.Try("DNNBackward", func() { dW, dK = f.DNNBackward(Xb, yb, W, K, H, A, O) }) {
		return
	}
	if dW == nil || dK == nil {
		nb.NotDone("DNNBackward", "returned nil")
		return
	}
	var nW *mat.Dense
	var nK []float64
	if !nb.Try("DNNForward", func() { nW, nK = numericalGradient(f.DNNForward, Xb, yb, W, K) }) {
		return
	}
	if r, c := dW.Dims(); r != 2 || c != 3 || len(dK) != 2 {
		nb.Skip("DNNBackward returned dL/dW of %dx%d and dL/dK of %d entries, expected 2x3 and 2", r, c, len(dK))
		return
	}
	nb.Printf("on the first 10 samples, at the initial weights (seed %d):\n", nb.Opt.Seed)
	nb.Printf("             analytic      numerical\n")
	var diff, sum float64
	for i := range 2 {
		for j := range 3 {
			a, n := dW.At(i, j), nW.At(i, j)
			nb.Printf("dL/dW[%d][%d]  %12.6f  %12.6f\n", i, j, a, n)
			diff += (a - n) * (a - n)
			sum += a*a + n*n
		}
	}
	for i := range 2 {
		nb.Printf("dL/dK[%d]     %12.6f  %12.6f\n", i, dK[i], nK[i])
		diff += (dK[i] - nK[i]) * (dK[i] - nK[i])
		sum += dK[i]*dK[i] + nK[i]*nK[i]
	}
	rel := math.Sqrt(diff) / math.Max(math.Sqrt(sum), 1e-12)
	nb.Printf("relative error |analytic - numerical| / |analytic, numerical| = %.2e\n", rel)
	if rel < GradCheckTol && !math.IsNaN(rel) {
		nb.Printf("the gradients agree (below %.0e)\n", GradCheckTol)
	} else {
		nb.Skip("the gradients differ (relative error %.2e, expected below %.0e): check DNNBackward", rel, GradCheckTol)
	}
}

// task1Plot draws X's three 2-D projections with the classes, and the
// sign of f (the network's output, the third coordinate at 0) when f is
// not nil.
func task1Plot(nb *Notebook, name, title string, X *mat.Dense, y []float64, f func(x []float64) float64) error {
	n, _ := X.Dims()
	lo, hi := [3]float64{}, [3]float64{}
	for j := range 3 {
		col := mat.Col(nil, j, X)
		lo[j], hi[j] = slices.Min(col)-0.3, slices.Max(col)+0.3
	}
	var panels []charts.Panel
	for _, pr := range [][2]int{{0, 1}, {0, 2}, {1, 2}} {
		a, b := pr[0], pr[1]
		var sets [2]charts.Points
		sets[0].Name, sets[1].Name = "class +1", "class -1"
		for i := range n {
			k := 0
			if y[i] < 0 {
				k = 1
			}
			sets[k].X = append(sets[k].X, X.At(i, a))
			sets[k].Y = append(sets[k].Y, X.At(i, b))
		}
		var g func(u, v float64) float64 // nil: the points alone
		if f != nil {
			g = func(u, v float64) float64 {
				x := make([]float64, 3)
				x[a], x[b] = u, v
				return f(x)
			}
		}
		panels = append(panels, charts.Panel{
			Title: fmt.Sprintf("x%d-x%d", a+1, b+1), XLabel: fmt.Sprintf("x%d", a+1), YLabel: fmt.Sprintf("x%d", b+1),
			F: g, X0: lo[a], X1: hi[a], Y0: lo[b], Y1: hi[b], Sets: sets[:],
		})
	}
	path := nb.Path(name)
	if err := charts.RegionsRow(path, title, panels...); err != nil {
		return fmt.Errorf("%w: %v", notebook.ErrSetup, err)
	}
	nb.Wrote(path)
	return nil
}

// curves writes the losses and the accuracies against the epoch, in two
// panels, as name.png and name.svg.
func (nb *Notebook) curves(name, title string, losses, accuracies []charts.Series) error {
	for _, ext := range []string{".png", ".svg"} {
		path := nb.Path(name + ext)
		if err := charts.Curves(path, title, losses, accuracies); err != nil {
			return fmt.Errorf("%w: %v", notebook.ErrSetup, err)
		}
		nb.Wrote(path)
	}
	return nil
}

func or(v, def int) int {
	if v != 0 {
		return v
	}
	return def
}

func orF(v, def float64) float64 {
	if v != 0 {
		return v
	}
	return def
}
