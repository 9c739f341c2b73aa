// Package notebook runs a task end to end as the course's Jupyter notebook
// did, on a student's package or the reference: `check run task1` ..
// `check run task4`, and `check run p6`.
//
// It has two halves, in two packages, because the check command must
// never import a student's package when it is built (a task 4 that does
// not compile must not stop anything else), and should not link the
// plotting libraries either (a student's first `check` compiles check
// itself, and every package it links is compile time):
//
//   - Launch, here (the parent, in the check command), places the
//     student's files, through `go build -overlay`, at a virtual package
//     inside the module beside a generated main that binds the task's
//     functions into a TaskNFuncs struct and calls program.Main; it
//     builds that program, runs it with the parent's standard output (a
//     terminal stays a terminal, so the progress bar redraws in place)
//     and reports a build failure or a crash in words.
//   - nnkit/cmd/check/internal/notebook/program (the child) reads the
//     Options from the environment and runs the task's driver: each step
//     prints what it does, a function that returns nil is reported as not
//     implemented yet, a panic in the student's code is caught and located
//     in the student's file, and the plots are written under Options.Out.
//
// The drivers hold no solution code: they call the student's functions
// and the given helpers' equivalents (data generation, numerical
// gradients, shape tables) only.
package notebook

import (
	"errors"
	"path/filepath"
	"strings"
	"time"

	"nnkit/spec"
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

// EnvOptions is the environment variable that hands the child program
// its Options.
const (
	EnvOptions = "NNKIT_RUN_OPTIONS" // Options as JSON
)

// The child program's exit statuses.
const (
	ExitOK         = 0
	ExitIncomplete = 3 // a step could not run: not implemented, a panic, bad results
	ExitSetup      = 4 // bad options, data not found, plots not written
	ExitLong       = 5 // the run would take longer than LongRun and AllowLong is not set
)

// ErrLong is returned when a run would take longer than LongRun and
// Options.AllowLong is not set: nothing was trained.
var ErrLong = errors.New("the run would take longer than check run starts without being asked")

// ErrSetup marks an error of the run's setting (options, data, output
// folder) rather than of the student's code.
var ErrSetup = errors.New("setup")

// DotSlash writes a folder as a `check` argument: relative ones start
// with "./".
func DotSlash(dir string) string {
	if filepath.IsAbs(dir) || strings.HasPrefix(dir, ".") {
		return dir
	}
	return "./" + filepath.ToSlash(dir)
}

// MinResize is the smallest image side ResNet-18 takes (-resize): the
// smallest side for which every layer of spec.ResNetShapes keeps an
// output of at least 1 x 1. The network halves the side five times (its
// first convolution, the max-pool and the first block of stages 3 to 5),
// so that is 32.
func MinResize() int {
	for side := 1; ; side++ {
		ok := true
		for _, l := range spec.ResNetShapes(side) {
			for _, d := range l.OutputShape {
				ok = ok && d >= 1
			}
		}
		if ok {
			return side
		}
	}
}

// LongRun is the longest run check run starts without Options.AllowLong:
// a multi-hour run should be asked for, not started on a warning.
const LongRun = 15 * time.Minute
