package gen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"nnkit/checker/launch"
)

// A Resolver finds the definition of a type exported by another package
// (path, name), so that the zero value of an imported interface type can
// be written nil instead of *new(pkg.T). It returns nil when it cannot
// tell.
type Resolver func(path, name string) ast.Expr

// SourceResolver resolves types by parsing (not type-checking) the
// source of the packages of the module at root and of the standard
// library: cheap, and enough to see that nn.Module is an interface.
// Packages of other modules are not looked at (their types keep
// *new(T), which is also a zero value). A type defined as another named
// type is followed within its package.
func SourceResolver(root string) Resolver {
	module := ""
	if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil {
		if m := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindSubmatch(b); m != nil {
			module = string(m[1])
		}
	}
	cache := map[string]map[string]ast.Expr{}
	goroot, rooted := "", false
	load := func(path string) map[string]ast.Expr {
		if ts, ok := cache[path]; ok {
			return ts
		}
		var dir string
		switch {
		case module != "" && (path == module || strings.HasPrefix(path, module+"/")):
			dir = filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(path, module)))
		case !strings.Contains(strings.Split(path, "/")[0], "."):
			if !rooted {
				goroot, rooted = goRoot(), true
			}
			if goroot != "" {
				dir = filepath.Join(goroot, "src", filepath.FromSlash(path))
			}
		}
		ts := map[string]ast.Expr{}
		cache[path] = ts
		if dir == "" {
			return ts
		}
		names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, n := range names {
			if strings.HasSuffix(n, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), n, nil, parser.SkipObjectResolution)
			if err != nil {
				continue
			}
			for name, def := range localTypes(f) {
				ts[name] = def
			}
		}
		return ts
	}
	return func(path, name string) ast.Expr {
		ts := load(path)
		def := ts[name]
		for range 8 { // follow "type A B" within the package
			id, ok := def.(*ast.Ident)
			if !ok || ts[id.Name] == nil {
				break
			}
			def = ts[id.Name]
		}
		return def
	}
}

// goRoot is the GOROOT of the go command the kit builds with, as `go env
// GOROOT` prints it (runtime.GOROOT, the root this binary was built from,
// may be gone), or "" when that fails: standard-library types are then
// not resolved, and keep *new(T).
func goRoot() string {
	out, err := exec.Command(launch.GoCommand(), "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// importedNil reports whether the named type sel of the package imported
// as pkg in the file is one whose zero value is nil (an interface,
// pointer, slice, map, channel or function type), as far as resolve can
// tell.
func importedNil(x *ast.SelectorExpr, imports map[string]string, resolve Resolver) bool {
	if resolve == nil {
		return false
	}
	id, ok := x.X.(*ast.Ident)
	if !ok {
		return false
	}
	path, ok := imports[id.Name]
	if !ok {
		return false
	}
	switch def := resolve(path, x.Sel.Name).(type) {
	case *ast.InterfaceType, *ast.StarExpr, *ast.MapType, *ast.ChanType, *ast.FuncType:
		return true
	case *ast.ArrayType:
		return def.Len == nil
	}
	return false
}
