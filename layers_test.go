// Package nnkit holds no code: the module root's one file is this test,
// which pins the layering that the folders show (README.md, "Layout").
package nnkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// layers is the module's layering, bottom up. A package may import
// packages of its own layer and of the layers below it, never of a layer
// above, in its code and in its tests; every package of the module sits
// in exactly one layer. A pattern "x/..." covers x and every package
// under it.
var layers = []layer{
	// The engine: tensors, autograd and their kernels (tensor/internal: gemm, par, cuda), layers, optimisers; it knows nothing of the assignment.
	{"engine", []string{"nnkit/tensor/...", "nnkit/nn/...", "nnkit/optim/..."}},
	// Data sets as tensors: Fashion-MNIST with its embedded subset, the synthetic cubes of tasks 1-2.
	{"data", []string{"nnkit/data/..."}},
	// What the tasks, the graders and the tools share: the tasks' signatures (spec), progress bars, plots.
	{"kit libraries", []string{"nnkit/spec", "nnkit/progress", "nnkit/charts"}},
	// The tasks: the reference solutions (and the assignment's networks) and the stubs generated from them.
	{"tasks", []string{"nnkit/solutions/...", "nnkit/exercises/..."}},
	// The graders: the checker (rubrics, student processes, grading, the student copy) and the conceptual problems.
	{"graders", []string{"nnkit/checker/...", "nnkit/conceptual/..."}},
	// The tools: the commands, and helpers private to them (cmd/check/internal: check run's notebooks, check watch).
	{"tools", []string{"nnkit/cmd/..."}},
}

// moduleRoot is the import path of this folder, which holds only this
// test and so sits in no layer.
const moduleRoot = "nnkit"

type layer struct {
	name     string
	patterns []string
}

// pkg is what go list says of one package.
type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// TestLayering lists the module's packages with go list, as built by
// default and with -tags cuda (the GPU backend's files import more), and
// fails on every import that runs up the layers, every package the table
// does not place, and every pattern of the table that places nothing.
// Checking every package's direct imports checks its whole `go list
// -deps` closure: an upward dependency, however deep, has an upward
// import somewhere on its path, and that import is reported.
func TestLayering(t *testing.T) {
	for _, tags := range []string{"", "cuda"} {
		pkgs, err := goList(tags)
		if err != nil {
			t.Fatalf("go list -tags %q: %v", tags, err)
		}
		if len(pkgs) < 20 {
			t.Fatalf("go list -tags %q lists %d packages; expected the whole module", tags, len(pkgs))
		}
		for _, p := range violations(pkgs) {
			t.Errorf("-tags %q: %s", tags, p)
		}
	}
}

// TestLayeringCatchesUpwardImports feeds violations made-up import
// graphs: each mistake it must report, and a clean graph that it must
// accept.
func TestLayeringCatchesUpwardImports(t *testing.T) {
	clean := []pkg{
		{ImportPath: "nnkit/tensor/internal/gemm"},
		{ImportPath: "nnkit/tensor", Imports: []string{"fmt", "nnkit/tensor/internal/gemm"}, TestImports: []string{"nnkit/tensor/gradcheck"}},
		{ImportPath: "nnkit/tensor/gradcheck", Imports: []string{"nnkit/tensor"}},
		{ImportPath: "nnkit/nn", Imports: []string{"nnkit/tensor"}, XTestImports: []string{"nnkit/nn", "nnkit/optim"}},
		{ImportPath: "nnkit/optim", Imports: []string{"nnkit/tensor"}},
		{ImportPath: "nnkit/data", Imports: []string{"embed", "nnkit/tensor"}},
		{ImportPath: "nnkit/spec", Imports: []string{"nnkit/data", "nnkit/progress"}},
		{ImportPath: "nnkit/progress"},
		{ImportPath: "nnkit/charts"},
		{ImportPath: "nnkit/solutions/task3", Imports: []string{"nnkit/spec", "nnkit/nn"}},
		{ImportPath: "nnkit/exercises/task3", Imports: []string{"nnkit/spec"}},
		{ImportPath: "nnkit/checker", Imports: []string{"nnkit/solutions/task3", "nnkit/checker/launch"}},
		{ImportPath: "nnkit/checker/launch"},
		{ImportPath: "nnkit/conceptual", Imports: []string{"nnkit/solutions/task3"}},
		{ImportPath: "nnkit/cmd/check", Imports: []string{"nnkit/checker", "nnkit/cmd/check/internal/watch"}},
		{ImportPath: "nnkit/cmd/check/internal/watch"},
		{ImportPath: moduleRoot, TestImports: []string{"os/exec"}},
	}
	if v := violations(clean); len(v) != 0 {
		t.Fatalf("a clean graph: %q", v)
	}
	// with returns a copy of clean where from also imports imp (in its
	// tests with test).
	with := func(from, imp string, test bool) []pkg {
		ps := slices.Clone(clean)
		for i, p := range ps {
			if p.ImportPath == from && test {
				ps[i].XTestImports = append(slices.Clip(p.XTestImports), imp)
			} else if p.ImportPath == from {
				ps[i].Imports = append(slices.Clip(p.Imports), imp)
			}
		}
		return ps
	}
	gradcheckBroken := slices.Clone(clean)
	gradcheckBroken[2].Error = &struct{ Err string }{"no Go files"}
	for _, c := range []struct {
		pkgs []pkg
		want string
	}{
		{with("nnkit/tensor", "nnkit/data", false), "nnkit/tensor (engine) imports nnkit/data (data)"},
		{with("nnkit/optim", "nnkit/progress", false), "nnkit/optim (engine) imports nnkit/progress (kit libraries)"},
		{with("nnkit/data", "nnkit/solutions/task3", true), "nnkit/data (data) imports nnkit/solutions/task3 (tasks) in its tests"},
		{with("nnkit/spec", "nnkit/solutions/task3", false), "nnkit/spec (kit libraries) imports nnkit/solutions/task3 (tasks)"},
		{with("nnkit/solutions/task3", "nnkit/checker", true), "nnkit/solutions/task3 (tasks) imports nnkit/checker (graders) in its tests"},
		{with("nnkit/checker", "nnkit/cmd/check/internal/watch", false), "nnkit/checker (graders) imports nnkit/cmd/check/internal/watch (tools)"},
		{with("nnkit/nn", moduleRoot, false), "nnkit/nn imports the module root"},
		{append(slices.Clone(clean), pkg{ImportPath: "nnkit/kitutil"}), "nnkit/kitutil is in no layer"},
		{slices.DeleteFunc(slices.Clone(clean), func(p pkg) bool { return p.ImportPath == "nnkit/charts" }), `"nnkit/charts" (kit libraries) places no package`},
		{gradcheckBroken, "nnkit/tensor/gradcheck: no Go files"},
	} {
		v := violations(c.pkgs)
		if !slices.ContainsFunc(v, func(s string) bool { return strings.Contains(s, c.want) }) {
			t.Errorf("want %q among %q", c.want, v)
		}
	}
	if v := violations(clean); len(v) != 0 {
		t.Errorf("the clean graph changed under the cases: %q", v)
	}
}

// violations lists, for the packages pkgs, every import that runs up
// the layers, every package outside the table, every pattern that
// places nothing, and the errors go list reported.
func violations(pkgs []pkg) []string {
	var out []string
	used := map[string]bool{}
	byPath := map[string]bool{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = true
	}
	for _, p := range pkgs {
		if p.Error != nil {
			out = append(out, fmt.Sprintf("%s: %s", p.ImportPath, p.Error.Err))
		}
		if p.ImportPath == moduleRoot {
			continue
		}
		li, pat := layerOf(p.ImportPath)
		if li < 0 {
			out = append(out, fmt.Sprintf("%s is in no layer: add it to the table in layers_test.go, in the lowest layer its imports allow", p.ImportPath))
			continue
		}
		used[pat] = true
		for _, imps := range []struct {
			list  []string
			where string
		}{{p.Imports, ""}, {p.TestImports, " in its tests"}, {p.XTestImports, " in its tests"}} {
			for _, imp := range imps.list {
				if !inModule(imp) {
					continue
				}
				if imp == moduleRoot {
					out = append(out, fmt.Sprintf("%s imports the module root, which holds only this test", p.ImportPath))
					continue
				}
				lj, _ := layerOf(imp)
				if lj > li {
					out = append(out, fmt.Sprintf("%s (%s) imports %s (%s)%s: a layer may import only its own and the layers below",
						p.ImportPath, layers[li].name, imp, layers[lj].name, imps.where))
				}
			}
		}
	}
	for _, l := range layers {
		for _, pat := range l.patterns {
			if !used[pat] {
				out = append(out, fmt.Sprintf("%q (%s) places no package: remove it from the table, or put the folder back", pat, l.name))
			}
		}
	}
	return out
}

// layerOf returns the index of path's layer and the pattern that placed
// it, or -1 and "" for a package in no layer (one in several is placed
// by the first, lowest layer; the table's patterns do not overlap).
func layerOf(path string) (int, string) {
	for i, l := range layers {
		for _, pat := range l.patterns {
			if base, ok := strings.CutSuffix(pat, "/..."); ok && (path == base || strings.HasPrefix(path, base+"/")) || path == pat {
				return i, pat
			}
		}
	}
	return -1, ""
}

// inModule reports whether the import path belongs to this module.
func inModule(path string) bool {
	return path == moduleRoot || strings.HasPrefix(path, moduleRoot+"/")
}

// goList runs go list on the whole module with the build tags.
func goList(tags string) ([]pkg, error) {
	cmd := exec.Command("go", "list", "-e", "-tags="+tags, "-json=ImportPath,Imports,TestImports,XTestImports,Error", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr.Bytes())
	}
	var pkgs []pkg
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
}
