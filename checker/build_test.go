package checker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copySolution copies solutions/task's files into a folder named task
// under a new temporary folder, with extra appended to file; it returns
// the copy.
func copySolution(t *testing.T, task, file, extra string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), task)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join("..", "solutions", task, "*.go"))
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(name) == file {
			src = append(src, extra...)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// lineCount is the number of lines in solutions/task/file.
func lineCount(t *testing.T, task, file string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "solutions", task, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// TestBuildErrorShownOnce: a package that does not build shows the
// compiler's messages once, in a (build) row before the items, with the
// file named from where check runs (here the folder above the copy);
// every item points to that row instead of repeating it. A build that
// takes longer than the threshold is announced on Progress, never on
// the report.
func TestBuildErrorShownOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a student program")
	}
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	line := lineCount(t, "task1", "task1.go") + 2
	for _, tc := range []struct {
		name, extra string
		want        []string // in the (build) row
		items       string   // in every item's reason
	}{
		{"type error", "\nvar brokenOnPurpose int = \"not an int\"\n",
			[]string{fmt.Sprintf("task1/task1.go:%d:", line), `"not an int"`},
			fmt.Sprintf("task1/task1.go:%d does not compile, outside the graded function bodies", line)},
		{"syntax error", "\nfunc (\n",
			[]string{fmt.Sprintf("task1/task1.go:%d:", line)},
			"a syntax error: the whole package must parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copySolution(t, "task1", "task1.go", tc.extra)
			t.Chdir(filepath.Dir(dir)) // the student stands above the folder
			var progress strings.Builder
			rep, err := Check(context.Background(), "task1", Options{Root: root, Progress: &progress, slowBuild: -1})
			if err != nil {
				t.Fatal(err)
			}
			logReport(t, rep)
			if len(rep.Results) != len(LookupTask("task1").Items)+1 || rep.Results[0].Item != buildItem {
				t.Fatalf("want one %s row first and then every item", buildItem)
			}
			build := rep.Results[0]
			for _, w := range tc.want {
				if !strings.Contains(build.Reason, w) {
					t.Errorf("the %s row lacks %q: %q", buildItem, w, build.Reason)
				}
			}
			if strings.Contains(build.Reason, "checker/internal/virtual") || strings.Contains(build.Reason, "nnkit-check-") || strings.Contains(build.Reason, "# ") {
				t.Errorf("the %s row shows the checker's own paths: %q", buildItem, build.Reason)
			}
			for _, x := range rep.Results[1:] {
				if x.Status != BuildFailed || x.Score != 0 || !strings.Contains(x.Reason, tc.items) || !strings.Contains(x.Reason, buildItem+" row above") {
					t.Errorf("%s: %s %v: %q; want a build error pointing to the %s row", x.Item, x.Status, x.Score, x.Reason, buildItem)
				}
				if strings.Contains(x.Reason, "not an int") || strings.Contains(x.Reason, "expected") {
					t.Errorf("%s repeats the compiler's message: %q", x.Item, x.Reason)
				}
			}
			said := progress.String()
			if tc.name == "type error" && (!strings.Contains(said, "building task1 from task1") || !strings.Contains(said, "built task1 in")) {
				t.Errorf("Progress heard %q; want the build announced and its end", said)
			}
			if tc.name == "syntax error" && said != "" {
				t.Errorf("Progress heard %q of a package that was never built", said)
			}
		})
	}
}

// TestProgressQuiet: without Progress nothing is said, and a build that
// ends before the threshold is never announced.
func TestProgressQuiet(t *testing.T) {
	r := &run{task: LookupTask("task1"), opt: Options{slowBuild: -1}}
	r.sayIfSlow("building")() // no Progress: nothing to write to, no panic
	var b strings.Builder
	r.opt = Options{Progress: &b, slowBuild: 1 << 62}
	r.sayIfSlow("building")()
	if b.Len() != 0 {
		t.Errorf("a quick build was announced: %q", b.String())
	}
	r.opt.slowBuild = -1
	r.sayIfSlow("building task1")()
	if !strings.HasPrefix(b.String(), "building task1\ncheck: built task1 in ") {
		t.Errorf("a slow build: %q", b.String())
	}
}
