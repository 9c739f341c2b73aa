package nn_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nnkit/nn"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestSummaryGolden(t *testing.T) {
	var got bytes.Buffer
	if err := nn.Summary(&got, convNet(), 1, 1, 16, 16); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "convnet_summary.golden")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got.String() != string(want) {
		t.Errorf("Summary output differs from %s:\ngot:\n%s\nwant:\n%s", golden, got.String(), want)
	}
}

func TestSummaryRestoresModes(t *testing.T) {
	bn := nn.NewBatchNorm2d(4)
	net := nn.NewSequential(nn.NewConv2d(1, 4, 3, 1, 1, true), bn, nn.NewReLU(), nn.NewAdaptiveAvgPool2d(1, 1))
	// A 1x1 map with batch 1 is degenerate in training mode; Summary runs in
	// evaluation mode and must leave the running statistics alone.
	if _, err := nn.Summarize(net, 1, 1, 1, 1); err != nil {
		t.Fatal(err)
	}
	if !bn.Training() || !nn.IsTraining(net) {
		t.Error("Summarize left the network in evaluation mode")
	}
	for _, v := range bn.RunningMean.Float64s() {
		if v != 0 {
			t.Fatalf("Summarize changed the running mean: %v", bn.RunningMean)
		}
	}
	net.SetTraining(false)
	bn.SetTraining(true) // mixed modes come back as they were
	if _, err := nn.Summarize(net, 1, 1, 4, 4); err != nil {
		t.Fatal(err)
	}
	if !bn.Training() || net.Layers[0].(*nn.Conv2d).Training() {
		t.Error("Summarize did not restore mixed modes")
	}
}

func TestSummaryErrors(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		want  string
	}{
		{"no shape", nil, "nn: Summarize: no input shape given"},
		{"zero dimension", []int{1, 0, 16, 16}, "has a dimension that is not positive"},
		{"wrong size", []int{1, 1, 16, 15}, "nn: Summarize: layer 0 (Reshape), input shape [1 1 16 15]: tensor: Reshape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := nn.Summary(&bytes.Buffer{}, convNet(), tt.shape...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
