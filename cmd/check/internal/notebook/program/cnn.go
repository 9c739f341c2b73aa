package program

import (
	"fmt"
	"math"
	"nnkit/cmd/check/internal/notebook"
	"nnkit/spec"
	"slices"
	"text/tabwriter"
	"time"

	"nnkit/charts"
	"nnkit/data"
	"nnkit/nn"
	"nnkit/optim"
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
		epochs: spec.Task3NumEpochs, batch: spec.Task3BatchSize, lr: spec.Task3LR, slowStart: true,
	})
}

// Task4 is Task3 for ResNet-18, on images resized to Options.Resize
// (default 96).
func Task4(nb *Notebook, f *Task4Funcs) error {
	return cnnNotebook(nb, cnnRun{
		task: "task 4", netName: "ResNet-18", getName: "GetResNet", get: f.GetResNet, train: f.TrainCNN,
		want: spec.ResNetShapes(224), input: []int{1, 1, 224, 224}, plot: "resnet-curves",
		epochs: spec.Task4NumEpochs, batch: spec.Task4BatchSize, lr: spec.Task4LR, resize: or(nb.Opt.Resize, spec.Task4Resize), trainDir: nb.Opt.TrainDir,
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
	trainDir               string // where TrainCNN comes from, when not the task's folder
	// slowStart: the network (LeNet's sigmoids) stays near chance for
	// its first epochs at the reference rate, which a short run explains.
	slowStart bool
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
		return fmt.Errorf("%w: %v", notebook.ErrSetup, err)
	}
	cfg := data.LoaderConfig{BatchSize: batch, Limit: o.Limit, Height: r.resize, Width: r.resize}
	trainIter, testIter, err := data.NewFashionMNISTLoaders(ds, cfg)
	if err != nil {
		return fmt.Errorf("%w: %v", notebook.ErrSetup, err)
	}
	h, w := trainIter.ImageSize()
	nb.Printf("from %s: %d training and %d test images of %dx%d", ds.Source, trainIter.Len(), testIter.Len(), h, w)
	if o.Limit > 0 {
		nb.Printf(" (-limit %d)", o.Limit)
	}
	nb.Printf("\n")

	dev, err := runDevice(o.Device)
	if err != nil {
		return fmt.Errorf("%w: %v", notebook.ErrSetup, err)
	}
	nb.Section(fmt.Sprintf("Training on %s: %d epochs, batches of %d, learning rate %g", dev.Name(), epochs, batch, lr))
	step, measured := nb.measureStep(r, trainIter, lr, dev)
	if measured {
		train, total := runEstimate(step, trainIter.NumBatches(), testIter.NumBatches(), epochs)
		nb.Printf("a training step (a batch of %d, loading included) takes %s on %s: this run should take about %s\n"+
			"  (%d epochs of %d batches at that pace: %s, what the progress bar's \"left\" shows at its start; and a test pass each epoch)\n",
			min(batch, trainIter.Len()), step.Round(time.Millisecond), where(dev), fmtDuration(total),
			epochs, trainIter.NumBatches(), fmtDuration(train))
		if total > notebook.LongRun && !o.AllowLong {
			nb.Printf("that is over the %s check run starts without being asked.\n", fmtDuration(notebook.LongRun))
			return notebook.ErrLong
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
	if last := history[len(history)-1]; r.slowStart && lr == r.lr && last.TestAcc < nearChance {
		steps, refSteps := epochs*trainIter.NumBatches(), r.epochs*ceilDiv(fashionTrain, r.batch)
		if steps < refSteps {
			nb.Printf("\nnote: a test accuracy of %.3f is chance (10 classes), and expected after %d training steps (%d epochs of %d batches): "+
				"with the reference rate %g a sigmoid LeNet stays near chance for its first few hundred steps, "+
				"and the reference run takes %d (%d epochs of all %d images in batches of %d)\n",
				last.TestAcc, steps, epochs, trainIter.NumBatches(), lr, refSteps, r.epochs, fashionTrain, r.batch)
		}
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
		[]charts.Series{{Name: "train loss", X: ep, Y: loss}},
		[]charts.Series{{Name: "train acc", X: ep, Y: trainAcc}, {Name: "test acc", X: ep, Y: testAcc}})
}

// fashionTrain is the size of Fashion-MNIST's full training set, which
// the reference settings were chosen for.
const fashionTrain = 60000

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// nearChance is a test accuracy indistinguishable from guessing one of
// Fashion-MNIST's 10 classes after a short run.
const nearChance = 0.2

// measureStep times training steps as the reference TrainCNN takes them
// (the loader's next batch, forward, cross-entropy, BackwardAndRelease, an
// SGD update; a TrainCNN that calls Backward instead, as the book does,
// runs about 1.3 times slower than the estimate on a CPU) on a fresh
// network and the run's first batches, and returns their pace. The first
// steps are slower (memory is allocated, caches fill) and one step alone
// is at the mercy of whatever else the machine does, so it skips
// warmUpSteps and takes the median of up to paceSteps steps. Once
// paceBudget is spent it stops after two steps (a slow network on a slow
// machine: one warm-up, one timed). The progress bar's "left" is paced
// by the same steps.
func (nb *Notebook) measureStep(r cnnRun, trainIter *data.Loader, lr float64, dev tensor.Device) (time.Duration, bool) {
	var steps []time.Duration
	err := nb.Call(r.getName, func() {
		net := r.get()
		if net == nil {
			return
		}
		nn.ToDevice(net, dev)
		sgd := optim.NewSGD(net.Parameters(), lr, 0, 0)
		loss := nn.NewCrossEntropyLoss(nn.ReduceMean)
		var spent time.Duration
		start := time.Now()
		for x, y := range trainIter.Batches(0) {
			sgd.ZeroGrad()
			l := loss.Forward(net.Forward(x.ToDevice(dev)), y)
			l.BackwardAndRelease()
			sgd.Step()
			_ = l.Item() // waits for a device
			d := time.Since(start)
			spent += d
			steps = append(steps, d)
			if len(steps) >= warmUpSteps+paceSteps || (len(steps) >= 2 && spent > paceBudget) {
				break
			}
			start = time.Now() // the next step starts with the loading of its batch
		}
	})
	pace := paceOf(steps)
	return pace, err == nil && pace > 0
}

// The measurement of measureStep.
const (
	warmUpSteps = 2
	paceSteps   = 5
	paceBudget  = 5 * time.Second
)

// paceOf is the median of the steps after the warm-up; a run with fewer
// steps than that has only its last one.
func paceOf(steps []time.Duration) time.Duration {
	if len(steps) == 0 {
		return 0
	}
	timed := steps[min(warmUpSteps, len(steps)-1):]
	timed = slices.Clone(timed)
	slices.Sort(timed)
	return timed[len(timed)/2]
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
			return nil, fmt.Errorf("-device cuda: no usable GPU: %v (docs/gpu.md; -device auto falls back to the CPU)", err)
		}
		return d, nil
	}
	return nil, fmt.Errorf("-device %q: want cpu, cuda or auto", name)
}

func where(dev tensor.Device) string {
	if dev == tensor.CPU {
		return "this CPU"
	}
	return dev.Name()
}

// runEstimate is how long a run of epochs takes at step per training
// batch. train is the training batches alone, as the progress bar counts
// them (its "left" at the start of the run is the same product); total
// adds a test pass per epoch, a forward pass only, about a third of a
// training step per batch.
func runEstimate(step time.Duration, trainBatches, testBatches, epochs int) (train, total time.Duration) {
	train = step * time.Duration(trainBatches*epochs)
	return train, train + step*time.Duration(testBatches*epochs)/3
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
