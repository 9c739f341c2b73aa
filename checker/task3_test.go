package checker

import (
	"io"
	"nnkit/checker/sandbox"
	"os"
	"strings"
	"testing"
	"time"

	"nnkit/data"
	"nnkit/nn"
	"nnkit/optim"
	"nnkit/progress"
	"nnkit/solutions/task3"
	"nnkit/tensor"
)

// runItems grades every item of task in this process and returns the
// results by item.
func runItems(t *testing.T, task *Task, funcs any) map[string]Result {
	t.Helper()
	out := map[string]Result{}
	for _, it := range task.Items {
		start := time.Now()
		r := task.RunItem(it.Name, funcs, "")
		t.Logf("%s: %v/%v %s %s (%v)", it.Name, r.Score, r.Max, r.Status, r.Reason, time.Since(start).Round(time.Millisecond))
		out[it.Name] = r
	}
	return out
}

// expect checks one item's score and that its reason holds every
// fragment.
func expect(t *testing.T, res map[string]Result, item string, score float64, fragments ...string) {
	t.Helper()
	r, ok := res[item]
	if !ok {
		t.Fatalf("no result for %s", item)
	}
	if r.Score != score {
		t.Errorf("%s: score %v, want %v (%s: %s)", item, r.Score, score, r.Status, r.Reason)
	}
	for _, f := range fragments {
		if !strings.Contains(r.Reason, f) {
			t.Errorf("%s: reason %q lacks %q", item, r.Reason, f)
		}
	}
}

// full checks that every item not named keeps full marks.
func fullExcept(t *testing.T, res map[string]Result, items ...string) {
	t.Helper()
	for name, r := range res {
		if !contains(items, name) && r.Score != r.Max {
			t.Errorf("%s: %v/%v %s: %s; want full marks", name, r.Score, r.Max, r.Status, r.Reason)
		}
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// TestMain: the student processes the checker's tests start run
// contained, through this test binary as the sandbox's setup stub.
func TestMain(m *testing.M) {
	sandbox.Main()
	task3.Output = io.Discard
	os.Exit(m.Run())
}

func TestTask3Reference(t *testing.T) {
	res := runItems(t, Task3, task3Reference)
	fullExcept(t, res)
	if Task3.Points() != 20 {
		t.Errorf("task 3 has %v points, want 20", Task3.Points())
	}
}

func TestTask3Stubs(t *testing.T) {
	res := runItems(t, Task3, &Task3Funcs{
		GetLeNet: func() *nn.Sequential { return nil },
		TrainCNN: func(nn.Module, *data.Loader, *data.Loader, int, float64, tensor.Device) []progress.EpochStats {
			return nil
		},
	})
	for name, r := range res {
		if r.Score != 0 || r.Status != NotDone || !strings.Contains(r.Reason, "not implemented") {
			t.Errorf("%s: %v %s %q, want 0, not implemented", name, r.Score, r.Status, r.Reason)
		}
	}
}

// lenetWith returns GetLeNet with layer i replaced (nil: removed).
func lenetWith(i int, l nn.Module) func() *nn.Sequential {
	return func() *nn.Sequential {
		net := task3.GetLeNet()
		if l == nil {
			net.Layers = append(net.Layers[:i:i], net.Layers[i+1:]...)
		} else {
			net.Layers[i] = l
		}
		return net
	}
}

func TestTask3GetLeNetMistakes(t *testing.T) {
	for _, c := range []struct {
		name      string
		get       func() *nn.Sequential
		score     float64
		fragments []string
	}{
		{"missing sigmoid", lenetWith(2, nil), 3, []string{"layer 2: expected Sigmoid, found AvgPool2d (a Sigmoid is missing after layer 1, Conv2d)"}},
		{"relu", lenetWith(2, nn.NewReLU()), 3, []string{"layer 2: expected Sigmoid, found ReLU"}},
		{"no padding", lenetWith(1, nn.NewConv2d(1, 6, 5, 1, 0, true)), 3, []string{"layer 1: output [1 6 28 28] expected, found [1 6 24 24]: check the channels, kernel size, stride and padding"}},
		{"padding in conv2", lenetWith(4, nn.NewConv2d(6, 16, 5, 1, 1, true)), 3, []string{"layer 4: output [1 16 10 10] expected, found [1 16 12 12]"}},
		{"max pool", lenetWith(3, nn.NewMaxPool2d(2, 2, 0)), 3, []string{"layer 3: expected AvgPool2d, found MaxPool2d"}},
		{"no bias", lenetWith(12, nn.NewLinear(84, 10, false)), 4, []string{"layer 12 (Linear): 850 parameters expected, found 840"}},
		{"extra relu", func() *nn.Sequential {
			net := task3.GetLeNet()
			net.Layers = append(net.Layers, nn.NewReLU())
			return net
		}, 3, []string{"layer 13: found ReLU after the last expected layer (an extra layer)"}},
		{"wrong order of pool and sigmoid", func() *nn.Sequential {
			net := task3.GetLeNet()
			net.Layers[2], net.Layers[3] = net.Layers[3], net.Layers[2]
			return net
		}, 1, []string{"layer 2: expected Sigmoid, found AvgPool2d (the layers are out of order: the AvgPool2d belongs further on)",
			"layer 3 (Sigmoid): output [1 6 28 28] expected, found [1 6 14 14], because its input is [1 6 14 14] instead of [1 6 28 28]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Task3.RunItem("GetLeNet", &Task3Funcs{GetLeNet: c.get}, "")
			if r.Score != c.score {
				t.Errorf("score %v, want %v: %s", r.Score, c.score, r.Reason)
			}
			for _, f := range c.fragments {
				if !strings.Contains(r.Reason, f) {
					t.Errorf("reason %q lacks %q", r.Reason, f)
				}
			}
		})
	}
}

// trainCNN is the reference loop with switches for the mistakes the
// rubric must catch.
type trainCNN struct {
	noZeroGrad, noEval, noInit, noTrainMode, noReturn bool
}

func (v trainCNN) run(net nn.Module, trainIter, testIter *data.Loader, numEpochs int, lr float64, device tensor.Device) []progress.EpochStats {
	if !v.noInit {
		task3.InitWeights(net)
	}
	opt := optim.NewSGD(net.Parameters(), lr, 0, 0)
	loss := nn.NewCrossEntropyLoss(nn.ReduceMean)
	var h []progress.EpochStats
	for epoch := range numEpochs {
		if !v.noTrainMode {
			net.SetTraining(true)
		}
		var sum float64
		var correct, n int
		start := time.Now()
		for x, y := range trainIter.Batches(epoch) {
			if !v.noZeroGrad {
				opt.ZeroGrad()
			}
			yHat := net.Forward(x)
			l := loss.Forward(yHat, y)
			l.Backward()
			opt.Step()
			sum += l.Item() * float64(len(y))
			correct += task3.Accuracy(yHat, y)
			n += len(y)
		}
		el := time.Since(start)
		var acc float64
		if v.noEval {
			c, m := 0, 0
			for x, y := range testIter.Batches(0) {
				c += task3.Accuracy(net.Forward(x), y)
				m += len(y)
			}
			acc = float64(c) / float64(m)
		} else {
			acc = task3.EvaluateAccuracy(net, testIter, device)
		}
		h = append(h, progress.EpochStats{Epoch: epoch + 1, Loss: sum / float64(n), TrainAcc: float64(correct) / float64(n),
			TestAcc: acc, ExamplesPerSec: float64(n) / el.Seconds(), Device: device.Name()})
	}
	if v.noReturn {
		return nil
	}
	return h
}

// runSome grades the named items of task in this process.
func runSome(t *testing.T, task *Task, funcs any, items ...string) map[string]Result {
	t.Helper()
	out := map[string]Result{}
	for _, name := range items {
		r := task.RunItem(name, funcs, "")
		t.Logf("%s: %v/%v %s %s", name, r.Score, r.Max, r.Status, r.Reason)
		out[name] = r
	}
	return out
}

// Each mistake costs what it should, with the reason; the items that
// cannot see it are run too, where they are cheap, to show they keep
// their points. (The reference's full marks are TestTask3Reference's.)
func TestTask3TrainCNNMistakes(t *testing.T) {
	if testing.Short() {
		t.Skip("a dozen short training runs: skipped under -short")
	}
	const steps, behaviour, accuracy = "TrainCNN/steps", "TrainCNN/behaviour", "TrainCNN/accuracy"
	t.Run("no ZeroGrad", func(t *testing.T) {
		res := runSome(t, Task3, &Task3Funcs{TrainCNN: trainCNN{noZeroGrad: true}.run}, steps, behaviour, accuracy)
		expect(t, res, steps, 2, "they match a run in which gradients accumulate from batch to batch: call optimizer.ZeroGrad()")
		expect(t, res, accuracy, 0, "test accuracy 0.100")
		expect(t, res, behaviour, 4, "the loss did not fall")
	})
	t.Run("no eval mode", func(t *testing.T) {
		res := runSome(t, Task3, &Task3Funcs{TrainCNN: trainCNN{noEval: true}.run}, steps, behaviour)
		expect(t, res, behaviour, 4, "test accuracy was measured in training mode with gradients recorded")
		expect(t, res, steps, 6)
	})
	t.Run("no InitWeights", func(t *testing.T) {
		res := runSome(t, Task3, &Task3Funcs{TrainCNN: trainCNN{noInit: true}.run}, steps, behaviour)
		expect(t, res, steps, 2, "they match a run in which the weights were not re-initialised: call InitWeights(net) first")
		expect(t, res, behaviour, 5)
	})
	t.Run("no training mode", func(t *testing.T) {
		res := runSome(t, Task3, &Task3Funcs{TrainCNN: trainCNN{noTrainMode: true}.run}, behaviour)
		expect(t, res, behaviour, 4, "training steps ran in evaluation mode: call net.SetTraining(true)")
	})
	t.Run("no history", func(t *testing.T) {
		res := runSome(t, Task3, &Task3Funcs{TrainCNN: trainCNN{noReturn: true}.run}, steps, behaviour)
		expect(t, res, steps, 4, "TrainCNN returned 0 epochs of history for numEpochs = 2")
		expect(t, res, behaviour, 4, "TrainCNN returned 0 epochs of history for numEpochs = 3")
	})
}
