package notebook

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	return root
}

func launch(t *testing.T, task string, dirs map[string]string, opt Options) (string, error) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); err != nil {
			t.Skipf("no %s here (a student distribution has no solutions/)", d)
		}
	}
	if opt.Out == "" {
		opt.Out = t.TempDir()
	}
	var out, errb bytes.Buffer
	err := Launch{Root: moduleRoot(t), Task: task, Dirs: dirs, Options: opt, Stdout: &out, Stderr: &errb}.Run(context.Background())
	s := out.String() + errb.String()
	if testing.Verbose() {
		t.Log(s)
	}
	return s, err
}

func isPNG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 2000 {
		t.Errorf("%s: not a non-trivial PNG (%d bytes)", path, len(b))
	}
}

// TestTask1Reference runs task 1's notebook on the reference: the
// gradient check agrees, the loss falls, the plots are written, and the
// output has no terminal control characters (it is not a terminal).
func TestTask1Reference(t *testing.T) {
	root := moduleRoot(t)
	out := t.TempDir()
	s, err := launch(t, "task1", map[string]string{"task1": filepath.Join(root, "solutions", "task1")}, Options{Epochs: 3, Out: out})
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	for _, want := range []string{"the gradients agree", "relative error", "(before training)", "boundary-epoch03.png"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.ContainsAny(s, "\r\033") {
		t.Errorf("terminal control characters in piped output")
	}
	for _, name := range []string{"data.png", "loss.png", "boundary-epoch01.png", "boundary-epoch03.png"} {
		isPNG(t, filepath.Join(out, name))
	}
}

// TestStubsSayNotImplemented: the generated exercises run, and say which
// function to write instead of failing obscurely.
func TestStubsSayNotImplemented(t *testing.T) {
	root := moduleRoot(t)
	for task, want := range map[string]string{
		"task1": "DNNForward is not implemented yet (returned nil)",
		"task3": "GetLeNet is not implemented yet (returned nil)",
	} {
		s, err := launch(t, task, map[string]string{task: filepath.Join(root, "exercises", task)}, Options{Epochs: 1})
		if !errors.Is(err, ErrIncomplete) {
			t.Errorf("%s: err = %v, want ErrIncomplete", task, err)
		}
		if !strings.Contains(s, want) {
			t.Errorf("%s: output lacks %q:\n%s", task, want, s)
		}
	}
}

// TestPanicIsLocated: a panic in the student's Train is reported with the
// student's file and line, and a package that does not compile is
// reported as such, in the student's folder's terms.
func TestPanicAndBuildError(t *testing.T) {
	root := moduleRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "solutions", "task1", "task1.go"))
	if err != nil {
		t.Skipf("no reference to break: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "task1")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), "W = mat.DenseCopyOf(W)\n", "W = mat.DenseCopyOf(W)\n\tif lr > 0 {\n\t\tpanic(\"boom\")\n\t}\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "task1.go"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := launch(t, "task1", map[string]string{"task1": dir}, Options{Epochs: 1})
	if !errors.Is(err, ErrIncomplete) {
		t.Errorf("err = %v, want ErrIncomplete", err)
	}
	if !strings.Contains(s, "Train panicked: boom at "+filepath.Join(dir, "task1.go")+":") || !strings.Contains(s, "(in Train)") {
		t.Errorf("the panic is not located in the student's file:\n%s", s)
	}

	broken := strings.Replace(string(src), "W = mat.DenseCopyOf(W)\n", "W = mat.DenseCopyOf(W)\n\tundefinedThing++\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "task1.go"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = launch(t, "task1", map[string]string{"task1": dir}, Options{Epochs: 1})
	// The go command names the student's file (relative to the module
	// when shorter), never the virtual package.
	if !errors.Is(err, ErrBuild) || !strings.Contains(s, "task1/task1.go:") || !strings.Contains(s, "undefinedThing") || strings.Contains(s, "virtual/task1/task1.go") {
		t.Errorf("err = %v; want ErrBuild naming the student's file:\n%s", err, s)
	}
}

// TestTask4Quick: ResNet-18 on a few small images, trained with the task 3
// folder's TrainCNN: the shape table, the estimate from measured steps,
// and the curves.
func TestTask4Quick(t *testing.T) {
	root := moduleRoot(t)
	out := t.TempDir()
	dirs := map[string]string{"task4": filepath.Join(root, "solutions", "task4"), "task3": filepath.Join(root, "solutions", "task3")}
	s, err := launch(t, "task4", dirs, Options{Epochs: 1, Limit: 64, Batch: 32, Resize: 32, Data: "embedded", Out: out})
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	for _, want := range []string{"11178378 parameters", "every layer matches", "(a batch of 32, loading included) takes", "this run should take about", "1 epochs of 2 batches at that pace", "test acc"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	isPNG(t, filepath.Join(out, "resnet-curves.png"))
}

// TestLongRunNeedsAllowLong: a run estimated over LongRun (a million
// epochs of two batches is, on any machine) stops before training with
// ErrLong, and writes nothing.
func TestLongRunNeedsAllowLong(t *testing.T) {
	root := moduleRoot(t)
	out := t.TempDir()
	dirs := map[string]string{"task4": filepath.Join(root, "solutions", "task4"), "task3": filepath.Join(root, "solutions", "task3")}
	s, err := launch(t, "task4", dirs, Options{Epochs: 1000000, Limit: 64, Batch: 32, Resize: 32, Data: "embedded", Out: out})
	if !errors.Is(err, ErrLong) || !strings.Contains(s, "that is over the 15 minutes check run starts without being asked") || strings.Contains(s, "training on") {
		t.Errorf("err = %v, want ErrLong before training; output:\n%s", err, s)
	}
	if names, _ := os.ReadDir(out); len(names) > 0 {
		t.Errorf("a run that did not start wrote %d files", len(names))
	}
}

// TestTask4NamesTask3: task 4 on a ResNet that works but a task 3 stub
// says that TrainCNN, in the task 3 folder, is still to write.
func TestTask4NamesTask3(t *testing.T) {
	root := moduleRoot(t)
	task3 := filepath.Join(root, "exercises", "task3")
	dirs := map[string]string{"task4": filepath.Join(root, "solutions", "task4"), "task3": task3}
	s, err := launch(t, "task4", dirs, Options{Epochs: 1, Limit: 32, Batch: 32, Resize: 32, Data: "embedded"})
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(s, "TrainCNN is not implemented yet (returned nil): write it in "+task3) {
		t.Errorf("err = %v; output:\n%s", err, s)
	}
}
