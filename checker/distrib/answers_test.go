package distrib

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// norm normalises the body of the only function of src (a file without
// its package clause) or, with expr set, the expression src.
func norm(t *testing.T, src string, expr bool) (string, int) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", "package x\n"+src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	fd := f.Decls[len(f.Decls)-1].(*ast.FuncDecl)
	n := newNormalizer(f)
	if expr {
		k := n.expr(fd.Body.List[0].(*ast.ReturnStmt).Results[0])
		return k, n.nodes
	}
	k := n.stmts(fd.Body.List)
	return k, n.nodes
}

// TestNormalizer shows what the normalisation forgets (names, layout,
// comments, parentheses, the spelling of constants and of package names)
// and what it keeps (the packages, selectors, field names and values).
func TestNormalizer(t *testing.T) {
	base := `import "nnkit/nn"
func f(in, out int) *nn.Sequential {
	c := nn.NewConv2d(in, out, 3, 1, 1, true)
	return nn.NewSequential(c, nn.NewReLU(), nn.NewLinear(16*5*5, 120, true))
}`
	want, _ := norm(t, base, false)
	for name, src := range map[string]string{
		"renamed and laid out": `import "nnkit/nn"
func g(a, b int) *nn.Sequential {
	conv := nn.NewConv2d(a, b,
		3, 1, 1, true) // the first layer
	return nn.NewSequential(conv, nn.NewReLU(),
		nn.NewLinear((400), 120, true))
}`,
		"constants spelt otherwise": `import "nnkit/nn"
func f(in, out int) *nn.Sequential {
	c := nn.NewConv2d(in, out, 0x3, 1.0, 2-1, true)
	return nn.NewSequential(c, nn.NewReLU(), nn.NewLinear(0x190, 120.0, true))
}`,
		"package aliased": `import layers "nnkit/nn"
func f(in, out int) *layers.Sequential {
	c := layers.NewConv2d(in, out, 3, 1, 1, true)
	return layers.NewSequential(c, layers.NewReLU(), layers.NewLinear(400, 120, true))
}`,
	} {
		if got, _ := norm(t, src, false); got != want {
			t.Errorf("%s: normalised to\n%s\nexpected the same as\n%s", name, got, want)
		}
	}
	for name, src := range map[string]string{
		"another value": `import "nnkit/nn"
func f(in, out int) *nn.Sequential {
	c := nn.NewConv2d(in, out, 5, 1, 1, true)
	return nn.NewSequential(c, nn.NewReLU(), nn.NewLinear(400, 120, true))
}`,
		"another layer": `import "nnkit/nn"
func f(in, out int) *nn.Sequential {
	c := nn.NewConv2d(in, out, 3, 1, 1, true)
	return nn.NewSequential(c, nn.NewSigmoid(), nn.NewLinear(400, 120, true))
}`,
		"another package": `import nn "example.com/other/nn"
func f(in, out int) *nn.Sequential {
	c := nn.NewConv2d(in, out, 3, 1, 1, true)
	return nn.NewSequential(c, nn.NewReLU(), nn.NewLinear(400, 120, true))
}`,
		"arguments moved": `import "nnkit/nn"
func f(in, out int) *nn.Sequential {
	c := nn.NewConv2d(in, 3, out, 1, 1, true)
	return nn.NewSequential(c, nn.NewReLU(), nn.NewLinear(400, 120, true))
}`,
	} {
		if got, _ := norm(t, src, false); got == want {
			t.Errorf("%s: normalised like the base, expected a difference:\n%s", name, got)
		}
	}
	// A member of a task package is the same name, qualified or not; a
	// struct literal's field names are kept.
	a, _ := norm(t, `func f() any { return &Residual{Conv1: NewResidual(1, 2, true, 2)} }`, false)
	b, _ := norm(t, `import "nnkit/checker/internal/given/task4"
func f() any { return &task4.Residual{Conv1: task4.NewResidual(1, 2, true, 2)} }`, false)
	c, _ := norm(t, `func f() any { return &Residual{Conv2: NewResidual(1, 2, true, 2)} }`, false)
	if a != b {
		t.Errorf("task4.NewResidual normalised to\n%s\nexpected the same as NewResidual in its package:\n%s", b, a)
	}
	if a == c {
		t.Errorf("Conv1: and Conv2: normalised alike:\n%s", a)
	}
}

// TestAnswerSizes holds the thresholds to what they are for: every
// graded body is an answer, however small, and so is the smallest
// network (GetDNN's); a stub, a delegation or one layer is not.
func TestAnswerSizes(t *testing.T) {
	root := kitRoot(t)
	a, err := CollectAnswers(root)
	if err != nil {
		t.Fatal(err)
	}
	srcs, _, err := answerSources(root)
	if err != nil {
		t.Fatal(err)
	}
	regions, smallest := 0, ""
	least := 1 << 30
	for _, s := range srcs {
		if !taskDir.MatchString(s.name) {
			continue
		}
		regions++
		n := newNormalizer(s.file)
		key := n.stmts(s.stmts)
		if n.nodes < least {
			least, smallest = n.nodes, s.name
		}
		if _, ok := a.bodies[key]; !ok {
			t.Errorf("the graded body of %s (%d nodes) is not an answer: expected at least MinAnswerNodes = %d nodes and no equal given code",
				s.name, n.nodes, MinAnswerNodes)
		}
	}
	if regions < 12 {
		t.Errorf("found %d graded bodies, expected the 12 of tasks 1 to 4", regions)
	}
	t.Logf("%d graded bodies, the smallest %s with %d nodes; %d answer bodies, %d answer expressions", regions, smallest, least, a.Len(), len(a.exprs))

	k, n := norm(t, `import "nnkit/nn"
func GetDNN() *nn.Sequential {
	return nn.NewSequential(nn.NewLinear(3, 2, false), nn.NewReLU(), nn.NewLinear(2, 1, false))
}`, true)
	if _, ok := a.exprs[k]; !ok || n < MinExprNodes {
		t.Errorf("GetDNN's network (%d nodes) is not an answer expression (MinExprNodes = %d)", n, MinExprNodes)
	}
	for _, c := range []struct {
		src  string
		expr bool
		max  int
	}{
		{`func f() { panic("not implemented") }`, false, MinAnswerNodes},
		{`import "nnkit/nn"
func (r *Residual) Parameters() []*tensor.Tensor { return nn.ChildParameters(r) }`, false, MinAnswerNodes},
		{`func (r *Residual) Name() string { return "Residual" }`, false, MinAnswerNodes},
		{`import "nnkit/nn"
func f() any { return nn.NewConv2d(1, 6, 5, 1, 2, true) }`, true, MinExprNodes},
	} {
		if _, n := norm(t, c.src, c.expr); n >= c.max {
			t.Errorf("%s: %d nodes, expected fewer than %d", c.src, n, c.max)
		}
	}
}

// disguise writes stmts of s as a student copying them would: every
// local name renamed, every package imported under another name, every
// number spelt otherwise, no comments. It returns the statements' text
// and the import block that goes with it.
func disguise(t *testing.T, s source, nodes []ast.Node) (texts []string, imports string) {
	t.Helper()
	alias := map[string]string{}
	var ib strings.Builder
	ib.WriteString("import (\n")
	for _, im := range s.file.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		alias[name] = "my" + name
		fmt.Fprintf(&ib, "\tmy%s %s\n", name, im.Path.Value)
	}
	ib.WriteString(")\n")
	keep := map[*ast.Ident]bool{}
	for _, n := range nodes {
		ast.Inspect(n, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				keep[x.Sel] = true
				if id, ok := x.X.(*ast.Ident); ok && alias[id.Name] != "" {
					keep[id] = true
					id.Name = alias[id.Name]
				}
			case *ast.KeyValueExpr:
				if id, ok := x.Key.(*ast.Ident); ok {
					keep[id] = true
				}
			case *ast.BasicLit:
				switch x.Kind {
				case token.INT:
					if v, err := strconv.ParseInt(x.Value, 0, 64); err == nil {
						x.Value = fmt.Sprintf("%#x", v)
					}
				case token.FLOAT:
					if v, err := strconv.ParseFloat(x.Value, 64); err == nil {
						x.Value = strconv.FormatFloat(v, 'e', -1, 64)
					}
				}
			}
			return true
		})
	}
	for _, n := range nodes {
		ast.Inspect(n, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && !keep[id] && id.Name != "_" && types.Universe.Lookup(id.Name) == nil {
				id.Name = "my_" + id.Name
			}
			return true
		})
		var b bytes.Buffer
		if err := printer.Fprint(&b, s.fset, n); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, b.String())
	}
	return texts, ib.String()
}

// TestAnswerScanCatchesDisguisedAnswers is the negative control of the
// scan: every answer of the kit, disguised (renamed, re-imported,
// re-spelt, comments dropped), is planted into a file three ways (as a
// function's whole body, between other statements, as the body of a
// function literal), and every expression answer once as a package
// variable; the scan must find every one and name its answer, and
// nothing else.
func TestAnswerScanCatchesDisguisedAnswers(t *testing.T) {
	root := kitRoot(t)
	a, err := CollectAnswers(root)
	if err != nil {
		t.Fatal(err)
	}
	srcs, _, err := answerSources(root) // a fresh parse, disguised in place
	if err != nil {
		t.Fatal(err)
	}
	planted, exprs := 0, 0
	for i, s := range srcs {
		key := newNormalizer(s.file).stmts(s.stmts)
		ans, ok := a.bodies[key]
		if !ok {
			continue // under MinAnswerNodes, or given code
		}
		// The first expression of the body that is an answer of its own.
		var expr ast.Expr
		exprName := ""
		if s.exprs {
			for _, st := range s.stmts {
				forExprs(st, func(e ast.Expr) {
					if ea, ok := a.exprs[newNormalizer(s.file).expr(e)]; ok && expr == nil {
						expr, exprName = e, ea.name
					}
				})
			}
		}
		nodes := make([]ast.Node, 0, len(s.stmts)+1)
		for _, st := range s.stmts {
			nodes = append(nodes, st)
		}
		if expr != nil {
			nodes = append(nodes, expr)
		}
		texts, imports := disguise(t, s, nodes)
		body := strings.Join(texts[:len(s.stmts)], "\n")
		var b strings.Builder
		fmt.Fprintf(&b, "package planted\n\n%s\n", imports)
		fmt.Fprintf(&b, "// A copy of someone's work.\nfunc whole%d() {\n%s\n}\n\n", i, body)
		fmt.Fprintf(&b, "func inside%d() {\n\tprintln(\"before\")\n%s\n\tprintln(\"after\")\n}\n\n", i, body)
		fmt.Fprintf(&b, "func literal%d() {\n\tf := func() {\n%s\n\t}\n\t_ = f\n}\n", i, body)
		want := []string{"body of whole", "statements of lines", "body of the function literal"}
		if expr != nil {
			fmt.Fprintf(&b, "\nvar network%d = %s\n", i, texts[len(texts)-1])
			want = append(want, "expression at package level")
			exprs++
		}
		leaks, err := a.ScanFile("planted.go", []byte(b.String()))
		if err != nil {
			t.Fatalf("%s: %v\n%s", s.name, err, b.String())
		}
		var found []string
		for _, l := range leaks {
			found = append(found, l.Kind+" "+l.Where+" = "+l.Answer)
		}
		for k, w := range want {
			expected := ans.name
			if k == 3 {
				expected = exprName
			}
			ok := false
			for _, l := range leaks {
				ok = ok || (strings.HasPrefix(l.Kind+" "+l.Where, w) && l.Answer == expected)
			}
			if !ok {
				t.Errorf("%s disguised, planted as %q: not found; found %q in\n%s", s.name, w, found, b.String())
			}
		}
		if len(leaks) != len(want) {
			t.Errorf("%s disguised: %d leaks found, expected %d: %q", s.name, len(leaks), len(want), found)
		}
		planted++
	}
	if planted < 12 || exprs < 4 {
		t.Errorf("planted %d answer bodies and %d networks, expected at least the 12 graded bodies and 4 networks", planted, exprs)
	}
	t.Logf("planted %d answers, %d with an expression answer", planted, exprs)
}

// TestAnswerScanReadable is the negative control in plain sight: a
// student's "own" DNNForward, LeNet passed to Summary in an example, and
// the residual block's layers in a helper of another package.
func TestAnswerScanReadable(t *testing.T) {
	a, err := CollectAnswers(kitRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	src := `package mine

import (
	"os"
	"slices"

	m "gonum.org/v1/gonum/mat"
	layers "nnkit/nn"
	"nnkit/exercises/task4"
)

// Forward is all my own work.
func Forward(input, weights *m.Dense, out []float64) (pre, act *m.Dense, res []float64) {
	rows, _ := input.Dims()
	hidden, _ := weights.Dims()
	pre = m.NewDense(hidden, rows, nil) // pre-activations
	pre.Mul(weights, input.T())
	act = Relu(pre)
	v := m.NewVecDense(rows, nil)
	v.MulVec(act.T(), m.NewVecDense(len(out), slices.Clone(out)))
	return pre, act, v.RawVector().Data
}

func Example() {
	net := layers.NewSequential(
		layers.NewReshape(-1, 1, 28, 28),
		layers.NewConv2d(1, 6, 5, 1, 2, true), layers.NewSigmoid(), layers.NewAvgPool2d(2, 2, 0),
		layers.NewConv2d(6, 16, 5, 1, 0, true), layers.NewSigmoid(), layers.NewAvgPool2d(2, 2, 0),
		layers.NewFlatten(),
		layers.NewLinear(400, 120, true), layers.NewSigmoid(),
		layers.NewLinear(120, 84, true), layers.NewSigmoid(),
		layers.NewLinear(84, 10, true))
	layers.Summary(os.Stdout, net, 1, 1, 28, 28)
}

func block(i, o, s int) *task4.Residual {
	return &task4.Residual{
		Conv1: layers.NewConv2d(i, o, 3, s, 1, true),
		Conv2: layers.NewConv2d(o, o, 3, 1, 1, true),
	}
}
`
	leaks, err := a.ScanFile("mine.go", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"mine.go:14: body of Forward equals the answer solutions/task1/task1.go:DNNForward",
		"mine.go:25: expression in Example equals the answer solutions/task3/lenet.go:GetLeNet",
		"mine.go:37: expression in block equals the answer solutions/task4/resnet.go:NewResidual",
	}
	var got []string
	for _, l := range leaks {
		got = append(got, l.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("found\n%s\nexpected\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEngineAndExercisesHoldNoAnswers scans the kit's own engine (whose
// tests once built the assignment's networks) and the exercise stubs:
// nothing there may equal an answer, in the source tree already.
func TestEngineAndExercisesHoldNoAnswers(t *testing.T) {
	root := kitRoot(t)
	a, err := CollectAnswers(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"nn", "tensor", "optim", "data", "exercises"} {
		leaks, err := a.Scan(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range leaks {
			t.Errorf("%s/%v", dir, l)
		}
	}
}

// TestAnswerScanArchives: Go files inside a txtar archive (how the
// checker's hostile submissions are stored) are scanned too, even when
// one is broken on purpose after the copied answer; other files are not
// Go.
func TestAnswerScanArchives(t *testing.T) {
	a, err := CollectAnswers(kitRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	archive := `A hostile submission: the right answer, then an attack.

want Relu score=0
-- task1/notes.txt --
func Relu() {}
-- task1/task1.go --
package task1

import "gonum.org/v1/gonum/mat"

func Relu(in *mat.Dense) *mat.Dense {
	r, c := in.Dims()
	out := mat.NewDense(r, c, nil)
	out.Apply(func(_, _ int, v float64) float64 { return max(v, 0) }, in)
	return out
}

func broken( {
`
	relu := findSource(t, "solutions/task1/task1.go:Relu")
	if err := os.WriteFile(filepath.Join(dir, "hostile.txt"), []byte(archive), 0o644); err != nil {
		t.Fatal(err)
	}
	leaks, err := a.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaks) != 1 || leaks[0].File != "hostile.txt: task1/task1.go" || leaks[0].Kind != "body" || leaks[0].Answer != "solutions/task1/task1.go:Relu" {
		t.Errorf("found %v, expected the body of Relu in hostile.txt: task1/task1.go, equal to the answer Relu:\n%s", leaks, relu)
	}
}

// findSource returns the text of the graded body name (file:function).
func findSource(t *testing.T, name string) string {
	t.Helper()
	srcs, _, err := answerSources(kitRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		if s.name == name {
			var b bytes.Buffer
			for _, st := range s.stmts {
				printer.Fprint(&b, s.fset, st)
				b.WriteByte('\n')
			}
			return b.String()
		}
	}
	t.Fatalf("no answer %s", name)
	return ""
}

// TestPredeclared: the answer scan's list of predeclared identifiers is
// go/types' Universe, no more and no less.
func TestPredeclared(t *testing.T) {
	for _, name := range types.Universe.Names() {
		if !predeclared[name] {
			t.Errorf("%s is predeclared (types.Universe) but missing from predeclared", name)
		}
	}
	for name := range predeclared {
		if types.Universe.Lookup(name) == nil {
			t.Errorf("%s is in predeclared but not in types.Universe", name)
		}
	}
}
