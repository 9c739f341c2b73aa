package conceptual

import (
	"os"
	"testing"

	"nnkit/nn"
	"nnkit/solutions/task3"
	"nnkit/solutions/task4"
)

func nnP3Net() *nn.Sequential {
	return nn.NewSequential(
		nn.NewConv2d(3, 32, 3, 1, 1, true), nn.NewBatchNorm2d(32), nn.NewReLU(), nn.NewMaxPool2d(2, 2, 0),
		nn.NewConv2d(32, 64, 3, 1, 1, true), nn.NewBatchNorm2d(64), nn.NewReLU(), nn.NewMaxPool2d(2, 2, 0),
		nn.NewFlatten(),
		nn.NewLinear(64*8*8, 128, true), nn.NewReLU(),
		nn.NewLinear(128, 10, true))
}

// TestParameterCountsMatchNN counts each architecture's layer list and the
// same network built from nn layers (LeNet-5 and ResNet-18 are the
// reference solutions of tasks 3 and 4: this package, like them, stays
// out of the student copy); a forward pass of one image checks that the
// nn network's shapes fit (so the Linear in-features of the descriptions
// are right).
func TestParameterCountsMatchNN(t *testing.T) {
	for _, c := range []struct {
		arch  Arch
		net   nn.Module
		input []int
		want  int
	}{
		{LeNet(), task3.GetLeNet(), []int{1, 1, 28, 28}, 61706},
		{P3Net(), nnP3Net(), []int{1, 3, 32, 32}, 545290},
		{ResNet18(), task4.GetResNet(), []int{1, 1, 32, 32}, 11178378},
	} {
		if got := c.arch.Count(); got != c.want {
			t.Errorf("%s: layer list counts %d, want %d", c.arch.Name, got, c.want)
		}
		if got := nn.CountParameters(c.net); got != c.want {
			t.Errorf("%s: nn.CountParameters = %d, want %d", c.arch.Name, got, c.want)
		}
		if _, err := nn.Summarize(c.net, c.input...); err != nil {
			t.Errorf("%s: %v", c.arch.Name, err)
		}
	}
}

// TestLeNetPerLayer compares the breakdown layer by layer with nn's own
// per-layer counts.
func TestLeNetPerLayer(t *testing.T) {
	infos, err := nn.Summarize(task3.GetLeNet(), 1, 1, 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	var fromNN, fromArch []int
	for _, in := range infos {
		if in.Parameters > 0 {
			fromNN = append(fromNN, in.Parameters)
		}
	}
	for _, l := range LeNet().Layers {
		if l.Params() > 0 {
			fromArch = append(fromArch, l.Params())
		}
	}
	if len(fromNN) != len(fromArch) {
		t.Fatalf("nn %v, layer list %v", fromNN, fromArch)
	}
	for i := range fromNN {
		if fromNN[i] != fromArch[i] {
			t.Fatalf("layer %d: nn %d, layer list %d", i, fromNN[i], fromArch[i])
		}
	}
}

func TestLayerParams(t *testing.T) {
	for _, c := range []struct {
		l       Layer
		want    int
		formula string
	}{
		{Conv("c", 3, 8, 3), 8*3*9 + 8, "8*3*3*3 + 8"},
		{Layer{Kind: KindConv, In: 3, Out: 8, Kernel: 3, NoBias: true}, 216, "8*3*3*3"},
		{Linear("f", 10, 4), 44, "4*10 + 4"},
		{BatchNorm("b", 16), 32, "2*16"},
		{Pool("p", "MaxPool2d(2)"), 0, "0"},
	} {
		if got := c.l.Params(); got != c.want {
			t.Errorf("%v: %d parameters, want %d", c.l, got, c.want)
		}
		if got := c.l.Formula(); got != c.formula {
			t.Errorf("%v: formula %q, want %q", c.l, got, c.formula)
		}
	}
	if got := thousands(11178378); got != "11,178,378" {
		t.Errorf("thousands = %q", got)
	}
}

func Example_leNetParameters() {
	LeNet().Table(os.Stdout, 0, false)
	// Output:
	// | layer | type | count | parameters |
	// |---|---|---|---:|
	// | conv1 | Conv2d(1, 6, 5x5) | 6*1*5*5 + 6 | 156 |
	// | conv2 | Conv2d(6, 16, 5x5) | 16*6*5*5 + 16 | 2,416 |
	// | fc1 | Linear(400, 120) | 120*400 + 120 | 48,120 |
	// | fc2 | Linear(120, 84) | 84*120 + 84 | 10,164 |
	// | fc3 | Linear(84, 10) | 10*84 + 10 | 850 |
	// | **total** | | | **61,706** |
}

func Example_resNet18Parameters() {
	a := ResNet18()
	a.Table(os.Stdout, 1, false)
	// Output:
	// | group | parameters |
	// |---|---:|
	// | b1 | 3,328 |
	// | b2 | 148,224 |
	// | b3 | 525,952 |
	// | b4 | 2,100,480 |
	// | b5 | 8,395,264 |
	// | head | 5,130 |
	// | **total** | **11,178,378** |
}

func Example_resNet18Stage3() {
	a := ResNet18()
	var stage Arch
	for _, l := range a.Layers {
		if len(l.Name) > 3 && l.Name[:3] == "b3." {
			stage.Layers = append(stage.Layers, l)
		}
	}
	stage.Table(os.Stdout, 0, false)
	// Output:
	// | layer | type | count | parameters |
	// |---|---|---|---:|
	// | b3.0.conv1 | Conv2d(64, 128, 3x3) | 128*64*3*3 + 128 | 73,856 |
	// | b3.0.bn1 | BatchNorm2d(128) | 2*128 | 256 |
	// | b3.0.conv2 | Conv2d(128, 128, 3x3) | 128*128*3*3 + 128 | 147,584 |
	// | b3.0.bn2 | BatchNorm2d(128) | 2*128 | 256 |
	// | b3.0.conv3 | Conv2d(64, 128, 1x1) | 128*64*1*1 + 128 | 8,320 |
	// | b3.1.conv1 | Conv2d(128, 128, 3x3) | 128*128*3*3 + 128 | 147,584 |
	// | b3.1.bn1 | BatchNorm2d(128) | 2*128 | 256 |
	// | b3.1.conv2 | Conv2d(128, 128, 3x3) | 128*128*3*3 + 128 | 147,584 |
	// | b3.1.bn2 | BatchNorm2d(128) | 2*128 | 256 |
	// | **total** | | | **525,952** |
}
