package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"strings"

	"nnkit/checker"
)

// A verb is one command of check, with what `check VERB -h` prints about
// it besides its flags.
type verb struct {
	name  string // as typed, and as its FlagSet is named: "grade merge"
	usage string // the usage line without "usage: "
	doc   string // one paragraph
}

// verbs lists every command in the order of the overview. The default
// form, grading packages, is named "check" (its FlagSet's name).
var verbs = []verb{
	{"check", "check [-v] [-json FILE] [-timeout D] PACKAGE...",
		"Grade task packages: each graded function is compared with the reference on seeded random inputs and edge cases, and a table shows every rubric item's points, status and the reason for every point lost. PACKAGE is a task folder (./exercises/task1), DIR/... for every task below DIR, or ./conceptual for the conceptual answers. The exit status is 0 when every item earned full marks, 1 otherwise, 2 for a misuse."},
	{"gen", "check gen [-force] [TASK...]",
		"Regenerate exercises/taskN from solutions/taskN (every task, or the tasks named). For instructors: the student copy has no solutions (use check reset there). An exercise edited since it was generated is kept unless -force is given, and then it is first saved as NAME.YYYYMMDD-HHMMSS.bak."},
	{"data", "check data [-data DIR]",
		"Say where the Fashion-MNIST data comes from (-data DIR, then $NNKIT_DATA, then /usr/share/datasets/fashion-mnist, then the subset embedded in the binary) and how many images of each class it holds."},
	{"run", "check run [-ref] [flags] TASK|DIR|p6",
		"Run a task end to end as the course's notebook did, on exercises/TASK (or solutions/TASK with -ref, or the task folder DIR), with a progress bar and plots in runs/TASK; p6 plots conceptual problem 6's gradient norms. The student's code runs in a program built for the run, never inside check."},
	{"watch", "check watch [-poll] [-interval D] [-v] [-timeout D] PACKAGE...",
		"Grade PACKAGE, then again whenever one of its files is saved, until Ctrl-C. It uses file-system events, or polls every -interval with -poll or where events do not work."},
	{"hint", "check hint [-level N | -all] TASK [ITEM]",
		"Print the first hint for a rubric item as named in the table (check hint task1 DNNBackward), the first N with -level N, or every one with -all, the last giving the formula. With TASK alone, list the items that have hints."},
	{"list", "check list",
		"List every task's rubric items with their points and the score each earned the last time check graded that folder (\"-\" for an item never checked). The scores are kept in the user's cache folder, never in the checked folder."},
	{"reset", "check reset TASK [ITEM]",
		"Restore the stub of a task's files, or of one graded function (ITEM: Relu, TrainCNN, Residual.Forward, or a rubric item as named in the table), keeping each file it changes as NAME.YYYYMMDD-HHMMSS.bak beside it. Restoring one function leaves the rest of the file as it is."},
	{"fixtures", "check fixtures [-verify [-quick]]",
		"Record checker/fixtures from the reference solutions: every reference output the rubric compares against, stamped with the input seed, the kit version and a SHA-256, listed in MANIFEST. -verify fails when any is missing, altered or stale. For instructors."},
	{"dist", "check dist [-v] OUT",
		"Write the student distribution into OUT: no solutions, the checker comparing against the fixtures, the numeric conceptual answers as salted hashes. For instructors."},
	{"submit", "check submit -id ID [-out DIR] [-no-check]",
		"Check your work (the score and what is missing; -no-check skips it), then pack the course's five files into ID_assignment2.zip: task1_ID.go .. task4_ID.go and conceptual_ID.pdf at its top level (the PDF typeset from conceptual/answers, or your own single PDF placed there), with the graded answers under ID_answers/ for the autograder. Partial work is packed too, with a warning."},
	{"grade", "check grade [flags] SUBMISSIONS -out RESULTS",
		"Grade a folder of submissions (or one submission zip) in parallel, each in its own restored copy of the kit and child process with time and memory limits, on fresh random inputs against the live solutions; write grades.csv, a Gradescope results.json per student and a summary. For instructors: docs/grading.md is the manual."},
	{"grade merge", "check grade merge -out RESULTS SHARD_RESULTS...",
		"Combine the results folders of sharded grading runs (check grade -shard i/n) into one."},
	{"similar", "check similar [flags] SUBMISSIONS -out DIR",
		"Find the submissions that share code, per task, over the same inputs as check grade: each function's tokens normalised (names by role, literals by kind, comments and layout gone, commutative forms sorted), fingerprinted by winnowing, with the kit's own stubs and helpers subtracted. Writes DIR/similarity.csv (every pair, by score) and DIR/similarity.html (one self-contained page: the ranked pairs, a histogram, each pair side by side). check grade runs it at its end. For instructors: docs/grading.md is the manual."},
	{"version", "check version",
		"Print the kit's version, the VCS revision, the Go version and the platform."},
	{"help", "check help [COMMAND]",
		"Print the overview of the commands, or what check COMMAND -h prints: its usage, what it does and its flags."},
}

// lookupVerb returns the verb called name.
func lookupVerb(name string) (verb, bool) {
	i := slices.IndexFunc(verbs, func(v verb) bool { return v.name == name })
	if i < 0 {
		return verb{}, false
	}
	return verbs[i], true
}

// helpRequest is what parse returns for -h, -help or --help: run prints
// the verb's help for it to stdout and exits 0.
type helpRequest struct{ fs *flag.FlagSet }

func (h helpRequest) Error() string { return "help requested for " + h.fs.Name() }

// isHelp reports whether err asks for a verb's help (-h).
func isHelp(err error) bool {
	var h helpRequest
	return errors.As(err, &h)
}

// printVerbHelp writes the usage line, the paragraph and the flags (with
// their defaults) of the verb whose flags fs holds.
func printVerbHelp(w io.Writer, fs *flag.FlagSet) {
	v, ok := lookupVerb(fs.Name())
	if !ok { // every FlagSet is named after its verb; a test holds to it
		v = verb{name: fs.Name(), usage: "check " + fs.Name()}
	}
	fmt.Fprintf(w, "usage: %s\n\n", v.usage)
	if v.doc != "" {
		fmt.Fprintf(w, "%s\n\n", wrap(v.doc, 76))
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		fmt.Fprintln(w, "It takes no flags.")
	} else {
		fmt.Fprintln(w, "flags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if v.name == "check" {
		fmt.Fprintln(w, "\nThe other commands: check help.")
	}
}

// helpCmd is `check help [VERB]`: the overview, or the verb's help, which
// it gets by running the verb with -h so that the flags shown are the
// ones the verb parses.
func helpCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := strings.Join(args, " ")
	switch name {
	case "", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	if _, ok := lookupVerb(name); !ok {
		if s := suggestVerb(name); s != "" {
			log.Printf("help: unknown command %q (did you mean %s?)", name, s)
		} else {
			log.Printf("help: unknown command %q (check help lists the commands)", name)
		}
		return 2
	}
	code, err := dispatch(ctx, args[0], append(args[1:], "-h"), stdout, stderr)
	return exitStatus(code, err, stdout)
}

// unknownVerb returns the complaint about a first argument that is
// neither a command nor a package: a plain word (no slash, no dot) that
// names no file. It suggests the closest command, when one is close.
func unknownVerb(arg string) (string, bool) {
	if arg == "" || strings.HasPrefix(arg, "-") || strings.ContainsAny(arg, `/\.`) {
		return "", false
	}
	if _, err := os.Stat(arg); err == nil {
		return "", false
	}
	if t, err := taskName(arg); err == nil {
		return fmt.Sprintf("unknown command %q: to grade %s, name its folder: check ./exercises/%s", arg, t, t), true
	}
	if strings.EqualFold(arg, "conceptual") {
		return fmt.Sprintf("unknown command %q: to grade the conceptual answers, name their folder: check ./conceptual", arg), true
	}
	if s := suggestVerb(arg); s != "" {
		return fmt.Sprintf("unknown command %q (did you mean %s?)", arg, s), true
	}
	return fmt.Sprintf("unknown command %q (check help lists the commands)", arg), true
}

// suggestVerb returns the command closest to word, or "" when none is
// within two edits (and fewer edits than the word has letters).
func suggestVerb(word string) string {
	best, bestD := "", 3
	for _, v := range verbs {
		if strings.Contains(v.name, " ") || v.name == "check" {
			continue
		}
		d := checker.EditDistance(strings.ToLower(word), v.name)
		if d < bestD && d < len(word) {
			best, bestD = v.name, d
		}
	}
	return best
}

// wrap breaks s into lines of at most width columns at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	col := 0
	for _, w := range strings.Fields(s) {
		if col > 0 && col+1+len(w) > width {
			b.WriteByte('\n')
			col = 0
		} else if col > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}
