package distrib

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

func run(t *testing.T, dir string, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestDistribution writes the student distribution into a temporary
// folder and checks that it holds no solution and no conceptual answer
// in clear, that it builds and vets, that its tests pass, and that its
// checker grades the stubs 0 and the solutions (copied in from outside)
// full marks against the fixtures.
//
// Its `go test` runs the packages the distribution changes (checker,
// conceptual/grade, cmd/check, the exercises and the given helpers); the
// engine packages are copied unchanged and their tests run in the kit's
// own `go test ./...`, and `go vet ./...` compiles every package and test
// of the copy.
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
	for _, p := range []string{"solutions", "testdata/broken", "conceptual/reference", "docs/conceptual", "conceptual/p5sgd.go", "conceptual/p3params.go", "conceptual/grade/truth_live.go", "conceptual/grade/grade_test.go"} {
		if _, err := os.Stat(filepath.Join(out, p)); err == nil {
			t.Errorf("%s is in the distribution", p)
		}
	}
	regions := solutionRegions(t, root)
	answers := clearAnswers(t, root)
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		for name, body := range regions {
			if bytes.Contains(b, []byte(body)) {
				t.Errorf("%s holds the solution body of %s", rel, name)
			}
		}
		if strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".txt") {
			for _, a := range answers {
				if bytes.Contains(b, []byte(a)) {
					t.Errorf("%s shows the conceptual answer %s in clear", rel, a)
				}
			}
			if bytes.Contains(b, []byte(`"nnkit/solutions`)) {
				t.Errorf("%s imports the solutions", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if o, err := run(t, out, 10*time.Minute, "go", "vet", "./..."); err != nil {
		t.Fatalf("go vet ./... in the distribution: %v\n%s", err, o)
	}
	if o, err := run(t, out, 10*time.Minute, "go", "test", "-count=1", "./checker/...", "./conceptual/...", "./cmd/check/...", "./exercises/..."); err != nil {
		t.Fatalf("go test in the distribution: %v\n%s", err, o)
	}
	if o, err := run(t, out, 5*time.Minute, "go", "build", "-o", filepath.Join(out, "check.bin"), "./cmd/check"); err != nil {
		t.Fatalf("go build ./cmd/check: %v\n%s", err, o)
	}
	check := filepath.Join(out, "check.bin")
	o, err := run(t, out, 5*time.Minute, check, "./exercises/task1")
	if err == nil || !strings.Contains(o, "0 / 20") || !strings.Contains(o, "not implemented") {
		t.Errorf("check ./exercises/task1 in the distribution: %v\n%s", err, o)
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
	o, err = run(t, out, 5*time.Minute, check, filepath.Join(sol, "task1"), filepath.Join(sol, "task2"))
	if err != nil || !strings.Contains(o, "30 / 30") {
		t.Errorf("the solutions of tasks 1 and 2 against the fixtures: %v\n%s", err, o)
	}
	o, _ = run(t, out, 5*time.Minute, check, filepath.Join(sol, "concept"))
	for _, item := range []string{"P3 parameter count", "P5 W'", "P5 B'"} {
		if !regexp.MustCompile(regexp.QuoteMeta(item) + `\s*│\s*\d+ / \d+\s*│ pass`).MatchString(o) {
			t.Errorf("%s of the reference answers does not pass against the hashes:\n%s", item, o)
		}
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
		{"docs/performance.md", "", false},
		{"checker/task1.go", "", false},
		{"checker/checker_test.go", `checkDir(t, "solutions/"+task.Name, Options{})`, true},
		{"checker/fixtures_test.go", `t.Errorf("against the solutions %v")`, false},
		{".git/config", "", true},
		{"testdata/broken/task1/relu.go", "", true},
		{"testdata/fixtures/task1.json", "", false},
	} {
		if got, why := Excluded(c.rel, []byte(c.content)); got != c.want {
			t.Errorf("Excluded(%s) = %v (%s), want %v", c.rel, got, why, c.want)
		}
	}
}
