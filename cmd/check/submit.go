package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"

	"nnkit/checker"
	"nnkit/checker/grading"
)

// submitCmd is `check submit -id ID [-out DIR] [-no-check]`: it checks
// the work first and says what it scores (the zip is written whatever
// the score: partial work may be submitted), then packs it.
func submitCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	id := fs.String("id", "", "your 10-digit student ID")
	out := fs.String("out", "", "folder to write the zip into (default: the kit's root)")
	noCheck := fs.Bool("no-check", false, "pack without checking the work first (faster; no score shown)")
	timeout := fs.Duration("timeout", checker.DefaultTimeout, "time limit per item of the check")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *id == "" {
		log.Print("usage: check submit -id 3180100111 [-out DIR] [-no-check]")
		return errUsage
	}
	if err := grading.ValidID(*id); err != nil {
		return err
	}
	root, err := checker.FindRoot(".")
	if err != nil {
		return err
	}
	var missing, pending string
	if !*noCheck {
		fmt.Fprintln(stdout, "checking your work before packing it (-no-check skips this)...")
		rep, err := grading.SelfCheck(ctx, root, *timeout)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			missing = fmt.Sprintf("warning: could not check your work (%v): the zip is written anyway; run check ./exercises/... ./conceptual to see your score", err)
		default:
			missing, pending = grading.Shortfall(rep)
			if missing == "" {
				score, max := autoTotal(rep)
				fmt.Fprintf(stdout, "your work scores %s / %s on what check grades: full marks\n", pts(score), pts(max))
			}
		}
	}
	got, err := grading.Submit(ctx, root, *id, grading.SubmitOptions{Out: *out})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s:\n", got.Zip)
	for _, n := range got.Names {
		fmt.Fprintf(stdout, "  %s\n", n)
	}
	if got.OwnPDF != "" {
		fmt.Fprintf(stdout, "%s is your own PDF, %s\n", grading.PDFName(*id), got.OwnPDF)
	} else {
		fmt.Fprintf(stdout, "%s is rendered from conceptual/answers (put exactly one PDF of your own there to send it instead)\n", grading.PDFName(*id))
	}
	fmt.Fprintln(stdout, "upload this zip as it is (do not rename or re-pack it): the five files the course asks for are at its top level")
	if pending != "" {
		fmt.Fprintln(stdout, pending)
	}
	if missing != "" {
		fmt.Fprintln(stdout, missing)
	}
	return nil
}

// autoTotal is the score and maximum of what check grades (the items
// graded by hand left out).
func autoTotal(rep checker.Report) (score, max float64) {
	for _, r := range rep.Results {
		if r.Status != checker.HandGraded {
			score += r.Score
			max += r.Max
		}
	}
	return score, max
}

func pts(v float64) string { return fmt.Sprint(v) }
