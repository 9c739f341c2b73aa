package grade

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"nnkit/checker"
	"nnkit/internal/gotool"
)

// Rubric items in rubric order, with points 8, 3 + 3, 6, 8, 7, 5.
const (
	task    = "conceptual"
	ItemP1S = "P1 dL/dS"
	ItemP1C = "P1 dL/dC"
	ItemP1K = "P1 dL/dK"
	ItemP21 = "P2.1 one-stage vs multi-stage"
	ItemP22 = "P2.2 why NMS"
	ItemP3  = "P3 parameter count"
	ItemP4  = "P4 softmax gradient proof"
	ItemP5W = "P5 W'"
	ItemP5B = "P5 B'"
	ItemP6  = "P6 RNN gradients"
)

// Seed chooses problem 1's random instances.
const Seed = 20240917

// Options configure Check. The zero value works.
type Options struct {
	// Root is the nnkit module root; empty means the go.mod above dir or,
	// failing that, above the working directory.
	Root string
	// Timeout limits each problem-1 item's process (default 60s; each call
	// of a student function has its own P1CallTimeout inside it).
	Timeout time.Duration
	// Go is the go command; empty means "go" on $PATH, else GOROOT's.
	Go string
	// Log, when not nil, receives one line per step.
	Log io.Writer
}

// Environment of a child run of the test binary.
const (
	envItem = "NNKIT_CONCEPTUAL_ITEM"
	envOut  = "NNKIT_CONCEPTUAL_OUT"
)

// virtualDir is where the student's Go files are placed through
// `go test -overlay`, inside the module.
const virtualDir = "conceptual/internal/virtual/answers"

// Check grades the answers directory dir and returns the rows of every
// item, in rubric order. Only a problem with dir itself (missing, not a
// directory) or with the toolchain is an error; whatever the student wrote
// ends up in the report.
func Check(ctx context.Context, dir string, opt Options) (checker.Report, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return checker.Report{}, err
	}
	if !st.IsDir() {
		return checker.Report{}, fmt.Errorf("%s is not a directory: pass the answers folder (conceptual/answers)", dir)
	}
	dir = AnswersDir(dir)
	if opt.Root == "" {
		if opt.Root, err = checker.FindRoot(dir); err != nil {
			wd, _ := os.Getwd()
			if opt.Root, err = checker.FindRoot(wd); err != nil {
				return checker.Report{}, err
			}
		}
	}
	if opt.Timeout == 0 {
		opt.Timeout = 60 * time.Second
	}
	if opt.Go == "" {
		opt.Go = gotool.Command()
	}
	p1, err := checkP1(ctx, dir, opt)
	if err != nil {
		return checker.Report{}, err
	}
	return assemble(dir, p1), nil
}

// Grade scores answers in-process: p1 holds the problem-1 functions, dir
// the files (answers.txt, p2.md, p4.md, p6.md). The answers package's own
// test and the kit's tests use it; Check is the same with isolation.
func Grade(dir string, p1 P1Answers) checker.Report {
	return assemble(dir, GradeP1(p1, Seed))
}

// assemble adds the file-based items to the problem-1 rows.
func assemble(dir string, p1 []checker.Result) checker.Report {
	var rep checker.Report
	rep.Results = append(rep.Results, p1...)
	rep.Results = append(rep.Results, gradeProse(dir, proseItems[0]), gradeProse(dir, proseItems[1]))
	a, err := readAnswers(dir)
	var numbers []checker.Result
	if err != nil {
		for _, it := range []struct {
			item string
			pts  float64
		}{{ItemP3, pointsP3}, {ItemP5W, pointsP5W}, {ItemP5B, pointsP5B}} {
			st := checker.Fail
			if errors.Is(err, os.ErrNotExist) {
				st = checker.NotDone
			}
			numbers = append(numbers, checker.Result{Task: task, Item: it.item, Max: it.pts, Status: st, Reason: err.Error()})
		}
	} else {
		numbers = append([]checker.Result{gradeP3(a)}, gradeP5(a)...)
	}
	rep.Results = append(rep.Results, numbers[0], gradeProse(dir, proseItems[2]), numbers[1], numbers[2], gradeProse(dir, proseItems[3]))
	return rep
}

// AnswersDir resolves the folder to grade: dir itself, or dir/answers
// when dir holds no answers of its own but that sub-folder exists (so
// `check ./conceptual` grades ./conceptual/answers).
func AnswersDir(dir string) string {
	has := func(name string) bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil }
	if has(AnswersFile) || has("p1.go") {
		return dir
	}
	if st, err := os.Stat(filepath.Join(dir, "answers")); err == nil && st.IsDir() {
		return filepath.Join(dir, "answers")
	}
	return dir
}

func readAnswers(dir string) (Answers, error) {
	f, err := os.Open(filepath.Join(dir, AnswersFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s not found in %s: %w", AnswersFile, dir, err)
		}
		return nil, err
	}
	defer f.Close()
	a, err := ParseAnswers(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", AnswersFile, err)
	}
	return a, nil
}

// ChildMain is the TestMain of the binding test that Check generates: in a
// child run it grades the one item named by the environment, writes the
// Result as JSON and exits 0; otherwise it runs the tests as usual.
func ChildMain(m *testing.M, p1 P1Answers) int {
	item := os.Getenv(envItem)
	if item == "" {
		return m.Run()
	}
	var res *checker.Result
	for _, r := range gradeP1Items(p1, Seed, item) {
		res = &r
	}
	if res == nil {
		fmt.Fprintf(os.Stderr, "grade: unknown item %q\n", item)
		return 2
	}
	b, _ := json.Marshal(res)
	if err := os.WriteFile(os.Getenv(envOut), b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

const bindingTmpl = `// Generated by nnkit/conceptual/grade for one build: it binds the
// student's problem-1 functions into the grader.

package %s_test

import (
	"os"
	"testing"

	"nnkit/conceptual/grade"
	student "nnkit/%s"
)

func TestMain(m *testing.M) {
	os.Exit(grade.ChildMain(m, grade.P1Answers{DLdS: student.DLdS, DLdC: student.DLdC, DLdK: student.DLdK}))
}
`

var p1Items = []struct {
	item string
	pts  float64
}{{ItemP1S, pointsP1S}, {ItemP1C, pointsP1C}, {ItemP1K, pointsP1K}}

// checkP1 builds the student's package with the binding test and runs one
// process per problem-1 item.
func checkP1(ctx context.Context, dir string, opt Options) ([]checker.Result, error) {
	settle := func(st checker.Status, reason, details string) []checker.Result {
		var out []checker.Result
		for _, it := range p1Items {
			out = append(out, checker.Result{Task: task, Item: it.item, Max: it.pts, Status: st, Reason: reason, Details: details})
		}
		return out
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	replace := map[string]string{}
	pkg := ""
	vdir := filepath.Join(opt.Root, filepath.FromSlash(virtualDir))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.PackageClauseOnly)
		if err != nil {
			return settle(checker.BuildFailed, "syntax error: "+firstLine(err.Error()), ""), nil
		}
		pkg = af.Name.Name
		abs, _ := filepath.Abs(f)
		replace[filepath.Join(vdir, filepath.Base(f))] = abs
	}
	if pkg == "" {
		return settle(checker.NotDone, "no Go files with DLdS, DLdC, DLdK in "+dir, ""), nil
	}
	tmp, err := os.MkdirTemp("", "nnkit-conceptual-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bind := filepath.Join(tmp, "zz_binding_test.go")
	if err := os.WriteFile(bind, fmt.Appendf(nil, bindingTmpl, pkg, virtualDir), 0o644); err != nil {
		return nil, err
	}
	replace[filepath.Join(vdir, "zz_binding_test.go")] = bind
	ov, _ := json.Marshal(map[string]any{"Replace": replace})
	ovPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		return nil, err
	}
	bin := filepath.Join(tmp, "answers.test")
	logf(opt, "building %s", dir)
	cmd := exec.CommandContext(ctx, opt.Go, "test", "-c", "-vet=off", "-o", bin, "-overlay", ovPath, "nnkit/"+virtualDir)
	cmd.Dir = opt.Root
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := unvirtual(string(out), vdir, dir, tmp)
		return settle(checker.BuildFailed, "does not compile: "+firstError(msg), msg), nil
	}
	var res []checker.Result
	for _, it := range p1Items {
		res = append(res, runItem(ctx, opt, bin, tmp, it.item, it.pts))
	}
	return res, nil
}

// runItem runs one item in its own process of the test binary.
func runItem(ctx context.Context, opt Options, bin, tmp, item string, pts float64) checker.Result {
	logf(opt, "running %s", item)
	out := filepath.Join(tmp, "result.json")
	os.Remove(out)
	cctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, bin)
	cmd.Env = append(os.Environ(), envItem+"="+item, envOut+"="+out)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	runErr := cmd.Run()
	r := checker.Result{Task: task, Item: item, Max: pts}
	if b, err := os.ReadFile(out); err == nil && json.Unmarshal(b, &r) == nil {
		return r
	}
	tail := buf.String()
	if len(tail) > 2000 {
		tail = tail[len(tail)-2000:]
	}
	r.Details = tail
	if cctx.Err() != nil {
		r.Status, r.Reason = checker.TimedOut, fmt.Sprintf("the grading process did not finish within %v", opt.Timeout)
		return r
	}
	r.Status, r.Reason = checker.Panicked, fmt.Sprintf("the grading process stopped (%v) before reporting: %s", runErr, firstLine(tail))
	return r
}

func logf(opt Options, format string, args ...any) {
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, format+"\n", args...)
	}
}

// unvirtual rewrites compiler output so paths name the student's files.
func unvirtual(s, vdir, dir, tmp string) string {
	s = strings.ReplaceAll(s, vdir+string(filepath.Separator), dir+string(filepath.Separator))
	s = strings.ReplaceAll(s, "nnkit/"+virtualDir, dir)
	s = strings.ReplaceAll(s, tmp+string(filepath.Separator), "")
	return s
}

var errLine = regexp.MustCompile(`(?m)^\S+\.go:\d+(:\d+)?: .*$`)

func firstError(s string) string {
	if m := errLine.FindString(s); m != "" {
		return m
	}
	return firstLine(s)
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return strings.TrimSpace(s)
}
