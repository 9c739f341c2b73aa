package checker

import (
	"fmt"
	"go/ast"
	"go/token"
	"slices"
	"sort"
	"strconv"
	"strings"

	"nnkit/checker/gen"
)

// The import rule covers every import of every file. An import outside
// the task's allowed list costs the items whose graded functions (or
// graded methods, Item.Methods) reach the code that uses it through
// helpers, as long as nothing else can run that code. Code that runs
// whatever is graded (init functions, package-level variables, methods no
// item grades, and whatever they reach), code that nothing graded
// reaches, blank and dot imports, cgo, unsafe and the kit's own grader
// packages cost the whole task: the checker cannot tell which item they
// belong to, and a student process must not hold them.

// graderPackages are the kit's packages that hold answers or grade them
// (and other tasks' code). No task may import them, whatever uses them.
var graderPackages = []string{"nnkit/solutions", "nnkit/checker", "nnkit/exercises", "nnkit/conceptual", "nnkit/cmd", "nnkit/internal"}

func graderPackage(path string) bool {
	for _, g := range graderPackages {
		if path == g || strings.HasPrefix(path, g+"/") {
			return true
		}
	}
	return false
}

type nodeKind int

const (
	nodeFunc nodeKind = iota
	nodeMethod
	nodeInit
	nodeValue // a var or const spec
	nodeType
)

// declNode is one package-level declaration: the unit the import rule
// charges.
type declNode struct {
	key     string // "F", "T.M", "init", the first name declared, or the type's name
	kind    nodeKind
	isConst bool
	file    *srcFile
	line    int
	uses    map[string]bool // local names of the file's imports it uses
	names   map[string]bool // other identifiers it mentions
}

func (n *declNode) String() string {
	at := fmt.Sprintf("%s:%d", n.file.name, n.line)
	switch n.kind {
	case nodeMethod:
		return "method " + n.key + " at " + at
	case nodeInit:
		return "init at " + at
	case nodeValue:
		if n.isConst {
			return "the constant " + n.key + " at " + at
		}
		return "the package-level variable " + n.key + " at " + at
	case nodeType:
		return "the type " + n.key + " at " + at
	}
	return n.key + " at " + at
}

// why says why code in a root runs (or exists) whatever is graded.
func (n *declNode) why() string {
	switch n.kind {
	case nodeInit:
		return "init runs before anything is graded"
	case nodeValue:
		return "package-level declarations are set up before anything is graded"
	case nodeType:
		return "a type belongs to no graded function"
	case nodeMethod:
		return "no item grades that method, and a method can be called from anywhere (by fmt, by nn, through an interface)"
	}
	return "nothing graded reaches it"
}

// declGraph is the package's declarations and who mentions whom. An edge
// goes from a declaration to every declaration named like an identifier
// it mentions (a method by its name alone): without type information this
// over-approximates the calls, which only ever makes the rule stricter.
type declGraph struct {
	nodes  []*declNode
	byName map[string][]*declNode
}

func buildGraph(p *pkgSource) *declGraph {
	g := &declGraph{byName: map[string][]*declNode{}}
	names := make([]string, 0, len(p.files))
	for n := range p.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, fname := range names {
		f := p.files[fname]
		add := func(n *declNode, root ast.Node, named ...string) {
			n.file, n.line = f, p.fset.Position(root.Pos()).Line
			n.uses, n.names = map[string]bool{}, map[string]bool{}
			ast.Inspect(root, func(x ast.Node) bool {
				switch x := x.(type) {
				case *ast.SelectorExpr:
					if id, ok := x.X.(*ast.Ident); ok {
						if _, isImport := f.imports[id.Name]; isImport {
							n.uses[id.Name] = true
							return false // pkg.Name names nothing of the package
						}
					}
				case *ast.Ident:
					n.names[x.Name] = true
				}
				return true
			})
			g.nodes = append(g.nodes, n)
			for _, name := range named {
				if name != "_" {
					g.byName[name] = append(g.byName[name], n)
				}
			}
		}
		for _, d := range f.ast.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				switch {
				case d.Recv != nil:
					add(&declNode{key: declKey(d), kind: nodeMethod}, d, d.Name.Name)
				case d.Name.Name == "init":
					add(&declNode{key: "init", kind: nodeInit}, d)
				default:
					add(&declNode{key: d.Name.Name, kind: nodeFunc}, d, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						var declared []string
						for _, id := range s.Names {
							declared = append(declared, id.Name)
						}
						add(&declNode{key: strings.Join(declared, ", "), kind: nodeValue, isConst: d.Tok == token.CONST}, s, declared...)
					case *ast.TypeSpec:
						// A type runs no code: it is a root for the
						// imports it names, with no edges.
						add(&declNode{key: s.Name.Name, kind: nodeType}, s, s.Name.Name)
						g.nodes[len(g.nodes)-1].names = nil
					}
				}
			}
		}
	}
	return g
}

// reach walks from the roots along the edges, never entering a node that
// stop reports, and returns, for each node reached, the
// root it was first reached from.
func (g *declGraph) reach(roots []*declNode, stop func(*declNode) bool) map[*declNode]*declNode {
	from := map[*declNode]*declNode{}
	for _, r := range roots {
		if _, seen := from[r]; seen {
			continue
		}
		from[r] = r
		queue := []*declNode{r}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			names := make([]string, 0, len(n.names))
			for name := range n.names {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				for _, m := range g.byName[name] {
					if _, seen := from[m]; !seen && (stop == nil || !stop(m)) {
						from[m] = r
						queue = append(queue, m)
					}
				}
			}
		}
	}
	return from
}

// checkImports applies the import rule to every import of every file.
func checkImports(t *Task, p *pkgSource) []violation {
	g := buildGraph(p)
	graded := map[*declNode]bool{}
	var gradedRoots, anyRoots []*declNode
	gradedMethods := map[string]bool{}
	for _, it := range t.Items {
		for _, m := range it.Methods {
			gradedMethods[m] = true
		}
	}
	for _, n := range g.nodes {
		switch {
		case n.kind == nodeFunc && t.FuncType(n.key) != nil, n.kind == nodeMethod && gradedMethods[n.key]:
			graded[n] = true
			gradedRoots = append(gradedRoots, n)
		case n.kind != nodeFunc:
			anyRoots = append(anyRoots, n)
		}
	}
	anyFrom := g.reach(anyRoots, nil)
	// What each graded declaration reaches, not counting the other graded
	// ones: those answer for themselves.
	gradedReach := map[*declNode]map[*declNode]*declNode{}
	for _, r := range gradedRoots {
		gradedReach[r] = g.reach([]*declNode{r}, func(n *declNode) bool { return graded[n] })
	}

	allowed := map[string]bool{}
	for _, a := range t.Allowed {
		allowed[a] = true
	}
	names := make([]string, 0, len(p.files))
	for n := range p.files {
		names = append(names, n)
	}
	sort.Strings(names)
	var vs []violation
	for _, fname := range names {
		f := p.files[fname]
		for _, is := range f.ast.Imports {
			path, _ := strconv.Unquote(is.Path.Value)
			at := fmt.Sprintf("%s:%d", fname, p.fset.Position(is.Pos()).Line)
			whole := func(reason string) {
				vs = append(vs, violation{status: RuleBroken, reason: reason, wholeTask: true})
			}
			switch {
			case path == "C":
				whole(fmt.Sprintf(`import "C" at %s: cgo is not allowed (C code runs outside Go's safety checks); remove the import and the C code above it`, at))
				continue
			case path == "unsafe":
				whole(fmt.Sprintf(`import "unsafe" at %s is not allowed: it gets around Go's type and memory safety; remove it and the code that uses it`, at))
				continue
			case allowed[path]:
				continue
			}
			head := fmt.Sprintf("import %q at %s is not allowed in %s (allowed: %s)", path, at, t.Name, strings.Join(t.Allowed, ", "))
			const fix = ", so the whole task scores 0; remove the import and the code that uses it"
			local := gen.ImportName(path)
			if is.Name != nil {
				local = is.Name.Name
			}
			var users []*declNode
			for _, n := range g.nodes {
				if n.file == f && n.uses[local] {
					users = append(users, n)
				}
			}
			if graderPackage(path) {
				whole(head + ": the kit's reference solutions, checker and task code are off limits to a task" + fix)
				continue
			}
			switch local {
			case "_":
				whole(head + ": a blank import runs the package's initialisation whatever is graded" + fix)
				continue
			case ".":
				whole(head + ": a dot import hides which code uses the package" + fix)
				continue
			}
			if len(users) == 0 {
				whole(head + ": nothing uses it" + fix)
				continue
			}
			if i := slices.IndexFunc(users, func(n *declNode) bool { _, ok := anyFrom[n]; return ok }); i >= 0 {
				u := users[i]
				r := anyFrom[u]
				if r == u {
					whole(fmt.Sprintf("%s: %s uses it, and %s%s", head, u, u.why(), fix))
				} else {
					whole(fmt.Sprintf("%s: %s uses it and %s reaches it; %s%s", head, u, r, r.why(), fix))
				}
				continue
			}
			var charged []*declNode
			for _, r := range gradedRoots {
				if slices.ContainsFunc(users, func(u *declNode) bool { _, ok := gradedReach[r][u]; return ok }) {
					charged = append(charged, r)
				}
			}
			if len(charged) == 0 {
				whole(fmt.Sprintf("%s: only %s uses it, and no graded function reaches that, so the checker cannot tell which item it belongs to%s", head, users[0], fix))
				continue
			}
			v := violation{status: RuleBroken}
			var by, through []string
			for _, r := range charged {
				by = append(by, r.key)
				if r.kind == nodeMethod {
					v.methods = append(v.methods, r.key)
				} else {
					v.funcs = append(v.funcs, r.key)
				}
			}
			for _, u := range users {
				v.stub = append(v.stub, u.key)
				if !graded[u] {
					through = append(through, u.String())
				}
			}
			v.reason = head + "; used by " + strings.Join(by, ", ")
			if len(through) > 0 {
				v.reason += " (through " + strings.Join(through, ", ") + ")"
			}
			v.reason += ": remove the import and the code that uses it"
			vs = append(vs, v)
		}
	}
	return vs
}
