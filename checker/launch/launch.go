// Package launch builds the programs that run a student's code: the
// student's packages placed, through `go build -overlay`, at virtual
// import paths inside the kit's module, and a generated main package
// beside them. Nothing is written to the student's folders, which may be
// anywhere, and the kit's tree is not touched either: the overlay and
// the binary live in a temporary folder.
//
// The checker builds its student programs (for check, check grade and
// the conceptual grader) and `check run` builds its notebooks through
// this one mechanism; they differ only in the main they generate.
package launch

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Module is the kit's module path.
const Module = "nnkit"

// Program is a program to build.
type Program struct {
	Root string // the module root
	// Dir is the folder under Root, slash-separated, where the packages
	// are placed: package "task1" becomes Module/Dir/task1.
	Dir string
	// Packages maps each package's folder name to its files (base name
	// -> source).
	Packages map[string]map[string][]byte
	// Main is the main package's one file; it is placed at Dir/main.
	Main []byte
	Tags []string // build tags
	Go   string   // the go command
	// Static builds without cgo, so that the program needs no shared
	// library: a student program runs in a root holding nothing else.
	Static bool
	// Work is a temporary folder of the caller's for the overlay.
	Work string
}

// ImportPath returns the import path package pkg gets.
func (p *Program) ImportPath(pkg string) string { return Module + "/" + p.Dir + "/" + pkg }

// MainPath is the main package's import path.
func (p *Program) MainPath() string { return p.ImportPath("main") }

// VirtualDir returns the folder the go command believes pkg is in; its
// compiler messages and the program's stack traces name it.
func (p *Program) VirtualDir(pkg string) string {
	return filepath.Join(p.Root, filepath.FromSlash(p.Dir), pkg)
}

// overlay writes the sources under Work and the overlay file naming
// them; it returns the overlay's path.
func (p *Program) overlay() (string, error) {
	replace := map[string]string{}
	put := func(pkg, name string, src []byte) error {
		path := filepath.Join(p.Work, "src", pkg, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, src, 0o644); err != nil {
			return err
		}
		replace[filepath.Join(p.VirtualDir(pkg), name)] = path
		return nil
	}
	for pkg, files := range p.Packages {
		if pkg == "main" || strings.ContainsAny(pkg, `/\.`) {
			return "", fmt.Errorf("launch: package folder %q, expected a plain name other than main", pkg)
		}
		for name, src := range files {
			if err := put(pkg, name, src); err != nil {
				return "", err
			}
		}
	}
	if err := put("main", "main.go", p.Main); err != nil {
		return "", err
	}
	b, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		return "", err
	}
	path := filepath.Join(p.Work, "overlay.json")
	return path, os.WriteFile(path, b, 0o644)
}

// Build compiles the program to out. A compiler failure returns the go
// command's output and an error wrapping ErrCompile; any other error is
// the kit's or the machine's, not the student's.
func (p *Program) Build(ctx context.Context, out string) (string, error) {
	ov, err := p.overlay()
	if err != nil {
		return "", fmt.Errorf("launch: writing the overlay: %w", err)
	}
	args := []string{"build", "-o", out, "-overlay", ov}
	if len(p.Tags) > 0 {
		args = append(args, "-tags", strings.Join(p.Tags, ","))
	}
	b, err := p.goCommand(ctx, append(args, p.MainPath())...).CombinedOutput()
	switch {
	case err == nil:
		return string(b), nil
	case ctx.Err() != nil:
		return string(b), ctx.Err()
	}
	if _, ok := err.(*exec.ExitError); ok {
		return string(b), fmt.Errorf("%w: %s", ErrCompile, firstLine(string(b)))
	}
	return string(b), fmt.Errorf("launch: running %s build: %w", p.Go, err)
}

// ErrCompile is wrapped by Build's error when the go command rejected
// the sources.
var ErrCompile = fmt.Errorf("the program does not compile")

// Deps lists every package the program links (`go list -deps`).
func (p *Program) Deps(ctx context.Context) ([]string, error) {
	ov, err := p.overlay()
	if err != nil {
		return nil, err
	}
	args := []string{"list", "-deps", "-overlay", ov}
	if len(p.Tags) > 0 {
		args = append(args, "-tags", strings.Join(p.Tags, ","))
	}
	out, err := p.goCommand(ctx, append(args, p.MainPath())...).Output()
	if err != nil {
		return nil, fmt.Errorf("launch: listing the program's packages: %v", err)
	}
	deps := strings.Fields(string(out))
	slices.Sort(deps)
	return deps, nil
}

// goCommand is the go command with args, run in the module root.
func (p *Program) goCommand(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.Go, args...)
	cmd.Dir = p.Root
	if p.Static {
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	return cmd
}

// Unvirtual replaces the virtual folders in s (compiler messages, stack
// traces), and the overlay's copies of the sources under Work, with the
// names given in real (package -> what to show, "" for bare file names).
func (p *Program) Unvirtual(s string, real map[string]string) string {
	for pkg, to := range real {
		v := p.VirtualDir(pkg)
		sep := string(filepath.Separator)
		if to != "" {
			to = strings.TrimSuffix(to, sep) + sep
		}
		s = strings.ReplaceAll(s, v+sep, to)
		if p.Work != "" { // the go command may name the overlay's own copies
			copies := filepath.Join(p.Work, "src", pkg)
			s = strings.ReplaceAll(s, copies+sep, to)
			// ... relative to the folder it runs in, when that is shorter.
			if rel, err := filepath.Rel(p.Root, copies); err == nil && p.Root != "" {
				s = strings.ReplaceAll(s, rel+sep, to)
			}
		}
		rel := p.Dir + "/" + pkg + "/"
		s = strings.ReplaceAll(s, "./"+rel, filepath.ToSlash(to))
		s = strings.ReplaceAll(s, rel, filepath.ToSlash(to))
	}
	return s
}

func firstLine(s string) string {
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return strings.TrimSpace(s)
}
