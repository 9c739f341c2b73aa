package checker

import (
	"bytes"
	"strings"
	"testing"
)

// TestHintsForEveryItem: every rubric item of every registered task, and
// conceptual problem 1's items, has at least two graded hints, and no hint
// names an item that does not exist.
func TestHintsForEveryItem(t *testing.T) {
	items := map[string]bool{}
	for _, task := range Tasks() {
		for _, it := range task.Items {
			items[hintKey(task.Name, it.Name)] = true
			if hs := Hints(task.Name, it.Name); len(hs) < 2 {
				t.Errorf("%s %s: %d hints, want at least 2 (a nudge, then the formula)", task.Name, it.Name, len(hs))
			}
		}
	}
	for _, it := range []string{"P1 dL/dS", "P1 dL/dC", "P1 dL/dK"} {
		items[hintKey("conceptual", it)] = true
		if len(Hints("conceptual", it)) < 2 {
			t.Errorf("conceptual %s: no hints", it)
		}
	}
	for k, hs := range hints {
		if !items[k] {
			t.Errorf("hints for %q, which is no rubric item", k)
		}
		for i, h := range hs {
			if strings.TrimSpace(h) == "" {
				t.Errorf("%s: hint %d is empty", k, i+1)
			}
		}
	}
}

func TestFindHintItem(t *testing.T) {
	for in, want := range map[string]string{"DNNBackward": "DNNBackward", "dnnbackward": "DNNBackward", "train": "Train"} {
		if got, ok := FindHintItem("task1", in); !ok || got != want {
			t.Errorf("FindHintItem(task1, %q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if got, ok := FindHintItem("task4", "residual/f"); !ok || got != "Residual/forward" {
		t.Errorf("prefix: got %q, %v", got, ok)
	}
	if _, ok := FindHintItem("task4", "Residual"); ok {
		t.Error("an ambiguous prefix was resolved")
	}
}

// TestRenderSaysHintsExist: an item that lost points and has hints says
// how to get them; a full one does not.
func TestRenderSaysHintsExist(t *testing.T) {
	rep := Report{Results: []Result{
		{Task: "task1", Item: "Relu", Score: 0, Max: 3, Status: NotDone, Reason: "not implemented", HasHints: true},
		{Task: "task1", Item: "Prelu", Score: 2, Max: 2, Status: Pass, HasHints: true},
	}}
	var b bytes.Buffer
	if err := rep.RenderWith(&b, RenderOptions{Width: 200}); err != nil { // wide: the reasons on one line
		t.Fatal(err)
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if !strings.Contains(out, "check hint task1 Relu") {
		t.Errorf("no hint pointer for Relu:\n%s", b.String())
	}
	if strings.Contains(out, "check hint task1 Prelu") {
		t.Errorf("a hint pointer for a full item:\n%s", b.String())
	}
}
