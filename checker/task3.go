package checker

import (
	"fmt"
	"io"
	"math"
	"nnkit/spec"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"nnkit/checker/wire"
	"nnkit/data"
	"nnkit/nn"
	"nnkit/optim"
	"nnkit/progress"
	"nnkit/solutions/task3"
	"nnkit/tensor"
)

// Task3Funcs are the graded functions of task 3 (nnkit/spec).
type Task3Funcs = spec.Task3

// task3Reference is the seam through which the reference solution reaches
// the rubric.
var task3Reference = &Task3Funcs{GetLeNet: task3.GetLeNet, TrainCNN: task3.TrainCNN}

// Task3 is the rubric of task 3 (20 points): GetLeNet 5, TrainCNN 15 in
// three items, each run on the embedded Fashion-MNIST subset in about a
// second or two:
//
//	TrainCNN/steps [6]      from the same initial weights and batches, 2
//	                        epochs must end at the reference's parameters
//	                        (4) with its history (loss 1, accuracies 1)
//	TrainCNN/behaviour [5]  history well formed, training steps in
//	                        training mode, test accuracy in evaluation
//	                        mode without gradients, weights updated,
//	                        loss falling (1 each)
//	TrainCNN/accuracy [4]   a short run must reach test accuracy 0.55
//	                        (2 points for 0.3)
var Task3 = register(NewTask("task3", "LeNet-5 on Fashion-MNIST", task3Reference,
	[]string{"errors", "fmt", "io", "math", "slices", "sort", "strings", "text/tabwriter", "time",
		"nnkit/data", "nnkit/nn", "nnkit/optim", "nnkit/progress", "nnkit/spec", "nnkit/tensor"},
	ItemOf[Task3Funcs]{Name: "GetLeNet", Points: 5, Check: checkGetLeNet},
	ItemOf[Task3Funcs]{Name: "TrainCNN/steps", Points: 6, Uses: []string{"TrainCNN"}, Check: checkTrainSteps},
	ItemOf[Task3Funcs]{Name: "TrainCNN/behaviour", Points: 5, Uses: []string{"TrainCNN"}, Check: checkTrainBehaviour},
	ItemOf[Task3Funcs]{Name: "TrainCNN/accuracy", Points: 4, Uses: []string{"TrainCNN"}, Check: checkTrainAccuracy},
))

// ---- GetLeNet ----

// checkGetLeNet: layer kinds 2, output shapes 2, parameter counts and the
// function computed with the reference's weights 1. Layers are matched
// to the expected ones first, so a missing layer costs the kinds only.
func checkGetLeNet(c *Ctx, s, ref *Task3Funcs) {
	nn.Seed(1)
	net := s.GetLeNet()
	if net == nil {
		c.LoseAll(NotDone, "not implemented: GetLeNet returns nil")
		return
	}
	refNet := ref.GetLeNet()
	want := walkLayers(refNet.Layers, 1, 1, 28, 28)
	got := walkLayers(net.Layers, 1, 1, 28, 28)
	c.Detailf("%s", layerTable(want, got))
	if len(net.Layers) == 0 {
		c.LoseAll(NotDone, "not implemented: GetLeNet returns an empty Sequential")
		return
	}
	kinds, shapes, params := compareLayers(want, got, "layer")
	if kinds != "" {
		c.Lose(2, Fail, "%s", kinds)
	}
	if shapes != "" {
		c.Lose(2, Fail, "%s", shapes)
	}
	if params != "" {
		c.Lose(1, Fail, "%s", params)
		return
	}
	if kinds != "" || shapes != "" {
		return
	}
	// Same layers: with the reference's weights, the same function.
	if !copyParameters(net, refNet) {
		c.Lose(1, Fail, "the parameters are not those of the reference in number or order (%d tensors, expected %d)", len(net.Parameters()), len(refNet.Parameters()))
		return
	}
	x := tensor.RandUniform(tensor.NewRNG(seedOf(3)), tensor.Float32, 0, 1, 3, 1, 28, 28)
	var yw, yg *tensor.Tensor
	tensor.NoGrad(func() {
		yw = refNet.Forward(x)
		yg = net.Forward(x)
	})
	if m := diffTensor("output", yw, yg, tensorTol); m != nil {
		c.Lose(1, Fail, "with the reference's weights copied in, the network computes another function on 3 random images: %s", m.reason)
	}
}

// layerTable shows the layers found next to the expected ones (-v).
func layerTable(want, got []layerRun) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tfound\toutput\tparameters\texpected\toutput\tparameters")
	for i := range max(len(want), len(got)) {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", i, runCells(got, i), runCells(want, i))
	}
	_ = tw.Flush()
	return b.String()
}

func runCells(rs []layerRun, i int) string {
	if i >= len(rs) {
		return "-\t-\t-"
	}
	r := rs[i]
	out := fmt.Sprint(r.shape)
	switch {
	case r.err != "":
		out = "fails: " + firstLine(r.err)
	case r.shape == nil:
		out = "(not reached)"
	}
	return fmt.Sprintf("%s\t%s\t%d", r.name, out, r.params)
}

// ---- TrainCNN: shared set-up ----

var fashion struct {
	once sync.Once
	ds   *data.FashionMNIST
	err  error
}

// fashionSubset is the embedded Fashion-MNIST subset, loaded once per
// process.
func fashionSubset() *data.FashionMNIST {
	fashion.once.Do(func() { fashion.ds, fashion.err = data.LoadEmbeddedSubset() })
	if fashion.err != nil {
		panic("checker: " + fashion.err.Error())
	}
	return fashion.ds
}

func mustLoader(s *data.Split, cfg data.LoaderConfig) *data.Loader {
	l, err := data.NewLoader(s, cfg)
	if err != nil {
		panic("checker: " + err.Error())
	}
	return l
}

// reluLeNet is LeNet with ReLU in place of every Sigmoid, built from the
// package generator seeded with seed. The sigmoid LeNet needs about 280
// steps at lr 0.9 before it leaves its initial plateau (loss 2.30), far
// too long for a check; the ReLU network learns from the first epoch.
func reluLeNet(seed uint64) *nn.Sequential {
	nn.Seed(seed)
	net := task3Reference.GetLeNet()
	for i, l := range net.Layers {
		if l.Name() == "Sigmoid" {
			net.Layers[i] = nn.NewReLU()
		}
	}
	return net
}

// paramsOf flattens a network's parameters.
func paramsOf(m nn.Module) []float64 {
	var out []float64
	for _, p := range m.Parameters() {
		out = append(out, p.Float64s()...)
	}
	return out
}

// noHistory is the reason for a TrainCNN that returns nothing.
func noHistory(c *Ctx, h []progress.EpochStats, before, after []float64) bool {
	if len(h) > 0 {
		return false
	}
	if slices.Equal(before, after) {
		c.LoseAll(NotDone, "not implemented: TrainCNN returns no history and leaves the weights as they were")
		return true
	}
	return false
}

// changedNet takes every point when TrainCNN changed the network it was
// given (its layers' arguments or its parameters' shapes): the checker
// evaluates the trained network itself, which it does only for the
// network it built.
func changedNet(c *Ctx, arch string, net nn.Module) bool {
	if msg := sameArchitecture(arch, net); msg != "" {
		c.LoseAll(Fail, "TrainCNN changed the network it was given (%s): train the network you are given, as it is", msg)
		return true
	}
	return false
}

// ---- TrainCNN/steps ----

// The equivalence run: LeNet as the reference builds it, the reference's
// learning rate, 2 epochs of 500 training images in batches of 64 (the
// last one partial) and 250 test images.
const (
	stepsEpochs     = 2
	stepsTrainLimit = 500
	stepsTestLimit  = 250
	stepsBatch      = 64
)

func stepsLoaders() (train, test *data.Loader) {
	ds := fashionSubset()
	train = mustLoader(ds.Train, data.LoaderConfig{BatchSize: stepsBatch, Shuffle: true, Seed: seedOf(5), Limit: stepsTrainLimit})
	test = mustLoader(ds.Test, data.LoaderConfig{BatchSize: stepsBatch, Limit: stepsTestLimit})
	return train, test
}

func stepsNet() *nn.Sequential {
	nn.Seed(seedOf(3))
	return task3Reference.GetLeNet()
}

// paramTol allows float32 rounding of the same steps taken in another
// order (a loss summed then scaled, say) to grow over 16 steps.
var paramTol = tol{rel: 1e-4, abs: 1e-5}

// historyTol is for the epoch figures computed in another order.
var historyTol = tol{rel: 1e-5, abs: 1e-7}

func checkTrainSteps(c *Ctx, s, ref *Task3Funcs) {
	task3.Output = io.Discard
	train, test := stepsLoaders()
	refNet := stepsNet()
	want := ref.TrainCNN(refNet, train, test, stepsEpochs, task3.LR, tensor.CPU)

	net := stepsNet()
	before, arch := paramsOf(net), architectureOf(net)
	got := s.TrainCNN(net, train, test, stepsEpochs, task3.LR, tensor.CPU)
	after := paramsOf(net)
	if noHistory(c, got, before, after) || changedNet(c, arch, net) {
		return
	}
	setup := fmt.Sprintf("from the same LeNet and batches (%d epochs of %d images, batch %d, lr %v)", stepsEpochs, stepsTrainLimit, stepsBatch, task3.LR)

	// The parameters: 4 points. When they differ in a way diagnoseSteps
	// recognises, the history is compared with that run's instead, so
	// that one mistake is charged once.
	wp, gp := nn.NamedParameters(refNet), nn.NamedParameters(net)
	for i := range wp {
		m := diffTensor(wp[i].Name, wp[i].Tensor, gp[i].Tensor, paramTol)
		if m == nil {
			continue
		}
		if slices.Equal(before, after) {
			c.Lose(4, Fail, "%s, the weights never changed: is optimizer.Step() called after Backward, with the gradients still there?", setup)
			c.Lose(2, Fail, "the history cannot be checked: it follows from training steps that differ from the reference's")
			return
		}
		v, vh := diagnoseSteps(after, train, test)
		if v == nil {
			c.Lose(4, Fail, "%s, the parameters differ from the reference's after training: %s", setup, m.reason)
			c.Lose(2, Fail, "the history cannot be checked: it follows from training steps that differ from the reference's")
			return
		}
		c.Lose(4, Fail, "%s, the parameters differ from the reference's after training: %s: they match a run in which %s", setup, m.reason, v.hint)
		want = vh
		break
	}

	// The history: 1 point for the losses, 1 for the accuracies.
	if len(got) != len(want) {
		c.Lose(2, Fail, "TrainCNN returned %d epochs of history for numEpochs = %d: record one progress.EpochStats per epoch", len(got), stepsEpochs)
		return
	}
	for i := range want {
		if !historyTol.equal(want[i].Loss, got[i].Loss) {
			c.Lose(1, Fail, "epoch %d: Loss = %.6g, expected %.6g%s", i+1, got[i].Loss, want[i].Loss, lossHint(got[i].Loss, want[i].Loss))
			break
		}
	}
	for i := range want {
		w, g := want[i], got[i]
		switch {
		case !historyTol.equal(w.TrainAcc, g.TrainAcc):
			c.Lose(1, Fail, "epoch %d: TrainAcc = %.6g, expected %.6g%s", i+1, g.TrainAcc, w.TrainAcc, accHint(g.TrainAcc, w.TrainAcc, stepsTrainLimit))
		case !historyTol.equal(w.TestAcc, g.TestAcc):
			c.Lose(1, Fail, "epoch %d: TestAcc = %.6g, expected %.6g%s", i+1, g.TestAcc, w.TestAcc, accHint(g.TestAcc, w.TestAcc, stepsTestLimit))
		default:
			continue
		}
		break
	}
	c.Detailf("expected history:\n%s\nyour history:\n%s", historyText(want), historyText(got))
}

func historyText(h []progress.EpochStats) string {
	var b strings.Builder
	for _, e := range h {
		b.WriteString(e.String() + "\n")
	}
	return b.String()
}

func lossHint(got, want float64) string {
	switch {
	case want > 0 && got/want > 30:
		return ": divide the sum of loss x batch size by the number of examples"
	}
	return ": Loss is the sum over the epoch's batches of loss x batch size, divided by the number of examples"
}

func accHint(got, want float64, n int) string {
	switch {
	case got > 1:
		return ": an accuracy is a fraction, divide the number of correct predictions by the number of examples"
	case historyTol.equal(got*float64(n), want*float64(n)*100) || historyTol.equal(got, want*100):
		return ": give accuracies as fractions in [0, 1], not percentages"
	case got == 0 && want > 0:
		return ": 0 is what integer division gives, correct/examples with two ints is 0 while correct < examples: convert before dividing, float64(correct) / float64(examples)"
	}
	return ""
}

// stepsVariant is a way of getting TrainCNN wrong that diagnoseSteps
// recognises.
type stepsVariant struct {
	noZeroGrad bool // never zeroes the gradients
	noInit     bool // keeps the weights the network was built with
	epochZero  bool // Batches(0) in every epoch
	sumLoss    bool // backward of the summed loss (gradients x batch size)
	onTest     bool // the training steps run on testIter
	extraEpoch bool // numEpochs+1 epochs
	hint       string
}

var stepsVariants = []stepsVariant{
	{noZeroGrad: true, hint: "gradients accumulate from batch to batch: call optimizer.ZeroGrad() before every backward pass"},
	{noInit: true, hint: "the weights were not re-initialised: call InitWeights(net) first (it draws the Xavier weights from a fixed seed)"},
	{epochZero: true, hint: "every epoch used the batches of epoch 0: iterate over trainIter.Batches(epoch)"},
	{sumLoss: true, hint: "the loss is summed over the batch: use its mean, nn.NewCrossEntropyLoss(nn.ReduceMean)"},
	{onTest: true, hint: trainedOnTest},
	{extraEpoch: true, hint: "the loop ran one epoch more than numEpochs asks for: the epoch loop must run numEpochs times (for epoch := range numEpochs)"},
}

// trainedOnTest names a training loop that steps on the test set.
const trainedOnTest = "the network trained on testIter, the test set: the training steps take trainIter.Batches(epoch), and testIter only measures TestAcc (EvaluateAccuracy)"

// diagnoseSteps trains fresh copies of the network in known wrong ways
// and returns the one whose parameters the student's run reproduced, with
// its history, or nil.
func diagnoseSteps(got []float64, train, test *data.Loader) (*stepsVariant, []progress.EpochStats) {
	for i := range stepsVariants {
		v := &stepsVariants[i]
		n := stepsNet()
		h := variantTrain(n, train, test, stepsEpochs, task3.LR, *v)
		if p := paramsOf(n); len(p) == len(got) && diffVec("params", p, got, paramTol) == nil {
			return v, h
		}
	}
	return nil, nil
}

// variantTrain is the reference training loop with one mistake put in;
// it keeps the history as the reference does.
func variantTrain(net nn.Module, train, test *data.Loader, epochs int, lr float64, v stepsVariant) []progress.EpochStats {
	if !v.noInit {
		task3.InitWeights(net)
	}
	opt := optim.NewSGD(net.Parameters(), lr, 0, 0)
	loss := nn.NewCrossEntropyLoss(nn.ReduceMean)
	var h []progress.EpochStats
	if v.extraEpoch {
		epochs++
	}
	steps := train
	if v.onTest {
		steps = test
	}
	for epoch := range epochs {
		net.SetTraining(true)
		e := epoch
		if v.epochZero {
			e = 0
		}
		var sum float64
		var correct, n int
		for x, y := range steps.Batches(e) {
			if !v.noZeroGrad {
				opt.ZeroGrad()
			}
			yHat := net.Forward(x)
			l := loss.Forward(yHat, y)
			if v.sumLoss {
				tensor.MulScalar(l, float64(len(y))).Backward()
			} else {
				l.Backward()
			}
			opt.Step()
			sum += l.Item() * float64(len(y))
			correct += task3.Accuracy(yHat, y)
			n += len(y)
		}
		h = append(h, progress.EpochStats{Epoch: epoch + 1, Loss: sum / float64(n), TrainAcc: float64(correct) / float64(n),
			TestAcc: task3.EvaluateAccuracy(net, test, tensor.CPU), Device: tensor.CPU.Name()})
	}
	return h
}

// ---- TrainCNN/behaviour ----

// The behaviour run: the ReLU LeNet with a BatchNorm2d(1) witness right
// after its Reshape, behind a Spy, 3 epochs of 960 training images in
// batches of 64 and 300 test images (the last batch partial), lr 0.1.
const (
	behaveEpochs     = 3
	behaveTrainLimit = 960
	behaveTestLimit  = 300
	behaveBatch      = 64
	behaveLR         = 0.1
)

// witnessAt is the witness's index in the behaviour network (after the
// Spy and the Reshape).
const witnessAt = 2

// markedSplit copies the first n examples of s with the first pixel of
// every image set to v, so that the spy can tell the sets apart.
func markedSplit(s *data.Split, n int, v uint8) *data.Split {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	out := s.Select(idx)
	for i := range n {
		out.Image(i)[0] = v
	}
	return out
}

// behaviourNet is the behaviour run's network: a Spy, then the ReLU LeNet
// with the witness inserted after its Reshape. A BatchNorm at the input
// keeps running statistics that depend only on which batches went
// through it in training mode and in which order, whatever the weights
// do: the checker recomputes them (witnessStats), so the modes of a
// training loop are judged on numbers, not on the Spy's record, which
// the student's process could rewrite.
func behaviourNet(seed uint64) (*nn.Sequential, *wire.Spy) {
	sp := wire.NewSpy()
	lenet := reluLeNet(seed)
	layers := append([]nn.Module{sp, lenet.Layers[0], nn.NewBatchNorm2d(1)}, lenet.Layers[1:]...)
	return nn.NewSequential(layers...), sp
}

// witnessStats runs the witness's statistics forward as a loop would
// that passes every training batch of every epoch in training mode, and
// (testInTraining) the test set in training mode after each epoch.
func witnessStats(train, test *data.Loader, epochs int, testInTraining bool) []float64 {
	bn := nn.NewBatchNorm2d(1)
	tensor.NoGrad(func() {
		for e := range epochs {
			for x := range train.Batches(e) {
				bn.Forward(x)
			}
			if testInTraining {
				for x := range test.Batches(0) {
					bn.Forward(x)
				}
			}
		}
	})
	return append(bn.RunningMean.Float64s(), bn.RunningVar.Float64s()...)
}

// witnessTol allows the same statistics summed in another order.
var witnessTol = tol{rel: 1e-5, abs: 1e-7}

func sameStats(want, got []float64) bool {
	return diffVec("", want, got, witnessTol) == nil
}

// meanLoss is the checker's own mean cross-entropy of net on l, in
// evaluation mode without gradients; net's mode is restored.
func meanLoss(net nn.Module, l *data.Loader) float64 {
	mode := nn.IsTraining(net)
	defer net.SetTraining(mode)
	net.SetTraining(false)
	var sum float64
	n := 0
	loss := nn.NewCrossEntropyLoss(tensor.ReduceSum)
	tensor.NoGrad(func() {
		for x, y := range l.Batches(0) {
			sum += loss.Forward(net.Forward(x), y).Item()
			n += len(y)
		}
	})
	return sum / float64(max(n, 1))
}

// checkTrainBehaviour: the history well formed (1), the training steps in
// training mode over every batch once per epoch (1) and the evaluation in
// evaluation mode with the figure reported the network's (1), judged on
// the witness's statistics and the checker's own evaluation; the weights
// updated (1) and the loss of the trained network below the initial
// one's, computed here (1). The Spy's record only names the mistake: a
// record the student's code rewrote can change a message, never a point.
func checkTrainBehaviour(c *Ctx, s, _ *Task3Funcs) {
	ds := fashionSubset()
	train := mustLoader(markedSplit(ds.Train, behaveTrainLimit, 0), data.LoaderConfig{BatchSize: behaveBatch, Shuffle: true, Seed: 9})
	test := mustLoader(markedSplit(ds.Test, behaveTestLimit, 255), data.LoaderConfig{BatchSize: behaveBatch})
	net, sp := behaviourNet(13)
	before, arch := paramsOf(net), architectureOf(net)
	h := s.TrainCNN(net, train, test, behaveEpochs, behaveLR, tensor.CPU)
	after := paramsOf(net)
	if noHistory(c, h, before, after) || changedNet(c, arch, net) {
		return
	}
	c.Detailf("your history:\n%s", historyText(h))

	// 1. The history is well formed.
	if msg := historyProblem(h, behaveEpochs); msg != "" {
		c.Lose(1, Fail, "%s", msg)
	}

	// What the Spy saw, for the messages only.
	var trainEx, testEx int
	var evalStep, noGradStep, testTraining, testGrad bool
	for _, call := range sp.Calls {
		switch {
		case !call.Test && call.Grad:
			trainEx += call.N
			evalStep = evalStep || !call.Training
		case !call.Test:
			noGradStep = true
		default:
			testEx += call.N
			testTraining = testTraining || call.Training
			testGrad = testGrad || call.Grad
		}
	}

	// 2 and 3: the witness's statistics against the ones a right loop
	// leaves, and the ones a loop that evaluates in training mode leaves.
	var got []float64
	if bn, ok := net.Layers[witnessAt].(*nn.BatchNorm2d); ok && bn.RunningMean != nil && bn.RunningVar != nil {
		got = append(bn.RunningMean.Float64s(), bn.RunningVar.Float64s()...)
	}
	right := witnessStats(train, test, behaveEpochs, false)
	evalInTraining := false // explains a TestAcc that differs from the network's
	switch {
	case sameStats(right, got):
	case sameStats(witnessStats(train, test, behaveEpochs, true), got):
		evalInTraining = true
		msg := "the test accuracy was measured in training mode: call net.SetTraining(false) first (EvaluateAccuracy does)"
		if testGrad {
			msg = "the test accuracy was measured in training mode with gradients recorded: use EvaluateAccuracy (evaluation mode, inside tensor.NoGrad)"
		}
		c.Lose(1, Fail, "%s (a BatchNorm the checker put at the network's input updated its statistics with the test images)", msg)
	case sameStats(witnessStats(test, test, behaveEpochs, false), got):
		c.Lose(1, Fail, "%s (a BatchNorm the checker put at the network's input saw only test images in training mode)", trainedOnTest)
	case sameStats(witnessStats(train, test, behaveEpochs+1, false), got):
		c.Lose(1, Fail, "the network trained %d epochs for numEpochs = %d, one epoch more than numEpochs: the epoch loop must run numEpochs times", behaveEpochs+1, behaveEpochs)
	case sameStats(witnessStats(train, test, 0, false), got) || evalStep:
		c.Lose(1, Fail, "training steps ran in evaluation mode: call net.SetTraining(true) at the start of every epoch (EvaluateAccuracy leaves the network in evaluation mode)")
	default:
		msg := "a BatchNorm the checker put at the network's input did not see every batch of trainIter.Batches(epoch) once per epoch in training mode: run every training batch through the network once per epoch, in training mode"
		switch {
		case trainEx == 0 && noGradStep:
			msg = "the training batches ran without gradients (inside tensor.NoGrad?): only the evaluation goes there"
		case trainEx != behaveEpochs*behaveTrainLimit:
			msg = fmt.Sprintf("the network took %d training examples with gradients on in %d epochs of %d, expected %d: run every batch of trainIter.Batches(epoch) once per epoch",
				trainEx, behaveEpochs, behaveTrainLimit, behaveEpochs*behaveTrainLimit)
		}
		c.Lose(1, Fail, "%s", msg)
	}
	if len(h) > 0 {
		acc := evalAccuracy(net, test)
		switch last := h[len(h)-1].TestAcc; {
		case testEx == 0 && !historyTol.equal(acc, last):
			c.Lose(1, Fail, "the test set was never run through the network: measure the test accuracy with EvaluateAccuracy(net, testIter, device) after every epoch")
		case !historyTol.equal(acc, last) && !evalInTraining:
			c.Lose(1, Fail, "the last epoch reports TestAcc %.4f, but the trained network classifies %.4f of testIter correctly: evaluate the whole test set once per epoch, after training", last, acc)
		}
	}
	if testGrad && !testTraining {
		c.Detailf("note: the evaluation ran with gradients recorded (use tensor.NoGrad): it changes no result, so it costs no point")
	}

	// 4. The weights were updated.
	if slices.Equal(before, after) {
		c.Lose(1, Fail, "the network's weights never changed: create the optimiser over net.Parameters() and call optimizer.Step() after every backward pass")
	} else if !allFinite(after) {
		c.Lose(1, Fail, "the weights became NaN or infinite")
	}

	// 5. The loss falls: the checker's own loss on the training images,
	// of the network as it was and as it came back.
	initial, _ := behaviourNet(13)
	first, last := meanLoss(initial, train), meanLoss(net, train)
	c.Detailf("mean training loss (the checker's, evaluation mode): %.4f before, %.4f after", first, last)
	if !(last < first) {
		c.Lose(1, Fail, "the loss did not fall: the trained network's mean loss on the training images is %.4f, the initial one's %.4f (the reference's falls by a third on this run)", last, first)
	}
}

// historyProblem describes the first thing wrong with a history of n
// epochs, or returns "".
func historyProblem(h []progress.EpochStats, n int) string {
	if len(h) == n+1 {
		return fmt.Sprintf("TrainCNN returned %d epochs of history for numEpochs = %d, one epoch more than numEpochs: run the epoch loop numEpochs times, recording one progress.EpochStats per epoch", len(h), n)
	}
	if len(h) != n {
		return fmt.Sprintf("TrainCNN returned %d epochs of history for numEpochs = %d: record one progress.EpochStats per epoch", len(h), n)
	}
	for i, e := range h {
		switch {
		case e.Epoch != i+1:
			return fmt.Sprintf("history[%d].Epoch = %d, expected %d (epochs count from 1)", i, e.Epoch, i+1)
		case math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0) || e.Loss <= 0:
			return fmt.Sprintf("epoch %d: Loss = %v, expected a positive number", i+1, e.Loss)
		case !(e.TrainAcc >= 0 && e.TrainAcc <= 1):
			return fmt.Sprintf("epoch %d: TrainAcc = %v, expected a fraction in [0, 1]", i+1, e.TrainAcc)
		case !(e.TestAcc >= 0 && e.TestAcc <= 1):
			return fmt.Sprintf("epoch %d: TestAcc = %v, expected a fraction in [0, 1]", i+1, e.TestAcc)
		case !(e.ExamplesPerSec > 0) || math.IsInf(e.ExamplesPerSec, 0):
			return fmt.Sprintf("epoch %d: ExamplesPerSec = %v, expected training examples divided by the seconds the steps took", i+1, e.ExamplesPerSec)
		case e.Device != tensor.CPU.Name():
			return fmt.Sprintf("epoch %d: Device = %q, expected device.Name(), %q", i+1, e.Device, tensor.CPU.Name())
		}
	}
	return ""
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// evalAccuracy is the checker's own test accuracy of net on l, in
// evaluation mode without gradients; net's mode is restored.
func evalAccuracy(net nn.Module, l *data.Loader) float64 {
	mode := nn.IsTraining(net)
	defer net.SetTraining(mode)
	net.SetTraining(false)
	correct, total := 0, 0
	tensor.NoGrad(func() {
		for x, y := range l.Batches(0) {
			correct += task3.Accuracy(net.Forward(x), y)
			total += len(y)
		}
	})
	return float64(correct) / float64(max(total, 1))
}

// ---- TrainCNN/accuracy ----

// The accuracy run: the ReLU LeNet on the whole embedded subset (6,000
// training and 1,000 test images), 2 epochs in batches of 64 at lr 0.1.
// The reference reaches a test accuracy of 0.649 (chance is 0.1); full
// marks need AccuracyGoal, half AccuracyHalf.
const (
	accEpochs = 2
	accBatch  = 64
	accLR     = 0.1
	// AccuracyGoal is the test accuracy TrainCNN/accuracy asks for.
	AccuracyGoal = 0.55
	// AccuracyHalf earns half the points of TrainCNN/accuracy.
	AccuracyHalf = 0.3
)

func checkTrainAccuracy(c *Ctx, s, _ *Task3Funcs) {
	ds := fashionSubset()
	train, test, err := data.NewFashionMNISTLoaders(ds, data.LoaderConfig{BatchSize: accBatch, Seed: 17})
	if err != nil {
		panic("checker: " + err.Error())
	}
	net := reluLeNet(21)
	before, arch := paramsOf(net), architectureOf(net)
	h := s.TrainCNN(net, train, test, accEpochs, accLR, tensor.CPU)
	if noHistory(c, h, before, paramsOf(net)) || changedNet(c, arch, net) {
		return
	}
	acc := evalAccuracy(net, test)
	run := fmt.Sprintf("after %d epochs on the embedded subset (LeNet with ReLU, batch %d, lr %v)", accEpochs, accBatch, accLR)
	c.Detailf("%s: test accuracy %.4f\n%s", run, acc, historyText(h))
	switch {
	case acc >= AccuracyGoal:
	case acc >= AccuracyHalf:
		c.Lose(2, Fail, "test accuracy %.3f %s, expected at least %.2f (the reference reaches 0.65)", acc, run, AccuracyGoal)
	default:
		c.Lose(4, Fail, "test accuracy %.3f %s, expected at least %.2f (chance is 0.10; the reference reaches 0.65)", acc, run, AccuracyGoal)
	}
}
