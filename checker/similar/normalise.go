package similar

import (
	"cmp"
	"container/heap"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"path"
	"slices"
	"strconv"
	"strings"
)

// tok is one normalised token: the hash of its text and the line it
// came from.
type tok struct {
	h    uint64
	line int32
}

// unit is the token stream of one function (or one other top-level
// declaration) of one file: k-grams never cross units, so reordering
// functions changes nothing.
type unit struct {
	file int // index into the task's files
	toks []tok
}

// hashString is FNV-1a: token texts are short and the hash only has to
// tell them apart.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// universe is Go's predeclared names: they cannot be renamed, so they
// stay as they are (unless a function declares a local of that name).
var universe = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`bool byte complex64 complex128 error float32 float64
		int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr
		any comparable true false iota nil append cap clear close complex copy delete
		imag len make max min new panic print println real recover`) {
		universe[n] = true
	}
}

// decls is what one student's task declares at the top level, over all
// its files: names by role, and the names of fields and methods (a
// selector naming one of those is the student's own, renamable; any
// other selector is a library's and kept).
type decls struct {
	top     map[string]string // name -> "func", "type" or "var"
	members map[string]bool
}

func notImport(d ast.Decl) bool {
	g, ok := d.(*ast.GenDecl)
	return !ok || g.Tok != token.IMPORT
}

// taskUnits normalises the files of one task into units.
func taskUnits(files []File) []unit {
	fset := token.NewFileSet()
	var pieces []piece
	d := decls{top: map[string]string{}, members: map[string]bool{}}
	for i, f := range files {
		for _, p := range parsePieces(fset, i, f) {
			if p.ast != nil {
				d.add(p.ast)
			}
			pieces = append(pieces, p)
		}
	}
	var units []unit
	for _, p := range pieces {
		var us []unit
		if p.ast == nil {
			us = scanUnits(p.file, File{Name: files[p.file].Name, Text: p.text})
		} else {
			us = fileUnits(p.file, fset, p.ast, p.imports, &d)
		}
		for _, u := range us {
			for k := range u.toks {
				if u.toks[k].line > 1 {
					u.toks[k].line += p.shift
				}
			}
		}
		units = append(units, us...)
	}
	return units
}

// piece is what one file, or one top-level declaration of a file that
// does not parse, gives: a syntax tree, or else text for the scanner.
// A piece cut from a file holds the package clause (line 1) and its
// declaration: its lines after the first are the file's less shift, and
// imports are the whole file's.
type piece struct {
	file    int
	ast     *ast.File
	text    string
	shift   int32
	imports map[string]string
}

// parseMode has AllErrors so that the parser does not give up, and give
// nothing, after ten errors.
const parseMode = parser.SkipObjectResolution | parser.AllErrors

// parsePieces parses file f. Students submit broken code too, and
// go/parser's recovery from one missing brace can swallow the rest of
// the file: so a file with syntax errors is cut at each line that starts
// a top-level declaration (func, type, var, const at the start of a
// line), and each piece is parsed on its own: the first with the lines
// before it (the package clause and imports), every other one after a
// package clause of its own, so the work is linear in the file however
// many pieces a student makes of it. A piece that still does not parse
// gives what the parser recovers of it, or, when that is nothing, goes
// to the scanner; so does a file whose package clause does not parse.
func parsePieces(fset *token.FileSet, i int, f File) []piece {
	af, err := parser.ParseFile(fset, f.Name, f.Text, parseMode)
	if err == nil {
		return []piece{{file: i, ast: af}}
	}
	if af == nil || af.Name == nil || af.Name.Name == "" || af.Name.Name == "_" {
		return []piece{{file: i, text: f.Text}}
	}
	header := fset.PositionFor(af.Name.End(), false).Line // lines 1..header go in the first piece
	for _, decl := range af.Decls {
		if g, ok := decl.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			header = max(header, fset.PositionFor(g.End(), false).Line)
		}
	}
	imps := imports(af)
	lines := strings.SplitAfter(f.Text, "\n")
	starts := []int{0}
	for k := header; k < len(lines); k++ {
		for _, kw := range []string{"func", "type", "var", "const"} {
			if rest, ok := strings.CutPrefix(lines[k], kw); ok && rest != "" && (rest[0] == ' ' || rest[0] == '(') {
				starts = append(starts, k)
			}
		}
	}
	var out []piece
	for s, from := range starts {
		to := len(lines)
		if s+1 < len(starts) {
			to = starts[s+1]
		}
		text, shift := "package "+af.Name.Name+"\n"+strings.Join(lines[from:to], ""), from-1
		if from == 0 {
			text, shift = strings.Join(lines[:to], ""), 0
		}
		pf, err := parser.ParseFile(fset, f.Name, text, parseMode)
		if pf != nil && (err == nil || slices.ContainsFunc(pf.Decls, notImport)) {
			out = append(out, piece{file: i, ast: pf, shift: int32(shift), imports: imps})
		} else {
			out = append(out, piece{file: i, text: text, shift: int32(shift)})
		}
	}
	return out
}

func (d *decls) add(f *ast.File) {
	for _, decl := range f.Decls {
		switch x := decl.(type) {
		case *ast.FuncDecl:
			if x.Recv != nil {
				d.members[x.Name.Name] = true
			} else {
				d.top[x.Name.Name] = "func"
			}
		case *ast.GenDecl:
			for _, s := range x.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					d.top[s.Name.Name] = "type"
					ast.Inspect(s.Type, func(n ast.Node) bool {
						if f, ok := n.(*ast.Field); ok {
							for _, name := range f.Names {
								d.members[name.Name] = true
							}
						}
						return true
					})
				case *ast.ValueSpec:
					for _, n := range s.Names {
						d.top[n.Name] = "var"
					}
				}
			}
		}
	}
}

// imports maps each import's name in file f to the package's own name
// (the last element of its path), so an alias changes nothing.
func imports(f *ast.File) map[string]string {
	m := map[string]string{}
	for _, s := range f.Imports {
		p, err := strconv.Unquote(s.Path.Value)
		if err != nil {
			continue
		}
		name := path.Base(p)
		if s.Name != nil {
			if s.Name.Name == "_" || s.Name.Name == "." {
				continue
			}
			m[s.Name.Name] = name
		} else {
			m[name] = name
		}
	}
	return m
}

// fileUnits turns one parsed file into units: one per function and one
// per other top-level declaration (imports are left out).
// imports are f's own unless given (a piece of a file holds none).
func fileUnits(file int, fset *token.FileSet, f *ast.File, imps map[string]string, d *decls) []unit {
	if imps == nil {
		imps = imports(f)
	}
	tf := fset.File(f.Pos())
	n := &norm{tf: tf, d: d, imports: imps}
	var units []unit
	for _, decl := range f.Decls {
		if g, ok := decl.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			continue
		}
		n.toks = nil
		n.locals = locals(decl)
		n.decl(decl)
		if len(n.toks) > 0 {
			units = append(units, unit{file: file, toks: n.toks})
		}
	}
	return units
}

// locals collects every name a declaration declares inside itself:
// receivers, parameters, results, variables, constants, types and labels
// of its body. Scopes are not told apart: a name declared anywhere in the
// function is a local everywhere in it, which is what renaming needs.
func locals(decl ast.Decl) map[string]bool {
	m := map[string]bool{}
	addFields := func(fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, f := range fl.List {
			for _, n := range f.Names {
				m[n.Name] = true
			}
		}
	}
	var roots []ast.Node
	switch x := decl.(type) {
	case *ast.FuncDecl:
		addFields(x.Recv)
		addFields(x.Type.TypeParams)
		roots = append(roots, x)
	case *ast.GenDecl:
		// A top-level var's names are the student's top-level names, but
		// a function literal in its value declares locals as a function
		// does: var F = func(...) {...} must not keep its names.
		for _, s := range x.Specs {
			if v, ok := s.(*ast.ValueSpec); ok {
				for _, e := range v.Values {
					roots = append(roots, e)
				}
			}
		}
	}
	visit := func(nd ast.Node) bool {
		switch x := nd.(type) {
		case *ast.FuncType:
			addFields(x.Params)
			addFields(x.Results)
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE {
				for _, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						m[id.Name] = true
					}
				}
			}
		case *ast.RangeStmt:
			if x.Tok == token.DEFINE {
				for _, e := range []ast.Expr{x.Key, x.Value} {
					if id, ok := e.(*ast.Ident); ok {
						m[id.Name] = true
					}
				}
			}
		case *ast.ValueSpec:
			for _, n := range x.Names {
				m[n.Name] = true
			}
		case *ast.TypeSpec:
			m[x.Name.Name] = true
		case *ast.LabeledStmt:
			m[x.Label.Name] = true
		}
		return true
	}
	for _, r := range roots {
		ast.Inspect(r, visit)
	}
	delete(m, "_")
	return m
}

// norm emits the normalised tokens of one unit.
type norm struct {
	tf      *token.File
	d       *decls
	imports map[string]string
	locals  map[string]bool
	toks    []tok
}

func (n *norm) emit(s string, p token.Pos) {
	line := int32(0)
	if p.IsValid() {
		// The line in the file as shown: a //line directive must not
		// move it (the report refuses a span outside the file).
		line = int32(n.tf.PositionFor(p, false).Line)
	} else if len(n.toks) > 0 {
		line = n.toks[len(n.toks)-1].line
	}
	n.toks = append(n.toks, tok{hashString(s), line})
}

// sub returns the tokens f emits, without keeping them.
func (n *norm) sub(f func()) []tok {
	saved := n.toks
	n.toks = nil
	f()
	out := n.toks
	n.toks = saved
	return out
}

// ident is a name by its role: a local "V", a top-level declaration of
// the student's by kind, an imported package by its own name, a
// predeclared (or unknown) name as itself.
func (n *norm) ident(id *ast.Ident) {
	name := id.Name
	switch {
	case name == "_":
		n.emit("_", id.Pos())
	case n.locals[name]:
		n.emit("V", id.Pos())
	case n.d.top[name] != "":
		n.emit("decl:"+n.d.top[name], id.Pos())
	case n.imports[name] != "":
		n.emit("pkg:"+n.imports[name], id.Pos())
	default:
		n.emit("id:"+name, id.Pos())
	}
}

// member is the name after a dot (or a composite literal's key): the
// student's own fields and methods are renamable, a library's are not.
func (n *norm) member(id *ast.Ident) {
	if n.d.members[id.Name] {
		n.emit(".M", id.Pos())
		return
	}
	n.emit("."+id.Name, id.Pos())
}

func (n *norm) decl(decl ast.Decl) {
	switch x := decl.(type) {
	case *ast.FuncDecl:
		n.emit("func", x.Pos())
		if x.Recv != nil {
			n.fields(x.Recv)
		}
		n.emit("decl:func", x.Name.Pos())
		n.funcType(x.Type)
		if x.Body != nil {
			n.block(x.Body)
		}
	case *ast.GenDecl:
		n.emit(x.Tok.String(), x.Pos())
		for _, s := range x.Specs {
			n.spec(s)
		}
	}
}

func (n *norm) spec(s ast.Spec) {
	switch x := s.(type) {
	case *ast.ValueSpec:
		for _, id := range x.Names {
			n.ident(id)
		}
		if x.Type != nil {
			n.expr(x.Type)
		}
		if len(x.Values) > 0 {
			n.emit(":=", x.Names[0].Pos())
			n.exprs(x.Values)
		}
	case *ast.TypeSpec:
		n.emit("type", x.Pos())
		n.ident(x.Name)
		if x.TypeParams != nil {
			n.fields(x.TypeParams)
		}
		n.expr(x.Type)
	}
}

func (n *norm) fields(fl *ast.FieldList) {
	if fl == nil {
		return
	}
	n.emit("(", fl.Pos())
	for _, f := range fl.List {
		for _, id := range f.Names {
			n.ident(id)
		}
		n.expr(f.Type)
	}
	n.emit(")", fl.End())
}

func (n *norm) funcType(ft *ast.FuncType) {
	if ft.TypeParams != nil {
		n.fields(ft.TypeParams)
	}
	n.fields(ft.Params)
	n.fields(ft.Results)
}

func (n *norm) exprs(es []ast.Expr) {
	for i, e := range es {
		if i > 0 {
			n.emit(",", e.Pos())
		}
		n.expr(e)
	}
}

// commutative lists the operators whose operands are sorted; those also
// associative are flattened first (a+b+c as one list).
var commutative = map[token.Token]bool{
	token.ADD: true, token.MUL: true, token.EQL: true, token.NEQ: true,
	token.LAND: true, token.LOR: true, token.AND: true, token.OR: true, token.XOR: true,
}

var associative = map[token.Token]bool{
	token.ADD: true, token.MUL: true, token.LAND: true, token.LOR: true,
	token.AND: true, token.OR: true, token.XOR: true,
}

// operands flattens a chain of one associative operator.
func operands(e ast.Expr, op token.Token, out []ast.Expr) []ast.Expr {
	e = unparen(e)
	if b, ok := e.(*ast.BinaryExpr); ok && b.Op == op && associative[op] {
		return operands(b.Y, op, operands(b.X, op, out))
	}
	return append(out, e)
}

func unparen(e ast.Expr) ast.Expr {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

// binary emits x op y in canonical form: commutative operands in sorted
// order, > and >= turned around into < and <=.
func (n *norm) binary(op token.Token, x, y ast.Expr, pos token.Pos) {
	switch op {
	case token.GTR:
		op, x, y = token.LSS, y, x
	case token.GEQ:
		op, x, y = token.LEQ, y, x
	}
	if !commutative[op] {
		n.emit("(", pos)
		n.expr(x)
		n.emit(op.String(), pos)
		n.expr(y)
		n.emit(")", pos)
		return
	}
	var ops []ast.Expr
	if associative[op] {
		ops = operands(y, op, operands(x, op, nil))
	} else {
		ops = []ast.Expr{x, y}
	}
	seqs := make([][]tok, len(ops))
	for i, o := range ops {
		seqs[i] = n.sub(func() { n.expr(o) })
	}
	slices.SortStableFunc(seqs, compareToks)
	n.emit("(", pos)
	for i, s := range seqs {
		if i > 0 {
			n.emit(op.String(), pos)
		}
		n.toks = append(n.toks, s...)
	}
	n.emit(")", pos)
}

func (n *norm) expr(e ast.Expr) {
	switch x := e.(type) {
	case nil:
	case *ast.Ident:
		n.ident(x)
	case *ast.BasicLit:
		n.emit("lit:"+x.Kind.String(), x.Pos())
	case *ast.CompositeLit:
		n.expr(x.Type)
		n.emit("{", x.Lbrace)
		n.exprs(x.Elts)
		n.emit("}", x.Rbrace)
	case *ast.KeyValueExpr:
		if id, ok := x.Key.(*ast.Ident); ok && !n.locals[id.Name] && n.d.top[id.Name] == "" {
			n.member(id) // a field name, unless it names a variable (a map's key)
		} else {
			n.expr(x.Key)
		}
		n.emit(":", x.Colon)
		n.expr(x.Value)
	case *ast.FuncLit:
		n.emit("func", x.Pos())
		n.funcType(x.Type)
		n.block(x.Body)
	case *ast.ParenExpr:
		n.expr(x.X)
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok && !n.locals[id.Name] && n.d.top[id.Name] == "" && n.imports[id.Name] != "" {
			n.emit(n.imports[id.Name]+"."+x.Sel.Name, x.Pos())
			return
		}
		n.expr(x.X)
		n.member(x.Sel)
	case *ast.IndexExpr:
		n.expr(x.X)
		n.emit("[", x.Lbrack)
		n.expr(x.Index)
		n.emit("]", x.Rbrack)
	case *ast.IndexListExpr:
		n.expr(x.X)
		n.emit("[", x.Lbrack)
		n.exprs(x.Indices)
		n.emit("]", x.Rbrack)
	case *ast.SliceExpr:
		n.expr(x.X)
		n.emit("[", x.Lbrack)
		n.expr(x.Low)
		n.emit(":", x.Lbrack)
		n.expr(x.High)
		if x.Slice3 {
			n.emit(":", x.Lbrack)
			n.expr(x.Max)
		}
		n.emit("]", x.Rbrack)
	case *ast.TypeAssertExpr:
		n.expr(x.X)
		n.emit(".(", x.Lparen)
		if x.Type == nil {
			n.emit("type", x.Lparen)
		}
		n.expr(x.Type)
		n.emit(")", x.Rparen)
	case *ast.CallExpr:
		n.expr(x.Fun)
		n.emit("call(", x.Lparen)
		n.exprs(x.Args)
		if x.Ellipsis.IsValid() {
			n.emit("...", x.Ellipsis)
		}
		n.emit(")", x.Rparen)
	case *ast.StarExpr:
		n.emit("*", x.Star)
		n.expr(x.X)
	case *ast.UnaryExpr:
		n.emit("u"+x.Op.String(), x.OpPos)
		n.expr(x.X)
	case *ast.BinaryExpr:
		n.binary(x.Op, x.X, x.Y, x.OpPos)
	case *ast.ArrayType:
		n.emit("[", x.Lbrack)
		n.expr(x.Len)
		n.emit("]", x.Lbrack)
		n.expr(x.Elt)
	case *ast.StructType:
		n.emit("struct", x.Struct)
		n.fields(x.Fields)
	case *ast.FuncType:
		n.emit("func", x.Pos())
		n.funcType(x)
	case *ast.InterfaceType:
		n.emit("interface", x.Interface)
		n.fields(x.Methods)
	case *ast.MapType:
		n.emit("map", x.Map)
		n.expr(x.Key)
		n.expr(x.Value)
	case *ast.ChanType:
		n.emit("chan", x.Begin)
		n.expr(x.Value)
	case *ast.Ellipsis:
		n.emit("...", x.Ellipsis)
		n.expr(x.Elt)
	}
}

func (n *norm) block(b *ast.BlockStmt) {
	n.emit("{", b.Lbrace)
	n.stmts(b.List)
	n.emit("}", b.Rbrace)
}

// stmts emits a statement list, each run of simple statements
// (assignments, declarations, calls) in canonical order.
func (n *norm) stmts(list []ast.Stmt) {
	for i := 0; i < len(list); {
		j := i
		for j < len(list) && simple(list[j]) {
			j++
		}
		if j-i >= 2 {
			n.reorder(list[i:j])
			i = j
			continue
		}
		n.stmt(list[i])
		i++
	}
}

func simple(s ast.Stmt) bool {
	switch s.(type) {
	case *ast.AssignStmt, *ast.DeclStmt, *ast.ExprStmt, *ast.IncDecStmt, *ast.SendStmt:
		return true
	}
	return false
}

// effects is what a simple statement reads and writes, by name.
type effects struct {
	reads, writes map[string]bool
	call          bool // a call statement: its result dropped, it is run for what it changes
}

func effectsOf(s ast.Stmt) effects {
	e := effects{reads: map[string]bool{}, writes: map[string]bool{}}
	ast.Inspect(s, func(nd ast.Node) bool {
		switch x := nd.(type) {
		case *ast.SelectorExpr:
			ast.Inspect(x.X, func(nd ast.Node) bool {
				if id, ok := nd.(*ast.Ident); ok {
					e.reads[id.Name] = true
				}
				return true
			})
			return false // x.Sel is no variable
		case *ast.Ident:
			e.reads[x.Name] = true
		}
		return true
	})
	switch x := s.(type) {
	case *ast.AssignStmt:
		for _, l := range x.Lhs {
			if id := rootVar(l); id != nil {
				e.writes[id.Name] = true
			}
		}
	case *ast.IncDecStmt:
		if id := rootVar(x.X); id != nil {
			e.writes[id.Name] = true
		}
	case *ast.DeclStmt:
		ast.Inspect(x, func(nd ast.Node) bool {
			switch sp := nd.(type) {
			case *ast.ValueSpec:
				for _, id := range sp.Names {
					e.writes[id.Name] = true
				}
			case *ast.TypeSpec:
				e.writes[sp.Name.Name] = true
			}
			return true
		})
	case *ast.ExprStmt, *ast.SendStmt:
		// A call may change whatever it is given.
		e.call = true
		for name := range e.reads {
			e.writes[name] = true
		}
	}
	delete(e.writes, "_")
	return e
}

// rootVar is the variable an assignment to x, x.f, x[i] or *x changes.
func rootVar(e ast.Expr) *ast.Ident {
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return x
		case *ast.SelectorExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		default:
			return nil
		}
	}
}

// reorder emits a run of simple statements in a canonical order: of the
// statements every conflicting earlier one of which is out, the one
// with the smallest tokens first. Two conflict, and must keep their
// order, when one writes what the other reads or writes, or both are
// calls. Swapping two adjacent statements that do not conflict changes
// neither the conflicts nor so the order.
//
// A student controls the run's length (a 1 MiB file holds some 50,000
// statements), so the order is found without testing every pair
// (Kahn's algorithm over a heap): a statement waits only on the last
// writer before it of each name it reads or writes, on the readers of
// each name it writes since that name's last writer, and on the last
// call before it when it is a call. Every other conflicting earlier
// statement is before one of those in a chain of conflicts, so it is
// out already when they are: the order is the same as waiting on all.
func (n *norm) reorder(run []ast.Stmt) {
	h := readyHeap{toks: make([][]tok, len(run))}
	waits := make([]int, len(run))  // conflicting earlier statements not out yet (with repeats)
	next := make([][]int, len(run)) // the statements waiting on each
	lastWrite := map[string]int{}   // name -> the last statement writing it
	readers := map[string][]int{}   // name -> the statements reading it since lastWrite
	lastCall := -1
	after := func(j, i int) { next[j] = append(next[j], i); waits[i]++ }
	for i, s := range run {
		h.toks[i] = n.sub(func() { n.stmt(s) })
		e := effectsOf(s)
		for _, names := range []map[string]bool{e.reads, e.writes} {
			for w := range names {
				if j, ok := lastWrite[w]; ok {
					after(j, i)
				}
			}
		}
		for w := range e.writes {
			for _, j := range readers[w] {
				after(j, i)
			}
		}
		if e.call {
			if lastCall >= 0 {
				after(lastCall, i)
			}
			lastCall = i
		}
		for w := range e.writes {
			lastWrite[w] = i
			delete(readers, w)
		}
		for w := range e.reads {
			if !e.writes[w] {
				readers[w] = append(readers[w], i)
			}
		}
	}
	for i := range run {
		if waits[i] == 0 {
			heap.Push(&h, i)
		}
	}
	for h.Len() > 0 {
		best := heap.Pop(&h).(int)
		n.toks = append(n.toks, h.toks[best]...)
		for _, i := range next[best] {
			if waits[i]--; waits[i] == 0 {
				heap.Push(&h, i)
			}
		}
	}
}

// readyHeap holds the statements ready to go out, the smallest tokens
// (then the earliest) on top.
type readyHeap struct {
	toks  [][]tok
	ready []int
}

func (h readyHeap) Len() int { return len(h.ready) }
func (h readyHeap) Less(a, b int) bool {
	x, y := h.ready[a], h.ready[b]
	return cmp.Or(compareToks(h.toks[x], h.toks[y]), cmp.Compare(x, y)) < 0
}
func (h readyHeap) Swap(a, b int) { h.ready[a], h.ready[b] = h.ready[b], h.ready[a] }
func (h *readyHeap) Push(x any)   { h.ready = append(h.ready, x.(int)) }
func (h *readyHeap) Pop() any {
	x := h.ready[len(h.ready)-1]
	h.ready = h.ready[:len(h.ready)-1]
	return x
}

// compareToks orders token sequences by their hashes.
func compareToks(a, b []tok) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].h != b[i].h {
			if a[i].h < b[i].h {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

// one is the literal 1 that x++ stands for.
var one = &ast.BasicLit{Kind: token.INT, Value: "1"}

func (n *norm) stmt(s ast.Stmt) {
	switch x := s.(type) {
	case nil, *ast.EmptyStmt:
	case *ast.DeclStmt:
		if g, ok := x.Decl.(*ast.GenDecl); ok {
			for _, sp := range g.Specs {
				n.spec(sp)
			}
		}
	case *ast.LabeledStmt:
		n.emit("label", x.Pos())
		n.stmt(x.Stmt)
	case *ast.ExprStmt:
		n.expr(x.X)
	case *ast.SendStmt:
		n.expr(x.Chan)
		n.emit("<-", x.Arrow)
		n.expr(x.Value)
	case *ast.IncDecStmt:
		// x++ is x = x + 1.
		op := token.ADD
		if x.Tok == token.DEC {
			op = token.SUB
		}
		n.expr(x.X)
		n.emit("=", x.TokPos)
		n.binary(op, x.X, one, x.TokPos)
	case *ast.AssignStmt:
		n.assign(x)
	case *ast.GoStmt:
		n.emit("go", x.Go)
		n.expr(x.Call)
	case *ast.DeferStmt:
		n.emit("defer", x.Defer)
		n.expr(x.Call)
	case *ast.ReturnStmt:
		n.emit("return", x.Return)
		n.exprs(x.Results)
	case *ast.BranchStmt:
		n.emit(x.Tok.String(), x.TokPos)
	case *ast.BlockStmt:
		n.block(x)
	case *ast.IfStmt:
		n.emit("if", x.If)
		n.stmt(x.Init)
		n.expr(x.Cond)
		n.block(x.Body)
		if x.Else != nil {
			n.emit("else", x.Else.Pos())
			n.stmt(x.Else)
		}
	case *ast.CaseClause:
		n.emit("case", x.Case)
		n.exprs(x.List)
		n.emit(":", x.Colon)
		n.stmts(x.Body)
	case *ast.SwitchStmt:
		n.emit("switch", x.Switch)
		n.stmt(x.Init)
		n.expr(x.Tag)
		n.block(x.Body)
	case *ast.TypeSwitchStmt:
		n.emit("typeswitch", x.Switch)
		n.stmt(x.Init)
		n.stmt(x.Assign)
		n.block(x.Body)
	case *ast.CommClause:
		n.emit("case", x.Case)
		n.stmt(x.Comm)
		n.emit(":", x.Colon)
		for _, st := range x.Body {
			n.stmt(st)
		}
	case *ast.SelectStmt:
		n.emit("select", x.Select)
		n.block(x.Body)
	case *ast.ForStmt:
		n.forStmt(x)
	case *ast.RangeStmt:
		n.emit("for", x.For)
		// The key is V even when there is none: for range n is what an
		// index loop whose index goes unused must become (Go rejects an
		// unused range variable), and forStmt emits V for that index.
		n.emit("V", x.For)
		if x.Value != nil {
			n.emit("V", x.Value.Pos())
		}
		n.emit("range", x.TokPos)
		n.rangeOver(x.X)
		n.block(x.Body)
	}
}

// rangeOver emits what a loop ranges over: range len(xs) and range xs
// give the same indices, so both are xs.
func (n *norm) rangeOver(e ast.Expr) {
	if c, ok := unparen(e).(*ast.CallExpr); ok && len(c.Args) == 1 && !c.Ellipsis.IsValid() {
		if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "len" && !n.locals["len"] {
			e = c.Args[0]
		}
	}
	n.expr(e)
}

// forStmt maps the index loop for i := 0; i < n; i++ to the range loop
// for i := range n; any other three-clause loop stays as it is.
func (n *norm) forStmt(x *ast.ForStmt) {
	if hi := indexLoop(x); hi != nil {
		n.emit("for", x.For)
		n.emit("V", x.Init.Pos())
		n.emit("range", x.Init.Pos())
		n.rangeOver(hi)
		n.block(x.Body)
		return
	}
	n.emit("for", x.For)
	n.stmt(x.Init)
	n.emit(";", x.For)
	n.expr(x.Cond)
	n.emit(";", x.For)
	n.stmt(x.Post)
	n.block(x.Body)
}

// indexLoop returns n when x is for i := 0; i < n; i++ (or i += 1, or
// n > i), else nil.
func indexLoop(x *ast.ForStmt) ast.Expr {
	init, ok := x.Init.(*ast.AssignStmt)
	if !ok || init.Tok != token.DEFINE || len(init.Lhs) != 1 || len(init.Rhs) != 1 {
		return nil
	}
	i, ok := init.Lhs[0].(*ast.Ident)
	if lit, isLit := init.Rhs[0].(*ast.BasicLit); !ok || !isLit || lit.Kind != token.INT || lit.Value != "0" {
		return nil
	}
	isI := func(e ast.Expr) bool {
		id, ok := unparen(e).(*ast.Ident)
		return ok && id.Name == i.Name
	}
	c, ok := unparen(x.Cond).(*ast.BinaryExpr)
	if !ok {
		return nil
	}
	var hi ast.Expr
	switch {
	case c.Op == token.LSS && isI(c.X):
		hi = c.Y
	case c.Op == token.GTR && isI(c.Y):
		hi = c.X
	default:
		return nil
	}
	switch p := x.Post.(type) {
	case *ast.IncDecStmt:
		if p.Tok != token.INC || !isI(p.X) {
			return nil
		}
	case *ast.AssignStmt:
		lit, ok := p.Rhs[0].(*ast.BasicLit)
		if p.Tok != token.ADD_ASSIGN || len(p.Lhs) != 1 || !isI(p.Lhs[0]) || !ok || lit.Value != "1" {
			return nil
		}
	default:
		return nil
	}
	return hi
}

// assign emits an assignment; x op= y is x = x op y, and := is var.
func (n *norm) assign(x *ast.AssignStmt) {
	switch x.Tok {
	case token.ASSIGN, token.DEFINE:
		n.exprs(x.Lhs)
		if x.Tok == token.DEFINE {
			n.emit(":=", x.TokPos)
		} else {
			n.emit("=", x.TokPos)
		}
		n.exprs(x.Rhs)
		return
	}
	op, ok := opAssign[x.Tok]
	if !ok || len(x.Lhs) != 1 || len(x.Rhs) != 1 {
		n.exprs(x.Lhs)
		n.emit(x.Tok.String(), x.TokPos)
		n.exprs(x.Rhs)
		return
	}
	n.expr(x.Lhs[0])
	n.emit("=", x.TokPos)
	n.binary(op, x.Lhs[0], x.Rhs[0], x.TokPos)
}

var opAssign = map[token.Token]token.Token{
	token.ADD_ASSIGN: token.ADD, token.SUB_ASSIGN: token.SUB, token.MUL_ASSIGN: token.MUL,
	token.QUO_ASSIGN: token.QUO, token.REM_ASSIGN: token.REM, token.AND_ASSIGN: token.AND,
	token.OR_ASSIGN: token.OR, token.XOR_ASSIGN: token.XOR, token.SHL_ASSIGN: token.SHL,
	token.SHR_ASSIGN: token.SHR, token.AND_NOT_ASSIGN: token.AND_NOT,
}

// scanUnits tokenises a file that does not parse: keywords and operators
// as they are, literals by kind, predeclared names as themselves, a
// package name before a dot with its selector, any other name "V". A
// func keyword outside braces starts a new unit.
func scanUnits(file int, f File) []unit {
	fset := token.NewFileSet()
	src := []byte(f.Text)
	tf := fset.AddFile(f.Name, -1, len(src))
	var s scanner.Scanner
	s.Init(tf, src, nil, 0)
	type lexeme struct {
		pos token.Pos
		tok token.Token
		lit string
	}
	var lx []lexeme
	for {
		p, t, lit := s.Scan()
		if t == token.EOF {
			break
		}
		if t == token.SEMICOLON && lit == "\n" {
			continue
		}
		lx = append(lx, lexeme{p, t, lit})
	}
	pkgs := map[string]bool{}
	for i := 0; i < len(lx); i++ {
		if lx[i].tok != token.IMPORT {
			continue
		}
		for j := i + 1; j < len(lx) && lx[j].tok != token.FUNC && lx[j].tok != token.TYPE && lx[j].tok != token.VAR && lx[j].tok != token.CONST; j++ {
			if lx[j].tok == token.STRING {
				if p, err := strconv.Unquote(lx[j].lit); err == nil {
					pkgs[path.Base(p)] = true
				}
			}
		}
	}
	var units []unit
	var cur []tok
	depth := 0
	flush := func() {
		if len(cur) > 0 {
			units = append(units, unit{file: file, toks: cur})
		}
		cur = nil
	}
	for i := 0; i < len(lx); i++ {
		l := lx[i]
		line := int32(tf.PositionFor(l.pos, false).Line) // not moved by //line
		var text string
		switch {
		case l.tok == token.FUNC && depth == 0:
			flush()
			text = "func"
		case l.tok == token.LBRACE:
			depth++
			text = "{"
		case l.tok == token.RBRACE:
			depth--
			text = "}"
		case l.tok == token.IDENT && pkgs[l.lit] && i+2 < len(lx) && lx[i+1].tok == token.PERIOD && lx[i+2].tok == token.IDENT:
			text = l.lit + "." + lx[i+2].lit
			i += 2
		case l.tok == token.IDENT && universe[l.lit]:
			text = "id:" + l.lit
		case l.tok == token.IDENT:
			text = "V"
		case l.tok.IsLiteral():
			text = "lit:" + l.tok.String()
		default:
			text = l.tok.String()
		}
		cur = append(cur, tok{hashString(text), line})
	}
	flush()
	return units
}
