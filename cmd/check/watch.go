package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"path/filepath"
	"strings"
	"time"

	"nnkit/cmd/check/internal/watch"
)

// watchCmd is `check watch PACKAGE...`: grade, then grade again whenever a
// Go file of the packages is saved, until Ctrl-C (which ends it with
// status 0).
func watchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	poll := fs.Bool("poll", false, "poll the files instead of using file-system events")
	interval := fs.Duration("interval", time.Second, "polling period")
	verbose := fs.Bool("v", false, "show full diffs")
	timeout := fs.Duration("timeout", 0, "time limit per item (default: as check)")
	pos, err := parse(fs, args)
	if err != nil {
		return 2, err
	}
	if len(pos) == 0 {
		log.Print("watch: which package? (for example: check watch ./exercises/task1)")
		return 2, errUsage
	}
	dirs, err := expandAll(pos)
	if err != nil {
		return 2, err
	}
	gradeArgs := append([]string(nil), dirs...)
	if *verbose {
		gradeArgs = append(gradeArgs, "-v")
	}
	if *timeout > 0 {
		gradeArgs = append(gradeArgs, "-timeout", timeout.String())
	}
	opt := watch.Options{Poll: *poll, Interval: *interval, Log: stderr}
	err = watch.Watch(ctx, dirs, opt, func(ctx context.Context, changed []string) {
		var names []string
		for _, c := range changed {
			names = append(names, filepath.Base(c))
		}
		what := "checking"
		if len(names) > 0 {
			what = "saved " + strings.Join(names, ", ") + ": checking"
		}
		fmt.Fprintf(stdout, "\n[%s] %s %s\n", time.Now().Format("15:04:05"), what, strings.Join(dirs, " "))
		if _, err := grade(ctx, gradeArgs, stdout, stderr); err != nil && ctx.Err() == nil {
			log.Print(err)
		}
		if ctx.Err() == nil {
			fmt.Fprintf(stdout, "watching %s for changes (Ctrl-C stops)\n", strings.Join(dirs, " "))
		}
	})
	if err != nil {
		return 1, err
	}
	fmt.Fprintln(stdout, "\nstopped watching")
	return 0, nil
}
