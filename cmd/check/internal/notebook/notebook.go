// Package notebook runs a task end to end as the course's Jupyter notebook
// did, on a student's package or the reference: `check run task1` ..
// `check run task4`.
//
// The package has two halves, because the check command must never import
// a student's package when it is built (a task 4 that does not compile
// must not stop anything else):
//
//   - Launch (the parent, in the check command) places the student's
//     files, through `go build -overlay`, at a virtual package inside the
//     module beside a generated main that binds the task's functions into
//     a TaskNFuncs struct and calls Main; it builds that program, runs it
//     with the parent's standard output (a terminal stays a terminal, so
//     the progress bar redraws in place) and reports a build failure or a
//     crash in words.
//   - Main (the child) reads the Options from the environment and runs the
//     task's driver (Task1 .. Task4): each step prints what it does, a
//     function that returns nil is reported as not implemented yet, a
//     panic in the student's code is caught and located in the student's
//     file, and the plots are written under Options.Out.
//
// The drivers hold no solution code: they call the student's functions
// and the given helpers' equivalents (data generation, numerical
// gradients, shape tables) only.
package notebook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
)

// Options are the settings of a run. A zero field means the task's
// reference setting.
type Options struct {
	Epochs int     `json:"epochs,omitempty"`
	LR     float64 `json:"lr,omitempty"`
	Batch  int     `json:"batch,omitempty"`
	// Limit uses only the first Limit training and test examples (tasks
	// 3 and 4), for a quick run.
	Limit int `json:"limit,omitempty"`
	// Data is the Fashion-MNIST directory ("" searches as `check data`
	// says; "embedded" picks the embedded subset).
	Data string `json:"data,omitempty"`
	// Resize is task 4's image side (default 96).
	Resize int `json:"resize,omitempty"`
	// Seed seeds task 1's and 2's data and initial weights.
	Seed uint64 `json:"seed,omitempty"`
	// AllowLong starts a run estimated to take longer than LongRun
	// (tasks 3 and 4); without it such a run stops before training.
	AllowLong bool `json:"allow_long,omitempty"`
	// Out is the folder the plots are written to.
	Out string `json:"out"`
	// Device is where tasks 3 and 4 train: "cpu" (or ""), "cuda" (the
	// GPU, or a setup error saying why not) or "auto" (tensor.TryGPU).
	// The program is built with -tags cuda for the last two.
	Device string `json:"device,omitempty"`
	// Dir is the student's package folder as the student knows it
	// (exercises/task3), for messages.
	Dir string `json:"dir,omitempty"`
	// TrainDir is the folder of the TrainCNN task 4 trains with (the
	// task 3 folder beside it), for messages.
	TrainDir string `json:"train_dir,omitempty"`
	// Paths maps the virtual package directories the program was built
	// from to the student's folders, to name the student's files in
	// panic reports.
	Paths map[string]string `json:"paths,omitempty"`
}

// Environment of the child program.
const (
	envOptions = "NNKIT_RUN_OPTIONS" // Options as JSON
)

// Exit statuses of the child program.
const (
	exitOK         = 0
	exitIncomplete = 3 // a step could not run: not implemented, a panic, bad results
	exitSetup      = 4 // bad options, data not found, plots not written
	exitLong       = 5 // the run would take longer than LongRun and AllowLong is not set
)

// Main is the child program's entry: it runs task's driver on funcs (a
// *TaskNFuncs) with the Options in the environment and returns the exit
// status.
func Main(task string, funcs any) int {
	var opt Options
	if s := os.Getenv(envOptions); s != "" {
		if err := json.Unmarshal([]byte(s), &opt); err != nil {
			fmt.Fprintf(os.Stderr, "check run: bad %s: %v\n", envOptions, err)
			return exitSetup
		}
	}
	if opt.Out == "" {
		opt.Out = filepath.Join("runs", task)
	}
	nb := &Notebook{W: os.Stdout, Err: os.Stderr, Opt: opt}
	var err error
	switch f := funcs.(type) {
	case *Task1Funcs:
		err = Task1(nb, f)
	case *Task2Funcs:
		err = Task2(nb, f)
	case *Task3Funcs:
		err = Task3(nb, f)
	case *Task4Funcs:
		err = Task4(nb, f)
	default:
		err = fmt.Errorf("%w: no driver for %s (%T)", ErrSetup, task, funcs)
	}
	nb.summary()
	switch {
	case errors.Is(err, ErrLong):
		return exitLong
	case err == nil && nb.incomplete == 0:
		return exitOK
	case errors.Is(err, ErrSetup):
		fmt.Fprintf(os.Stderr, "check run: %v\n", err)
		return exitSetup
	case err != nil:
		fmt.Fprintf(os.Stderr, "check run: %v\n", err)
	}
	return exitIncomplete
}

// ErrLong is returned when a run would take longer than LongRun and
// Options.AllowLong is not set: nothing was trained.
var ErrLong = errors.New("the run would take longer than check run starts without being asked")

// ErrSetup marks an error of the run's setting (options, data, output
// folder) rather than of the student's code.
var ErrSetup = errors.New("setup")

// Notebook is the state of one run: where it prints, its options, the
// files it wrote and the steps that could not run.
type Notebook struct {
	W, Err     io.Writer
	Opt        Options
	wrote      []string
	incomplete int
	step       int
}

// Section starts a numbered step, as a notebook cell.
func (nb *Notebook) Section(title string) {
	nb.step++
	fmt.Fprintf(nb.W, "\n== %d. %s ==\n", nb.step, title)
}

// Printf prints to the notebook's output.
func (nb *Notebook) Printf(format string, args ...any) { fmt.Fprintf(nb.W, format, args...) }

// Skip reports a step that could not run; the run ends with a non-zero
// status.
func (nb *Notebook) Skip(format string, args ...any) {
	nb.incomplete++
	fmt.Fprintf(nb.W, "!! "+format+"\n", args...)
}

// NotDone reports a function that returned its zero value.
func (nb *Notebook) NotDone(fn, what string) { nb.notDoneIn(fn, what, nb.Opt.Dir) }

func (nb *Notebook) notDoneIn(fn, what, dir string) {
	where := ""
	if dir != "" {
		where = fmt.Sprintf(": write it in %s, then `check %s`", dir, DotSlash(dir))
	}
	nb.Skip("%s is not implemented yet (%s)%s", fn, what, where)
}

// DotSlash writes a folder as a `check` argument: relative ones start
// with "./".
func DotSlash(dir string) string {
	if filepath.IsAbs(dir) || strings.HasPrefix(dir, ".") {
		return dir
	}
	return "./" + filepath.ToSlash(dir)
}

// Wrote records a file the run wrote.
func (nb *Notebook) Wrote(path string) {
	nb.wrote = append(nb.wrote, path)
	fmt.Fprintf(nb.W, "wrote %s\n", path)
}

// Path returns the path of an output file called name.
func (nb *Notebook) Path(name string) string { return filepath.Join(nb.Opt.Out, name) }

func (nb *Notebook) summary() {
	if len(nb.wrote) > 0 {
		fmt.Fprintf(nb.W, "\nplots in %s/: ", nb.Opt.Out)
		var names []string
		for _, p := range nb.wrote {
			names = append(names, filepath.Base(p))
		}
		fmt.Fprintln(nb.W, strings.Join(names, ", "))
	}
	if nb.incomplete > 0 {
		fmt.Fprintf(nb.W, "\n%d step(s) could not run: see the lines marked !! above.\n", nb.incomplete)
	}
}

// Call runs a student's function, turning a panic into an error that
// names the function and the student's file and line.
func (nb *Notebook) Call(name string, f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			loc := nb.studentFrame(string(debug.Stack()))
			if loc != "" {
				loc = " at " + loc
			}
			err = fmt.Errorf("%s panicked: %v%s", name, v, loc)
		}
	}()
	f()
	return nil
}

// Try calls a student's function as Call does and reports a panic as a
// step that could not run; it reports whether the call returned.
func (nb *Notebook) Try(name string, f func()) bool {
	if err := nb.Call(name, f); err != nil {
		nb.Skip("%v", err)
		return false
	}
	return true
}

var frameRE = regexp.MustCompile(`(?m)^(\S+)\(.*\)\n\t(\S+\.go):(\d+)`)

// studentFrame finds the first frame in the student's files after the
// panic, as "exercises/task1/task1.go:42 (in Train)".
func (nb *Notebook) studentFrame(stack string) string {
	if i := strings.Index(stack, "panic("); i >= 0 {
		stack = stack[i:]
	}
	for _, m := range frameRE.FindAllStringSubmatch(stack, -1) {
		fn, file, line := m[1], m[2], m[3]
		for vdir, real := range nb.Opt.Paths {
			if !strings.HasPrefix(file, vdir+string(filepath.Separator)) {
				continue
			}
			short := fn[strings.LastIndex(fn, "/")+1:]
			if _, after, ok := strings.Cut(short, "."); ok {
				short = after
			}
			return fmt.Sprintf("%s:%s (in %s)", filepath.Join(real, filepath.Base(file)), line, short)
		}
	}
	return ""
}
