package grading

import (
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"nnkit/checker/internal/hostile"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"nnkit/checker"
)

// TestGradeHostileCorpus grades the checker's whole hostile-submission
// corpus (checker/testdata/hostile) as one folder of submissions with the
// real `check grade`, beside an honest student: every attack scores what
// its case says, the honest student keeps full marks, every result is
// there, and no process an attack started survives the run.
func TestGradeHostileCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("grades the hostile corpus end to end")
	}
	root := kitRoot(t)
	exe := buildCheck(t)
	base := t.TempDir()
	subs := filepath.Join(base, "submissions")
	os.MkdirAll(subs, 0o755)
	cases, _ := filepath.Glob(filepath.Join(root, "checker", "testdata", "hostile", "*.txt"))
	if len(cases) == 0 {
		t.Fatal("no hostile cases")
	}
	type attack struct {
		name, id, task string
		want           float64 // the task's total
		survivor       string  // a command line that must not be alive afterwards
	}
	var attacks []attack
	for i, path := range cases {
		c := readHostile(t, path)
		id := strconv.Itoa(3180100900 + i)
		task := filepath.Base(c.base)
		files := map[string][]byte{}
		// The base folder and the case's files, merged into the one file
		// a submission holds per task; the case's test files travel
		// beside it, as a student would send them.
		var srcs [][]byte
		names, _ := filepath.Glob(filepath.Join(root, c.base, "*.go"))
		for _, n := range names {
			if !strings.HasSuffix(n, "_test.go") {
				if _, over := c.files[task+"/"+filepath.Base(n)]; !over {
					srcs = append(srcs, read(t, root, strings.TrimPrefix(n, root+"/")))
				}
			}
		}
		for name, src := range c.files {
			switch {
			case !strings.HasSuffix(name, ".go"):
				continue // a submission carries Go files; check grade takes nothing else from it
			case strings.HasSuffix(name, "_test.go"):
				files[task+"_"+id+"_test.go"] = []byte(src)
				continue
			}
			srcs = append(srcs, []byte(src))
		}
		files[task+"_"+id+".go"] = mergeGo(t, task, srcs)
		var es []zipEntry
		for n, b := range files {
			es = append(es, zipEntry{name: n, data: b})
		}
		writeZip(t, filepath.Join(subs, ZipName(id)), es)
		want, known := c.total(checker.LookupTask(task))
		if !known {
			want = -1
		}
		attacks = append(attacks, attack{name: c.name, id: id, task: task, want: want, survivor: c.survivor})
	}
	honest := "3180100999"
	writeZip(t, filepath.Join(subs, ZipName(honest)), []zipEntry{{name: "task1_" + honest + ".go", data: solutionTask(t, root, "task1")}})

	out := filepath.Join(base, "results")
	reps, err := Grade(context.Background(), subs, Options{Kit: root, Exe: exe, Out: out, Jobs: 2, Progress: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*StudentReport{}
	for _, r := range reps {
		byID[r.ID] = r
	}
	taskTotal := func(r *StudentReport, task string) (score, max float64) {
		for _, x := range r.Results {
			if x.Task == task {
				score += x.Score
				max += x.Max
			}
		}
		return score, max
	}
	for _, a := range attacks {
		r := byID[a.id]
		switch {
		case r == nil:
			t.Errorf("%s (%s): no report: a result was lost", a.name, a.id)
			continue
		case r.State() != StatusGraded:
			t.Errorf("%s (%s): %s, want graded", a.name, a.id, r.State())
		}
		if s, m := taskTotal(r, a.task); a.want >= 0 && s != a.want || m == 0 {
			t.Errorf("%s (%s): %s scores %v / %v, want %v", a.name, a.id, a.task, s, m, a.want)
		}
		ran := false // did a student process start (the rules refuse most attacks before)?
		for _, x := range r.Results {
			ran = ran || x.Task == a.task && x.Status != checker.RuleBroken && x.Status != checker.BuildFailed
		}
		if ran && !strings.Contains(r.Containment, "namespaces") && !strings.Contains(r.Containment, "process group") {
			t.Errorf("%s (%s): the report says nothing of the containment (%q)", a.name, a.id, r.Containment)
		}
		// Only a PID namespace promises no survivor; where no student
		// process ran (the rules refused the case) there is none to find.
		if a.survivor != "" && (r.Containment == "" || strings.Contains(r.Containment, "namespaces")) {
			for _, pid := range processesRunning(a.survivor) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Errorf("%s: process %d (%s) outlived the grading", a.name, pid, a.survivor)
			}
		}
	}
	if r := byID[honest]; r == nil {
		t.Error("the honest student has no report")
	} else if s, m := taskTotal(r, "task1"); s != 20 || m != 20 {
		var lost []string
		for _, x := range r.Results {
			if x.Task == "task1" && x.Score < x.Max {
				lost = append(lost, fmt.Sprintf("%s %v/%v %s: %s", x.Item, x.Score, x.Max, x.Status, x.Reason))
			}
		}
		t.Errorf("the honest student's task 1 scores %v / %v beside the attacks, want 20 / 20; lost:\n%s", s, m, strings.Join(lost, "\n"))
	}
	summary := string(read(t, out, SummaryFile))
	if !strings.Contains(summary, "student code ran under") {
		t.Errorf("the summary does not say what contained the students' code:\n%s", summary)
	}
}

// hostileCase is what this test reads of a case of the checker's corpus
// (see checker/hostile_test.go for the format).
type hostileCase struct {
	name, base, survivor string
	files                map[string]string
	scores               map[string]float64 // want ITEM score=N
	all                  float64            // want-all: score=N; -1 when absent
	rest                 bool               // want-rest: full
}

var scoreRE = regexp.MustCompile(`score=([0-9.]+)`)

// total is the task's total the case asks for as submitted, when its
// want lines settle every item.
func (c hostileCase) total(t *checker.Task) (float64, bool) {
	var sum float64
	for _, it := range t.Items {
		switch s, named := c.scores[it.Name]; {
		case c.all >= 0:
			sum += c.all
		case named:
			sum += s
		case c.rest:
			sum += it.Points
		default:
			return 0, false
		}
	}
	return sum, true
}

func readHostile(t *testing.T, path string) hostileCase {
	t.Helper()
	hc, err := hostile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	c := hostileCase{name: hc.Name, base: hc.Get("base"), survivor: hc.Get("no-survivor"), files: hc.Files,
		scores: map[string]float64{}, all: -1, rest: hc.Get("want-rest") == "full"}
	score := func(s string) (float64, bool) {
		m := scoreRE.FindStringSubmatch(s)
		if m == nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(m[1], 64)
		return v, err == nil
	}
	if v, ok := score(hc.Get("want-all")); ok {
		c.all = v
	}
	for _, line := range hc.Header["want"] {
		item, args, _ := strings.Cut(line, " ")
		if v, ok := score(args); ok {
			c.scores[item] = v
		}
	}
	return c
}

// mergeGo joins Go files of one package into one: one package clause,
// every import once, then each file's declarations as written (comments
// and directives included).
func mergeGo(t *testing.T, pkg string, srcs [][]byte) []byte {
	t.Helper()
	imports := map[string]bool{}
	var order []string
	var bodies []string
	for _, src := range srcs {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "x.go", src, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range f.Imports {
			spec := is.Path.Value
			if is.Name != nil {
				spec = is.Name.Name + " " + spec
			}
			if !imports[spec] {
				imports[spec] = true
				order = append(order, spec)
			}
		}
		cut := fset.Position(f.Name.End()).Offset
		if n := len(f.Decls); n > 0 {
			cut = fset.Position(f.Decls[n-1].End()).Offset
		}
		bodies = append(bodies, string(src[cut:]))
	}
	var b strings.Builder
	b.WriteString("package " + pkg + "\n\nimport (\n")
	for _, spec := range order {
		b.WriteString("\t" + spec + "\n")
	}
	b.WriteString(")\n")
	for _, body := range bodies {
		b.WriteString(body + "\n")
	}
	return []byte(b.String())
}

// processesRunning lists the live processes whose command line is
// cmdline (words joined by spaces).
func processesRunning(cmdline string) []int {
	want := strings.ReplaceAll(cmdline, " ", "\x00") + "\x00"
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || string(b) != want {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if _, after, _ := strings.Cut(string(stat), ") "); err == nil && !strings.HasPrefix(after, "Z") {
			pid, _ := strconv.Atoi(filepath.Base(d))
			pids = append(pids, pid)
		}
	}
	return pids
}
