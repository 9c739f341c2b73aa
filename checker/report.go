package checker

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Status is the outcome of one rubric item.
type Status string

const (
	Pass          Status = "pass"
	Partial       Status = "partial"
	Fail          Status = "fail"
	NotDone       Status = "not implemented"
	Panicked      Status = "panic"
	TimedOut      Status = "timeout"
	BuildFailed   Status = "build error"
	RuleBroken    Status = "rule broken"
	HandGraded    Status = "graded by hand"
	InputModified Status = "modified input"
)

// Result is the score of one rubric item with the reason for every point
// lost. It is the unit that tasks, conceptual answers and grading share.
type Result struct {
	Task   string  `json:"task"`
	Item   string  `json:"item"`
	Score  float64 `json:"score"`
	Max    float64 `json:"max_score"`
	Status Status  `json:"status"`
	// Reason is one line for the table; Details may hold a full diff (-v).
	Reason  string `json:"reason,omitempty"`
	Details string `json:"details,omitempty"`
	// HasHints says `check hint` knows hints for this item.
	HasHints bool `json:"has_hints,omitempty"`
}

// Report is the results of one or more tasks, in rubric order.
type Report struct {
	Results []Result `json:"results"`
	// Containment says what contained the student processes (see
	// nnkit/checker/sandbox); empty when none ran.
	Containment string `json:"containment,omitempty"`
}

// Total sums earned and maximum points over every item, the hand-graded
// ones included (their Score is 0 until an instructor grades them): see
// Graded for what check itself grades.
func (r Report) Total() (score, max float64) {
	for _, x := range r.Results {
		score += x.Score
		max += x.Max
	}
	return score, max
}

// Graded sums what check grades apart from what waits for an
// instructor: score and max over the auto-graded items, pending the
// points of the hand-graded ones (Status HandGraded), whose Score means
// nothing yet. An unanswered prose question is not pending: it is
// NotDone, and counts as 0 of its points.
func (r Report) Graded() (score, max, pending float64) {
	for _, x := range r.Results {
		if x.Status == HandGraded {
			pending += x.Max
			continue
		}
		score += x.Score
		max += x.Max
	}
	return score, max, pending
}

// Full reports whether every auto-graded point was earned: the exit
// status of check, which cannot know what the hand-graded items will
// get.
func (r Report) Full() bool {
	for _, x := range r.Results {
		if x.Status != HandGraded && x.Score < x.Max {
			return false
		}
	}
	return true
}

func points(v float64) string {
	if v == float64(int(v)) {
		return fmt.Sprint(int(v))
	}
	return fmt.Sprintf("%.1f", v)
}

// gradescope is the results.json Gradescope's autograder reads
// (https://gradescope-autograders.readthedocs.io/en/latest/specs/): the
// top-level score is the submission's, each test's score is optional
// when it is given, and a test's status may only be "passed" or
// "failed" (else Gradescope infers it from the scores).
type gradescope struct {
	Score  float64          `json:"score"`
	Output string           `json:"output,omitempty"`
	Tests  []gradescopeTest `json:"tests"`
}

type gradescopeTest struct {
	Name string `json:"name"`
	// Score is nil for a hand-graded item: it has no score yet, and
	// writing 0 would show the student a zero.
	Score    *float64 `json:"score,omitempty"`
	MaxScore float64  `json:"max_score"`
	Status   string   `json:"status,omitempty"`
	Output   string   `json:"output,omitempty"`
}

// WriteGradescope writes the report as Gradescope's results.json. The
// score is what check grades; each hand-graded item is a test of its
// own with no score and a note saying that an instructor grades it, and
// the top-level output says how many points are still to come.
func (r Report) WriteGradescope(w io.Writer) error {
	g := gradescope{Tests: []gradescopeTest{}}
	var pendingItems []string
	for _, x := range r.Results {
		out := string(x.Status)
		if x.Reason != "" {
			out += ": " + x.Reason
		}
		if x.Details != "" {
			out += "\n" + x.Details
		}
		t := gradescopeTest{Name: x.Task + " " + x.Item, MaxScore: x.Max, Output: out}
		if x.Status == HandGraded {
			t.Name += " (graded by hand)"
			t.Output = fmt.Sprintf("pending: an instructor grades this answer (%s points); it has no score yet.", points(x.Max))
			if x.Reason != "" {
				t.Output += "\n" + x.Reason
			}
			pendingItems = append(pendingItems, x.Item)
			g.Tests = append(g.Tests, t)
			continue
		}
		score := x.Score
		t.Score, t.Status = &score, "failed"
		if x.Status == Pass {
			t.Status = "passed"
		}
		g.Tests = append(g.Tests, t)
		g.Score += x.Score
	}
	if s, m, pending := r.Graded(); pending > 0 {
		g.Output = fmt.Sprintf("%s / %s points graded automatically. %s more points (%s) are graded by hand: they are not in this score yet.",
			points(s), points(m), points(pending), strings.Join(pendingItems, ", "))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(g)
}
