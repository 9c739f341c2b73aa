package similar_test

// The disguise generator of the robustness corpus (testdata/corpus).
//
// testdata/corpus/<task>/<style>.go.txt (Go source, named so that the go
// command and gofmt pass it by: some disguises are badly formatted on
// purpose) are independent correct solutions, written by hand in
// different styles, each a whole file as a student submits it (the stub with its graded functions filled in, the given
// helpers untouched). <style>.splitmerge.go.txt are hand-made copies with
// helper functions split out or merged in (not mechanical). Every other
// <style>.<disguise>.go.txt is generated from <style>.go.txt by the disguises
// below, with go/ast and go/types, and stored so that the corpus is
// fixed and reviewable: TestCorpusDisguises regenerates them and fails
// on any difference (-corpus-update rewrites them). "all" chains every
// disguise, starting from the splitmerge copy. A disguise that changes
// nothing in an original (no index loop to turn into a range loop)
// yields no file. The test type-checks every file against the kit; that
// each also scores full marks was checked with `check` when it was made
// (see testdata/corpus/README.md).

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("corpus-update", false, "rewrite the generated disguises in testdata/corpus")

const corpusDir = "testdata/corpus"

// corpusExt is the corpus files' suffix: Go source that is no package of
// the module (the go command, gofmt and vet pass it by), as
// checker/testdata/broken's; some disguises are badly formatted on
// purpose.
const corpusExt = ".go.txt"

// corpusTasks are the tasks the corpus covers.
var corpusTasks = []string{"task1", "task2", "task4"}

// disguise rewrites one submission file; kit tells the task's given
// helpers (kept as they are) from the code the student wrote.
type disguise struct {
	name  string
	apply func(src []byte, kit kitFuncs) ([]byte, error)
}

// mechanical are the generated disguises, in the order "all" chains them.
var mechanical = []disguise{
	{"loops", rangeLoops},
	{"swap", swapStatements},
	{"rename", renameAll},
	{"reorder", reorderFuncs},
	{"comments", recomment},
}

// disguiseNames are every disguise of the table, in its order.
func disguiseNames() []string {
	names := []string{}
	for _, d := range mechanical {
		names = append(names, d.name)
	}
	return append(names, "splitmerge", "all")
}

// kitFuncs are the functions and methods of a task's stub, by funcKey:
// graded (the stub's body says YOUR IMPLEMENTATION HERE) and given
// (everything else).
type kitFuncs struct {
	graded, given map[string]bool
}

// student reports whether a function of a submission is the student's
// work: graded, or not in the stub at all.
func (k kitFuncs) student(fd *ast.FuncDecl) bool { return !k.given[funcKey(fd)] }

// funcKey names a function F or a method T.M.
func funcKey(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if st, ok := t.(*ast.StarExpr); ok {
		t = st.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

func readKitFuncs(t testing.TB, task string) kitFuncs {
	t.Helper()
	k := kitFuncs{graded: map[string]bool{}, given: map[string]bool{}}
	names, err := filepath.Glob(filepath.Join("..", "..", "exercises", task, "*.go"))
	if err != nil || len(names) == 0 {
		t.Fatalf("the stubs of %s: found %d files (%v), expected exercises/%s/*.go", task, len(names), err, task)
	}
	for _, n := range names {
		src, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, n, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			body := string(src[fset.Position(fd.Pos()).Offset:fset.Position(fd.End()).Offset])
			if strings.Contains(body, "YOUR IMPLEMENTATION HERE") {
				k.graded[funcKey(fd)] = true
			} else {
				k.given[funcKey(fd)] = true
			}
		}
	}
	return k
}

// corpusFile is one file of the corpus: an original (Disguise "") or a
// copy of one.
type corpusFile struct {
	Task, Style, Disguise string
	Path                  string
}

// readCorpus lists the corpus of a task from disk.
func readCorpus(t testing.TB, task string) []corpusFile {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(corpusDir, task, "*"+corpusExt))
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusFile
	for _, n := range names {
		parts := strings.Split(strings.TrimSuffix(filepath.Base(n), corpusExt), ".")
		c := corpusFile{Task: task, Style: parts[0], Path: n}
		switch len(parts) {
		case 1:
		case 2:
			c.Disguise = parts[1]
			if !slices.Contains(disguiseNames(), c.Disguise) {
				t.Fatalf("%s: unknown disguise %q, expected one of %v", n, c.Disguise, disguiseNames())
			}
		default:
			t.Fatalf("%s: expected <style>"+corpusExt+" or <style>.<disguise>"+corpusExt, n)
		}
		out = append(out, c)
	}
	return out
}

// generate computes every mechanical disguise and "all" of the original
// style of task, by disguise name; a disguise that changes nothing is
// absent.
func generate(t testing.TB, task, style string, kit kitFuncs) map[string][]byte {
	t.Helper()
	orig := mustRead(t, filepath.Join(corpusDir, task, style+corpusExt))
	out := map[string][]byte{}
	for _, d := range mechanical {
		b, err := d.apply(orig, kit)
		if err != nil {
			t.Fatalf("%s/%s: disguise %s: %v", task, style, d.name, err)
		}
		if !bytes.Equal(b, orig) {
			out[d.name] = b
		}
	}
	all := mustRead(t, filepath.Join(corpusDir, task, style+".splitmerge"+corpusExt))
	for _, d := range mechanical {
		var err error
		if all, err = d.apply(all, kit); err != nil {
			t.Fatalf("%s/%s: all (at %s): %v", task, style, d.name, err)
		}
	}
	out["all"] = all
	return out
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCorpusDisguises: the stored disguises are what the generator makes
// of the originals, every original has its hand-made splitmerge copy, and
// every corpus file type-checks against the kit (a disguise that broke
// the code would measure nothing).
func TestCorpusDisguises(t *testing.T) {
	for _, task := range corpusTasks {
		kit := readKitFuncs(t, task)
		files := readCorpus(t, task)
		stored := map[string]bool{}
		var styles []string
		for _, c := range files {
			stored[c.Style+"."+c.Disguise] = true
			if c.Disguise == "" {
				styles = append(styles, c.Style)
			}
		}
		if len(styles) < 4 {
			t.Errorf("%s: %d independent solutions %v, expected at least 4", task, len(styles), styles)
		}
		for _, style := range styles {
			if !stored[style+".splitmerge"] {
				t.Errorf("%s: no %s.splitmerge.go: expected a hand-made copy of %s.go with helpers split or merged", task, style, style)
				continue
			}
			gen := generate(t, task, style, kit)
			for _, name := range disguiseNames() {
				if name == "splitmerge" {
					continue
				}
				path := filepath.Join(corpusDir, task, style+"."+name+corpusExt)
				want, ok := gen[name]
				if *update {
					if !ok {
						_ = os.Remove(path)
						continue
					}
					if err := os.WriteFile(path, want, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				got, err := os.ReadFile(path)
				switch {
				case !ok && err == nil:
					t.Errorf("%s: stored, but disguise %s changes nothing in %s.go (run with -corpus-update)", path, name, style)
				case ok && err != nil:
					t.Errorf("%s: missing (run with -corpus-update): %v", path, err)
				case ok && !bytes.Equal(got, want):
					t.Errorf("%s: differs from what the generator makes of %s.go (run with -corpus-update)", path, style)
				}
			}
		}
		for _, c := range readCorpus(t, task) {
			if _, _, err := typeCheck(mustRead(t, c.Path)); err != nil {
				t.Errorf("%s does not type-check against the kit: %v", c.Path, err)
			}
		}
	}
}

// The importer reads the compiler's export data of every package a
// corpus file may import (the allowed imports of the corpus's tasks),
// which `go list -export` builds or finds in the build cache: much faster
// than type-checking gonum from source for every file. Not safe for
// concurrent use, hence the lock.
var (
	importerMu sync.Mutex
	exportImp  types.Importer
	importErr  error
	sourceFset = token.NewFileSet()
)

// corpusImports are the packages corpus files import (with their
// dependencies, listed by go list -deps).
var corpusImports = []string{"fmt", "math", "math/rand/v2", "slices", "gonum.org/v1/gonum/mat", "gonum.org/v1/gonum/floats", "nnkit/data", "nnkit/nn", "nnkit/optim", "nnkit/spec", "nnkit/tensor"}

func newExportImporter() (types.Importer, error) {
	out, err := exec.Command("go", append([]string{"list", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}"}, corpusImports...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		return nil, fmt.Errorf("go list -export: %v", err)
	}
	exports := map[string]string{}
	for line := range strings.Lines(string(out)) {
		path, file, _ := strings.Cut(strings.TrimSpace(line), "=")
		exports[path] = file
	}
	return importer.ForCompiler(sourceFset, "gc", func(path string) (io.ReadCloser, error) {
		file := exports[path]
		if file == "" {
			return nil, fmt.Errorf("no export data for %q: expected one of the corpus imports %v or their dependencies", path, corpusImports)
		}
		return os.Open(file)
	}), nil
}

// submissionPath prefixes the import path a corpus file is checked as.
const submissionPath = "submission/"

// typeCheck parses src and type-checks it as its own package against the
// module's packages.
func typeCheck(src []byte) (*ast.File, *types.Info, error) {
	importerMu.Lock()
	defer importerMu.Unlock()
	if exportImp == nil && importErr == nil {
		exportImp, importErr = newExportImporter()
	}
	if importErr != nil {
		return nil, nil, importErr
	}
	f, err := parser.ParseFile(sourceFset, "submission.go", src, parser.ParseComments)
	if err != nil {
		return nil, nil, err
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: exportImp}
	_, err = conf.Check(submissionPath+f.Name.Name, sourceFset, []*ast.File{f}, info)
	return f, info, err
}

// offsets turns positions of sourceFset (or any fset) into byte offsets.
func offset(fset *token.FileSet, p token.Pos) int { return fset.Position(p).Offset }

// edit replaces src[from:to] with text.
type edit struct {
	from, to int
	text     string
}

// applyEdits applies non-overlapping edits and gofmts the result.
func applyEdits(src []byte, edits []edit) ([]byte, error) {
	sort.Slice(edits, func(i, j int) bool { return edits[i].from > edits[j].from })
	out := slices.Clone(src)
	for i, e := range edits {
		if i > 0 && e.to > edits[i-1].from {
			return nil, fmt.Errorf("overlapping edits at bytes %d and %d", e.from, edits[i-1].from)
		}
		out = slices.Concat(out[:e.from], []byte(e.text), out[e.to:])
	}
	return format.Source(out)
}

// studentFuncs are the functions and methods the student wrote.
func studentFuncs(f *ast.File, kit kitFuncs) []*ast.FuncDecl {
	var out []*ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && kit.student(fd) {
			out = append(out, fd)
		}
	}
	return out
}

// rangeLoops turns `for i := 0; i < n; i++` into `for i := range n` (and
// `i < len(s)` into `range s` for a slice s) where the body assigns
// neither i nor what n is made of, so the two loops run alike.
func rangeLoops(src []byte, kit kitFuncs) ([]byte, error) {
	f, info, err := typeCheck(src)
	if err != nil {
		return nil, err
	}
	var edits []edit
	for _, fd := range studentFuncs(f, kit) {
		ast.Inspect(fd, func(n ast.Node) bool {
			loop, ok := n.(*ast.ForStmt)
			if !ok {
				return true
			}
			i, bound, ok := countingLoop(loop)
			if !ok {
				return true
			}
			assigned := assignedNames(loop.Body)
			if assigned[i] {
				return true
			}
			for _, name := range identNames(bound) {
				if assigned[name] {
					return true
				}
			}
			over := exprText(src, bound)
			if call, ok := bound.(*ast.CallExpr); ok && isIdent(call.Fun, "len") && len(call.Args) == 1 {
				if _, isSlice := info.TypeOf(call.Args[0]).Underlying().(*types.Slice); isSlice {
					over = exprText(src, call.Args[0])
				}
			}
			head := i + " := range "
			if !slices.Contains(identNames(loop.Body), i) {
				head = "range " // a range variable must be used
			}
			edits = append(edits, edit{offset(sourceFset, loop.Init.Pos()), offset(sourceFset, loop.Body.Lbrace), head + over + " "})
			return true
		})
	}
	return applyEdits(src, edits)
}

// countingLoop matches `for i := 0; i < bound; i++`.
func countingLoop(loop *ast.ForStmt) (string, ast.Expr, bool) {
	init, ok := loop.Init.(*ast.AssignStmt)
	if !ok || init.Tok != token.DEFINE || len(init.Lhs) != 1 || len(init.Rhs) != 1 {
		return "", nil, false
	}
	id, ok := init.Lhs[0].(*ast.Ident)
	if lit, isLit := init.Rhs[0].(*ast.BasicLit); !ok || !isLit || lit.Value != "0" {
		return "", nil, false
	}
	cond, ok := loop.Cond.(*ast.BinaryExpr)
	if !ok || cond.Op != token.LSS || !isIdent(cond.X, id.Name) {
		return "", nil, false
	}
	post, ok := loop.Post.(*ast.IncDecStmt)
	if !ok || post.Tok != token.INC || !isIdent(post.X, id.Name) {
		return "", nil, false
	}
	return id.Name, cond.Y, true
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func exprText(src []byte, e ast.Node) string {
	return string(src[offset(sourceFset, e.Pos()):offset(sourceFset, e.End())])
}

// identNames lists the identifiers in n (not selected field or method
// names).
func identNames(n ast.Node) []string {
	var out []string
	ast.Inspect(n, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			out = append(out, identNames(sel.X)...)
			return false
		}
		if id, ok := n.(*ast.Ident); ok {
			out = append(out, id.Name)
		}
		return true
	})
	return out
}

// rootName is the variable an assignment to e changes: x for x, x[i],
// x.f, *x.
func rootName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return x.Name
		case *ast.IndexExpr:
			e = x.X
		case *ast.SelectorExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		default:
			return ""
		}
	}
}

// assignedNames are the variables n assigns to, increments or takes the
// address of.
func assignedNames(n ast.Node) map[string]bool {
	out := map[string]bool{}
	ast.Inspect(n, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			for _, l := range x.Lhs {
				out[rootName(l)] = true
			}
		case *ast.IncDecStmt:
			out[rootName(x.X)] = true
		case *ast.RangeStmt:
			if x.Key != nil {
				out[rootName(x.Key)] = true
			}
			if x.Value != nil {
				out[rootName(x.Value)] = true
			}
		case *ast.UnaryExpr:
			if x.Op == token.AND {
				out[rootName(x.X)] = true
			}
		}
		return true
	})
	return out
}

// swapStatements swaps adjacent statements of the student's functions
// that are independent: simple assignments or declarations, neither of
// which writes what the other reads or writes. A call may change what its
// receiver and arguments point to, so those count as written when their
// type is a pointer, slice, map or interface; a statement that is only a
// call (it acts through state the code does not name: Backward, Step,
// printing) is never moved.
func swapStatements(src []byte, kit kitFuncs) ([]byte, error) {
	f, info, err := typeCheck(src)
	if err != nil {
		return nil, err
	}
	var edits []edit
	for _, fd := range studentFuncs(f, kit) {
		ast.Inspect(fd, func(n ast.Node) bool {
			var list []ast.Stmt
			switch b := n.(type) {
			case *ast.BlockStmt:
				list = b.List
			case *ast.CaseClause:
				list = b.Body
			default:
				return true
			}
			for i := 0; i+1 < len(list); i++ {
				a, b := effects(list[i], info), effects(list[i+1], info)
				if a == nil || b == nil || a.conflicts(b) {
					continue
				}
				at, bt := exprText(src, list[i]), exprText(src, list[i+1])
				between := string(src[offset(sourceFset, list[i].End()):offset(sourceFset, list[i+1].Pos())])
				edits = append(edits, edit{offset(sourceFset, list[i].Pos()), offset(sourceFset, list[i+1].End()), bt + between + at})
				i++
			}
			return true
		})
	}
	return applyEdits(src, edits)
}

// stmtEffects are the names a statement reads and writes.
type stmtEffects struct{ reads, writes map[string]bool }

func (a *stmtEffects) conflicts(b *stmtEffects) bool {
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

// effects returns what s reads and writes, or nil when s may not move:
// it is not a simple assignment or declaration, or holds a function
// literal or a print.
func effects(s ast.Stmt, info *types.Info) *stmtEffects {
	e := &stmtEffects{reads: map[string]bool{}, writes: map[string]bool{}}
	var rhs []ast.Expr
	switch x := s.(type) {
	case *ast.AssignStmt:
		for _, l := range x.Lhs {
			if r := rootName(l); r != "" && r != "_" {
				e.writes[r] = true
				if x.Tok != token.DEFINE && x.Tok != token.ASSIGN {
					e.reads[r] = true
				}
			}
			if _, plain := l.(*ast.Ident); !plain {
				rhs = append(rhs, l) // the index of x[i] = ... is read
			}
		}
		rhs = append(rhs, x.Rhs...)
	case *ast.DeclStmt:
		gd, ok := x.Decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			return nil
		}
		for _, sp := range gd.Specs {
			vs := sp.(*ast.ValueSpec)
			for _, n := range vs.Names {
				e.writes[n.Name] = true
			}
			rhs = append(rhs, vs.Values...)
		}
	case *ast.IncDecStmt:
		r := rootName(x.X)
		e.writes[r], e.reads[r] = true, true
		rhs = append(rhs, x.X)
	default:
		return nil
	}
	movable := true
	for _, r := range rhs {
		ast.Inspect(r, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncLit:
				movable = false
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && isIdent(sel.X, "fmt") {
					movable = false
				}
				if touchesGlobals(x, info) {
					e.reads[globalState], e.writes[globalState] = true, true
				}
				args := slices.Clone(x.Args)
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
					args = append(args, sel.X)
				}
				for _, a := range args {
					if id, ok := a.(*ast.Ident); ok {
						if _, pkg := info.Uses[id].(*types.PkgName); pkg {
							continue
						}
					}
					if name := rootName(a); name != "" && mutable(info.TypeOf(a)) {
						e.writes[name] = true
					}
				}
			case *ast.Ident:
				e.reads[x.Name] = true
			}
			return true
		})
	}
	if !movable {
		return nil
	}
	return e
}

// globalState stands for what calls change without naming it: nn's
// default generator, which every layer constructor draws from, so two
// layers built in the other order get each other's weights.
const globalState = "<global state>"

// touchesGlobals reports whether call may read or change global state:
// it calls a function of the submission itself (which may build layers),
// of nnkit/nn, or of math/rand.
func touchesGlobals(call *ast.CallExpr, info *types.Info) bool {
	var id *ast.Ident
	switch f := call.Fun.(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	default:
		return false
	}
	fn, ok := info.Uses[id].(*types.Func)
	if !ok || fn.Pkg() == nil {
		return false // a builtin, a conversion or a func value
	}
	if sig, _ := fn.Type().(*types.Signature); sig != nil && sig.Recv() != nil {
		return false // a method: its receiver counts as written
	}
	path := fn.Pkg().Path()
	return strings.HasPrefix(path, submissionPath) || path == "nnkit/nn" || strings.HasPrefix(path, "math/rand")
}

// mutable reports whether a call given a value of type t can change what
// the caller sees through it.
func mutable(t types.Type) bool {
	if t == nil {
		return true
	}
	switch t.Underlying().(type) {
	case *types.Pointer, *types.Slice, *types.Map, *types.Interface, *types.Chan:
		return true
	}
	return false
}

// renameAll gives every name the student chose a new one: the locals,
// parameters and receivers of the student's functions and methods, and
// the functions and methods the student added (graded and given ones keep
// their names: the checker binds to them).
func renameAll(src []byte, kit kitFuncs) ([]byte, error) {
	f, info, err := typeCheck(src)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			used[id.Name] = true
		}
		return true
	})
	names := map[types.Object]string{}
	fresh := func(obj types.Object) {
		if _, done := names[obj]; done || obj.Name() == "_" {
			return
		}
		for i := len(names); ; i++ {
			n := renameWords[i%len(renameWords)] + fmt.Sprint(i/len(renameWords))
			if !used[n] {
				used[n] = true
				names[obj] = n
				return
			}
		}
	}
	funcs := studentFuncs(f, kit)
	for _, fd := range funcs {
		if !kit.graded[funcKey(fd)] {
			fresh(info.Defs[fd.Name])
		}
		ast.Inspect(fd, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id != fd.Name {
				if obj, ok := info.Defs[id].(*types.Var); ok && !obj.IsField() {
					fresh(obj)
				}
			}
			return true
		})
	}
	for id, obj := range info.Defs {
		if n, ok := names[obj]; ok {
			id.Name = n
		}
	}
	for id, obj := range info.Uses {
		if n, ok := names[obj]; ok {
			id.Name = n
		}
	}
	var buf bytes.Buffer
	if err := format.Node(&buf, sourceFset, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// renameWords make the new names look chosen rather than generated.
var renameWords = []string{"val", "tmp", "acc", "buf", "cur", "arr", "mat0", "res", "item", "elem", "data0", "num", "cnt", "ptr", "vec", "grid"}

// reorderFuncs shuffles the order of the top-level declarations after the
// first function (each with its doc comment), with a fixed seed.
func reorderFuncs(src []byte, kit kitFuncs) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "submission.go", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	first := slices.IndexFunc(f.Decls, func(d ast.Decl) bool { _, ok := d.(*ast.FuncDecl); return ok })
	if first < 0 {
		return src, nil
	}
	start := func(d ast.Decl) int {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Doc != nil {
			return offset(fset, fd.Doc.Pos())
		}
		if gd, ok := d.(*ast.GenDecl); ok && gd.Doc != nil {
			return offset(fset, gd.Doc.Pos())
		}
		return offset(fset, d.Pos())
	}
	decls := f.Decls[first:]
	units := make([]string, len(decls))
	for i, d := range decls {
		units[i] = string(src[start(d):offset(fset, d.End())])
	}
	order := rand.New(rand.NewPCG(1, 2)).Perm(len(units))
	if slices.IsSorted(order) {
		slices.Reverse(order)
	}
	var b strings.Builder
	for _, i := range order {
		b.WriteString(units[i] + "\n\n")
	}
	return applyEdits(src, []edit{{start(decls[0]), offset(fset, decls[len(decls)-1].End()), b.String()}})
}

// recomment removes every comment inside or above the student's
// functions, writes a new doc comment above each, and prints the file
// indented with spaces instead of tabs, with a blank line after every
// opening brace.
func recomment(src []byte, kit kitFuncs) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "submission.go", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var edits []edit
	for _, fd := range studentFuncs(f, kit) {
		from, to := fd.Pos(), fd.End()
		if fd.Doc != nil {
			from = fd.Doc.Pos()
		}
		for _, cg := range f.Comments {
			if cg.Pos() >= from && cg.End() <= to {
				for _, c := range cg.List {
					edits = append(edits, edit{offset(fset, c.Pos()), offset(fset, c.End()), ""})
				}
			}
		}
		edits = append(edits, edit{offset(fset, fd.Pos()), offset(fset, fd.Pos()), "// " + fd.Name.Name + ": my implementation, see the task sheet.\n"})
	}
	out, err := applyEdits(src, edits)
	if err != nil {
		return nil, err
	}
	f, err = parser.ParseFile(fset, "submission.go", out, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := (&printer.Config{Mode: printer.UseSpaces, Tabwidth: 2}).Fprint(&buf, fset, f); err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(buf.Bytes(), []byte("{\n"), []byte("{\n\n")), nil
}
