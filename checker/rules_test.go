package checker

import (
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestSignaturesMatchSolutions: each funcs struct field has the type of
// the solution's function as written in source, so the rules accept the
// solutions and the generated exercises.
func TestSignaturesMatchSolutions(t *testing.T) {
	for _, task := range Tasks() {
		for _, dir := range []string{"solutions", "exercises"} {
			p, err := parsePackage(filepath.Join("..", dir, task.Name))
			if err != nil {
				t.Errorf("%s/%s: %v", dir, task.Name, err)
				continue
			}
			vs, ok := checkRules(task, p)
			for _, v := range vs {
				if !v.note() {
					t.Errorf("%s/%s: %s", dir, task.Name, v.reason)
				}
			}
			if len(ok) != len(task.Funcs()) {
				t.Errorf("%s/%s: %d well-formed graded functions, want %d", dir, task.Name, len(ok), len(task.Funcs()))
			}
		}
	}
}

// TestAllowedImportsCoverSolutions: the allowed list holds every import of
// the reference (which the exercise inherits).
func TestAllowedImportsCoverSolutions(t *testing.T) {
	for _, task := range Tasks() {
		names, _ := filepath.Glob(filepath.Join("..", "solutions", task.Name, "*.go"))
		for _, n := range names {
			if strings.HasSuffix(n, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), n, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, is := range f.Imports {
				p, _ := strconv.Unquote(is.Path.Value)
				if !slices.Contains(task.Allowed, p) {
					t.Errorf("%s imports %q, which %s does not allow", n, p, task.Name)
				}
			}
		}
	}
}

// TestSignatureSpelling: a renamed import or other parameter names are
// the same signature; other types are not.
func TestSignatureSpelling(t *testing.T) {
	dir := t.TempDir()
	src := `package task1

import m "gonum.org/v1/gonum/mat"

func Relu(A *m.Dense) (out *m.Dense) { return nil }
func Prelu(X m.Dense) *m.Dense { return nil }
func DNNForward(X, W *m.Dense, K []float64) (*m.Dense, *m.Dense, []float64) { return nil, nil, nil }
func DNNBackward(X *m.Dense, y []float64, W *m.Dense, K []float64, H, A *m.Dense, O []float64) (*m.Dense, []float32) { return nil, nil }
func train(X *m.Dense) {}
`
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := parsePackage(dir)
	if err != nil {
		t.Fatal(err)
	}
	vs, ok := checkRules(LookupTask("task1"), p)
	if !ok["Relu"] || !ok["DNNForward"] || ok["Prelu"] || ok["DNNBackward"] || ok["Train"] {
		t.Errorf("well-formed: %v", ok)
	}
	var reasons []string
	for _, v := range vs {
		reasons = append(reasons, v.reason)
	}
	all := strings.Join(reasons, "\n")
	for _, want := range []string{
		"Prelu has type func(mat.Dense) *mat.Dense, expected func(*mat.Dense) *mat.Dense",
		"DNNBackward has type",
		"missing: no function Train (found train at a.go:9",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("reasons lack %q:\n%s", want, all)
		}
	}
}

// ruleBases are small well-formed task packages that the rule cases add
// files to (or replace files of).
var ruleBases = map[string]map[string]string{
	"task1": {"task1.go": `package task1

import "gonum.org/v1/gonum/mat"

func Relu(X *mat.Dense) *mat.Dense  { return X }
func Prelu(X *mat.Dense) *mat.Dense { return X }
func DNNForward(X, W *mat.Dense, K []float64) (H, A *mat.Dense, O []float64) {
	return nil, nil, nil
}
func DNNBackward(X *mat.Dense, y []float64, W *mat.Dense, K []float64, H, A *mat.Dense, O []float64) (*mat.Dense, []float64) {
	return nil, nil
}
func Train(X *mat.Dense, y []float64, W *mat.Dense, K []float64, lr float64, numEpochs, batchSize int, printLoss bool) ([]*mat.Dense, [][]float64) {
	DNNForward(X, W, K)
	return nil, nil
}
`},
	"task4": {"task4.go": `package task4

import (
	"slices"
	"nnkit/nn"
	"nnkit/tensor"
)

type Residual struct{ nn.Module }

func NewResidual(inputChannels, numChannels int, use1x1Conv bool, strides int) nn.Module {
	return &Residual{}
}

func (r *Residual) Forward(X *tensor.Tensor) *tensor.Tensor { return X }

func (r *Residual) Name() string { return "Residual" }

func GetResNet() *nn.Sequential { return nil }
`},
}

// baseWith returns task's base file with old replaced by new and the
// given imports added (each in its own import line, after the package
// clause: the first is at line 3).
func baseWith(task, old, new string, imports ...string) string {
	name := task + ".go"
	src := ruleBases[task][name]
	if !strings.Contains(src, old) {
		panic("baseWith: no " + old)
	}
	src = strings.Replace(src, old, new, 1)
	var lines string
	for _, is := range imports {
		lines += "import " + is + "\n"
	}
	return strings.Replace(src, "\n\nimport", "\n\n"+lines+"import", 1)
}

const reluLine = `func Relu(X *mat.Dense) *mat.Dense  { return X }`

// writeTree writes files (path relative to dir: contents) under dir. A
// content "link:TARGET" makes a symbolic link; a path ending in "/" a
// folder.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(src, "link:"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRulesWholePackage: one case per way of running or building code
// outside the graded functions. Each asserts the violation whose reason
// holds want: whether it costs the whole task, else the graded functions
// and methods it costs (none: a note).
func TestRulesWholePackage(t *testing.T) {
	allowed1 := strings.Join(Task1.Allowed, ", ")
	cases := []struct {
		name    string
		task    string
		files   map[string]string // added to (or replacing files of) ruleBases[task]
		want    string            // substring of the violation's reason
		whole   bool
		funcs   []string
		methods []string
	}{
		{name: "init imports os", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport \"os\"\n\nfunc init() { os.WriteFile(\"results.json\", []byte(`{\"score\": 20}`), 0o644) }\n"},
			want:  `import "os" at grade.go:3 is not allowed in task1 (allowed: ` + allowed1 + `)`},
		{name: "init reason", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport \"os\"\n\nfunc init() { os.Exit(0) }\n"},
			want:  "init at grade.go:5 uses it, and init runs before anything is graded, so the whole task scores 0; remove the import"},
		{name: "init reaches a helper", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport \"os\"\n\nfunc init() { write() }\n\nfunc write() { os.Exit(0) }\n"},
			want:  "write at grade.go:7 uses it and init at grade.go:5 reaches it; init runs before anything is graded"},
		{name: "package variable", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport \"os\"\n\nvar _ = os.WriteFile(\"results.json\", nil, 0o644)\n"},
			want:  "the package-level variable _ at grade.go:5 uses it, and package-level declarations are set up before anything is graded"},
		{name: "variable holding a graded function", task: "task1", whole: true,
			files: map[string]string{
				"task1.go": baseWith("task1", reluLine, `func Relu(X *mat.Dense) *mat.Dense { os.Exit(0); return X }`, `"os"`),
				"b.go":     "package task1\n\nvar hook = Relu\n"},
			want: "Relu at task1.go:6 uses it and the package-level variable hook at b.go:3 reaches it"},
		{name: "blank import", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport _ \"os\"\n"},
			want:  `import "os" at grade.go:3 is not allowed in task1 (allowed: ` + allowed1 + `): a blank import runs`},
		{name: "dot import", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport . \"os\"\n\nvar _ = Getpid\n"},
			want:  "a dot import hides which code uses the package, so the whole task scores 0"},
		{name: "unused import", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport \"os\"\n"},
			want:  `import "os" at grade.go:3 is not allowed in task1 (allowed: ` + allowed1 + `): nothing uses it`},
		{name: "helper nothing graded calls", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport \"os\"\n\nfunc dump() { os.WriteFile(\"x\", nil, 0o644) }\n"},
			want:  "only dump at grade.go:5 uses it, and no graded function reaches that, so the checker cannot tell which item it belongs to"},
		{name: "linkname", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport _ \"unsafe\"\n\n//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n"},
			want:  "//go:linkname at grade.go:5: //go:linkname reaches into other packages' private code and is not allowed; remove the line"},
		{name: "embed", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport _ \"embed\"\n\n//go:embed answers.json\nvar answers string\n", "answers.json": "{}"},
			want:  "//go:embed at grade.go:5: embedding files is not allowed"},
		{name: "other directive", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\n//go:noinline\nfunc f() {}\n"},
			want:  "//go:noinline at grade.go:3: compiler directives (//go: comments) are not allowed in a task; remove the line"},
		{name: "line directive", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\n//line task1.go:1\nfunc f() {}\n"},
			want:  "line directive at grade.go:3"},
		{name: "cgo", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\n// int answer(void) { return 20; }\nimport \"C\"\n"},
			want:  `import "C" at grade.go:4: cgo is not allowed`},
		{name: "unsafe", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport \"unsafe\"\n\nvar _ = unsafe.Sizeof(0)\n"},
			want:  `import "unsafe" at grade.go:3 is not allowed: it gets around Go's type and memory safety; remove it`},
		{name: "assembly", task: "task1", whole: true,
			files: map[string]string{"grade.s": "TEXT ·f(SB),0,$0\n\tRET\n"},
			want:  "grade.s: assembly, C and other non-Go files (.s, .c, .h, .syso, ...) are not allowed in the task1 folder"},
		{name: "object file", task: "task1", whole: true,
			files: map[string]string{"grade.syso": "\x7fELF"},
			want:  "grade.syso: assembly, C and other non-Go files"},
		{name: "go.mod", task: "task1", whole: true,
			files: map[string]string{"go.mod": "module task1\n"},
			want:  "go.mod: the task1 folder must not have its own go.mod"},
		{name: "vendor", task: "task1", whole: true,
			files: map[string]string{"vendor/modules.txt": "# gonum.org/v1/gonum v0.0.0\n"},
			want:  "vendor/: a vendor folder would replace the kit's packages with your copies; remove the folder"},
		{name: "go:build ignore", task: "task1", whole: true,
			files: map[string]string{"grade.go": "//go:build ignore\n\npackage task1\n"},
			want:  `build constraint "//go:build ignore" at grade.go:1: it makes go build leave the file out`},
		{name: "+build", task: "task1", whole: true,
			files: map[string]string{"grade.go": "// +build linux\n\npackage task1\n"},
			want:  `build constraint "// +build linux" at grade.go:1`},
		{name: "_linux.go", task: "task1", whole: true,
			files: map[string]string{"grade_linux.go": "package task1\n"},
			want:  "file name grade_linux.go: the _linux suffix is a build constraint, so go build would leave the file out on other systems or processors; rename it to grade.go"},
		{name: "_windows_arm64.go", task: "task1", whole: true,
			files: map[string]string{"grade_windows_arm64.go": "package task1\n"},
			want:  "file name grade_windows_arm64.go: the _windows_arm64 suffix"},
		{name: "link", task: "task1", whole: true,
			files: map[string]string{"ref.go": "link:../../solutions/task1/task1.go"},
			want:  "ref.go is a link (or not a regular file); put the file itself in the folder"},
		{name: "package clause of another task", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task2\n"},
			want:  "package clause at grade.go:1 says package task2, but every file of task1 must say package task1; change the first line to: package task1"},
		{name: "solutions through a package variable", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport ref \"nnkit/solutions/task1\"\n\nvar reference = ref.Relu\n"},
			want:  `import "nnkit/solutions/task1" at grade.go:3 is not allowed in task1 (allowed: ` + allowed1 + `): the kit's reference solutions, checker and task code are off limits to a task, so the whole task scores 0`},
		{name: "solutions in a graded function", task: "task1", whole: true,
			files: map[string]string{"task1.go": baseWith("task1", reluLine, `func Relu(X *mat.Dense) *mat.Dense { return ref.Relu(X) }`, `ref "nnkit/solutions/task1"`)},
			want:  `import "nnkit/solutions/task1" at task1.go:3`},
		{name: "checker", task: "task1", whole: true,
			files: map[string]string{"grade.go": "package task1\n\nimport \"nnkit/checker\"\n\nvar _ = checker.Tasks\n"},
			want:  `import "nnkit/checker" at grade.go:3`},
		{name: "graded function", task: "task1", funcs: []string{"Relu"},
			files: map[string]string{"task1.go": baseWith("task1", reluLine, `func Relu(X *mat.Dense) *mat.Dense { os.Exit(0); return X }`, `"os"`)},
			want:  `import "os" at task1.go:3 is not allowed in task1 (allowed: ` + allowed1 + `); used by Relu: remove the import and the code that uses it`},
		{name: "helper of a graded function", task: "task1", funcs: []string{"Train"},
			files: map[string]string{
				"task1.go": baseWith("task1", "DNNForward(X, W, K)\n", "DNNForward(X, W, K)\n\tlogf()\n"),
				"log.go":   "package task1\n\nimport \"os\"\n\nfunc logf() { os.Stdout.WriteString(\"epoch\") }\n"},
			want: `import "os" at log.go:3 is not allowed in task1 (allowed: ` + allowed1 + `); used by Train (through logf at log.go:5): remove the import`},
		{name: "graded function another calls", task: "task1", funcs: []string{"DNNForward"}, // Train calls it, and is not charged
			files: map[string]string{"task1.go": baseWith("task1", "\treturn nil, nil, nil\n", "\tos.Exit(0)\n\treturn nil, nil, nil\n", `"os"`)},
			want:  "used by DNNForward: remove"},
		{name: "graded method", task: "task4", methods: []string{"Residual.Forward"},
			files: map[string]string{"task4.go": baseWith("task4", "{ return X }", "{ os.Exit(0); return X }", `"os"`)},
			want:  "is not allowed in task4 (allowed: " + strings.Join(Task4.Allowed, ", ") + "); used by Residual.Forward: remove"},
		{name: "method no item grades", task: "task4", whole: true,
			files: map[string]string{"b.go": "package task4\n\nimport \"os\"\n\nfunc (r *Residual) String() string { return os.Getenv(\"HOME\") }\n"},
			want:  "method Residual.String at b.go:5 uses it, and no item grades that method"},
		{name: "files go build skips", task: "task1",
			files: map[string]string{"_old.go": "package task1\n\nimport \"os\"\n\nfunc init() { os.Exit(0) }\n", ".#task1.go": "link:nowhere"},
			want:  "ignored .#task1.go, _old.go: go build skips files whose names start with _ or ., and so does the checker"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := maps.Clone(ruleBases[c.task])
			maps.Copy(files, c.files)
			dir := filepath.Join(t.TempDir(), c.task)
			writeTree(t, dir, files)
			p, err := parsePackage(dir)
			if err != nil {
				t.Fatal(err)
			}
			task := LookupTask(c.task)
			vs, ok := checkRules(task, p)
			var got *violation
			var all []string
			for i, v := range vs {
				all = append(all, v.reason)
				if got == nil && strings.Contains(v.reason, c.want) {
					got = &vs[i]
				}
			}
			if got == nil {
				t.Fatalf("no violation says %q; got:\n%s", c.want, strings.Join(all, "\n"))
			}
			if got.wholeTask != c.whole {
				t.Errorf("wholeTask = %v, want %v: %s", got.wholeTask, c.whole, got.reason)
			}
			if c.whole {
				if got.status != RuleBroken || !slices.Equal(got.funcs, task.Funcs()) || len(ok) != 0 {
					t.Errorf("whole task: status %q, funcs %v, well-formed %v; want %q, every graded function, none", got.status, got.funcs, ok, RuleBroken)
				}
				for _, it := range task.Items {
					if !got.costs(it) {
						t.Errorf("does not cost %s", it.Name)
					}
				}
				return
			}
			if !slices.Equal(got.funcs, c.funcs) || !slices.Equal(got.methods, c.methods) {
				t.Errorf("costs functions %v and methods %v, want %v and %v", got.funcs, got.methods, c.funcs, c.methods)
			}
			if got.note() != (len(c.funcs) == 0 && len(c.methods) == 0) {
				t.Errorf("note() = %v", got.note())
			}
			for _, v := range vs {
				if v.wholeTask {
					t.Errorf("unexpected whole-task violation: %s", v.reason)
				}
			}
			for _, f := range task.Funcs() {
				if ok[f] == slices.Contains(c.funcs, f) {
					t.Errorf("well-formed %s = %v", f, ok[f])
				}
			}
		})
	}
}

// TestRulesCostItems: an item-level violation costs the items that use
// its graded functions or grade its methods, and the build must stub the
// declarations that use the import.
func TestRulesCostItems(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "task4")
	writeTree(t, dir, map[string]string{
		"task4.go": baseWith("task4", "{ return X }", "{ return helper(X) }"),
		"b.go":     "package task4\n\nimport (\n\t\"os\"\n\n\t\"nnkit/tensor\"\n)\n\nfunc helper(X *tensor.Tensor) *tensor.Tensor { os.Exit(0); return X }\n",
	})
	p, err := parsePackage(dir)
	if err != nil {
		t.Fatal(err)
	}
	vs, _ := checkRules(Task4, p)
	var charged []string
	for _, v := range vs {
		if v.wholeTask {
			t.Fatalf("whole task: %s", v.reason)
		}
		if v.note() {
			continue
		}
		if !slices.Equal(v.stub, []string{"helper"}) {
			t.Errorf("stub %v, want [helper]: %s", v.stub, v.reason)
		}
		for _, it := range Task4.Items {
			if v.costs(it) {
				charged = append(charged, it.Name)
			}
		}
	}
	if !slices.Equal(charged, []string{"Residual/forward"}) {
		t.Errorf("charged %v, want [Residual/forward]", charged)
	}
}

// TestRulesKitFolders: what students start from (exercises) and the
// references break no rule that costs points.
func TestRulesKitFolders(t *testing.T) {
	for _, task := range Tasks() {
		for _, dir := range []string{"solutions", "exercises"} {
			p, err := parsePackage(filepath.Join("..", dir, task.Name))
			if err != nil {
				t.Fatalf("%s/%s: %v", dir, task.Name, err)
			}
			vs, ok := checkRules(task, p)
			for _, v := range vs {
				if !v.note() {
					t.Errorf("%s/%s: %s", dir, task.Name, v.reason)
				}
			}
			if len(ok) != len(task.Funcs()) {
				t.Errorf("%s/%s: well-formed %v", dir, task.Name, ok)
			}
		}
	}
}

// TestRuleTaskOf: the folder's name decides the task when it is one;
// else the package clause, which every file must agree on.
func TestRuleTaskOf(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"task1/a.go":   "package task2\n",
		"alice/a.go":   "package task3\n",
		"mixed/a.go":   "package task1\n",
		"mixed/b.go":   "package task2\n",
		"nothing/a.go": "package main\n",
	})
	for _, c := range []struct{ dir, task, err string }{
		{dir: "task1", task: "task1"},
		{dir: "task1/", task: "task1"},
		{dir: "alice", task: "task3"},
		{dir: "mixed", err: "the files disagree on the package (a.go says package task1; b.go says package task2)"},
		{dir: "nothing", err: "package main is not a task (expected one of task1, task2, task3, task4)"},
	} {
		got, err := taskOf(filepath.Join(root, c.dir))
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.dir, err, c.err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.dir, err)
		case got.Name != c.task:
			t.Errorf("%s: %s, want %s", c.dir, got.Name, c.task)
		}
	}
	// In a folder named like a task, the clause of another is refused.
	p, err := parsePackage(filepath.Join(root, "task1"))
	if err != nil {
		t.Fatal(err)
	}
	vs, _ := checkRules(Task1, p)
	if len(vs) == 0 || !vs[0].wholeTask || !strings.Contains(vs[0].reason, "says package task2") {
		t.Errorf("first violation %+v, want the package clause, whole task", vs[0])
	}
}

// TestRulesIgnoreOwnTests: a student's _test.go files are not built into
// the student program, so whatever they import breaks no rule and earns
// no note (the hostile corpus's test_file_forge shows they never run).
func TestRulesIgnoreOwnTests(t *testing.T) {
	files := maps.Clone(ruleBases["task1"])
	files["task1_test.go"] = "package task1\n\nimport \"os\"\n\nfunc init() { os.Exit(0) }\n"
	dir := filepath.Join(t.TempDir(), "task1")
	writeTree(t, dir, files)
	p, err := parsePackage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if vs, _ := checkRules(Task1, p); len(vs) != 0 {
		t.Errorf("violations for a package whose only extra is a test file: %v", vs)
	}
	if !slices.Contains(p.tests, "task1_test.go") {
		t.Errorf("tests %v: task1_test.go not recorded as left out", p.tests)
	}
}
