// Check grades nnkit exercises against the reference solutions.
//
// Usage:
//
//	check [-v] [-json FILE] [-timeout D] PACKAGE...
//	check gen [-force] [TASK...]
//	check data [-data DIR]
//	check run [-ref] [-epochs N] [-lr X] [-batch N] [-limit N] [-resize N] [-data DIR] [-seed N] [-out DIR] TASK|DIR|p6
//	check watch [-poll] [-interval D] [-v] [-timeout D] PACKAGE
//	check hint [-level N | -all] TASK [ITEM]
//	check list
//	check reset TASK [ITEM]
//	check fixtures [-verify [-quick]]
//	check dist [-v] OUT
//	check submit -id ID [-out DIR] [-no-check]
//	check grade [-jobs N] [-force] [-shard i/n] [-seed S] [-timeout D] [-student-timeout D] [-mem SIZE] [-similar=false] SUBMISSIONS -out RESULTS
//	check similar [-k N] [-window N] [-min S] [-common S] [-jobs N] SUBMISSIONS -out DIR
//	check grade merge -out RESULTS SHARD_RESULTS...
//	check version
//	check help [COMMAND]
//
// Every command takes -h (or -help, --help) anywhere among its arguments:
// it prints the command's usage line, what it does and its flags with
// their defaults, and exits 0; "check help COMMAND" prints the same, and
// "check help" the list of commands. A first argument that is neither a
// command nor an existing file, such as "wach", is refused with the
// closest command ("did you mean watch?"). TASK is task1 .. task4 in any
// case (Task1 works).
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
// or the tasks named, as in "check gen task1"; an unknown task is refused
// before anything is written). It never overwrites an exercise that was
// edited since it was generated unless -force is given, and then it first
// keeps the edited file as NAME.YYYYMMDD-HHMMSS.bak. It is for
// instructors: in the student copy, which has no solutions, it (and check
// fixtures) exits 2 saying so.
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
// check list shows every task's rubric items (task1 .. task4 and the
// conceptual problems) with their points and the score each earned the
// last time check graded exercises/TASK or ./conceptual ("-" for an item
// never checked), and the next item to work on. Grading keeps those last
// results in the user's cache folder (nnkit/last under os.UserCacheDir,
// or $NNKIT_CACHE_DIR), keyed by the checked folder's absolute path:
// nothing is written into the checked folder.
//
// check reset TASK restores the stubs of a task's files; check reset TASK
// ITEM restores one graded function or method (Relu, Residual.Forward, or
// a rubric item as the table names it, such as TrainCNN/steps), leaving
// the rest of its file as it is. Every file it changes is first kept as
// NAME.YYYYMMDD-HHMMSS.bak beside it. The stubs come from .nnkit/stubs
// in the student copy, else are generated from solutions/.
//
// check fixtures records checker/fixtures from the reference solutions
// (every reference output the rubric compares against, stamped with the
// input seed, the kit version and a SHA-256, listed in MANIFEST);
// -verify fails when any is missing, altered or stale. check dist OUT
// writes the student distribution: no solutions, the checker comparing
// against the fixtures, the numeric conceptual answers as salted hashes.
// check submit -id 3180100111 checks the work (and warns below full
// marks), then packs the course's five files into
// 3180100111_assignment2.zip: task1_3180100111.go .. task4_3180100111.go
// and conceptual_3180100111.pdf (typeset from conceptual/answers, or the
// student's own PDF put there) at its top level, with the graded answers
// under 3180100111_answers/. check grade grades a
// folder of submissions in parallel, each in its own restored copy of the
// kit and child process with time and memory limits, on fresh random
// inputs against the live solutions, and writes grades.csv, a Gradescope
// results.json per student and a summary; -shard i/n and check grade
// merge split a course over machines. At its end check grade runs check
// similar into the same folder (-similar=false skips it): the pairs of
// submissions whose code is alike beyond the code the kit handed out,
// ranked per task, in similarity.csv and a self-contained similarity.html.
// docs/grading.md is their manual and says what grading does and does not
// defend against.
//
// check must run inside the nnkit module: it finds the module root by
// walking up to go.mod, and it builds the checked package with the go
// command.
//
// The exit status is 0 when every item earned full marks, 1 otherwise or
// on an error, and 2 for a misuse of the command line: an unknown command,
// flag or task, or a PACKAGE that is missing, not a folder, holds no Go
// files or is not a task's.
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
  check [flags] PACKAGE...    grade: ./exercises/task1, ./exercises/...
                              or ./conceptual
  check watch PACKAGE         grade again whenever a file is saved
  check hint TASK ITEM        hints for a rubric item, one at a time
  check list                  each rubric item with your last score
  check reset TASK [ITEM]     restore a stub (your file kept as .bak)
  check run [flags] TASK|p6   run a task as its notebook did, with plots
  check data                  say where Fashion-MNIST comes from
  check submit -id ID         pack your work into ID_assignment2.zip
  check version               print the version
  check help [COMMAND]        this list, or one command's usage
for instructors:
  check gen [TASK...]         regenerate exercises/ from solutions/
  check fixtures              record checker/fixtures from solutions/
  check dist OUT              write the student copy into OUT
  check grade SUBMISSIONS     grade submissions: -out RESULTS
  check grade merge SHARD...  combine sharded grading runs
  check similar SUBMISSIONS   shared code between submissions: -out DIR
Every command takes -h for its usage and flags (check list -h); check help
check shows grading's. 'go doc nnkit/cmd/check' is the manual.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	log.SetOutput(stderr)
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "help":
		return helpCmd(ctx, args[1:], stdout, stderr)
	}
	name, rest := args[0], args[1:]
	if _, ok := lookupVerb(name); !ok && name != gradeOneCmdName {
		if msg, unknown := unknownVerb(name); unknown {
			log.Print(msg)
			return 2
		}
		name, rest = "check", args // grading packages
	}
	code, err := dispatch(ctx, name, rest, stdout, stderr)
	return exitStatus(code, err, stdout)
}

// dispatch runs the command name (a verb, or "check" for grading
// packages) with its arguments.
func dispatch(ctx context.Context, name string, args []string, stdout, stderr io.Writer) (int, error) {
	switch name {
	case "version":
		return 0, version(args, stdout)
	case "gen":
		return 0, genCmd(args, stdout)
	case "data":
		return 0, dataCmd(args, stdout)
	case "run":
		return runCmd(ctx, args, stdout, stderr)
	case "watch":
		return watchCmd(ctx, args, stdout, stderr)
	case "hint":
		return 0, hintCmd(args, stdout)
	case "list":
		return 0, listCmd(args, stdout)
	case "reset":
		return 0, resetCmd(args, stdout)
	case "fixtures":
		return 0, fixturesCmd(args, stdout)
	case "dist":
		return 0, distCmd(ctx, args, stdout)
	case "submit":
		return 0, submitCmd(ctx, args, stdout)
	case "grade":
		return gradeAllCmd(ctx, args, stdout, stderr)
	case "similar":
		return similarCmd(args, stdout)
	case gradeOneCmdName:
		return gradeOneCmd(ctx, args, stdout)
	}
	return grade(ctx, args, stdout, stderr)
}

// exitStatus turns a command's outcome into the exit status: a help
// request (-h) prints the verb's help to stdout and is 0, a misuse 2, any
// other error 1.
func exitStatus(code int, err error, stdout io.Writer) int {
	var h helpRequest
	switch {
	case errors.As(err, &h):
		printVerbHelp(stdout, h.fs)
		return 0
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		log.Print(err)
		return 1
	}
	return code
}

// parse parses flags that may come before, between or after the
// positional arguments. -h, -help and --help anywhere return a
// helpRequest.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, helpRequest{fs}
			}
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
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
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
	if err := instructorsOnly("gen", root); err != nil {
		return err
	}
	tasks := make([]string, len(pos))
	for i, p := range pos {
		if tasks[i], err = taskName(p); err != nil {
			log.Printf("gen: %v; nothing written", err)
			return errUsage
		}
	}
	return gen.Write(root, *force, tasks, w)
}

// instructorsOnly refuses, as a misuse, a command that needs the
// reference solutions when root has none: the student copy.
func instructorsOnly(cmd, root string) error {
	if st, err := os.Stat(filepath.Join(root, "solutions")); err == nil && st.IsDir() && !checker.FixtureMode() {
		return nil
	}
	how := "check reset TASK [ITEM] restores a stub"
	if cmd == "fixtures" {
		how = "the fixtures in checker/fixtures came with it"
	}
	log.Printf("%s is for instructors: it works from solutions/, and this student copy has no solutions (%s)", cmd, how)
	return errUsage
}

// taskName resolves a task as a user may type it (task1, Task1, TASK1) to
// its name. The error for any other word lists the tasks.
func taskName(s string) (string, error) {
	var names []string
	for _, t := range checker.Tasks() {
		if strings.EqualFold(s, t.Name) {
			return t.Name, nil
		}
		names = append(names, t.Name)
	}
	return "", fmt.Errorf("unknown task %q (expected one of %s)", s, strings.Join(names, ", "))
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
		key := dir // where check list looks for the folder's last results
		if isConceptual(dir) {
			key = conceptual.AnswersDir(dir)
			r, err = conceptual.Check(ctx, dir, conceptual.Options{Progress: stderr})
		} else {
			r, err = checker.Check(ctx, dir, checker.Options{Timeout: *timeout, Progress: stderr}) // a slow first build is announced on stderr
		}
		if err != nil {
			if ctx.Err() != nil {
				return 1, ctx.Err()
			}
			log.Print(err)
			failed = true
			continue
		}
		// Only check list reads it: a folder whose results cannot be
		// kept is graded all the same.
		_ = saveLastRun(key, r.Results)
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
		const want = "expected a task package such as ./exercises/task1, DIR/... or ./conceptual"
		st, err := os.Stat(p)
		switch {
		case err != nil:
			log.Printf("%s: no such directory (%s)", p, want)
			return nil, errUsage
		case !st.IsDir():
			log.Printf("%s: not a directory (%s)", p, want)
			return nil, errUsage
		case isConceptual(p):
			return []string{p}, nil
		}
		if _, err := checker.TaskOf(p); err != nil { // no Go files, or not a task's
			log.Print(err)
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
