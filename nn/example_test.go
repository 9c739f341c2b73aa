package nn_test

import (
	"fmt"
	"os"

	"nnkit/nn"
	"nnkit/optim"
	"nnkit/tensor"
)

// A small CNN for 12 x 12 grey images, traced with one image.
func ExampleSummary() {
	net := nn.NewSequential(
		nn.NewReshape(-1, 1, 12, 12),
		nn.NewConv2d(1, 3, 3, 1, 0, true), nn.NewReLU(),
		nn.NewMaxPool2d(2, 2, 0),
		nn.NewFlatten(),
		nn.NewLinear(75, 4, true),
	)
	if err := nn.Summary(os.Stdout, net, 1, 1, 12, 12); err != nil {
		fmt.Println(err)
	}
	fmt.Println("parameters:", nn.CountParameters(net))
	// Output:
	// Reshape output shape:	[1 1 12 12]
	// Conv2d output shape:	[1 3 10 10]
	// ReLU output shape:	[1 3 10 10]
	// MaxPool2d output shape:	[1 3 5 5]
	// Flatten output shape:	[1 75]
	// Linear output shape:	[1 4]
	// parameters: 334
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

// A training loop that keeps none of a step's results gives them back to
// the engine with BackwardAndRelease: what it needs from the step (the
// correct count, the loss) is read before the backward pass or from the
// loss itself, which stays readable. Reading a given-back result panics.
func ExampleSequential_trainingStep() {
	nn.Seed(1)
	net := nn.NewSequential(nn.NewLinear(4, 8, true), nn.NewReLU(), nn.NewLinear(8, 3, true))
	opt := optim.NewSGD(net.Parameters(), 0.5, 0, 0)
	loss := nn.NewCrossEntropyLoss(nn.ReduceMean)
	x := tensor.RandUniform(tensor.NewRNG(2), tensor.Float32, -1, 1, 6, 4)
	y := []int{0, 1, 2, 0, 1, 2}
	for step := range 3 {
		opt.ZeroGrad()
		logits := net.Forward(x)
		l := loss.Forward(logits, y)
		correct := tensor.CountCorrect(logits, y) // before the backward pass
		l.BackwardAndRelease()
		opt.Step()
		fmt.Printf("step %d: loss %.4f, %d of 6 correct, logits given back: %v\n", step, l.Item(), correct, logits.Released())
	}
	// Output:
	// step 0: loss 1.1385, 2 of 6 correct, logits given back: true
	// step 1: loss 1.1202, 2 of 6 correct, logits given back: true
	// step 2: loss 1.1066, 2 of 6 correct, logits given back: true
}
