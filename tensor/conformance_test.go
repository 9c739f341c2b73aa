package tensor_test

import (
	"testing"

	"nnkit/tensor"
	"nnkit/tensor/internal/conformance"
)

// Every operation on the CPU against finite differences (the table is
// shared with the CUDA backend's test, cuda_test.go).
func TestConformanceCPU(t *testing.T) { conformance.Test(t, tensor.CPU) }
