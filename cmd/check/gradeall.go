package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"nnkit/checker"
	"nnkit/checker/grading"
	"nnkit/checker/similar"
)

const gradeOneCmdName = "grade-one"

// gradeAllCmd is `check grade [flags] SUBMISSIONS -out RESULTS` and
// `check grade merge -out RESULTS SHARD...`. SUBMISSIONS is a folder of
// submissions or one submission zip. SIGINT, SIGTERM and SIGHUP stop
// the graders (and everything they started), keep what is graded and
// write the summary of it before exiting.
func gradeAllCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	ctx, stop := grading.StopOnSignals(ctx, stderr)
	defer stop()
	if len(args) > 0 && args[0] == "merge" {
		fs := flag.NewFlagSet("grade merge", flag.ContinueOnError)
		out := fs.String("out", "", "the results folder to write")
		pos, err := parse(fs, args[1:])
		if err != nil {
			return 2, err
		}
		if *out == "" || len(pos) == 0 {
			log.Print("usage: check grade merge -out RESULTS SHARD_RESULTS...")
			return 2, errUsage
		}
		reps, err := grading.Merge(*out, pos)
		if err != nil {
			return 1, err
		}
		grading.SummaryTable(stdout, reps)
		return 0, nil
	}
	fs := flag.NewFlagSet("grade", flag.ContinueOnError)
	out := fs.String("out", "", "the results folder (required)")
	jobs := fs.Int("jobs", 0, "students graded at once (default: one per core)")
	seed := fs.Uint64("seed", 0, "input seed of the run (default: a fresh random one)")
	force := fs.Bool("force", false, "grade again students already graded")
	shard := fs.String("shard", "", "grade the slice `i/n` of the students (0 <= i < n)")
	timeout := fs.Duration("timeout", checker.DefaultTimeout, "time limit per rubric item")
	stimeout := fs.Duration("student-timeout", 15*time.Minute, "time limit per student, builds included")
	mem := fs.String("mem", "4G", "address-space limit of every process grading a student (K, M, G suffixes)")
	sim := fs.Bool("similar", true, "then compare the submissions as check similar does, into RESULTS/similarity.csv and .html")
	pos, err := parse(fs, args)
	if err != nil {
		return 2, err
	}
	if *out == "" || len(pos) != 1 {
		log.Print("usage: check grade [-jobs N] [-force] [-shard i/n] SUBMISSIONS|ONE.zip -out RESULTS")
		return 2, errUsage
	}
	memLimit, err := parseBytes(*mem)
	if err != nil {
		log.Print(err)
		return 2, errUsage
	}
	opt := grading.Options{Out: *out, Jobs: *jobs, Seed: *seed, Force: *force, ItemTimeout: *timeout,
		StudentTimeout: *stimeout, MemLimit: memLimit, Progress: stderr}
	if *shard != "" {
		i, n, ok := strings.Cut(*shard, "/")
		si, err1 := strconv.Atoi(i)
		sn, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || sn <= 0 || si < 0 || si >= sn {
			log.Printf("-shard %q: expected i/n with 0 <= i < n, such as 0/4", *shard)
			return 2, errUsage
		}
		opt.Shard, opt.Shards = si, sn
	}
	if checker.FixtureMode() {
		return 1, fmt.Errorf("this is the student distribution: grading needs the instructor's kit with the solutions")
	}
	if opt.Kit, err = checker.FindRoot("."); err != nil {
		return 1, err
	}
	if opt.Exe, err = os.Executable(); err != nil {
		return 1, err
	}
	reps, err := grading.Grade(ctx, pos[0], opt)
	if reps != nil {
		grading.SummaryTable(stdout, reps)
	}
	if err != nil {
		return 1, err
	}
	if *sim {
		if err := writeSimilarity(pos[0], *out, opt.Kit, similar.Options{Jobs: *jobs}, stdout); err != nil {
			return 1, fmt.Errorf("the grades are written in %s, but the similarity step failed (check similar %s -out %s repeats it): %w", *out, pos[0], *out, err)
		}
	}
	return 0, nil
}

// parseBytes reads 4G, 512M, 1048576.
func parseBytes(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("-mem %q: expected a size such as 4G", s)
	}
	return v * mult, nil
}

// gradeOneCmd is the hidden `check grade-one`: one student, in the
// child process `check grade` starts.
func gradeOneCmd(ctx context.Context, args []string, _ io.Writer) (int, error) {
	if err := grading.RunGradeOne(ctx, args); err != nil {
		return 1, err
	}
	return 0, nil
}
