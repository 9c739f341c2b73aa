package checker

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The broken-implementation corpus, beside the checker that it tests:
// checker/testdata/broken/TASK/CASE.go.txt holds one replacement
// function (or a few, with imports if they need them), swapped into a
// copy of solutions/TASK, and the results the checker must give for it:
//
//	// want ITEM score=N status=STATUS reason~"substring" reason~"another"
//	// want nothing          (every item keeps full marks)
//	// replaces NAME         (the function below replaces NAME: a rename)
//	// timeout 2s            (the per-item limit for this case)
//
// Every item that no want line names must keep full marks.

type want struct {
	item    string
	score   float64
	status  Status
	reasons []string
}

type brokenCase struct {
	name     string
	src      string // the case file without its package clause
	wants    []want
	replaces string
	timeout  time.Duration
}

var wantArgRE = regexp.MustCompile(`(\w+)(=|~)("(?:[^"\\]|\\.)*"|\S+)`)

func parseCase(t *testing.T, path string) brokenCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := brokenCase{name: strings.TrimSuffix(filepath.Base(path), ".go.txt"), src: string(b)}
	for _, line := range strings.Split(c.src, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "// want nothing"):
		case strings.HasPrefix(line, "// want "):
			rest := strings.TrimPrefix(line, "// want ")
			item, args, _ := strings.Cut(rest, " ")
			w := want{item: item, score: -1}
			for _, m := range wantArgRE.FindAllStringSubmatch(args, -1) {
				v := m[3]
				if strings.HasPrefix(v, `"`) {
					if v, err = strconv.Unquote(v); err != nil {
						t.Fatalf("%s: %q: %v", path, line, err)
					}
				}
				switch m[1] {
				case "score":
					if w.score, err = strconv.ParseFloat(v, 64); err != nil {
						t.Fatalf("%s: %q: %v", path, line, err)
					}
				case "status":
					w.status = Status(v)
				case "reason":
					w.reasons = append(w.reasons, v)
				default:
					t.Fatalf("%s: %q: unknown key %s", path, line, m[1])
				}
			}
			c.wants = append(c.wants, w)
		case strings.HasPrefix(line, "// replaces "):
			c.replaces = strings.TrimSpace(strings.TrimPrefix(line, "// replaces "))
		case strings.HasPrefix(line, "// timeout "):
			if c.timeout, err = time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(line, "// timeout "))); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
	}
	return c
}

// swapIn copies the non-test files of solutions/task into dir with the
// case's functions and methods in place of the solution's (and its imports
// added). A method replaces the method of the same name on the same
// receiver type ("func (r *Residual) Forward" replaces Residual.Forward).
func swapIn(t *testing.T, task string, c brokenCase, dir string) {
	t.Helper()
	caseFset := token.NewFileSet()
	caseSrc := "package " + task + "\n" + c.src
	cf, err := parser.ParseFile(caseFset, c.name, caseSrc, parser.ParseComments)
	if err != nil {
		t.Fatalf("case %s: %v", c.name, err)
	}
	type repl struct {
		target, text string
	}
	var repls []repl
	for _, d := range cf.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		target := declKey(fd)
		if c.replaces != "" {
			target = c.replaces
		}
		repls = append(repls, repl{target, caseSrc[caseFset.Position(fd.Pos()).Offset:caseFset.Position(fd.End()).Offset]})
	}
	var imports []string
	for _, is := range cf.Imports {
		imports = append(imports, "import "+is.Path.Value)
	}
	names, _ := filepath.Glob(filepath.Join("..", "solutions", task, "*.go"))
	done := map[string]bool{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		type edit struct {
			start, end int
			text       string
		}
		var edits []edit
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			for _, r := range repls {
				if r.target == declKey(fd) {
					edits = append(edits, edit{fset.Position(fd.Pos()).Offset, fset.Position(fd.End()).Offset, r.text})
					done[r.target] = true
				}
			}
		}
		if len(edits) > 0 && len(imports) > 0 {
			var end token.Pos
			for _, d := range f.Decls {
				if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
					end = gd.End()
				}
			}
			off := fset.Position(end).Offset
			edits = append(edits, edit{off, off, "\n" + strings.Join(imports, "\n") + "\n"})
		}
		sort.Slice(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
		out := string(src)
		for _, e := range edits {
			out = out[:e.start] + e.text + out[e.end:]
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range repls {
		if !done[r.target] {
			t.Fatalf("case %s: no function %s in solutions/%s", c.name, r.target, task)
		}
	}
}

func TestBrokenCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds one test binary per case")
	}
	for _, task := range Tasks() {
		cases, _ := filepath.Glob(filepath.Join("testdata", "broken", task.Name, "*.go.txt"))
		if len(cases) == 0 { // a moved corpus must not pass by testing nothing
			t.Errorf("no case in testdata/broken/%s", task.Name)
		}
		for _, path := range cases {
			c := parseCase(t, path)
			t.Run(task.Name+"/"+c.name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), task.Name)
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				swapIn(t, task.Name, c, dir)
				rep, err := Check(context.Background(), dir, Options{Timeout: c.timeout})
				if err != nil {
					t.Fatal(err)
				}
				byItem := map[string]Result{}
				for _, r := range rep.Results {
					byItem[r.Item] = r
				}
				wanted := map[string]bool{}
				for _, w := range c.wants {
					wanted[w.item] = true
					r, ok := byItem[w.item]
					if !ok {
						t.Errorf("no result for %s", w.item)
						continue
					}
					if err := w.match(r); err != nil {
						t.Errorf("%s: %v\n\tgot %v/%v %s: %s", w.item, err, r.Score, r.Max, r.Status, r.Reason)
					}
				}
				for _, r := range rep.Results {
					if !wanted[r.Item] && r.Score != r.Max {
						t.Errorf("%s: %v/%v %s: %s; want full marks", r.Item, r.Score, r.Max, r.Status, r.Reason)
					}
				}
				if t.Failed() || testing.Verbose() {
					logReport(t, rep)
				}
			})
		}
	}
}

func (w want) match(r Result) error {
	if w.score >= 0 && r.Score != w.score {
		return fmt.Errorf("score %v, want %v", r.Score, w.score)
	}
	if w.status != "" && r.Status != w.status {
		return fmt.Errorf("status %q, want %q", r.Status, w.status)
	}
	for _, s := range w.reasons {
		if !strings.Contains(r.Reason, s) {
			return fmt.Errorf("reason lacks %q", s)
		}
	}
	return nil
}
