package grading

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"nnkit/checker"
	conceptual "nnkit/conceptual/grade"
)

// Environment of the per-student child process (`check grade-one`).
const (
	EnvMemLimit = "NNKIT_GRADE_MEMLIMIT" // bytes of address space per process
)

// OneOptions configure GradeOne.
type OneOptions struct {
	Timeout  time.Duration // per rubric item
	MemLimit int64         // bytes of address space of every process; 0: none
}

// GradeOne grades the student folder dir (taskN/ and conceptual/ as
// laid out by the parent) against the kit at kit, in this process and
// the checker's children, and writes the results as JSON to out. It is
// what `check grade` runs in a child process per student.
//
// The memory limit is set here, on this process, as RLIMIT_AS (hard and
// soft, so nothing below can raise it again) and GOMEMLIMIT: every
// process started from here inherits it (the go command's compiler and
// linker, each rubric item's test binary), so a student's allocation
// fails in that item ("fatal error: out of memory") instead of taking the
// machine down. RLIMIT_AS counts address space, which Go reserves
// sparingly, so a few GiB leave the toolchain room.
func GradeOne(ctx context.Context, kit, dir, out string, opt OneOptions) error {
	if opt.MemLimit > 0 {
		if err := limitMemory(opt.MemLimit); err != nil {
			return err
		}
		os.Setenv("GOMEMLIMIT", strconv.FormatInt(opt.MemLimit*3/4, 10))
	}
	var results []checker.Result
	var notes []string
	for _, t := range Tasks {
		d := filepath.Join(dir, t)
		if !exists(d) {
			continue
		}
		notes = append(notes, audit(d, t)...)
		rep, err := checker.Check(ctx, d, checker.Options{Root: kit, Timeout: opt.Timeout})
		if err != nil {
			return fmt.Errorf("%s: %v", t, err)
		}
		results = append(results, rep.Results...)
	}
	if d := filepath.Join(dir, "conceptual"); exists(d) {
		rep, err := conceptual.Check(ctx, d, conceptual.Options{Root: kit})
		if err != nil {
			return fmt.Errorf("conceptual: %v", err)
		}
		results = append(results, rep.Results...)
	}
	b, err := json.Marshal(oneResult{Results: results, Notes: notes})
	if err != nil {
		return err
	}
	return checker.WriteFileAtomic(out, b, 0o644)
}

// oneResult is what the child hands the parent.
type oneResult struct {
	Results []checker.Result
	Notes   []string
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// osAllowed are the members of package os a task may use: printing.
var osAllowed = map[string]bool{"Stdout": true, "Stderr": true}

// audit flags a task file that uses package os beyond printing (only
// task 3's import rules allow os): reading the environment or writing
// files is how code running inside the rubric's process could forge its
// result, so such a submission is marked for review.
func audit(dir, task string) []string {
	var notes []string
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		fset := token.NewFileSet()
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			continue
		}
		osName := ""
		for _, im := range af.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); p == "os" {
				osName = "os"
				if im.Name != nil {
					osName = im.Name.Name
				}
			}
		}
		if osName == "" || osName == "_" {
			continue
		}
		uses := map[string]int{}
		ast.Inspect(af, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == osName && !osAllowed[sel.Sel.Name] {
					if _, seen := uses[sel.Sel.Name]; !seen {
						uses[sel.Sel.Name] = fset.Position(sel.Pos()).Line
					}
				}
			}
			return true
		})
		var names []string
		for n := range uses {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			notes = append(notes, fmt.Sprintf("review: %s line %d uses os.%s; a task may use os only to print (os.Stdout, os.Stderr): check by hand that it does not tamper with the grading", task, uses[n], n))
		}
	}
	return notes
}
