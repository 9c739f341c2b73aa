package distrib

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"io/fs"
	"nnkit/checker/gen"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The answer scan: the student copy must hold no answer, whatever it is
// called and however it is laid out. Leaving files out by name (withheld,
// Excluded) is the construction; the scan is its proof, run by Write on
// every copy it makes and by the tests.
//
// An answer is a graded body of the solutions (the statements between
// `// BEGIN SOLUTION` and `// END SOLUTION` in solutions/taskN) or a
// function of a Go file the distribution withholds: solutions/nets (the
// assignment's networks for the kit's tests), the conceptual closed
// forms, conceptual/reference, truth_live.go, and the mistakes written
// over the solutions (checker/testdata/broken/*.go.txt). Code is compared as
// normalised syntax trees, never as text (see normalizer), three ways:
//
//   - every function body of the copy (declared or literal) against every
//     answer body;
//   - every run of consecutive statements of every block of the copy
//     against every answer body, so that an answer pasted into a longer
//     function is found too;
//   - every expression of the copy of at least MinExprNodes nodes against
//     the expressions of that size in the tasks' answers: a network is
//     one expression (GetLeNet's Sequential), found even when assigned
//     to a variable, passed to a function or declared at package level.
//
// What the kit gives students anyway (every function of solutions/taskN
// outside its graded regions, which `check gen` copies into exercises/
// and `check dist` into checker/internal/given) is no answer, as a body
// or as an expression; nor are the few helpers of sharedHelpers.

// MinAnswerNodes is the size, in nodes of the normalised syntax tree,
// from which a body is an answer. Smaller bodies are one call or one
// return of a few names: exercise stubs (`panic("not implemented")`: 4
// nodes), delegations (`return nn.ChildParameters(r)`: 4), getters,
// which the kit writes in many places by design and which hold nothing
// to copy. The smallest graded body, task 2's GetDNN (a Sequential of
// three layers), has 15 nodes; the smallest withheld functions worth
// keeping, conceptual problem 3's layer constructors, 12. Bodies of 9
// nodes or fewer are exempt: besides the one-liners above, only a
// two-way String method of conceptual problem 5 among the withheld
// functions. TestAnswerSizes holds every graded body to at least this
// size, so none can fall under it unnoticed, and the one-liners under
// it.
const MinAnswerNodes = 10

// MinExprNodes is the size from which an expression of a task's answer
// is an answer of its own. One layer with its sizes
// (nn.NewConv2d(1, 6, 5, 1, 2, true): 8 nodes) is the engine's
// vocabulary, written in its tests and docs; the smallest network of the
// assignment, GetDNN's Sequential of three layers, has 14 nodes, like
// the two-block stages of ResNet-18; LeNet's has 59. Expressions count
// for the tasks' code only (solutions/ and the mistakes written over
// it): the conceptual answers are loops of index arithmetic whose
// expressions the shipped grader shares by design, and their bodies are
// compared whole and as runs of statements. TestAnswerSizes holds GetDNN's
// network to this size.
const MinExprNodes = 14

// sharedHelpers are functions of withheld files that shipped code holds
// too, on purpose: they are no answer, and each says where it ships.
// Anything else found in the copy is a leak.
var sharedHelpers = map[string]string{
	"conceptual/p1verify.go:mat4":   "a matrix as a [1 1 r c] tensor, also in conceptual/grade/p1.go",
	"conceptual/p1verify.go:unmat4": "the inverse of mat4, also in conceptual/grade/p1.go",
}

// Leak is a piece of the copy equal to an answer.
type Leak struct {
	File   string // slash path relative to the scanned folder
	Line   int
	Kind   string // "body", "statements" or "expression"
	Where  string // the function, lines or place found
	Answer string // the answer it equals, as solutions/task3/lenet.go:GetLeNet
}

func (l Leak) String() string {
	return fmt.Sprintf("%s:%d: %s %s equals the answer %s", l.File, l.Line, l.Kind, l.Where, l.Answer)
}

// answer is one normalised answer body or expression.
type answer struct {
	name  string // where it comes from
	nodes int
}

// Answers is the set of answers of a kit, ready to scan copies with.
type Answers struct {
	bodies map[string]answer   // normalised statement list -> answer
	lens   []int               // the statement counts of the bodies, longest first
	firsts map[string]struct{} // shapes of the first statements of bodies
	exprs  map[string]answer   // normalised expression -> answer
}

// Len is the number of answer bodies.
func (a *Answers) Len() int { return len(a.bodies) }

var (
	beginSolution = regexp.MustCompile(`^//\s*BEGIN SOLUTION`)
	endSolution   = regexp.MustCompile(`^//\s*END SOLUTION`)
	taskDir       = regexp.MustCompile(`^solutions/task[0-9]+/`)
)

// source is an answer as found in the kit.
type source struct {
	name  string // file:function
	fset  *token.FileSet
	file  *ast.File
	fn    *ast.FuncDecl
	stmts []ast.Stmt // the graded region, or the whole body
	exprs bool       // its expressions are answers too
}

// answerSources parses the kit at root and returns its answers, and the
// normalised bodies and expressions of the code given to students.
//
// The tests of withheld packages are not answers: they hold checks and
// the scaffolding they share with the engine's tests (opening the GPU or
// its emulator, comparing floats), which ships by design; the answers
// they exercise are the graded bodies and withheld functions, collected
// as such.
func answerSources(root string) ([]source, map[string]bool, error) {
	var srcs []source
	given := map[string]bool{}
	regions := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		isMistake := strings.HasPrefix(rel, "checker/testdata/broken/") && strings.HasSuffix(rel, ".go.txt")
		if !isMistake && (!strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go")) {
			return nil
		}
		solution := taskDir.MatchString(rel)
		if !solution {
			ex, why := Excluded(rel, nil)
			if !ex || !strings.HasPrefix(why, "withheld") || slices.Contains(conceptualSubset, rel) {
				return nil
			}
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var extra map[string]string
		if isMistake {
			// A mistake is functions (and maybe imports) without a
			// package clause, written over its task's solution, whose
			// imports it uses; some are meant not to compile.
			src = append([]byte("package mistake\n"), src...)
			if extra, err = taskImports(root, strings.Split(rel, "/")[2]); err != nil {
				return err
			}
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, rel, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			if isMistake {
				return nil
			}
			return fmt.Errorf("answers: %v", err)
		}
		addImports(f, extra)
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil || len(fd.Body.List) == 0 {
				continue
			}
			name := rel + ":" + gen.DeclName(fd)
			if _, ok := sharedHelpers[name]; ok {
				continue
			}
			if !solution {
				srcs = append(srcs, source{name, fset, f, fd, fd.Body.List, strings.HasPrefix(rel, "solutions/") || isMistake})
				continue
			}
			stmts, found, err := graded(f, fd)
			if err != nil {
				return fmt.Errorf("answers: %s: %v", name, err)
			}
			if found {
				srcs = append(srcs, source{name, fset, f, fd, stmts, true})
				regions++
				continue
			}
			given[newNormalizer(f).stmts(fd.Body.List)] = true
			forExprs(fd.Body, func(e ast.Expr) { given[newNormalizer(f).expr(e)] = true })
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if regions == 0 {
		return nil, nil, fmt.Errorf("answers: no `// BEGIN SOLUTION` region found under %s", filepath.Join(root, "solutions"))
	}
	return srcs, given, nil
}

// CollectAnswers reads the answers of the kit at root (see
// answerSources), ready to scan copies with.
func CollectAnswers(root string) (*Answers, error) {
	srcs, given, err := answerSources(root)
	if err != nil {
		return nil, err
	}
	a := &Answers{bodies: map[string]answer{}, firsts: map[string]struct{}{}, exprs: map[string]answer{}}
	lens := map[int]bool{}
	for _, s := range srcs {
		n := newNormalizer(s.file)
		key := n.stmts(s.stmts)
		if _, dup := a.bodies[key]; n.nodes >= MinAnswerNodes && !given[key] && !dup {
			a.bodies[key] = answer{name: s.name, nodes: n.nodes}
			lens[len(s.stmts)] = true
			a.firsts[shape(s.file, s.stmts[0])] = struct{}{}
		}
		if !s.exprs {
			continue
		}
		for _, st := range s.stmts {
			forExprs(st, func(e ast.Expr) {
				m := newNormalizer(s.file)
				k := m.expr(e)
				if _, dup := a.exprs[k]; m.nodes >= MinExprNodes && !given[k] && !dup {
					a.exprs[k] = answer{name: s.name, nodes: m.nodes}
				}
			})
		}
	}
	for k := range lens {
		a.lens = append(a.lens, k)
	}
	slices.Sort(a.lens)
	slices.Reverse(a.lens)
	return a, nil
}

// taskImports returns the imports of the solution files of task, as
// import specs by the name a file uses.
func taskImports(root, task string) (map[string]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "solutions", task, "*.go"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return nil, fmt.Errorf("answers: %v", err)
		}
		for _, im := range f.Imports {
			name := ""
			if im.Name != nil {
				name = im.Name.Name
			}
			out[name+" "+im.Path.Value] = im.Path.Value
		}
	}
	return out, nil
}

// addImports adds the imports of extra (from taskImports) to f, so
// that a mistake's package names are recognised.
func addImports(f *ast.File, extra map[string]string) {
	for k, p := range extra {
		name, _, _ := strings.Cut(k, " ")
		spec := &ast.ImportSpec{Path: &ast.BasicLit{Kind: token.STRING, Value: p}}
		if name != "" {
			spec.Name = ast.NewIdent(name)
		}
		f.Imports = append(f.Imports, spec)
	}
}

// graded returns the statements of fd between its BEGIN SOLUTION and END
// SOLUTION comments, and whether it has them.
func graded(f *ast.File, fd *ast.FuncDecl) ([]ast.Stmt, bool, error) {
	var begin, end token.Pos
	for _, cg := range f.Comments {
		if cg.Pos() < fd.Body.Lbrace || cg.End() > fd.Body.Rbrace {
			continue
		}
		for _, c := range cg.List {
			switch {
			case beginSolution.MatchString(c.Text):
				begin = c.End()
			case endSolution.MatchString(c.Text):
				end = c.Pos()
			}
		}
	}
	if begin == token.NoPos && end == token.NoPos {
		return nil, false, nil
	}
	if begin == token.NoPos || end == token.NoPos || end < begin {
		return nil, false, fmt.Errorf("BEGIN SOLUTION and END SOLUTION do not pair up")
	}
	var stmts []ast.Stmt
	for _, s := range fd.Body.List {
		if s.Pos() > begin && s.End() < end {
			stmts = append(stmts, s)
		}
	}
	if len(stmts) == 0 {
		return nil, false, fmt.Errorf("empty solution region")
	}
	return stmts, true, nil
}

// forExprs calls f on every expression under n, outermost first, but
// function literals, which are compared as bodies.
func forExprs(n ast.Node, f func(ast.Expr)) {
	ast.Inspect(n, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok && !isFuncLit(e) {
			f(e)
		}
		return true
	})
}

func isFuncLit(e ast.Expr) bool {
	_, ok := e.(*ast.FuncLit)
	return ok
}

// Scan parses every Go file under dir (tests and generated files
// included), and every Go file embedded in another file as a txtar
// archive does it (a `-- name.go --` line, then its source: the
// checker's corpus of hostile submissions), and returns every function
// body, run of statements and expression equal to an answer.
func (a *Answers) Scan(dir string) ([]Leak, error) {
	var leaks []Leak
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(rel, ".go") {
			l, err := a.ScanFile(rel, src)
			leaks = append(leaks, l...)
			return err
		}
		for _, sec := range goSections(src) {
			// An embedded file may be broken on purpose: what parses of
			// it is scanned.
			fset := token.NewFileSet()
			f, _ := parser.ParseFile(fset, rel+": "+sec.name, sec.src, parser.SkipObjectResolution)
			if f != nil {
				leaks = append(leaks, a.scanAST(rel+": "+sec.name, fset, f)...)
			}
		}
		return nil
	})
	return leaks, err
}

// section is a file of a txtar archive.
type section struct {
	name string
	src  []byte
}

var txtarMarker = regexp.MustCompile(`(?m)^-- (\S+) --$`)

// goSections returns the .go files of the txtar archive in src (none
// when src is no archive, or binary).
func goSections(src []byte) []section {
	if slices.Contains(src[:min(len(src), 8000)], 0) {
		return nil
	}
	marks := txtarMarker.FindAllSubmatchIndex(src, -1)
	var out []section
	for i, m := range marks {
		end := len(src)
		if i+1 < len(marks) {
			end = marks[i+1][0]
		}
		if name := string(src[m[2]:m[3]]); strings.HasSuffix(name, ".go") {
			out = append(out, section{name, src[m[1]:end]})
		}
	}
	return out
}

// ScanFile is Scan for one Go file's source; name is how leaks name it.
func (a *Answers) ScanFile(name string, src []byte) ([]Leak, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("answer scan: %v (every Go file of the copy must parse to be scanned: a file meant to be broken takes another suffix, like checker/testdata/broken's .go.txt)", err)
	}
	return a.scanAST(name, fset, f), nil
}

// scanAST is ScanFile on the parsed file f.
func (a *Answers) scanAST(name string, fset *token.FileSet, f *ast.File) []Leak {
	var leaks []Leak
	line := func(p token.Pos) int { return fset.Position(p).Line }
	reported := map[ast.Node]bool{} // inside a reported run: no second report
	var funcs []string              // the functions around the node visited
	bodies := map[*ast.BlockStmt]bool{}
	run := func(list []ast.Stmt, body bool) {
		if len(list) == 0 || reported[list[0]] {
			return
		}
		a.scanStmts(f, list, func(i, j int, ans answer) {
			in := strings.Join(funcs, " in ")
			l := Leak{File: name, Line: line(list[i].Pos()), Answer: ans.name, Kind: "statements",
				Where: fmt.Sprintf("of lines %d to %d of %s", line(list[i].Pos()), line(list[j-1].End()), in)}
			if body && i == 0 && j == len(list) {
				l.Kind, l.Where = "body", "of "+in
			}
			leaks = append(leaks, l)
			for _, s := range list[i:j] {
				ast.Inspect(s, func(n ast.Node) bool { reported[n] = true; return true })
			}
		})
	}
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncDecl:
			if x.Body != nil {
				funcs = append([]string{gen.DeclName(x)}, funcs...)
				bodies[x.Body] = true
				ast.Inspect(x.Body, visit)
				funcs = funcs[1:]
			}
			return false
		case *ast.FuncLit:
			funcs = append([]string{fmt.Sprintf("the function literal of line %d", line(x.Pos()))}, funcs...)
			bodies[x.Body] = true
			ast.Inspect(x.Body, visit)
			funcs = funcs[1:]
			return false
		case *ast.BlockStmt:
			run(x.List, bodies[x])
		case *ast.CaseClause:
			run(x.Body, false)
		case *ast.CommClause:
			run(x.Body, false)
		}
		return true
	}
	// Bodies and runs of statements first, then the expressions not
	// inside a reported run (package-level ones included).
	ast.Inspect(f, visit)
	ast.Inspect(f, func(n ast.Node) bool {
		e, ok := n.(ast.Expr)
		if n == nil || reported[n] || !ok || isFuncLit(e) {
			return n != nil && !reported[n]
		}
		m := newNormalizer(f)
		k := m.expr(e)
		if m.nodes < MinExprNodes {
			return true
		}
		ans, ok := a.exprs[k]
		if !ok {
			return true
		}
		where := "at package level"
		if fn := enclosing(f, e); fn != "" {
			where = "in " + fn
		}
		leaks = append(leaks, Leak{File: name, Line: line(e.Pos()), Kind: "expression", Where: where, Answer: ans.name})
		return false // one report for the outermost expression
	})
	return leaks
}

// enclosing names the function declaration around e ("" at package level).
func enclosing(f *ast.File, e ast.Expr) string {
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Pos() <= e.Pos() && e.End() <= fd.End() {
			return gen.DeclName(fd)
		}
	}
	return ""
}

// scanStmts reports every run list[i:j] equal to an answer body, the
// longest first where runs of several lengths start at i.
func (a *Answers) scanStmts(f *ast.File, list []ast.Stmt, report func(i, j int, ans answer)) {
	for i := 0; i < len(list); i++ {
		if _, ok := a.firsts[shape(f, list[i])]; !ok {
			continue
		}
		for _, k := range a.lens {
			if i+k > len(list) {
				continue
			}
			got := newNormalizer(f).stmts(list[i : i+k])
			if ans, ok := a.bodies[got]; ok {
				report(i, i+k, ans)
				i += k - 1
				break
			}
		}
	}
}

// shape is a statement's normalised form with every name the same: a
// cheap first filter before a run is normalised in full.
func shape(f *ast.File, s ast.Stmt) string {
	n := newNormalizer(f)
	n.blind = true
	return n.stmts([]ast.Stmt{s})
}

// normalizer writes a syntax tree as a string in which only the
// structure and what the code means survive:
//
//   - positions, comments and parentheses are dropped (so are layout and
//     gofmt's choices);
//   - local names (variables, parameters, labels, the package's own
//     functions and types) become v0, v1, ... in order of first
//     appearance, so renaming a variable changes nothing;
//   - the selector names after a dot (fields, methods, a package's
//     members: nn.NewConv2d, r.BN1.Forward), the field names of
//     composite literals (Residual{Conv1: ...}) and the predeclared
//     names (len, append, nil, float64...) are kept: they are what the
//     code calls and builds, fixed by the given code;
//   - a package is written by its import path, whatever the file calls
//     it; the task packages (solutions/, exercises/ and
//     checker/internal/given/ taskN) are one, and a member of one
//     (task4.NewResidual) is a local name like NewResidual in the task's
//     own package;
//   - constant expressions of literals are folded and numbers written by
//     value (400, 16*5*5, 0x190 and 400.0 are alike).
type normalizer struct {
	imports map[string]string // file's name for a package -> canonical path
	names   map[string]string
	nodes   int
	blind   bool // every local name is "v"
	b       strings.Builder
}

var taskPkg = regexp.MustCompile(`^nnkit/(?:solutions|exercises|checker/internal/given)/(task[0-9]+)$`)

func newNormalizer(f *ast.File) *normalizer {
	n := &normalizer{imports: map[string]string{}, names: map[string]string{}}
	for _, im := range f.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		if err != nil {
			continue
		}
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		if name == "_" || name == "." {
			continue
		}
		if m := taskPkg.FindStringSubmatch(p); m != nil {
			p = "task:" + m[1]
		}
		n.imports[name] = p
	}
	return n
}

func (n *normalizer) stmts(list []ast.Stmt) string {
	for _, s := range list {
		n.node(reflect.ValueOf(s))
		n.b.WriteByte(';')
	}
	return n.b.String()
}

func (n *normalizer) expr(e ast.Expr) string {
	n.node(reflect.ValueOf(e))
	return n.b.String()
}

func (n *normalizer) local(name string) string {
	if name == "_" {
		return "_"
	}
	if n.blind {
		return "v"
	}
	v, ok := n.names[name]
	if !ok {
		v = "v" + strconv.Itoa(len(n.names))
		n.names[name] = v
	}
	return v
}

var (
	posType     = reflect.TypeOf(token.NoPos)
	tokType     = reflect.TypeOf(token.ILLEGAL)
	commentType = reflect.TypeOf((*ast.CommentGroup)(nil))
	// ast nodes still carry the deprecated Obj and Scope fields, which
	// node skips, like positions and comments.
	//lint:ignore SA1019 naming the deprecated types is how node skips the fields of those types that ast structs still have
	objType, scopeType = reflect.TypeOf((*ast.Object)(nil)), reflect.TypeOf((*ast.Scope)(nil))
)

func (n *normalizer) node(v reflect.Value) {
	if (v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer) && v.IsNil() {
		n.b.WriteString("_nil ")
		return
	}
	if v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if node, ok := v.Interface().(ast.Node); ok {
		switch x := node.(type) {
		case *ast.ParenExpr:
			n.node(reflect.ValueOf(x.X))
			return
		case *ast.KeyValueExpr:
			// An identifier key in a composite literal is a field name
			// (a struct literal; a map keyed by variables, rare, is
			// compared by name too): kept, like a selector.
			if id, ok := x.Key.(*ast.Ident); ok {
				n.nodes += 2
				n.b.WriteString("(Key " + id.Name + " ")
				n.node(reflect.ValueOf(x.Value))
				n.b.WriteString(")")
				return
			}
		case *ast.Ident:
			n.nodes++
			if predeclared[x.Name] {
				n.b.WriteString(x.Name + " ")
			} else {
				n.b.WriteString(n.local(x.Name) + " ")
			}
			return
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				if p, ok := n.imports[id.Name]; ok {
					n.nodes++
					if strings.HasPrefix(p, "task:") {
						n.b.WriteString(n.local(x.Sel.Name) + " ")
					} else {
						n.b.WriteString("(" + p + "." + x.Sel.Name + ")")
					}
					return
				}
			}
			n.nodes++
			n.b.WriteString("(.")
			n.node(reflect.ValueOf(x.X))
			n.b.WriteString(x.Sel.Name + ")")
			return
		case ast.Expr:
			if c, ok := constValue(x); ok {
				n.nodes++
				n.b.WriteString("#" + constString(c) + " ")
				return
			}
		}
		n.nodes++
	}
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		n.b.WriteString("(" + v.Type().Name())
		for i := range v.NumField() {
			fv, ft := v.Field(i), v.Type().Field(i).Type
			switch ft {
			case posType, commentType, objType, scopeType:
				continue
			case tokType:
				n.b.WriteString(" " + token.Token(fv.Int()).String())
				continue
			}
			n.b.WriteByte(' ')
			n.node(fv)
		}
		n.b.WriteString(")")
	case reflect.Slice:
		n.b.WriteString("[")
		for i := range v.Len() {
			n.node(v.Index(i))
		}
		n.b.WriteString("]")
	case reflect.String:
		n.b.WriteString(strconv.Quote(v.String()))
	case reflect.Bool:
		n.b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int64:
		n.b.WriteString(strconv.FormatInt(v.Int(), 10))
	default:
		n.b.WriteString("?" + v.Kind().String())
	}
}

// constValue folds an expression made of literals and operators.
func constValue(e ast.Expr) (v constant.Value, ok bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		v := constant.MakeFromLiteral(x.Value, x.Kind, 0)
		return v, v.Kind() != constant.Unknown
	case *ast.ParenExpr:
		return constValue(x.X)
	case *ast.UnaryExpr:
		c, ok := constValue(x.X)
		if !ok || (x.Op != token.SUB && x.Op != token.ADD && x.Op != token.XOR && x.Op != token.NOT) {
			return nil, false
		}
		defer func() {
			if recover() != nil { // an operator the operand does not take (^1.5)
				v, ok = nil, false
			}
		}()
		return constant.UnaryOp(x.Op, c, 0), true
	case *ast.BinaryExpr:
		l, ok1 := constValue(x.X)
		r, ok2 := constValue(x.Y)
		if !ok1 || !ok2 {
			return nil, false
		}
		return foldBinary(x.Op, l, r)
	}
	return nil, false
}

func foldBinary(op token.Token, l, r constant.Value) (v constant.Value, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = nil, false
		}
	}()
	switch op {
	case token.SHL, token.SHR:
		s, exact := constant.Uint64Val(r)
		if !exact || s > 64 {
			return nil, false
		}
		return constant.Shift(l, op, uint(s)), true
	case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
		return constant.MakeBool(constant.Compare(l, op, r)), true
	case token.QUO:
		if constant.Sign(r) == 0 {
			return nil, false
		}
		if l.Kind() == constant.Int && r.Kind() == constant.Int {
			op = token.QUO_ASSIGN // integer division, as Go does for untyped integers
		}
	}
	return constant.BinaryOp(l, op, r), true
}

// constString writes a constant by value: an integral number as an
// integer, whatever its spelling.
func constString(c constant.Value) string {
	switch c.Kind() {
	case constant.Int, constant.Float:
		if i := constant.ToInt(c); i.Kind() == constant.Int {
			return i.ExactString()
		}
		return c.ExactString()
	}
	return c.Kind().String() + ":" + c.ExactString()
}

// predeclared are Go's predeclared identifiers (go/types' Universe, which
// a test compares this with): kept by name, where other identifiers are
// renamed. A list rather than go/types, which is a large part of the
// compile time of check, which links this package.
var predeclared = map[string]bool{
	"any": true, "bool": true, "byte": true, "comparable": true, "complex64": true, "complex128": true,
	"error": true, "float32": true, "float64": true, "int": true, "int8": true, "int16": true,
	"int32": true, "int64": true, "rune": true, "string": true, "uint": true, "uint8": true,
	"uint16": true, "uint32": true, "uint64": true, "uintptr": true,
	"true": true, "false": true, "iota": true, "nil": true,
	"append": true, "cap": true, "clear": true, "close": true, "complex": true, "copy": true,
	"delete": true, "imag": true, "len": true, "make": true, "max": true, "min": true, "new": true,
	"panic": true, "print": true, "println": true, "real": true, "recover": true,
}
