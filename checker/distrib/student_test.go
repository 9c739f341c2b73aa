package distrib

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nnkit/checker/gen"
)

// checkStudentCopy checks what makes the copy at out the student's: its
// README, its docs (no broken link, no instructor's command), the
// pristine stubs for `check reset`, and vendor/.
func checkStudentCopy(t *testing.T, root, out string) {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil || !bytes.Equal(readme, studentReadme) {
		t.Errorf("the copy's README.md is not the student README (%v)", err)
	}
	for _, p := range []string{"docs/grading.md", "docs/performance.md", "docs/gemm-notes.md", "scripts", "runs"} {
		if _, err := os.Stat(filepath.Join(out, p)); err == nil {
			t.Errorf("%s is in the copy, expected it left out (for instructors, or output)", p)
		}
	}
	gpu, err := os.ReadFile(filepath.Join(out, "docs", "gpu.md"))
	if err != nil || !bytes.Contains(gpu, []byte("## Finding the libraries")) || bytes.Contains(gpu, []byte("## The seam")) {
		t.Errorf("docs/gpu.md in the copy: %v; expected it cut to what applies to students (with its library search, without the seam)", err)
	}

	// No program compiled in the kit (a check built there links the
	// solutions); the copy's own check.bin is built later.
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, err := os.ReadFile(p); err == nil && compiled(b) {
				t.Errorf("%s is a compiled program, expected none in the copy", p)
			}
		}
		return err
	})

	problems, err := CheckStudentDocs(root, out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if p.Blocking() {
			t.Errorf("the copy's docs: %v", p)
		} else {
			t.Logf("the copy's docs (reported, not blocking): %v", p)
		}
	}

	// The stubs `check reset` restores are the exercises as generated,
	// and the copy's exercises are those too.
	files, err := gen.Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		stub, err := os.ReadFile(filepath.Join(out, StubsDir, f.Task, filepath.Base(f.Exercise)))
		if err != nil || !bytes.Equal(stub, f.Content) {
			t.Errorf("%s/%s/%s: %v; expected the stub as generated from %s", StubsDir, f.Task, filepath.Base(f.Exercise), err, f.Solution)
		}
		ex, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(f.Exercise)))
		if err != nil || !bytes.Equal(ex, f.Content) {
			t.Errorf("%s in the copy: %v; expected the stub as generated", f.Exercise, err)
		}
	}

	// go.mod is pruned to what the copy needs: every module it requires
	// provides a package vendored for the copy.
	vendored := vendoredModules(t, out)
	for _, m := range requiredModules(t, out) {
		if n, ok := vendored[m]; !ok || n == 0 {
			t.Errorf("go.mod requires %s, which provides no package to the copy (vendor/modules.txt: %d packages)", m, n)
		}
	}
}

// vendoredModules reads vendor/modules.txt: each module's number of
// packages.
func vendoredModules(t *testing.T, out string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "vendor", "modules.txt"))
	if err != nil {
		t.Fatalf("the copy has no vendor/modules.txt: %v", err)
	}
	mods := map[string]int{}
	cur := ""
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "# "):
			cur = strings.Fields(line)[1]
			mods[cur] += 0
		case line != "" && !strings.HasPrefix(line, "#"):
			mods[cur]++
		}
	}
	return mods
}

// requiredModules returns the module paths go.mod requires.
func requiredModules(t *testing.T, out string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(out, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var mods []string
	block := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 0:
		case fields[0] == "require" && len(fields) > 1 && fields[1] == "(":
			block = true
		case fields[0] == "require" && len(fields) > 2:
			mods = append(mods, fields[1])
		case block && fields[0] == ")":
			block = false
		case block:
			mods = append(mods, fields[0])
		}
	}
	if len(mods) == 0 {
		t.Fatal("go.mod requires no module")
	}
	return mods
}

// TestCheckDoc: what the doc scan flags in a copy, and what it lets be.
func TestCheckDoc(t *testing.T) {
	root, out := t.TempDir(), t.TempDir()
	for _, p := range []string{"docs/tasks/task1.md", "docs/grading.md", "testdata/broken/task1/relu.go.txt", "exercises/task1/task1.go", "docs/img/a.png"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), nil, 0o644)
	}
	for _, p := range []string{"docs/tasks/task1.md", "exercises/task1/task1.go", "docs/img/a.png"} {
		os.MkdirAll(filepath.Join(out, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(out, p), nil, 0o644)
	}
	for _, c := range []struct {
		rel, line string
		want      string // the kind found, "" for none
	}{
		{"README.md", "[task 1](docs/tasks/task1.md)", ""},
		{"README.md", "[task 1](docs/tasks/task1.md#the-math)", ""},
		{"README.md", "[grading](docs/grading.md)", DocLink},
		{"README.md", "[nowhere](docs/nowhere.md)", DocLink},
		{"README.md", "[up](../outside.md)", DocLink},
		{"docs/tasks/task1.md", "![plot](../img/a.png)", ""},
		{"docs/tasks/task1.md", "![plot](../img/b.png)", DocLink},
		{"docs/tasks/task1.md", "[guide]: ../../docs/grading.md", DocLink},
		{"README.md", "[purego](https://github.com/ebitengine/purego)", ""},
		{"README.md", "[below](#submitting)", ""},
		{"README.md", "    check run task1 --ref", DocCommand},
		{"README.md", "`check run -ref task1` runs the reference", DocCommand},
		{"README.md", "a -reference to nothing, pre-ref", ""},
		{"README.md", "copy solutions/task1 in", DocCommand},
		{"README.md", "    go run ./cmd/check gen", DocCommand},
		{"README.md", "then `check grade SUBS -out R`", DocCommand},
		{"README.md", "check dist OUT", DocCommand},
		{"README.md", "check fixtures -verify", DocCommand},
		{"README.md", "check submit -id 3180100111", ""},
		{"README.md", "the case `testdata/broken/task1/relu.go.txt`", DocMention},
		{"README.md", "edit `exercises/task1/task1.go`", ""},
		{"README.md", "plots in `runs/task1/`", ""},
	} {
		ps := checkDoc(root, out, c.rel, c.line)
		got := ""
		if len(ps) > 0 {
			got = ps[0].Kind
		}
		if got != c.want || len(ps) > 1 {
			t.Errorf("checkDoc(%s, %q) = %v, expected one problem of kind %q (none if empty)", c.rel, c.line, ps, c.want)
		}
	}
	// A link in a code block is no link; a command there is still one.
	ps := checkDoc(root, out, "README.md", "```\n[x](docs/nowhere.md)\ncheck gen\n```\n")
	if len(ps) != 1 || ps[0].Kind != DocCommand || ps[0].Line != 3 {
		t.Errorf("checkDoc of a code block = %v, expected only the command on line 3", ps)
	}
}

func TestCutDoc(t *testing.T) {
	doc := "# T\n\nIntro.\n\nStatus (x): old.\nStill status.\n\n## Keep\n\nkept\n\n## Drop\n\n```sh\n# a comment, no heading\n```\n\n### Sub\n\ndropped too\n\n## After\n\nkept too\n"
	for _, c := range []struct {
		cuts    []string
		want    string
		wantErr bool
	}{
		{[]string{"## Drop"}, "# T\n\nIntro.\n\nStatus (x): old.\nStill status.\n\n## Keep\n\nkept\n\n## After\n\nkept too\n", false},
		{[]string{"Status (x)"}, "# T\n\nIntro.\n\n## Keep\n\nkept\n\n## Drop\n\n```sh\n# a comment, no heading\n```\n\n### Sub\n\ndropped too\n\n## After\n\nkept too\n", false},
		{[]string{"## Keep", "## After"}, "# T\n\nIntro.\n\nStatus (x): old.\nStill status.\n\n## Drop\n\n```sh\n# a comment, no heading\n```\n\n### Sub\n\ndropped too\n", false},
		{[]string{"## Renamed"}, "", true},
	} {
		got, err := cutDoc("d.md", doc, c.cuts)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("cutDoc(%q) = %q, %v; expected %q (error: %v)", c.cuts, got, err, c.want, c.wantErr)
		}
	}
}

// TestStudentReadme: the README written into the copy says what a
// student needs, and nothing that sends one where the copy cannot go.
func TestStudentReadme(t *testing.T) {
	root := kitRoot(t)
	for _, p := range checkDoc(root, root, "README.md", string(studentReadme)) {
		t.Errorf("the student README: %v", p)
	}
	for _, want := range []string{
		"go run ./cmd/check ./exercises/...", "go run ./cmd/check ./conceptual", "go install ./cmd/check",
		"check hint task1", "check watch ./exercises/task1", "check run task1", "check list", "check reset task1",
		"check submit -id 3180100111", "3180100111_assignment2.zip", "task1_3180100111.go", "conceptual_3180100111.pdf",
		"by hand", "pending", "vendor/", "offline", "docs/tasks/task1.md", "go doc ./cmd/check", "-device cuda",
	} {
		if !bytes.Contains(studentReadme, []byte(want)) {
			t.Errorf("the student README does not say %q", want)
		}
	}
}
