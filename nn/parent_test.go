package nn_test

import (
	"slices"
	"strings"
	"testing"

	"nnkit/nn"
)

// checkBranchNetShapes runs one side x side image through branchNet and
// compares every top-level layer's name, output shape and parameter
// count with figures worked by hand.
func checkBranchNetShapes(t *testing.T, side int, want [][]int) {
	t.Helper()
	infos, err := nn.Summarize(branchNet(), 1, 1, side, side)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Sequential", "TwoPath", "TwoPath", "AdaptiveAvgPool2d", "Flatten", "Linear"}
	// Stem: 4*25 + 4 and BatchNorm 2*4. Block 1: wide 8*4*9, narrow
	// 8*4 + 8, norm 2*8. Block 2: wide 8*8*9, narrow 8*8 + 8, norm 16, mix
	// 8*8 + 8. Head: 8*3 + 3.
	params := []int{112, 344, 736, 0, 0, 27}
	if len(infos) != len(want) {
		t.Fatalf("%d layers, want %d", len(infos), len(want))
	}
	for i, in := range infos {
		if in.Name != names[i] || !slices.Equal(in.OutputShape, want[i]) || in.Parameters != params[i] {
			t.Errorf("layer %d: %s %v with %d parameters, want %s %v with %d", i, in.Name, in.OutputShape, in.Parameters, names[i], want[i], params[i])
		}
	}
}

// TestUserModuleInTree checks a tree of Sequentials and user-defined
// Parents: the parameter count, that the state is found through the
// blocks' Children (every BatchNorm's running statistics, the optional
// convolution only where present, in Children's order), and the shapes
// at two input sizes, since the head does not depend on the size.
func TestUserModuleInTree(t *testing.T) {
	net := branchNet()
	if got := nn.CountParameters(net); got != 1219 {
		t.Errorf("branchNet has %d parameters, want 1,219", got)
	}
	names := map[string]bool{}
	for _, s := range nn.StateDict(net) {
		names[s.Name] = true
	}
	for _, n := range []string{"0.1.running_var", "1.wide.weight", "1.norm.running_mean", "2.mix.bias", "5.bias"} {
		if !names[n] {
			t.Errorf("state has no %s", n)
		}
	}
	for _, n := range []string{"1.mix.weight", "1.wide.bias"} {
		if names[n] {
			t.Errorf("state has %s, which the network does not", n)
		}
	}
	buffers := 0
	for n := range names {
		if strings.HasSuffix(n, "running_mean") {
			buffers++
		}
	}
	if buffers != 3 {
		t.Errorf("%d BatchNorm layers found, want 3", buffers)
	}
	var order []string
	for _, s := range nn.StateDict(newTwoPath(4, 8, 2, true)) {
		order = append(order, s.Name)
	}
	want := []string{"wide.weight", "narrow.weight", "narrow.bias", "norm.weight", "norm.bias", "norm.running_mean",
		"norm.running_var", "mix.weight", "mix.bias"}
	if !slices.Equal(order, want) {
		t.Errorf("a block's state is %v, want %v", order, want)
	}
	// 16 -> 8 (stem, stride 2) -> 4 (block 1, stride 2); 20 -> 10 -> 5.
	checkBranchNetShapes(t, 16, [][]int{{1, 4, 8, 8}, {1, 8, 4, 4}, {1, 8, 4, 4}, {1, 8, 1, 1}, {1, 8}, {1, 3}})
	checkBranchNetShapes(t, 20, [][]int{{1, 4, 10, 10}, {1, 8, 5, 5}, {1, 8, 5, 5}, {1, 8, 1, 1}, {1, 8}, {1, 3}})
}
