package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"path/filepath"
	"sort"
	"time"

	"nnkit/checker"
)

// fixturesCmd is `check fixtures [-verify]`.
func fixturesCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fixtures", flag.ContinueOnError)
	verify := fs.Bool("verify", false, "check the fixtures instead of writing them: fail when any is stale or altered")
	quick := fs.Bool("quick", false, "with -verify: check the stamps and MANIFEST only, without recording the reference again")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		log.Print("fixtures takes no arguments")
		return errUsage
	}
	root, err := checker.FindRoot(".")
	if err != nil {
		return err
	}
	if err := instructorsOnly("fixtures", root); err != nil {
		return err
	}
	dir := filepath.Join(root, checker.FixturesDir)
	start := time.Now()
	if *verify {
		if err := checker.VerifyFixtures(dir, !*quick); err != nil {
			return fmt.Errorf("fixtures are not up to date:\n%v", err)
		}
		fmt.Fprintf(stdout, "fixtures in %s are up to date (%v)\n", checker.FixturesDir, time.Since(start).Round(time.Millisecond))
		return nil
	}
	files, err := checker.GenerateAllFixtures(stdout)
	if err != nil {
		return err
	}
	if err := checker.WriteFixtures(dir, files); err != nil {
		return err
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(stdout, "wrote %s/%s (%d bytes)\n", checker.FixturesDir, n, len(files[n]))
	}
	fmt.Fprintf(stdout, "kit version %s, input seed 0, in %v\n", checker.KitVersion, time.Since(start).Round(time.Millisecond))
	return nil
}
