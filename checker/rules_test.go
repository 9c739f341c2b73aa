package checker

import (
	"go/parser"
	"go/token"
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
				t.Errorf("%s/%s: %s", dir, task.Name, v.reason)
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
