// Package gen generates the exercise stubs of nnkit from the reference
// solutions: exercises/taskN is solutions/taskN with the body of every
// graded function replaced by a stub that compiles and returns zero
// values.
//
// In a solution file, a graded function's whole body sits between two
// marker comments:
//
//	func Relu(X *mat.Dense) *mat.Dense {
//		// BEGIN SOLUTION [3 pts]
//		...
//		// END SOLUTION
//	}
//
// and the exercise file gets
//
//	func Relu(X *mat.Dense) *mat.Dense {
//		// YOUR IMPLEMENTATION HERE [3 pts]
//		return nil
//	}
//
// Everything else (package doc, helpers, doc comments) is copied, imports
// that nothing uses any more are dropped, and the file is gofmt'ed. Test
// files are not copied. The zero values come from the result types as
// written (go/ast): nil for pointers, slices, maps, channels, functions,
// interfaces and error; 0, "" and false for basic types; T{} for struct
// and array types declared in the package; nil for a type of another
// package of the module or of the standard library whose declaration
// (parsed, not type-checked: see SourceResolver) is an interface,
// pointer, slice, map, channel or function type, as nn.Module; *new(T)
// for any other named type, which is the zero value of every type.
//
// Write regenerates every exercise without ever losing a student's work:
// see its comment.
package gen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The markers. Begin and Stub are followed by the points, as "[3 pts]".
const (
	BeginMarker = "// BEGIN SOLUTION"
	EndMarker   = "// END SOLUTION"
	StubMarker  = "// YOUR IMPLEMENTATION HERE"
)

// Region is one graded function found in a solution file.
type Region struct {
	Func   string  // the function's name
	Points float64 // the points in its BEGIN SOLUTION marker
	Line   int     // the line of the function declaration
}

var pointsRE = regexp.MustCompile(`^\[\s*([0-9]+(?:\.[0-9]+)?)\s*pts?\s*\]$`)

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// Stub turns a solution file into its exercise: every function whose body
// is a BEGIN SOLUTION ... END SOLUTION region gets the stub body, and
// imports left unused are removed. It returns the regions it replaced, in
// source order. A marker anywhere else (outside a function body, or with
// statements before BEGIN or after END) is an error naming the line, so
// that a solution can never leak into an exercise.
func Stub(filename string, src []byte) ([]byte, []Region, error) {
	return StubWith(filename, src, nil)
}

// StubWith is Stub with a Resolver for the types of imported packages:
// Generate passes SourceResolver(root), so that an imported interface
// result (nn.Module) is stubbed as nil rather than *new(nn.Module).
func StubWith(filename string, src []byte, resolve Resolver) ([]byte, []Region, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments)
	if err != nil {
		return nil, nil, err
	}
	tf := fset.File(f.Pos())
	types := localTypes(f)
	z := zeroer{types: types, imports: fileImports(f), resolve: resolve}
	var edits []edit
	var regions []Region
	var stubbed []*ast.FuncDecl
	claimed := map[*ast.Comment]bool{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		var begin, end *ast.Comment
		for _, cg := range f.Comments {
			if cg.Pos() < fd.Body.Lbrace || cg.End() > fd.Body.Rbrace {
				continue
			}
			for _, c := range cg.List {
				switch {
				case strings.HasPrefix(c.Text, BeginMarker):
					if begin != nil {
						return nil, nil, fmt.Errorf("%s: second %s in %s", fset.Position(c.Pos()), BeginMarker, fd.Name.Name)
					}
					begin = c
				case strings.HasPrefix(c.Text, EndMarker):
					end = c
				default:
					continue
				}
				claimed[c] = true
			}
		}
		if begin == nil && end == nil {
			continue
		}
		if begin == nil || end == nil || end.Pos() < begin.Pos() {
			return nil, nil, fmt.Errorf("%s: %s needs both %s and %s, in that order", fset.Position(fd.Pos()), fd.Name.Name, BeginMarker, EndMarker)
		}
		for _, s := range fd.Body.List {
			if s.Pos() < begin.Pos() || s.End() > end.Pos() {
				return nil, nil, fmt.Errorf("%s: statement outside the solution region of %s: the region must cover the whole body", fset.Position(s.Pos()), fd.Name.Name)
			}
		}
		tag := strings.TrimSpace(strings.TrimPrefix(begin.Text, BeginMarker))
		m := pointsRE.FindStringSubmatch(tag)
		if m == nil {
			return nil, nil, fmt.Errorf("%s: %s of %s must give the points as \"[N pts]\", found %q", fset.Position(begin.Pos()), BeginMarker, fd.Name.Name, tag)
		}
		pts, _ := strconv.ParseFloat(m[1], 64)
		regions = append(regions, Region{Func: fd.Name.Name, Points: pts, Line: fset.Position(fd.Pos()).Line})
		stubbed = append(stubbed, fd)
		edits = append(edits, edit{
			start: tf.Offset(fd.Body.Lbrace),
			end:   tf.Offset(fd.Body.Rbrace) + 1,
			text:  stubBody(fd.Type, z, fmt.Sprintf("%s %s", StubMarker, tag)),
		})
	}
	for _, fd := range givenOnlyForStubs(f, stubbed) {
		at := tf.Offset(fd.Pos())
		edits = append(edits, edit{start: at, end: at, text: UnusedDirective + "\n"})
	}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if !claimed[c] && (strings.Contains(c.Text, BeginMarker) || strings.Contains(c.Text, EndMarker)) {
				return nil, nil, fmt.Errorf("%s: solution marker outside a function body", fset.Position(c.Pos()))
			}
		}
	}
	out, err := finish(filename, applyEdits(src, edits))
	if err != nil {
		return nil, nil, err
	}
	return out, regions, nil
}

// UnusedDirective is the line Stub puts above a given unexported function
// that only graded bodies call (task4's resnetBlock, which GetResNet
// uses): in the exercise nothing calls it until the student writes that
// body, and staticcheck would report it as unused.
const UnusedDirective = "//lint:ignore U1000 given: the graded functions call it once they are written"

// givenOnlyForStubs returns the file's unexported functions (not methods)
// that are called from the bodies in stubbed and from nowhere else in the
// file but their own body, in source order. Names are matched as
// identifiers, which is exact for a solution file that does not shadow
// its own top-level functions. A call from another file of the package is
// not seen; the directive is then needless but harmless (staticcheck never
// reports an unmatched U1000 directive, since U1000 depends on which files
// it was run over).
func givenOnlyForStubs(f *ast.File, stubbed []*ast.FuncDecl) []*ast.FuncDecl {
	cands := map[string]*ast.FuncDecl{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && !ast.IsExported(fd.Name.Name) && fd.Name.Name != "init" && fd.Name.Name != "_" {
			cands[fd.Name.Name] = fd
		}
	}
	inStub, elsewhere := map[string]bool{}, map[string]bool{}
	for _, d := range f.Decls {
		fd, isFunc := d.(*ast.FuncDecl)
		stub := isFunc && slices.Contains(stubbed, fd)
		ast.Inspect(d, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok || cands[id.Name] == nil || (isFunc && id == fd.Name) {
				return true
			}
			switch {
			case stub && id.Pos() > fd.Body.Lbrace:
				inStub[id.Name] = true
			case isFunc && fd == cands[id.Name]: // recursion is no use
			default:
				elsewhere[id.Name] = true
			}
			return true
		})
	}
	var out []*ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && cands[fd.Name.Name] == fd && inStub[fd.Name.Name] && !elsewhere[fd.Name.Name] {
			out = append(out, fd)
		}
	}
	return out
}

// StubFuncs replaces the bodies of the named functions (by DeclName:
// "F" for a function, "T.M" for a method) with a stub holding comment and
// returning zero values, and turns imports left unused into blank imports. Unlike Stub
// it keeps every other line where it was and does not format, so that
// compiler positions in the rest of the file stay true: the checker uses
// it to grade the rest of a package when some functions do not compile.
// Names not found are ignored.
func StubFuncs(filename string, src []byte, names map[string]bool, comment string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	tf := fset.File(f.Pos())
	types := localTypes(f)
	var edits []edit
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil || !names[DeclName(fd)] {
			continue
		}
		lines := tf.Line(fd.Body.Rbrace) - tf.Line(fd.Body.Lbrace)
		ret := "return " + strings.Join(ZeroValues(fd.Type, types), ", ")
		if fd.Type.Results == nil {
			ret = "return"
		}
		text := "{ " + ret + " }"
		if lines >= 2 {
			text = "{\n\t" + comment + "\n\t" + ret + strings.Repeat("\n", lines-2) + "}"
		}
		edits = append(edits, edit{start: tf.Offset(fd.Body.Lbrace), end: tf.Offset(fd.Body.Rbrace) + 1, text: text})
	}
	out := applyEdits(src, edits)
	fset = token.NewFileSet()
	if f, err = parser.ParseFile(fset, filename, out, parser.ParseComments); err != nil {
		return nil, err
	}
	tf = fset.File(f.Pos())
	edits = nil
	used := UsedPackageNames(f)
	for _, is := range f.Imports {
		p, _ := strconv.Unquote(is.Path.Value)
		name := ImportName(p)
		if is.Name != nil {
			name = is.Name.Name
		}
		if name == "_" || name == "." || used[name] {
			continue
		}
		if is.Name != nil {
			edits = append(edits, edit{start: tf.Offset(is.Name.Pos()), end: tf.Offset(is.Name.End()), text: "_"})
		} else {
			edits = append(edits, edit{start: tf.Offset(is.Path.Pos()), end: tf.Offset(is.Path.Pos()), text: "_ "})
		}
	}
	return applyEdits(out, edits), nil
}

// DeclName names a function declaration: "F" for a function, "T.M" for a
// method M of T or *T.
func DeclName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
			continue
		case *ast.ParenExpr:
			t = x.X
			continue
		case *ast.IndexExpr: // a generic receiver T[P]
			t = x.X
			continue
		case *ast.IndexListExpr:
			t = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + fd.Name.Name
		}
		return fd.Name.Name
	}
}

func applyEdits(src []byte, edits []edit) []byte {
	sort.Slice(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	out := slices.Clone(src)
	for _, e := range edits {
		out = append(out[:e.start:e.start], append([]byte(e.text), out[e.end:]...)...)
	}
	return out
}

// finish drops unused imports and formats.
func finish(filename string, src []byte) ([]byte, error) {
	src, err := RemoveUnusedImports(filename, src)
	if err != nil {
		return nil, err
	}
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("%s: formatting the generated file: %v", filename, err)
	}
	return out, nil
}

func stubBody(ft *ast.FuncType, z zeroer, comment string) string {
	var b strings.Builder
	b.WriteString("{\n")
	if comment != "" {
		b.WriteString("\t" + comment + "\n")
	}
	if zs := z.values(ft); len(zs) > 0 {
		b.WriteString("\treturn " + strings.Join(zs, ", ") + "\n")
	}
	b.WriteString("}")
	return b.String()
}

// localTypes maps the names of a file's type declarations to their types.
func localTypes(f *ast.File) map[string]ast.Expr {
	m := map[string]ast.Expr{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			m[ts.Name.Name] = ts.Type
		}
	}
	return m
}

// ZeroValues returns Go expressions for the zero values of ft's results,
// one per result. types maps the package's own type names to their
// definitions (it may be nil).
func ZeroValues(ft *ast.FuncType, types map[string]ast.Expr) []string {
	return zeroer{types: types}.values(ft)
}

// zeroer writes zero values: types are the file's own type declarations,
// imports its import names (name -> path), resolve (may be nil) looks
// into imported packages.
type zeroer struct {
	types   map[string]ast.Expr
	imports map[string]string
	resolve Resolver
}

func (z zeroer) values(ft *ast.FuncType) []string {
	if ft.Results == nil {
		return nil
	}
	var zs []string
	for _, fld := range ft.Results.List {
		n := max(len(fld.Names), 1)
		v := z.of(fld.Type, 0)
		for range n {
			zs = append(zs, v)
		}
	}
	return zs
}

// fileImports maps a file's import names to their paths.
func fileImports(f *ast.File) map[string]string {
	m := map[string]string{}
	for _, is := range f.Imports {
		p, _ := strconv.Unquote(is.Path.Value)
		name := ImportName(p)
		if is.Name != nil {
			name = is.Name.Name
		}
		m[name] = p
	}
	return m
}

func (z zeroer) of(t ast.Expr, depth int) string {
	types := z.types
	switch t := t.(type) {
	case *ast.SelectorExpr:
		if importedNil(t, z.imports, z.resolve) {
			return "nil"
		}
	case *ast.ParenExpr:
		return z.of(t.X, depth)
	case *ast.StarExpr, *ast.MapType, *ast.ChanType, *ast.FuncType, *ast.InterfaceType:
		return "nil"
	case *ast.ArrayType:
		if t.Len == nil {
			return "nil"
		}
		return exprString(t) + "{}"
	case *ast.StructType:
		return exprString(t) + "{}"
	case *ast.Ident:
		switch t.Name {
		case "bool":
			return "false"
		case "string":
			return `""`
		case "error", "any":
			return "nil"
		case "int", "int8", "int16", "int32", "int64",
			"uint", "uint8", "uint16", "uint32", "uint64", "uintptr",
			"float32", "float64", "complex64", "complex128", "byte", "rune":
			return "0"
		}
		if def, ok := types[t.Name]; ok && depth < 8 {
			switch def.(type) {
			case *ast.StructType, *ast.ArrayType:
				if at, ok := def.(*ast.ArrayType); ok && at.Len == nil {
					return "nil"
				}
				return t.Name + "{}"
			case *ast.Ident:
				v := z.of(def, depth+1)
				if strings.HasPrefix(v, "*new(") || strings.HasSuffix(v, "{}") {
					return "*new(" + t.Name + ")"
				}
				return v
			default:
				return z.of(def, depth+1)
			}
		}
	}
	return "*new(" + exprString(t) + ")"
}

func exprString(e ast.Expr) string {
	var b bytes.Buffer
	_ = format.Node(&b, token.NewFileSet(), e)
	return b.String()
}

// ImportName returns the name a package with import path p is known by
// when imported without a name: its last element, or the one before a
// major-version suffix ("math/rand/v2" is rand), with a ".vN" suffix
// dropped ("gopkg.in/yaml.v3" is yaml).
func ImportName(p string) string {
	parts := strings.Split(p, "/")
	name := parts[len(parts)-1]
	if len(parts) > 1 && isMajor(name) {
		name = parts[len(parts)-2]
	}
	if i := strings.Index(name, ".v"); i > 0 {
		name = name[:i]
	}
	return name
}

func isMajor(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	_, err := strconv.Atoi(s[1:])
	return err == nil
}

// UsedPackageNames returns the identifiers that appear as X in a selector
// X.Sel anywhere in f (a superset of the package names it uses).
func UsedPackageNames(f *ast.File) map[string]bool {
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if se, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := se.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	return used
}

// RemoveUnusedImports deletes the imports that no selector in the file
// refers to (blank and dot imports are kept) and returns the source,
// unformatted.
func RemoveUnusedImports(filename string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	tf := fset.File(f.Pos())
	used := UsedPackageNames(f)
	var edits []edit
	lineSpan := func(from, to token.Pos) edit {
		start := tf.Offset(tf.LineStart(tf.Line(from)))
		endLine := tf.Line(to)
		end := len(src)
		if endLine < tf.LineCount() {
			end = tf.Offset(tf.LineStart(endLine + 1))
		}
		return edit{start: start, end: end}
	}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		var drop []*ast.ImportSpec
		for _, s := range gd.Specs {
			is := s.(*ast.ImportSpec)
			p, _ := strconv.Unquote(is.Path.Value)
			name := ImportName(p)
			if is.Name != nil {
				name = is.Name.Name
			}
			if name == "_" || name == "." || used[name] {
				continue
			}
			drop = append(drop, is)
		}
		if len(drop) == 0 {
			continue
		}
		if len(drop) == len(gd.Specs) {
			from := gd.Pos()
			if gd.Doc != nil {
				from = gd.Doc.Pos()
			}
			edits = append(edits, lineSpan(from, gd.End()))
			continue
		}
		for _, is := range drop {
			from, to := is.Pos(), is.End()
			if is.Doc != nil {
				from = is.Doc.Pos()
			}
			if is.Comment != nil {
				to = is.Comment.End()
			}
			edits = append(edits, lineSpan(from, to))
		}
	}
	return applyEdits(src, edits), nil
}
