package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"strings"

	"nnkit/checker"
)

// hintCmd is `check hint TASK ITEM`: the first hint for an item, or the
// first N with -level N, or every one with -all. Hints are graded from a
// nudge to the formula, so a student reads only as far as needed; the
// command keeps no state, and the last line says how to see more.
func hintCmd(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("hint", flag.ContinueOnError)
	level := fs.Int("level", 1, "show the first N hints")
	all := fs.Bool("all", false, "show every hint")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		pos[0] = hintTask(pos[0])
	}
	if len(pos) == 1 { // "check hint task1": list the items
		task := pos[0]
		items := checker.HintItems(task)
		if len(items) == 0 {
			log.Printf("hint: no hints for %q (tasks: task1 .. task4, conceptual)", task)
			return errUsage
		}
		fmt.Fprintf(w, "hints for %s: check hint %s ITEM, with ITEM one of\n", task, task)
		for _, it := range items {
			fmt.Fprintf(w, "  %s (%d hints)\n", it, len(checker.Hints(task, it)))
		}
		return nil
	}
	if len(pos) < 2 {
		log.Print("usage: check hint [-level N | -all] TASK ITEM (for example: check hint task1 DNNBackward)")
		return errUsage
	}
	task, query := pos[0], strings.Join(pos[1:], " ") // "P1 dL/dS" may come unquoted
	item, ok := checker.FindHintItem(task, query)
	if !ok {
		items := checker.HintItems(task)
		if len(items) == 0 {
			log.Printf("hint: no hints for %q (tasks: task1 .. task4, conceptual)", task)
		} else {
			log.Printf("hint: %s has no item %q (items: %s)", task, query, strings.Join(items, ", "))
		}
		return errUsage
	}
	hs := checker.Hints(task, item)
	n := *level
	if *all || n > len(hs) {
		n = len(hs)
	}
	if n < 1 {
		log.Print("hint: -level must be at least 1")
		return errUsage
	}
	fmt.Fprintf(w, "%s %s\n", task, item)
	for i := range n {
		label := "hint"
		if i == len(hs)-1 {
			label = "formula"
		}
		fmt.Fprintf(w, "\n%d/%d %s: %s\n", i+1, len(hs), label, hs[i])
	}
	if n < len(hs) {
		fmt.Fprintf(w, "\nmore: check hint -level %d %s %q (or -all)\n", n+1, task, item)
	}
	return nil
}

// hintTask resolves a task as typed (Task1, CONCEPTUAL) to its name; an
// unknown one stays as typed for the error message.
func hintTask(s string) string {
	if t, err := taskName(s); err == nil {
		return t
	}
	if strings.EqualFold(s, "conceptual") {
		return "conceptual"
	}
	return s
}
