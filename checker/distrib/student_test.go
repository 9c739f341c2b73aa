package distrib

import (
	"bufio"
	"bytes"
	"cmp"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nnkit/checker/gen"
)

// checkStudentCopy checks what makes the copy at out the student's: its
// README, its docs (no broken link, no instructor's command, no file the
// copy leaves out), the
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

	if err := checkStudentDocs(root, out); err != nil {
		t.Error(err)
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
	for _, p := range []string{"docs/tasks/task1.md", "docs/grading.md", "checker/testdata/broken/task1/relu.go.txt", "exercises/task1/task1.go", "docs/img/a.png", "runs/task1/loss.png"} {
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
		{"README.md", "the case `checker/testdata/broken/task1/relu.go.txt`", DocMention},
		{"README.md", "the corpus `checker/testdata/broken/task1/`", DocMention},
		{"docs/tasks/task1.md", "see `../../checker/testdata/broken/task1/relu.go.txt`.", DocMention},
		{"docs/tasks/task1.md", "the checker says \"changes its input X\"", ""},
		{"README.md", "not in the kit either: `checker/testdata/broken/task9/x.go.txt`", ""},
		{"README.md", "edit `exercises/task1/task1.go`", ""},
		{"README.md", "plots in `runs/task1/`", ""}, // in the kit, but check run writes it
		{"README.md", "the plot `runs/task1/loss.png`", ""},
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

	// Every kind of problem refuses the copy, a file it leaves out named
	// in code as well as a broken link.
	guide := filepath.Join(out, "docs", "tasks", "task1.md")
	for _, c := range []struct {
		doc, want string // want: in the refusal, "" for none
	}{
		{"# Task 1\n\nEdit `exercises/task1/task1.go`; plots go to `runs/task1/`.\n", ""},
		{"# Task 1\n\n- ReLU in place (`checker/testdata/broken/task1/relu.go.txt`).\n", "docs/tasks/task1.md:3: names checker/testdata/broken/task1/relu.go.txt, which the copy leaves out"},
		{"# Task 1\n\n[grading](../grading.md)\n", "docs/tasks/task1.md:3: links to ../grading.md"},
	} {
		if err := os.WriteFile(guide, []byte(c.doc), 0o644); err != nil {
			t.Fatal(err)
		}
		err := checkStudentDocs(root, out)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("checkStudentDocs with the guide %q: %v; expected %s", c.doc, err, cmp.Or(c.want, "no error"))
		}
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

// TestStudentDocs scans the docs the copy ships (the student README,
// docs/tasks, docs/gpu.md as cut) as Write does, in a stand-in for a
// copy: every file of the kit that Excluded lets through, empty, and the
// docs as the copy has them. Fast, where TestDistribution writes a whole
// copy (which also leaves out the folders of programs that run the
// solutions and the tests of a package that loses one: a doc naming one
// of those fails there only).
func TestStudentDocs(t *testing.T) {
	root, out := kitRoot(t), t.TempDir()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if ex, _ := Excluded(rel, nil); ex {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if ex, _ := Excluded(rel, b); ex {
			return nil
		}
		if !strings.HasSuffix(rel, ".md") {
			b = nil
		} else if cuts, ok := studentCuts[rel]; ok {
			text, err := cutDoc(rel, string(b), cuts)
			if err != nil {
				return err
			}
			b = []byte(text)
		}
		dst := filepath.Join(out, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "README.md"), studentReadme, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkStudentDocs(root, out); err != nil {
		t.Error(err)
	}
}
