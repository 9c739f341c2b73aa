package grading

import (
	"archive/zip"
	"bytes"
	"context"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"nnkit/checker"
)

// miniKit is a module laid out as the kit is, with tiny packages that
// build in a moment: task 3 in two files (lenet.go, train.go) with the
// imports given.
func miniKit(t *testing.T, lenetImport, trainImport string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"go.mod":                         "module nnkit\n\ngo 1.26\n",
		"exercises/task1/task1.go":       "package task1\n\nfunc Relu(x float64) float64 { return max(x, 0) }\n",
		"exercises/task1/task1_test.go":  "package task1\n",
		"exercises/task2/task2.go":       "package task2\n\nfunc F() {}\n",
		"exercises/task4/task4.go":       "package task4\n\nfunc F() {}\n",
		"exercises/task3/lenet.go":       "// Package task3 is LeNet.\npackage task3\n\nimport " + lenetImport + "\n\n// Layers is the net.\nfunc Layers() float64 { return rand.Float64() + Epochs() }\n",
		"exercises/task3/train.go":       "package task3\n\nimport " + trainImport + "\n\n// Epochs are the epochs.\nfunc Epochs() float64 { return math.Sqrt(rand.Float64()) }\n",
		"conceptual/answers/answers.txt": "p3.parameters = 545098\n",
		"conceptual/answers/p1.go":       "package answers\n\nfunc DLdS() {}\n",
		"conceptual/answers/p2.md":       "# Problem 2\n\n### Your answer\n\nfaster\n",
		"conceptual/answers/p4.md":       "∂E/∂z = q − p\n",
		"conceptual/answers/p6.md":       "vanishing\n",
	}
	for n, s := range files {
		p := filepath.Join(root, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// zipContents reads every entry of the zip at p.
func zipContents(t *testing.T, p string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = b
	}
	return out
}

// TestSubmitLayout: check submit writes the course's five files at the
// zip's top level and the graded answers under ID_answers/, task 3
// merged into one file that compiles, and check grade reads it all back
// without a flag.
func TestSubmitLayout(t *testing.T) {
	const id = "3180100111"
	pdfHead := []byte("%PDF-1.4 a scan\n%%EOF\n")
	for _, c := range []struct {
		name         string
		lenet, train string            // task 3's imports
		own          map[string][]byte // files put in conceptual/answers
		err          string            // "": submitted
		ownPDF       bool
	}{
		{name: "rendered PDF", lenet: `"math/rand"`, train: "(\n\t\"math\"\n\t\"math/rand\"\n)"},
		{name: "the student's own PDF", lenet: `"math/rand"`, train: "(\n\t\"math\"\n\t\"math/rand\"\n)",
			own: map[string][]byte{"handwritten.pdf": pdfHead}, ownPDF: true},
		{name: "two PDFs", lenet: `"math/rand"`, train: `"math"` + "\nimport \"math/rand\"",
			own: map[string][]byte{"a.pdf": pdfHead, "b.PDF": pdfHead}, err: "holds 2 PDFs (a.pdf, b.PDF): keep exactly one"},
		{name: "a PDF that is not one", lenet: `"math/rand"`, train: `"math"` + "\nimport \"math/rand\"",
			own: map[string][]byte{"answers.pdf": []byte("GIF89a")}, err: `does not start with %PDF-, found "GIF89a"`},
		// Each file compiles with its own import, but one file cannot
		// import two packages as rand: the merged file must not be sent.
		{name: "a merge that does not compile", lenet: `"math/rand"`, train: "(\n\t\"math\"\n\trand \"math/rand/v2\"\n)",
			err: "your code does not compile"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := miniKit(t, c.lenet, c.train)
			for n, b := range c.own {
				if err := os.WriteFile(filepath.Join(root, "conceptual", "answers", n), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := t.TempDir()
			got, err := Submit(context.Background(), root, id, SubmitOptions{Out: out, Date: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), Kit: kitRoot(t)})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				if ents, _ := os.ReadDir(out); len(ents) > 0 {
					t.Errorf("a refused submission left %v", ents)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			files := zipContents(t, got.Zip)
			var names []string
			for n := range files {
				names = append(names, n)
			}
			slices.Sort(names)
			want := []string{id + "_answers/conceptual_" + id + ".go", id + "_answers/conceptual_" + id + ".txt",
				id + "_answers/conceptual_" + id + "_p2.md", id + "_answers/conceptual_" + id + "_p4.md", id + "_answers/conceptual_" + id + "_p6.md",
				"conceptual_" + id + ".pdf", "task1_" + id + ".go", "task2_" + id + ".go", "task3_" + id + ".go", "task4_" + id + ".go"}
			if !slices.Equal(names, want) || !slices.Equal(got.Names, want) {
				t.Errorf("the zip holds %v (reported %v), want %v", names, got.Names, want)
			}
			pdf := files["conceptual_"+id+".pdf"]
			if c.ownPDF != (got.OwnPDF != "") || c.ownPDF && !bytes.Equal(pdf, pdfHead) || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Errorf("the PDF: own %q, %d bytes starting %q", got.OwnPDF, len(pdf), pdf[:min(8, len(pdf))])
			}
			t3, err := parser.ParseFile(token.NewFileSet(), "task3.go", files["task3_"+id+".go"], parser.ParseComments)
			if err != nil {
				t.Fatalf("the merged task 3 does not parse: %v", err)
			}
			if len(t3.Imports) != 2 || t3.Doc == nil || len(t3.Decls) != 3 {
				t.Errorf("the merged task 3: %d imports, doc %v, %d declarations; want 2, the package doc, 3:\n%s", len(t3.Imports), t3.Doc != nil, len(t3.Decls), files["task3_"+id+".go"])
			}
			if ents, _ := os.ReadDir(out); len(ents) != 1 {
				t.Errorf("the out folder holds %d files: a temporary file left behind?", len(ents))
			}
			subs, warnings, err := Discover(got.Zip, DefaultLimits)
			if err != nil || len(subs) != 1 || len(warnings) > 0 {
				t.Fatalf("Discover: %v, %d submissions, warnings %v", err, len(subs), warnings)
			}
			s := subs[0]
			if s.ID != id || len(s.Flags) > 0 || s.PDF != "conceptual_"+id+".pdf" || len(s.Files) != len(Parts()) {
				t.Errorf("check grade reads it as %s, PDF %q, %d parts, flags %v, notes %q", s.ID, s.PDF, len(s.Files), s.Flags, s.Notes)
			}
		})
	}
}

// TestDiscoverInputs: what check grade makes of empty, old-style and
// odd inputs.
func TestDiscoverInputs(t *testing.T) {
	const id = "3180100111"
	full := merge(conceptualFiles(id), map[string][]byte{"task1_" + id + ".go": fullTask("task1"), "task2_" + id + ".go": fullTask("task2"),
		"task3_" + id + ".go": fullTask("task3"), "task4_" + id + ".go": fullTask("task4")})
	inFolder := map[string][]byte{"conceptual_" + id + ".pdf": []byte("%PDF-1.4\n")}
	for n, b := range full {
		if strings.HasPrefix(n, "conceptual") {
			n = id + "_answers/" + n
		}
		inFolder[n] = b
	}
	for _, c := range []struct {
		name   string
		target string // relative to the folder made; "" the folder itself
		make   func(t *testing.T, dir string)
		err    string   // Discover's error
		empty  bool     // the one submission is empty
		flags  []string // its flags, exactly
		notes  []string // in its notes
	}{
		{name: "the new layout", target: ZipName(id), make: func(t *testing.T, dir string) { zipFiles(t, filepath.Join(dir, ZipName(id)), inFolder) }},
		{name: "the old flat layout: graded, no PDF flagged", target: ZipName(id), make: func(t *testing.T, dir string) { zipFiles(t, filepath.Join(dir, ZipName(id)), full) },
			flags: []string{"no-pdf"}, notes: []string{"missing: conceptual_" + id + ".pdf"}},
		{name: "task 3 in the kit's two files", target: ZipName(id), make: func(t *testing.T, dir string) {
			files := merge(inFolder, map[string][]byte{"lenet.go": goSrc("task3", []string{"LeNet"}), "train.go": goSrc("task3", []string{"TrainCNN"})})
			delete(files, "task3_"+id+".go")
			zipFiles(t, filepath.Join(dir, ZipName(id)), files)
		}, notes: []string{"task3 is graded from 2 files of one package: lenet.go, train.go"}},
		{name: "an empty zip", target: ZipName(id), make: func(t *testing.T, dir string) { zipFiles(t, filepath.Join(dir, ZipName(id)), nil) },
			empty: true, flags: []string{"empty"}, notes: []string{"the zip " + ZipName(id) + " is empty"}},
		{name: "a zero-byte zip", target: ZipName(id), make: func(t *testing.T, dir string) { os.WriteFile(filepath.Join(dir, ZipName(id)), nil, 0o644) },
			empty: true, flags: []string{"empty"}, notes: []string{"is empty"}},
		{name: "an empty folder", make: func(t *testing.T, dir string) { os.Mkdir(filepath.Join(dir, id), 0o755) },
			empty: true, flags: []string{"empty"}, notes: []string{"the folder " + id + "/ is empty"}},
		{name: "a PDF misnamed and a second one", target: ZipName(id), make: func(t *testing.T, dir string) {
			zipFiles(t, filepath.Join(dir, ZipName(id)), merge(full, map[string][]byte{"scan.pdf": []byte("%PDF"), "more.pdf": []byte("%PDF")}))
		}, flags: []string{"misnamed", "duplicate"}, notes: []string{"misnamed: more.pdf should be conceptual_" + id + ".pdf", "two PDFs: more.pdf is the conceptual answers, scan.pdf is ignored"}},
		{name: "no such path", target: "nowhere", make: func(*testing.T, string) {},
			err: "nowhere does not exist: expected a folder of submissions or one submission zip"},
		{name: "a named pipe", target: "fifo", make: func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
				t.Skip(err)
			}
		}, err: "fifo is a named pipe: expected a folder of submissions or one submission zip"},
		{name: "a file that is not a submission", target: "notes.txt", make: func(t *testing.T, dir string) { os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644) },
			err: "found a file without an ID that is not a zip"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.make(t, dir)
			subs, _, err := Discover(filepath.Join(dir, c.target), DefaultLimits)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || len(subs) != 1 {
				t.Fatalf("err %v, %d submissions", err, len(subs))
			}
			s := subs[0]
			slices.Sort(s.Flags)
			slices.Sort(c.flags)
			if s.Empty != c.empty || !slices.Equal(s.Flags, c.flags) {
				t.Errorf("empty %v, flags %v; want %v, %v; notes:\n%s", s.Empty, s.Flags, c.empty, c.flags, strings.Join(s.Notes, "\n"))
			}
			for _, n := range c.notes {
				if !strings.Contains(strings.Join(s.Notes, "\n"), n) {
					t.Errorf("no note %q in\n%s", n, strings.Join(s.Notes, "\n"))
				}
			}
			if c.empty && len(s.Notes) != 1 {
				t.Errorf("an empty submission gets one note, got %q", s.Notes)
			}
		})
	}
}

// TestOwnPDFLimit: a PDF over the limit is refused with what to do.
func TestOwnPDFLimit(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "scan.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("%PDF-1.4\n")
	f.Truncate(MaxOwnPDF + 1) // sparse
	f.Close()
	if _, _, err := ownPDF(dir); err == nil || !strings.Contains(err.Error(), "larger than 20 MiB") {
		t.Errorf("err = %v", err)
	}
}

// TestSubmitAttacks: what a careless or hostile kit makes of check
// submit. The zip holds what go build compiles and what check grade
// reads, or nothing is written.
func TestSubmitAttacks(t *testing.T) {
	const id = "3180100111"
	write := func(t *testing.T, root, rel, s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(rel)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, root string)
		err   string // "": submitted
		task3 string // submitted: what the merged task 3 must not hold
	}{
		{name: "a scratch file left out by //go:build ignore is not merged",
			setup: func(t *testing.T, root string) {
				write(t, root, "exercises/task3/scratch.go", "//go:build ignore\n\npackage main\n\nfunc main() {}\n")
				write(t, root, "exercises/task3/zz_old.go", "//go:build ignore\n\npackage task3\n\nfunc init() { panic(\"old\") }\n\nfunc Epochs() float64 { return 0 }\n")
			}, task3: "panic"},
		{name: "a file for another OS is not merged",
			setup: func(t *testing.T, root string) {
				write(t, root, "exercises/task3/zz_plan9.go", "package task3\n\nfunc init() { println(\"plan9\") }\n")
			}, task3: "plan9"},
		{name: "a symbolic link to an answer in the kit is followed",
			setup: func(t *testing.T, root string) {
				p := filepath.Join(root, "conceptual", "answers", "p6.md")
				os.Rename(p, filepath.Join(root, "p6-draft.md"))
				if err := os.Symlink(filepath.Join("..", "..", "p6-draft.md"), p); err != nil {
					t.Skip(err)
				}
			}},
		{name: "an answer that is a named pipe",
			setup: func(t *testing.T, root string) {
				p := filepath.Join(root, "conceptual", "answers", "p4.md")
				os.Remove(p)
				if err := syscall.Mkfifo(p, 0o644); err != nil {
					t.Skip(err)
				}
			}, err: "p4.md is not a regular file"},
		{name: "an answer linked to /dev/zero",
			setup: func(t *testing.T, root string) {
				p := filepath.Join(root, "conceptual", "answers", "p2.md")
				os.Remove(p)
				if err := os.Symlink("/dev/zero", p); err != nil {
					t.Skip(err)
				}
			}, err: "p2.md is not a regular file"},
		{name: "an answer larger than check grade reads",
			setup: func(t *testing.T, root string) {
				write(t, root, "conceptual/answers/p2.md", strings.Repeat("x", int(DefaultLimits.MaxFileSize)+1))
			}, err: "conceptual_" + id + "_p2.md is 1048577 bytes; check grade reads at most 1048576"},
		{name: "task files larger than check grade reads",
			setup: func(t *testing.T, root string) {
				write(t, root, "exercises/task2/big.go", "package task2\n\n// "+strings.Repeat("x", int(DefaultLimits.MaxFileSize))+"\n")
			}, err: "big.go is larger than the 1048576 bytes check grade reads"},
		{name: "a PDF that is a named pipe",
			setup: func(t *testing.T, root string) {
				if err := syscall.Mkfifo(filepath.Join(root, "conceptual", "answers", "scan.pdf"), 0o644); err != nil {
					t.Skip(err)
				}
			}, err: "scan.pdf is not a regular file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := miniKit(t, `"math/rand"`, "(\n\t\"math\"\n\t\"math/rand\"\n)")
			c.setup(t, root)
			out := t.TempDir()
			done := make(chan struct{})
			var got Submitted
			var err error
			go func() {
				defer close(done)
				got, err = Submit(context.Background(), root, id, SubmitOptions{Out: out, Kit: kitRoot(t)})
			}()
			select {
			case <-done:
			case <-time.After(2 * time.Minute):
				t.Fatal("check submit hangs")
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				if ents, _ := os.ReadDir(out); len(ents) > 0 {
					t.Errorf("a refused submission left %v", ents)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			files := zipContents(t, got.Zip)
			if t3 := string(files["task3_"+id+".go"]); c.task3 != "" && strings.Contains(t3, c.task3) {
				t.Errorf("the merged task 3 holds %q:\n%s", c.task3, t3)
			}
		})
	}
}

// TestGradeInputs grades, with the fake graders, what check grade is
// given: a folder with a student (one item pending hand grading, one
// rule broken) and an empty folder, or one zip by itself; and checks
// grades.csv and the summary.
func TestGradeInputs(t *testing.T) {
	const a, empty = "3180100001", "3180100002"
	student := merge(conceptualFiles(a), map[string][]byte{
		"conceptual_" + a + "_p4.md": []byte("fake:pending"),
		"task1_" + a + ".go":         fullTask("task1"),
		"task2_" + a + ".go":         fullTask("task2", "//fake:rule"),
		"task3_" + a + ".go":         fullTask("task3"),
		"task4_" + a + ".go":         fullTask("task4"),
		"conceptual_" + a + ".pdf":   []byte("%PDF-1.4\n"),
	})
	for _, c := range []struct {
		name   string
		target string // below the submissions folder; "" the folder
		reps   int
	}{
		{name: "a folder with an empty one", reps: 2},
		{name: "one zip by itself", target: ZipName(a), reps: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(envFake, "1")
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			base := t.TempDir()
			subs := filepath.Join(base, "submissions")
			os.Mkdir(subs, 0o755)
			zipFiles(t, filepath.Join(subs, ZipName(a)), student)
			os.Mkdir(filepath.Join(subs, empty), 0o755)
			g := runGrade(t, subs, filepath.Join(subs, c.target), Options{Kit: fakeKit(t), Exe: exe, Out: filepath.Join(base, "results"), Jobs: 1, Seed: 1})
			if g.err != nil || len(g.reps) != c.reps {
				t.Fatalf("err %v, %d reports, want %d", g.err, len(g.reps), c.reps)
			}
			r := g.rep(a)
			row := g.csvRow(a)
			p4 := row["conceptual/"+conceptualItems[6].item]
			if conceptualItems[6].item != "P4 softmax gradient proof" || p4 != "pending" {
				t.Errorf("grades.csv: %s = %q, want pending", conceptualItems[6].item, p4)
			}
			if row["pending_max"] != "8" || row["max"] != "92" || row["total"] != fmtPts(r.Score) || r.Score != 92-taskItem0(t, "task2") {
				t.Errorf("grades.csv: total %s, max %s, pending_max %s; report %v; want %v, 92, 8", row["total"], row["max"], row["pending_max"], r.Score, 92-taskItem0(t, "task2"))
			}
			if !slices.Contains(strings.Fields(row["flags"]), "rule:task2:import=os") {
				t.Errorf("grades.csv flags %q, want rule:task2:import=os", row["flags"])
			}
			summary := string(read(t, g.out, SummaryFile))
			if !strings.Contains(summary, fmtPts(r.Score)+" / 92 +8 pending") {
				t.Errorf("summary.txt does not show the pending points:\n%s", summary)
			}
			if c.reps == 2 {
				if e := g.csvRow(empty); e["status"] != StatusEmpty || e["total"] != "0" {
					t.Errorf("grades.csv for the empty folder: %v", e)
				}
				if !strings.Contains(summary, "1 graded, mean "+fmtPts(r.Score)+".0") || !strings.Contains(summary, "1 empty submission(s), not in the mean") {
					t.Errorf("summary.txt: the empty folder counts in the mean, or is not listed apart:\n%s", summary)
				}
			}
		})
	}
}

// taskItem0 is the points of task's first item (the one the fake rule
// breaks).
func taskItem0(t *testing.T, task string) float64 {
	t.Helper()
	return rubric(task)[0].max
}

func TestShortfall(t *testing.T) {
	row := func(task, item string, score, max float64, st checker.Status) checker.Result {
		return checker.Result{Task: task, Item: item, Score: score, Max: max, Status: st}
	}
	for _, c := range []struct {
		name             string
		rows             []checker.Result
		missing, pending string
	}{
		{name: "full marks, nothing by hand", rows: []checker.Result{row("task1", "Relu", 3, 3, checker.Pass)}},
		{name: "full marks, two items pending", rows: []checker.Result{row("task1", "Relu", 3, 3, checker.Pass),
			row("conceptual", "P2.1", 0, 3, checker.HandGraded), row("conceptual", "P4", 0, 8, checker.HandGraded)},
			pending: "pending hand grading (11 points, not counted above): P2.1, P4"},
		{name: "partial work", rows: []checker.Result{row("task1", "Relu", 3, 3, checker.Pass), row("task2", "Train", 0, 15, checker.NotDone),
			row("task4", "A", 2, 20, checker.Partial), row("task4", "B", 0, 5, checker.RuleBroken), row("conceptual", "P6", 0, 5, checker.NotDone)},
			missing: "warning: your work scores 5 / 48 on what check grades: task2 0/15, task4 2/25, conceptual 0/5 — the zip is written anyway"},
	} {
		t.Run(c.name, func(t *testing.T) {
			missing, pending := Shortfall(checker.Report{Results: c.rows})
			if c.missing == "" && missing != "" || !strings.HasPrefix(missing, c.missing) || pending != c.pending {
				t.Errorf("Shortfall:\n%q\n%q\nwant\n%q\n%q", missing, pending, c.missing, c.pending)
			}
		})
	}
}
