package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// needRef skips a test of --ref where there are no solutions (a student
// distribution).
func needRef(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join("..", "..", "solutions")); err != nil {
		t.Skip("no solutions/ here")
	}
}

func pngFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 2000 {
		t.Errorf("%s: not a non-trivial PNG (%d bytes)", path, len(b))
	}
}

// TestRunTask1Ref: `check run task1 --ref` end to end with short settings:
// the notebook's steps, per-epoch lines, and the plots where it says.
func TestRunTask1Ref(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the notebook program")
	}
	needRef(t)
	out := t.TempDir()
	code, stdout, stderr := runCheck(t, "run", "task1", "--ref", "--epochs", "2", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"== 3. Gradient check ==", "the gradients agree", "    2  0.", "plots in " + out, "wrote " + filepath.Join(out, "boundary-epoch02.png")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	for _, name := range []string{"data.png", "loss.png", "boundary-epoch01.png", "boundary-epoch02.png"} {
		pngFile(t, filepath.Join(out, name))
	}
	if b, err := os.ReadFile(filepath.Join(out, "loss.svg")); err != nil || !strings.Contains(string(b), "<svg") {
		t.Errorf("loss.svg: %v", err)
	}
}

// TestRunTask3Quick trains LeNet for one epoch on a few hundred images:
// the shape table, the progress in plain lines (not a terminal), and the
// curves.
func TestRunTask3Quick(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the notebook program")
	}
	needRef(t)
	out := t.TempDir()
	code, stdout, stderr := runCheck(t, "run", "task3", "-ref", "-data", "embedded", "-limit", "512", "-epochs", "1", "-batch", "64", "-out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"every layer matches", "61706 parameters", "epoch 1/1 batch 8/8", "test acc", "this run should take about"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.ContainsAny(stdout, "\r\033") {
		t.Error("the progress bar redraws in place although the output is not a terminal")
	}
	pngFile(t, filepath.Join(out, "lenet-curves.png"))
}

// TestRunStub: the generated exercise says what is not implemented and
// exits 1.
func TestRunStub(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the notebook program")
	}
	code, stdout, stderr := runCheck(t, "run", "task2", "-out", t.TempDir())
	if code != 1 || !strings.Contains(stdout, "GetDNN is not implemented yet (returned nil)") {
		t.Errorf("exit %d, output\n%s%s", code, stdout, stderr)
	}
}

func TestRunP6(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCheck(t, "run", "p6", "-out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	pngFile(t, filepath.Join(out, "p6-gradient-norms.png"))
	pngFile(t, filepath.Join(out, "p6-gradient-norms-steepest.png"))
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{{"run"}, {"run", "task9"}, {"run", "task1", "task2"}, {"run", "-epochs", "-1", "task1"}} {
		if code, o, e := runCheck(t, args...); code != 2 {
			t.Errorf("check %v: exit %d, want 2\n%s%s", args, code, o, e)
		}
	}
}

func TestHint(t *testing.T) {
	code, out, _ := runCheck(t, "hint", "task1", "DNNBackward")
	if code != 0 || !strings.Contains(out, "1/4 hint:") || strings.Contains(out, "2/4") || !strings.Contains(out, "check hint -level 2") {
		t.Errorf("first hint: exit %d\n%s", code, out)
	}
	code, out, _ = runCheck(t, "hint", "task1", "dnnbackward", "--level", "2")
	if code != 0 || !strings.Contains(out, "2/4 hint:") || strings.Contains(out, "3/4") {
		t.Errorf("-level 2: exit %d\n%s", code, out)
	}
	code, out, _ = runCheck(t, "hint", "-all", "task4", "residual/forward")
	if code != 0 || !strings.Contains(out, "3/3 formula: Y = relu(BN1(Conv1(X)))") || strings.Contains(out, "more:") {
		t.Errorf("-all: exit %d\n%s", code, out)
	}
	code, out, _ = runCheck(t, "hint", "conceptual", "P1", "dL/dS")
	if code != 0 || !strings.Contains(out, "conceptual P1 dL/dS") {
		t.Errorf("an item with a space: exit %d\n%s", code, out)
	}
	if code, out, _ = runCheck(t, "hint", "task1"); code != 0 || !strings.Contains(out, "DNNBackward (4 hints)") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	if code, o, e := runCheck(t, "hint", "task1", "Nope"); code != 2 || !strings.Contains(o+e, "items: DNNBackward") {
		t.Errorf("unknown item: exit %d\n%s%s", code, o, e)
	}
}
