package similar

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// generate makes n submissions of the four tasks from the reference
// solutions, each mutated at random: statements of every function dropped
// (15%) and random statements inserted (25% after each), so that every
// student has code of their own; every tenth student copies the one
// before, reprinted without its comments. The same seed gives the same
// submissions.
func generate(tb testing.TB, n int, seed uint64) []Student {
	tb.Helper()
	sols := map[string][]File{}
	for _, task := range []string{"task1", "task2", "task3", "task4"} {
		dir := filepath.Join(root, "solutions", task)
		if _, err := os.Stat(dir); err != nil {
			tb.Skipf("no reference solutions here (%v): the generated submissions are made from them", err)
		}
		sols[task] = readTask(tb, dir)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	students := make([]Student, n)
	for i := range students {
		s := Student{ID: fmt.Sprintf("31801%05d", i), Tasks: map[string][]File{}}
		for _, task := range []string{"task1", "task2", "task3", "task4"} {
			src, p := sols[task], 1.0
			if i%10 == 1 {
				src, p = students[i-1].Tasks[task], 0 // a copy
			}
			for _, f := range src {
				name := strings.TrimSuffix(f.Name, ".go") + "_" + s.ID + ".go"
				s.Tasks[task] = append(s.Tasks[task], File{Name: name, Text: mutate(tb, f.Text, rng, p)})
			}
		}
		students[i] = s
	}
	return students
}

// mutate drops and inserts statements in every function body of src,
// scaling the chances by p, and drops the comments.
func mutate(tb testing.TB, src string, rng *rand.Rand, p float64) string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		tb.Fatalf("a generated file does not parse: %v\n%s", err, src)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		b, ok := n.(*ast.BlockStmt)
		if !ok || len(b.List) > 0 && isClause(b.List[0]) {
			return true // a switch's or select's body holds clauses
		}
		var list []ast.Stmt
		for _, s := range b.List {
			if _, isRet := s.(*ast.ReturnStmt); isRet || rng.Float64() >= 0.15*p {
				list = append(list, s)
			}
			if rng.Float64() < 0.25*p {
				list = append(list, randomStmt(rng))
			}
		}
		b.List = list
		return true
	})
	var out bytes.Buffer
	if err := printer.Fprint(&out, fset, f); err != nil {
		tb.Fatal(err)
	}
	return out.String()
}

func isClause(s ast.Stmt) bool {
	switch s.(type) {
	case *ast.CaseClause, *ast.CommClause:
		return true
	}
	return false
}

// randomStmt is a random assignment, if or loop over random expressions.
func randomStmt(rng *rand.Rand) ast.Stmt {
	e := func() ast.Expr {
		x, err := parser.ParseExpr(randomExpr(rng, 3))
		if err != nil {
			panic(err)
		}
		return x
	}
	v := ast.NewIdent(fmt.Sprintf("v%d", rng.IntN(100)))
	assign := &ast.AssignStmt{Lhs: []ast.Expr{ast.NewIdent("_")}, Tok: token.ASSIGN, Rhs: []ast.Expr{e()}}
	switch rng.IntN(3) {
	case 0:
		return assign
	case 1:
		return &ast.IfStmt{Cond: &ast.BinaryExpr{X: e(), Op: token.LSS, Y: e()}, Body: &ast.BlockStmt{List: []ast.Stmt{assign}}}
	}
	return &ast.RangeStmt{Key: v, Tok: token.DEFINE, X: e(), Body: &ast.BlockStmt{List: []ast.Stmt{assign}}}
}

var (
	benchCalls = []string{"math.Sqrt", "math.Exp", "math.Abs", "math.Max", "math.Min", "math.Pow", "math.Log", "math.Tanh", "len", "float64", "int", "mat.NewDense", "tensor.Zeros", "nn.NewLinear", "strings.Repeat", "fmt.Sprint"}
	benchOps   = []string{"+", "-", "*", "/", "%", "<<", "&"}
)

func randomExpr(rng *rand.Rand, depth int) string {
	if depth == 0 || rng.IntN(4) == 0 {
		switch rng.IntN(3) {
		case 0:
			return fmt.Sprint(rng.IntN(10))
		case 1:
			return "1.5"
		}
		return fmt.Sprintf("x%d", rng.IntN(50))
	}
	switch rng.IntN(3) {
	case 0:
		return fmt.Sprintf("%s(%s)", benchCalls[rng.IntN(len(benchCalls))], randomExpr(rng, depth-1))
	case 1:
		return fmt.Sprintf("%s[%s]", randomExpr(rng, depth-1), randomExpr(rng, depth-1))
	}
	return fmt.Sprintf("(%s %s %s)", randomExpr(rng, depth-1), benchOps[rng.IntN(len(benchOps))], randomExpr(rng, depth-1))
}

// TestGeneratedCopies: on generated submissions, every copy (student
// 10k+1 of 10k) ranks above every pair that is not a copy, on each task.
func TestGeneratedCopies(t *testing.T) {
	students := generate(t, 60, 3)
	r, err := Compare(students, kitBase(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Pairs {
		checkSpans(t, r, p)
	}
	isCopy := func(p Pair) bool {
		var a, b int
		fmt.Sscanf(p.A[5:], "%d", &a)
		fmt.Sscanf(p.B[5:], "%d", &b)
		return b == a+1 && b%10 == 1
	}
	for _, task := range r.Tasks {
		worstCopy, bestOther := 2.0, -1.0
		copies := 0
		for _, p := range r.Pairs {
			if p.Task != task {
				continue
			}
			if isCopy(p) {
				copies++
				worstCopy = min(worstCopy, p.Score)
			} else {
				bestOther = max(bestOther, p.Score)
			}
		}
		if copies != 6 || worstCopy <= bestOther {
			t.Errorf("%s: %d copies found (expected 6), the lowest scoring %.3f; the best other pair scores %.3f", task, copies, worstCopy, bestOther)
		}
	}
}

// checkSpans fails t unless every match of p lies within its files'
// lines, the matches come longest first and Longest is the first's.
func checkSpans(t *testing.T, r *Result, p Pair) {
	t.Helper()
	if len(p.Matches) == 0 || p.Longest != p.Matches[0].Tokens {
		t.Fatalf("%s %s %s: longest %d, matches %+v: expected Longest to be the first match's tokens", p.Task, p.A, p.B, p.Longest, p.Matches)
	}
	for i, m := range p.Matches {
		if i > 0 && m.Tokens > p.Matches[i-1].Tokens {
			t.Fatalf("%s %s %s: match %d has %d tokens, more than the one before: expected longest first", p.Task, p.A, p.B, i, m.Tokens)
		}
		for _, side := range []struct {
			id string
			s  Span
		}{{p.A, m.A}, {p.B, m.B}} {
			fs := r.Files[side.id].Tasks[p.Task]
			if side.s.File < 0 || side.s.File >= len(fs) {
				t.Fatalf("%s %s: span %+v names file %d of %d", p.Task, side.id, side.s, side.s.File, len(fs))
			}
			lines := strings.Count(fs[side.s.File].Text, "\n") + 1
			if side.s.From < 1 || side.s.From > side.s.To || side.s.To > lines {
				t.Fatalf("%s %s: span %+v outside lines 1..%d of %s or reversed", p.Task, side.id, side.s, lines, fs[side.s.File].Name)
			}
		}
	}
}

// BenchmarkCompare1000 compares 1,000 generated submissions of the four
// tasks (the bar: under a minute on a 2-core machine). Besides
// the wall time it reports the CPU seconds per comparison (cpu-s/op),
// which a busy machine does not inflate.
func BenchmarkCompare1000(b *testing.B) {
	students := generate(b, 1000, 1)
	base := kitBase(b)
	var pairs int
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		r, err := Compare(students, base, Options{})
		if err != nil {
			b.Fatal(err)
		}
		pairs = len(r.Pairs)
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(pairs), "pairs")
}
