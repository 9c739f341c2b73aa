package task3_test

import (
	"bytes"
	"flag"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"nnkit/data"
	"nnkit/nn"
	"nnkit/optim"
	"nnkit/solutions/task3"
	"nnkit/tensor"
)

var full = flag.Bool("full", false, "TestFullLeNet: train LeNet with the reference settings on the full Fashion-MNIST (10 epochs, several minutes)")

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		task3.Output = io.Discard
	}
	os.Exit(m.Run())
}

// GetLeNet gives exactly DESIGN's layers, output shapes and 61,706
// parameters.
func TestLeNetShapesAndParameters(t *testing.T) {
	net := task3.GetLeNet()
	infos, err := nn.Summarize(net, 1, 1, 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	want := task3.ExpectedLeNetShapes()
	if len(infos) != len(want) {
		t.Fatalf("%d layers, want %d", len(infos), len(want))
	}
	total := 0
	for i := range want {
		if infos[i].Name != want[i].Name || !slices.Equal(infos[i].OutputShape, want[i].OutputShape) || infos[i].Parameters != want[i].Parameters {
			t.Errorf("layer %d: %s %v %d parameters, want %s %v %d", i, infos[i].Name, infos[i].OutputShape, infos[i].Parameters,
				want[i].Name, want[i].OutputShape, want[i].Parameters)
		}
		total += want[i].Parameters
	}
	if n := nn.CountParameters(net); n != task3.LeNetParameters || total != task3.LeNetParameters || task3.LeNetParameters != 61706 {
		t.Errorf("CountParameters = %d, table sums to %d, constant %d; want 61706", n, total, task3.LeNetParameters)
	}
	// A flattened batch goes through the Reshape too.
	var y *tensor.Tensor
	tensor.NoGrad(func() { y = net.Forward(tensor.New(tensor.Float32, 3, 784)) })
	if !slices.Equal(y.Shape(), []int{3, 10}) {
		t.Errorf("output for [3 784]: %v, want [3 10]", y.Shape())
	}
}

func TestShapeTable(t *testing.T) {
	var b bytes.Buffer
	bad, err := task3.ShapeTable(&b, task3.GetLeNet(), task3.ExpectedLeNetShapes(), 1, 1, 28, 28)
	if err != nil || bad != 0 {
		t.Fatalf("reference LeNet: %d rows differ, err %v\n%s", bad, err, b.String())
	}
	if !strings.Contains(b.String(), "4   Conv2d     [1 16 10 10]  2416") {
		t.Errorf("table lacks the second convolution's row:\n%s", b.String())
	}
	// Without the first sigmoid every later row is shifted by one, and a
	// layer is missing at the end.
	net := task3.GetLeNet()
	net.Layers = slices.Delete(net.Layers, 2, 3)
	b.Reset()
	bad, err = task3.ShapeTable(&b, net, task3.ExpectedLeNetShapes(), 1, 1, 28, 28)
	if err != nil || bad != 11 {
		t.Errorf("LeNet without its first sigmoid: %d rows differ (err %v), want 11\n%s", bad, err, b.String())
	}
	if !strings.Contains(b.String(), "<- differs") {
		t.Errorf("no row marked:\n%s", b.String())
	}
}

func TestInitWeightsIsSeededXavier(t *testing.T) {
	a, b := task3.GetLeNet(), task3.GetLeNet()
	biasBefore := a.Layers[1].(*nn.Conv2d).Bias.Clone()
	task3.InitWeights(a)
	task3.InitWeights(b)
	for _, i := range []int{1, 4, 8, 10, 12} {
		wa, wb := weight(a.Layers[i]), weight(b.Layers[i])
		if !slices.Equal(wa.Float64s(), wb.Float64s()) {
			t.Fatalf("layer %d: weights differ between two InitWeights", i)
		}
	}
	if !slices.Equal(a.Layers[1].(*nn.Conv2d).Bias.Float64s(), biasBefore.Float64s()) {
		t.Error("InitWeights changed a bias")
	}
	// Xavier bound of the first Linear: sqrt(6 / (400 + 120)).
	w := a.Layers[8].(*nn.Linear).Weight.Float64s()
	bound := math.Sqrt(6.0 / 520)
	lo, hi := slices.Min(w), slices.Max(w)
	if lo < -bound || hi > bound || hi < 0.9*bound || lo > -0.9*bound {
		t.Errorf("Linear(400, 120) weights in [%.4f, %.4f], want about [-%.4f, %.4f]", lo, hi, bound, bound)
	}
}

func weight(m nn.Module) *tensor.Tensor {
	switch l := m.(type) {
	case *nn.Linear:
		return l.Weight
	case *nn.Conv2d:
		return l.Weight
	}
	panic("no weight in " + m.Name())
}

func TestAccuracyAndEvaluate(t *testing.T) {
	yHat := tensor.FromValues(tensor.Float32, []float64{1, 2, 0, 5, 1, 1, 0, 0, 3}, 3, 3)
	if got := task3.Accuracy(yHat, []int{1, 0, 1}); got != 2 {
		t.Errorf("Accuracy = %d, want 2", got)
	}
	ds, err := data.LoadEmbeddedSubset()
	if err != nil {
		t.Fatal(err)
	}
	test, err := data.NewLoader(ds.Test, data.LoaderConfig{BatchSize: 64, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	net := task3.GetLeNet()
	acc := task3.EvaluateAccuracy(net, test, tensor.CPU)
	if acc < 0 || acc > 1 || nn.IsTraining(net) || !tensor.GradEnabled() {
		t.Errorf("EvaluateAccuracy = %v, training mode after %v, grad enabled after %v", acc, nn.IsTraining(net), tensor.GradEnabled())
	}
}

// reluLeNet is LeNet with ReLU activations: it leaves the initial plateau
// at once, so a short run shows learning.
func reluLeNet() *nn.Sequential {
	net := task3.GetLeNet()
	for i, l := range net.Layers {
		if l.Name() == "Sigmoid" {
			net.Layers[i] = nn.NewReLU()
		}
	}
	return net
}

func subsetLoaders(t testing.TB, batch, trainLimit, testLimit int) (train, test *data.Loader) {
	t.Helper()
	ds, err := data.LoadEmbeddedSubset()
	if err != nil {
		t.Fatal(err)
	}
	train, err = data.NewLoader(ds.Train, data.LoaderConfig{BatchSize: batch, Shuffle: true, Seed: 1, Limit: trainLimit})
	if err != nil {
		t.Fatal(err)
	}
	test, err = data.NewLoader(ds.Test, data.LoaderConfig{BatchSize: batch, Limit: testLimit})
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

// TrainCNN returns one sane record per epoch, prints the d2l summary and
// is deterministic.
func TestTrainCNNHistory(t *testing.T) {
	run := func(out io.Writer) ([]float64, string) {
		old := task3.Output
		task3.Output = out
		defer func() { task3.Output = old }()
		train, test := subsetLoaders(t, 32, 1000, 200)
		nn.Seed(7) // the biases keep their default initialisation
		net := reluLeNet()
		h := task3.TrainCNN(net, train, test, 2, 0.1, tensor.CPU)
		if len(h) != 2 {
			t.Fatalf("history of %d epochs, want 2", len(h))
		}
		for i, e := range h {
			if e.Epoch != i+1 || e.Device != "cpu" || !(e.Loss > 0) || e.TrainAcc < 0 || e.TrainAcc > 1 ||
				e.TestAcc < 0 || e.TestAcc > 1 || !(e.ExamplesPerSec > 0) || math.IsInf(e.ExamplesPerSec, 0) {
				t.Errorf("epoch %d: %+v", i, e)
			}
		}
		if h[1].Loss >= h[0].Loss {
			t.Errorf("loss did not fall: %.4f then %.4f", h[0].Loss, h[1].Loss)
		}
		if nn.IsTraining(net) {
			t.Error("net left in training mode after the final evaluation")
		}
		return append(net.Parameters()[0].Float64s(), h[0].Loss, h[1].Loss, h[1].TrainAcc, h[1].TestAcc), ""
	}
	var out bytes.Buffer
	a, _ := run(&out)
	b, _ := run(io.Discard)
	if !slices.Equal(a, b) {
		t.Error("two runs from the same seeds differ")
	}
	for _, s := range []string{"training on cpu", "epoch 2/2", "test acc", "examples/sec on cpu"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
}

// LeNet with the reference settings (batch 256, lr 0.9) learns on the
// embedded subset. The sigmoid network sits near chance (loss 2.30) for
// about 280 steps, 12 epochs of the subset, before it starts to learn;
// after 20 epochs it measured 0.599 here (0.52 after 19, 0.47 after 17),
// so the test asserts 0.4 (chance is 0.1). About 20-40 s on 2 cores:
// skipped under -short.
func TestLeNetLearnsOnSubset(t *testing.T) {
	if testing.Short() {
		t.Skip("20 epochs of LeNet on the subset: skipped under -short")
	}
	ds, err := data.LoadEmbeddedSubset()
	if err != nil {
		t.Fatal(err)
	}
	train, test, err := data.NewFashionMNISTLoaders(ds, data.LoaderConfig{BatchSize: task3.BatchSize})
	if err != nil {
		t.Fatal(err)
	}
	const epochs = 20
	nn.Seed(0) // the biases, whatever ran before
	h := task3.TrainCNN(task3.GetLeNet(), train, test, epochs, task3.LR, tensor.CPU)
	last := h[len(h)-1]
	t.Logf("after %d epochs: %v", epochs, last)
	if last.TestAcc < 0.4 {
		t.Errorf("test accuracy %.3f after %d epochs, want at least 0.4", last.TestAcc, epochs)
	}
	if last.Loss > 0.8*h[0].Loss {
		t.Errorf("loss %.3f after %d epochs, first epoch %.3f: want a fall of 20%% at least", last.Loss, epochs, h[0].Loss)
	}
}

// TestFullLeNet trains LeNet with the reference settings (batch 256,
// lr 0.9, 10 epochs) on the full Fashion-MNIST, found as
// task3.LoadDataFashionMNIST finds it, and asserts the test accuracy of
// the original (at least 0.78). It runs only with -full:
//
//	go test ./solutions/task3 -run TestFullLeNet -full -v -timeout 1h
//
// docs/performance.md records its wall time and accuracy.
func TestFullLeNet(t *testing.T) {
	if !*full {
		t.Skip("the full 10-epoch run needs -full")
	}
	train, test, err := task3.LoadDataFashionMNIST("", task3.BatchSize, 0)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() < 60000 {
		t.Fatalf("%d training images: the full data set is not installed (see data.LoadFashionMNIST)", train.Len())
	}
	start := time.Now()
	h := task3.TrainCNN(task3.GetLeNet(), train, test, task3.NumEpochs, task3.LR, tensor.CPU)
	wall := time.Since(start)
	for _, e := range h {
		t.Log(e)
	}
	last := h[len(h)-1]
	t.Logf("wall time %v, final test accuracy %.4f", wall.Round(time.Second), last.TestAcc)
	if last.TestAcc < 0.78 {
		t.Errorf("final test accuracy %.4f, want at least 0.78", last.TestAcc)
	}
}

// lenetBatch is a batch of 256 real images and labels.
func lenetBatch(b *testing.B) (*tensor.Tensor, []int) {
	train, _ := subsetLoaders(b, 256, 0, 0)
	for x, y := range train.Batches(0) {
		return x, y
	}
	panic("empty loader")
}

// One training step of LeNet (zero grads, forward, loss, backward, SGD
// step) on a batch of 256: with Backward, and with BackwardAndRelease as
// TrainCNN takes it.
func BenchmarkLeNetTrainStep(b *testing.B) {
	for _, v := range []struct {
		name     string
		backward func(*tensor.Tensor)
	}{{"backward", (*tensor.Tensor).Backward}, {"backward-and-release", (*tensor.Tensor).BackwardAndRelease}} {
		b.Run(v.name, func(b *testing.B) {
			x, y := lenetBatch(b)
			net := task3.GetLeNet()
			task3.InitWeights(net)
			opt := optim.NewSGD(net.Parameters(), task3.LR, 0, 0)
			loss := nn.NewCrossEntropyLoss(nn.ReduceMean)
			b.ResetTimer()
			for b.Loop() {
				opt.ZeroGrad()
				v.backward(loss.Forward(net.Forward(x), y))
				opt.Step()
			}
			b.ReportMetric(float64(b.N*len(y))/b.Elapsed().Seconds(), "examples/s")
		})
	}
}

// LeNet inference on a batch of 256 in evaluation mode without gradients.
func BenchmarkLeNetInference(b *testing.B) {
	x, y := lenetBatch(b)
	net := task3.GetLeNet()
	net.SetTraining(false)
	b.ResetTimer()
	for b.Loop() {
		tensor.NoGrad(func() { net.Forward(x) })
	}
	b.ReportMetric(float64(b.N*len(y))/b.Elapsed().Seconds(), "examples/s")
}
