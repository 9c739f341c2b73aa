package nn_test

import (
	"nnkit/nn"
)

// mlp is DESIGN's task 2 network.
func mlp() *nn.Sequential {
	return nn.NewSequential(nn.NewLinear(3, 2, false), nn.NewReLU(), nn.NewLinear(2, 1, false))
}
