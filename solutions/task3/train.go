package task3

import (
	"fmt"
	"io"
	"time"

	"nnkit/data"
	"nnkit/nn"
	"nnkit/optim"
	"nnkit/progress"
	"nnkit/tensor"
)

// TrainCNN trains net on trainIter for numEpochs epochs with learning
// rate lr, as the d2l book's train_ch6 does, and returns the history: one
// progress.EpochStats per epoch, in order.
//
//  1. Re-initialise the weights with InitWeights(net) (Xavier-uniform for
//     every Linear and Conv2d weight, from a fixed seed: use exactly this
//     helper, so that your run can be compared with the reference's).
//  2. Make an optim.SGD over net.Parameters() with learning rate lr (no
//     momentum, no weight decay) and a softmax cross-entropy loss,
//     nn.NewCrossEntropyLoss(nn.ReduceMean).
//  3. For every epoch (0, 1, ...): switch net to training mode
//     (net.SetTraining(true)); for every batch X, y of
//     trainIter.Batches(epoch): zero the gradients, compute the output
//     yHat = net.Forward(X), the loss, its gradients, and take an
//     optimiser step; add loss x batch size, the number of correct
//     predictions (Accuracy(yHat, y)) and the batch size to running
//     sums, and time the step. Report the running figures after each
//     batch on a progress bar (NewProgressBar). For the gradients,
//     l.BackwardAndRelease() does what the book's l.backward() does and
//     then gives the storage of every result of the step except the loss
//     (yHat among them) back to the engine, where the next step reuses
//     it: on a CPU a step is about 1.3 times faster than with
//     l.Backward(). Count the correct predictions before it; the loss
//     stays readable.
//  4. After each epoch, measure the test accuracy with
//     EvaluateAccuracy(net, testIter, device) (evaluation mode, no
//     gradients) and record the epoch: its number (from 1), mean loss
//     (loss sum / examples), training accuracy (correct / examples), test
//     accuracy, examples per second of step time, and device.Name().
//  5. Print the last epoch as train_ch6 did (PrintSummary) and return
//     the history.
//
// Train on device, as train_ch6 does: after InitWeights, move the network
// there (nn.ToDevice(net, device), PyTorch's net.to(device)) and each
// batch X with X.ToDevice(device) (the labels y stay a Go slice). On the
// CPU both do nothing; on a GPU (tensor.TryGPU with -tags cuda) only the
// loss and the correct count come back per batch. Everything TrainCNN
// prints goes to Output.
func TrainCNN(net nn.Module, trainIter, testIter *data.Loader, numEpochs int, lr float64, device tensor.Device) []progress.EpochStats {
	// BEGIN SOLUTION [15 pts]
	InitWeights(net)
	fmt.Fprintln(Output, "training on", device.Name())
	nn.ToDevice(net, device)
	optimizer := optim.NewSGD(net.Parameters(), lr, 0, 0)
	loss := nn.NewCrossEntropyLoss(nn.ReduceMean)
	bar := NewProgressBar(numEpochs, trainIter.NumBatches())
	var history []progress.EpochStats
	for epoch := range numEpochs {
		// Sum of training loss, no. of correct predictions, no. of examples.
		var metric progress.Stats
		metric.Epoch = epoch
		var timer time.Duration
		net.SetTraining(true)
		bar.StartEpoch()
		i := 0
		for X, y := range trainIter.Batches(epoch) {
			start := time.Now()
			optimizer.ZeroGrad()
			X = X.ToDevice(device)
			yHat := net.Forward(X)
			l := loss.Forward(yHat, y)
			// The accuracy is counted before the backward pass, which
			// gives the storage of yHat and of every other result of
			// the step back to the engine (tensor.BackwardAndRelease);
			// the loss itself stays readable.
			metric.Correct += Accuracy(yHat, y)
			l.BackwardAndRelease()
			optimizer.Step()
			metric.LossSum += l.Item() * float64(len(y))
			metric.Examples += len(y)
			timer += time.Since(start)
			metric.Batch = i
			bar.Update(metric)
			i++
		}
		testAcc := EvaluateAccuracy(net, testIter, device)
		stats := progress.EpochStats{
			Epoch:          epoch + 1,
			Loss:           metric.LossSum / float64(metric.Examples),
			TrainAcc:       float64(metric.Correct) / float64(metric.Examples),
			TestAcc:        testAcc,
			ExamplesPerSec: float64(metric.Examples) / timer.Seconds(),
			Device:         device.Name(),
		}
		bar.EndEpoch(metric, fmt.Sprintf("test acc %.3f", testAcc))
		history = append(history, stats)
	}
	PrintSummary(history)
	return history
	// END SOLUTION
}

// Output is where TrainCNN and the helpers print; io.Discard silences
// them.
var Output io.Writer = progress.Stdout

// InitSeed seeds the generator InitWeights draws from.
const InitSeed = 42

// InitWeights re-initialises the weight of every nn.Linear and nn.Conv2d
// in net (at any depth) with Xavier-uniform values (nn.XavierUniform)
// drawn from a generator seeded with InitSeed, in the order of nn.Apply;
// biases and every other layer are left as they are. It is the d2l
// book's net.apply(init_weights) with a fixed seed, so two runs on the
// same network start from the same weights.
func InitWeights(net nn.Module) {
	rng := tensor.NewRNG(InitSeed)
	nn.Apply(net, func(m nn.Module) {
		switch l := m.(type) {
		case *nn.Linear:
			nn.XavierUniform(rng, l.Weight)
		case *nn.Conv2d:
			nn.XavierUniform(rng, l.Weight)
		}
	})
}

// Accuracy returns the number of rows of the logits yHat [N C] whose
// largest entry is at the row's label in y (d2l's accuracy).
// On a GPU only the count comes back to the host.
func Accuracy(yHat *tensor.Tensor, y []int) int {
	if yHat.Dim() == 2 && yHat.Size(0) == len(y) {
		return tensor.CountCorrect(yHat, y)
	}
	pred := tensor.Argmax(yHat, 1)
	n := 0
	for i, p := range pred {
		if i < len(y) && p == y[i] {
			n++
		}
	}
	return n
}

// EvaluateAccuracy returns the fraction of dataIter's examples that net
// classifies correctly (d2l's evaluate_accuracy_gpu). It switches net to
// evaluation mode and leaves it there, as the original does, records no
// gradients, and moves each batch to device (where net is). An empty
// loader gives 0.
func EvaluateAccuracy(net nn.Module, dataIter *data.Loader, device tensor.Device) float64 {
	net.SetTraining(false)
	correct, total := 0, 0
	tensor.NoGrad(func() {
		for X, y := range dataIter.Batches(0) {
			correct += Accuracy(net.Forward(X.ToDevice(device)), y)
			total += len(y)
		}
	})
	if total == 0 {
		return 0
	}
	return float64(correct) / float64(total)
}

// NewProgressBar returns a progress bar on Output for numEpochs epochs of
// numBatches batches (d2l's Animator, in text).
func NewProgressBar(numEpochs, numBatches int) *progress.Bar {
	return progress.New(Output, numEpochs, numBatches)
}

// PrintSummary prints the last epoch of history to Output as train_ch6
// printed it:
//
//	loss 0.470, train acc 0.823, test acc 0.799
//	12345.6 examples/sec on cpu
func PrintSummary(history []progress.EpochStats) {
	if len(history) == 0 {
		return
	}
	last := history[len(history)-1]
	fmt.Fprintf(Output, "loss %.3f, train acc %.3f, test acc %.3f\n", last.Loss, last.TrainAcc, last.TestAcc)
	fmt.Fprintf(Output, "%.1f examples/sec on %s\n", last.ExamplesPerSec, last.Device)
}

// LoadDataFashionMNIST returns Fashion-MNIST's training and test loaders
// with batchSize examples per batch, the training set shuffled (seed 0),
// images resized to resize x resize when resize is not 0 (task 4 uses
// 96), found as data.LoadFashionMNIST finds it (dir, else $NNKIT_DATA,
// else the system copy, else the embedded subset; pass "" for the usual
// search). It prints where the data came from to Output.
func LoadDataFashionMNIST(dir string, batchSize, resize int) (trainIter, testIter *data.Loader, err error) {
	ds, err := data.LoadFashionMNIST(dir)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(Output, "Fashion-MNIST from %s\n", ds.Source)
	return data.NewFashionMNISTLoaders(ds, data.LoaderConfig{BatchSize: batchSize, Height: resize, Width: resize})
}
