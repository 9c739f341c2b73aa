package nn_test

import (
	"fmt"
	"os"

	"nnkit/nn"
	"nnkit/tensor"
)

// LeNet-5 of task 3, traced with one 28 x 28 image.
func ExampleSummary() {
	net := nn.NewSequential(
		nn.NewReshape(-1, 1, 28, 28),
		nn.NewConv2d(1, 6, 5, 1, 2, true), nn.NewSigmoid(),
		nn.NewAvgPool2d(2, 2, 0),
		nn.NewConv2d(6, 16, 5, 1, 0, true), nn.NewSigmoid(),
		nn.NewAvgPool2d(2, 2, 0),
		nn.NewFlatten(),
		nn.NewLinear(400, 120, true), nn.NewSigmoid(),
		nn.NewLinear(120, 84, true), nn.NewSigmoid(),
		nn.NewLinear(84, 10, true),
	)
	if err := nn.Summary(os.Stdout, net, 1, 1, 28, 28); err != nil {
		fmt.Println(err)
	}
	fmt.Println("parameters:", nn.CountParameters(net))
	// Output:
	// Reshape output shape:	[1 1 28 28]
	// Conv2d output shape:	[1 6 28 28]
	// Sigmoid output shape:	[1 6 28 28]
	// AvgPool2d output shape:	[1 6 14 14]
	// Conv2d output shape:	[1 16 10 10]
	// Sigmoid output shape:	[1 16 10 10]
	// AvgPool2d output shape:	[1 16 5 5]
	// Flatten output shape:	[1 400]
	// Linear output shape:	[1 120]
	// Sigmoid output shape:	[1 120]
	// Linear output shape:	[1 84]
	// Sigmoid output shape:	[1 84]
	// Linear output shape:	[1 10]
	// parameters: 61706
}

// TrainCNN's initialisation: Xavier-uniform for every Linear and Conv2d
// weight, from an explicit seed, wherever the layer sits in the tree.
func ExampleApply() {
	net := nn.NewSequential(
		nn.NewSequential(nn.NewConv2d(1, 4, 3, 1, 1, true), nn.NewReLU()),
		nn.NewFlatten(), nn.NewLinear(4*8*8, 10, true))
	rng := tensor.NewRNG(42)
	n := 0
	nn.Apply(net, func(m nn.Module) {
		switch l := m.(type) {
		case *nn.Linear:
			nn.XavierUniform(rng, l.Weight)
			n++
		case *nn.Conv2d:
			nn.XavierUniform(rng, l.Weight)
			n++
		}
	})
	fmt.Println(n, "weights re-initialised")
	fmt.Println(net)
	// Output:
	// 2 weights re-initialised
	// Sequential(
	//   (0): Sequential(
	//     (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
	//     (1): ReLU()
	//   )
	//   (1): Flatten(start_dim=1, end_dim=-1)
	//   (2): Linear(in_features=256, out_features=10, bias=True)
	// )
}
