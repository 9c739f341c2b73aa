package grade

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"nnkit/checker"
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
	// Progress, when not nil, is told when problem 1's build is slow (see
	// checker.Options.Progress).
	Progress io.Writer
	// Hidden are folders problem 1's student process must not see (see
	// checker.Options.Hidden).
	Hidden []string
}

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
	p1, err := checkP1(ctx, dir, opt)
	if err != nil {
		return checker.Report{}, err
	}
	rep := assemble(dir, p1.Results)
	rep.Containment = p1.Containment
	return rep, nil
}

// Grade scores answers in-process: p1 holds the problem-1 functions, dir
// the files (answers.txt, p2.md, p4.md, p6.md). The answers package's own
// test and the kit's tests use it; Check is the same with isolation.
func Grade(dir string, p1 P1Answers) checker.Report {
	return assemble(dir, GradeP1(p1, p1Seed()))
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

// p1Task is problem 1 as a checker task: the student's p1.go (package
// answers) is built into a student process like a programming task's
// package, under the same source rules, and its three functions answer
// calls there; the checker computes the truths and scores here.
var p1Task = func() *checker.Task {
	t := checker.NewTask(task, "conceptual problem 1", &P1Answers{}, []string{"fmt", "math", "slices"},
		p1Item(ItemP1S, pointsP1S, "DLdS"), p1Item(ItemP1C, pointsP1C, "DLdC"), p1Item(ItemP1K, pointsP1K, "DLdK"))
	t.Package = "answers"
	return t
}()

func p1Item(item string, pts float64, fn string) checker.ItemOf[P1Answers] {
	return checker.ItemOf[P1Answers]{Name: item, Points: pts, Uses: []string{fn}, Check: func(c *checker.Ctx, s, _ *P1Answers) {
		// Called straight: the student process's time limit stops a
		// loop, and a panic comes back located in the student's file.
		for _, r := range gradeP1Items(*s, p1Seed(), item, callDirect) {
			if r.Score < r.Max {
				c.Lose(r.Max-r.Score, r.Status, "%s", r.Reason)
			}
			if r.Details != "" {
				c.Detailf("%s", r.Details)
			}
		}
	}}
}

// p1Seed is Seed under the fixed inputs, else mixed with the run's input
// seed (`check grade` draws one per run), so that answers hard-coded for
// the fixed instances do not pass there.
func p1Seed() uint64 { return Seed ^ checker.InputSeed()*0x9e3779b97f4a7c15 }

// checkP1 grades p1.go through the checker; a folder without Go files
// gets "not implemented" rows.
func checkP1(ctx context.Context, dir string, opt Options) (checker.Report, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return checker.Report{}, err
	}
	if len(files) == 0 {
		var out []checker.Result
		for _, it := range p1Task.Items {
			out = append(out, checker.Result{Task: task, Item: it.Name, Max: it.Points, Status: checker.NotDone, Reason: "no Go files with DLdS, DLdC, DLdK in " + dir})
		}
		return checker.Report{Results: out}, nil
	}
	return checker.CheckTask(ctx, dir, p1Task, checker.Options{Root: opt.Root, Timeout: opt.Timeout, Go: opt.Go, Log: opt.Log, Progress: opt.Progress, Hidden: opt.Hidden})
}
