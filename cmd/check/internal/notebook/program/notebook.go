// Package program is the program `check run` builds for one run (see
// nnkit/cmd/check/internal/notebook, which builds it): Main reads the
// notebook.Options from the environment and runs the task's driver
// (Task1 .. Task4, or P6 for conceptual problem 6). Each step prints what
// it does, a function that returns nil is reported as not implemented
// yet, a panic in the student's code is caught and located in the
// student's file, and the plots are written under Options.Out.
//
// It is linked into that program only, never into the check command: it
// holds the plotting (nnkit/charts), which check itself does not need.
package program

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

	"nnkit/cmd/check/internal/notebook"
)

// Main is the child program's entry: it runs task's driver on funcs (a
// *TaskNFuncs; nil for notebook.P6) with the Options in the environment and returns the exit
// status.
func Main(task string, funcs any) int {
	var opt notebook.Options
	if s := os.Getenv(notebook.EnvOptions); s != "" {
		if err := json.Unmarshal([]byte(s), &opt); err != nil {
			fmt.Fprintf(os.Stderr, "check run: bad %s: %v\n", notebook.EnvOptions, err)
			return notebook.ExitSetup
		}
	}
	if opt.Out == "" {
		opt.Out = filepath.Join("runs", task)
	}
	nb := &Notebook{W: os.Stdout, Err: os.Stderr, Opt: opt}
	var err error
	switch f := funcs.(type) {
	case nil:
		if task != notebook.P6 {
			err = fmt.Errorf("%w: no functions bound for %s", notebook.ErrSetup, task)
			break
		}
		err = P6(nb)
	case *Task1Funcs:
		err = Task1(nb, f)
	case *Task2Funcs:
		err = Task2(nb, f)
	case *Task3Funcs:
		err = Task3(nb, f)
	case *Task4Funcs:
		err = Task4(nb, f)
	default:
		err = fmt.Errorf("%w: no driver for %s (%T)", notebook.ErrSetup, task, funcs)
	}
	nb.summary()
	switch {
	case errors.Is(err, notebook.ErrLong):
		return notebook.ExitLong
	case err == nil && nb.incomplete == 0:
		return notebook.ExitOK
	case errors.Is(err, notebook.ErrSetup):
		fmt.Fprintf(os.Stderr, "check run: %v\n", err)
		return notebook.ExitSetup
	case err != nil:
		fmt.Fprintf(os.Stderr, "check run: %v\n", err)
	}
	return notebook.ExitIncomplete
}

// Notebook is the state of one run: where it prints, its options, the
// files it wrote and the steps that could not run.
type Notebook struct {
	W, Err     io.Writer
	Opt        notebook.Options
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
		where = fmt.Sprintf(": write it in %s, then `check %s`", dir, notebook.DotSlash(dir))
	}
	nb.Skip("%s is not implemented yet (%s)%s", fn, what, where)
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
