package grading

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"nnkit/checker"
	"nnkit/checker/launch"
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
	// Hidden are folders no student process may see: the results (other
	// students' reports and work), the submissions, the instructor's kit.
	Hidden []string
}

// The graders GradeOne calls, and the check that a build failure is not
// the toolchain's: variables so that the package's tests can stand in
// for them in a child process.
var (
	checkTask       = checker.Check
	checkConceptual = conceptual.Check
	probeToolchain  = probe
)

// RunGradeOne is `check grade-one [-kit DIR] [-timeout D] [-mem BYTES]
// -out FILE STUDENT_DIR`, the child process that Grade starts per
// student: it parses args and calls GradeOne.
func RunGradeOne(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("grade-one", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	kit := fs.String("kit", "", "the kit copy to grade in")
	timeout := fs.Duration("timeout", checker.DefaultTimeout, "time limit per item")
	mem := fs.Int64("mem", 0, "address-space limit in bytes")
	out := fs.String("out", "", "the result file")
	var hidden []string
	fs.Func("hide", "a folder student code must not see (repeatable)", func(p string) error {
		hidden = append(hidden, p)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *kit == "" || *out == "" || fs.NArg() != 1 {
		return fmt.Errorf("usage: check grade-one -kit KIT -out FILE [-timeout D] [-mem BYTES] STUDENT_DIR (got %q)", args)
	}
	return GradeOne(ctx, *kit, fs.Arg(0), *out, OneOptions{Timeout: *timeout, MemLimit: *mem, Hidden: hidden})
}

// gradeOrder is the order parts are graded in: the conceptual answers
// first (quick, and kept if a task later runs out of time), then the
// tasks; has says whether a part (a task, or "conceptual") is there.
func gradeOrder(has func(part string) bool) []string {
	var parts []string
	for _, p := range append([]string{conceptualPart}, Tasks...) {
		if has(p) {
			parts = append(parts, p)
		}
	}
	return parts
}

// conceptualPart names the conceptual answers among the parts GradeOne
// grades (and the Task of their rows).
const conceptualPart = "conceptual"

// GradeOne grades the student folder dir (taskN/ and conceptual/ as
// laid out by the parent) against the kit at kit, in this process and
// the checker's children, and writes the results as JSON to out. It is
// what `check grade` runs in a child process per student.
//
// out is rewritten (atomically) before and after every part: it always
// holds every part graded so far and the part being graded, so when the
// student's time runs out or the run is interrupted, the parent keeps
// what was graded and knows what was not. A part the checker cannot grade
// (an error of the checker, or a build failure that the instructor's own
// code also hits: a broken build cache, a full disk) gets grader-error
// rows, never a student's build error.
//
// The memory limit is set here, on this process, as RLIMIT_AS (hard and
// soft, so nothing below can raise it again) and GOMEMLIMIT: every
// process started from here inherits it (the go command's compiler and
// linker, each student process), so a student's allocation
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
	var res oneResult
	save := func() error {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		return checker.WriteFileAtomic(out, b, 0o644)
	}
	parts := gradeOrder(func(p string) bool { return exists(filepath.Join(dir, p)) })
	for _, part := range parts {
		res.Current = part
		if err := save(); err != nil {
			return err
		}
		rows, notes, containment := gradePart(ctx, kit, filepath.Join(dir, part), part, opt)
		if containment != "" {
			res.Containment = containment
		}
		if ctx.Err() != nil {
			return ctx.Err() // the part is not graded: out says which it was
		}
		res.Results = append(res.Results, rows...)
		res.Notes = append(res.Notes, notes...)
		res.Done = append(res.Done, part)
	}
	res.Current, res.Finished = "", true
	return save()
}

// gradePart grades one part (a task, or the conceptual answers in d).
func gradePart(ctx context.Context, kit, d, part string, opt OneOptions) (rows []checker.Result, notes []string, containment string) {
	var rep checker.Report
	var err error
	if part == conceptualPart {
		rep, err = checkConceptual(ctx, d, conceptual.Options{Root: kit, Timeout: opt.Timeout, Hidden: opt.Hidden})
	} else {
		rep, err = checkTask(ctx, d, checker.Options{Root: kit, Timeout: opt.Timeout, Hidden: opt.Hidden})
	}
	if err != nil {
		return graderErrorRows(part, "the checker failed: "+err.Error()), notes, ""
	}
	for _, r := range rep.Results {
		if r.Status != checker.BuildFailed {
			continue
		}
		// A build failure is the student's only if the instructor's
		// own code builds here, now.
		if perr := probeToolchain(ctx, kit); perr != nil && ctx.Err() == nil {
			why := fmt.Sprintf("grader error: the build failed, and the instructor's own code does not build here either (%v): the toolchain, the build cache or the disk is at fault, not the student; the next run grades it again", perr)
			for i := range rep.Results {
				if x := &rep.Results[i]; x.Status == checker.BuildFailed {
					x.Status, x.Score = GraderError, 0
					x.Details = "the checker said: " + x.Reason + "\n" + x.Details
					x.Reason = why
				}
			}
		}
		break
	}
	return rep.Results, notes, rep.Containment
}

// probePackage is what probe builds: a package of the instructor's with a
// test, so that building it compiles, links and writes a binary as the
// checker's builds do.
const probePackage = "nnkit/solutions/task2"

// probe builds the test binary of probePackage in the kit with the go
// command the checker uses: when that fails too, a failed build is the
// grader's (toolchain, build cache, disk), not the student's.
func probe(ctx context.Context, kit string) error {
	tmp, err := os.MkdirTemp("", "nnkit-grade-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, launch.GoCommand(), "test", "-c", "-vet=off", "-o", filepath.Join(tmp, "probe.test"), probePackage)
	cmd.Dir = kit
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go test -c %s: %v: %s", probePackage, err, lastLines(string(out), 1))
	}
	return nil
}

// graderErrorRows are the rows of a part the grader could not grade.
func graderErrorRows(part, why string) []checker.Result {
	var rows []checker.Result
	for _, it := range rubric(part) {
		rows = append(rows, checker.Result{Task: part, Item: it.item, Max: it.max, Status: GraderError,
			Reason: "grader error: " + why + " (not the student's doing: the next run grades it again)"})
	}
	return rows
}

// oneResult is what the child hands the parent: the rows of the parts
// graded so far (Done), the part being graded when it was written
// (Current), and whether every part was graded.
type oneResult struct {
	// Containment is what contained the student's processes (see
	// nnkit/checker/sandbox), in words.
	Containment string
	Results     []checker.Result
	Notes       []string
	Done        []string
	Current     string
	Finished    bool
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
