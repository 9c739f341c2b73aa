package similar

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Attacks a hostile student could make on the comparison of the whole
// class (issue 16): inputs that crash or stall it, or break the report.

// attackCore is real code the two students of each attack share, so the
// pair has matches whose spans the report must check and show.
const attackCore = `
func Shared(xs []float64, k int) float64 {
	best := 0.0
	for i := 0; i < len(xs); i++ {
		if xs[i]*float64(k) > best {
			best = xs[i] * float64(k)
		}
	}
	total := 0.0
	for _, x := range xs {
		total += x * x / best
	}
	return total - best
}
`

// repeat is n copies of format with its %d the copy's index.
func repeat(format string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// TestAttackInputs compares two students who both submit each odd file
// next to a shared function, and writes the report: nothing may panic,
// and every match must lie inside the shown files (WriteHTML refuses the
// whole report otherwise).
func TestAttackInputs(t *testing.T) {
	pkg := "package p\n"
	tests := []struct{ name, text string }{
		{"package clause only", "package p\n"},
		{"empty", ""},
		{"invalid UTF-8", pkg + "// \xff\xfe\n" + attackCore + "var s = \"\xc3\x28\"\n"},
		{"NUL bytes", pkg + attackCore + "var s = \"\x00\"\n\x00\x00"},
		{"BOM", "\ufeff" + pkg + attackCore},
		{"CRLF", strings.ReplaceAll(pkg+attackCore, "\n", "\r\n")},
		{"CR only", strings.ReplaceAll(pkg+attackCore, "\n", "\r")},
		{"line directives", pkg + "//line other.go:100000\n" + attackCore + "\n/*line :1:1*/" + attackCore[1:]},
		{"line directives, does not parse", pkg + "//line other.go:100000\nimport \"fmt\"\n" + attackCore + "func broken( {\n}\nvar _ = fmt.Sprint\n"},
		{"does not parse", pkg + attackCore + "func broken( {\n\tx := \n}\n" + "}}}}{{{\n"},
		{"no package clause", attackCore},
		{"generics", pkg + "func Map[T, U any](xs []T, f func(T) U) []U {\n\tvar out []U\n\tfor _, x := range xs {\n\t\tout = append(out, f(x))\n\t}\n\treturn out\n}\n" + attackCore},
		{"cgo", pkg + "// #include <stdio.h>\nimport \"C\"\n" + attackCore + "func P() { C.puts(C.CString(\"x\")) }\n"},
		{"deep parentheses", pkg + "var x = " + strings.Repeat("(", 20000) + "1" + strings.Repeat(")", 20000) + "\n" + attackCore},
		{"deep blocks", pkg + "func F() {\n" + strings.Repeat("{\n", 20000) + strings.Repeat("}\n", 20000) + "}\n" + attackCore},
		{"deep unary", pkg + "var x = " + strings.Repeat("-", 50000) + "1\n" + attackCore},
		{"long chain", pkg + "func F(a, b float64) float64 {\n\treturn a" + strings.Repeat("*b+a", 50000) + "\n}\n" + attackCore},
		{"thousands of functions", pkg + repeat("func f%d() int { return 1 }\n", 5000) + attackCore},
		{"one function many times", pkg + repeat("func g%d(xs []float64) float64 {\n\tt := 0.0\n\tfor _, x := range xs {\n\t\tt += x\n\t}\n\treturn t\n}\n", 6000) + attackCore},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := []File{{Name: "task1_x.go", Text: tc.text}}
			students := []Student{{ID: "a", Tasks: map[string][]File{"task1": files}}, {ID: "b", Tasks: map[string][]File{"task1": files}}}
			r, err := Compare(students, Base{}, Options{Jobs: 1})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteHTML(&buf, r); err != nil {
				t.Fatalf("WriteHTML: %v", err)
			}
			if strings.Contains(tc.text, "func Shared") && (len(r.Pairs) != 1 || r.Pairs[0].Score < 0.99) {
				t.Errorf("pairs %+v: expected the two identical submissions as one pair scoring 1", r.Pairs)
			}
		})
	}
}

// TestAttackManyStatements: one function of many simple statements (a
// 1 MiB submission holds some 50,000) must not stall the comparison of
// the class: picking the canonical order took time cubic in the run.
func TestAttackManyStatements(t *testing.T) {
	for _, tc := range []struct{ name, stmt string }{
		{"independent", "\tv%d := 1\n"},
		{"calls", "\tprintln(%d)\n"},
		{"one variable", "\tx += %d\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "package p\n\nfunc F() {\n\tx := 0\n" + repeat(tc.stmt, 20000) + "\tprintln(x)\n}\n" + attackCore
			us := hashesOf(t, src)
			if len(us) != 2 || len(us[0]) < 20000*3 {
				t.Errorf("got %d units (first of %d tokens), expected 2, the first of at least %d tokens", len(us), len(us[0]), 20000*3)
			}
		})
	}
}

// conflictRef is the definition reorder's order rests on: two
// statements must keep their order when one writes what the other reads
// or writes, or both are calls.
func conflictRef(a, b effects) bool {
	if a.call && b.call {
		return true
	}
	for w := range a.writes {
		if b.reads[w] || b.writes[w] {
			return true
		}
	}
	for w := range b.writes {
		if a.reads[w] {
			return true
		}
	}
	return false
}

// TestReorderAsDefined checks reorder's chains of waits against its
// definition, tested pair by pair as it once was: on random runs of
// statements over a few names, the order must be the same.
func TestReorderAsDefined(t *testing.T) {
	pool := []string{"a = b", "b = a + c", "c++", "d = a * d", "f(a)", "f(b, c)", "g()", "a, b = b, a",
		"var e = d", "x.y = a", "ch <- c", "d = x.y", "_ = a", "c = 7", "b += 2"}
	const head = "package p\n\nfunc f(...int) {}\nfunc g() {}\n\nfunc F(a, b, c, d int, x T, ch chan int) {\n"
	body := func(stmts []string) []uint64 {
		us := hashesOf(t, head+strings.Join(stmts, "\n")+"\n}\n")
		return us[len(us)-1]
	}
	empty := body(nil)
	open := empty[:len(empty)-1] // the function up to its {
	rng := rand.New(rand.NewPCG(1, 16))
	for trial := range 500 {
		stmts := make([]string, 2+rng.IntN(9))
		for i := range stmts {
			stmts[i] = pool[rng.IntN(len(pool))]
		}
		// The definition: of the statements whose conflicting earlier
		// ones are out, the smallest tokens (then the earliest) first.
		toks := make([][]uint64, len(stmts))
		effs := make([]effects, len(stmts))
		for i, s := range stmts {
			one := body([]string{s})
			toks[i] = one[len(open) : len(one)-1]
			f, err := parser.ParseFile(token.NewFileSet(), "x.go", head+s+"\n}\n", 0)
			if err != nil {
				t.Fatal(err)
			}
			fd := f.Decls[len(f.Decls)-1].(*ast.FuncDecl)
			effs[i] = effectsOf(fd.Body.List[0])
		}
		want := slices.Clone(open)
		done := make([]bool, len(stmts))
		for range stmts {
			best := -1
			for i := range stmts {
				ready := !done[i]
				for j := range i {
					ready = ready && (done[j] || !conflictRef(effs[j], effs[i]))
				}
				if ready && (best < 0 || slices.Compare(toks[i], toks[best]) < 0) {
					best = i
				}
			}
			done[best] = true
			want = append(want, toks[best]...)
		}
		want = append(want, empty[len(empty)-1])
		if got := body(stmts); !slices.Equal(got, want) {
			t.Fatalf("trial %d, statements %q: reorder gave %d tokens differing from the definition's %d", trial, stmts, len(got), len(want))
		}
	}
}

// TestAttackEvasions: cheap disguises of a whole solution. Declaring each
// function as a top-level var of a function literal kept the literal's
// parameter and variable names as they were, so the copy, renamed or
// not, shared nothing with its source; padding with dead code dilutes
// the copier's share, but the Score is the victim's.
func TestAttackEvasions(t *testing.T) {
	orig := "package p\n" + attackCore + `
func Norm(m [][]float64) [][]float64 {
	out := make([][]float64, len(m))
	for i, row := range m {
		s := 0.0
		for _, v := range row {
			s = s + v*v
		}
		out[i] = make([]float64, len(row))
		for j, v := range row {
			out[i][j] = v / s * float64(len(row)) * 2.5
		}
	}
	return out
}
`
	vars := strings.NewReplacer("func Shared(", "var Shared = func(", "func Norm(", "var Norm = func(").Replace(orig)
	renamed := strings.NewReplacer("xs", "data", "best", "top", "total", "acc", "row", "r", "out", "res").Replace(vars)
	inner := strings.NewReplacer("var Shared = func", "Shared := func", "var Norm = func", "Norm := func").Replace(orig[len("package p\n"):])
	tests := []struct {
		name, text string
		min        float64
	}{
		{"top-level var of a func literal", vars, 0.9},
		{"the same, renamed", renamed, 0.9},
		{"all in one closure", "package p\n\nfunc All() {\n" + strings.NewReplacer("func Shared(", "Shared := func(", "func Norm(", "Norm := func(").Replace(inner) + "\t_, _ = Shared, Norm\n}\n", 0.9},
		{"dead code padding", orig + repeat("func pad%d(a, b int) int {\n\tif a > b {\n\t\treturn a - b*3\n\t}\n\treturn b%%7 + a\n}\n", 200), 0.99},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := []Student{
				{ID: "a", Tasks: map[string][]File{"task1": {{Name: "a.go", Text: orig}}}},
				{ID: "b", Tasks: map[string][]File{"task1": {{Name: "b.go", Text: tc.text}}}},
			}
			r, err := Compare(st, Base{}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Pairs) != 1 || r.Pairs[0].Score < tc.min {
				t.Fatalf("pairs %+v: expected the copy to score at least %v", r.Pairs, tc.min)
			}
		})
	}
}

// TestAttackBrokenFile: a file with a syntax error is cut into a piece
// per top-level declaration. Each piece was parsed with every line of the
// file (blanked), so a 1 MiB file of one-line functions and one error
// cost time and memory quadratic in its lines; and a broken file none of
// whose lines starts a declaration (every line indented) gave nothing, so
// a copy indented and broken on purpose shared nothing.
func TestAttackBrokenFile(t *testing.T) {
	t.Run("many pieces", func(t *testing.T) {
		const n = 30000
		src := "package p\n\nimport \"fmt\"\n\n" + repeat("func f%d() { fmt.Println() }\n", n) + "func broken( {\n"
		us := hashesOf(t, src)
		if len(us) < n {
			t.Errorf("got %d units, expected at least %d (a function each)", len(us), n)
		}
	})
	orig := "package p\n" + attackCore
	for _, tc := range []struct{ name, text string }{
		{"indented", strings.ReplaceAll(orig, "\n", "\n ") + "\n}}\n"},
		{"after the imports on their line", "package p\n\nimport \"fmt\"; " + strings.ReplaceAll(attackCore[1:], "\n", ";") + "\nvar _ = fmt.Sprint\nfunc broken( {\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := []Student{
				{ID: "a", Tasks: map[string][]File{"task1": {{Name: "a.go", Text: orig}}}},
				{ID: "b", Tasks: map[string][]File{"task1": {{Name: "b.go", Text: tc.text}}}},
			}
			r, err := Compare(st, Base{}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Pairs) != 1 || r.Pairs[0].Score < 0.9 {
				t.Fatalf("pairs %+v: expected the broken copy to score at least 0.9", r.Pairs)
			}
			var buf bytes.Buffer
			if err := WriteHTML(&buf, r); err != nil {
				t.Fatalf("WriteHTML: %v", err)
			}
		})
	}
}
