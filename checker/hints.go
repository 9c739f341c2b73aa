package checker

import (
	"sort"
	"strings"
)

// Hints are graded sequences of hints for the rubric items, as `check hint
// TASK ITEM` prints them: the first a nudge, the later ones more, the last
// the formula or the full recipe. They never hold code to paste.
//
// The keys are "task item" as the rubric table names them ("task1
// DNNBackward", "task4 Residual/forward", "conceptual P1 dL/dS"). A test
// asserts that every item of every registered task has hints.
var hints = map[string][]string{
	// ---- task 1 ----
	"task1 Relu": {
		"Return a new matrix of X's shape; never write into X (the caller keeps using it).",
		"mat.NewDense(r, c, nil) makes the result; (*mat.Dense).Apply(fn, X) fills it from X element by element.",
		"relu(x) = max(0, x) for every element: Apply with func(i, j int, v float64) float64 returning max(v, 0).",
	},
	"task1 Prelu": {
		"Prelu is the derivative of ReLU, not the parametric ReLU: it is used in the backward pass.",
		"The derivative is a step function. Which value does the kit take at exactly 0?",
		"prelu(x) = 1 where x > 0 and 0 where x <= 0 (ReLU'(0) is taken as 0), in a new matrix of X's shape.",
	},
	"task1 DNNForward": {
		"Write down every shape first: X is N x 3, W is 2 x 3, K has 2 entries; H and A are 2 x N, O has N entries.",
		"H = W X^T needs the transpose of X: (*mat.Dense).Mul(W, X.T()). Apply your Relu to H, and keep H itself unchanged.",
		"H = W X^T (2 x N), A = relu(H) (2 x N), O = K A (N): O_i = K_0 A_0i + K_1 A_1i.",
	},
	"task1 DNNBackward": {
		"Go backwards through the forward pass, one line at a time, and keep every gradient the shape of what it differentiates.",
		"The loss averages over the batch: dL/dO_i = (O_i - y_i) / N. Forgetting the 1/N makes every gradient N times too large. Mind Go's constants: 1/2 == 0 (two integers divide as integers), so write 0.5 or 1.0/2.",
		"dL/dK = A (dL/dO) (2 entries: sum_i A_ki dL/dO_i); dL/dA = K^T (dL/dO)^T (2 x N, the outer product); dL/dH = dL/dA * prelu(H) elementwise.",
		"dL/dW = (dL/dH) X (2 x N times N x 3 = 2 x 3). In all: dL/dW_kj = 1/N sum_i (O_i - y_i) K_k [H_ki > 0] X_ij and dL/dK_k = 1/N sum_i (O_i - y_i) A_ki.",
	},
	"task1 Train": {
		"Work on copies of W and K (mat.DenseCopyOf, slices.Clone): Train must leave its arguments unchanged.",
		"Batch b holds rows b*batchSize up to min((b+1)*batchSize, N): the last batch may be smaller, and every sample is used (the original template's N-1 dropped the last one).",
		"Record a new copy of W and K after every epoch: appending the same matrix every time leaves every entry holding the last epoch's weights.",
		"Each step goes against the gradient, W -= lr dL/dW, and the epoch loop runs exactly numEpochs times: W += lr dL/dW climbs the loss instead (gradient ascent), and a Train that does not lower the loss earns no point.",
		"For every epoch, for every batch: H, A, O = DNNForward(Xb, W, K); dW, dK = DNNBackward(Xb, yb, W, K, H, A, O); W -= lr dW; K -= lr dK. Then append copies of W and K.",
	},
	// ---- task 2 ----
	"task2 GetDNN": {
		"The network is task 1's: 3 inputs, 2 hidden ReLU units, 1 output, and no biases anywhere.",
		"nn.NewLinear(in, out, bias) makes a fully connected layer; nn.NewReLU() the activation; nn.NewSequential(layers...) chains them.",
		"Sequential(Linear(3, 2, no bias), ReLU, Linear(2, 1, no bias)): outputs [10 2], [10 2], [10 1] for a batch of 10, 8 parameters.",
	},
	"task2 TrainTorch": {
		"Follow the comment step by step: the order matters for matching the reference (cast, initialise, then the optimiser).",
		"nn.Cast(net, tensor.Float64), then InitWeights(net), then optim.NewSGD(net.Parameters(), lr, 0, 0) and nn.NewMSELoss(tensor.ReduceSum). The targets are a [B 1] tensor.",
		"Per batch: ZeroGrad, forward, loss, Backward, Step. Forgetting ZeroGrad lets the gradients pile up over the batches.",
		"Batches are rows [b*batchSize, min((b+1)*batchSize, N)). After every epoch append new copies: ToDense(layer 0's Weight) and layer 2's Weight.Float64s() (a new slice).",
	},
	// ---- task 3 ----
	"task3 GetLeNet": {
		"Run `check run task3` (or ShapeTable) and compare your layers' output shapes with the expected table row by row.",
		"28 x 28 images stay 28 x 28 through the first convolution only with padding 2; the second convolution has none, and each AvgPool2d(2, 2) halves the side.",
		"Reshape(-1, 1, 28, 28), Conv2d(1, 6, k5, pad 2), Sigmoid, AvgPool2d(2, 2), Conv2d(6, 16, k5), Sigmoid, AvgPool2d(2, 2), Flatten, Linear(400, 120), Sigmoid, Linear(120, 84), Sigmoid, Linear(84, 10): 61,706 parameters.",
	},
	"task3 TrainCNN/steps": {
		"This item replays two epochs from the same initial weights and batches: any difference in the order of the steps shows.",
		"Call InitWeights(net) first (exactly that helper), then make optim.NewSGD(net.Parameters(), lr, 0, 0) and nn.NewCrossEntropyLoss(nn.ReduceMean).",
		"Per batch, in this order: ZeroGrad, yHat = net.Forward(X), l = loss.Forward(yHat, y), l.Backward(), Step. Iterate trainIter.Batches(epoch) with the epoch number, so each epoch has its own shuffle.",
		"Train on trainIter only, numEpochs epochs; testIter is for EvaluateAccuracy. History per epoch: Loss = sum(l.Item() * len(y)) / examples, TrainAcc = sum(Accuracy(yHat, y)) / examples divided as float64 (two ints divide to 0), TestAcc = EvaluateAccuracy(net, testIter, device), Epoch from 1.",
	},
	"task3 TrainCNN/behaviour": {
		"Return one EpochStats per epoch, in order, with every field set (ExamplesPerSec and Device too).",
		"Switch to training mode (net.SetTraining(true)) at the start of every epoch: EvaluateAccuracy leaves the net in evaluation mode.",
		"Measure the test accuracy with EvaluateAccuracy, which runs in evaluation mode without recording gradients; time only the training steps for ExamplesPerSec = examples / seconds.",
	},
	"task3 TrainCNN/accuracy": {
		"A short run on the embedded subset must reach a test accuracy of 0.55: if it does not, the training itself is off, so look at the steps item first.",
		"Check that the optimiser steps every parameter (net.Parameters()) with the given learning rate, and that the gradients are zeroed every batch.",
		"`check run task3 -limit 2000 -epochs 3` shows the loss and accuracies per epoch: the loss must fall from about 2.3 in the first epoch.",
	},
	// ---- task 4 ----
	"task4 Residual/construction": {
		"Read the Residual struct's comment: it lists every layer with its arguments.",
		"Conv1 has stride strides and padding 1; Conv2 has stride 1 and padding 1; both are 3 x 3 with a bias. BN1 and BN2 have numChannels channels.",
		"Conv3 exists only when use1x1Conv is true: Conv2d(inputChannels, numChannels, kernel 1, stride strides, padding 0); otherwise leave it nil. Create the layers in the order Conv1, Conv2, Conv3, BN1, BN2.",
	},
	"task4 Residual/forward": {
		"Forward is a method: the checker runs it on the reference's layers, so only the order of the operations matters here.",
		"Each BatchNorm follows its own convolution, before anything is added: BN2 normalises Conv2's output, not the sum.",
		"Y = relu(BN1(Conv1(X))); Y = BN2(Conv2(Y)); if Conv3 != nil { X = Conv3(X) }; return relu(Y + X) (tensor.Add, tensor.Relu).",
	},
	"task4 GetResNet/stages": {
		"Compare `check run task4`'s shape table with the expected one: each stage has its own expected shape.",
		"b1 is Conv2d(1, 64, k7, stride 2, pad 3), BatchNorm2d(64), ReLU, MaxPool2d(3, stride 2, pad 1). The given resnetBlock makes b2..b5.",
		"b2 = resnetBlock(64, 64, 2, true) (the first stage keeps the size); b3, b4, b5 = resnetBlock(64, 128, 2, false), resnetBlock(128, 256, 2, false), resnetBlock(256, 512, 2, false).",
	},
	"task4 GetResNet/head": {
		"The head must work for any image size: the pooling must not assume a size.",
		"AdaptiveAvgPool2d(1, 1) averages each of the 512 maps to one number, whatever their size; Flatten makes [N 512].",
		"After b1..b5: AdaptiveAvgPool2d(1, 1), Flatten, Linear(512, 10) with a bias: 8 top-level layers, 11,178,378 parameters.",
	},
	// ---- conceptual problem 1 (graded like a task) ----
	"conceptual P1 dL/dS": {
		"P = avgpool(S): every S entry belongs to exactly one 2 x 2 pooling window.",
		"Each entry of a window contributes 1/4 of the window's average, so it receives 1/4 of that window's upstream gradient.",
		"dL/dS[i][j] = dL/dP[i/2][j/2] / 4 (integer division): the upstream gradient spread evenly over each window.",
	},
	"conceptual P1 dL/dC": {
		"S = sigmoid(C) elementwise: the chain rule needs only the derivative of the sigmoid at each entry.",
		"sigma'(c) can be written with the sigmoid's output itself, which you already have (S).",
		"dL/dC = dL/dS * S * (1 - S), elementwise.",
	},
	"conceptual P1 dL/dK": {
		"C = X conv K (valid, stride 1): every kernel entry K[a][b] meets one input entry for every output position.",
		"Sum the upstream gradient dL/dC[i][j] times the input entry that K[a][b] multiplied at output (i, j).",
		"dL/dK[a][b] = sum_{i,j} dL/dC[i][j] X[i+a][j+b]: the valid cross-correlation of X with dL/dC.",
	},
}

func hintKey(task, item string) string { return task + " " + item }

// Hints returns the hints for a rubric item, from the nudge to the
// formula, or nil when there are none.
func Hints(task, item string) []string { return hints[hintKey(task, item)] }

// HasHints reports whether `check hint` knows hints for the item.
func HasHints(task, item string) bool { return len(Hints(task, item)) > 0 }

// HintItems lists the items of task that have hints, sorted.
func HintItems(task string) []string {
	var items []string
	for k := range hints {
		if t, item, ok := strings.Cut(k, " "); ok && t == task {
			items = append(items, item)
		}
	}
	sort.Strings(items)
	return items
}

// FindHintItem resolves an item name as a student may type it: exactly,
// ignoring case, or by a unique prefix ("residual/f"). It returns the
// item's name and whether one was found.
func FindHintItem(task, item string) (string, bool) {
	if HasHints(task, item) {
		return item, true
	}
	var found []string
	for _, it := range HintItems(task) {
		if strings.EqualFold(it, item) {
			return it, true
		}
		if strings.HasPrefix(strings.ToLower(it), strings.ToLower(item)) {
			found = append(found, it)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return "", false
}
