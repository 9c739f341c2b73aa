package grade

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nnkit/checker"
	"nnkit/conceptual"
)

// The closed forms of nnkit/conceptual are a correct answer.
var correct = P1Answers{DLdS: conceptual.DLdS, DLdC: conceptual.DLdC, DLdK: conceptual.DLdK}

func result(t *testing.T, rs []checker.Result, item string) checker.Result {
	t.Helper()
	for _, r := range rs {
		if r.Item == item {
			return r
		}
	}
	t.Fatalf("no item %q in %v", item, rs)
	return checker.Result{}
}

func TestGradeP1Correct(t *testing.T) {
	for _, r := range GradeP1(correct, Seed) {
		if r.Status != checker.Pass || r.Score != r.Max {
			t.Errorf("%s: %v %v/%v: %s", r.Item, r.Status, r.Score, r.Max, r.Reason)
		}
	}
}

func scale(f func(g [][]float64) [][]float64, c float64) func(g [][]float64) [][]float64 {
	return func(g [][]float64) [][]float64 {
		m := f(g)
		for i := range m {
			for j := range m[i] {
				m[i][j] *= c
			}
		}
		return m
	}
}

// TestGradeP1Wrong checks that common slips lose their points with a
// reason that names the slip and never shows the expected values.
func TestGradeP1Wrong(t *testing.T) {
	dS := conceptual.DLdS
	for _, c := range []struct {
		name   string
		a      P1Answers
		item   string
		status checker.Status
		reason string
	}{
		{"missing 1/4", P1Answers{DLdS: scale(dS, 4)}, ItemP1S, checker.Fail, "4 times too large"},
		{"wrong sign", P1Answers{DLdS: scale(dS, -1)}, ItemP1S, checker.Fail, "wrong sign"},
		{"wrong shape", P1Answers{DLdS: func(g [][]float64) [][]float64 { return g }}, ItemP1S, checker.Fail, "should be a 2 x 2 matrix (2n x 2m) for n=1, m=1, k=1; got 1 x 1"},
		{"nil", P1Answers{DLdS: func([][]float64) [][]float64 { return nil }}, ItemP1S, checker.NotDone, "returns nil"},
		{"missing", P1Answers{}, ItemP1K, checker.NotDone, "nil"},
		{"no sigmoid'", P1Answers{DLdC: func(g, S [][]float64) [][]float64 { return dS(g) }}, ItemP1C, checker.Fail, "missing the sigmoid derivative"},
		{"s not s(1-s)", P1Answers{DLdC: func(g, S [][]float64) [][]float64 {
			m := dS(g)
			for i := range m {
				for j := range m[i] {
					m[i][j] *= S[i][j]
				}
			}
			return m
		}}, ItemP1C, checker.Fail, "uses s instead of s(1 - s)"},
		{"rotated kernel", P1Answers{DLdK: func(g, S, X [][]float64, k int) [][]float64 {
			m := conceptual.DLdK(g, S, X, k)
			out := make([][]float64, k)
			for a := range out {
				out[a] = make([]float64, k)
				for b := range out[a] {
					out[a][b] = m[k-1-a][k-1-b]
				}
			}
			return out
		}}, ItemP1K, checker.Fail, "rotated by 180 degrees"},
		{"dS instead of dC", P1Answers{DLdK: func(g, S, X [][]float64, k int) [][]float64 {
			ones := make([][]float64, len(S))
			for i := range ones {
				ones[i] = make([]float64, len(S[i]))
				for j := range ones[i] {
					ones[i][j] = 0.5 // s(1-s) = 1/4 cancels the 4 below
				}
			}
			m := conceptual.DLdK(g, ones, X, k)
			for i := range m {
				for j := range m[i] {
					m[i][j] *= 4
				}
			}
			return m
		}}, ItemP1K, checker.Fail, "sums dL/dS x instead of dL/dC x"},
		{"panic", P1Answers{DLdK: func(g, S, X [][]float64, k int) [][]float64 { panic("index out of range") }}, ItemP1K, checker.Panicked, "panic: index out of range"},
		{"modifies", P1Answers{DLdC: func(g, S [][]float64) [][]float64 { S[0][0] = 0; return conceptual.DLdC(g, S) }}, ItemP1C, checker.InputModified, "changed its arguments"},
	} {
		r := result(t, GradeP1(c.a, Seed), c.item)
		if r.Status != c.status || r.Score != 0 || !strings.Contains(r.Reason, c.reason) {
			t.Errorf("%s: %s %v %v: %q, want %v with %q", c.name, c.item, r.Status, r.Score, r.Reason, c.status, c.reason)
		}
	}
}

func TestGradeP1Timeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the per-call timeout")
	}
	block := make(chan struct{})
	defer close(block)
	r := result(t, GradeP1(P1Answers{DLdS: func([][]float64) [][]float64 { <-block; return nil }}, Seed), ItemP1S)
	if r.Status != checker.TimedOut || !strings.Contains(r.Reason, "no result within") {
		t.Errorf("%v: %s", r.Status, r.Reason)
	}
}

func answers(t *testing.T, text string) Answers {
	t.Helper()
	a, err := ParseAnswers(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestGradeNumbers(t *testing.T) {
	ok := "p5.B = [-0.011616, 0.011616]\np5.W = [[0.988, -0.012], [0.012, -0.988]]\n"
	for _, c := range []struct {
		name, text, item string
		status           checker.Status
		reason           string
	}{
		{"P3 right", "p3.parameters = 545290", ItemP3, checker.Pass, "exact"},
		{"P3 no bias", "p3.parameters = 545056", ItemP3, checker.Fail, "leaves out the biases"},
		{"P3 no BN", "p3.parameters = 545098", ItemP3, checker.Fail, "leaves out BatchNorm2d"},
		{"P3 running stats", "p3.parameters = 545482", ItemP3, checker.Fail, "running mean and variance"},
		{"P3 fraction", "p3.parameters = 12.5", ItemP3, checker.Fail, "should be an integer; found 12.5"},
		{"P3 other", "p3.parameters = 61706", ItemP3, checker.Fail, "not the parameter count"},
		{"P3 empty", "p3.parameters =", ItemP3, checker.NotDone, "no answer"},
		{"W' rounded", ok, ItemP5W, checker.Pass, "within"},
		{"B' rounded", ok, ItemP5B, checker.Pass, "within"},
		{"B' as column", "p5.B = [[-0.0116], [0.0116]]", ItemP5B, checker.Pass, "within"},
		{"W' transposed", "p5.W = [[0.988384, 0.011616], [-0.011616, -0.988384]]", ItemP5W, checker.Fail, "transpose"},
		{"W' wrong sign", "p5.W = [[1.011616, 0.011616], [-0.011616, -1.011616]]", ItemP5W, checker.Fail, "wrong way"},
		{"B' wrong sign", "p5.B = [0.011616, -0.011616]", ItemP5B, checker.Fail, "wrong way"},
		{"W' is gradient", "p5.W = [[0.5808, 0.5808], [-0.5808, -0.5808]]", ItemP5W, checker.Fail, "gradient itself"},
		{"W' lr 1", "p5.W = [[0.4192, -0.5808], [0.5808, -0.4192]]", ItemP5W, checker.Fail, "learning rate 1"},
		{"W' unchanged", "p5.W = [[1, 0], [0, -1]]", ItemP5W, checker.Fail, "initial value"},
		{"W' vector", "p5.W = [1, 2]", ItemP5W, checker.Fail, "should be a 2 x 2 matrix [[w11, w12], [w21, w22]]; found a vector of 2 entries"},
		{"W' other", "p5.W = [[0.9, 0], [0, -0.9]]", ItemP5W, checker.Fail, "not the value after one step"},
	} {
		a := answers(t, c.text)
		rs := append([]checker.Result{gradeP3(a)}, gradeP5(a)...)
		r := result(t, rs, c.item)
		if r.Status != c.status || !strings.Contains(r.Reason, c.reason) {
			t.Errorf("%s: %v %q, want %v with %q", c.name, r.Status, r.Reason, c.status, c.reason)
		}
		if (r.Status == checker.Pass) != (r.Score == r.Max) {
			t.Errorf("%s: score %v of %v with status %v", c.name, r.Score, r.Max, r.Status)
		}
		for _, v := range []string{"545290", "0.988", "0.0116"} {
			if r.Status != checker.Pass && strings.Contains(r.Reason, v) && !strings.Contains(c.text, v) {
				t.Errorf("%s: the reason %q shows the expected value", c.name, r.Reason)
			}
		}
	}
}

func TestAnswerBlocks(t *testing.T) {
	src := "# P\n## 2.1\nq\n### Your answer\n\n_(write your answer here)_\n\n## 2.2\n### Your answer\nNMS removes duplicates.\n# end\n"
	b := answerBlocks(src)
	if len(b) != 2 || strings.TrimSpace(b[0]) != "" || strings.TrimSpace(b[1]) != "NMS removes duplicates." {
		t.Fatalf("blocks %q", b)
	}
}

// checkDir runs Check, the CLI's entry point, end to end: it compiles the
// folder's Go files through an overlay and runs each item in a process.
func checkDir(t *testing.T, dir string) checker.Report {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a test binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := Check(ctx, dir, Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 10 {
		t.Fatalf("%d rows, want 10", len(rep.Results))
	}
	if _, m := rep.Total(); m != 40 {
		t.Fatalf("maximum %v, want 40", m)
	}
	return rep
}

func TestCheckReferenceAndStub(t *testing.T) {
	rep := checkDir(t, filepath.Join("..", "reference"))
	if !rep.Full() {
		var b strings.Builder
		rep.Render(&b, true)
		t.Fatalf("reference answers lose points:\n%s", b.String())
	}
	if s, _ := rep.Total(); s != 21 {
		t.Errorf("reference scores %v, want 21 auto-graded points", s)
	}
	rep = checkDir(t, "..") // the conceptual folder: grades its answers folder
	for _, r := range rep.Results {
		if r.Score != 0 || r.Status != checker.NotDone {
			t.Errorf("stub %s: %v %v: %s", r.Item, r.Status, r.Score, r.Reason)
		}
	}
}

// TestCheckBrokenAndCrashing checks isolation: a folder that does not
// compile still has its numbers graded, and a function that exits the
// process, panics or loops fails only its own item.
func TestCheckBrokenAndCrashing(t *testing.T) {
	rep := checkDir(t, filepath.Join("testdata", "broken"))
	// DLdC does not compile: it is stubbed out, and the other two are
	// graded (they return nil).
	for _, r := range rep.Results[:3] {
		if r.Item == ItemP1C && (r.Status != checker.BuildFailed || !strings.Contains(r.Reason, "p1.go:5") || !strings.Contains(r.Reason, "undefined: undefinedName")) ||
			r.Item != ItemP1C && r.Status != checker.NotDone {
			t.Errorf("broken %s: %v %q", r.Item, r.Status, r.Reason)
		}
	}
	if r := result(t, rep.Results, ItemP3); r.Status != checker.Pass {
		t.Errorf("broken P3: %v %s", r.Status, r.Reason)
	}
	if r := result(t, rep.Results, ItemP5W); r.Status != checker.Fail || !strings.Contains(r.Reason, "transpose") {
		t.Errorf("broken P5 W': %v %s", r.Status, r.Reason)
	}
	if r := result(t, rep.Results, ItemP21); r.Status != checker.NotDone {
		t.Errorf("missing p2.md: %v %s", r.Status, r.Reason)
	}

	rep = checkDir(t, filepath.Join("testdata", "crash"))
	for item, st := range map[string]checker.Status{ItemP1S: checker.Panicked, ItemP1C: checker.Panicked, ItemP1K: checker.TimedOut} {
		if r := result(t, rep.Results, item); r.Status != st || r.Score != 0 {
			t.Errorf("crash %s: %v %q, want %v", item, r.Status, r.Reason, st)
		}
	}
	if r := result(t, rep.Results, ItemP3); r.Status != checker.NotDone || !strings.Contains(r.Reason, "answers.txt not found") {
		t.Errorf("crash P3: %v %q", r.Status, r.Reason)
	}
}

func TestCheckNotADirectory(t *testing.T) {
	if _, err := Check(context.Background(), "grade_test.go", Options{}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("error %v", err)
	}
	if _, err := Check(context.Background(), filepath.Join(os.TempDir(), "no-such-nnkit-dir"), Options{}); err == nil {
		t.Error("no error for a missing folder")
	}
}

// TestCheckForgery: a p1.go whose init writes a result of 3000 points
// (the attack that worked when the grade was written from inside the
// student's process) earns nothing, and no row exceeds its points.
func TestCheckForgery(t *testing.T) {
	rep := checkDir(t, filepath.Join("testdata", "forge"))
	for _, r := range rep.Results {
		if r.Score < 0 || r.Score > r.Max {
			t.Errorf("%s: %v / %v", r.Item, r.Score, r.Max)
		}
	}
	for _, r := range rep.Results[:3] {
		if r.Score != 0 || r.Status != checker.RuleBroken || !strings.Contains(r.Reason, `import "os"`) {
			t.Errorf("forged %s: %v %v %q, want 0 and the rule", r.Item, r.Score, r.Status, r.Reason)
		}
	}
}
