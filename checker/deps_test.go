package checker

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestStudentProgramLinksOnlyTheAllowList builds the student program of
// every exercise and every solution and lists what it links: the
// student's package, the generated main, the harness and its protocol,
// the engine, data, progress, gonum and the standard library; never the
// checker, a solution, the fixtures or nn/nntest.
func TestStudentProgramLinksOnlyTheAllowList(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a student program per task")
	}
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"exercises", "solutions"} {
		for _, task := range Tasks() {
			t.Run(dir+"/"+task.Name, func(t *testing.T) {
				pkg, err := parsePackage(filepath.Join(root, dir, task.Name))
				if err != nil {
					t.Fatal(err)
				}
				r := &run{task: task, opt: Options{Root: root, Go: "go"}, results: map[string]*Result{}, pkg: pkg, tmp: t.TempDir()}
				_, r.bound = checkRules(task, pkg)
				bin, err := r.build(context.Background())
				if err != nil || bin == "" {
					t.Fatalf("build: %v %v", err, r.results)
				}
				if _, err := os.Stat(bin); err != nil {
					t.Fatal(err)
				}
				deps, err := r.prog.Deps(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range deps {
					if !studentLinkAllowed(d, r.prog.ImportPath(task.Name), r.prog.MainPath()) {
						t.Errorf("the student program links %s", d)
					}
					// Belt and braces, whatever the allow-list says.
					if d == "nnkit/checker" || d == "nnkit/nn/nntest" || d == "nnkit/checker/sandbox" ||
						strings.HasPrefix(d, "nnkit/solutions/") || strings.HasPrefix(d, "nnkit/conceptual") || strings.HasPrefix(d, "nnkit/cmd/") {
						t.Errorf("the student program links %s", d)
					}
				}
				for _, want := range []string{"nnkit/checker/harness", r.prog.ImportPath(task.Name)} {
					if !slices.Contains(deps, want) {
						t.Errorf("%s is not linked: the test lists the wrong program", want)
					}
				}
			})
		}
	}
}

// TestStudentLinkAllowed pins the allow-list itself.
func TestStudentLinkAllowed(t *testing.T) {
	const pkg, main = "nnkit/checker/internal/virtual/task1", "nnkit/checker/internal/virtual/main"
	for p, want := range map[string]bool{
		"fmt": true, "os": true, "gonum.org/v1/gonum/mat": true, "nnkit/tensor": true, "nnkit/tensor/internal/gemm": true, "nnkit/nn": true,
		"nnkit/checker/harness": true, "nnkit/checker/wire": true, pkg: true, main: true,
		"nnkit/checker": false, "nnkit/solutions/task1": false, "nnkit/nn/nntest": false, "nnkit/checker/sandbox": false,
		"nnkit/conceptual/grade": false, "nnkit/checker/internal/virtual/task2": false, "example.com/evil": false,
		// The module root holds no package any more (it embedded the
		// fixtures in the student copy); the fixtures are in the checker.
		"nnkit": false,
	} {
		if got := studentLinkAllowed(p, pkg, main); got != want {
			t.Errorf("studentLinkAllowed(%s) = %v, want %v", p, got, want)
		}
	}
}
