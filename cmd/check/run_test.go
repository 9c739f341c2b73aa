package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nnkit/cmd/check/internal/notebook"
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

// TestRunFlags: a setting given as 0, a negative one, or one the task
// cannot take is refused, with exit 2 and what is valid, before anything
// is built.
func TestRunFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-epochs", "0", "task1"}, "-epochs 0: want at least 1 epoch"},
		{[]string{"-epochs", "-3", "task3"}, "-epochs -3: want at least 1 epoch"},
		{[]string{"-batch", "0", "task2"}, "-batch 0: want a batch of at least 1"},
		{[]string{"-lr", "0", "task1"}, "-lr 0: want a learning rate above 0"},
		{[]string{"-lr", "-0.1", "task3"}, "-lr -0.1: want a learning rate above 0"},
		{[]string{"-lr", "NaN", "task3"}, "-lr NaN: want a learning rate above 0"},
		{[]string{"-limit", "-5", "task3"}, "-limit -5: want at least 1 image"},
		{[]string{"-limit", "0", "task4"}, "-limit 0: want at least 1 image"},
		{[]string{"-limit", "100", "task1"}, "-limit applies to tasks 3 and 4"},
		{[]string{"-resize", "5", "task4"}, "-resize 5: ResNet-18 halves the image side five times, so it needs a side of at least 32"},
		{[]string{"-resize", "31", "task4"}, "at least 32"},
		{[]string{"-resize", "64", "task3"}, "-resize applies to task 4 only"},
		{[]string{"-yes", "task1"}, "-yes applies to tasks 3 and 4"},
		{[]string{"-resize", "64", "Task3"}, "-resize applies to task 4 only, not task3"}, // the task's name in any case
	} {
		args := append([]string{"run", "-out", t.TempDir()}, c.args...)
		code, o, e := runCheck(t, args...)
		if code != 2 || !strings.Contains(o+e, c.want) {
			t.Errorf("check %v: exit %d, output\n%s%s\nwant exit 2 and %q", args, code, o, e, c.want)
		}
		if strings.Contains(o+e, "building") {
			t.Errorf("check %v built the task before refusing its flags", args)
		}
	}
}

func TestRunFlagErrorAccepts(t *testing.T) {
	all := map[string]bool{"epochs": true, "batch": true, "lr": true, "limit": true, "resize": true, "yes": true}
	for _, c := range []struct {
		task  string
		opt   notebook.Options
		given map[string]bool
	}{
		{"task1", notebook.Options{}, nil}, // nothing given: the reference settings
		{"task4", notebook.Options{Epochs: 1, Batch: 1, LR: 0.05, Limit: 1, Resize: 32, AllowLong: true}, all},
		{"task3", notebook.Options{Epochs: 2, Limit: 3000}, map[string]bool{"epochs": true, "limit": true}},
	} {
		if err := runFlagError(c.task, c.opt, c.given); err != nil {
			t.Errorf("%s %+v: %v", c.task, c.opt, err)
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

func TestRunOutDir(t *testing.T) {
	for _, c := range []struct {
		task string
		ref  bool
		want string
	}{
		{"task3", false, filepath.Join("R", "runs", "task3")},
		{"task3", true, filepath.Join("R", "runs", "task3-ref")},
		{"task1", true, filepath.Join("R", "runs", "task1-ref")},
	} {
		if got := runOutDir("R", c.task, c.ref); got != c.want {
			t.Errorf("runOutDir(R, %s, %v) = %s, want %s", c.task, c.ref, got, c.want)
		}
	}
}
