package grading

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"nnkit/checker"
)

func kitRoot(t testing.TB) string {
	t.Helper()
	root, err := checker.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var checkBin struct {
	once sync.Once
	path string
	err  error
}

// buildCheck builds the check command once per test binary.
func buildCheck(t *testing.T) string {
	t.Helper()
	checkBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "nnkit-grading-test-")
		if err != nil {
			checkBin.err = err
			return
		}
		checkBin.path = filepath.Join(dir, "check")
		cmd := exec.Command("go", "build", "-o", checkBin.path, "nnkit/cmd/check")
		cmd.Dir = kitRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			checkBin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if checkBin.err != nil {
		t.Fatal(checkBin.err)
	}
	return checkBin.path
}

func read(t testing.TB, root, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// solutionTask returns the reference of a task as one file.
func solutionTask(t testing.TB, root, task string) []byte {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(root, "solutions", task, "*.go"))
	var bases []string
	var srcs [][]byte
	for _, n := range names {
		if !strings.HasSuffix(n, "_test.go") {
			bases = append(bases, filepath.Base(n))
			srcs = append(srcs, read(t, root, "solutions/"+task+"/"+filepath.Base(n)))
		}
	}
	b, err := MergeGo(bases, srcs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type zipEntry struct {
	name string
	data []byte
	raw  *zip.FileHeader // written with CreateRaw: data is already deflated
}

func writeZip(t testing.TB, path string, entries []zipEntry) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		if e.raw != nil {
			w, err := zw.CreateRaw(e.raw)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(e.data)
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	fw.Write(b)
	fw.Close()
	return buf.Bytes()
}

// hardCodedRelu writes task 1 with a Relu that returns, call after
// call, the outputs the fixtures record: right on the fixed inputs of
// `check`, wrong on any other.
func hardCodedRelu(t testing.TB, root string, sol []byte) []byte {
	t.Helper()
	var f struct {
		Calls map[string][]struct {
			Out []struct {
				Dims []int
				Bits string
			}
		}
	}
	if err := json.Unmarshal(read(t, root, "checker/fixtures/task1.json"), &f); err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	for _, c := range f.Calls["Relu"] {
		bits, _ := base64.StdEncoding.DecodeString(c.Out[0].Bits)
		fmt.Fprintf(&table, "\t{%d, %d, ", c.Out[0].Dims[0], c.Out[0].Dims[1])
		for i := 0; i < len(bits); i += 8 {
			fmt.Fprintf(&table, "%v, ", math.Float64frombits(binary.LittleEndian.Uint64(bits[i:])))
		}
		table.WriteString("},\n")
	}
	body := "\tout := reluTable[reluCalls%len(reluTable)]\n\treluCalls++\n\treturn mat.NewDense(int(out[0]), int(out[1]), out[2:])\n"
	src := replaceBody(t, sol, "Relu", body)
	return append(src, []byte("\nvar reluCalls int\n\nvar reluTable = [][]float64{\n"+table.String()+"}\n")...)
}

// replaceBody replaces the solution region of fn with body.
func replaceBody(t testing.TB, src []byte, fn, body string) []byte {
	t.Helper()
	s := string(src)
	i := strings.Index(s, "func "+fn+"(")
	if i < 0 {
		t.Fatalf("no func %s", fn)
	}
	a := i + strings.Index(s[i:], "// BEGIN SOLUTION")
	a += strings.Index(s[a:], "\n") + 1
	b := a + strings.Index(s[a:], "\t// END SOLUTION")
	return []byte(s[:a] + body + s[b:])
}

type expect struct {
	total float64            // -1: not checked
	items map[string]float64 // "task1/Relu" -> score
	lt    map[string]float64 // item scores below
	notes []string           // substrings of the notes
	flags []string
}

// TestGradeSubmissions grades a folder of synthetic submissions end to
// end with `check grade`: each gets the grade and the message it should.
func TestGradeSubmissions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and grades a dozen submissions")
	}
	root := kitRoot(t)
	exe := buildCheck(t)
	base := t.TempDir()
	subs := filepath.Join(base, "submissions")
	os.MkdirAll(subs, 0o755)
	t1 := solutionTask(t, root, "task1")
	stub1 := read(t, root, "exercises/task1/task1.go")
	zipOf := func(id string, files map[string][]byte) {
		var es []zipEntry
		for n, b := range files {
			es = append(es, zipEntry{name: n, data: b})
		}
		writeZip(t, filepath.Join(subs, ZipName(id)), es)
	}

	// 1. Everything right (the conceptual prose is graded by hand).
	full := map[string][]byte{
		"task1_3180100001.go":         t1,
		"task2_3180100001.go":         solutionTask(t, root, "task2"),
		"task3_3180100001.go":         solutionTask(t, root, "task3"),
		"task4_3180100001.go":         solutionTask(t, root, "task4"),
		"conceptual_3180100001.go":    read(t, root, "conceptual/reference/p1.go"),
		"conceptual_3180100001.txt":   read(t, root, "conceptual/reference/answers.txt"),
		"conceptual_3180100001_p2.md": read(t, root, "conceptual/reference/p2.md"),
		"conceptual_3180100001_p4.md": read(t, root, "conceptual/reference/p4.md"),
		"conceptual_3180100001_p6.md": read(t, root, "conceptual/reference/p6.md"),
	}
	zipOf("3180100001", full)
	// 2. Partly right: Prelu takes ReLU'(0) as 1.
	zipOf("3180100002", map[string][]byte{"task1_3180100002.go": bytes.Replace(t1, []byte("if v > 0 {"), []byte("if v >= 0 {"), 1)})
	// 3. Misnamed, in a folder of loose files.
	os.MkdirAll(filepath.Join(subs, "3180100003"), 0o755)
	os.WriteFile(filepath.Join(subs, "3180100003", "Task1.go"), t1, 0o644)
	// 4. Task 1 only, the rest missing: zip 2 above; here task 2 only,
	// with task 1 missing.
	zipOf("3180100004", map[string][]byte{"task2_3180100004.go": solutionTask(t, root, "task2")})
	// 5. A ../ path.
	writeZip(t, filepath.Join(subs, ZipName("3180100005")), []zipEntry{
		{name: "task1_3180100005.go", data: t1},
		{name: "../evil_3180100005.go", data: []byte("package evil\n")},
	})
	// 6. Zip bombs: one declares 64 MiB, one declares 100 bytes and
	// inflates to 8 MiB.
	zeros := make([]byte, 8<<20)
	writeZip(t, filepath.Join(subs, ZipName("3180100006")), []zipEntry{
		{name: "task1_3180100006.go", data: t1},
		{name: "big.txt", data: make([]byte, 64<<20)},
		{raw: &zip.FileHeader{Name: "liar.txt", Method: zip.Deflate, CompressedSize64: uint64(len(deflate(zeros))), UncompressedSize64: 100, CRC32: 0}, data: deflate(zeros)},
	})
	// 7. Relu never returns.
	zipOf("3180100007", map[string][]byte{"task1_3180100007.go": replaceBody(t, t1, "Relu", "\tfor {\n\t}\n")})
	// 8. Relu hard-codes the fixture outputs.
	cheat := hardCodedRelu(t, root, t1)
	zipOf("3180100008", map[string][]byte{"task1_3180100008.go": cheat})
	// 9. Edits the rubric: the stubs, with a test and a checker file
	// that would pass everything.
	zipOf("3180100009", map[string][]byte{
		"task1_3180100009.go":      stub1,
		"task1_3180100009_test.go": []byte("package task1\n\nimport \"testing\"\n\nfunc TestAll(t *testing.T) {}\n"),
		"checker/task1.go":         []byte("package checker\n\n// every item passes\n"),
	})

	// The cheat scores full marks for Relu under the fixed inputs of
	// `check` (what a student sees with the fixtures) ...
	cheatDir := filepath.Join(base, "cheat", "task1")
	os.MkdirAll(cheatDir, 0o755)
	os.WriteFile(filepath.Join(cheatDir, "task1.go"), cheat, 0o644)
	cmd := exec.Command(exe, "-json", filepath.Join(base, "cheat.json"), cheatDir)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), checker.EnvSeed+"=")
	cmd.Run()
	if !strings.Contains(string(read(t, base, "cheat.json")), `"name": "task1 Relu",
      "score": 3,`) {
		t.Errorf("the hard-coded Relu should pass `check` on the fixed inputs:\n%s", read(t, base, "cheat.json"))
	}

	out := filepath.Join(base, "results")
	start := time.Now()
	reps, err := Grade(context.Background(), subs, Options{Kit: root, Exe: exe, Out: out, Jobs: 2, Progress: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("graded %d submissions in %v", len(reps), time.Since(start).Round(time.Second))
	byID := map[string]*StudentReport{}
	for _, r := range reps {
		byID[r.ID] = r
	}
	task1Full := map[string]float64{"task1/Relu": 3, "task1/Prelu": 2, "task1/DNNForward": 5, "task1/DNNBackward": 5, "task1/Train": 5}
	for id, e := range map[string]expect{
		"3180100001": {total: 81, items: map[string]float64{"task3/TrainCNN/steps": 6, "task4/GetResNet/head": 2, "conceptual/P3 parameter count": 6, "conceptual/P5 W'": 5}},
		"3180100002": {total: 19, items: map[string]float64{"task1/Relu": 3, "task1/Prelu": 1}, notes: []string{"missing: task2_3180100002.go", "missing: conceptual_3180100002.txt"}, flags: []string{"missing"}},
		"3180100003": {total: 20, items: task1Full, notes: []string{"misnamed: Task1.go should be task1_3180100003.go (graded, flagged)"}, flags: []string{"misnamed", "missing"}},
		"3180100004": {total: 10, items: map[string]float64{"task1/Relu": 0, "task2/TrainTorch": 5}, notes: []string{"missing: task1_3180100004.go"}},
		"3180100005": {total: 20, items: task1Full, notes: []string{`rejected zip entry "../evil_3180100005.go": a path outside the archive (path traversal)`}, flags: []string{"rejected"}},
		"3180100006": {total: 20, items: task1Full, notes: []string{`rejected zip entry "big.txt": it declares 67108864 bytes`, `rejected zip entry "liar.txt": it expands beyond the 100 bytes it declares (a zip bomb)`}},
		// A mistake costs points once: DNNForward and Train, which call
		// Relu, get the reference's answers for it.
		"3180100007": {total: 17, items: map[string]float64{"task1/Relu": 0, "task1/Prelu": 2, "task1/DNNForward": 5, "task1/DNNBackward": 5, "task1/Train": 5}},
		"3180100008": {total: -1, items: map[string]float64{"task1/Prelu": 2}, lt: map[string]float64{"task1/Relu": 3}},
		"3180100009": {total: 0, items: map[string]float64{"task1/Relu": 0}, notes: []string{"ignored checker/task1.go", "ignored task1_3180100009_test.go"}, flags: []string{"ignored"}},
	} {
		r := byID[id]
		if r == nil {
			t.Errorf("%s: not graded", id)
			continue
		}
		score := map[string]checker.Result{}
		for _, res := range r.Results {
			score[res.Task+"/"+res.Item] = res
		}
		if e.total >= 0 && r.Score != e.total {
			t.Errorf("%s: %v / %v, want %v\n%s", id, r.Score, r.Max, e.total, read(t, out, "students/"+id+"/report.txt"))
		}
		if r.Max != 100 {
			t.Errorf("%s: out of %v, want 100 (every rubric row)", id, r.Max)
		}
		for item, want := range e.items {
			if got := score[item]; got.Score != want {
				t.Errorf("%s: %s %v (%s %q), want %v", id, item, got.Score, got.Status, got.Reason, want)
			}
		}
		for item, below := range e.lt {
			if got := score[item]; got.Score >= below {
				t.Errorf("%s: %s %v (%s %q), want below %v", id, item, got.Score, got.Status, got.Reason, below)
			}
		}
		notes := strings.Join(r.Notes, "\n")
		for _, n := range e.notes {
			if !strings.Contains(notes, n) {
				t.Errorf("%s: no note %q in\n%s", id, n, notes)
			}
		}
		for _, f := range e.flags {
			if !strings.Contains(strings.Join(r.Flags, " "), f) {
				t.Errorf("%s: no flag %s in %v", id, f, r.Flags)
			}
		}
		if !exists(filepath.Join(out, StudentsDir, id, "results.json")) {
			t.Errorf("%s: no Gradescope results.json", id)
		}
	}
	if r := byID["3180100007"]; r != nil {
		for _, res := range r.Results {
			if res.Item == "Relu" && res.Status != checker.TimedOut {
				t.Errorf("the endless Relu: %s %q, want %s", res.Status, res.Reason, checker.TimedOut)
			}
		}
	}
	if exists(filepath.Join(base, "evil_3180100005.go")) || exists(filepath.Join(subs, "evil_3180100005.go")) {
		t.Error("the ../ entry was written out")
	}
	csv := string(read(t, out, GradesCSV))
	if lines := strings.Split(strings.TrimSpace(csv), "\n"); len(lines) != 10 || !strings.HasPrefix(lines[0], "id,task1/Relu,") || !strings.Contains(lines[0], ",total,max,pending_max,status,clamped,flags") {
		t.Errorf("grades.csv:\n%s", csv)
	}
	// The honest student's hand-graded items are pending, not 0, and the
	// total counts only what check grades.
	if !strings.Contains(csv, "\n3180100001,") || !regexp.MustCompile(`\n3180100001,[^\n]*,pending,[^\n]*,81,81,19,graded,`).MatchString(csv) {
		t.Errorf("grades.csv: the complete submission should read pending for the hand-graded items and 81,81,19 for total, max and pending_max:\n%s", csv)
	}

	// Again: everyone is graded already.
	var log strings.Builder
	if _, err := Grade(context.Background(), subs, Options{Kit: root, Exe: exe, Out: out, Jobs: 2, Progress: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "grading 0 of 9 submissions") {
		t.Errorf("a second run graded again:\n%s", log.String())
	}
}

// TestShardAndMerge grades two shards of a few task-1 submissions and
// merges them: every student once, the same grades as one run.
func TestShardAndMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and grades submissions")
	}
	root := kitRoot(t)
	exe := buildCheck(t)
	base := t.TempDir()
	subs := filepath.Join(base, "submissions")
	os.MkdirAll(subs, 0o755)
	stub := read(t, root, "exercises/task1/task1.go")
	ids := []string{"3180100101", "3180100102", "3180100103", "3180100104"}
	for _, id := range ids {
		os.WriteFile(filepath.Join(subs, "task1_"+id+".go"), stub, 0o644)
	}
	var shards []string
	n := 0
	for i := range 2 {
		out := filepath.Join(base, fmt.Sprintf("shard%d", i))
		reps, err := Grade(context.Background(), subs, Options{Kit: root, Exe: exe, Out: out, Jobs: 2, Shard: i, Shards: 2, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reps {
			if ShardOf(r.ID, 2) != i {
				t.Errorf("%s graded in shard %d", r.ID, i)
			}
		}
		n += len(reps)
		shards = append(shards, out)
	}
	if n != len(ids) {
		t.Errorf("%d students graded over the shards, want %d", n, len(ids))
	}
	merged := filepath.Join(base, "merged")
	reps, err := Merge(merged, shards)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != len(ids) || !strings.Contains(string(read(t, merged, GradesCSV)), ids[3]) {
		t.Errorf("merged %d students", len(reps))
	}
	if _, err := Merge(filepath.Join(base, "twice"), []string{shards[0], shards[0]}); err == nil {
		t.Error("merging a shard twice should fail")
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestGradeAttacksReal: attacks on `check grade` that need the real
// checker and go command (the fake grade-one of TestGradeAttacks stands
// in for them elsewhere).
func TestGradeAttacksReal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the check command")
	}
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, subs string)
		check func(t *testing.T, r *StudentReport)
	}{
		{
			// 2. A broken build cache made every student's build fail,
			// recorded as the student's build error and a 0.
			name: "build-cache-broken-is-grader-error",
			setup: func(t *testing.T, subs string) {
				root := kitRoot(t)
				writeZip(t, filepath.Join(subs, ZipName("3180100201")), []zipEntry{
					{name: "task1_3180100201.go", data: solutionTask(t, root, "task1")},
					{name: "conceptual_3180100201.go", data: read(t, root, "conceptual/reference/p1.go")},
				})
				notADir := filepath.Join(t.TempDir(), "gocache")
				os.WriteFile(notADir, nil, 0o644)
				t.Setenv("GOCACHE", notADir)
			},
			check: func(t *testing.T, r *StudentReport) {
				if r.State() != StatusGraderError {
					t.Errorf("status %s, want %s", r.State(), StatusGraderError)
				}
				for _, res := range r.Results {
					if (res.Task == "task1" || res.Item == "P1 dL/dS") && res.Status != GraderError {
						t.Errorf("%s/%s: %s %q, want %s", res.Task, res.Item, res.Status, res.Reason, GraderError)
					}
					if res.Status == checker.BuildFailed {
						t.Errorf("%s/%s is the student's build error: %q", res.Task, res.Item, res.Reason)
					}
				}
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := kitRoot(t)
			exe := buildCheck(t) // before setup changes the go command's environment
			base := t.TempDir()
			subs := filepath.Join(base, "submissions")
			os.MkdirAll(subs, 0o755)
			c.setup(t, subs)
			out := filepath.Join(base, "results")
			reps, err := Grade(context.Background(), subs, Options{Kit: root, Exe: exe, Out: out, Jobs: 1, Progress: testWriter{t}})
			if err != nil {
				t.Fatal(err)
			}
			if len(reps) != 1 {
				t.Fatalf("%d reports, want 1", len(reps))
			}
			t.Logf("%s", read(t, out, "students/"+reps[0].ID+"/report.txt"))
			c.check(t, reps[0])
		})
	}
}
