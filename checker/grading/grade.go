package grading

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"nnkit/checker"
	conceptual "nnkit/conceptual/grade"
)

// Options configure Grade.
type Options struct {
	Kit            string        // the instructor's kit (module root), with the live solutions
	Exe            string        // the check binary, run as `check grade-one` per student
	Out            string        // the results folder
	Jobs           int           // students graded at once; 0: one per core
	Seed           uint64        // input seed of the run; 0: a fresh random one
	Force          bool          // grade again students already graded
	Shard, Shards  int           // grade the students with hash(ID) % Shards == Shard; Shards 0: all
	ItemTimeout    time.Duration // per rubric item; 0: checker.DefaultTimeout
	StudentTimeout time.Duration // per student, build included; 0: 15 minutes
	MemLimit       int64         // address space per process; 0: 4 GiB
	Limits         Limits        // zero: DefaultLimits
	Progress       io.Writer     // one line per student; nil: none

	// expire, in tests, gives a student a channel whose closing acts as
	// the student's time limit running out.
	expire func(id string) <-chan struct{}
	// hidden are the folders no student process may see: the results,
	// the submissions and the instructor's kit (Grade fills it in).
	hidden []string
}

// A student's grading ends in one of these (StudentReport.Status). Only
// graded and empty are final: a rerun grades the others again.
const (
	StatusGraded      = "graded"       // every part graded (a part that ran out of time scores 0: flag timeout)
	StatusEmpty       = "empty"        // an empty folder or zip: nothing to grade, not in the mean
	StatusGraderError = "grader-error" // the grader failed on some part (kit copy, toolchain, disk, checker)
	StatusInterrupted = "interrupted"  // the run was stopped (a signal) before the student was done
)

// Row statuses the grader adds to the checker's: they are not grades (the
// CSV shows no number for them) and a rerun grades the student again.
const (
	GraderError checker.Status = "grader-error"
	NotGraded   checker.Status = "not graded"
)

// StudentReport is one student's grade, as RESULTS/students/ID/report.json.
type StudentReport struct {
	ID     string  `json:"id"`
	Source string  `json:"source"`
	Status string  `json:"status"`
	Seed   uint64  `json:"seed"`
	Score  float64 `json:"score"`
	Max    float64 `json:"max_score"` // every rubric item, the pending ones included
	// Pending are the points of items an instructor has yet to grade
	// (checker.HandGraded): in Max, never in Score.
	Pending float64          `json:"pending,omitempty"`
	Results []checker.Result `json:"results"`
	Notes   []string         `json:"notes,omitempty"`
	Flags   []string         `json:"flags,omitempty"`
	// TimedOut is the part (task1 ... task4, conceptual) being graded
	// when the student's time limit ran out.
	TimedOut string `json:"timed_out,omitempty"`
	// Clamped says the grader had to bring a score back into the
	// rubric's range (the notes say which).
	Clamped bool    `json:"clamped,omitempty"`
	Seconds float64 `json:"seconds"`
	// Containment is what contained the student's code while it ran
	// (see nnkit/checker/sandbox), in words.
	Containment string `json:"containment,omitempty"`
}

// State is the report's Status; reports written before there was one
// are graded, or grader-error when so flagged.
func (r *StudentReport) State() string {
	switch {
	case r.Status != "":
		return r.Status
	case slices.Contains(r.Flags, "grader-error"):
		return StatusGraderError
	}
	return StatusGraded
}

// Final says the report is a finished grade (graded, or an empty
// submission) that a rerun keeps.
func (r *StudentReport) Final() bool {
	st := r.State()
	return st == StatusGraded || st == StatusEmpty
}

func (r *StudentReport) flag(f string) {
	if !slices.Contains(r.Flags, f) {
		r.Flags = append(r.Flags, f)
	}
}

// Layout of the results folder.
const (
	StudentsDir = "students"
	ReportFile  = "report.json"
	GradesCSV   = "grades.csv"
	SummaryFile = "summary.txt"
	workDir     = ".work"
)

// ShardOf is the shard (of n) a student belongs to: FNV-1a of the ID,
// so a student stays in the same shard when others are added.
func ShardOf(id string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// Grade grades every submission at dir (see Discover) and writes the
// results into opt.Out: students/ID/{report.json,results.json,report.txt},
// grades.csv and summary.txt. It holds the results folder's lock (see
// LockResults) for the whole run. Students whose report is final are
// skipped unless opt.Force; those left at grader-error or interrupted
// are graded again.
//
// When ctx is cancelled (StopOnSignals), the graders and everything they
// started are killed, what each student had graded is stored (flagged
// interrupted, graded again on the next run), the summary of what is
// done is written, and the error says so. It returns the reports in the
// results folder, new and old.
func Grade(ctx context.Context, dir string, opt Options) ([]*StudentReport, error) {
	if opt.Jobs <= 0 {
		opt.Jobs = runtime.NumCPU()
	}
	if opt.StudentTimeout == 0 {
		opt.StudentTimeout = 15 * time.Minute
	}
	if opt.ItemTimeout == 0 {
		opt.ItemTimeout = checker.DefaultTimeout
	}
	if opt.MemLimit == 0 {
		opt.MemLimit = 4 << 30
	}
	if opt.Limits == (Limits{}) {
		opt.Limits = DefaultLimits
	}
	if opt.Seed == 0 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		opt.Seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	progress := opt.Progress
	if progress == nil {
		progress = io.Discard
	}
	lock, note, err := LockResults(opt.Out)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if note != "" {
		fmt.Fprintf(progress, "note: %s\n", note)
	}
	for _, p := range []string{opt.Out, dir, opt.Kit} {
		if abs, err := filepath.Abs(p); err == nil && p != "" {
			opt.hidden = append(opt.hidden, abs)
		}
	}
	subs, warnings, err := discover(dir, opt.Limits, opt.Out)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		fmt.Fprintf(progress, "warning: %s\n", w)
	}
	var todo []*Submission
	for _, s := range subs {
		if opt.Shards > 0 && ShardOf(s.ID, opt.Shards) != opt.Shard {
			continue
		}
		if !opt.Force {
			old, err := readReport(filepath.Join(opt.Out, StudentsDir, safeID(s.ID), ReportFile))
			switch {
			case err == nil && old.Final():
				fmt.Fprintf(progress, "%s: already graded (-force grades again)\n", s.ID)
				continue
			case err == nil:
				fmt.Fprintf(progress, "%s: graded again: the last run left it %s\n", s.ID, old.State())
			case !errors.Is(err, fs.ErrNotExist):
				fmt.Fprintf(progress, "%s: graded again: %v\n", s.ID, err)
			}
		}
		todo = append(todo, s)
	}
	if err := os.MkdirAll(filepath.Join(opt.Out, StudentsDir), 0o755); err != nil {
		return nil, err
	}
	shard := ""
	if opt.Shards > 0 {
		shard = fmt.Sprintf(", shard %d/%d", opt.Shard, opt.Shards)
	}
	fmt.Fprintf(progress, "grading %d of %d submissions with %d jobs, input seed %d%s\n", len(todo), len(subs), opt.Jobs, opt.Seed, shard)
	start := time.Now()
	jobs := make(chan *Submission)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done, finished := 0, 0
	var firstErr error
	for w := range min(opt.Jobs, max(len(todo), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				rep, err := gradeStudent(ctx, s, w, opt)
				mu.Lock()
				done++
				if err == nil && rep.Final() {
					finished++
				}
				switch {
				case err != nil:
					firstErr = cmp.Or(firstErr, err)
					fmt.Fprintf(progress, "[%d/%d] %s: %v\n", done, len(todo), s.ID, err)
				case rep.State() == StatusGraded:
					fmt.Fprintf(progress, "[%d/%d] %s %s / %s%s in %.1fs%s\n", done, len(todo), s.ID,
						fmtPts(rep.Score), fmtPts(rep.Max-rep.Pending), pendingText(rep), rep.Seconds, flagText(rep.Flags))
				default:
					fmt.Fprintf(progress, "[%d/%d] %s: %s%s\n", done, len(todo), s.ID, stateText(rep), flagText(rep.Flags))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, s := range todo {
		if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	os.RemoveAll(filepath.Join(opt.Out, workDir))
	reps, err := Collect(opt.Out)
	if err != nil {
		return nil, errors.Join(firstErr, err)
	}
	serr := WriteSummary(opt.Out, reps)
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		fmt.Fprintf(progress, "%v after %v: %d of %d submissions finished; the summary lists what is graded\n", cause, time.Since(start).Round(time.Second), finished, len(todo))
		return reps, errors.Join(fmt.Errorf("grading stopped (%v): what was graded is stored; run the same command again to grade the rest", cause), firstErr, serr)
	}
	fmt.Fprintf(progress, "graded %d submissions in %v\n", len(todo), time.Since(start).Round(time.Second))
	return reps, errors.Join(firstErr, serr)
}

// pendingText says how many points are left to grade by hand.
func pendingText(r *StudentReport) string {
	if r.Pending == 0 {
		return ""
	}
	return " (+" + fmtPts(r.Pending) + " pending, graded by hand)"
}

func flagText(flags []string) string {
	if len(flags) == 0 {
		return ""
	}
	return " [" + strings.Join(flags, ", ") + "]"
}

// stateText says what a report that is not a grade is.
func stateText(r *StudentReport) string {
	switch r.State() {
	case StatusEmpty:
		return "empty submission"
	case StatusGraderError:
		return "grader error (graded again on the next run)"
	case StatusInterrupted:
		return "not finished (graded again on the next run)"
	}
	return r.State()
}

func fmtPts(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// safeID is the folder, under students/, of a submission's ID or key: the
// ID itself when it is made of lower-case letters, digits, '.', '-' and
// '_' (every student ID is), else the key with every other character
// replaced and a short hash of the whole key added, so that two keys
// never share a folder (Zhang San and Zhang_San; Ab and ab on a
// case-insensitive disk).
func safeID(id string) string {
	clean := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, id)
	if clean == id && id != "" && !strings.HasPrefix(id, ".") && len(id) <= 100 {
		return id
	}
	if len(clean) > 100 {
		clean = clean[:100]
	}
	sum := sha256.Sum256([]byte(id))
	return fmt.Sprintf("%s-%x", strings.TrimLeft(clean, "."), sum[:4])
}

// gap says what a row the child did not grade gets: its status and
// reason, by part.
type gap func(part string) (checker.Status, string)

// errStudentTimeout is the cause of a student's context cancelled by
// the student's time limit.
var errStudentTimeout = errors.New("the student's time limit ran out")

// gradeStudent grades s in worker w's copy of the kit and writes its
// results. The error is only for results that could not be written.
func gradeStudent(ctx context.Context, s *Submission, w int, opt Options) (*StudentReport, error) {
	start := time.Now()
	rep := &StudentReport{ID: s.ID, Source: s.Source, Status: StatusGraded, Seed: opt.Seed,
		Notes: slices.Clone(s.Notes), Flags: slices.Clone(s.Flags)}
	var got oneResult
	fill := graderGap("the checker gave no result for this item")
	if s.Empty {
		rep.Status = StatusEmpty
	} else {
		got, fill = runStudent(ctx, s, w, opt, rep)
	}
	rep.Notes = append(rep.Notes, got.Notes...)
	rep.Containment = got.Containment
	if len(got.Notes) > 0 {
		rep.flag("review")
	}
	results, clamped := clampScores(complete(got.Results, s, fill))
	rep.Results = results
	if len(clamped) > 0 {
		rep.Clamped = true
		rep.flag("clamped")
		rep.Notes = append(rep.Notes, "the grader clamped scores to the rubric's range (a checker bug or a forged result: look at this submission): "+strings.Join(clamped, "; "))
	}
	for _, r := range rep.Results {
		rep.Max += r.Max
		if r.Status == checker.HandGraded {
			rep.Pending += r.Max // its score is the instructor's to give
		} else {
			rep.Score += r.Score
		}
		if r.Status == GraderError && rep.Status == StatusGraded {
			rep.Status = StatusGraderError
		}
	}
	for _, f := range ruleFlags(rep.Results) {
		rep.flag(f)
	}
	if rep.Status == StatusGraderError {
		rep.flag("grader-error")
	}
	rep.Seconds = time.Since(start).Seconds()
	if rep.Status == StatusInterrupted {
		// What was graded is kept, but never in place of a finished
		// grade (-force interrupted): that stays until a run finishes.
		if old, err := readReport(filepath.Join(opt.Out, StudentsDir, safeID(s.ID), ReportFile)); err == nil && old.Final() {
			return rep, nil
		}
	}
	return rep, writeStudent(opt.Out, rep)
}

// runStudent lays out s for worker w, runs `check grade-one` on it with
// the student's time limit, and returns what it graded, with what the
// rows it did not grade get. rep hears about failures, timeouts and
// interruptions.
func runStudent(ctx context.Context, s *Submission, w int, opt Options, rep *StudentReport) (oneResult, gap) {
	infra := func(what string, err error) (oneResult, gap) {
		msg := fmt.Sprintf("%s: %v", what, err)
		rep.Notes = append(rep.Notes, "grader error, nothing was graded: "+msg+" (not the student's doing: the next run grades them again)")
		return oneResult{}, graderGap(msg)
	}
	if len(s.Files) == 0 {
		return oneResult{Finished: true}, graderGap("the checker gave no result for this item") // every file rejected or ignored: nothing to run
	}
	work := filepath.Join(opt.Out, workDir)
	kit := filepath.Join(work, fmt.Sprintf("kit-%d", w))
	// The kit is restored before every student: whatever the previous
	// one's code wrote into it is gone, and the rubric is the
	// instructor's. The path stays the same, so the go command's cache
	// serves every build after the worker's first.
	if err := os.RemoveAll(kit); err != nil {
		return infra("removing the previous student's copy of the kit", err)
	}
	if err := CopyKit(opt.Kit, kit, opt.Out); err != nil {
		return infra("copying the kit", err)
	}
	sdir := filepath.Join(work, fmt.Sprintf("student-%d", w))
	if err := os.RemoveAll(sdir); err != nil {
		return infra("removing the previous student's files", err)
	}
	if err := layout(s, sdir); err != nil {
		return infra("placing the student's files", err)
	}
	outFile := filepath.Join(work, fmt.Sprintf("result-%d.json", w))
	if err := os.Remove(outFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return infra("removing the previous student's result", err)
	}
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(opt.StudentTimeout, func() { cancel(errStudentTimeout) })
	defer timer.Stop()
	if opt.expire != nil {
		if ch := opt.expire(s.ID); ch != nil {
			go func() {
				select {
				case <-ch:
					cancel(errStudentTimeout)
				case <-sctx.Done():
				}
			}()
		}
	}
	args := []string{"grade-one", "-kit", kit, "-timeout", opt.ItemTimeout.String(), "-mem", strconv.FormatInt(opt.MemLimit, 10), "-out", outFile}
	for _, h := range opt.hidden {
		args = append(args, "-hide", h)
	}
	cmd := exec.CommandContext(sctx, opt.Exe, append(args, sdir)...)
	cmd.Dir = kit
	cmd.Env = append(os.Environ(), checker.EnvSeed+"="+strconv.FormatUint(opt.Seed, 10))
	ownGroup(cmd)
	cmd.WaitDelay = 10 * time.Second
	var buf capBuffer
	buf.max = 32 << 10
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	killGroup(cmd) // whatever the child left behind goes with it
	var got oneResult
	b, rerr := os.ReadFile(outFile)
	if rerr == nil {
		rerr = json.Unmarshal(b, &got)
	}
	if rerr != nil {
		got = oneResult{}
	}
	done := strings.Join(got.Done, ", ")
	if done == "" {
		done = "nothing"
	}
	switch {
	case err == nil && rerr == nil && got.Finished:
		// Graded in full (a time limit or a signal that came after
		// does not matter).
	case ctx.Err() != nil:
		cause := context.Cause(ctx)
		rep.Status = StatusInterrupted
		rep.flag("interrupted")
		rep.Notes = append(rep.Notes, fmt.Sprintf("not finished: the run was stopped (%v) while grading %s; graded before: %s (kept); the next run grades this student again", cause, cmp.Or(got.Current, "the first part"), done))
		return got, func(string) (checker.Status, string) {
			return NotGraded, fmt.Sprintf("not graded: the run was stopped (%v) first", cause)
		}
	case context.Cause(sctx) == errStudentTimeout:
		part := got.Current
		rep.TimedOut = cmp.Or(part, "start")
		rep.flag("timeout")
		at := "while grading " + part
		if part == "" {
			at = "before grading started"
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("grading did not finish in %v: the time ran out %s; graded before: %s (kept); every item not graded scores 0", opt.StudentTimeout, at, done))
		return got, func(p string) (checker.Status, string) {
			if p == part {
				return checker.TimedOut, fmt.Sprintf("not graded: the student's time limit (%v) ran out while grading %s", opt.StudentTimeout, p)
			}
			return checker.TimedOut, fmt.Sprintf("not graded: the student's time limit (%v) ran out before %s was reached (it ran out in %s)", opt.StudentTimeout, p, cmp.Or(part, "the start"))
		}
	case err != nil:
		msg := fmt.Sprintf("the grading process failed while grading %s (%v): %s", cmp.Or(got.Current, "the first part"), err, lastLines(buf.String(), 5))
		rep.Notes = append(rep.Notes, "grader error: "+msg+"; graded before: "+done+" (kept); the next run grades this student again")
		return got, graderGap(msg)
	case rerr != nil:
		msg := "the grading process left no readable result: " + rerr.Error()
		rep.Notes = append(rep.Notes, "grader error: "+msg+"; the next run grades this student again")
		return got, graderGap(msg)
	default:
		msg := "the grading process ended before grading " + cmp.Or(got.Current, "anything")
		rep.Notes = append(rep.Notes, "grader error: "+msg+"; the next run grades this student again")
		return got, graderGap(msg)
	}
	return got, graderGap("the checker gave no result for this item")
}

var (
	ruleImportRE    = regexp.MustCompile(`^import "([^"]+)"`)
	ruleSignatureRE = regexp.MustCompile(`^changed signature at \S+: (\S+) has type`)
	ruleMissingRE   = regexp.MustCompile(`^missing: no function (\S+)`)
)

// ruleFlags are the grades.csv flags of the rows that broke a rule
// (checker.RuleBroken): rule:TASK:import=PATH, rule:TASK:signature=F,
// rule:TASK:missing=F, or rule:TASK for the others (the report's rows
// say what), one per distinct rule.
func ruleFlags(results []checker.Result) []string {
	var flags []string
	for _, r := range results {
		if r.Status != checker.RuleBroken {
			continue
		}
		f := "rule:" + r.Task
		for _, k := range []struct {
			re   *regexp.Regexp
			kind string
		}{{ruleImportRE, "import"}, {ruleSignatureRE, "signature"}, {ruleMissingRE, "missing"}} {
			if m := k.re.FindStringSubmatch(r.Reason); m != nil {
				f += ":" + k.kind + "=" + m[1]
				break
			}
		}
		if !slices.Contains(flags, f) {
			flags = append(flags, f)
		}
	}
	return flags
}

// graderGap fills the rows of a part the grader failed on.
func graderGap(why string) gap {
	return func(string) (checker.Status, string) {
		return GraderError, "grader error: " + why + " (not the student's doing: the next run grades it again)"
	}
}

// layout writes s's files into sdir as GradeOne reads them: taskN/ with
// the task's file as taskN.go (a task in several files: taskN.go,
// taskN_2.go, ...), conceptual/ with the answers under their kit names.
func layout(s *Submission, sdir string) error {
	for p, files := range s.Files {
		for i, f := range files {
			var dst string
			switch {
			case strings.HasPrefix(string(p), "task"):
				dst = filepath.Join(sdir, string(p), gradedName(p, i))
			default:
				dst = filepath.Join(sdir, conceptualPart, filepath.Base(KitPath(p)))
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(dst, f.Data, 0o644); err != nil {
				return err
			}
		}
	}
	if c := filepath.Join(sdir, conceptualPart); exists(c) && !exists(filepath.Join(c, "answers.txt")) {
		return os.WriteFile(filepath.Join(c, "answers.txt"), nil, 0o644)
	}
	return nil
}

// gradedName is the name the i-th file of task part p is graded under
// (the compiler's messages name it).
func gradedName(p Part, i int) string {
	if i == 0 {
		return string(p) + ".go"
	}
	return fmt.Sprintf("%s_%d.go", p, i+1)
}

// complete puts the rows in rubric order and adds one for every rubric
// item without a result: missing when the student did not submit the
// part, else what fill says (timed out, not graded, grader error). Rows
// that are not rubric items (the checker's notes) follow their task's.
func complete(results []checker.Result, s *Submission, fill gap) []checker.Result {
	var out []checker.Result
	for _, part := range append(slices.Clone(Tasks), conceptualPart) {
		var rest []checker.Result
		first := map[string]int{}
		for i, r := range results {
			if r.Task != part {
				continue
			}
			if _, dup := first[r.Item]; dup {
				rest = append(rest, r)
				continue
			}
			first[r.Item] = i
		}
		submitted := s.hasConceptual()
		missing := "missing: no conceptual answers were submitted (" + s.fileName(PartAnswers) + ", ...)"
		if part != conceptualPart {
			submitted = s.Has(Part(part))
			missing = "missing: " + s.fileName(Part(part)) + " was not submitted"
		}
		if s.Empty {
			missing = "empty submission"
		}
		inRubric := map[string]bool{}
		for _, it := range rubric(part) {
			inRubric[it.item] = true
			if i, ok := first[it.item]; ok {
				out = append(out, results[i])
				continue
			}
			st, reason := checker.NotDone, missing
			if submitted {
				st, reason = fill(part)
			}
			out = append(out, checker.Result{Task: part, Item: it.item, Max: it.max, Status: st, Reason: reason})
		}
		for item, i := range first {
			if !inRubric[item] {
				rest = append(rest, results[i])
			}
		}
		sort.SliceStable(rest, func(a, b int) bool { return rest[a].Item < rest[b].Item })
		out = append(out, rest...)
	}
	return out
}

// rubricItem is one row of the rubric with its points.
type rubricItem struct {
	item string
	max  float64
}

// conceptualItems are the rows of the conceptual problems.
var conceptualItems = []rubricItem{
	{conceptual.ItemP1S, 2}, {conceptual.ItemP1C, 2}, {conceptual.ItemP1K, 4}, {conceptual.ItemP21, 3}, {conceptual.ItemP22, 3},
	{conceptual.ItemP3, 6}, {conceptual.ItemP4, 8}, {conceptual.ItemP5W, 5}, {conceptual.ItemP5B, 2}, {conceptual.ItemP6, 5},
}

// rubric lists the items of a part (a task, or conceptual) with their
// points.
func rubric(part string) []rubricItem {
	if part == conceptualPart {
		return conceptualItems
	}
	t := checker.LookupTask(part)
	if t == nil {
		return nil
	}
	var items []rubricItem
	for _, it := range t.Items {
		items = append(items, rubricItem{it.Name, it.Points})
	}
	return items
}

// clampScores is the grader's last line of defence against a score out
// of the rubric's range, whatever produced it (a checker bug, a result
// forged by student code): every row's maximum is the rubric's (0 for a
// row that is not a rubric item), its score is brought into [0, max] (NaN
// counts 0), a second row for one item is dropped, and a task whose rows
// add up to more than its points is scaled down to them. It returns what
// it changed, one entry each (none: nothing fired).
func clampScores(rows []checker.Result) ([]checker.Result, []string) {
	var fired []string
	maxOf := map[string]float64{}
	taskMax := map[string]float64{}
	for _, part := range append(slices.Clone(Tasks), conceptualPart) {
		for _, it := range rubric(part) {
			maxOf[part+"/"+it.item] = it.max
			taskMax[part] += it.max
		}
	}
	var out []checker.Result
	seen := map[string]bool{}
	for _, r := range rows {
		key := r.Task + "/" + r.Item
		m, inRubric := maxOf[key]
		if inRubric && seen[key] {
			fired = append(fired, fmt.Sprintf("a second row for %s (score %s) dropped", key, fmtPts(r.Score)))
			continue
		}
		seen[key] = true
		if r.Max != m {
			fired = append(fired, fmt.Sprintf("%s out of %s, the rubric's maximum being %s", key, fmtPts(r.Max), fmtPts(m)))
			r.Max = m
		}
		if sc := min(max(r.Score, 0), r.Max); sc != r.Score || math.IsNaN(r.Score) {
			if math.IsNaN(r.Score) {
				sc = 0
			}
			fired = append(fired, fmt.Sprintf("%s scored %s, counted %s", key, fmtPts(r.Score), fmtPts(sc)))
			r.Score = sc
		}
		out = append(out, r)
	}
	sum := map[string]float64{}
	for _, r := range out {
		sum[r.Task] += r.Score
	}
	for task, total := range sum {
		if total > taskMax[task] {
			f := taskMax[task] / total
			for i := range out {
				if out[i].Task == task {
					out[i].Score *= f
				}
			}
			fired = append(fired, fmt.Sprintf("%s added up to %s of %s, scaled down", task, fmtPts(total), fmtPts(taskMax[task])))
		}
	}
	return out, fired
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// capBuffer keeps the last max bytes written to it (the end of a
// megabyte-long output says what went wrong).
type capBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (c *capBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.b = append(c.b, p...)
	if len(c.b) > c.max {
		c.b = append(c.b[:0], c.b[len(c.b)-c.max:]...)
	}
	return len(p), nil
}

func (c *capBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.b)
}

// writeStudent writes a student's report.txt, report.json and, for a
// final grade, the Gradescope results.json (removed otherwise, so that a
// grader error is never uploaded as a 0). Every file is written to a
// temporary file and renamed; report.json goes last.
func writeStudent(out string, rep *StudentReport) error {
	dir := filepath.Join(out, StudentsDir, safeID(rep.ID))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := checker.Report{Results: rep.Results}
	gsPath := filepath.Join(dir, "results.json")
	if rep.Final() {
		var gs bytes.Buffer
		if err := r.WriteGradescope(&gs); err != nil {
			return err
		}
		if err := checker.WriteFileAtomic(gsPath, gs.Bytes(), 0o644); err != nil {
			return err
		}
	} else if err := os.Remove(gsPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var txt bytes.Buffer
	fmt.Fprintf(&txt, "%s (%s): %s / %s%s, input seed %d\n", rep.ID, rep.Source, fmtPts(rep.Score), fmtPts(rep.Max-rep.Pending), pendingText(rep), rep.Seed)
	if !rep.Final() || rep.State() == StatusEmpty {
		fmt.Fprintf(&txt, "status: %s\n", stateText(rep))
	}
	if rep.Containment != "" {
		fmt.Fprintf(&txt, "student code ran under: %s\n", rep.Containment)
	}
	if rep.TimedOut != "" {
		fmt.Fprintf(&txt, "timed out in: %s\n", rep.TimedOut)
	}
	txt.WriteString("\n")
	for _, n := range rep.Notes {
		fmt.Fprintf(&txt, "- %s\n", n)
	}
	txt.WriteString("\n")
	if err := r.Render(&txt, false); err != nil {
		return err
	}
	if err := checker.WriteFileAtomic(filepath.Join(dir, "report.txt"), txt.Bytes(), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "\t")
	if err != nil {
		return err
	}
	// report.json last: its presence marks the student as graded.
	return checker.WriteFileAtomic(filepath.Join(dir, ReportFile), b, 0o644)
}

// readReport reads one report.json.
func readReport(p string) (*StudentReport, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var r StudentReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s is not a readable report: %v", p, err)
	}
	return &r, nil
}

// Collect reads every student report in the results folder out.
func Collect(out string) ([]*StudentReport, error) {
	dirs, err := os.ReadDir(filepath.Join(out, StudentsDir))
	if err != nil {
		return nil, err
	}
	var reps []*StudentReport
	for _, d := range dirs {
		r, err := readReport(filepath.Join(out, StudentsDir, d.Name(), ReportFile))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		reps = append(reps, r)
	}
	sort.Slice(reps, func(i, j int) bool { return reps[i].ID < reps[j].ID })
	return reps, nil
}

// Columns are grades.csv's rubric columns: task/item for every item of
// the four tasks and of the conceptual problems.
func Columns() []string {
	var cols []string
	for _, part := range append(slices.Clone(Tasks), conceptualPart) {
		for _, it := range rubric(part) {
			cols = append(cols, part+"/"+it.item)
		}
	}
	return cols
}

// WriteSummary writes grades.csv (one row per student, one column per
// rubric item, then the total, the maximum, the points pending, the
// status, whether a score was clamped, and the flags) and summary.txt,
// the table Grade prints. Only grades are numbers: a row the grader
// failed on reads grader-error, one not graded yet is empty, and so is
// the total of a student who is not done. An item an instructor grades
// by hand reads pending, for the instructor to replace by its points:
// total and max count only what is graded (the automatic points), and
// pending_max is the points still to give by hand (max + pending_max is
// the rubric's 100).
func WriteSummary(out string, reps []*StudentReport) error {
	cols := Columns()
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write(append(append([]string{"id"}, cols...), "total", "max", "pending_max", "status", "clamped", "flags"))
	for _, r := range reps {
		cell := map[string]string{}
		for _, res := range r.Results {
			c := res.Task + "/" + res.Item
			if _, dup := cell[c]; dup {
				continue
			}
			switch res.Status {
			case GraderError:
				cell[c] = "grader-error"
			case NotGraded:
				cell[c] = ""
			case checker.HandGraded:
				cell[c] = "pending"
			default:
				cell[c] = fmtPts(res.Score)
			}
		}
		row := []string{r.ID}
		for _, c := range cols {
			row = append(row, cell[c])
		}
		total := fmtPts(r.Score)
		switch r.State() {
		case StatusGraderError:
			total = "grader-error"
		case StatusInterrupted:
			total = ""
		}
		clamped := ""
		if r.Clamped {
			clamped = "yes"
		}
		row = append(row, total, fmtPts(r.Max-r.Pending), fmtPts(r.Pending), r.State(), clamped, strings.Join(r.Flags, " "))
		for i, c := range row {
			row[i] = csvCell(c)
		}
		cw.Write(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := checker.WriteFileAtomic(filepath.Join(out, GradesCSV), b.Bytes(), 0o644); err != nil {
		return err
	}
	var s bytes.Buffer
	SummaryTable(&s, reps)
	return checker.WriteFileAtomic(filepath.Join(out, SummaryFile), s.Bytes(), 0o644)
}

// csvCell quotes a cell a spreadsheet would take for a formula (it
// starts with = + - @, a tab or a carriage return) with a leading ': the
// ID of a submission without one is its zip's or folder's name, the
// student's text (CSV injection).
func csvCell(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return "'" + c
	}
	return c
}

// SummaryTable prints one line per student: the points per task, the
// total and the flags (or what the student's state is when it is not a
// grade), then the mean of the graded students; empty submissions,
// grader errors and students not finished are counted apart.
func SummaryTable(w io.Writer, reps []*StudentReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	groups := append(slices.Clone(Tasks), conceptualPart)
	fmt.Fprintf(tw, "id\t%s\ttotal\tflags\t\n", strings.Join(groups, "\t"))
	var sum, pending float64
	count := map[string]int{}
	for _, r := range reps {
		st := r.State()
		count[st]++
		per := map[string]float64{}
		for _, res := range r.Results {
			per[res.Task] += res.Score
		}
		var cells []string
		for _, g := range groups {
			if st == StatusGraded {
				cells = append(cells, fmtPts(per[g]))
			} else {
				cells = append(cells, "-")
			}
		}
		total := fmtPts(r.Score) + " / " + fmtPts(r.Max-r.Pending)
		if r.Pending > 0 {
			total += " +" + fmtPts(r.Pending) + " pending"
		}
		if st != StatusGraded {
			total = stateText(r)
		} else {
			sum += r.Score
			pending += r.Pending
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", r.ID, strings.Join(cells, "\t"), total, strings.Join(r.Flags, " "))
	}
	tw.Flush()
	if len(reps) == 0 {
		return
	}
	line := fmt.Sprintf("%d graded", count[StatusGraded])
	if n := count[StatusGraded]; n > 0 {
		line += fmt.Sprintf(", mean %.1f", sum/float64(n))
		if pending > 0 {
			line += " of the automatic points (items graded by hand pending)"
		}
	}
	for _, c := range []struct{ st, what string }{
		{StatusEmpty, "empty submission(s), not in the mean"},
		{StatusGraderError, "grader error(s), graded again on the next run"},
		{StatusInterrupted, "not finished, graded again on the next run"},
	} {
		if n := count[c.st]; n > 0 {
			line += fmt.Sprintf("; %d %s", n, c.what)
		}
	}
	fmt.Fprintln(w, line)
	// What contained the students' code, once per distinct wording (a
	// fallback on one machine of a sharded run shows here).
	seen := map[string]int{}
	var order []string
	for _, r := range reps {
		if r.Containment != "" {
			if seen[r.Containment] == 0 {
				order = append(order, r.Containment)
			}
			seen[r.Containment]++
		}
	}
	for _, c := range order {
		fmt.Fprintf(w, "student code ran under (%d students): %s\n", seen[c], c)
	}
}

// Merge combines the results folders of sharded runs into out: every
// student folder is copied, a student graded in two shards is an error
// unless both reports agree, and grades.csv and summary.txt are written
// for all.
func Merge(out string, shards []string) ([]*StudentReport, error) {
	lock, _, err := LockResults(out)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if err := os.MkdirAll(filepath.Join(out, StudentsDir), 0o755); err != nil {
		return nil, err
	}
	from := map[string]string{}
	for _, sh := range shards {
		reps, err := Collect(sh)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", sh, err)
		}
		for _, r := range reps {
			if prev, dup := from[r.ID]; dup {
				return nil, fmt.Errorf("student %s is in both %s and %s: were the shards run with the same -shard?", r.ID, prev, sh)
			}
			from[r.ID] = sh
			src := filepath.Join(sh, StudentsDir, safeID(r.ID))
			if filepath.Clean(sh) == filepath.Clean(out) {
				continue
			}
			dst := filepath.Join(out, StudentsDir, safeID(r.ID))
			if err := copyTree(src, dst); err != nil {
				return nil, err
			}
		}
	}
	reps, err := Collect(out)
	if err != nil {
		return nil, err
	}
	return reps, WriteSummary(out, reps)
}

// kitSkip are the parts of the kit that grading does not need.
var kitSkip = map[string]bool{".git": true, "docs": true, "checker/testdata/broken": true, "runs": true, "exercises": true}

// CopyKit copies the kit at src into dst (source, go.mod, embedded
// data), leaving out the .git folder, hidden folders, the docs, the
// broken corpus, the exercises and the folders in skip.
func CopyKit(src, dst string, skip ...string) error {
	skipAbs := map[string]bool{}
	for _, s := range append(skip, dst) {
		if a, err := filepath.Abs(s); err == nil {
			skipAbs[a] = true
		}
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			abs, _ := filepath.Abs(p)
			if kitSkip[rel] || skipAbs[abs] || rel != "." && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return checker.WriteFileAtomic(filepath.Join(dst, rel), b, 0o644)
	})
}
