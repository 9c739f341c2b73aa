package distrib

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"nnkit/checker"
)

func kitRoot(t *testing.T) string {
	t.Helper()
	root, err := checker.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// solutionRegions returns the text of every graded body of solutions/.
func solutionRegions(t *testing.T, root string) map[string]string {
	t.Helper()
	re := regexp.MustCompile(`(?s)// BEGIN SOLUTION[^\n]*\n(.*?)// END SOLUTION`)
	regions := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(root, "solutions", "task*", "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range re.FindAllSubmatch(b, -1) {
			if body := strings.TrimSpace(string(m[1])); body != "" {
				regions[filepath.Base(f)+" region "+string(rune('1'+i))] = body
			}
		}
	}
	if len(regions) < 10 {
		t.Fatalf("found %d solution regions, expected a dozen", len(regions))
	}
	return regions
}

// clearAnswers returns the numbers of the reference answers to problems
// 3 and 5 as a student would write them.
func clearAnswers(t *testing.T, root string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "conceptual", "reference", "answers.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(strings.TrimSpace(k), "#") {
			continue
		}
		for _, n := range regexp.MustCompile(`-?\d+\.\d{3,}|\d{5,}`).FindAllString(v, -1) {
			out = append(out, strings.TrimPrefix(n, "-"))
		}
	}
	if len(out) < 3 {
		t.Fatalf("found %v in the reference answers, expected the count and the matrices", out)
	}
	return out
}

// run runs name in dir with the environment env on top of this
// process's, and returns what it printed.
func run(t *testing.T, dir string, env []string, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// offlineEnv is a student's machine with no network and nothing in the
// module cache: every go command must find the modules in vendor/. The
// build cache stays, so that the packages compiled once are not compiled
// again.
func offlineEnv(t *testing.T) []string {
	return []string{"GOWORK=off", "GOFLAGS=-mod=vendor", "GOPROXY=off", "GOTOOLCHAIN=local", "GOMODCACHE=" + t.TempDir()}
}

// TestDistribution writes the student distribution into a temporary
// folder and checks that it holds no answer (every Go function body, run
// of statements and network expression compared with every answer by
// normalised syntax tree, and the other files by text) and no conceptual
// answer in clear, that it is the student's (see checkStudentCopy), that
// it builds and vets, that its tests pass, and that its checker grades
// the stubs 0 and the solutions (copied in from outside) full marks
// against the fixtures. Every go command and every check runs offline
// (offlineEnv): with no network and an empty module cache, the copy,
// its tests and the student programs the checker builds come from
// vendor/; and `go run ./cmd/check` works without GOFLAGS=-mod=vendor,
// as a student types it. Last, the negative control
// in place: a disguised copy of every graded body planted into the copy
// is found, and the copy is refused and emptied.
//
// Its `go test` runs the packages the distribution changes (checker,
// conceptual/grade, cmd/check, the exercises and the given helpers) and
// nn, whose tests now ship; the other engine packages are copied
// unchanged and their tests run in the kit's own `go test ./...`, and
// `go vet ./...` compiles every package and test of the copy.
func TestDistribution(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the distribution and its packages")
	}
	root := kitRoot(t)
	out := t.TempDir()
	if err := Write(root, out, Options{Salt: []byte("test")}); err != nil {
		t.Fatal(err)
	}

	// Nothing left out is there.
	for _, p := range []string{"solutions", "solutions/nets", "checker/testdata/broken", "fixtures.go", "conceptual/reference", "docs/conceptual", "conceptual/p5sgd.go",
		"conceptual/p3params.go", "conceptual/grade/truth_live.go", "conceptual/grade/grade_test.go", "nn/nntest", "tensor/cuda_train_test.go"} {
		if _, err := os.Stat(filepath.Join(out, p)); err == nil {
			t.Errorf("%s is in the distribution", p)
		}
	}
	// The engine ships whole, with its tests: they hold no answer; the
	// assets ship with the packages that embed them.
	for _, p := range []string{"nn/nets_test.go", "nn/parent_test.go", "nn/summary_test.go", "nn/example_test.go", "tensor/cuda_test.go",
		"data/fashion-mnist-subset/SHA256SUMS", "checker/fixtures/MANIFEST", "checker/zz_fixtures.go"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("%s is not in the distribution: %v", p, err)
		}
	}

	// No answer, by syntax tree (Write checked it too; this is the
	// test's own look).
	kit, err := CollectAnswers(root)
	if err != nil {
		t.Fatal(err)
	}
	leaks, err := kit.Scan(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leaks {
		t.Errorf("the distribution holds an answer: %v", l)
	}
	regions := solutionRegions(t, root)
	answers := clearAnswers(t, root)
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		// Go files were compared by syntax tree; docs and other text
		// could quote a body verbatim.
		for name, body := range regions {
			if !strings.HasSuffix(p, ".go") && bytes.Contains(b, []byte(body)) {
				t.Errorf("%s holds the solution body of %s", rel, name)
			}
		}
		if strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".txt") {
			for _, a := range answers {
				if bytes.Contains(b, []byte(a)) {
					t.Errorf("%s shows the conceptual answer %s in clear", rel, a)
				}
			}
		}
		if strings.HasSuffix(p, ".go") {
			// Imports as the compiler reads them: a string that names
			// the solutions (a rule of the checker, a hostile test
			// submission) is no import.
			f, err := parser.ParseFile(token.NewFileSet(), rel, b, parser.ImportsOnly)
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				return nil
			}
			for _, im := range f.Imports {
				if strings.HasPrefix(strings.Trim(im.Path.Value, "`\""), "nnkit/solutions") {
					t.Errorf("%s imports %s, expected no import of the solutions", rel, im.Path.Value)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	checkStudentCopy(t, root, out)

	offline := offlineEnv(t)
	if o, err := run(t, out, offline, 10*time.Minute, "go", "vet", "./..."); err != nil {
		t.Fatalf("go vet ./... in the distribution, offline: %v\n%s", err, o)
	}
	if o, err := run(t, out, offline, 10*time.Minute, "go", "list", "./..."); err != nil || strings.Contains(o, ".nnkit") || strings.Contains(o, "vendor") {
		t.Errorf("go list ./... in the distribution: %v, expected the kit's packages, none under .nnkit or vendor:\n%s", err, o)
	}
	if o, err := run(t, out, offline, 10*time.Minute, "go", "test", "-count=1", "./checker/...", "./conceptual/...", "./cmd/check/...", "./exercises/...", "./nn/..."); err != nil {
		t.Fatalf("go test in the distribution: %v\n%s", err, o)
	}
	if o, err := run(t, out, offline, 5*time.Minute, "go", "build", "-o", filepath.Join(out, "check.bin"), "./cmd/check"); err != nil {
		t.Fatalf("go build ./cmd/check: %v\n%s", err, o)
	}
	check := filepath.Join(out, "check.bin")
	o, err := run(t, out, offline, 5*time.Minute, check, "./exercises/task1")
	if err == nil || !strings.Contains(o, "0 / 20") || !strings.Contains(o, "not implemented") {
		t.Errorf("check ./exercises/task1 in the distribution: %v\n%s", err, o)
	}
	// As a student types it: no GOFLAGS, vendor/ is used by itself.
	noFlags := append(offlineEnv(t), "GOFLAGS=")
	o, err = run(t, out, noFlags, 5*time.Minute, "go", "run", "./cmd/check", "./exercises/task1")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(o, "0 / 20") || !strings.Contains(o, "not implemented") {
		t.Errorf("go run ./cmd/check ./exercises/task1 offline without GOFLAGS: %v, expected exit status 1 and a table of \"not implemented\":\n%s", err, o)
	}

	// The solutions, from a folder outside the copy, score full marks
	// against the fixtures; so do the reference conceptual answers
	// against the hashes.
	sol := t.TempDir()
	for _, task := range []string{"task1", "task2"} {
		files, _ := filepath.Glob(filepath.Join(root, "solutions", task, "*.go"))
		os.MkdirAll(filepath.Join(sol, task), 0o755)
		for _, f := range files {
			if !strings.HasSuffix(f, "_test.go") {
				b, _ := os.ReadFile(f)
				os.WriteFile(filepath.Join(sol, task, filepath.Base(f)), b, 0o644)
			}
		}
	}
	ref, _ := filepath.Glob(filepath.Join(root, "conceptual", "reference", "*"))
	os.MkdirAll(filepath.Join(sol, "concept"), 0o755)
	for _, f := range ref {
		if !strings.HasSuffix(f, "_test.go") {
			b, _ := os.ReadFile(f)
			os.WriteFile(filepath.Join(sol, "concept", filepath.Base(f)), b, 0o644)
		}
	}
	o, err = run(t, out, offline, 5*time.Minute, check, filepath.Join(sol, "task1"), filepath.Join(sol, "task2"))
	if err != nil || !strings.Contains(o, "30 / 30") {
		t.Errorf("the solutions of tasks 1 and 2 against the fixtures: %v\n%s", err, o)
	}
	o, _ = run(t, out, offline, 5*time.Minute, check, filepath.Join(sol, "concept"))
	for _, item := range []string{"P3 parameter count", "P5 W'", "P5 B'"} {
		if !regexp.MustCompile(regexp.QuoteMeta(item) + `\s*│?\s*\d+ / \d+\s*│?\s*pass`).MatchString(o) {
			t.Errorf("%s of the reference answers does not pass against the hashes:\n%s", item, o)
		}
	}

	plantAndRefuse(t, root, out, kit)
}

// plantAndRefuse is TestDistribution's negative control, in the copy
// itself: a disguised copy of every graded body (local names renamed,
// no comments) planted into a new file of exercises/task1 is found, one
// leak per body, and proveNoAnswers refuses the copy and empties it.
func plantAndRefuse(t *testing.T, root, out string, kit *Answers) {
	t.Helper()
	srcs, _, err := answerSources(root)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("package task1\n\n")
	imports := map[string]bool{}
	want := 0
	var decls []string
	for i, s := range srcs {
		if !taskDir.MatchString(s.name) {
			continue
		}
		nodes := make([]ast.Node, len(s.stmts))
		for k, st := range s.stmts {
			nodes[k] = st
		}
		texts, imp := disguise(t, s, nodes)
		for _, line := range strings.Split(imp, "\n") {
			if strings.HasPrefix(line, "\tmy") {
				imports[line] = true
			}
		}
		decls = append(decls, fmt.Sprintf("func planted%d() {\n%s\n}\n", i, strings.Join(texts, "\n")))
		want++
	}
	b.WriteString("import (\n")
	for _, line := range slices.Sorted(maps.Keys(imports)) {
		b.WriteString(line + "\n")
	}
	b.WriteString(")\n\n" + strings.Join(decls, "\n"))
	planted := filepath.Join(out, "exercises", "task1", "planted.go")
	if err := os.WriteFile(planted, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	leaks, err := kit.Scan(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaks) != want {
		t.Errorf("planted %d disguised graded bodies into the copy, found %d: %v", want, len(leaks), leaks)
	}
	for _, l := range leaks {
		if l.File != "exercises/task1/planted.go" || l.Kind != "body" {
			t.Errorf("found %v, expected only bodies of exercises/task1/planted.go", l)
		}
	}
	_, err = proveNoAnswers(root, out)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("expected none, found %d", want)) ||
		!strings.Contains(err.Error(), "exercises/task1/planted.go") {
		t.Errorf("proveNoAnswers on the planted copy: %v, expected a refusal naming the %d planted bodies", err, want)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("the refused copy still holds %d entries, expected it emptied", len(ents))
	}
}

func TestExcluded(t *testing.T) {
	for _, c := range []struct {
		rel     string
		content string
		want    bool
	}{
		{"solutions/task1/task1.go", "", true},
		{"conceptual/p5sgd.go", "", true},
		{"conceptual/grade/numbers.go", "", false},
		{"conceptual/answers/p1.go", "", false},
		{"conceptual/reference/p1.go", "", true},
		{"docs/conceptual/p1.md", "", true},
		{"checker/task1.go", "", false},
		{"checker/checker_test.go", `checkDir(t, "solutions/"+task.Name, Options{})`, true},
		{"checker/fixtures_test.go", `t.Errorf("against the solutions %v")`, false},
		{".git/config", "", true},
		{"checker/testdata/broken/task1/relu.go", "", true},
		{"checker/fixtures/task1.json", "", false},
		// The assignment's networks live with the solutions; the
		// engine's tests, which no longer build them, ship.
		{"solutions/nets/nets.go", "", true},
		{"solutions/nets/cuda_train_test.go", "", true},
		{"nn/nets_test.go", "", false},
		{"nn/parent_test.go", "", false},
		{"tensor/cuda_test.go", "", false},
		{"tensor/some_test.go", `import "nnkit/solutions/nets"`, true},
		{"checker/zz_fixtures.go", "", true},
		// The hostile submissions are written over the solutions.
		{"checker/testdata/hostile/spy_forgery.txt", "", true},
		{"checker/grading/hostile_test.go", `filepath.Join(root, "checker", "testdata", "hostile")`, true},
		{"checker/hostile_test.go", `filepath.Glob(filepath.Join("testdata", "hostile", "*.txt"))`, true},
		// The student README replaces the kit's; the instructor's docs
		// and tools stay out, the student guides ship.
		{"README.md", "", true},
		{"docs/grading.md", "", true},
		{"docs/performance.md", "", true},
		{"docs/gemm-notes.md", "", true},
		{"scripts/gpu-check.sh", "", true},
		{"docs/gpu.md", "", false},
		{"docs/tasks/task1.md", "", false},
		{"checker/distrib/README.student.md", "", false},
		// What the kit made, never source.
		{"runs/task1/loss.png", "", true},
		{"bin/cuda.test", "", true},
		{"3180100111_assignment2.zip", "", true},
		{"conceptual/answers/mine.pdf", "", true},
		{"check", "\x7fELF\x02\x01\x01", true},
		{"check.exe", "MZ\x90\x00", true},
		{"tensor/internal/gemm/kernel.s", "#include \"textflag.h\"", false},
	} {
		if got, why := Excluded(c.rel, []byte(c.content)); got != c.want {
			t.Errorf("Excluded(%s) = %v (%s), want %v", c.rel, got, why, c.want)
		}
	}
}

// TestOtherSolutionsImport: shipped code may import a task package (the
// copy rewrites it to the given helpers), never another package of
// solutions/, which has no counterpart in the copy.
func TestOtherSolutionsImport(t *testing.T) {
	for _, c := range []struct {
		src, want string
	}{
		{"package a\nimport \"nnkit/solutions/task3\"\n", ""},
		{"package a\nimport (\n\t\"fmt\"\n\tn \"nnkit/solutions/nets\"\n)\n", "nnkit/solutions/nets"},
		{"package a\nimport \"nnkit/solutions/task3x\"\n", "nnkit/solutions/task3x"},
		// A string that looks like one is no import.
		{"package a\nvar s = `\"nnkit/solutions/nets\"`\n", ""},
	} {
		got, err := otherSolutionsImport("a.go", []byte(c.src))
		if err != nil || got != c.want {
			t.Errorf("otherSolutionsImport(%q) = %q, %v; expected %q", c.src, got, err, c.want)
		}
	}
}
