package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"nnkit/checker"
	"nnkit/checker/distrib"
	"nnkit/checker/gen"
)

// resetCmd is `check reset TASK [ITEM]`: restore the stub of a task's
// files, or of one graded function, keeping a backup of each file it
// changes.
func resetCmd(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("reset", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		log.Print("usage: check reset TASK [ITEM] (for example: check reset task1 Relu)")
		return errUsage
	}
	task, err := taskName(pos[0])
	if err != nil {
		log.Printf("reset: %v", err)
		return errUsage
	}
	root, err := checker.FindRoot(".")
	if err != nil {
		return err
	}
	stubs, err := pristineStubs(root, task)
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "exercises", task)
	stamp := gen.BackupStamp()
	if len(pos) == 1 {
		return resetTask(w, root, dir, stubs, stamp)
	}
	name, err := resetItem(task, pos[1], stubs)
	if err != nil {
		log.Printf("reset: %v", err)
		return errUsage
	}
	return resetFunc(w, root, dir, name, stubs, stamp)
}

// pristineStubs returns the task's stub files by name (task1.go): from
// ROOT/.nnkit/stubs/TASK when the kit has them (the student copy), else
// generated from solutions/ (the instructor's repository).
func pristineStubs(root, task string) (map[string][]byte, error) {
	stubs := map[string][]byte{}
	dir := filepath.Join(root, filepath.FromSlash(distrib.StubsDir), task)
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		stubs[filepath.Base(n)] = b
	}
	if len(stubs) > 0 {
		return stubs, nil
	}
	files, err := gen.GenerateTask(root, task)
	if err != nil {
		return nil, fmt.Errorf("reset: no stubs of %s in %s, and %v", task, filepath.Join(distrib.StubsDir, task), err)
	}
	for _, f := range files {
		stubs[filepath.Base(f.Exercise)] = f.Content
	}
	return stubs, nil
}

// resetTask writes every stub file into dir, keeping a backup of each
// file it replaces. Files of the student's own are left and named.
func resetTask(w io.Writer, root, dir string, stubs map[string][]byte, stamp string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range sortedKeys(stubs) {
		path := filepath.Join(dir, name)
		old, err := os.ReadFile(path)
		switch {
		case err == nil && bytes.Equal(old, stubs[name]):
			fmt.Fprintf(w, "%s is already the stub\n", relTo(root, path))
			continue
		case err == nil:
			bak, err := gen.Backup(path, stamp)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "kept your %s as %s\n", relTo(root, path), relTo(root, bak))
		case !errors.Is(err, os.ErrNotExist):
			return err
		}
		if err := os.WriteFile(path, stubs[name], 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "restored the stub of %s\n", relTo(root, path))
	}
	own, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, p := range own {
		if _, ok := stubs[filepath.Base(p)]; !ok {
			fmt.Fprintf(w, "left %s as it is: it is not one of the task's files\n", relTo(root, p))
		}
	}
	return nil
}

// resetItem resolves ITEM, as a student may type it, to the declaration
// to restore ("Relu", "Residual.Forward"): a graded function, a graded
// method, or a rubric item (its method if it grades one, else the
// function it uses), ignoring case. The error lists what can be reset.
func resetItem(task, item string, stubs map[string][]byte) (string, error) {
	t := checker.LookupTask(task)
	var names []string
	names = append(names, t.Funcs()...)
	for _, it := range t.Items {
		names = append(names, it.Methods...)
	}
	declared := map[string]bool{}
	for _, src := range stubs {
		for _, fd := range funcDecls(src) {
			declared[gen.DeclName(fd)] = true
		}
	}
	names = slices.DeleteFunc(names, func(n string) bool { return !declared[n] })
	for _, n := range names {
		if strings.EqualFold(n, item) {
			return n, nil
		}
	}
	for _, it := range t.Items {
		if !strings.EqualFold(it.Name, item) {
			continue
		}
		target := it.Uses[0]
		if len(it.Methods) > 0 {
			target = it.Methods[0]
		}
		if declared[target] {
			return target, nil
		}
	}
	return "", fmt.Errorf("%s has no graded function %q (expected one of %s)", task, item, strings.Join(names, ", "))
}

// funcDecls returns the function declarations of a Go file, or none when
// it does not parse.
func funcDecls(src []byte) []*ast.FuncDecl {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	var fds []*ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			fds = append(fds, fd)
		}
	}
	return fds
}

// declSpan finds the declaration called name in a Go file: its byte
// offsets (from "func" to the closing brace) and the file's AST.
func declSpan(filename string, src []byte, name string) (start, end int, f *ast.File, err error) {
	fset := token.NewFileSet()
	f, err = parser.ParseFile(fset, filename, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return 0, 0, nil, err
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && gen.DeclName(fd) == name {
			return fset.Position(fd.Pos()).Offset, fset.Position(fd.End()).Offset, f, nil
		}
	}
	return -1, -1, f, nil
}

// resetFunc replaces the declaration of name in the student's files with
// the stub's, byte for byte, leaving everything else in the file as it
// was (imports that only the student's version used are dropped, and
// imports the stub needs are added).
func resetFunc(w io.Writer, root, dir, name string, stubs map[string][]byte, stamp string) error {
	var stub []byte
	var stubFile *ast.File
	var stubName string
	for _, n := range sortedKeys(stubs) {
		s, e, f, err := declSpan(n, stubs[n], name)
		if err == nil && s >= 0 {
			stub, stubFile, stubName = stubs[n][s:e], f, n
			break
		}
	}
	// The student's file that declares it, which may not be the stub's.
	own, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	slices.SortFunc(own, func(a, b string) int { // the stub's file first
		return boolRank(filepath.Base(b) == stubName) - boolRank(filepath.Base(a) == stubName)
	})
	for _, path := range own {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s, e, _, err := declSpan(path, src, name)
		if err != nil {
			return fmt.Errorf("reset: %s does not parse (%v): fix it, or restore the whole task with check reset %s", relTo(root, path), err, filepath.Base(dir))
		}
		if s < 0 {
			continue
		}
		if bytes.Equal(src[s:e], stub) {
			fmt.Fprintf(w, "%s in %s is already the stub\n", name, relTo(root, path))
			return nil
		}
		out := slices.Concat(src[:s], stub, src[e:])
		if out, err = fixImports(path, out, stubFile); err != nil {
			return err
		}
		bak, err := gen.Backup(path, stamp)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "restored the stub of %s in %s (your file is kept as %s)\n", name, relTo(root, path), relTo(root, bak))
		return nil
	}
	return fmt.Errorf("reset: no file in %s declares %s: restore the whole task with check reset %s", relTo(root, dir), name, filepath.Base(dir))
}

// fixImports drops the imports of src that nothing uses any more and adds
// those of the stub's file that src now uses without importing. Only the
// lines between the package clause and the first other declaration
// change.
func fixImports(filename string, src []byte, stubFile *ast.File) ([]byte, error) {
	src, err := gen.RemoveUnusedImports(filename, src)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, is := range f.Imports {
		have[importName(is)] = true
	}
	var add []string
	used := gen.UsedPackageNames(f)
	for _, is := range stubFile.Imports {
		if n := importName(is); used[n] && !have[n] && !declaresName(f, n) {
			add = append(add, "import "+is.Path.Value+"\n")
		}
	}
	// The header: from the line after the package clause to the first
	// declaration that is not an import (or its doc comment).
	start := fset.Position(f.Name.End()).Offset
	if nl := bytes.IndexByte(src[start:], '\n'); nl >= 0 {
		start += nl + 1
	}
	end := len(src)
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			continue
		}
		pos := d.Pos()
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Doc != nil {
			pos = fd.Doc.Pos()
		} else if gd, ok := d.(*ast.GenDecl); ok && gd.Doc != nil {
			pos = gd.Doc.Pos()
		}
		end = fset.Position(pos).Offset
		break
	}
	header := src[start:end]
	if len(add) > 0 {
		header = slices.Concat([]byte("\n"+strings.Join(add, "")), header)
	}
	// Dropping a whole import block leaves its blank lines: keep one.
	header = blankLines.ReplaceAll(header, []byte("\n\n"))
	return slices.Concat(src[:start], header, src[end:]), nil
}

var blankLines = regexp.MustCompile(`\n{3,}`)

// importName is the name an import spec binds.
func importName(is *ast.ImportSpec) string {
	if is.Name != nil {
		return is.Name.Name
	}
	p, _ := strconv.Unquote(is.Path.Value)
	return gen.ImportName(p)
}

// declaresName reports whether the file declares name at package level
// (then name.X is not a package's).
func declaresName(f *ast.File, name string) bool {
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, s := range gd.Specs {
			switch s := s.(type) {
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.Name == name {
						return true
					}
				}
			case *ast.TypeSpec:
				if s.Name.Name == name {
					return true
				}
			}
		}
	}
	return false
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sortedKeys(m map[string][]byte) []string {
	return slices.Sorted(maps.Keys(m))
}

// relTo writes path relative to root when it is below it.
func relTo(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return path
}
