package conceptual

import "fmt"

// LeNet is task 3's LeNet-5 for 1 x 28 x 28 images: 61,706 parameters.
func LeNet() Arch {
	return Arch{Name: "LeNet-5", Layers: []Layer{
		Conv("conv1", 1, 6, 5), Act("sig1", "Sigmoid"), Pool("pool1", "AvgPool2d(2, 2)"),
		Conv("conv2", 6, 16, 5), Act("sig2", "Sigmoid"), Pool("pool2", "AvgPool2d(2, 2)"),
		FlattenLayer("flatten"),
		Linear("fc1", 16*5*5, 120), Act("sig3", "Sigmoid"),
		Linear("fc2", 120, 84), Act("sig4", "Sigmoid"),
		Linear("fc3", 84, 10),
	}}
}

// ResNet18 is task 4's ResNet-18 for 1-channel images and 10 classes:
// 11,178,378 parameters. Every convolution has a bias, as in the task (the
// d2l code keeps nn.Conv2d's default bias=True).
func ResNet18() Arch {
	a := Arch{Name: "ResNet-18", Layers: []Layer{
		Conv("b1.conv", 1, 64, 7), BatchNorm("b1.bn", 64), Act("b1.relu", "ReLU"), Pool("b1.pool", "MaxPool2d(3, 2, 1)"),
	}}
	in := 64
	for stage, c := range []int{64, 128, 256, 512} {
		for r := range 2 {
			p := fmt.Sprintf("b%d.%d.", stage+2, r)
			shortcut := stage > 0 && r == 0
			a.Layers = append(a.Layers,
				Conv(p+"conv1", in, c, 3), BatchNorm(p+"bn1", c), Act(p+"relu1", "ReLU"),
				Conv(p+"conv2", c, c, 3), BatchNorm(p+"bn2", c))
			if shortcut {
				a.Layers = append(a.Layers, Conv(p+"conv3", in, c, 1))
			}
			a.Layers = append(a.Layers, Act(p+"relu2", "ReLU"))
			in = c
		}
	}
	a.Layers = append(a.Layers, Pool("head.pool", "AdaptiveAvgPool2d(1, 1)"), FlattenLayer("head.flatten"), Linear("head.fc", 512, 10))
	return a
}

// P3Net is the network of problem 3 as the kit states it (the original
// figure is missing), for 3 x 32 x 32 images:
//
//	conv1  Conv2d(3, 32, 3x3, padding 1)     -> 32 x 32 x 32
//	bn1    BatchNorm2d(32), ReLU
//	pool1  MaxPool2d(2)                      -> 32 x 16 x 16
//	conv2  Conv2d(32, 64, 3x3, padding 1)    -> 64 x 16 x 16
//	bn2    BatchNorm2d(64), ReLU
//	pool2  MaxPool2d(2)                      -> 64 x 8 x 8
//	flatten                                  -> 4096
//	fc1    Linear(4096, 128), ReLU
//	fc2    Linear(128, 10)
func P3Net() Arch {
	return Arch{Name: "problem 3 CNN", Layers: []Layer{
		Conv("conv1", 3, 32, 3), BatchNorm("bn1", 32), Act("relu1", "ReLU"), Pool("pool1", "MaxPool2d(2)"),
		Conv("conv2", 32, 64, 3), BatchNorm("bn2", 64), Act("relu2", "ReLU"), Pool("pool2", "MaxPool2d(2)"),
		FlattenLayer("flatten"),
		Linear("fc1", 64*8*8, 128), Act("relu3", "ReLU"),
		Linear("fc2", 128, 10),
	}}
}
