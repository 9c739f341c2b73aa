package checker

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"nnkit/checker/gen"
)

// pkgSource is a student's package as go/parser sees it, with what else
// its folder holds that the go command would build or that the rules
// refuse (see rules_folder.go).
type pkgSource struct {
	dir   string
	name  string // package clause of the first file, by name
	fset  *token.FileSet
	files map[string]*srcFile // by base name; test files excluded
	tests []string            // base names of _test.go files (left out of the build)
	funcs map[string]*funcDecl
	// methods are the methods declared in the package, by "T.M" (see
	// declKey); only their positions are used, to charge a compile
	// error inside one to the items that grade it.
	methods map[string]*funcDecl
	// inits are the package's init functions: there may be several, and
	// nothing can call them, so they are not in funcs.
	inits []*funcDecl
	// ignored are .go files whose names start with "_" or ".", which go
	// build skips (so does the checker).
	ignored []string
	// strays are folder entries the rules refuse: non-Go sources,
	// go.mod, vendor/, links.
	strays []stray
}

type srcFile struct {
	name    string
	src     []byte
	ast     *ast.File
	imports map[string]string // local name -> path
}

type funcDecl struct {
	name string
	file *srcFile
	decl *ast.FuncDecl
	line int
	refs map[string]bool // package-level functions it refers to
}

// violation is one broken rule. It costs the items whose graded
// functions (funcs) or graded methods (methods) it names, or every item
// when wholeTask is set; one that costs nothing is a 0-point note.
type violation struct {
	status Status
	reason string
	funcs  []string // graded functions it costs; empty: a 0-point note
	// methods are the graded methods it costs, as "T.M" (Item.Methods).
	methods []string
	// wholeTask: the package as a whole breaks the rules (code that runs
	// whatever is graded, directives, foreign files...), so every item
	// scores 0 with status RuleBroken and nothing of it may be built or
	// run. funcs then lists every graded function, so that a caller that
	// only reads funcs charges every item too.
	wholeTask bool
	// stub names the declarations ("F", or "T.M" for a method) that use
	// what the rule forbids: whoever builds the package must stub them out
	// (gen.StubFuncs) and drop the import, since another item's function
	// may still call them.
	stub []string
}

// costs reports whether v takes the points of item it.
func (v violation) costs(it Item) bool {
	shared := func(a, b []string) bool {
		return slices.ContainsFunc(a, func(x string) bool { return slices.Contains(b, x) })
	}
	return v.wholeTask || shared(it.Uses, v.funcs) || shared(it.Methods, v.methods)
}

// note reports whether v costs no item (it is reported at 0 points).
func (v violation) note() bool {
	return !v.wholeTask && len(v.funcs) == 0 && len(v.methods) == 0
}

func parsePackage(dir string) (*pkgSource, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	p := &pkgSource{dir: dir, fset: token.NewFileSet(), files: map[string]*srcFile{}, funcs: map[string]*funcDecl{}, methods: map[string]*funcDecl{}}
	var syntax []string
	for _, e := range entries { // sorted by name
		base := e.Name()
		if !p.sortEntry(e) {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, base))
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(p.fset, base, src, parser.ParseComments)
		if err != nil {
			syntax = append(syntax, err.Error())
			continue
		}
		if p.name == "" {
			p.name = f.Name.Name
		}
		sf := &srcFile{name: base, src: src, ast: f, imports: map[string]string{}}
		for _, is := range f.Imports {
			path, _ := strconv.Unquote(is.Path.Value)
			local := gen.ImportName(path)
			if is.Name != nil {
				local = is.Name.Name
			}
			sf.imports[local] = path
		}
		p.files[base] = sf
	}
	if len(syntax) > 0 {
		return p, &syntaxError{msgs: syntax}
	}
	if len(p.files) == 0 {
		return nil, fmt.Errorf("%s: no Go files (expected the task's package, e.g. exercises/task1)", dir)
	}
	top := map[string]bool{}
	for _, f := range p.files {
		for _, d := range f.ast.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name != "init" {
				top[fd.Name.Name] = true
			}
		}
	}
	for _, f := range p.files {
		for _, d := range f.ast.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			if fd.Recv != nil {
				k := declKey(fd)
				p.methods[k] = &funcDecl{name: k, file: f, decl: fd, line: p.fset.Position(fd.Pos()).Line}
				continue
			}
			fn := &funcDecl{name: fd.Name.Name, file: f, decl: fd, line: p.fset.Position(fd.Pos()).Line, refs: map[string]bool{}}
			ast.Inspect(fd, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && top[id.Name] && id.Name != fd.Name.Name {
					fn.refs[id.Name] = true
				}
				return true
			})
			if fn.name == "init" {
				p.inits = append(p.inits, fn)
				continue
			}
			p.funcs[fn.name] = fn
		}
	}
	return p, nil
}

// declKey names a function declaration: "F" for a function, "T.M" for a
// method M of T or *T.
func declKey(fd *ast.FuncDecl) string { return gen.DeclName(fd) }

type syntaxError struct{ msgs []string }

func (e *syntaxError) Error() string { return strings.Join(e.msgs, "\n") }

// reach returns the package-level functions name calls, directly or
// through other package-level functions, name included. When stop is not
// nil, the walk does not go through the functions it reports (the other
// graded functions, which answer for themselves).
func (p *pkgSource) reach(name string, stop func(string) bool) map[string]bool {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		if n != name && stop != nil && stop(n) {
			return
		}
		if fn := p.funcs[n]; fn != nil {
			for r := range fn.refs {
				walk(r)
			}
		}
	}
	walk(name)
	return seen
}

func (p *pkgSource) pos(fn *funcDecl) string { return fmt.Sprintf("%s:%d", fn.file.name, fn.line) }

// checkRules checks the task's rules on the student's source: every
// graded function declared with its exact signature, and, over the whole
// package (every file, import, init, package variable, method and
// directive, and what else the folder holds), nothing that could run
// outside the graded functions or change what gets built. It returns
// the violations, those that cost the whole task first, and the graded
// functions that are well formed (safe to bind); after a whole-task
// violation none is.
func checkRules(t *Task, p *pkgSource) (vs []violation, ok map[string]bool) {
	ok = map[string]bool{}
	for _, name := range t.Funcs() {
		fn := p.funcs[name]
		if fn == nil {
			reason := fmt.Sprintf("missing: no function %s", name)
			if other := p.similar(name); other != nil {
				reason += fmt.Sprintf(" (found %s at %s: keep the name %s, the checker binds to it)", other.name, p.pos(other), name)
			}
			vs = append(vs, violation{status: RuleBroken, reason: reason, funcs: []string{name}})
			continue
		}
		want := canonReflect(t.FuncType(name))
		got := canonAST(fn.decl.Type, fn.file.imports)
		if want != got {
			vs = append(vs, violation{status: RuleBroken, funcs: []string{name}, reason: fmt.Sprintf(
				"changed signature at %s: %s has type %s, expected %s (keep the signature; the checker calls it)",
				p.pos(fn), name, displayAST(fn.decl.Type, fn.file.imports), displayReflect(t.FuncType(name)))})
			continue
		}
		ok[name] = true
	}
	vs = append(vs, checkFolder(t, p)...)
	vs = append(vs, checkFiles(t, p)...)
	vs = append(vs, checkImports(t, p)...)
	whole := false
	for i := range vs {
		if vs[i].wholeTask {
			whole = true
			vs[i].status = RuleBroken
			vs[i].funcs = t.Funcs()
		}
		for _, g := range vs[i].funcs {
			delete(ok, g)
		}
	}
	if whole {
		clear(ok)
	}
	// Whole-task reasons first: a caller that keeps the first reason for
	// each item then shows the one that decided it.
	slices.SortStableFunc(vs, func(a, b violation) int {
		rank := func(v violation) int {
			switch {
			case v.wholeTask:
				return 0
			case v.note():
				return 2
			}
			return 1
		}
		return rank(a) - rank(b)
	})
	return vs, ok
}

// similar finds a package-level function whose name looks like name
// (same letters in another case, or one edit away).
func (p *pkgSource) similar(name string) *funcDecl {
	var best *funcDecl
	bestD := 3
	var names []string
	for n := range p.funcs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := editDistance(strings.ToLower(n), strings.ToLower(name))
		if strings.Contains(strings.ToLower(n), strings.ToLower(name)) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = p.funcs[n], d
		}
	}
	return best
}

// EditDistance is the Levenshtein distance between a and b, in bytes:
// the CLI suggests the command a typo meant with it.
func EditDistance(a, b string) int { return editDistance(a, b) }

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev = cur
	}
	return prev[len(b)]
}

// canonReflect spells a type with full import paths, the way canonAST
// spells a type written in source, so that the two can be compared.
func canonReflect(t reflect.Type) string {
	return reflectString(t, func(path string) string { return path })
}

// displayReflect spells a type with package names, as a student writes it.
func displayReflect(t reflect.Type) string { return reflectString(t, gen.ImportName) }

// reflectString spells t as Go source, naming each package by pkg(its
// import path).
func reflectString(t reflect.Type, pkg func(path string) string) string {
	if t.Name() != "" {
		if t.PkgPath() == "" {
			return t.Name()
		}
		return pkg(t.PkgPath()) + "." + t.Name()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + reflectString(t.Elem(), pkg)
	case reflect.Slice:
		return "[]" + reflectString(t.Elem(), pkg)
	case reflect.Array:
		return fmt.Sprintf("[%d]%s", t.Len(), reflectString(t.Elem(), pkg))
	case reflect.Map:
		return "map[" + reflectString(t.Key(), pkg) + "]" + reflectString(t.Elem(), pkg)
	case reflect.Chan:
		switch t.ChanDir() {
		case reflect.RecvDir:
			return "<-chan " + reflectString(t.Elem(), pkg)
		case reflect.SendDir:
			return "chan<- " + reflectString(t.Elem(), pkg)
		}
		return "chan " + reflectString(t.Elem(), pkg)
	case reflect.Func:
		var in, out []string
		for i := range t.NumIn() {
			if t.IsVariadic() && i == t.NumIn()-1 {
				in = append(in, "..."+reflectString(t.In(i).Elem(), pkg))
				continue
			}
			in = append(in, reflectString(t.In(i), pkg))
		}
		for i := range t.NumOut() {
			out = append(out, reflectString(t.Out(i), pkg))
		}
		return funcString(in, out)
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return "interface {}"
		}
	}
	return t.String()
}

func funcString(in, out []string) string {
	s := "func(" + strings.Join(in, ", ") + ")"
	switch len(out) {
	case 0:
	case 1:
		s += " " + out[0]
	default:
		s += " (" + strings.Join(out, ", ") + ")"
	}
	return s
}

var builtinAlias = map[string]string{"byte": "uint8", "rune": "int32", "any": "interface {}"}

func canonAST(e ast.Expr, imports map[string]string) string   { return astString(e, imports, true) }
func displayAST(e ast.Expr, imports map[string]string) string { return astString(e, imports, false) }

func astString(e ast.Expr, imports map[string]string, full bool) string {
	rec := func(e ast.Expr) string { return astString(e, imports, full) }
	switch e := e.(type) {
	case *ast.Ident:
		if a, ok := builtinAlias[e.Name]; ok && full {
			return a
		}
		if full && !isPredeclared(e.Name) {
			return "(local)." + e.Name
		}
		return e.Name
	case *ast.SelectorExpr:
		if id, ok := e.X.(*ast.Ident); ok {
			if path, ok := imports[id.Name]; ok {
				if full {
					return path + "." + e.Sel.Name
				}
				return gen.ImportName(path) + "." + e.Sel.Name
			}
			return id.Name + "." + e.Sel.Name
		}
	case *ast.ParenExpr:
		return rec(e.X)
	case *ast.StarExpr:
		return "*" + rec(e.X)
	case *ast.Ellipsis:
		return "..." + rec(e.Elt)
	case *ast.ArrayType:
		if e.Len == nil {
			return "[]" + rec(e.Elt)
		}
		if bl, ok := e.Len.(*ast.BasicLit); ok {
			return "[" + bl.Value + "]" + rec(e.Elt)
		}
	case *ast.MapType:
		return "map[" + rec(e.Key) + "]" + rec(e.Value)
	case *ast.ChanType:
		switch e.Dir {
		case ast.RECV:
			return "<-chan " + rec(e.Value)
		case ast.SEND:
			return "chan<- " + rec(e.Value)
		}
		return "chan " + rec(e.Value)
	case *ast.FuncType:
		list := func(fl *ast.FieldList) []string {
			var s []string
			if fl == nil {
				return nil
			}
			for _, f := range fl.List {
				for range max(len(f.Names), 1) {
					s = append(s, rec(f.Type))
				}
			}
			return s
		}
		return funcString(list(e.Params), list(e.Results))
	case *ast.InterfaceType:
		if e.Methods == nil || len(e.Methods.List) == 0 {
			return "interface {}"
		}
	}
	return fmt.Sprintf("(unsupported %T)", e)
}

var predeclared = []string{"bool", "string", "error", "any", "int", "int8", "int16", "int32", "int64",
	"uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "float32", "float64",
	"complex64", "complex128", "byte", "rune"}

func isPredeclared(n string) bool { return slices.Contains(predeclared, n) }
