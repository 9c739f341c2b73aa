package nn_test

import (
	"nnkit/nn"
)

// lenet is DESIGN's task 3 network.
func lenet() *nn.Sequential {
	return nn.NewSequential(
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
}

// mlp is DESIGN's task 2 network.
func mlp() *nn.Sequential {
	return nn.NewSequential(nn.NewLinear(3, 2, false), nn.NewReLU(), nn.NewLinear(2, 1, false))
}
