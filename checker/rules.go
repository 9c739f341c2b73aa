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

// pkgSource is a student's package as go/parser sees it.
type pkgSource struct {
	dir   string
	name  string // package clause
	fset  *token.FileSet
	files map[string]*srcFile // by base name; test files excluded
	tests []string            // base names of _test.go files (left out of the build)
	funcs map[string]*funcDecl
	// methods are the methods declared in the package, by "T.M" (see
	// declKey); only their positions are used, to charge a compile
	// error inside one to the items that grade it.
	methods map[string]*funcDecl
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
	pkgs map[string]bool // import paths its body refers to
	refs map[string]bool // package-level functions it refers to
}

// violation is one broken rule, charged to the graded functions it
// touches.
type violation struct {
	status Status
	reason string
	funcs  []string // graded functions it costs; empty: a 0-point note
}

func parsePackage(dir string) (*pkgSource, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	p := &pkgSource{dir: dir, fset: token.NewFileSet(), files: map[string]*srcFile{}, funcs: map[string]*funcDecl{}, methods: map[string]*funcDecl{}}
	var syntax []string
	for _, n := range names {
		base := filepath.Base(n)
		if strings.HasSuffix(base, "_test.go") {
			p.tests = append(p.tests, base)
			continue
		}
		src, err := os.ReadFile(n)
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
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
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
			fn := &funcDecl{name: fd.Name.Name, file: f, decl: fd, line: p.fset.Position(fd.Pos()).Line, pkgs: map[string]bool{}, refs: map[string]bool{}}
			ast.Inspect(fd, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if id, ok := n.X.(*ast.Ident); ok {
						if path, ok := f.imports[id.Name]; ok {
							fn.pkgs[path] = true
						}
					}
				case *ast.Ident:
					if top[n.Name] && n.Name != fd.Name.Name {
						fn.refs[n.Name] = true
					}
				}
				return true
			})
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
// graded function declared with its exact signature, and only allowed
// imports. It returns the violations and the graded functions that are
// well formed (safe to bind).
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
	allowed := map[string]bool{}
	for _, a := range t.Allowed {
		allowed[a] = true
	}
	var fileNames []string
	for n := range p.files {
		fileNames = append(fileNames, n)
	}
	sort.Strings(fileNames)
	for _, fname := range fileNames {
		f := p.files[fname]
		for _, is := range f.ast.Imports {
			path, _ := strconv.Unquote(is.Path.Value)
			if allowed[path] {
				continue
			}
			var touched []string
			for _, g := range t.Funcs() {
				// A graded function's own imports do not make its callers
				// break the rule.
				graded := func(n string) bool { return t.FuncType(n) != nil }
				for r := range p.reach(g, graded) {
					if fn := p.funcs[r]; fn != nil && fn.pkgs[path] && (r == g || !graded(r)) {
						touched = append(touched, g)
						break
					}
				}
			}
			reason := fmt.Sprintf("import %q at %s:%d is not allowed (allowed: %s)", path, fname, p.fset.Position(is.Pos()).Line, strings.Join(t.Allowed, ", "))
			if len(touched) > 0 {
				reason += "; used by " + strings.Join(touched, ", ")
			} else {
				reason += "; no graded function uses it, so it costs nothing, but remove it"
			}
			vs = append(vs, violation{status: RuleBroken, reason: reason, funcs: touched})
			for _, g := range touched {
				delete(ok, g)
			}
		}
	}
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
func canonReflect(t reflect.Type) string { return reflectString(t, true) }

// displayReflect spells a type with package names, as a student writes it.
func displayReflect(t reflect.Type) string { return reflectString(t, false) }

func reflectString(t reflect.Type, full bool) string {
	if t.Name() != "" {
		if t.PkgPath() == "" {
			return t.Name()
		}
		if full {
			return t.PkgPath() + "." + t.Name()
		}
		return gen.ImportName(t.PkgPath()) + "." + t.Name()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + reflectString(t.Elem(), full)
	case reflect.Slice:
		return "[]" + reflectString(t.Elem(), full)
	case reflect.Array:
		return fmt.Sprintf("[%d]%s", t.Len(), reflectString(t.Elem(), full))
	case reflect.Map:
		return "map[" + reflectString(t.Key(), full) + "]" + reflectString(t.Elem(), full)
	case reflect.Chan:
		switch t.ChanDir() {
		case reflect.RecvDir:
			return "<-chan " + reflectString(t.Elem(), full)
		case reflect.SendDir:
			return "chan<- " + reflectString(t.Elem(), full)
		}
		return "chan " + reflectString(t.Elem(), full)
	case reflect.Func:
		var in, out []string
		for i := range t.NumIn() {
			if t.IsVariadic() && i == t.NumIn()-1 {
				in = append(in, "..."+reflectString(t.In(i).Elem(), full))
				continue
			}
			in = append(in, reflectString(t.In(i), full))
		}
		for i := range t.NumOut() {
			out = append(out, reflectString(t.Out(i), full))
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
