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

// submitCmd is `check submit -id ID [-out DIR]`.
func submitCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	id := fs.String("id", "", "your 10-digit student ID")
	out := fs.String("out", "", "folder to write the zip into (default: the kit's root)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *id == "" {
		log.Print("usage: check submit -id 3180100111")
		return errUsage
	}
	root, err := checker.FindRoot(".")
	if err != nil {
		return err
	}
	zip, names, err := grading.Submit(ctx, root, *id, grading.SubmitOptions{Out: *out})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s:\n", zip)
	for _, n := range names {
		fmt.Fprintf(stdout, "  %s\n", n)
	}
	fmt.Fprintln(stdout, "upload this zip as it is (do not rename or re-pack it)")
	return nil
}
