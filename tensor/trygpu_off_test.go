//go:build !cuda

package tensor

import (
	"bytes"
	"testing"
)

// Without -tags cuda, TryGPU says in one line why it returns the CPU.
func TestTryGPUNotBuilt(t *testing.T) {
	var buf bytes.Buffer
	old := noteOutput
	noteOutput = &buf
	defer func() { noteOutput = old }()
	if d := TryGPU(); d != CPU {
		t.Fatalf("TryGPU = %v, want the CPU", d.Name())
	}
	if got, want := buf.String(), "nnkit: using the CPU: not built with -tags cuda\n"; got != want {
		t.Errorf("TryGPU printed %q, want %q", got, want)
	}
	if d, err := GPU(); d != nil || err == nil || err.Error() != "not built with -tags cuda" {
		t.Errorf("GPU() = %v, %v", d, err)
	}
}
