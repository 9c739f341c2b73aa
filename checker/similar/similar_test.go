package similar

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"nnkit/checker/distrib"
)

// root is the module root, from this package's folder.
const root = "../.."

// hashesOf is the normalised token stream of every unit of src (one
// file), as hashes, one slice per unit in file order.
func hashesOf(t *testing.T, src string) [][]uint64 {
	t.Helper()
	var out [][]uint64
	for _, u := range taskUnits([]File{{Name: "x.go", Text: src}}) {
		var hs []uint64
		for _, tk := range u.toks {
			hs = append(hs, tk.h)
		}
		out = append(out, hs)
	}
	return out
}

// sortedUnits is hashesOf with the units sorted, for disguises that
// reorder functions.
func sortedUnits(t *testing.T, src string) [][]uint64 {
	us := hashesOf(t, src)
	slices.SortFunc(us, func(a, b []uint64) int { return slices.Compare(a, b) })
	return us
}

const normOrig = `package p

import "gonum.org/v1/gonum/mat"

// Scale multiplies.
func Scale(X *mat.Dense, k float64) *mat.Dense {
	r, c := X.Dims()
	out := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			v := X.At(i, j) * k
			if v > 0 {
				out.Set(i, j, v+1)
			}
		}
	}
	return out
}

func sum(xs []float64) float64 {
	s := 0.0
	for i := 0; i < len(xs); i++ {
		s += xs[i]
	}
	return s
}
`

// TestNormaliseSame: each disguise gives the same token streams as the
// original (sorted by unit when it reorders functions).
func TestNormaliseSame(t *testing.T) {
	cases := []struct {
		name, src string
	}{
		{"renamed, recommented and reformatted", `package p
import gm "gonum.org/v1/gonum/mat"
/* the scaling */
func Scale(M *gm.Dense, factor float64) *gm.Dense { rows, cols := M.Dims()
	res := gm.NewDense(rows, cols, nil) // result
	for a := 0; a < rows; a++ { for b := 0; b < cols; b++ {
			val := M.At(a, b) * factor
			if val > 0 { res.Set(a, b, val+1) } } }
	return res
}
func total(values []float64) float64 { acc := 0.0
	for n := 0; n < len(values); n++ { acc += values[n] }
	return acc }
`},
		{"range loops, swapped operands, long forms", `package p

import "gonum.org/v1/gonum/mat"

func Scale(X *mat.Dense, k float64) *mat.Dense {
	r, c := X.Dims()
	out := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			v := k * X.At(i, j)
			if 0 < v {
				out.Set(i, j, (1 + v))
			}
		}
	}
	return out
}

func sum(xs []float64) float64 {
	s := 0.0
	for i := range xs {
		s = xs[i] + s
	}
	return s
}
`},
		{"functions reordered", `package p

import "gonum.org/v1/gonum/mat"

func sum(xs []float64) float64 {
	s := 0.0
	for i := 0; i < len(xs); i++ {
		s += xs[i]
	}
	return s
}

func Scale(X *mat.Dense, k float64) *mat.Dense {
	r, c := X.Dims()
	out := mat.NewDense(r, c, nil)
	for i := 0; r > i; i += 1 {
		for j := 0; j < c; j++ {
			v := X.At(i, j) * k
			if v > 0 {
				out.Set(i, j, v+1)
			}
		}
	}
	return out
}
`},
	}
	want := sortedUnits(t, normOrig)
	if len(want) != 2 {
		t.Fatalf("the original gives %d units, expected 2 (its two functions)", len(want))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := sortedUnits(t, c.src)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the disguised code normalises differently from the original:\n got %d units, lengths %v\nwant %d units, lengths %v", len(got), lens(got), len(want), lens(want))
			}
		})
	}
}

func lens(us [][]uint64) []int {
	var n []int
	for _, u := range us {
		n = append(n, len(u))
	}
	return n
}

// TestNormaliseDifferent: changes that alter what the code does change
// the tokens.
func TestNormaliseDifferent(t *testing.T) {
	orig := hashesOf(t, normOrig)
	cases := []struct{ name, from, to string }{
		{"another operator", "X.At(i, j) * k", "X.At(i, j) / k"},
		{"another library call", "mat.NewDense(r, c, nil)", "mat.NewVecDense(r, nil)"},
		{"another comparison", "if v > 0", "if v >= 0"},
		{"a literal of another kind", "s := 0.0", `s := "0"`},
		{"a loop from 1", "for i := 0; i < r; i++", "for i := 1; i < r; i++"},
		{"a non-commutative operand order", "v+1", "v-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(normOrig, c.from, c.to, 1)
			if src == normOrig {
				t.Fatalf("%q is not in the test's source", c.from)
			}
			if reflect.DeepEqual(hashesOf(t, src), orig) {
				t.Errorf("replacing %q by %q leaves the tokens as they were", c.from, c.to)
			}
		})
	}
}

// TestNormaliseSwap: swapping statements that do not depend on each
// other changes nothing; swapping dependent ones, or two calls, does.
func TestNormaliseSwap(t *testing.T) {
	const orig = `package p

func F(a, b []float64, m *M) float64 {
	x := a[0] * 2
	y := b[0] + 1
	var w float64
	z := x + y
	m.Add(x)
	m.Mul(y)
	return z + w
}
`
	cases := []struct {
		name, from, to string
		same           bool
	}{
		{"independent definitions", "x := a[0] * 2\n\ty := b[0] + 1", "y := b[0] + 1\n\tx := a[0] * 2", true},
		{"a declaration moved up", "y := b[0] + 1\n\tvar w float64", "var w float64\n\ty := b[0] + 1", true},
		{"a use before its definition", "y := b[0] + 1\n\tvar w float64\n\tz := x + y", "z := x + y\n\ty := b[0] + 1\n\tvar w float64", false},
		{"two calls", "m.Add(x)\n\tm.Mul(y)", "m.Mul(y)\n\tm.Add(x)", false},
		{"a call and what it reads", "z := x + y\n\tm.Add(x)", "m.Add(x)\n\tz := x + y", false},
	}
	want := hashesOf(t, orig)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(orig, c.from, c.to, 1)
			if src == orig {
				t.Fatalf("%q is not in the test's source", c.from)
			}
			if same := reflect.DeepEqual(hashesOf(t, src), want); same != c.same {
				t.Errorf("swapped: same tokens %v, expected %v", same, c.same)
			}
		})
	}
}

// TestNormaliseBroken: a file with a syntax error gives what the parser
// recovers, code without a package clause goes through the scanner, one
// unit per top-level func; either way renaming changes nothing.
func TestNormaliseBroken(t *testing.T) {
	const a = "package p\nimport \"math\"\nfunc F(x float64) float64 {\n\treturn math.Sqrt(x) +\n}\nfunc G(y int) int { return y * 2 }\n"
	const b = "package p\nimport \"math\"\n// renamed\nfunc H(z float64) float64 {\n\treturn math.Sqrt(z) +\n}\nfunc K(w int) int {\n\treturn w * 2\n}\n"
	for _, c := range []struct {
		name, a, b string
		units      int
	}{
		{"a syntax error", a, b, 2},
		{"no package clause", strings.TrimPrefix(a, "package p\n"), strings.TrimPrefix(b, "package p\n"), 3},
	} {
		ua, ub := hashesOf(t, c.a), hashesOf(t, c.b)
		if len(ua) != c.units {
			t.Errorf("%s: %d units, expected %d", c.name, len(ua), c.units)
		}
		if !reflect.DeepEqual(ua, ub) {
			t.Errorf("%s: renaming the names changes the tokens", c.name)
		}
	}
}

// TestBrokenCopy: a copy of the solution with one closing brace deleted
// still scores high against it.
func TestBrokenCopy(t *testing.T) {
	sol := readTask(t, filepath.Join(root, "solutions/task1"))
	lines := strings.Split(sol[0].Text, "\n")
	cut := slices.Index(lines, "}")
	if cut < 0 {
		t.Fatal("no line holding only } in the task 1 solution")
	}
	broken := strings.Join(slices.Delete(slices.Clone(lines), cut, cut+1), "\n")
	students := []Student{
		{ID: "3180100001", Tasks: map[string][]File{"task1": sol}},
		{ID: "3180100002", Tasks: map[string][]File{"task1": {{Name: "task1.go", Text: broken}}}},
	}
	r, err := Compare(students, kitBase(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pairs) != 1 || r.Pairs[0].Score < 0.7 {
		t.Errorf("the solution and its copy without the } of line %d: pairs %+v, expected one scoring at least 0.7", cut+1, r.Pairs)
	}
}

// TestWinnow checks the guarantees of winnowing on random hashes: every
// window holds a selected position, ties go to the rightmost, and a
// short stream gives its minimum.
func TestWinnow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ n, w, vals int }{{1, 4, 10}, {3, 4, 10}, {4, 4, 3}, {50, 4, 5}, {200, 8, 1000}, {200, 1, 7}} {
		h := make([]uint64, tc.n)
		for i := range h {
			h[i] = uint64(rng.IntN(tc.vals))
		}
		sel := winnow(h, tc.w)
		if !slices.IsSorted(sel) || len(slices.Compact(slices.Clone(sel))) != len(sel) {
			t.Fatalf("n=%d w=%d: positions %v not strictly increasing", tc.n, tc.w, sel)
		}
		for i := 0; i+tc.w <= tc.n || i == 0; i++ {
			to := min(i+tc.w, tc.n)
			m := rightmostMin(h, i, to)
			if !slices.Contains(sel, int32(m)) {
				t.Fatalf("n=%d w=%d: the rightmost minimum %d of window [%d, %d) is not selected (selected %v)", tc.n, tc.w, m, i, to, sel)
			}
			if to == tc.n {
				break
			}
		}
	}
}

// TestKgramsRolling: the rolling hash equals hashing each k-gram afresh.
func TestKgramsRolling(t *testing.T) {
	toks := make([]tok, 40)
	for i := range toks {
		toks[i].h = uint64(i*i*7919 + 3)
	}
	k := 6
	got := kgrams(toks, k)
	for i := range len(toks) - k + 1 {
		if fresh := kgrams(toks[i:i+k], k); len(fresh) != 1 || fresh[0] != got[i] {
			t.Fatalf("k-gram %d: rolling hash %x, afresh %v", i, got[i], fresh)
		}
	}
	if kgrams(toks[:k-1], k) != nil {
		t.Errorf("fewer than k tokens give k-grams")
	}
}

// readTask reads the Go files of one folder as a task's files.
func readTask(t testing.TB, dir string) []File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no Go files in %s (%v)", dir, err)
	}
	var fs []File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, File{Name: filepath.Base(n), Text: string(b)})
	}
	return fs
}

func kitBase(t testing.TB) Base {
	t.Helper()
	b, err := KitBase(root)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBaseSubtraction: two students who submit the untouched stubs share
// nothing of their own, so no pair scores; a student with the solution
// and one with a renamed copy of it score 1 against each other, and not
// against a stub.
func TestBaseSubtraction(t *testing.T) {
	base := kitBase(t)
	var students []Student
	for _, id := range []string{"3180100001", "3180100002"} {
		s := Student{ID: id, Tasks: map[string][]File{}}
		for task, fs := range base {
			s.Tasks[task] = fs
		}
		students = append(students, s)
	}
	r, err := Compare(students, base, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Pairs {
		t.Errorf("two untouched stub submissions: pair %s %s on %s scores %.3f (share %.3f/%.3f), expected no pair", p.A, p.B, p.Task, p.Score, p.ShareA, p.ShareB)
	}
	for task, c := range r.Counts {
		for id, n := range c {
			if n != 0 {
				t.Errorf("%s's untouched stub of %s keeps %d fingerprints, expected 0", id, task, n)
			}
		}
	}
	if len(r.Tasks) != 5 {
		t.Errorf("tasks compared %v, expected task1 .. task4 and conceptual.go", r.Tasks)
	}

	sol := readTask(t, filepath.Join(root, "solutions/task2"))
	var copied []File
	for _, f := range sol {
		copied = append(copied, File{Name: f.Name, Text: renameLocals(t, f.Text)})
	}
	students = append(students,
		Student{ID: "3180100003", Tasks: map[string][]File{"task2": sol}},
		Student{ID: "3180100004", Tasks: map[string][]File{"task2": copied}})
	r, err = Compare(students, base, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pairs) != 1 {
		t.Fatalf("got %d pairs, expected 1 (the solution and its copy): %+v", len(r.Pairs), r.Pairs)
	}
	p := r.Pairs[0]
	if p.A != "3180100003" || p.B != "3180100004" || p.Task != "task2" || p.Score != 1 || p.ShareA != 1 || p.ShareB != 1 {
		t.Errorf("the solution and its renamed copy: %s %s %s score %v shares %v %v, expected task2 3180100003 3180100004 scoring 1, 1, 1", p.Task, p.A, p.B, p.Score, p.ShareA, p.ShareB)
	}
	if p.Longest < 30 || len(p.Matches) == 0 || p.Matches[0].Tokens != p.Longest {
		t.Errorf("longest run %d tokens, matches %+v: expected a run of at least 30 tokens, Matches[0] the longest", p.Longest, p.Matches)
	}
	// The longest run lies in TrainTorch, the student's own code, on both
	// sides (the copy keeps every line where it was).
	lines := strings.Split(sol[0].Text, "\n")
	if m := p.Matches[0]; m.A != m.B || !strings.Contains(strings.Join(lines[m.A.From-1:m.A.To], "\n"), "Backward") {
		t.Errorf("the longest match is lines %d-%d of A and %d-%d of B: expected the same lines of TrainTorch's loop on both sides", m.A.From, m.A.To, m.B.From, m.B.To)
	}
	if r.Counts["task2"]["3180100003"] == 0 || r.Counts["task2"]["3180100001"] != 0 {
		t.Errorf("counts %v: expected fingerprints for the solution, none for the stub", r.Counts["task2"])
	}
}

// renameLocals renames the parameters and variables of the task 2
// solution the way a student hiding a copy would: every identifier of
// that name, through go/ast.
func renameLocals(t *testing.T, src string) string {
	t.Helper()
	names := map[string]string{"net": "model", "X": "inputs", "batchSize": "bs", "numEpochs": "epochs", "loss": "cost", "opt": "sgd", "lo": "start", "hi": "end", "data": "buf"}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(nd ast.Node) bool {
		if id, ok := nd.(*ast.Ident); ok && names[id.Name] != "" {
			id.Name = names[id.Name]
			n++
		}
		return true
	})
	if n < 20 {
		t.Fatalf("renamed %d identifiers, expected the solution's many", n)
	}
	var b bytes.Buffer
	if err := printer.Fprint(&b, fset, f); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestCompareDeterministic: the Result does not depend on the number of
// goroutines or on the order of the students.
func TestCompareDeterministic(t *testing.T) {
	base := kitBase(t)
	students := generate(t, 30, 7)
	r1, err := Compare(students, base, Options{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	rev := slices.Clone(students)
	slices.Reverse(rev)
	r4, err := Compare(rev, base, Options{Jobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(r1.Pairs) == 0 {
		t.Fatal("the generated students share nothing: the test shows nothing")
	}
	if !reflect.DeepEqual(r1, r4) {
		t.Errorf("Jobs 1 and Jobs 4 (students reversed) give different results: %d and %d pairs", len(r1.Pairs), len(r4.Pairs))
	}
	if _, err := Compare(append(students, students[0]), base, Options{}); err == nil || !strings.Contains(err.Error(), students[0].ID) {
		t.Errorf("a duplicate ID: error %v, expected one naming %s", err, students[0].ID)
	}
}

func TestWriteCSV(t *testing.T) {
	r := &Result{
		Files: map[string]Student{
			"3180100001": {ID: "3180100001", Tasks: map[string][]File{"task1": {{Name: "task1_3180100001.go"}}}},
			"=cmd":       {ID: "=cmd", Tasks: map[string][]File{"task1": {{Name: "a.go"}, {Name: "b,c.go"}}}},
		},
		Pairs: []Pair{
			{Task: "task1", A: "3180100001", B: "=cmd", ShareA: 0.5, ShareB: 0.25, Score: 0.5, Longest: 40,
				Matches: []Match{{A: Span{0, 3, 9}, B: Span{1, 10, 17}, Tokens: 40}, {A: Span{0, 20, 21}, B: Span{0, 2, 3}, Tokens: 15}}},
			{Task: "task1", A: "3180100001", B: "=cmd", Score: 0.1},
		},
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not read back: %v\n%s", err, b.String())
	}
	want := [][]string{
		CSVHeader,
		{"task1", "3180100001", "'=cmd", "0.500", "0.500", "0.250", "40", "task1_3180100001.go:3-9", "b,c.go:10-17", "2"},
		{"task1", "3180100001", "'=cmd", "0.100", "0.000", "0.000", "0", "", "", "0"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("CSV rows\n got %q\nwant %q", rows, want)
	}
}

// TestLoad reads a folder holding a zip, a folder, an empty zip and a
// results folder, as check grade would; only the first two have Go code.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	zpath := filepath.Join(dir, "3180100001_assignment2.zip")
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for name, text := range map[string]string{
		"task1_3180100001.go":                         "package task1\n",
		"lenet_3180100001.go":                         "package task3\n\nfunc A() {}\n",
		"train_3180100001.go":                         "package task3\n\nfunc B() {}\n",
		"3180100001_answers/conceptual_3180100001.go": "package answers\n",
		"conceptual_3180100001.pdf":                   "%PDF",
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(text))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(zpath, zb.Bytes(), 0o644))
	must(t, os.MkdirAll(filepath.Join(dir, "3180100002"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "3180100002", "task2_3180100002.go"), []byte("package task2\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "3180100003_assignment2.zip"), nil, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644))
	// check grade's results folder among the submissions: no Go code, no student.
	must(t, os.MkdirAll(filepath.Join(dir, "results", "students", "3180100001"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "results", "grades.csv"), []byte("id,total\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "results", "students", "3180100001", "report.txt"), []byte("20/20"), 0o644))

	students, warnings, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string][]string{}
	for _, s := range students {
		got[s.ID] = map[string][]string{}
		for task, fs := range s.Tasks {
			for _, f := range fs {
				got[s.ID][task] = append(got[s.ID][task], f.Name)
			}
		}
	}
	want := map[string]map[string][]string{
		"3180100001": {"task1": {"task1_3180100001.go"}, "task3": {"lenet_3180100001.go", "train_3180100001.go"}, "conceptual.go": {"3180100001_answers/conceptual_3180100001.go"}},
		"3180100002": {"task2": {"task2_3180100002.go"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load read\n %v\nexpected\n %v", got, want)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "notes.txt") {
		t.Errorf("warnings %q: expected one about notes.txt", warnings)
	}
	if _, _, err := Load(filepath.Join(dir, "nothing")); err == nil {
		t.Errorf("Load of a missing folder: no error")
	}
}

// TestLoadWarnsOfIgnoredCode: a loose file for an ID that also has a
// folder is a duplicate the comparison leaves out, as grading does, and
// Load says so.
func TestLoadWarnsOfIgnoredCode(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "3180100001"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "3180100001", "task2_3180100001.go"), []byte("package task2\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "task1_3180100001.go"), []byte("package task1\n"), 0o644))
	students, warnings, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(students) != 1 {
		t.Fatalf("Load read %d students, expected 1", len(students))
	}
	found := false
	for _, w := range warnings {
		found = found || (strings.HasPrefix(w, "3180100001: ") && strings.Contains(w, "ignored"))
	}
	if !found {
		t.Errorf("warnings %q: expected one saying 3180100001's other submission was ignored", warnings)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestKitBase reads the kit's stubs, prefers a student copy's pristine
// stubs over its (edited) exercises, and refuses a folder that is no kit.
func TestKitBase(t *testing.T) {
	if stubsDir != distrib.StubsDir {
		t.Fatalf("stubsDir %q, distrib.StubsDir %q: they must agree", stubsDir, distrib.StubsDir)
	}
	b := kitBase(t)
	var names []string
	for task, fs := range b {
		for _, f := range fs {
			names = append(names, task+"/"+f.Name)
		}
	}
	slices.Sort(names)
	want := []string{"conceptual.go/p1.go", "task1/task1.go", "task2/task2.go", "task3/lenet.go", "task3/train.go", "task4/resnet.go"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("KitBase(the kit) = %v, expected %v", names, want)
	}

	copyRoot := t.TempDir()
	for _, task := range []string{"task1", "task2", "task3", "task4"} {
		must(t, os.MkdirAll(filepath.Join(copyRoot, "exercises", task), 0o755))
		must(t, os.WriteFile(filepath.Join(copyRoot, "exercises", task, "mine.go"), []byte("package "+task+"\n"), 0o644))
	}
	must(t, os.MkdirAll(filepath.Join(copyRoot, stubsDir, "task1"), 0o755))
	must(t, os.WriteFile(filepath.Join(copyRoot, stubsDir, "task1", "task1.go"), []byte("package task1\n"), 0o644))
	must(t, os.MkdirAll(filepath.Join(copyRoot, "conceptual", "answers"), 0o755))
	must(t, os.WriteFile(filepath.Join(copyRoot, "conceptual", "answers", "p1.go"), []byte("package answers\n"), 0o644))
	cb, err := KitBase(copyRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(cb["task1"]) != 1 || cb["task1"][0].Name != "task1.go" || cb["task2"][0].Name != "mine.go" {
		t.Errorf("a student copy: task1 base %v, task2 base %v: expected the pristine stub task1.go, then exercises' mine.go", cb["task1"], cb["task2"])
	}
	if _, err := KitBase(t.TempDir()); err == nil || !strings.Contains(err.Error(), "exercises") {
		t.Errorf("KitBase of an empty folder: error %v, expected one naming where the stubs should be", err)
	}
}

// TestNormaliseUnusedIndex: an index loop whose index goes unused can
// only become a range loop without a variable (Go rejects an unused one),
// and the two normalise alike; so do a range over a slice with and
// without its key.
func TestNormaliseUnusedIndex(t *testing.T) {
	cases := []struct{ name, a, b string }{
		{"index loop and range n", "for i := 0; i < n; i++ { step() }", "for range n { step() }"},
		{"range with and without its key", "for _ = range xs { step() }", "for range xs { step() }"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := func(loop string) string {
				return "package p\n\nfunc step() {}\n\nfunc run(n int, xs []int) {\n\t" + loop + "\n}\n"
			}
			a, b := hashesOf(t, src(c.a)), hashesOf(t, src(c.b))
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%q and %q normalise differently: %d and %d units, lengths %v and %v", c.a, c.b, len(a), len(b), lens(a), lens(b))
			}
		})
	}
}
