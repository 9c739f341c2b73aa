package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"

	"nnkit/checker"
	"nnkit/checker/distrib"
)

// distCmd is `check dist [-v] OUT`.
func distCmd(_ context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("dist", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "list every file left out")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		log.Print("dist takes one argument: the folder to write the student distribution into")
		return errUsage
	}
	root, err := checker.FindRoot(".")
	if err != nil {
		return err
	}
	opt := distrib.Options{}
	if *verbose {
		opt.Log = stdout
	}
	if err := distrib.Write(root, pos[0], opt); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote the student distribution to %s: no solutions, the checker compares against checker/fixtures, the modules in vendor/, README.md for students\n", pos[0])
	fmt.Fprintf(stdout, "check it offline with: cd %s && GOPROXY=off go vet ./... && GOPROXY=off go run ./cmd/check ./exercises/task1\n", pos[0])
	return nil
}
