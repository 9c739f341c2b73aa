package program

import (
	"fmt"
	"math"
	"nnkit/cmd/check/internal/notebook"
	"nnkit/spec"

	"gonum.org/v1/gonum/mat"

	"nnkit/charts"
	"nnkit/data"
	"nnkit/nn"
	"nnkit/tensor"
)

// Task2Funcs are task 2's graded functions, as the student wrote them.
type Task2Funcs = spec.Task2

// Task 2's settings: task 1's epochs and batches, and a twentieth of its
// rate (0.01 for 0.2): the squared error is summed over a batch of 10 and
// has no 1/2, so its gradient is 2 x 10 times task 1's mean, and the
// steps are task 1's own.
const (
	Task2Epochs = 10
	Task2Batch  = 10
	Task2LR     = 0.01
)

// ExpectedDNNShapes are GetDNN's layers with their output shapes for a
// batch of 10.
var ExpectedDNNShapes = []nn.LayerInfo{
	{Name: "Linear", OutputShape: []int{10, 2}, Parameters: 6},
	{Name: "ReLU", OutputShape: []int{10, 2}},
	{Name: "Linear", OutputShape: []int{10, 1}, Parameters: 2},
}

// Task2 walks through task 2's notebook: the network's layer shapes next
// to the expected ones, then training on task 1's data with the loss and
// accuracy of every epoch.
func Task2(nb *Notebook, f *Task2Funcs) error {
	o := nb.Opt
	epochs, batch, lr, seed := or(o.Epochs, Task2Epochs), or(o.Batch, Task2Batch), orF(o.LR, Task2LR), o.Seed
	if seed == 0 {
		seed = Task1Seed
	}

	nb.Section("The network")
	var net *nn.Sequential
	if !nb.Try("GetDNN", func() { net = f.GetDNN() }) {
		return nil
	}
	if net == nil {
		nb.NotDone("GetDNN", "returned nil")
		return nil
	}
	nb.Printf("%v\n", net)
	if !nb.shapeTable(net, ExpectedDNNShapes, 10, 3) {
		return nil
	}

	nb.Section("Data")
	cubes, err := data.NewTwoCubes(data.TwoCubesSamples, seed)
	if err != nil {
		return fmt.Errorf("%w: %v", notebook.ErrSetup, err)
	}
	X, _, _ := data.Standardize(cubes.X)
	y := cubes.Y
	nb.Printf("task 1's data: %d samples, seed %d, standardised\n", len(y), seed)

	nb.Section(fmt.Sprintf("Training: %d epochs, batches of %d, learning rate %g, MSE summed over a batch", epochs, batch, lr))
	var WList []*mat.Dense
	var KList [][]float64
	if !nb.Try("TrainTorch", func() { WList, KList = f.TrainTorch(net, X, y, epochs, lr, batch) }) {
		return nil
	}
	if len(WList) == 0 || len(KList) == 0 {
		nb.NotDone("TrainTorch", "returned no weights")
		return nil
	}
	nb.Printf("the loss is task 1's, the mean of 1/2 (y - O)^2, on all %d samples\n", len(y))
	nb.Printf("epoch  loss     accuracy\n")
	var ep, losses, accs []float64
	for e := range min(len(WList), len(KList)) {
		l, a, err := dnnEval(net, WList[e], KList[e], X, y)
		if err != nil {
			nb.Skip("epoch %d: %v", e+1, err)
			return nil
		}
		nb.Printf("%5d  %.5f  %.3f\n", e+1, l, a)
		ep, losses, accs = append(ep, float64(e+1)), append(losses, l), append(accs, a)
	}
	if len(WList) != epochs {
		nb.Skip("TrainTorch returned %d snapshots, expected one per epoch (%d)", len(WList), epochs)
	}
	if math.IsNaN(losses[len(losses)-1]) {
		nb.Skip("the loss is NaN after training")
	}
	return nb.curves("loss", "task 2: the MLP from layers",
		[]charts.Series{{Name: "loss", X: ep, Y: losses}}, []charts.Series{{Name: "accuracy", X: ep, Y: accs}})
}

// dnnEval puts the snapshot W, K into the net's two Linear layers and
// returns task 1's loss and the accuracy of the net on X, y.
func dnnEval(net *nn.Sequential, W *mat.Dense, K []float64, X *mat.Dense, y []float64) (loss, acc float64, err error) {
	if len(net.Layers) != 3 {
		return 0, 0, fmt.Errorf("the net has %d layers, expected 3", len(net.Layers))
	}
	l0, ok0 := net.Layers[0].(*nn.Linear)
	l2, ok2 := net.Layers[2].(*nn.Linear)
	if !ok0 || !ok2 {
		return 0, 0, fmt.Errorf("layers 0 and 2 must be Linear")
	}
	if r, c := W.Dims(); r*c != len(l0.Weight.Float64s()) || len(K) != len(l2.Weight.Float64s()) {
		return 0, 0, fmt.Errorf("the snapshots do not fit the layers (W %dx%d, K %d)", r, c, len(K))
	}
	nn.Cast(net, tensor.Float64)
	copy(l0.Weight.Data64(), mat.DenseCopyOf(W).RawMatrix().Data)
	copy(l2.Weight.Data64(), K)
	r, c := X.Dims()
	in := make([]float64, 0, r*c)
	for i := range r {
		in = append(in, mat.Row(nil, i, X)...)
	}
	var O []float64
	tensor.NoGrad(func() { O = net.Forward(tensor.FromFloat64(in, r, c)).Float64s() })
	if len(O) != len(y) {
		return 0, 0, fmt.Errorf("the net gives %d outputs for %d samples", len(O), len(y))
	}
	right := 0
	for i, o := range O {
		if (o > 0) == (y[i] > 0) {
			right++
		}
	}
	return loss1(O, y), float64(right) / float64(len(y)), nil
}
