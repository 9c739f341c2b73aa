// Package task3 is task 3 of assignment 2: LeNet-5 on Fashion-MNIST
// (20 points).
//
// Graded functions and their points (keep the names and signatures: the
// checker binds to them and gives 0 for a renamed function, a changed
// signature or an extra import):
//
//	GetLeNet [5]    the LeNet-5 of the d2l book as an nn.Sequential, see
//	                its comment and ExpectedLeNetShapes
//	TrainCNN [15]   the training loop of the d2l book's train_ch6: see
//	                its comment
//
// Given (use them, do not change them): ExpectedLeNetShapes and
// ShapeTable to compare your network's layers with the expected ones,
// LoadDataFashionMNIST for the data, InitWeights (the seeded Xavier
// initialisation TrainCNN must use), Accuracy and EvaluateAccuracy,
// NewProgressBar and PrintEpoch for the output, and the reference
// settings BatchSize, LR and NumEpochs. Output is where TrainCNN prints;
// set it to io.Discard to silence it.
//
// Task 4 (ResNet-18) trains with this package's TrainCNN.
package task3

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"nnkit/nn"
	"nnkit/spec"
)

// The reference settings of the original notebook.
const (
	BatchSize = spec.Task3BatchSize
	LR        = spec.Task3LR
	NumEpochs = spec.Task3NumEpochs
)

// GetLeNet returns LeNet-5 as an nn.Sequential of 13 layers, for
// 28 x 28 grey images given as [N 1 28 28] or [N 784]:
//
//	Reshape(-1, 1, 28, 28)
//	Conv2d(1, 6, kernel 5, padding 2), Sigmoid, AvgPool2d(2, stride 2)
//	Conv2d(6, 16, kernel 5), Sigmoid, AvgPool2d(2, stride 2)
//	Flatten
//	Linear(400, 120), Sigmoid, Linear(120, 84), Sigmoid, Linear(84, 10)
//
// (The first Reshape is the d2l book's; it lets the network take
// flattened images too.) Every Conv2d and Linear has a bias; the network
// has 61,706 parameters. ExpectedLeNetShapes lists the output shape of
// every layer for one image.
func GetLeNet() *nn.Sequential {
	// BEGIN SOLUTION [5 pts]
	return nn.NewSequential(
		nn.NewReshape(-1, 1, 28, 28),
		nn.NewConv2d(1, 6, 5, 1, 2, true), nn.NewSigmoid(),
		nn.NewAvgPool2d(2, 2, 0),
		nn.NewConv2d(6, 16, 5, 1, 0, true), nn.NewSigmoid(),
		nn.NewAvgPool2d(2, 2, 0),
		nn.NewFlatten(),
		nn.NewLinear(16*5*5, 120, true), nn.NewSigmoid(),
		nn.NewLinear(120, 84, true), nn.NewSigmoid(),
		nn.NewLinear(84, 10, true),
	)
	// END SOLUTION
}

// LeNetParameters is the number of trainable parameters of LeNet-5.
const LeNetParameters = spec.LeNetParameters

// ExpectedLeNetShapes returns the layers of LeNet-5 with their
// parameter counts and output shapes for one 28 x 28 image (input
// [1 1 28 28]), as the original notebook printed them.
func ExpectedLeNetShapes() []nn.LayerInfo { return spec.LeNetShapes() }

// ShapeTable runs a zero input of inputShape through net's top-level
// layers (see nn.Summarize) and writes one row per layer: its index, the
// layer, output shape and parameter count found, and, when want is not
// nil, the expected ones, marking every row that differs. It returns the number of rows
// that differ (a missing or extra layer counts as one), or an error when
// the network cannot run on the input.
func ShapeTable(w io.Writer, net nn.Module, want []nn.LayerInfo, inputShape ...int) (int, error) {
	infos, err := nn.Summarize(net, inputShape...)
	if err != nil {
		return 0, err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "#\tlayer\toutput shape\tparameters")
	if want != nil {
		fmt.Fprint(tw, "\texpected")
	}
	fmt.Fprintln(tw)
	cell := func(l []nn.LayerInfo, i int) string {
		if i >= len(l) {
			return "-\t-\t-"
		}
		return fmt.Sprintf("%s\t%v\t%d", l[i].Name, l[i].OutputShape, l[i].Parameters)
	}
	bad := 0
	for i := range max(len(infos), len(want)) {
		fmt.Fprintf(tw, "%d\t%s", i, cell(infos, i))
		if want != nil {
			exp := "(no such layer)"
			if i < len(want) {
				exp = fmt.Sprintf("%s %v %d", want[i].Name, want[i].OutputShape, want[i].Parameters)
			}
			fmt.Fprintf(tw, "\t%s", exp)
			if i >= len(infos) || i >= len(want) || infos[i].Name != want[i].Name ||
				!slices.Equal(infos[i].OutputShape, want[i].OutputShape) || infos[i].Parameters != want[i].Parameters {
				bad++
				fmt.Fprint(tw, "  <- differs")
			}
		}
		fmt.Fprintln(tw)
	}
	return bad, tw.Flush()
}
