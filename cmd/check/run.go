package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"nnkit/checker"
	"nnkit/cmd/check/internal/notebook"
	"nnkit/spec"
)

const runUsage = `usage:
  check run [flags] TASK        run a task as its notebook did: task1, task2, task3, task4
  check run [flags] DIR         the same for the task package in DIR
  check run [-out DIR] p6       plot conceptual problem 6's gradient norms
flags:
  -ref          run the reference solutions/TASK instead of exercises/TASK;
                its plots go to runs/TASK-ref
  -epochs N     epochs, at least 1 (default: the task's reference setting)
  -lr X         learning rate, above 0
  -batch N      batch size, at least 1
  -limit N      use only the first N training and test images (tasks 3, 4)
  -resize N     image side for task 4, at least 32 (default 96)
  -yes          start a run estimated to take over 15 minutes (tasks 3, 4);
                without it such a run stops before training and says how
                to make a quick one
  -data DIR     Fashion-MNIST folder, or "embedded"
  -seed N       seed of task 1's and 2's data and weights
  -device D     where tasks 3 and 4 train: cpu (default), cuda (the GPU; the
                run is built with -tags cuda, see docs/gpu.md) or auto (the
                GPU when usable, else the CPU with one line saying why)
  -out DIR      where the plots go (default: runs/TASK under the module)
`

// runCmd is `check run`: it builds a small program against the student's
// package (never linked into check itself) and runs it; see
// nnkit/cmd/check/internal/notebook.
func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	ref := fs.Bool("ref", false, "run the reference solutions")
	var opt notebook.Options
	fs.IntVar(&opt.Epochs, "epochs", 0, "epochs")
	fs.Float64Var(&opt.LR, "lr", 0, "learning rate")
	fs.IntVar(&opt.Batch, "batch", 0, "batch size")
	fs.IntVar(&opt.Limit, "limit", 0, "examples of each split")
	fs.IntVar(&opt.Resize, "resize", 0, "image side (task 4)")
	fs.StringVar(&opt.Data, "data", "", "Fashion-MNIST folder")
	fs.Uint64Var(&opt.Seed, "seed", 0, "seed (tasks 1, 2)")
	fs.StringVar(&opt.Device, "device", "cpu", "cpu, cuda or auto (tasks 3, 4)")
	fs.BoolVar(&opt.AllowLong, "yes", false, "start a run estimated over 15 minutes")
	out := fs.String("out", "", "plot folder")
	pos, err := parse(fs, args)
	if err != nil {
		if !isHelp(err) { // -h prints the same to stdout
			fmt.Fprint(stderr, runUsage)
		}
		return 2, err
	}
	if len(pos) != 1 {
		log.Print("run takes one task (task1 .. task4, p6) or a task folder")
		fmt.Fprint(stderr, runUsage)
		return 2, errUsage
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	switch opt.Device {
	case "cpu", "cuda", "auto":
	default:
		log.Printf("run: -device %q: want cpu, cuda or auto", opt.Device)
		return 2, errUsage
	}
	root, err := checker.FindRoot(".")
	if err != nil {
		return 1, err
	}
	arg := pos[0]
	if strings.EqualFold(arg, "p6") || arg == "conceptual" {
		dir := *out
		if dir == "" {
			dir = filepath.Join(root, "runs", notebook.P6)
		}
		if opt.Out, err = filepath.Abs(dir); err != nil {
			return 1, err
		}
		return runResult(ctx, notebook.Launch{Root: root, Task: notebook.P6, Options: opt, Stdout: stdout, Stderr: stderr}, arg, *ref, nil, stderr)
	}

	// The task and its folder.
	task, dir := arg, ""
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		t, err := checker.TaskOf(arg)
		if err != nil {
			return 2, err
		}
		task, dir = t.Name, arg
	} else {
		if t, err := taskName(arg); err == nil {
			task = t // Task1 as task1
		}
		if !slices.Contains(notebook.Tasks(), task) {
			log.Printf("run: %q is neither a task (%s, p6) nor a folder", arg, strings.Join(notebook.Tasks(), ", "))
			return 2, errUsage
		}
		base := "exercises"
		if *ref {
			base = "solutions"
		}
		dir = filepath.Join(root, base, task)
	}
	if err := runFlagError(task, opt, given); err != nil {
		log.Printf("run: %v", err)
		return 2, errUsage
	}
	dirs := map[string]string{task: runShort(dir)}
	for _, need := range notebook.Needs(task) {
		// Task 4 trains with the TrainCNN of the task 3 folder beside it.
		d := filepath.Join(filepath.Dir(dir), need)
		if _, err := os.Stat(d); err != nil {
			return 1, fmt.Errorf("%s trains with %s's TrainCNN, expected in %s: %v", task, need, runShort(d), err)
		}
		dirs[need] = runShort(d)
	}
	if *out == "" {
		*out = runOutDir(root, task, *ref)
	}
	opt.Out, err = filepath.Abs(*out)
	if err != nil {
		return 1, err
	}
	opt.Dir = dirs[task]
	if task == "task4" && !*ref {
		fmt.Fprintf(stderr, "task 4 trains with %s's TrainCNN (task 3)\n", dirs["task3"])
	}
	return runResult(ctx, notebook.Launch{Root: root, Task: task, Dirs: dirs, Options: opt, Stdout: stdout, Stderr: stderr}, arg, *ref, dirs, stderr)
}

// runResult runs l and turns its outcome into check run's exit status
// and words; arg is the task as typed, dirs the folders of the task's
// packages.
func runResult(ctx context.Context, l notebook.Launch, arg string, ref bool, dirs map[string]string, stderr io.Writer) (int, error) {
	task, stdout := l.Task, l.Stdout
	err := l.Run(ctx)
	switch {
	case err == nil:
		fmt.Fprintf(stdout, "\ncheck run %s: done; plots in %s\n", task, runShort(l.Options.Out))
		return 0, nil
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "check run %s: interrupted\n", task)
		return 130, nil
	case errors.Is(err, notebook.ErrLong):
		again := "check run"
		if ref {
			again += " -ref"
		}
		again += " " + arg
		quick := again + " -epochs 1 -limit 2000"
		if task == "task4" {
			quick += fmt.Sprintf(" -resize %d", notebook.MinResize())
		}
		fmt.Fprintf(stderr, "check run %s: not started. To start it, add -yes:\n  %s -yes\nor make a quick run first:\n  %s\n", task, again, quick)
		return 2, nil
	case errors.Is(err, notebook.ErrBuild):
		return 1, fmt.Errorf("%s %v", dirs[task], err)
	case errors.Is(err, notebook.ErrIncomplete):
		if err != notebook.ErrIncomplete {
			log.Print(err)
		}
		fmt.Fprintf(stderr, "check run %s: some steps could not run (marked !! above); `check %s` grades the functions one by one\n", task, notebook.DotSlash(dirs[task]))
		return 1, nil
	case errors.Is(err, notebook.ErrSetup):
		if err != notebook.ErrSetup {
			return 1, err
		}
		return 1, nil // the child said what
	}
	return 1, err
}

// runOutDir is where a run's plots go without -out: runs/TASK, or
// runs/TASK-ref for the reference, so that it never replaces the
// student's own plots.
func runOutDir(root, task string, ref bool) string {
	if ref {
		task += "-ref"
	}
	return filepath.Join(root, "runs", task)
}

// runFlagError says what is wrong with a run's settings for task, or
// returns nil. given holds the flags set on the command line: a value
// given as 0 is an error, where leaving the flag out means the task's
// reference setting.
func runFlagError(task string, opt notebook.Options, given map[string]bool) error {
	cnn := task == "task3" || task == "task4"
	switch {
	case given["epochs"] && opt.Epochs < 1:
		return fmt.Errorf("-epochs %d: want at least 1 epoch (leave -epochs out for the task's reference setting)", opt.Epochs)
	case given["batch"] && opt.Batch < 1:
		return fmt.Errorf("-batch %d: want a batch of at least 1 (leave -batch out for the task's reference setting)", opt.Batch)
	case given["lr"] && !(opt.LR > 0 && !math.IsInf(opt.LR, 1)):
		return fmt.Errorf("-lr %g: want a learning rate above 0 (leave -lr out for the task's reference setting)", opt.LR)
	case given["limit"] && !cnn:
		return fmt.Errorf("-limit applies to tasks 3 and 4 (Fashion-MNIST), not %s", task)
	case given["limit"] && opt.Limit < 1:
		return fmt.Errorf("-limit %d: want at least 1 image (leave -limit out to use them all)", opt.Limit)
	case given["resize"] && task != "task4":
		return fmt.Errorf("-resize applies to task 4 only, not %s", task)
	case given["resize"] && opt.Resize < notebook.MinResize():
		return fmt.Errorf("-resize %d: ResNet-18 halves the image side five times, so it needs a side of at least %d (default %d)",
			opt.Resize, notebook.MinResize(), spec.Task4Resize)
	case given["yes"] && !cnn:
		return fmt.Errorf("-yes applies to tasks 3 and 4, whose runs can be long, not %s", task)
	}
	return nil
}

// runShort shortens a path to one relative to the working folder when it
// lies below it.
func runShort(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return abs
	}
	if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return abs
}
