// Check grades nnkit exercises against the reference solutions.
//
// Usage:
//
//	check [-v] [-json FILE] [-timeout D] PACKAGE...
//	check gen [-force] [TASK...]
//	check data [-data DIR]
//	check run [-ref] [-epochs N] [-lr X] [-batch N] [-limit N] [-resize N] [-data DIR] [-seed N] [-out DIR] TASK|DIR|p6
//	check watch [-poll] [-interval D] [-v] [-timeout D] PACKAGE
//	check hint [-level N | -all] TASK ITEM
//	check fixtures [-verify [-quick]]
//	check dist [-v] OUT
//	check submit -id ID [-out DIR]
//	check grade [-jobs N] [-force] [-shard i/n] [-seed S] [-timeout D] [-student-timeout D] [-mem SIZE] SUBMISSIONS -out RESULTS
//	check grade merge -out RESULTS SHARD_RESULTS...
//	check version
//	check help
//
// With package directories, check grades each task package: the
// student's functions are compared with the reference on seeded random
// inputs and edge cases, each rubric item in its own process with a time
// limit, and a table shows the points, the status and the reason for
// every point lost. A PACKAGE ending in /... means every task package
// below it:
//
//	check ./exercises/task1
//	check ./exercises/...
//	check ./solutions/...
//	check ./conceptual
//
// ./conceptual (or conceptual/answers) grades the answers to the six
// conceptual problems: problem 1's Go functions like a task, problems 3
// and 5 from answers.txt, and problems 2, 4 and 6 listed as graded by
// hand.
//
// One task that does not build never stops the others. Before running
// anything, check reads the source: a graded function that is missing,
// renamed or has a changed signature, and an import outside the task's
// allowed list, are reported as "rule broken" with the file and line, and
// cost only the items they touch. Nothing is written into the checked
// folder.
//
// The flags are:
//
//	-v
//		show the full diff of every item that lost points
//	-json FILE
//		also write the results in Gradescope's results.json format
//	-timeout D
//		stop an item after D (default 20s) and report it as not finishing
//
// check gen regenerates exercises/taskN from solutions/taskN (every task,
// or the tasks named, as in "check gen task1"). It never
// overwrites an exercise that was edited since it was generated unless
// -force is given, and then it first keeps the edited file as
// NAME.YYYYMMDD-HHMMSS.bak.
//
// check data says where the Fashion-MNIST data comes from (-data DIR,
// then $NNKIT_DATA, then /usr/share/datasets/fashion-mnist, then the
// subset embedded in the binary) and how many images it holds.
//
// check run TASK runs task1 .. task4 end to end as the course's notebook
// did, on exercises/TASK (-ref: solutions/TASK; or a task folder DIR):
// task 1 generates the data, checks DNNBackward against numerical
// gradients and trains, plotting the data and the decision boundary after
// every epoch; task 2 prints the layer shapes and trains; tasks 3 and 4
// print the network's shape table against the expected one and train on
// Fashion-MNIST with the reference settings (-epochs, -lr, -batch,
// -limit for a quick run, -resize for task 4, -data), with a progress
// bar, plotting loss and accuracies per epoch; task 4 first measures a
// training step and says how long the full run takes on this machine.
// The student's code runs in a program built for the run, never inside
// check, so a task that does not compile stops only its own run. Plots
// (PNG and SVG) go to runs/TASK under the module, or -out DIR; check run
// p6 plots conceptual problem 6's gradient norms against the time lag.
//
// check watch PACKAGE grades PACKAGE, then again whenever one of its files
// is saved (editors that save by renaming included), until Ctrl-C. It
// uses file-system events, or polls every -interval (default 1s) with
// -poll or where events do not work.
//
// check hint TASK ITEM prints the first hint for a rubric item (as named in
// the table: "check hint task1 DNNBackward"); -level N prints the first N,
// -all every one, the last giving the formula. Items that lost points say
// in the table that hints exist.
//
// check fixtures records testdata/fixtures from the reference solutions
// (every reference output the rubric compares against, stamped with the
// input seed, the kit version and a SHA-256, listed in MANIFEST);
// -verify fails when any is missing, altered or stale. check dist OUT
// writes the student distribution: no solutions, the checker comparing
// against the fixtures, the numeric conceptual answers as salted hashes.
// check submit -id 3180100111 packs the four task files and the
// conceptual answers into 3180100111_assignment2.zip, named as the course
// requires, after checking that everything compiles. check grade grades a
// folder of submissions in parallel, each in its own restored copy of the
// kit and child process with time and memory limits, on fresh random
// inputs against the live solutions, and writes grades.csv, a Gradescope
// results.json per student and a summary; -shard i/n and check grade
// merge split a course over machines. docs/grading.md is their manual
// and says what grading does and does not defend against.
//
// check must run inside the nnkit module: it finds the module root by
// walking up to go.mod, and it builds the checked package with the go
// command.
//
// The exit status is 0 when every item earned full marks, 1 otherwise or
// on an error, and 2 for a misuse of the command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"nnkit/checker/sandbox"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"

	"nnkit/checker"
	"nnkit/checker/gen"
	conceptual "nnkit/conceptual/grade"
	"nnkit/data"
)

func main() {
	// First: check re-runs itself as the setup stub of every contained
	// student process (see nnkit/checker/sandbox).
	sandbox.Main()
	log.SetFlags(0)
	log.SetPrefix("check: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks a command-line misuse (exit status 2).
var errUsage = errors.New("usage")

const usage = `usage:
  check [-v] [-json FILE] [-timeout D] PACKAGE...   grade task packages (./exercises/task1, ./exercises/..., ./conceptual)
  check gen [-force] [TASK...]                      regenerate exercises/ from solutions/
  check data [-data DIR]                            say where Fashion-MNIST comes from
  check run [-ref] [flags] TASK|DIR|p6              run a task as its notebook did, with plots
  check watch [-poll] PACKAGE                       re-check PACKAGE whenever a file of it is saved
  check hint [-level N|-all] TASK ITEM              hints for a rubric item, one level at a time
  check version                                     print the version
  check fixtures [-verify]                          record testdata/fixtures from the solutions (instructors)
  check dist OUT                                    write the student distribution into OUT (instructors)
  check submit -id ID                               pack your work into ID_assignment2.zip
  check grade [flags] SUBMISSIONS -out RESULTS      grade a folder of submissions (instructors; see docs/grading.md)
  check grade merge -out RESULTS SHARD...           combine the results of sharded grading runs
Run 'go doc nnkit/cmd/check' for the manual.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	log.SetOutput(stderr)
	var err error
	code := 0
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "version":
		err = version(args[1:], stdout)
	case "gen":
		err = genCmd(args[1:], stdout)
	case "data":
		err = dataCmd(args[1:], stdout)
	case "run":
		code, err = runCmd(ctx, args[1:], stdout, stderr)
	case "watch":
		code, err = watchCmd(ctx, args[1:], stdout, stderr)
	case "hint":
		err = hintCmd(args[1:], stdout)
	case "fixtures":
		err = fixturesCmd(args[1:], stdout)
	case "dist":
		err = distCmd(ctx, args[1:], stdout)
	case "submit":
		err = submitCmd(ctx, args[1:], stdout)
	case "grade":
		code, err = gradeAllCmd(ctx, args[1:], stdout, stderr)
	case gradeOneCmdName:
		code, err = gradeOneCmd(ctx, args[1:], stdout)
	default:
		code, err = grade(ctx, args, stdout, stderr)
	}
	switch {
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		log.Print(err)
		return 1
	}
	return code
}

// parse parses flags that may come before, between or after the
// positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			log.Print(err)
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func version(args []string, w io.Writer) error {
	if len(args) > 0 {
		log.Print("version takes no arguments")
		return errUsage
	}
	v, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = " " + s.Value
			}
		}
	}
	fmt.Fprintf(w, "check (nnkit) %s%s %s %s/%s\n", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

func genCmd(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	force := fs.Bool("force", false, "overwrite edited exercises (keeping a .bak copy)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	root, err := checker.FindRoot(".")
	if err != nil {
		return err
	}
	return gen.Write(root, *force, pos, w)
}

func dataCmd(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("data", flag.ContinueOnError)
	dir := fs.String("data", "", "Fashion-MNIST directory (or \"embedded\")")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		log.Print("data takes no arguments")
		return errUsage
	}
	ds, err := data.LoadFashionMNIST(*dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Fashion-MNIST from %s\n", ds.Source)
	for _, s := range []struct {
		name  string
		split *data.Split
	}{{"train", ds.Train}, {"test", ds.Test}} {
		counts := s.split.ClassCounts()
		var per []string
		for c, n := range counts {
			per = append(per, fmt.Sprintf("%s %d", data.ClassName(c), n))
		}
		fmt.Fprintf(w, "%-5s %6d images of %dx%d (%s)\n", s.name, s.split.Len(), s.split.Rows, s.split.Cols, strings.Join(per, ", "))
	}
	return nil
}

func grade(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "show full diffs")
	jsonOut := fs.String("json", "", "write Gradescope results.json to `FILE`")
	timeout := fs.Duration("timeout", checker.DefaultTimeout, "time limit per item")
	pos, err := parse(fs, args)
	if err != nil {
		return 2, err
	}
	if len(pos) == 0 {
		log.Print("no package to check")
		fmt.Fprint(stderr, usage)
		return 2, errUsage
	}
	dirs, err := expandAll(pos)
	if err != nil {
		return 2, err
	}
	var rep checker.Report
	failed := false
	seen := map[string]int{}
	for _, dir := range dirs {
		if t, err := checker.TaskOf(dir); err == nil {
			seen[t.Name]++
		}
	}
	for _, dir := range dirs {
		var r checker.Report
		var err error
		if isConceptual(dir) {
			r, err = conceptual.Check(ctx, dir, conceptual.Options{})
		} else {
			r, err = checker.Check(ctx, dir, checker.Options{Timeout: *timeout})
		}
		if err != nil {
			if ctx.Err() != nil {
				return 1, ctx.Err()
			}
			log.Print(err)
			failed = true
			continue
		}
		for i := range r.Results {
			// The table points to `check hint` for items that lost points.
			r.Results[i].HasHints = checker.HasHints(r.Results[i].Task, r.Results[i].Item)
			if seen[r.Results[i].Task] > 1 { // the same task twice: say which folder
				r.Results[i].Task = filepath.ToSlash(filepath.Clean(dir))
			}
		}
		rep.Results = append(rep.Results, r.Results...)
	}
	if len(rep.Results) > 0 {
		if err := rep.Render(stdout, *verbose); err != nil {
			return 1, err
		}
	}
	if *jsonOut != "" {
		f, err := os.Create(*jsonOut)
		if err != nil {
			return 1, err
		}
		if err := rep.WriteGradescope(f); err != nil {
			f.Close()
			return 1, err
		}
		if err := f.Close(); err != nil {
			return 1, err
		}
	}
	if failed || len(rep.Results) == 0 || !rep.Full() {
		return 1, nil
	}
	return 0, nil
}

// isConceptual reports whether dir holds conceptual answers (answers.txt or
// p1.go), directly or in an answers/ subfolder as ./conceptual does.
func isConceptual(dir string) bool {
	_, err := os.Stat(filepath.Join(conceptual.AnswersDir(dir), conceptual.AnswersFile))
	return err == nil
}

// expandAll expands every package argument, in order.
func expandAll(pos []string) ([]string, error) {
	var dirs []string
	for _, p := range pos {
		ds, err := expand(p)
		if err != nil {
			return nil, err
		}
		dirs = append(dirs, ds...)
	}
	return dirs, nil
}

// expand turns DIR/... into the task packages below DIR.
func expand(p string) ([]string, error) {
	base, rec := strings.CutSuffix(p, "...")
	if !rec {
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			log.Printf("%s: not a directory (expected a task package such as ./exercises/task1)", p)
			return nil, errUsage
		}
		return []string{p}, nil
	}
	base = strings.TrimSuffix(base, "/")
	if base == "" {
		base = "."
	}
	var dirs []string
	err := filepath.WalkDir(base, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != base && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		if _, err := checker.TaskOf(path); err == nil || isConceptual(path) {
			dirs = append(dirs, path)
			if isConceptual(path) {
				return filepath.SkipDir
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(dirs) == 0 {
		log.Printf("%s: no task packages", p)
		return nil, errUsage
	}
	sort.Strings(dirs)
	return dirs, nil
}
