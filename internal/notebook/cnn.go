package notebook

import (
	"fmt"
	"math"
	"nnkit/spec"
	"slices"
	"text/tabwriter"
	"time"

	"nnkit/charts"
	"nnkit/data"
	"nnkit/nn"
	"nnkit/progress"
	"nnkit/tensor"
)

// TrainCNNFunc is task 3's TrainCNN, which task 4 trains with too.
type TrainCNNFunc = spec.TrainCNN

// Task3Funcs are task 3's graded functions, as the student wrote them.
type Task3Funcs = spec.Task3

// Task4Funcs are task 4's network and the TrainCNN of the task 3 package
// beside it (exercises/task3 for exercises/task4).
type Task4Funcs struct {
	GetResNet func() *nn.Sequential
	TrainCNN  TrainCNNFunc
}

// Task3 walks through task 3's notebook: LeNet's shape table against the
// expected one, then training on Fashion-MNIST with the reference
// settings (or the options'), with the progress bar, and the curves.
func Task3(nb *Notebook, f *Task3Funcs) error {
	return cnnNotebook(nb, cnnRun{
		task: "task 3", netName: "LeNet-5", getName: "GetLeNet", get: f.GetLeNet, train: f.TrainCNN,
		want: spec.LeNetShapes(), input: []int{1, 1, 28, 28}, plot: "lenet-curves",
		epochs: spec.Task3NumEpochs, batch: spec.Task3BatchSize, lr: spec.Task3LR,
	})
}

// Task4 is Task3 for ResNet-18, on images resized to Options.Resize
// (default 96), with a warning of how long the full run takes on this
// machine, estimated from a measured training step.
func Task4(nb *Notebook, f *Task4Funcs) error {
	return cnnNotebook(nb, cnnRun{
		task: "task 4", netName: "ResNet-18", getName: "GetResNet", get: f.GetResNet, train: f.TrainCNN,
		want: spec.ResNetShapes(224), input: []int{1, 1, 224, 224}, plot: "resnet-curves",
		epochs: spec.Task4NumEpochs, batch: spec.Task4BatchSize, lr: spec.Task4LR, resize: or(nb.Opt.Resize, spec.Task4Resize), refResize: spec.Task4Resize, warnFull: true, trainDir: nb.Opt.TrainDir,
	})
}

type cnnRun struct {
	task, netName, getName string
	get                    func() *nn.Sequential
	train                  TrainCNNFunc
	want                   []nn.LayerInfo
	input                  []int
	plot                   string
	epochs, batch          int
	lr                     float64
	resize                 int
	refResize              int    // the reference side, for the warning
	trainDir               string // where TrainCNN comes from, when not the task's folder
	warnFull               bool
}

func cnnNotebook(nb *Notebook, r cnnRun) error {
	o := nb.Opt
	epochs, batch, lr := or(o.Epochs, r.epochs), or(o.Batch, r.batch), orF(o.LR, r.lr)

	nb.Section(r.netName + ": the layers")
	var net *nn.Sequential
	if !nb.Try(r.getName, func() { net = r.get() }) {
		return nil
	}
	if net == nil {
		nb.NotDone(r.getName, "returned nil")
		return nil
	}
	nb.Printf("output shapes for one %dx%d image:\n", r.input[2], r.input[3])
	if !nb.shapeTable(net, r.want, r.input...) {
		return nil
	}

	nb.Section("Fashion-MNIST")
	ds, err := data.LoadFashionMNIST(o.Data)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSetup, err)
	}
	cfg := data.LoaderConfig{BatchSize: batch, Limit: o.Limit, Height: r.resize, Width: r.resize}
	trainIter, testIter, err := data.NewFashionMNISTLoaders(ds, cfg)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSetup, err)
	}
	h, w := trainIter.ImageSize()
	nb.Printf("from %s: %d training and %d test images of %dx%d", ds.Source, trainIter.Len(), testIter.Len(), h, w)
	if o.Limit > 0 {
		nb.Printf(" (--limit %d)", o.Limit)
	}
	nb.Printf("\n")

	dev, err := runDevice(o.Device)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSetup, err)
	}
	nb.Section(fmt.Sprintf("Training on %s: %d epochs, batches of %d, learning rate %g", dev.Name(), epochs, batch, lr))
	step, measured := nb.measureStep(r, batch, h, w, dev)
	if measured {
		perEx := step.Seconds() / float64(min(batch, measureBatch))
		run := estimate(perEx, trainIter.Len(), testIter.Len(), epochs)
		nb.Printf("one training step of %d images took %s here: this run should take about %s\n",
			min(batch, measureBatch), step.Round(time.Millisecond), fmtDuration(run))
		if r.warnFull {
			// The notebook's run: every image at the reference side. A
			// convolutional network's work grows with the image's area, so
			// a step measured at another side is scaled by the areas.
			side := r.resize
			if r.refResize > 0 {
				side = r.refResize
			}
			perRef := perEx * float64(side*side) / float64(h*w)
			full := estimate(perRef, ds.Train.Len(), ds.Test.Len(), r.epochs)
			scaled := ""
			if side*side != h*w {
				scaled = fmt.Sprintf(", scaled from %dx%d by the image area", h, w)
			}
			nb.Printf("warning: the notebook's full run (%d epochs of all %d training images at %dx%d) takes about %s on %s (from the measured step%s); "+
				"--limit N and --epochs N make a quick run, --resize N a smaller image\n",
				r.epochs, ds.Train.Len(), side, side, fmtDuration(full), where(dev), scaled)
		}
	}
	var history []progress.EpochStats
	if !nb.Try("TrainCNN", func() { history = r.train(net, trainIter, testIter, epochs, lr, dev) }) {
		return nil
	}
	if history == nil {
		dir := nb.Opt.Dir
		if r.trainDir != "" {
			dir = r.trainDir
		}
		nb.notDoneIn("TrainCNN", "returned nil", dir)
		return nil
	}
	if len(history) != epochs {
		nb.Skip("TrainCNN returned %d epochs of history, expected %d", len(history), epochs)
	}
	var ep, loss, trainAcc, testAcc []float64
	for _, s := range history {
		ep = append(ep, float64(s.Epoch))
		loss = append(loss, s.Loss)
		trainAcc = append(trainAcc, s.TrainAcc)
		testAcc = append(testAcc, s.TestAcc)
		if math.IsNaN(s.Loss) {
			nb.Skip("the loss is NaN at epoch %d", s.Epoch)
			return nil
		}
	}
	if len(ep) == 0 {
		return nil
	}
	return nb.curves(r.plot, fmt.Sprintf("%s: %s on Fashion-MNIST", r.task, r.netName),
		charts.Series{Name: "train loss", X: ep, Y: loss},
		charts.Series{Name: "train acc", X: ep, Y: trainAcc},
		charts.Series{Name: "test acc", X: ep, Y: testAcc})
}

// measureBatch caps the batch of the timed step: the time per example is
// about the same, and the estimate should cost seconds, not minutes.
const measureBatch = 32

// measureStep times one training step (forward, cross-entropy, backward)
// of a fresh network on random images: a small warm-up step, then the
// timed one.
func (nb *Notebook) measureStep(r cnnRun, batch, h, w int, dev tensor.Device) (time.Duration, bool) {
	var d time.Duration
	err := nb.Call(r.getName, func() {
		net := r.get()
		if net == nil {
			return
		}
		nn.ToDevice(net, dev)
		rng := tensor.NewRNG(1)
		loss := nn.NewCrossEntropyLoss(nn.ReduceMean)
		stepOf := func(n int) {
			x := tensor.RandUniform(rng, tensor.Float32, 0, 1, n, 1, h, w)
			y := make([]int, n)
			for i := range y {
				y[i] = i % 10
			}
			l := loss.Forward(net.Forward(x.ToDevice(dev)), y)
			l.Backward()
			_ = l.Item() // waits for a device
		}
		stepOf(2)
		start := time.Now()
		stepOf(min(batch, measureBatch))
		d = time.Since(start)
	})
	return d, err == nil && d > 0
}

// runDevice resolves Options.Device.
func runDevice(name string) (tensor.Device, error) {
	switch name {
	case "", "cpu":
		return tensor.CPU, nil
	case "auto":
		return tensor.TryGPU(), nil
	case "cuda":
		d, err := tensor.GPU()
		if err != nil {
			return nil, fmt.Errorf("--device cuda: no usable GPU: %v (docs/gpu.md; --device auto falls back to the CPU)", err)
		}
		return d, nil
	}
	return nil, fmt.Errorf("--device %q: want cpu, cuda or auto", name)
}

func where(dev tensor.Device) string {
	if dev == tensor.CPU {
		return "this CPU"
	}
	return dev.Name()
}

// estimate is the time of a run: every training example costs perEx, a
// test example about a third of that (a forward pass only).
func estimate(perEx float64, train, test, epochs int) time.Duration {
	s := perEx * (float64(train) + float64(test)/3) * float64(epochs)
	return time.Duration(s * float64(time.Second))
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%.0f minutes", d.Minutes())
	}
	return fmt.Sprintf("%.1f hours", d.Hours())
}

// shapeTable prints the net's layers for a zero input of the given shape
// next to the expected ones, marking the rows that differ. It returns
// false when the network cannot run on the input (reported).
func (nb *Notebook) shapeTable(net nn.Module, want []nn.LayerInfo, inputShape ...int) bool {
	var infos []nn.LayerInfo
	var err error
	if !nb.Try("the network", func() { infos, err = nn.Summarize(net, inputShape...) }) {
		return false
	}
	if err != nil {
		nb.Skip("the network does not run on an input of shape %v: %v", inputShape, err)
		return false
	}
	tw := tabwriter.NewWriter(nb.W, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tlayer\toutput shape\tparameters\texpected\t")
	cell := func(l []nn.LayerInfo, i int) string {
		if i >= len(l) {
			return "-\t-\t-"
		}
		return fmt.Sprintf("%s\t%v\t%d", l[i].Name, l[i].OutputShape, l[i].Parameters)
	}
	bad := 0
	for i := range max(len(infos), len(want)) {
		exp, mark := "(no such layer)", ""
		if i < len(want) {
			exp = fmt.Sprintf("%s %v %d", want[i].Name, want[i].OutputShape, want[i].Parameters)
		}
		if i >= len(infos) || i >= len(want) || infos[i].Name != want[i].Name ||
			!slices.Equal(infos[i].OutputShape, want[i].OutputShape) || infos[i].Parameters != want[i].Parameters {
			bad++
			mark = "<- differs"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", i, cell(infos, i), exp, mark)
	}
	tw.Flush()
	total := nn.CountParameters(net)
	nb.Printf("%d parameters\n", total)
	if bad > 0 {
		nb.Skip("%d layer(s) differ from the expected ones (marked above)", bad)
	} else {
		nb.Printf("every layer matches\n")
	}
	return true
}
