package nets_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"nnkit/nn"
	"nnkit/solutions/nets"
	"nnkit/solutions/task4"
)

// checkResNetShapes runs one side x side image through net and compares
// every top-level layer's name, output shape and parameter count with
// DESIGN's figures.
func checkResNetShapes(t *testing.T, net nn.Module, side int, want [][]int) {
	t.Helper()
	infos, err := nn.Summarize(net, 1, 1, side, side)
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

// stateShapes lists a network's state as "name [shape]".
func stateShapes(m nn.Module) []string {
	var out []string
	for _, s := range nn.StateDict(m) {
		out = append(out, fmt.Sprint(s.Name, " ", s.Tensor.Shape()))
	}
	return out
}

// TestResNet18 (moved here from the engine's nn/resnet_test.go) holds
// the reference ResNet-18 to DESIGN's parameter count and checks that
// nn finds its whole state through the residual blocks' Children: every
// BatchNorm's running statistics, and the optional 1x1 convolution only
// where a stage begins.
func TestResNet18(t *testing.T) {
	net := task4.GetResNet()
	if got := nn.CountParameters(net); got != 11178378 {
		t.Errorf("ResNet-18 has %d parameters, want 11,178,378", got)
	}
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
	checkResNetShapes(t, net, 96, [][]int{{1, 64, 24, 24}, {1, 64, 24, 24}, {1, 128, 12, 12}, {1, 256, 6, 6},
		{1, 512, 3, 3}, {1, 512, 1, 1}, {1, 512}, {1, 10}})
}

// TestResNet18At224 checks DESIGN's shapes for a 224 x 224 image.
func TestResNet18At224(t *testing.T) {
	if testing.Short() {
		t.Skip("one 224 x 224 forward pass of ResNet-18: skipped under -short")
	}
	checkResNetShapes(t, task4.GetResNet(), 224, [][]int{{1, 64, 56, 56}, {1, 64, 56, 56}, {1, 128, 28, 28}, {1, 256, 14, 14},
		{1, 512, 7, 7}, {1, 512, 1, 1}, {1, 512}, {1, 10}})
}

// TestNarrowResNet18 holds ResNet18(1) to GetResNet (the same state,
// name by name and shape by shape, and the same shapes per layer), and
// ResNet18(16), the GPU emulator's copy, to the same structure at a
// sixteenth of the widths.
func TestNarrowResNet18(t *testing.T) {
	ref, got := stateShapes(task4.GetResNet()), stateShapes(nets.ResNet18(1))
	if !slices.Equal(got, ref) {
		t.Errorf("ResNet18(1)'s state differs from GetResNet's:\nfound    %v\nexpected %v", got, ref)
	}
	checkResNetShapes(t, nets.ResNet18(1), 96, [][]int{{1, 64, 24, 24}, {1, 64, 24, 24}, {1, 128, 12, 12}, {1, 256, 6, 6},
		{1, 512, 3, 3}, {1, 512, 1, 1}, {1, 512}, {1, 10}})

	thin := nets.ResNet18(16)
	if a, b := len(nn.StateDict(thin)), len(nn.StateDict(task4.GetResNet())); a != b {
		t.Errorf("ResNet18(16) has %d state tensors, GetResNet %d", a, b)
	}
	infos, err := nn.Summarize(thin, 1, 1, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{1, 4, 16, 16}, {1, 4, 16, 16}, {1, 8, 8, 8}, {1, 16, 4, 4}, {1, 32, 2, 2}, {1, 32, 1, 1}, {1, 32}, {1, 10}}
	for i, in := range infos {
		if i >= len(want) || !slices.Equal(in.OutputShape, want[i]) {
			t.Errorf("ResNet18(16), layer %d (%s): output %v, want %v", i, in.Name, in.OutputShape, want[min(i, len(want)-1)])
		}
	}
	for _, bad := range []int{0, 3, 128} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "divisor of 64") {
					t.Errorf("ResNet18(%d) panicked with %v, want a message about a divisor of 64", bad, r)
				}
			}()
			nets.ResNet18(bad)
		}()
	}
}
