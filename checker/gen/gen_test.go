package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExercisesUpToDate fails when exercises/ is not what the generator
// makes from solutions/ now.
func TestExercisesUpToDate(t *testing.T) {
	root := filepath.Join("..", "..")
	files, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Status(root, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		switch st[f.Exercise] {
		case UpToDate:
		case Edited:
			t.Errorf("%s was edited by hand; exercises are generated: run `go run ./cmd/check gen -force %s` (it keeps a .bak copy)", f.Exercise, f.Task)
		default:
			t.Errorf("%s is %s with %s: run `go run ./cmd/check gen %s`", f.Exercise, st[f.Exercise], f.Solution, f.Task)
		}
	}
}

const solution = `package p

import (
	"fmt"
	"math"
	"strings"
)

type pair struct{ a, b int }
type count int

// F is graded.
func F(x float64) (y float64, err error) {
	// BEGIN SOLUTION [3 pts]
	return half(math.Sqrt(x)), fmt.Errorf("x")
	// END SOLUTION
}

func G(s string) (pair, count, *pair, []int, map[string]int, string, bool, any, [2]int, struct{}) {
	// BEGIN SOLUTION [1.5 pts]
	panic(fact(len(upper(s))))
	// END SOLUTION
}

// Helper stays.
func Helper() string { return strings.ToUpper(upper("x")) }

// half is given: only F's solution calls it.
func half(x float64) float64 { return x / 2 }

// upper is given and called by Helper too.
func upper(s string) string { return strings.ToUpper(s) }

// fact is given: only G's solution calls it, and itself.
func fact(n int) int {
	if n < 2 {
		return 1
	}
	return n * fact(n-1)
}
`

const exercise = `package p

import (
	"strings"
)

type pair struct{ a, b int }
type count int

// F is graded.
func F(x float64) (y float64, err error) {
	// YOUR IMPLEMENTATION HERE [3 pts]
	return 0, nil
}

func G(s string) (pair, count, *pair, []int, map[string]int, string, bool, any, [2]int, struct{}) {
	// YOUR IMPLEMENTATION HERE [1.5 pts]
	return pair{}, 0, nil, nil, nil, "", false, nil, [2]int{}, struct{}{}
}

// Helper stays.
func Helper() string { return strings.ToUpper(upper("x")) }

// half is given: only F's solution calls it.
//
//lint:ignore U1000 given: the graded functions call it once they are written
func half(x float64) float64 { return x / 2 }

// upper is given and called by Helper too.
func upper(s string) string { return strings.ToUpper(s) }

// fact is given: only G's solution calls it, and itself.
//
//lint:ignore U1000 given: the graded functions call it once they are written
func fact(n int) int {
	if n < 2 {
		return 1
	}
	return n * fact(n-1)
}
`

func TestStub(t *testing.T) {
	out, regions, err := Stub("p.go", []byte(solution))
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != exercise {
		t.Errorf("got\n%s\nwant\n%s", out, exercise)
	}
	if len(regions) != 2 || regions[0].Func != "F" || regions[0].Points != 3 || regions[1].Points != 1.5 {
		t.Errorf("regions %+v", regions)
	}
}

func TestStubErrors(t *testing.T) {
	for name, src := range map[string]string{
		"outside": "package p\n\n// BEGIN SOLUTION [1 pts]\nfunc F() {}\n",
		"partial": "package p\n\nfunc F() int {\n\tx := 1\n\t// BEGIN SOLUTION [1 pts]\n\treturn x\n\t// END SOLUTION\n}\n",
		"no end":  "package p\n\nfunc F() {\n\t// BEGIN SOLUTION [1 pts]\n}\n",
		"points":  "package p\n\nfunc F() {\n\t// BEGIN SOLUTION three\n\t// END SOLUTION\n}\n",
	} {
		if _, _, err := Stub("p.go", []byte(src)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestStubFuncsKeepsLines(t *testing.T) {
	out, err := StubFuncs("p.go", []byte(solution), map[string]bool{"F": true}, "// stubbed")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Count(string(out), "\n"), strings.Count(solution, "\n"); got != want {
		t.Errorf("%d lines, want %d:\n%s", got, want, out)
	}
	if !strings.Contains(string(out), `_ "fmt"`) || !strings.Contains(string(out), "return 0, nil") {
		t.Errorf("unused imports not blanked or no stub:\n%s", out)
	}
}

func TestImportName(t *testing.T) {
	for p, want := range map[string]string{"math/rand/v2": "rand", "gonum.org/v1/gonum/mat": "mat", "gopkg.in/yaml.v3": "yaml", "fmt": "fmt"} {
		if got := ImportName(p); got != want {
			t.Errorf("ImportName(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestWriteKeepsEdits: a student's edit survives a regeneration, and
// -force keeps a backup.
func TestWriteKeepsEdits(t *testing.T) {
	root := t.TempDir()
	sol := filepath.Join(root, "solutions", "task9")
	if err := os.MkdirAll(sol, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(sol, "p.go"), solution)
	var log bytes.Buffer
	if err := Write(root, false, nil, &log); err != nil {
		t.Fatal(err)
	}
	ex := filepath.Join(root, "exercises", "task9", "p.go")
	first, _ := os.ReadFile(ex)
	if !strings.Contains(string(first), "YOUR IMPLEMENTATION HERE [3 pts]") {
		t.Fatalf("exercise not written:\n%s", first)
	}
	// The solution changes: an unedited exercise is simply regenerated.
	write(filepath.Join(sol, "p.go"), strings.Replace(solution, "[3 pts]", "[4 pts]", 1))
	if err := Write(root, false, nil, &log); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(ex)
	if !strings.Contains(string(second), "[4 pts]") {
		t.Fatalf("stale exercise not regenerated:\n%s", second)
	}
	// A student edits it, then the solution changes again.
	edited := strings.Replace(string(second), "return 0, nil", "return x * x, nil", 1)
	write(ex, edited)
	write(filepath.Join(sol, "p.go"), strings.Replace(solution, "[3 pts]", "[5 pts]", 1))
	if err := Write(root, false, nil, &log); err == nil || !strings.Contains(err.Error(), "check gen -force") {
		t.Fatalf("edited exercise: err = %v, want a refusal naming -force", err)
	}
	if b, _ := os.ReadFile(ex); string(b) != edited {
		t.Fatal("the edited exercise was overwritten without -force")
	}
	if err := Write(root, true, nil, &log); err != nil {
		t.Fatal(err)
	}
	baks, _ := filepath.Glob(ex + ".*.bak")
	if len(baks) != 1 {
		t.Fatalf("backups %v, want one", baks)
	}
	if b, _ := os.ReadFile(baks[0]); string(b) != edited {
		t.Error("the backup does not hold the student's edit")
	}
	if b, _ := os.ReadFile(ex); !strings.Contains(string(b), "[5 pts]") {
		t.Error("-force did not regenerate")
	}
}

func TestStubFuncsMethod(t *testing.T) {
	src := "package p\n\ntype T struct{}\n\nfunc (t *T) F() int {\n\treturn 1 + \"x\"\n}\n\nfunc F() int {\n\treturn 2\n}\n"
	out, err := StubFuncs("p.go", []byte(src), map[string]bool{"T.F": true}, "// stubbed")
	if err != nil {
		t.Fatal(err)
	}
	// The body keeps its three lines, so the closing brace follows the
	// return on the same line.
	want := "package p\n\ntype T struct{}\n\nfunc (t *T) F() int {\n\t// stubbed\n\treturn 0}\n\nfunc F() int {\n\treturn 2\n}\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// TestStubImportedInterface: an interface result from another package of
// the module is stubbed as nil, one the resolver cannot see as *new(T).
func TestStubImportedInterface(t *testing.T) {
	src := "package p\n\nimport (\n\t\"io\"\n\n\t\"nnkit/nn\"\n\t\"example.com/x\"\n)\n\n" +
		"func F() (nn.Module, io.Reader, x.T) {\n\t// BEGIN SOLUTION [1 pts]\n\treturn nil, nil, x.T{}\n\t// END SOLUTION\n}\n"
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := StubWith("p.go", []byte(src), SourceResolver(root))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "return nil, nil, *new(x.T)") {
		t.Errorf("got\n%s", out)
	}
}

// TestWriteUnknownTask: a task without solutions is an error naming it
// and the tasks there, before anything is written.
func TestWriteUnknownTask(t *testing.T) {
	root := t.TempDir()
	sol := filepath.Join(root, "solutions", "task1")
	if err := os.MkdirAll(sol, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sol, "p.go"), []byte(solution), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	err := Write(root, false, []string{"task1", "task9"}, &log)
	if err == nil || !strings.Contains(err.Error(), "no solutions for task9") || !strings.Contains(err.Error(), "the tasks there: task1") {
		t.Fatalf("Write(task1, task9) = %v; want an error naming task9 and task1", err)
	}
	if _, err := os.Stat(filepath.Join(root, "exercises")); err == nil {
		t.Errorf("Write(task1, task9) wrote exercises/: %s", log.String())
	}
	files, err := GenerateTask(root, "task1")
	if err != nil || len(files) != 1 || files[0].Exercise != "exercises/task1/p.go" || !bytes.Contains(files[0].Content, []byte(StubMarker)) {
		t.Errorf("GenerateTask(task1) = %+v, %v", files, err)
	}
	if _, err := GenerateTask(root, "task9"); err == nil || !strings.Contains(err.Error(), "no solutions for task9") {
		t.Errorf("GenerateTask(task9) = %v; want no solutions", err)
	}
}

// TestBackupKeepsEarlier: two backups in the same second are two files.
func TestBackupKeepsEarlier(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.go")
	var baks []string
	for _, content := range []string{"first", "second"} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		bak, err := Backup(path, "20240917-153000")
		if err != nil {
			t.Fatal(err)
		}
		baks = append(baks, bak)
	}
	if baks[0] != path+".20240917-153000.bak" || baks[1] != path+".20240917-153000-2.bak" {
		t.Fatalf("backups %v", baks)
	}
	for i, want := range []string{"first", "second"} {
		if b, _ := os.ReadFile(baks[i]); string(b) != want {
			t.Errorf("%s holds %q, want %q", baks[i], b, want)
		}
	}
}
