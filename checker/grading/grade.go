package grading

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"nnkit/checker"
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
}

// StudentReport is one student's grade, as RESULTS/students/ID/report.json.
type StudentReport struct {
	ID      string           `json:"id"`
	Source  string           `json:"source"`
	Seed    uint64           `json:"seed"`
	Score   float64          `json:"score"`
	Max     float64          `json:"max_score"`
	Results []checker.Result `json:"results"`
	Notes   []string         `json:"notes,omitempty"`
	Flags   []string         `json:"flags,omitempty"`
	Seconds float64          `json:"seconds"`
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

// Grade grades every submission in dir (see Discover) and writes the
// results into opt.Out: students/ID/{report.json,results.json,report.txt},
// grades.csv and summary.txt. Students already graded are skipped unless
// opt.Force. It returns the reports of all graded students in the
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
	subs, warnings, err := Discover(dir, opt.Limits)
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
		if !opt.Force && exists(filepath.Join(opt.Out, StudentsDir, safeID(s.ID), ReportFile)) {
			fmt.Fprintf(progress, "%s: already graded (-force grades again)\n", s.ID)
			continue
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
	done := 0
	var firstErr error
	for w := range min(opt.Jobs, max(len(todo), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				rep, err := gradeStudent(ctx, s, w, opt)
				mu.Lock()
				done++
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					fmt.Fprintf(progress, "[%d/%d] %s: %v\n", done, len(todo), s.ID, err)
				} else {
					fmt.Fprintf(progress, "[%d/%d] %s %s / %s in %.1fs%s\n", done, len(todo), s.ID,
						fmtPts(rep.Score), fmtPts(rep.Max), rep.Seconds, flagText(rep.Flags))
				}
				mu.Unlock()
			}
		}()
	}
	for _, s := range todo {
		if ctx.Err() != nil {
			break
		}
		jobs <- s
	}
	close(jobs)
	wg.Wait()
	os.RemoveAll(filepath.Join(opt.Out, workDir))
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	fmt.Fprintf(progress, "graded %d submissions in %v\n", len(todo), time.Since(start).Round(time.Second))
	reps, err := Collect(opt.Out)
	if err != nil {
		return nil, err
	}
	return reps, errors.Join(firstErr, WriteSummary(opt.Out, reps))
}

func flagText(flags []string) string {
	if len(flags) == 0 {
		return ""
	}
	return " [" + strings.Join(flags, ", ") + "]"
}

func fmtPts(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// safeID turns an ID into a folder name.
func safeID(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, id)
}

// gradeStudent grades s in worker w's copy of the kit and writes its
// results.
func gradeStudent(ctx context.Context, s *Submission, w int, opt Options) (*StudentReport, error) {
	start := time.Now()
	work := filepath.Join(opt.Out, workDir)
	kit := filepath.Join(work, fmt.Sprintf("kit-%d", w))
	// The kit is restored before every student: whatever the previous
	// one's code wrote into it is gone, and the rubric is the
	// instructor's. The path stays the same, so the go command's cache
	// serves every build after the worker's first.
	if err := os.RemoveAll(kit); err != nil {
		return nil, err
	}
	if err := CopyKit(opt.Kit, kit, opt.Out); err != nil {
		return nil, fmt.Errorf("copying the kit: %v", err)
	}
	sdir := filepath.Join(work, fmt.Sprintf("student-%d", w))
	os.RemoveAll(sdir)
	for p, b := range s.Files {
		var dst string
		switch {
		case strings.HasPrefix(string(p), "task"):
			dst = filepath.Join(sdir, string(p), string(p)+".go")
		default:
			dst = filepath.Join(sdir, "conceptual", filepath.Base(KitPath(p)))
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return nil, err
		}
	}
	if exists(filepath.Join(sdir, "conceptual")) && !exists(filepath.Join(sdir, "conceptual", "answers.txt")) {
		os.WriteFile(filepath.Join(sdir, "conceptual", "answers.txt"), nil, 0o644)
	}
	rep := &StudentReport{ID: s.ID, Source: s.Source, Seed: opt.Seed, Notes: slices.Clone(s.Notes), Flags: slices.Clone(s.Flags)}
	var got oneResult
	if exists(sdir) {
		outFile := filepath.Join(work, fmt.Sprintf("result-%d.json", w))
		os.Remove(outFile)
		sctx, cancel := context.WithTimeout(ctx, opt.StudentTimeout)
		cmd := exec.CommandContext(sctx, opt.Exe, "grade-one", "-kit", kit, "-timeout", opt.ItemTimeout.String(),
			"-mem", strconv.FormatInt(opt.MemLimit, 10), "-out", outFile, sdir)
		cmd.Dir = kit
		cmd.Env = append(os.Environ(), checker.EnvSeed+"="+strconv.FormatUint(opt.Seed, 10))
		ownGroup(cmd)
		cmd.WaitDelay = 10 * time.Second
		var buf capBuffer
		buf.max = 32 << 10
		cmd.Stdout, cmd.Stderr = &buf, &buf
		err := cmd.Run()
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		b, rerr := os.ReadFile(outFile)
		switch {
		case sctx.Err() == context.DeadlineExceeded:
			rep.Notes = append(rep.Notes, fmt.Sprintf("grading did not finish in %v: every item not graded scores 0", opt.StudentTimeout))
			rep.Flags = append(rep.Flags, "timeout")
		case err != nil || rerr != nil:
			rep.Notes = append(rep.Notes, fmt.Sprintf("grading failed (%v): %s", err, lastLines(buf.String(), 5)))
			rep.Flags = append(rep.Flags, "grader-error")
		default:
			if err := json.Unmarshal(b, &got); err != nil {
				rep.Notes = append(rep.Notes, "grading failed: bad result: "+err.Error())
				rep.Flags = append(rep.Flags, "grader-error")
			}
		}
	}
	rep.Notes = append(rep.Notes, got.Notes...)
	if len(got.Notes) > 0 {
		rep.Flags = append(rep.Flags, "review")
	}
	rep.Results = complete(got.Results, s)
	for _, r := range rep.Results {
		rep.Score += r.Score
		rep.Max += r.Max
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, writeStudent(opt.Out, rep)
}

// complete adds a zero row for every rubric item that has no result
// (a missing file, a grading that failed), so every student has every
// column.
func complete(results []checker.Result, s *Submission) []checker.Result {
	have := map[string]bool{}
	for _, r := range results {
		have[r.Task+"\x00"+r.Item] = true
	}
	var out []checker.Result
	for _, t := range Tasks {
		task := checker.LookupTask(t)
		for _, r := range results {
			if r.Task == t {
				out = append(out, r)
			}
		}
		for _, it := range task.Items {
			if !have[t+"\x00"+it.Name] {
				reason := "not graded: the grading failed or did not finish"
				st := checker.Fail
				if _, ok := s.Files[Part(t)]; !ok {
					reason, st = "missing: "+FileName(Part(t), s.ID)+" was not submitted", checker.NotDone
				}
				out = append(out, checker.Result{Task: t, Item: it.Name, Max: it.Points, Status: st, Reason: reason})
			}
		}
	}
	var conc []checker.Result
	for _, r := range results {
		if !slices.Contains(Tasks, r.Task) {
			conc = append(conc, r)
		}
	}
	if len(conc) == 0 {
		conc = conceptualZero(s)
	}
	return append(out, conc...)
}

// conceptualItems are the rows of the conceptual problems, for a
// submission without any answer (from the grader's own report).
var conceptualItems = []struct {
	item string
	max  float64
}{
	{"P1 dL/dS", 2}, {"P1 dL/dC", 2}, {"P1 dL/dK", 4}, {"P2.1 one-stage vs multi-stage", 3}, {"P2.2 why NMS", 3},
	{"P3 parameter count", 6}, {"P4 softmax gradient proof", 8}, {"P5 W'", 5}, {"P5 B'", 2}, {"P6 RNN gradients", 5},
}

func conceptualZero(s *Submission) []checker.Result {
	var out []checker.Result
	for _, c := range conceptualItems {
		out = append(out, checker.Result{Task: "conceptual", Item: c.item, Max: c.max, Status: checker.NotDone,
			Reason: "missing: no conceptual answers were submitted (" + FileName(PartAnswers, s.ID) + ", ...)"})
	}
	return out
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

// writeStudent writes a student's report.json, Gradescope results.json
// and report.txt.
func writeStudent(out string, rep *StudentReport) error {
	dir := filepath.Join(out, StudentsDir, safeID(rep.ID))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var gs bytes.Buffer
	r := checker.Report{Results: rep.Results}
	if err := r.WriteGradescope(&gs); err != nil {
		return err
	}
	if err := checker.WriteFileAtomic(filepath.Join(dir, "results.json"), gs.Bytes(), 0o644); err != nil {
		return err
	}
	var txt bytes.Buffer
	fmt.Fprintf(&txt, "%s (%s): %s / %s, input seed %d\n\n", rep.ID, rep.Source, fmtPts(rep.Score), fmtPts(rep.Max), rep.Seed)
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

// Collect reads every student report in the results folder out.
func Collect(out string) ([]*StudentReport, error) {
	dirs, err := os.ReadDir(filepath.Join(out, StudentsDir))
	if err != nil {
		return nil, err
	}
	var reps []*StudentReport
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(out, StudentsDir, d.Name(), ReportFile))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var r StudentReport
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %v", d.Name(), err)
		}
		reps = append(reps, &r)
	}
	sort.Slice(reps, func(i, j int) bool { return reps[i].ID < reps[j].ID })
	return reps, nil
}

// WriteSummary writes grades.csv (one row per student, one column per
// rubric item, then the total, the maximum and the flags) and
// summary.txt, the table Grade prints.
func WriteSummary(out string, reps []*StudentReport) error {
	var cols []string
	seen := map[string]bool{}
	for _, r := range reps {
		for _, res := range r.Results {
			c := res.Task + "/" + res.Item
			if !seen[c] {
				seen[c] = true
				cols = append(cols, c)
			}
		}
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write(append(append([]string{"id"}, cols...), "total", "max", "flags"))
	for _, r := range reps {
		score := map[string]float64{}
		for _, res := range r.Results {
			score[res.Task+"/"+res.Item] = res.Score
		}
		row := []string{r.ID}
		for _, c := range cols {
			row = append(row, fmtPts(score[c]))
		}
		cw.Write(append(row, fmtPts(r.Score), fmtPts(r.Max), strings.Join(r.Flags, " ")))
	}
	cw.Flush()
	if err := checker.WriteFileAtomic(filepath.Join(out, GradesCSV), b.Bytes(), 0o644); err != nil {
		return err
	}
	var s bytes.Buffer
	SummaryTable(&s, reps)
	return checker.WriteFileAtomic(filepath.Join(out, SummaryFile), s.Bytes(), 0o644)
}

// SummaryTable prints one line per student: the points per task, the
// total and the flags, then the mean.
func SummaryTable(w io.Writer, reps []*StudentReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	groups := append(slices.Clone(Tasks), "conceptual")
	fmt.Fprintf(tw, "id\t%s\ttotal\tflags\t\n", strings.Join(groups, "\t"))
	var sum float64
	for _, r := range reps {
		per := map[string]float64{}
		for _, res := range r.Results {
			per[res.Task] += res.Score
		}
		var cells []string
		for _, g := range groups {
			cells = append(cells, fmtPts(per[g]))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s / %s\t%s\t\n", r.ID, strings.Join(cells, "\t"), fmtPts(r.Score), fmtPts(r.Max), strings.Join(r.Flags, " "))
		sum += r.Score
	}
	tw.Flush()
	if len(reps) > 0 {
		fmt.Fprintf(w, "%d students, mean %.1f\n", len(reps), sum/float64(len(reps)))
	}
}

// Merge combines the results folders of sharded runs into out: every
// student folder is copied, a student graded in two shards is an error
// unless both reports agree, and grades.csv and summary.txt are written
// for all.
func Merge(out string, shards []string) ([]*StudentReport, error) {
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
var kitSkip = map[string]bool{".git": true, "docs": true, "testdata/broken": true, "runs": true, "exercises": true}

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
