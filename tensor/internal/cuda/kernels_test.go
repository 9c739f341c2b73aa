//go:build cuda

package cuda

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// kernelDecl matches an extern "C" kernel and captures its name and
// parameter list.
var kernelDecl = regexp.MustCompile(`extern "C" __global__ void (\w+)\s*\(([^)]*)\)`)

// sourceKernels returns each kernel of kernels.cu with its parameters.
func sourceKernels(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, m := range kernelDecl.FindAllStringSubmatch(kernelSource, -1) {
		if _, dup := out[m[1]]; dup {
			t.Errorf("kernel %s defined twice", m[1])
		}
		var params []string
		for _, p := range strings.Split(m[2], ",") {
			params = append(params, strings.Join(strings.Fields(p), " "))
		}
		out[m[1]] = params
	}
	return out
}

func TestKernelSourcePresent(t *testing.T) {
	src, err := os.ReadFile("kernels.cu")
	if err != nil {
		t.Fatal(err)
	}
	if string(src) != kernelSource {
		t.Fatal("embedded kernelSource differs from kernels.cu")
	}
	if strings.Contains(kernelSource, "#include") {
		t.Error("kernels.cu includes a header; NVRTC has none by default")
	}
	// Braces and parentheses balance (outside comments).
	code := regexp.MustCompile(`//[^\n]*`).ReplaceAllString(kernelSource, "")
	for _, p := range []string{"{}", "()", "[]"} {
		if a, b := strings.Count(code, p[:1]), strings.Count(code, p[1:]); a != b {
			t.Errorf("kernels.cu: %d %q but %d %q", a, p[:1], b, p[1:])
		}
	}
}

// Every kernel Go looks up is defined, and every defined kernel is used.
func TestKernelNamesDefined(t *testing.T) {
	ks := sourceKernels(t)
	for _, name := range kernelNames {
		if _, ok := ks[name]; !ok {
			t.Errorf("kernel %s is looked up from Go but not defined in kernels.cu", name)
		}
	}
	for name := range ks {
		if !contains(kernelNames, name) {
			t.Errorf("kernel %s is defined in kernels.cu but not in kernelNames", name)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Every d.launch call in the package passes as many arguments as the
// kernel has parameters, and a kernel name that exists.
func TestLaunchArity(t *testing.T) {
	ks := sourceKernels(t)
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	calls := 0
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "launch" || len(call.Args) < 4 {
				return true
			}
			lit, ok := call.Args[1].(*ast.BasicLit)
			if !ok {
				t.Errorf("%s: launch with a non-literal kernel name", fset.Position(call.Pos()))
				return true
			}
			name, _ := strconv.Unquote(lit.Value)
			params, ok := ks[name]
			if !ok {
				t.Errorf("%s: launch of undefined kernel %s", fset.Position(call.Pos()), name)
				return true
			}
			if got := len(call.Args) - 4; got != len(params) {
				t.Errorf("%s: %s takes %d parameters (%s), launched with %d", fset.Position(call.Pos()), name, len(params), strings.Join(params, ", "), got)
				return true
			}
			// A by-value real parameter must be passed through scalarArg
			// (float32 or float64 by module), and nothing else may be.
			for i, p := range params {
				arg := call.Args[4+i]
				isScalarArg := false
				if c, ok := arg.(*ast.CallExpr); ok {
					if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "scalarArg" {
						isScalarArg = true
					}
				}
				realParam := strings.HasPrefix(p, "real ") && !strings.Contains(p, "*")
				if realParam != isScalarArg {
					t.Errorf("%s: %s parameter %q: scalarArg used=%v", fset.Position(arg.Pos()), name, p, isScalarArg)
				}
			}
			calls++
			return true
		})
	}
	if calls < len(kernelNames) {
		t.Errorf("found %d launch calls for %d kernels", calls, len(kernelNames))
	}
}

// The Go mirrors of the by-value struct parameters have the C layout.
func TestStructArgLayout(t *testing.T) {
	if s := unsafe.Sizeof(bcastArg{}); s != 4*(1+3*maxDims) || s > argSlotBytes {
		t.Errorf("bcastArg is %d bytes, want %d (struct Bcast)", s, 4*(1+3*maxDims))
	}
	if s := unsafe.Sizeof(permArg{}); s != 4*(1+2*maxDims) {
		t.Errorf("permArg is %d bytes, want %d (struct Perm)", s, 4*(1+2*maxDims))
	}
	for _, name := range []string{"Bcast", "Perm"} {
		re := regexp.MustCompile(`struct ` + name + ` \{\s*int ndim;((?:\s*int \w+\[6\];)+)\s*\};`)
		m := re.FindStringSubmatch(kernelSource)
		if m == nil {
			t.Errorf("struct %s not found in the expected form", name)
			continue
		}
		want := map[string]int{"Bcast": 3, "Perm": 2}[name]
		if got := strings.Count(m[1], "[6]"); got != want {
			t.Errorf("struct %s has %d arrays, the Go mirror %d", name, got, want)
		}
	}
}

func TestCompileOptions(t *testing.T) {
	if got := pickArch(90, []int{50, 52, 60, 70, 75, 80, 86, 89, 90}); got != 90 {
		t.Errorf("pickArch(90) = %d", got)
	}
	if got := pickArch(100, []int{50, 60, 70, 80, 90}); got != 90 {
		t.Errorf("pickArch for a device newer than NVRTC = %d, want 90", got)
	}
	if got := pickArch(61, []int{50, 60, 70}); got != 60 {
		t.Errorf("pickArch(61) = %d, want 60", got)
	}
	if got := pickArch(86, nil); got != 86 {
		t.Errorf("pickArch without a list = %d", got)
	}
	opts := strings.Join(compileOptions(90, "float"), " ")
	if !strings.Contains(opts, "--gpu-architecture=compute_90") || !strings.Contains(opts, "-Dreal=float") {
		t.Errorf("options %q", opts)
	}
}
