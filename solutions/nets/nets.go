// Package nets holds the assignment's networks in the forms the kit's
// tests need outside solutions/taskN: ResNet-18 at a fraction of its
// width for slow backends (the CUDA emulator), built from the reference
// residual block; and, in its tests, the state names and shapes of
// ResNet-18 and the GPU training checks and benchmarks of LeNet-5 and
// ResNet-18 (cuda_train_test.go, built with -tags cuda; see
// scripts/gpu-check.sh).
//
// These networks are answers to tasks 3 and 4, so they live here, with
// the solutions, which `check dist` leaves out of the student copy as a
// whole. The engine (tensor, nn) never holds them: its own tests build
// networks of their own.
package nets

import (
	"fmt"

	"nnkit/nn"
	"nnkit/solutions/task4"
)

// ResNet18 is task 4's ResNet-18 (task4.GetResNet) with the widths 64,
// 128, 256 and 512 of the stem and the four stages divided by narrow, a
// divisor of 64, so that slow backends can run a thinner copy with every
// kind of layer. ResNet18(1) has GetResNet's layers, state names, shapes
// and 11,178,378 parameters (nets_test.go holds it to that).
func ResNet18(narrow int) *nn.Sequential {
	if narrow < 1 || 64%narrow != 0 {
		panic(fmt.Sprintf("nets: ResNet18: narrow must be a positive divisor of 64, found %d", narrow))
	}
	w := func(c int) int { return c / narrow }
	// stage is task 4's resnetBlock with two residual blocks.
	stage := func(in, out int, first bool) *nn.Sequential {
		if first {
			return nn.NewSequential(task4.NewResidual(in, out, false, 1), task4.NewResidual(out, out, false, 1))
		}
		return nn.NewSequential(task4.NewResidual(in, out, true, 2), task4.NewResidual(out, out, false, 1))
	}
	return nn.NewSequential(
		nn.NewSequential(nn.NewConv2d(1, w(64), 7, 2, 3, true), nn.NewBatchNorm2d(w(64)), nn.NewReLU(), nn.NewMaxPool2d(3, 2, 1)),
		stage(w(64), w(64), true), stage(w(64), w(128), false), stage(w(128), w(256), false), stage(w(256), w(512), false),
		nn.NewAdaptiveAvgPool2d(1, 1), nn.NewFlatten(), nn.NewLinear(w(512), 10, true))
}
