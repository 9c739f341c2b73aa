package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nnkit/checker/gen"
)

// resetKit makes a kit holding the reference solution of task1 as the
// student's exercises/task1/task1.go (as if fully solved), with the stub
// either in .nnkit/stubs (the student copy) or generated from solutions/
// (the instructor's repository). It returns the root, the student's file
// and the stub.
func resetKit(t *testing.T, studentCopy bool) (root, file string, stub []byte) {
	t.Helper()
	needRef(t)
	sol, err := filepath.Abs("../../solutions/task1/task1.go")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := filepath.Abs("../../exercises/task1/task1.go")
	if err != nil {
		t.Fatal(err)
	}
	if stub, err = os.ReadFile(ex); err != nil {
		t.Fatal(err)
	}
	root = tempKit(t)
	file = filepath.Join(root, "exercises", "task1", "task1.go")
	copyFile(t, sol, file)
	if studentCopy {
		copyFile(t, ex, filepath.Join(root, ".nnkit", "stubs", "task1", "task1.go"))
	} else {
		copyFile(t, sol, filepath.Join(root, "solutions", "task1", "task1.go"))
	}
	return root, file, stub
}

// decl returns the source of the declaration called name in src.
func decl(t *testing.T, src []byte, name string) string {
	t.Helper()
	s, e, _, err := declSpan("x.go", src, name)
	if err != nil || s < 0 {
		t.Fatalf("no %s (%v) in\n%s", name, err, src)
	}
	return string(src[s:e])
}

// TestResetTask: the whole task comes back as the stub, the student's
// file is kept as a .bak, and a second reset changes nothing.
func TestResetTask(t *testing.T) {
	for _, studentCopy := range []bool{true, false} {
		root, file, stub := resetKit(t, studentCopy)
		solved, _ := os.ReadFile(file)
		code, out, errOut := runCheck(t, "reset", "Task1")
		if code != 0 || !strings.Contains(out, "restored the stub of exercises/task1/task1.go") {
			t.Fatalf("check reset Task1 (student copy %v): exit %d\n%s%s", studentCopy, code, out, errOut)
		}
		if got, _ := os.ReadFile(file); string(got) != string(stub) {
			t.Errorf("student copy %v: exercises/task1/task1.go is not the stub after reset:\n%s", studentCopy, got)
		}
		baks, _ := filepath.Glob(file + ".*.bak")
		if len(baks) != 1 || !strings.Contains(out, "kept your exercises/task1/task1.go as exercises/task1/"+filepath.Base(baks[0])) {
			t.Fatalf("backups %v; output\n%s", baks, out)
		}
		if b, _ := os.ReadFile(baks[0]); string(b) != string(solved) {
			t.Error("the backup is not the student's file")
		}
		if code, out, _ := runCheck(t, "reset", "task1"); code != 0 || !strings.Contains(out, "already the stub") {
			t.Errorf("second reset: exit %d\n%s", code, out)
		}
		if baks, _ := filepath.Glob(file + ".*.bak"); len(baks) != 1 {
			t.Errorf("a reset of the stub made a backup: %v", baks)
		}
		_ = root
	}
}

// TestResetFunc: one function comes back as the stub's, byte for byte,
// and the student's other functions stay as they were; rubric item names
// and any case resolve; the backup is never overwritten.
func TestResetFunc(t *testing.T) {
	_, file, stub := resetKit(t, true)
	solved, _ := os.ReadFile(file)
	for i, item := range []string{"relu", "Relu"} {
		code, out, errOut := runCheck(t, "reset", "task1", item)
		want := "restored the stub of Relu in exercises/task1/task1.go (your file is kept as exercises/task1/task1.go."
		if i == 1 {
			want = "Relu in exercises/task1/task1.go is already the stub"
		}
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("check reset task1 %s: exit %d\n%s%s", item, code, out, errOut)
		}
	}
	got, _ := os.ReadFile(file)
	if decl(t, got, "Relu") != decl(t, stub, "Relu") {
		t.Errorf("Relu is not the stub's:\n%s", decl(t, got, "Relu"))
	}
	for _, f := range []string{"Prelu", "DNNForward", "DNNBackward", "Train"} {
		if decl(t, got, f) != decl(t, solved, f) {
			t.Errorf("%s changed", f)
		}
	}
	code, out, errOut := runCheck(t, "reset", "task1", "Train")
	if code != 0 {
		t.Fatalf("check reset task1 Train: exit %d\n%s%s", code, out, errOut)
	}
	baks, _ := filepath.Glob(file + ".*.bak")
	if len(baks) != 2 {
		t.Fatalf("two resets made backups %v, want 2 (never one overwriting the other)", baks)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"reset", "task1", "Nope"}, `task1 has no graded function "Nope" (expected one of Relu, Prelu, DNNForward, DNNBackward, Train)`},
		{[]string{"reset", "task9"}, `unknown task "task9" (expected one of task1, task2, task3, task4)`},
		{[]string{"reset"}, "usage: check reset TASK [ITEM]"},
		// Hostile or mistyped names never become paths: only the
		// task's graded functions resolve.
		{[]string{"reset", "task1", "../x"}, `task1 has no graded function "../x"`},
		{[]string{"reset", "task1", "../../solutions/task1/Relu"}, `task1 has no graded function`},
		{[]string{"reset", "../task1"}, `unknown task "../task1"`},
		{[]string{"reset", "task1/../task2"}, `unknown task`},
	} {
		if code, _, errOut := runCheck(t, tc.args...); code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("check %v: exit %d, %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestResetMissingFile: a function reset when the student's file is gone
// says to restore the whole task (and writes nothing); the whole-task
// reset then brings the file back without a backup of nothing.
func TestResetMissingFile(t *testing.T) {
	_, file, stub := resetKit(t, true)
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCheck(t, "reset", "task1", "Relu")
	if code == 0 || !strings.Contains(out+errOut, "no file in exercises/task1 declares Relu: restore the whole task with check reset task1") {
		t.Fatalf("check reset task1 Relu without the file: exit %d\n%s%s", code, out, errOut)
	}
	if ents, _ := os.ReadDir(filepath.Dir(file)); len(ents) != 0 {
		t.Errorf("a refused reset wrote %v", ents)
	}
	if code, out, errOut := runCheck(t, "reset", "task1"); code != 0 || !strings.Contains(out, "restored the stub of exercises/task1/task1.go") {
		t.Fatalf("check reset task1: exit %d\n%s%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(file); string(got) != string(stub) {
		t.Error("the whole-task reset did not restore the stub")
	}
	if baks, _ := filepath.Glob(file + ".*.bak"); len(baks) != 0 {
		t.Errorf("backups of a missing file: %v", baks)
	}
}

// TestResetItemNames: rubric items resolve to the function or method
// they grade.
func TestResetItemNames(t *testing.T) {
	files, err := gen.GenerateTask("../..", "task4")
	if os.IsNotExist(err) || (err != nil && strings.Contains(err.Error(), "no solutions")) {
		t.Skip("no solutions/ here")
	}
	if err != nil {
		t.Fatal(err)
	}
	stubs := map[string][]byte{}
	for _, f := range files {
		stubs[filepath.Base(f.Exercise)] = f.Content
	}
	for item, want := range map[string]string{
		"Residual/forward":      "Residual.Forward",
		"residual.forward":      "Residual.Forward",
		"Residual/construction": "NewResidual",
		"getresnet":             "GetResNet",
	} {
		if got, err := resetItem("task4", item, stubs); got != want {
			t.Errorf("resetItem(task4, %q) = %q, %v; want %q", item, got, err, want)
		}
	}
}

// TestFixImports: the imports only the student's version used go, those
// the stub needs come back.
func TestFixImports(t *testing.T) {
	stubSrc := []byte("package p\n\nimport \"gonum.org/v1/gonum/mat\"\n\nfunc F(x *mat.Dense) *mat.Dense {\n\treturn nil\n}\n")
	_, _, stubFile, err := declSpan("s.go", stubSrc, "F")
	if err != nil {
		t.Fatal(err)
	}
	src := []byte("package p\n\nimport \"math\"\n\nfunc F(x *mat.Dense) *mat.Dense {\n\treturn nil\n}\n")
	out, err := fixImports("p.go", src, stubFile)
	if err != nil {
		t.Fatal(err)
	}
	want := "package p\n\nimport \"gonum.org/v1/gonum/mat\"\n\nfunc F(x *mat.Dense) *mat.Dense {\n\treturn nil\n}\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}
