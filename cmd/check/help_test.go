package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerbHelp: every verb's -h, -help, --help and `check help VERB` print
// its usage line and its flags to stdout and exit 0; nothing on stderr.
func TestVerbHelp(t *testing.T) {
	cases := []struct {
		verb  string
		flags []string
	}{
		{"check", []string{"-v", "-json", "-timeout"}},
		{"gen", []string{"-force"}},
		{"data", []string{"-data"}},
		{"run", []string{"-ref", "-epochs", "-lr", "-batch", "-limit", "-resize", "-data", "-seed", "-device", "-out"}},
		{"watch", []string{"-poll", "-interval", "-v", "-timeout"}},
		{"hint", []string{"-level", "-all"}},
		{"list", nil},
		{"reset", nil},
		{"fixtures", []string{"-verify", "-quick"}},
		{"dist", []string{"-v"}},
		{"submit", []string{"-id", "-out"}},
		{"grade", []string{"-out", "-jobs", "-seed", "-force", "-shard", "-timeout", "-student-timeout", "-mem", "-similar"}},
		{"similar", []string{"-out", "-k", "-window", "-min", "-common", "-jobs"}},
		{"grade merge", []string{"-out"}},
		{"version", nil},
		{"help", nil},
	}
	tested := map[string]bool{}
	for _, tc := range cases {
		tested[tc.verb] = true
		words := strings.Fields(tc.verb)
		forms := [][]string{append([]string{"help"}, words...)}
		if tc.verb == "check" {
			forms = append(forms, []string{"./x", "-h"}, []string{"-v", "--help"})
		} else if tc.verb != "help" {
			for _, h := range []string{"-h", "-help", "--help"} {
				forms = append(forms, append(append([]string(nil), words...), h))
			}
		}
		for _, args := range forms {
			code, out, errOut := runCheck(t, args...)
			if code != 0 || errOut != "" {
				t.Errorf("check %s: exit %d, stderr %q; want 0 and nothing", strings.Join(args, " "), code, errOut)
				continue
			}
			usageLine := "usage: check " + tc.verb
			if tc.verb == "check" {
				usageLine = "usage: check [-v]"
			}
			if tc.verb == "help" {
				usageLine = "check help [COMMAND]"
			}
			if !strings.Contains(out, usageLine) {
				t.Errorf("check %s: no %q in\n%s", strings.Join(args, " "), usageLine, out)
			}
			for _, f := range tc.flags {
				if !strings.Contains(out, "  "+f+" ") && !strings.Contains(out, "  "+f+"\t") && !strings.Contains(out, "  "+f+"\n") {
					t.Errorf("check %s: flag %s not listed in\n%s", strings.Join(args, " "), f, out)
				}
			}
		}
	}
	for _, v := range verbs {
		if !tested[v.name] {
			t.Errorf("verb %q has no help case here", v.name)
		}
	}
}

// TestUnknownVerb: a word that is no command and no file is a misuse,
// with the closest command suggested when one is close.
func TestUnknownVerb(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    string
		suggest bool
	}{
		{[]string{"wach"}, `unknown command "wach" (did you mean watch?)`, true},
		{[]string{"sumbit"}, `unknown command "sumbit" (did you mean submit?)`, true},
		{[]string{"lst"}, `(did you mean list?)`, true},
		{[]string{"xyzzyq"}, `unknown command "xyzzyq" (check help lists the commands)`, false},
		{[]string{"Task1"}, `check ./exercises/task1`, false},
		{[]string{"help", "wach"}, `help: unknown command "wach" (did you mean watch?)`, true},
		{[]string{"help", "nosuch"}, `help: unknown command "nosuch"`, false},
	} {
		code, out, errOut := runCheck(t, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "did you mean") != tc.suggest {
			t.Errorf("check %v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
}

// TestBadPackages: every package argument that is not a task package is
// a misuse (exit 2) saying what was expected.
func TestBadPackages(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(empty, "notes.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arg, want string
	}{
		{"../../no/such/dir", "no such directory (expected a task package"},
		{empty, "no Go files (expected"},
		{file, "not a directory (expected a task package"},
		{"../../nn", "not a task (expected one of task1, task2, task3, task4)"},
		{"../../nn/...", "no task packages"},
	} {
		code, _, errOut := runCheck(t, tc.arg)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("check %s: exit %d, stderr %q; want exit 2 and %q", tc.arg, code, errOut, tc.want)
		}
	}
}

func TestTaskName(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"task1", "task1", ""},
		{"Task1", "task1", ""},
		{"TASK4", "task4", ""},
		{"task9", "", `unknown task "task9" (expected one of task1, task2, task3, task4)`},
		{"conceptual", "", "unknown task"},
	} {
		got, err := taskName(tc.in)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("taskName(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
	code, out, errOut := runCheck(t, "hint", "Task1", "relu")
	if code != 0 || !strings.Contains(out, "task1 Relu") {
		t.Errorf("check hint Task1 relu: exit %d\n%s%s", code, out, errOut)
	}
}

// tempKit makes an empty nnkit module (go.mod only) and works in it for
// the rest of the test.
func tempKit(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module nnkit\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	return root
}

// copyFile copies a file of this repository (relative to cmd/check) into
// the temporary kit.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGenTasks: gen refuses an unknown task, and anything in the student
// copy (no solutions), before writing anything.
func TestGenTasks(t *testing.T) {
	needRef(t)
	sol, err := filepath.Abs("../../solutions/task1/task1.go")
	if err != nil {
		t.Fatal(err)
	}
	root := tempKit(t)
	copyFile(t, sol, filepath.Join(root, "solutions", "task1", "task1.go"))
	code, _, errOut := runCheck(t, "gen", "task1", "task9")
	if code != 2 || !strings.Contains(errOut, `"task9"`) || !strings.Contains(errOut, "task1, task2, task3, task4") {
		t.Errorf("check gen task1 task9: exit %d, stderr %q; want 2 naming task9 and the tasks", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(root, "exercises")); err == nil {
		t.Error("check gen task1 task9 wrote exercises/")
	}
	code, out, errOut := runCheck(t, "gen", "TASK1")
	if code != 0 || !strings.Contains(out, "wrote exercises/task1/task1.go") {
		t.Errorf("check gen TASK1: exit %d\n%s%s", code, out, errOut)
	}

	// The student copy: no solutions.
	if err := os.RemoveAll(filepath.Join(root, "solutions")); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"gen", "fixtures"} {
		code, out, errOut := runCheck(t, verb)
		if code != 2 || out != "" || !strings.Contains(errOut, verb+" is for instructors") || !strings.Contains(errOut, "no solutions") {
			t.Errorf("check %s in a student copy: exit %d, stdout %q, stderr %q; want 2 and the reason", verb, code, out, errOut)
		}
	}
	if _, _, errOut := runCheck(t, "gen"); !strings.Contains(errOut, "check reset") {
		t.Errorf("check gen in a student copy does not point to check reset: %q", errOut)
	}
}
