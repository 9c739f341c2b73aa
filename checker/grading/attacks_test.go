package grading

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"nnkit/checker"
	conceptual "nnkit/conceptual/grade"
)

// The tests here grade through a stand-in for `check grade-one`: this
// test binary, started by Grade with envFake set, runs the real
// RunGradeOne and GradeOne with fake graders (fakeTask, fakeConceptual)
// that score an item in full when the task's files declare the functions
// it uses, and obey markers in the source (//fake:hang and so on). That
// makes the parent's handling of timeouts, crashes, grader errors,
// forged scores and signals quick and deterministic; TestGradeSubmissions
// grades with the real checker.
const (
	envFake   = "NNKIT_GRADING_TEST_FAKE"   // set: this binary is a fake check grade-one (or grade)
	envReady  = "NNKIT_GRADING_TEST_READY"  // folder where a hanging fake writes the file "hang"
	envMarker = "NNKIT_GRADING_TEST_MARKER" // carried by every process of a fake run, to find leftovers
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "grade-one" || os.Args[1] == "grade") {
		// Started as a grader: never run the tests (they would start
		// graders in turn).
		if os.Getenv(envFake) == "" {
			fmt.Fprintf(os.Stderr, "the grading test binary was started as check %s without %s: refusing\n", os.Args[1], envFake)
			os.Exit(2)
		}
		if os.Args[1] == "grade-one" {
			os.Exit(fakeGradeOne(os.Args[2:]))
		}
		os.Exit(fakeGradeCLI(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// fakeGradeOne is `check grade-one` with the fake graders.
func fakeGradeOne(args []string) int {
	toolchainBroken := false
	checkTask = func(ctx context.Context, dir string, opt checker.Options) (checker.Report, error) {
		task := checker.LookupTask(filepath.Base(dir))
		var src []byte
		declared := map[string]bool{}
		names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, n := range names {
			b, _ := os.ReadFile(n)
			src = append(src, b...)
			if _, decls, err := goDecls(n, b); err == nil {
				for _, d := range decls {
					declared[d] = true
				}
			}
		}
		has := func(marker string) bool { return bytes.Contains(src, []byte("//fake:"+marker)) }
		switch {
		case has("hang"):
			os.WriteFile(filepath.Join(os.Getenv(envReady), "hang"), nil, 0o644)
			for {
				time.Sleep(time.Hour)
			}
		case has("crash"):
			fmt.Fprintln(os.Stderr, "fake grade-one: crashing")
			os.Exit(3)
		case has("error"):
			return checker.Report{}, errors.New("fake checker failure: cannot read the kit")
		}
		toolchainBroken = has("toolchain-broken")
		var rep checker.Report
		for _, it := range task.Items {
			r := checker.Result{Task: task.Name, Item: it.Name, Max: it.Points, Status: checker.Pass, Score: it.Points}
			for _, u := range it.Uses {
				if !declared[u] {
					r.Status, r.Score, r.Reason = checker.NotDone, 0, u+" is not declared"
				}
			}
			if has("buildfail") {
				r.Status, r.Score, r.Reason = checker.BuildFailed, 0, "the package does not build: fake"
			}
			rep.Results = append(rep.Results, r)
		}
		if has("rule") {
			rep.Results[0].Score, rep.Results[0].Status = 0, checker.RuleBroken
			rep.Results[0].Reason = `import "os" at ` + task.Name + `.go:3 is not allowed in ` + task.Name + ` (allowed: math)`
		}
		if has("forge") {
			rep.Results[0].Score, rep.Results[0].Max = 99, 99
			rep.Results[1].Score = -5
			rep.Results = append(rep.Results, rep.Results[2],
				checker.Result{Task: task.Name, Item: "Bonus", Score: 10, Max: 10, Status: checker.Pass})
		}
		return rep, nil
	}
	checkConceptual = func(ctx context.Context, dir string, opt conceptual.Options) (checker.Report, error) {
		var rep checker.Report
		p4, _ := os.ReadFile(filepath.Join(dir, "p4.md"))
		for _, it := range conceptualItems {
			r := checker.Result{Task: conceptualPart, Item: it.item, Max: it.max, Score: it.max, Status: checker.Pass}
			if it.item == conceptual.ItemP4 && bytes.Contains(p4, []byte("fake:pending")) {
				r.Score, r.Status, r.Reason = 0, checker.HandGraded, "p4.md, 3 words: an instructor grades it"
			}
			rep.Results = append(rep.Results, r)
		}
		return rep, nil
	}
	probeToolchain = func(ctx context.Context, kit string) error {
		if toolchainBroken {
			return errors.New("fake: failed to initialize build cache")
		}
		return nil
	}
	if err := RunGradeOne(context.Background(), args); err != nil {
		fmt.Fprintln(os.Stderr, "fake grade-one:", err)
		return 1
	}
	return 0
}

// fakeGradeCLI is `check grade SUBMISSIONS OUT KIT` as cmd/check runs
// it (signals handled by StopOnSignals), grading with fake children.
func fakeGradeCLI(args []string) int {
	ctx, stop := StopOnSignals(context.Background(), os.Stderr)
	defer stop()
	exe, _ := os.Executable()
	reps, err := Grade(ctx, args[0], Options{Kit: args[2], Exe: exe, Out: args[1], Jobs: 1, Seed: 1, Progress: os.Stderr})
	SummaryTable(os.Stdout, reps)
	if err != nil {
		fmt.Fprintln(os.Stderr, "check:", err)
		return 1
	}
	return 0
}

// fakeKit is a kit for the fake graders: nothing needs building.
func fakeKit(t *testing.T) string {
	kit := t.TempDir()
	os.WriteFile(filepath.Join(kit, "go.mod"), []byte("module nnkit\n"), 0o644)
	return kit
}

// goSrc is a Go file of package pkg declaring funcs (and lines, such as
// markers for the fake graders).
func goSrc(pkg string, funcs []string, lines ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	for _, f := range funcs {
		fmt.Fprintf(&b, "func %s() {}\n", f)
	}
	return []byte(b.String())
}

// taskFuncs are the functions the items of task use.
func taskFuncs(task string) []string {
	var fs []string
	seen := map[string]bool{}
	for _, it := range checker.LookupTask(task).Items {
		for _, u := range it.Uses {
			if !seen[u] {
				seen[u] = true
				fs = append(fs, u)
			}
		}
	}
	return fs
}

// fullTask is task's file with every function it needs (full marks from
// the fake graders), plus lines.
func fullTask(task string, lines ...string) []byte { return goSrc(task, taskFuncs(task), lines...) }

func zipFiles(t *testing.T, p string, files map[string][]byte) {
	t.Helper()
	var es []zipEntry
	for n, b := range files {
		es = append(es, zipEntry{name: n, data: b})
	}
	writeZip(t, p, es)
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// graded is what one fake grading run left.
type graded struct {
	t    *testing.T
	subs string // the submissions folder
	out  string
	reps map[string]*StudentReport
	err  error
	log  string
	opt  Options
}

func (g *graded) rep(id string) *StudentReport {
	g.t.Helper()
	r := g.reps[id]
	if r == nil {
		var ids []string
		for id := range g.reps {
			ids = append(ids, id)
		}
		g.t.Fatalf("%s: no report (have %q)\n%s", id, ids, g.log)
	}
	return r
}

// rows are a report's rows by task/item.
func rows(r *StudentReport) map[string]checker.Result {
	m := map[string]checker.Result{}
	for _, res := range r.Results {
		m[res.Task+"/"+res.Item] = res
	}
	return m
}

func taskScore(r *StudentReport, task string) float64 {
	var s float64
	for _, res := range r.Results {
		if res.Task == task {
			s += res.Score
		}
	}
	return s
}

func (g *graded) csv() []map[string]string {
	g.t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(read(g.t, g.out, GradesCSV))).ReadAll()
	if err != nil {
		g.t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

func (g *graded) csvRow(id string) map[string]string {
	g.t.Helper()
	for _, r := range g.csv() {
		if r["id"] == id {
			return r
		}
	}
	g.t.Fatalf("grades.csv has no row %s:\n%s", id, read(g.t, g.out, GradesCSV))
	return nil
}

// again grades the same submissions into the same results folder.
func (g *graded) again(change func(*Options)) *graded {
	g.t.Helper()
	opt := g.opt
	if change != nil {
		change(&opt)
	}
	return runGrade(g.t, g.subs, g.subs, opt)
}

func runGrade(t *testing.T, subs, target string, opt Options) *graded {
	t.Helper()
	var log strings.Builder
	opt.Progress = &log
	reps, err := Grade(context.Background(), target, opt)
	g := &graded{t: t, subs: subs, out: opt.Out, err: err, log: log.String(), opt: opt, reps: map[string]*StudentReport{}}
	for _, r := range reps {
		g.reps[r.ID] = r
	}
	t.Log(g.log)
	return g
}

func wantNote(t *testing.T, r *StudentReport, sub string) {
	t.Helper()
	if !strings.Contains(strings.Join(r.Notes, "\n"), sub) {
		t.Errorf("%s: no note %q in\n%s", r.ID, sub, strings.Join(r.Notes, "\n"))
	}
}

func wantFlag(t *testing.T, r *StudentReport, f string, want bool) {
	t.Helper()
	if got := strings.Contains(" "+strings.Join(r.Flags, " ")+" ", " "+f+" "); got != want {
		t.Errorf("%s: flag %s: %v, want %v (flags %v)", r.ID, f, got, want, r.Flags)
	}
}

// conceptualFiles are a complete set of conceptual answers for id.
func conceptualFiles(id string) map[string][]byte {
	return map[string][]byte{
		"conceptual_" + id + ".go":    goSrc("answers", []string{"DLdS", "DLdC", "DLdK"}),
		"conceptual_" + id + ".txt":   []byte("p3.parameters = 1\n"),
		"conceptual_" + id + "_p2.md": []byte("p2"),
		"conceptual_" + id + "_p4.md": []byte("p4"),
		"conceptual_" + id + "_p6.md": []byte("p6"),
	}
}

func merge(ms ...map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// TestGradeAttacks: what the hostile-student review of `check grade`
// found, one named case each, graded end to end through Grade with the
// fake grade-one.
func TestGradeAttacks(t *testing.T) {
	for _, c := range []struct {
		name   string
		subs   func(t *testing.T, dir string) // writes the submissions
		target func(dir string) string        // what to grade (default: the folder)
		opt    func(t *testing.T, o *Options)
		check  func(t *testing.T, g *graded)
	}{
		{
			// 1. A timeout late in a student's grading kept nothing.
			name: "timeout-late-keeps-graded-tasks",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, ZipName("3180100001")), merge(conceptualFiles("3180100001"), map[string][]byte{
					"task1_3180100001.go": fullTask("task1"),
					"task2_3180100001.go": fullTask("task2", "//fake:hang"),
					"task3_3180100001.go": fullTask("task3"),
				}))
				zipFiles(t, filepath.Join(dir, ZipName("3180100002")), map[string][]byte{"task1_3180100002.go": fullTask("task1")})
			},
			opt: func(t *testing.T, o *Options) {
				ready := t.TempDir()
				t.Setenv(envReady, ready)
				o.expire = func(id string) <-chan struct{} {
					if id != "3180100001" {
						return nil
					}
					ch := make(chan struct{})
					go func() {
						for !exists(filepath.Join(ready, "hang")) {
							time.Sleep(20 * time.Millisecond)
						}
						close(ch)
					}()
					return ch
				}
			},
			check: func(t *testing.T, g *graded) {
				r := g.rep("3180100001")
				if got := taskScore(r, "task1"); got != 20 {
					t.Errorf("task 1, graded before the timeout: %v, want 20 (kept)", got)
				}
				if got := taskScore(r, "conceptual"); got != 40 {
					t.Errorf("conceptual, graded before the timeout: %v, want 40", got)
				}
				rs := rows(r)
				if res := rs["conceptual/P3 parameter count"]; strings.Contains(res.Reason, "missing") || res.Status != checker.Pass {
					t.Errorf("the conceptual rows say %s %q: the answers were submitted and graded", res.Status, res.Reason)
				}
				if res := rs["task2/GetDNN"]; res.Status != checker.TimedOut || !strings.Contains(res.Reason, "ran out while grading task2") {
					t.Errorf("task2/GetDNN: %s %q, want timeout while grading task2", res.Status, res.Reason)
				}
				if res := rs["task3/GetLeNet"]; res.Status != checker.TimedOut || !strings.Contains(res.Reason, "before task3 was reached") {
					t.Errorf("task3/GetLeNet: %s %q, want not reached", res.Status, res.Reason)
				}
				if r.TimedOut != "task2" || r.State() != StatusGraded {
					t.Errorf("timed out in %q, status %s; want task2, graded", r.TimedOut, r.State())
				}
				wantNote(t, r, "the time ran out while grading task2")
				wantFlag(t, r, "timeout", true)
				if !strings.Contains(string(read(t, g.out, "students/3180100001/report.txt")), "timed out in: task2") {
					t.Errorf("report.txt does not say which task timed out:\n%s", read(t, g.out, "students/3180100001/report.txt"))
				}
				if got := g.rep("3180100002").Score; got != 20 {
					t.Errorf("the next student: %v, want 20", got)
				}
			},
		},
		{
			// 2. A checker error became the student's 0.
			name: "checker-error-is-grader-error",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, ZipName("3180100011")), map[string][]byte{
					"task1_3180100011.go": fullTask("task1"),
					"task2_3180100011.go": fullTask("task2", "//fake:error"),
				})
				zipFiles(t, filepath.Join(dir, ZipName("3180100012")), map[string][]byte{"task1_3180100012.go": fullTask("task1")})
			},
			check: func(t *testing.T, g *graded) {
				r := g.rep("3180100011")
				if r.State() != StatusGraderError {
					t.Errorf("status %s, want %s", r.State(), StatusGraderError)
				}
				rs := rows(r)
				if res := rs["task2/TrainTorch"]; res.Status != GraderError || !strings.Contains(res.Reason, "fake checker failure") {
					t.Errorf("task2/TrainTorch: %s %q, want grader-error with the checker's error", res.Status, res.Reason)
				}
				if got := taskScore(r, "task1"); got != 20 {
					t.Errorf("task1: %v, want 20", got)
				}
				row := g.csvRow("3180100011")
				if row["task2/TrainTorch"] != "grader-error" || row["total"] != "grader-error" || row["status"] != StatusGraderError {
					t.Errorf("grades.csv: task2/TrainTorch %q, total %q, status %q: a grader error is no 0", row["task2/TrainTorch"], row["total"], row["status"])
				}
				if exists(filepath.Join(g.out, StudentsDir, "3180100011", "results.json")) {
					t.Error("a Gradescope results.json was written for a grader error")
				}
				if sum := string(read(t, g.out, SummaryFile)); !strings.Contains(sum, "1 graded, mean 20.0") || !strings.Contains(sum, "1 grader error") {
					t.Errorf("summary.txt should count the grader error apart from the mean:\n%s", sum)
				}
				g2 := g.again(nil)
				if !strings.Contains(g2.log, "3180100011: graded again") || !strings.Contains(g2.log, "grading 1 of 2") {
					t.Errorf("the rerun should grade the grader error again, and only it:\n%s", g2.log)
				}
			},
		},
		{
			// 2. The grading process dying became the student's 0, and
			// threw away what it had graded.
			name: "grader-crash-is-grader-error",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, ZipName("3180100021")), map[string][]byte{
					"task1_3180100021.go": fullTask("task1"),
					"task2_3180100021.go": fullTask("task2", "//fake:crash"),
				})
			},
			check: func(t *testing.T, g *graded) {
				r := g.rep("3180100021")
				rs := rows(r)
				if r.State() != StatusGraderError || rs["task2/GetDNN"].Status != GraderError || taskScore(r, "task1") != 20 {
					t.Errorf("status %s, task2/GetDNN %s, task1 %v; want grader-error, grader-error, 20", r.State(), rs["task2/GetDNN"].Status, taskScore(r, "task1"))
				}
				wantNote(t, r, "the grading process failed while grading task2")
			},
		},
		{
			// 2. Copying the kit failing was no grade at all (an error,
			// no report) and was skipped by no one; now it is recorded
			// and graded again.
			name: "kit-copy-failure-is-grader-error-and-regraded",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, ZipName("3180100031")), map[string][]byte{"task1_3180100031.go": fullTask("task1")})
			},
			opt: func(t *testing.T, o *Options) { o.Kit = filepath.Join(t.TempDir(), "no-such-kit") },
			check: func(t *testing.T, g *graded) {
				r := g.rep("3180100031")
				if res := rows(r)["task1/Relu"]; r.State() != StatusGraderError || res.Status != GraderError {
					t.Errorf("status %s, task1/Relu %s %q; want grader-error", r.State(), res.Status, res.Reason)
				}
				wantNote(t, r, "copying the kit")
				g2 := g.again(func(o *Options) { o.Kit = fakeKit(t) })
				if r := g2.rep("3180100031"); r.State() != StatusGraded || r.Score != 20 {
					t.Errorf("rerun: %s %v, want graded 20", r.State(), r.Score)
				}
			},
		},
		{
			// 2. A build that fails because of the toolchain (build
			// cache, disk) was the student's build error.
			name: "toolchain-failure-is-grader-error",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, ZipName("3180100041")), map[string][]byte{"task1_3180100041.go": fullTask("task1", "//fake:buildfail", "//fake:toolchain-broken")})
				zipFiles(t, filepath.Join(dir, ZipName("3180100042")), map[string][]byte{"task1_3180100042.go": fullTask("task1", "//fake:buildfail")})
			},
			check: func(t *testing.T, g *graded) {
				if res := rows(g.rep("3180100041"))["task1/Relu"]; res.Status != GraderError || !strings.Contains(res.Reason, "instructor's own code does not build here either") {
					t.Errorf("toolchain broken: task1/Relu %s %q, want grader-error", res.Status, res.Reason)
				}
				if res := rows(g.rep("3180100042"))["task1/Relu"]; res.Status != checker.BuildFailed || g.rep("3180100042").State() != StatusGraded {
					t.Errorf("the student's own build error: task1/Relu %s, want %s", res.Status, checker.BuildFailed)
				}
			},
		},
		{
			// 7. Scores out of the rubric's range were believed.
			name: "forged-scores-clamped",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, ZipName("3180100051")), map[string][]byte{"task1_3180100051.go": fullTask("task1", "//fake:forge")})
				zipFiles(t, filepath.Join(dir, ZipName("3180100052")), map[string][]byte{"task1_3180100052.go": fullTask("task1")})
			},
			check: func(t *testing.T, g *graded) {
				r := g.rep("3180100051")
				rs := rows(r)
				if res := rs["task1/Relu"]; res.Score != 3 || res.Max != 3 {
					t.Errorf("task1/Relu %v / %v, want 3 / 3", res.Score, res.Max)
				}
				if res := rs["task1/Prelu"]; res.Score != 0 {
					t.Errorf("task1/Prelu %v, want 0", res.Score)
				}
				if res := rs["task1/Bonus"]; res.Score != 0 || res.Max != 0 {
					t.Errorf("task1/Bonus %v / %v, want 0 / 0", res.Score, res.Max)
				}
				if got := taskScore(r, "task1"); got != 18 || r.Score != 18 || r.Max != 100 {
					t.Errorf("task1 %v, total %v / %v; want 18, 18 / 100", got, r.Score, r.Max)
				}
				if !r.Clamped || g.csvRow("3180100051")["clamped"] != "yes" {
					t.Errorf("clamped %v, grades.csv %q: the clamp should be visible", r.Clamped, g.csvRow("3180100051")["clamped"])
				}
				wantFlag(t, r, "clamped", true)
				wantNote(t, r, "task1/Relu scored 99, counted 3")
				if !strings.Contains(string(read(t, g.out, "students/3180100051/report.txt")), "clamped") {
					t.Error("report.txt does not say the scores were clamped")
				}
				if r2 := g.rep("3180100052"); r2.Clamped || g.csvRow("3180100052")["clamped"] != "" {
					t.Error("an honest submission is flagged clamped")
				}
			},
		},
		{
			// 8. Empty submissions counted in the mean as zeros.
			name: "empty-submissions-not-in-mean",
			subs: func(t *testing.T, dir string) {
				os.MkdirAll(filepath.Join(dir, "3180100061"), 0o755)
				zipFiles(t, filepath.Join(dir, ZipName("3180100062")), nil)
				os.WriteFile(filepath.Join(dir, ZipName("3180100063")), nil, 0o644)
				zipFiles(t, filepath.Join(dir, ZipName("3180100064")), map[string][]byte{"task1_3180100064.go": fullTask("task1")})
			},
			check: func(t *testing.T, g *graded) {
				for _, id := range []string{"3180100061", "3180100062", "3180100063"} {
					if r := g.rep(id); r.State() != StatusEmpty || r.Score != 0 {
						t.Errorf("%s: %s %v, want empty 0", id, r.State(), r.Score)
					}
				}
				sum := string(read(t, g.out, SummaryFile))
				if !strings.Contains(sum, "1 graded, mean 20.0") || !strings.Contains(sum, "3 empty submission") || strings.Count(sum, "empty submission") < 4 {
					t.Errorf("summary.txt:\n%s", sum)
				}
				if !strings.Contains(g.again(nil).log, "grading 0 of 4") {
					t.Error("an empty submission is a final state: the rerun should skip it")
				}
			},
		},
		{
			// 8. A single zip as SUBMISSIONS was an error.
			name: "single-zip-as-submissions",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, ZipName("3180100071")), map[string][]byte{"task1_3180100071.go": fullTask("task1")})
			},
			target: func(dir string) string { return filepath.Join(dir, ZipName("3180100071")) },
			check: func(t *testing.T, g *graded) {
				if g.err != nil || len(g.reps) != 1 || g.rep("3180100071").Score != 20 {
					t.Errorf("err %v, %d reports", g.err, len(g.reps))
				}
			},
		},
		{
			// 5. A file inside a zip naming another student made the
			// zip that student's (majority of the file names) and could
			// overwrite their results.
			name: "file-naming-another-id",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, ZipName("3180100222")), map[string][]byte{"task2_3180100222.go": fullTask("task2")})
				zipFiles(t, filepath.Join(dir, ZipName("3180100111")), map[string][]byte{"task1_3180100222.go": fullTask("task1")})
				zipFiles(t, filepath.Join(dir, "homework.zip"), map[string][]byte{
					"task1_3180100222.go": fullTask("task1"), "task3_3180100222.go": fullTask("task3"), "task4_3180100222.go": fullTask("task4")})
			},
			check: func(t *testing.T, g *graded) {
				r := g.rep("3180100111")
				if taskScore(r, "task1") != 20 {
					t.Errorf("3180100111's task1 (named for 3180100222): %v, want 20 (it is in 3180100111's zip)", taskScore(r, "task1"))
				}
				wantFlag(t, r, "other-id", true)
				wantNote(t, r, "task1_3180100222.go names the student ID 3180100222")
				o := g.rep("3180100222")
				if o.Score != 10 || taskScore(o, "task1") != 0 || o.Source != ZipName("3180100222") {
					t.Errorf("3180100222: %v (task1 %v) from %s; want 10 from its own zip only", o.Score, taskScore(o, "task1"), o.Source)
				}
				wantFlag(t, o, "duplicate", false)
				h := g.rep("homework.zip")
				if !slices.Contains(h.Flags, "no-id") || !slices.Contains(h.Flags, "other-id") || h.Score != 50 {
					t.Errorf("homework.zip: %v %v, want graded under its own key (50), flagged no-id and other-id", h.Score, h.Flags)
				}
			},
		},
		{
			// 5. Two submissions without an ID, or whose keys clean up
			// to the same folder name, were merged (one ignored, or one
			// overwriting the other).
			name: "keys-stay-apart",
			subs: func(t *testing.T, dir string) {
				writeFiles(t, filepath.Join(dir, "Zhang San"), map[string][]byte{"task1.go": fullTask("task1")})
				writeFiles(t, filepath.Join(dir, "Zhang_San"), map[string][]byte{"task2.go": fullTask("task2")})
				writeFiles(t, filepath.Join(dir, "homework"), map[string][]byte{"task1.go": fullTask("task1")})
				zipFiles(t, filepath.Join(dir, "homework.zip"), map[string][]byte{"task4.go": fullTask("task4")})
			},
			check: func(t *testing.T, g *graded) {
				want := map[string]float64{"Zhang San": 20, "Zhang_San": 10, "homework": 20, "homework.zip": 10}
				folders := map[string]bool{}
				for id, score := range want {
					r := g.rep(id)
					if r.Score != score {
						t.Errorf("%s: %v, want %v", id, r.Score, score)
					}
					wantFlag(t, r, "no-id", true)
					folders[safeID(id)] = true
					got, err := readReport(filepath.Join(g.out, StudentsDir, safeID(id), ReportFile))
					if err != nil || got.ID != id {
						t.Errorf("%s: students/%s holds %v (%v)", id, safeID(id), got, err)
					}
				}
				if len(folders) != len(want) {
					t.Errorf("%d result folders for %d submissions: %v", len(folders), len(want), folders)
				}
			},
		},
		{
			// Found on the way: a results folder inside the submissions
			// folder (check grade . -out results) was graded as a
			// submission without an ID.
			name: "results-folder-inside-submissions",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, ZipName("3180100091")), map[string][]byte{"task1_3180100091.go": fullTask("task1")})
			},
			opt: func(t *testing.T, o *Options) { o.Out = filepath.Join(filepath.Dir(o.Out), "submissions", "results") },
			check: func(t *testing.T, g *graded) {
				if len(g.reps) != 1 || !strings.Contains(g.log, "results: the results folder, skipped") {
					t.Errorf("%d reports, want 1 (the results folder is no submission)", len(g.reps))
				}
				if g2 := g.again(nil); !strings.Contains(g2.log, "grading 0 of 1") {
					t.Errorf("the rerun found more to grade:\n%s", g2.log)
				}
			},
		},
		{
			// A key made of a zip's or folder's name reached grades.csv
			// as is: a cell starting with = + - @ is a formula in a
			// spreadsheet (CSV injection). Such cells are quoted with '.
			name: "csv-formula-injection",
			subs: func(t *testing.T, dir string) {
				writeFiles(t, filepath.Join(dir, `=HYPERLINK("evil.example","x")`), map[string][]byte{"task1.go": fullTask("task1")})
				zipFiles(t, filepath.Join(dir, "@SUM(1+1).zip"), map[string][]byte{"task1.go": fullTask("task1")})
				writeFiles(t, filepath.Join(dir, "+1-1"), map[string][]byte{"task1.go": fullTask("task1")})
				writeFiles(t, filepath.Join(dir, "-cmd|' -C calc'!A0"), map[string][]byte{"task1.go": fullTask("task1")})
			},
			check: func(t *testing.T, g *graded) {
				rows := g.csv()
				if len(rows) != 4 {
					t.Fatalf("%d rows", len(rows))
				}
				for _, r := range rows {
					for col, cell := range r {
						if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
							t.Errorf("cell %s = %q starts a formula", col, cell)
						}
					}
					if !strings.HasPrefix(r["id"], "'") || g.reps[r["id"][1:]] == nil {
						t.Errorf("id cell %q: want the key after a '", r["id"])
					}
				}
			},
		},
		{
			// 6. Task 3 as the kit's two files lost TrainCNN.
			name: "task3-as-two-files",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, ZipName("3180100081")), map[string][]byte{
					"lenet_3180100081.go": goSrc("task3", []string{"GetLeNet"}),
					"train_3180100081.go": goSrc("task3", []string{"TrainCNN"}),
				})
				writeFiles(t, filepath.Join(dir, "3180100082"), map[string][]byte{
					"lenet.go": goSrc("task3", []string{"GetLeNet"}),
					"train.go": goSrc("task3", []string{"TrainCNN"}),
				})
				// One file and a stale copy of part of it: a duplicate,
				// not a second half.
				zipFiles(t, filepath.Join(dir, ZipName("3180100083")), map[string][]byte{
					"task3_3180100083.go": fullTask("task3"),
					"train.go":            goSrc("task3", []string{"TrainCNN"}),
				})
			},
			check: func(t *testing.T, g *graded) {
				for _, id := range []string{"3180100081", "3180100082", "3180100083"} {
					r := g.rep(id)
					if got := taskScore(r, "task3"); got != 20 {
						t.Errorf("%s: task3 %v, want 20 (GetLeNet and TrainCNN)\n%s", id, got, strings.Join(r.Notes, "\n"))
					}
					wantFlag(t, r, "misnamed", false)
				}
				wantFlag(t, g.rep("3180100081"), "duplicate", false)
				wantNote(t, g.rep("3180100081"), "task3 is graded from 2 files of one package")
				wantNote(t, g.rep("3180100083"), "ignored train.go (it declares TrainCNN, as task3_3180100083.go does")
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(envFake, "1")
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			base := t.TempDir()
			subs := filepath.Join(base, "submissions")
			os.MkdirAll(subs, 0o755)
			c.subs(t, subs)
			opt := Options{Kit: fakeKit(t), Exe: exe, Out: filepath.Join(base, "results"), Jobs: 1, Seed: 1}
			if c.opt != nil {
				c.opt(t, &opt)
			}
			target := subs
			if c.target != nil {
				target = c.target(subs)
			}
			c.check(t, runGrade(t, subs, target, opt))
		})
	}
}

// TestDiscoverAttacks: who a submission belongs to, and what it holds,
// from the names alone.
func TestDiscoverAttacks(t *testing.T) {
	for _, c := range []struct {
		name  string
		subs  func(t *testing.T, dir string)
		check func(t *testing.T, subs map[string]*Submission)
	}{
		{
			name: "file-with-other-id-never-sets-the-id",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, "3180100111.zip"), map[string][]byte{"task1_3180100222.go": fullTask("task1")})
			},
			check: func(t *testing.T, subs map[string]*Submission) {
				s := subs["3180100111"]
				if s == nil || len(subs) != 1 || !s.Has("task1") || !slices.Contains(s.Flags, "other-id") {
					t.Errorf("subs %v", keys(subs))
				}
			},
		},
		{
			name: "no-id-zip-not-merged-into-the-id-its-files-name",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, "hw.zip"), map[string][]byte{"task1_3180100222.go": fullTask("task1")})
				zipFiles(t, filepath.Join(dir, ZipName("3180100222")), map[string][]byte{"task2_3180100222.go": fullTask("task2")})
			},
			check: func(t *testing.T, subs map[string]*Submission) {
				if len(subs) != 2 || subs["hw.zip"] == nil || !subs["hw.zip"].NoID || subs["3180100222"].Has("task1") {
					t.Errorf("subs %v", keys(subs))
				}
			},
		},
		{
			name: "safe-folders-distinct",
			subs: func(t *testing.T, dir string) {},
			check: func(t *testing.T, _ map[string]*Submission) {
				seen := map[string]string{}
				for _, id := range []string{"Zhang San", "Zhang_San", "zhang_san", "Ab", "ab", "a/b", "a_b", "..x", "3180100111"} {
					f := safeID(id)
					if other, dup := seen[f]; dup {
						t.Errorf("%q and %q share the folder %q", id, other, f)
					}
					seen[f] = id
					if f == "" || strings.ContainsAny(f, "/\\ ") || strings.HasPrefix(f, ".") {
						t.Errorf("safeID(%q) = %q", id, f)
					}
				}
				if safeID("3180100111") != "3180100111" {
					t.Errorf("a student ID is its own folder: %q", safeID("3180100111"))
				}
			},
		},
		{
			name: "task3-kit-files-with-suffix",
			subs: func(t *testing.T, dir string) {
				zipFiles(t, filepath.Join(dir, ZipName("3180100081")), map[string][]byte{
					"lenet_3180100081.go": goSrc("task3", []string{"GetLeNet"}),
					"train_3180100081.go": goSrc("task3", []string{"TrainCNN"}),
				})
			},
			check: func(t *testing.T, subs map[string]*Submission) {
				s := subs["3180100081"]
				if s == nil || len(s.Files["task3"]) != 2 || s.Files["task3"][1].Name != "train_3180100081.go" {
					t.Errorf("task3 files %v", s.Files["task3"])
				}
			},
		},
		{
			// Both layouts in one zip, disagreeing: the answers in the
			// submission's own ID_answers/ are graded, whatever other
			// folders sort first, and the other copies are reported.
			name: "answers-in-two-places-own-answers-folder-wins",
			subs: func(t *testing.T, dir string) {
				const id = "3180100091"
				writeZip(t, filepath.Join(dir, ZipName(id)), []zipEntry{
					{name: "conceptual_" + id + ".txt", data: []byte("p3.parameters = 1\n")},
					{name: "0/conceptual_" + id + ".txt", data: []byte("p3.parameters = 2\n")},
					{name: "3180100000_answers/conceptual_" + id + ".txt", data: []byte("p3.parameters = 3\n")},
					{name: AnswersFolder(id) + "/conceptual_" + id + ".txt", data: []byte("p3.parameters = 4\n")},
					{name: "backup/task1_" + id + ".go", data: fullTask("task1", "// backup")},
					{name: "task1_" + id + ".go", data: fullTask("task1")},
				})
			},
			check: func(t *testing.T, subs map[string]*Submission) {
				const id = "3180100091"
				s := subs[id]
				if s == nil {
					t.Fatalf("subs %v", keys(subs))
				}
				if f := s.Files[PartAnswers]; len(f) != 1 || f[0].Name != AnswersFolder(id)+"/conceptual_"+id+".txt" {
					t.Errorf("answers graded from %v, want the ID_answers/ copy", f)
				}
				if f := s.Files["task1"]; len(f) != 1 || f[0].Name != "task1_"+id+".go" {
					t.Errorf("task1 graded from %v, want the top-level copy", f)
				}
				notes := strings.Join(s.Notes, "\n")
				for _, n := range []string{"ignored conceptual_" + id + ".txt", "ignored 0/conceptual_" + id + ".txt", "ignored 3180100000_answers/conceptual_" + id + ".txt", "ignored backup/task1_" + id + ".go"} {
					if !strings.Contains(notes, n) {
						t.Errorf("no note %q in\n%s", n, notes)
					}
				}
				if !slices.Contains(s.Flags, "duplicate") {
					t.Errorf("flags %v", s.Flags)
				}
			},
		},
		{
			// An answers folder named for another student (copied from
			// a friend's zip) is graded here and flagged other-id.
			name: "answers-folder-of-another-id",
			subs: func(t *testing.T, dir string) {
				files := map[string][]byte{}
				for n, b := range conceptualFiles("3180100092") {
					files["3180100222_answers/"+n] = b
				}
				zipFiles(t, filepath.Join(dir, ZipName("3180100092")), files)
			},
			check: func(t *testing.T, subs map[string]*Submission) {
				s := subs["3180100092"]
				if s == nil || len(subs) != 1 || !s.Has(PartAnswers) || !slices.Contains(s.Flags, "other-id") {
					t.Fatalf("subs %v, flags %v", keys(subs), s.Flags)
				}
				if !strings.Contains(strings.Join(s.Notes, "\n"), "3180100222_answers") {
					t.Errorf("notes do not name the folder:\n%s", strings.Join(s.Notes, "\n"))
				}
			},
		},
		{
			// Traversal through ID_answers/, a nested zip, a second entry
			// of the same name, and a huge or malformed PDF (never read).
			name: "hostile-entries-in-answers-folder",
			subs: func(t *testing.T, dir string) {
				const id = "3180100093"
				a := AnswersFolder(id) + "/"
				writeZip(t, filepath.Join(dir, ZipName(id)), []zipEntry{
					{name: a + "../../conceptual_" + id + ".go", data: goSrc("answers", nil)},
					{name: a + `..\..\evil.txt`, data: []byte("p3.parameters = 9\n")},
					{name: a + "inner.zip", data: []byte("PK\x03\x04 nested")},
					{name: a + "conceptual_" + id + ".txt", data: []byte("p3.parameters = 1\n")},
					{name: a + "conceptual_" + id + ".txt", data: []byte("p3.parameters = 2\n")},
					{name: "conceptual_" + id + ".pdf", data: []byte("GIF89a not a pdf")},
					{raw: &zip.FileHeader{Name: "scan.pdf", Method: zip.Store, UncompressedSize64: 1 << 40}, data: []byte("%PDF")},
				})
			},
			check: func(t *testing.T, subs map[string]*Submission) {
				s := subs["3180100093"]
				if s == nil {
					t.Fatalf("subs %v", keys(subs))
				}
				notes := strings.Join(s.Notes, "\n")
				for _, n := range []string{"path traversal", "ignored 3180100093_answers/inner.zip", "a second entry named 3180100093_answers/conceptual_3180100093.txt"} {
					if !strings.Contains(notes, n) {
						t.Errorf("no note %q in\n%s", n, notes)
					}
				}
				if s.Has(PartP1) {
					t.Errorf("a traversal entry was graded: %v", s.Files[PartP1])
				}
				if f := s.Files[PartAnswers]; len(f) != 1 || string(f[0].Data) != "p3.parameters = 1\n" {
					t.Errorf("answers %q, want the first entry only", f)
				}
				if s.PDF != "conceptual_3180100093.pdf" {
					t.Errorf("PDF %q", s.PDF)
				}
			},
		},
		{
			name: "empty-folder-and-zips",
			subs: func(t *testing.T, dir string) {
				os.MkdirAll(filepath.Join(dir, "3180100061", ".git"), 0o755)
				zipFiles(t, filepath.Join(dir, ZipName("3180100062")), nil)
				os.WriteFile(filepath.Join(dir, ZipName("3180100063")), nil, 0o644)
				os.WriteFile(filepath.Join(dir, ZipName("3180100064")), []byte("not a zip"), 0o644)
			},
			check: func(t *testing.T, subs map[string]*Submission) {
				for id, empty := range map[string]bool{"3180100061": true, "3180100062": true, "3180100063": true, "3180100064": false} {
					if s := subs[id]; s == nil || s.Empty != empty {
						t.Errorf("%s: %+v, want empty %v", id, s, empty)
					}
				}
				if s := subs["3180100064"]; s != nil && !slices.Contains(s.Flags, "rejected") {
					t.Errorf("a broken zip is rejected, not empty: %v", s.Flags)
				}
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.subs(t, dir)
			list, _, err := Discover(dir, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			subs := map[string]*Submission{}
			for _, s := range list {
				subs[s.ID] = s
			}
			c.check(t, subs)
		})
	}
}

func keys(m map[string]*Submission) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// deadPID is the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// TestResultsLock: two runs never grade into one results folder.
func TestResultsLock(t *testing.T) {
	host, _ := os.Hostname()
	for _, c := range []struct {
		name string
		run  func(t *testing.T, out, subs string, opt Options)
	}{
		{
			name: "second-run-refuses-naming-the-holder",
			run: func(t *testing.T, out, subs string, opt Options) {
				l, _, err := LockResults(out)
				if err != nil {
					t.Fatal(err)
				}
				defer l.Release()
				_, err = Grade(context.Background(), subs, opt)
				if err == nil {
					t.Fatal("a second run on a locked results folder went ahead")
				}
				for _, want := range []string{"in use by another check grade", "pid " + strconv.Itoa(os.Getpid()), "host " + host, "started " + time.Now().Format("2006-01-02")} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("the refusal should say %q: %v", want, err)
					}
				}
				if exists(filepath.Join(out, StudentsDir)) {
					t.Error("the refused run wrote results")
				}
				if _, err := Merge(out, []string{out}); err == nil || !strings.Contains(err.Error(), "in use") {
					t.Errorf("merge into a locked folder: %v", err)
				}
			},
		},
		{
			name: "stale-lock-of-dead-pid-taken-over",
			run: func(t *testing.T, out, subs string, opt Options) {
				pid := deadPID(t)
				os.MkdirAll(out, 0o755)
				b, _ := json.Marshal(lockInfo{PID: pid, Host: host, Started: time.Now().Add(-time.Hour)})
				os.WriteFile(filepath.Join(out, LockFile), b, 0o644)
				var log strings.Builder
				opt.Progress = &log
				if _, err := Grade(context.Background(), subs, opt); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(log.String(), "took over a stale lock") || !strings.Contains(log.String(), fmt.Sprintf("pid %d", pid)) {
					t.Errorf("no note of the stale lock of pid %d:\n%s", pid, log.String())
				}
			},
		},
		{
			name: "released-after-the-run",
			run: func(t *testing.T, out, subs string, opt Options) {
				if _, err := Grade(context.Background(), subs, opt); err != nil {
					t.Fatal(err)
				}
				l, note, err := LockResults(out)
				if err != nil || note != "" {
					t.Fatalf("after the run: %v, note %q", err, note)
				}
				l.Release()
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(envFake, "1")
			exe, _ := os.Executable()
			base := t.TempDir()
			subs := filepath.Join(base, "submissions")
			os.MkdirAll(subs, 0o755)
			zipFiles(t, filepath.Join(subs, ZipName("3180100091")), map[string][]byte{"task1_3180100091.go": fullTask("task1")})
			out := filepath.Join(base, "results")
			c.run(t, out, subs, Options{Kit: fakeKit(t), Exe: exe, Out: out, Jobs: 1, Seed: 1})
		})
	}
}

// markedProcs are the processes (pids) whose environment holds
// envMarker=marker: everything a fake run started.
func markedProcs(marker string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(b, []byte(envMarker+"="+marker+"\x00")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestGradeSignals: SIGTERM and SIGHUP stop a run as SIGINT does: the
// graders and what they started are killed, what was graded is kept,
// the summary of what is done is written, and the lock is released.
func TestGradeSignals(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("needs /proc to find leftover processes")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT} {
		name := map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT"}[sig]
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			subs, out, ready := filepath.Join(base, "submissions"), filepath.Join(base, "results"), filepath.Join(base, "ready")
			os.MkdirAll(subs, 0o755)
			os.MkdirAll(ready, 0o755)
			zipFiles(t, filepath.Join(subs, ZipName("3180100001")), map[string][]byte{"task1_3180100001.go": fullTask("task1")})
			zipFiles(t, filepath.Join(subs, ZipName("3180100002")), map[string][]byte{
				"task1_3180100002.go": fullTask("task1"),
				"task2_3180100002.go": fullTask("task2", "//fake:hang"),
			})
			marker := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
			t.Cleanup(func() {
				for _, pid := range markedProcs(marker) {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			cmd := exec.Command(os.Args[0], "grade", subs, out, fakeKit(t))
			cmd.Env = append(os.Environ(), envFake+"=1", envReady+"="+ready, envMarker+"="+marker)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for !exists(filepath.Join(ready, "hang")) {
				time.Sleep(20 * time.Millisecond)
			}
			// While it runs, the folder is its own. (Were it not, this
			// second run would time every student out at once.)
			t.Setenv(envFake, "1")
			exe, _ := os.Executable()
			expired := make(chan struct{})
			close(expired)
			second := Options{Kit: fakeKit(t), Exe: exe, Out: out, expire: func(string) <-chan struct{} { return expired }}
			if _, err := Grade(context.Background(), subs, second); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", cmd.Process.Pid)) {
				t.Errorf("a second run during the first: %v, want a refusal naming pid %d", err, cmd.Process.Pid)
			}
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			t.Logf("stderr:\n%s\nstdout:\n%s", stderr.String(), stdout.String())
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("exit: %v, want status 1 (stopped, summary written)", err)
			}
			if left := markedProcs(marker); len(left) > 0 {
				t.Errorf("processes left running after %s: %v", name, left)
			}
			if !exists(filepath.Join(out, SummaryFile)) {
				t.Fatalf("no summary.txt after %s", name)
			}
			sum := string(read(t, out, SummaryFile))
			if !strings.Contains(sum, "20 / 100") || !strings.Contains(sum, "1 not finished") {
				t.Errorf("summary.txt should hold the graded student and the one not finished:\n%s", sum)
			}
			r, err := readReport(filepath.Join(out, StudentsDir, "3180100002", ReportFile))
			if err != nil {
				t.Fatal(err)
			}
			if r.State() != StatusInterrupted || taskScore(r, "task1") != 20 || rows(r)["task2/GetDNN"].Status != NotGraded {
				t.Errorf("the student being graded: %s, task1 %v, task2/GetDNN %s; want interrupted, 20 kept, not graded", r.State(), taskScore(r, "task1"), rows(r)["task2/GetDNN"].Status)
			}
			if !strings.Contains(stderr.String(), "interrupted by "+name) {
				t.Errorf("stderr does not name %s", name)
			}
			l, note, err := LockResults(out)
			if err != nil || note != "" {
				t.Errorf("the lock after %s: %v, note %q", name, err, note)
			} else {
				l.Release()
			}
		})
	}
}
