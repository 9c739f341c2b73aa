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

	"nnkit/charts"
	"nnkit/checker"
	"nnkit/conceptual"
	"nnkit/internal/notebook"
)

const runUsage = `usage:
  check run [flags] TASK        run a task as its notebook did: task1, task2, task3, task4
  check run [flags] DIR         the same for the task package in DIR
  check run [-out DIR] p6       plot conceptual problem 6's gradient norms
flags:
  -ref          run the reference solutions/TASK instead of exercises/TASK
  -epochs N     epochs (default: the task's reference setting)
  -lr X         learning rate
  -batch N      batch size
  -limit N      use only the first N training and test images (tasks 3, 4)
  -resize N     image side for task 4 (default 96)
  -data DIR     Fashion-MNIST folder, or "embedded"
  -seed N       seed of task 1's and 2's data and weights
  -device D     where tasks 3 and 4 train: cpu (default), cuda (the GPU; the
                run is built with -tags cuda, see docs/gpu.md) or auto (the
                GPU when usable, else the CPU with one line saying why)
  -out DIR      where the plots go (default: runs/TASK under the module)
`

// runCmd is `check run`: it builds a small program against the student's
// package (never linked into check itself) and runs it; see
// nnkit/internal/notebook.
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
	if opt.Epochs < 0 || opt.Batch < 0 || opt.Limit < 0 || opt.Resize < 0 || opt.LR < 0 {
		log.Print("run: -epochs, -lr, -batch, -limit and -resize must not be negative")
		return 2, errUsage
	}
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
	if arg == "p6" || arg == "conceptual" {
		dir := *out
		if dir == "" {
			dir = filepath.Join(root, "runs", "p6")
		}
		return plotP6(dir, stdout)
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
		*out = filepath.Join(root, "runs", task)
	}
	opt.Out, err = filepath.Abs(*out)
	if err != nil {
		return 1, err
	}
	opt.Dir = dirs[task]
	if task == "task4" && !*ref {
		fmt.Fprintf(stderr, "task 4 trains with %s's TrainCNN (task 3)\n", dirs["task3"])
	}
	l := notebook.Launch{Root: root, Task: task, Dirs: dirs, Options: opt, Stdout: stdout, Stderr: stderr}
	err = l.Run(ctx)
	switch {
	case err == nil:
		fmt.Fprintf(stdout, "\ncheck run %s: done; plots in %s\n", task, runShort(opt.Out))
		return 0, nil
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "check run %s: interrupted\n", task)
		return 130, nil
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

// P6 settings: the radii and lags of docs/conceptual/p6-rnn-gradients.md,
// every lag from 1 to 50.
var p6Radii = []float64{0.5, 1, 2, 4, 8, 16}

const p6Seed, p6MaxLag = 6, 50

// plotP6 plots conceptual problem 6: the norm of dh_T/dh_{T-lag} against
// the lag, for W^h of several spectral radii, along a run with random
// inputs and with every sigma' at its largest (1/4).
func plotP6(dir string, w io.Writer) (int, error) {
	var lags []int
	for l := 1; l <= p6MaxLag; l++ {
		lags = append(lags, l)
	}
	rows := conceptual.RNNNormTable(p6Seed, p6Radii, lags)
	x := make([]float64, len(lags))
	for i, l := range lags {
		x[i] = float64(l)
	}
	pos := func(v []float64) []float64 { // a log axis needs positive values
		out := make([]float64, len(v))
		for i, f := range v {
			out[i] = math.Max(f, 1e-300)
		}
		return out
	}
	var traj, lin []charts.Series
	for _, r := range rows {
		name := fmt.Sprintf("rho %g", r.Rho)
		traj = append(traj, charts.Series{Name: name, X: x, Y: pos(r.Trajectory)})
		lin = append(lin, charts.Series{Name: name, X: x, Y: pos(r.Linear)})
	}
	fmt.Fprintln(w, "conceptual problem 6: the norm of dh_T/dh_{T-lag} of a sigmoid RNN (16 units) against the lag")
	for _, f := range []struct {
		name, title string
		s           []charts.Series
	}{
		{"p6-gradient-norms", "||dh_T/dh_{T-lag}|| along a run (sigmoid RNN)", traj},
		{"p6-gradient-norms-steepest", "||(W^h/4)^lag||: every sigma' at its largest, 1/4", lin},
	} {
		for _, ext := range []string{".png", ".svg"} {
			path := filepath.Join(dir, f.name+ext)
			if err := charts.Lines(path, f.title, "lag", "norm", true, f.s...); err != nil {
				return 1, err
			}
			fmt.Fprintf(w, "wrote %s\n", runShort(path))
		}
	}
	fmt.Fprintln(w, "the norms fall (vanish) or grow (explode) geometrically in the lag: docs/conceptual/p6-rnn-gradients.md says why")
	return 0, nil
}
