package nn_test

import (
	"slices"
	"strings"
	"testing"

	"nnkit/nn"
	"nnkit/nn/nntest"
)

func checkResNetShapes(t *testing.T, side int, want [][]int) {
	t.Helper()
	infos, err := nn.Summarize(nntest.ResNet18(1), 1, 1, side, side)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Sequential", "Sequential", "Sequential", "Sequential", "Sequential", "AdaptiveAvgPool2d", "Flatten", "Linear"}
	// b1: conv 64*49+64 plus BatchNorm 128. Stage 2: Residual(64->128, 1x1) =
	// 73,856 + 147,584 + 8,320 + 512; Residual(128) = 2*147,584 + 512.
	params := []int{3328, 148224, 525952, 2100480, 8395264, 0, 0, 5130}
	if len(infos) != len(want) {
		t.Fatalf("%d layers, want %d", len(infos), len(want))
	}
	for i, in := range infos {
		if in.Name != names[i] || !slices.Equal(in.OutputShape, want[i]) || in.Parameters != params[i] {
			t.Errorf("layer %d: %s %v with %d parameters, want %s %v with %d", i, in.Name, in.OutputShape, in.Parameters, names[i], want[i], params[i])
		}
	}
}

func TestResNet18(t *testing.T) {
	net := nntest.ResNet18(1)
	if got := nn.CountParameters(net); got != 11178378 {
		t.Errorf("ResNet-18 has %d parameters, want 11,178,378", got)
	}
	// Every BatchNorm's running statistics are found through the residual
	// blocks' Children, and the optional 1x1 convolution only where present.
	state := nn.StateDict(net)
	names := map[string]bool{}
	for _, s := range state {
		names[s.Name] = true
	}
	for _, n := range []string{"0.1.running_var", "1.0.bn1.running_mean", "2.0.conv3.weight", "4.1.bn2.running_var", "7.bias"} {
		if !names[n] {
			t.Errorf("state has no %s", n)
		}
	}
	if names["1.0.conv3.weight"] {
		t.Error("state has a 1x1 convolution in the first stage")
	}
	buffers := 0
	for n := range names {
		if strings.HasSuffix(n, "running_mean") {
			buffers++
		}
	}
	if buffers != 17 {
		t.Errorf("%d BatchNorm layers found, want 17", buffers)
	}
	// A 96 x 96 image (the training size): 96 -> 48 (conv s2) -> 24 (pool).
	checkResNetShapes(t, 96, [][]int{{1, 64, 24, 24}, {1, 64, 24, 24}, {1, 128, 12, 12}, {1, 256, 6, 6},
		{1, 512, 3, 3}, {1, 512, 1, 1}, {1, 512}, {1, 10}})
}

func TestResNet18At224(t *testing.T) {
	if testing.Short() {
		t.Skip("one 224 x 224 forward pass of ResNet-18: skipped under -short")
	}
	checkResNetShapes(t, 224, [][]int{{1, 64, 56, 56}, {1, 64, 56, 56}, {1, 128, 28, 28}, {1, 256, 14, 14},
		{1, 512, 7, 7}, {1, 512, 1, 1}, {1, 512}, {1, 10}})
}
