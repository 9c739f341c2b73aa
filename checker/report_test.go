package checker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// sampleReport is a report with what makes a table wide: two tasks,
// long reasons, hint suffixes, a note with a multi-line compiler
// message, a hand-graded item and a long item name.
func sampleReport() Report {
	long := "dL/dW1 differs from the reference at [2][3]: got 0.5, want 0.25; the rows where H < 0 are wrong, as if the ReLU mask were missing"
	return Report{Results: []Result{
		{Task: "task1", Item: "Relu", Score: 3, Max: 3, Status: Pass},
		{Task: "task1", Item: "Prelu", Score: 1, Max: 2, Status: Partial, Reason: "the slope is applied to positive inputs too", HasHints: true},
		{Task: "task1", Item: "DNNBackward", Score: 0, Max: 5, Status: Fail, Reason: long, HasHints: true},
		{Task: "task1", Item: "Train", Score: 0, Max: 5, Status: NotDone, Reason: "not implemented (it panics with \"TODO\")", HasHints: true},
		{Task: "task1", Item: "(build)", Status: BuildFailed, Reason: "exercises/task1/task1.go:56:41: undefined: numBatch\nexercises/task1/task1.go:60:2: declared and not used: supercalifragilisticexpialidocious_identifier_name"},
		{Task: "task4", Item: "Residual/construction", Score: 2, Max: 2, Status: Pass},
		{Task: "task4", Item: "GetResNet/stages", Score: 0, Max: 3, Status: TimedOut, Reason: "did not finish in 20s: " + long},
		{Task: "conceptual", Item: "P2.1 one-stage vs multi-stage", Max: 10, Status: HandGraded, Reason: "graded by hand: p2.md, 120 words"},
		{Task: "conceptual", Item: "P3 parameter count", Score: 3, Max: 3, Status: Pass, Reason: "exact"},
	}}
}

// ansiRE matches the colour codes Render writes.
var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

// tableShape reports what is wrong with a rendered rubric at width: a
// line wider than width, or table borders that do not line up (every
// line of a table has its column borders at the same places).
func tableShape(out string, width int) error {
	var borders []int // the border columns of the table's first line
	for n, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		plain := ansiRE.ReplaceAllString(line, "")
		if w := textWidth(plain); w > width {
			return fmt.Errorf("line %d is %d columns wide, more than %d: %q", n+1, w, width, plain)
		}
		if !strings.ContainsAny(plain, "│┌├└") {
			continue
		}
		var at []int
		col := 0
		for _, r := range plain {
			if strings.ContainsRune("│┌┐├┤└┘┬┼┴", r) {
				at = append(at, col)
			}
			col += narrow.RuneWidth(r)
		}
		if borders == nil {
			borders = at
		} else if !slices.Equal(at, borders) {
			return fmt.Errorf("line %d has its borders at columns %v, the first line at %v: %q", n+1, at, borders, plain)
		}
	}
	return nil
}

// wideReasons is one task whose reasons, hint suffixes and item names
// are long.
func wideReasons() Report {
	r := sampleReport()
	r.Results = r.Results[:5]
	return r
}

// passing is a report with every point earned and no reasons.
func passing() Report {
	return Report{Results: []Result{
		{Task: "task1", Item: "Relu", Score: 3, Max: 3, Status: Pass},
		{Task: "task1", Item: "Prelu", Score: 2, Max: 2, Status: Pass},
		{Task: "task1", Item: "DNNForward", Score: 5, Max: 5, Status: Pass},
		{Task: "task1", Item: "DNNBackward", Score: 5, Max: 5, Status: Pass},
		{Task: "task1", Item: "Train", Score: 5, Max: 5, Status: Pass},
	}}
}

// TestRenderFitsWidth: at every width, with long reasons, hint
// suffixes and several tasks, no line is wider than the width, the
// table's borders line up, and nothing of a reason is lost.
func TestRenderFitsWidth(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rep   Report
		width int
		table bool // a table, not one block per item
	}{
		{"three tasks", sampleReport(), 120, true},
		{"three tasks", sampleReport(), 80, false},
		{"three tasks", sampleReport(), 60, false},
		{"one task", wideReasons(), 100, true},
		{"one task", wideReasons(), 80, true},
		{"one task", wideReasons(), 60, false},
		{"full marks", passing(), 80, true},
		{"full marks", passing(), 60, true},
		{"full marks", passing(), 40, false},
		{"narrower than the minimum", wideReasons(), 10, false},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.name, tc.width), func(t *testing.T) {
			for _, color := range []bool{false, true} {
				var b strings.Builder
				if err := tc.rep.RenderWith(&b, RenderOptions{Width: tc.width, Color: color}); err != nil {
					t.Fatal(err)
				}
				out := b.String()
				if err := tableShape(out, max(tc.width, minWidth)); err != nil {
					t.Errorf("colour %v: %v\n%s", color, err, out)
				}
				if table := strings.HasPrefix(out, "┌"); table != tc.table {
					t.Errorf("colour %v: a table %v, want %v\n%s", color, table, tc.table, out)
				}
				// Every word of every reason is there, cut at worst.
				squeezed := strings.Join(strings.FieldsFunc(ansiRE.ReplaceAllString(out, ""), func(r rune) bool { return unicode.IsSpace(r) || r == '│' }), "")
				for _, x := range tc.rep.Results {
					for _, word := range strings.Fields(x.Reason + " " + x.Item) {
						if !strings.Contains(squeezed, word) && textWidth(word) < tc.width/2 {
							t.Errorf("colour %v: %q of %s %s is missing\n%s", color, word, x.Task, x.Item, out)
						}
					}
				}
			}
		})
	}
}

// TestRenderColor: statuses are coloured green, yellow, red or cyan
// when asked, and no escape is written otherwise.
func TestRenderColor(t *testing.T) {
	for _, width := range []int{120, 60} {
		var plain, colored strings.Builder
		rep := sampleReport()
		if err := rep.RenderWith(&plain, RenderOptions{Width: width}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(plain.String(), "\x1b") {
			t.Errorf("width %d: an escape without colour:\n%q", width, plain.String())
		}
		if err := rep.RenderWith(&colored, RenderOptions{Width: width, Color: true}); err != nil {
			t.Fatal(err)
		}
		out := colored.String()
		for _, want := range []struct{ code, text string }{
			{ansiGreen, "pass"}, {ansiYellow, "partial"}, {ansiRed, "fail"}, {ansiRed, "timeout"},
			{ansiRed, "not implemented"}, {ansiCyan, "pending"},
		} {
			if !regexp.MustCompile(regexp.QuoteMeta(want.code) + "[^\x1b]*" + regexp.QuoteMeta(want.text)).MatchString(out) {
				t.Errorf("width %d: %q is not coloured %q:\n%q", width, want.text, want.code, out)
			}
		}
		if got := ansiRE.ReplaceAllString(out, ""); got != plain.String() {
			t.Errorf("width %d: the coloured table differs from the plain one beyond its colours:\n%s\n%s", width, got, plain.String())
		}
	}
}

// TestTerminalOptionsOffTerminal: off a terminal there is no colour,
// whatever NO_COLOR says, and the width is $COLUMNS, else 80.
func TestTerminalOptionsOffTerminal(t *testing.T) {
	for _, tc := range []struct {
		env   map[string]string
		width int
	}{
		{nil, 80},
		{map[string]string{"COLUMNS": "57"}, 57},
		{map[string]string{"COLUMNS": "wide"}, 80},
		{map[string]string{"COLUMNS": "-3", "NO_COLOR": "1"}, 80},
	} {
		f, err := os.Create(filepath.Join(t.TempDir(), "out"))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []io.Writer{&bytes.Buffer{}, f} {
			got := terminalOptions(w, func(k string) string { return tc.env[k] })
			if got.Color || got.Width != tc.width {
				t.Errorf("%T with %v: %+v, want width %d and no colour", w, tc.env, got, tc.width)
			}
		}
		f.Close()
	}
}

// TestPendingIsNotZero: a hand-graded item is shown as pending, never
// as 0; the total is what check grades, with the pending points apart;
// Full, which makes check's exit status, ignores the pending items but
// not an unanswered one.
func TestPendingIsNotZero(t *testing.T) {
	rep := Report{Results: []Result{
		{Task: "conceptual", Item: "P1 dL/dS", Score: 8, Max: 8, Status: Pass},
		{Task: "conceptual", Item: "P3 parameter count", Score: 6, Max: 6, Status: Pass},
		{Task: "conceptual", Item: "P2.1 one-stage vs multi-stage", Max: 3, Status: HandGraded, Reason: "graded by hand: p2.md, 80 words"},
		{Task: "conceptual", Item: "P4 softmax gradient proof", Max: 8, Status: HandGraded, Reason: "graded by hand: p4.md, 200 words"},
	}}
	if s, m, p := rep.Graded(); s != 14 || m != 14 || p != 11 {
		t.Errorf("Graded() = %v, %v, %v; want 14, 14, 11", s, m, p)
	}
	if !rep.Full() {
		t.Error("Full() is false with every auto-graded point earned")
	}
	for _, width := range []int{120, 80, 60} {
		var b strings.Builder
		if err := rep.RenderWith(&b, RenderOptions{Width: width}); err != nil {
			t.Fatal(err)
		}
		out := strings.Join(strings.Fields(strings.ReplaceAll(b.String(), "│", " ")), " ")
		for _, want := range []string{"— / 3 pending", "— / 8 pending", "14 / 14 auto-graded; 11 more points pending hand grading"} {
			if !strings.Contains(out, want) {
				t.Errorf("width %d: no %q in\n%s", width, want, b.String())
			}
		}
		for _, bad := range []string{"0 / 3", "0 / 8", "/ 25"} {
			if strings.Contains(out, bad) {
				t.Errorf("width %d: %q shown in\n%s", width, bad, b.String())
			}
		}
	}

	lost := rep
	lost.Results = append(slices.Clone(rep.Results), Result{Task: "conceptual", Item: "P6 RNN gradients", Max: 5, Status: NotDone, Reason: "no answer to P6 yet"})
	if lost.Full() {
		t.Error("Full() is true with an unanswered prose question (it scores 0, not pending)")
	}
	if s, m, p := lost.Graded(); s != 14 || m != 19 || p != 11 {
		t.Errorf("with P6 unanswered: Graded() = %v, %v, %v; want 14, 19, 11", s, m, p)
	}
}

// TestGradescopePending: in results.json a hand-graded item is a test
// of its own with no score and a note, the score counts only what check
// grades, and the top-level output says how many points are to come.
func TestGradescopePending(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteGradescope(&b); err != nil {
		t.Fatal(err)
	}
	var g struct {
		Score  float64          `json:"score"`
		Output string           `json:"output"`
		Tests  []map[string]any `json:"tests"`
	}
	if err := json.Unmarshal(b.Bytes(), &g); err != nil {
		t.Fatalf("results.json does not parse: %v\n%s", err, b.String())
	}
	if g.Score != 9 {
		t.Errorf("score %v, want 9 (the auto-graded points earned)", g.Score)
	}
	if !strings.Contains(g.Output, "10 more points") || !strings.Contains(g.Output, "P2.1 one-stage vs multi-stage") {
		t.Errorf("the top-level output does not say what is pending: %q", g.Output)
	}
	if len(g.Tests) != len(sampleReport().Results) {
		t.Fatalf("%d tests, want one per result (%d)", len(g.Tests), len(sampleReport().Results))
	}
	for i, x := range sampleReport().Results {
		test := g.Tests[i]
		score, scored := test["score"]
		status, _ := test["status"].(string)
		if test["max_score"] != x.Max {
			t.Errorf("%s: max_score %v, want %v", test["name"], test["max_score"], x.Max)
		}
		if x.Status == HandGraded {
			if scored || status != "" || !strings.Contains(test["output"].(string), "pending") || !strings.Contains(test["name"].(string), "graded by hand") {
				t.Errorf("pending %s: %v; want no score, no status, a name and output saying it is graded by hand", x.Item, test)
			}
			continue
		}
		want := "failed"
		if x.Status == Pass {
			want = "passed"
		}
		if !scored || score != x.Score || status != want {
			t.Errorf("%s: score %v (%v), status %q; want %v and %q", x.Item, score, scored, status, x.Score, want)
		}
	}
	// Gradescope documents only "passed" and "failed".
	if strings.Contains(b.String(), `"status": "pending"`) {
		t.Error("a status Gradescope does not know")
	}
}

// TestRenderNoTerminalControl: a reason or a -v detail carrying terminal
// escapes, carriage returns or backspaces (a student printing "\r│ task1
// │ Relu │ 3 / 3 │ pass" to redraw their row) reaches the output only
// escaped, in the table, the blocks and the details.
func TestRenderNoTerminalControl(t *testing.T) {
	forged := "\x1b[2J\x1b[H\r│ task1 │ Relu │ 3 / 3 │ pass\b\b\x07"
	r := Report{Results: []Result{{Task: "task1", Item: "Relu", Score: 0, Max: 3, Status: Fail, Reason: forged, Details: "found:\n" + forged}}}
	for _, width := range []int{120, 30} {
		var b strings.Builder
		if err := r.RenderWith(&b, RenderOptions{Width: width, Verbose: true}); err != nil {
			t.Fatal(err)
		}
		if out := b.String(); strings.ContainsAny(out, "\x1b\r\b\x07") {
			t.Errorf("width %d: a control character reached the output:\n%q", width, out)
		}
	}
}
