package checker

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
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

// Total sums earned and maximum points (hand-graded items count in Max
// only when they have been given a maximum).
func (r Report) Total() (score, max float64) {
	for _, x := range r.Results {
		score += x.Score
		max += x.Max
	}
	return score, max
}

// Full reports whether every auto-graded point was earned.
func (r Report) Full() bool {
	for _, x := range r.Results {
		if x.Status != HandGraded && x.Score < x.Max {
			return false
		}
	}
	return true
}

// reasonWidth is where the table wraps a cell (the reasons): a full
// reason stays readable in an 80-column terminal after the other columns.
const reasonWidth = 60

// Render prints the rubric table: item, points, status, reason, total.
// verbose adds each item's details below the table.
func (r Report) Render(w io.Writer, verbose bool) error {
	t := tablewriter.NewTable(w, tablewriter.WithRowMaxWidth(reasonWidth))
	t.Header([]string{"Task", "Item", "Points", "Status", "Reason"})
	for _, x := range r.Results {
		reason := x.Reason
		if x.HasHints && x.Score < x.Max {
			reason += fmt.Sprintf(" (hints: check hint %s %s)", x.Task, x.Item)
		}
		if err := t.Append([]string{x.Task, x.Item, points(x.Score) + " / " + points(x.Max), string(x.Status), reason}); err != nil {
			return err
		}
	}
	s, m := r.Total()
	t.Footer([]string{"", "Total", points(s) + " / " + points(m), "", ""})
	if err := t.Render(); err != nil {
		return err
	}
	if verbose {
		for _, x := range r.Results {
			if x.Details != "" {
				fmt.Fprintf(w, "\n--- %s %s ---\n%s\n", x.Task, x.Item, strings.TrimRight(x.Details, "\n"))
			}
		}
	}
	return nil
}

func points(v float64) string {
	if v == float64(int(v)) {
		return fmt.Sprint(int(v))
	}
	return fmt.Sprintf("%.1f", v)
}

// gradescope is the results.json schema Gradescope's autograder reads.
type gradescope struct {
	Score float64          `json:"score"`
	Tests []gradescopeTest `json:"tests"`
}

type gradescopeTest struct {
	Name     string  `json:"name"`
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	Output   string  `json:"output,omitempty"`
}

// WriteGradescope writes the report as Gradescope's results.json.
func (r Report) WriteGradescope(w io.Writer) error {
	g := gradescope{Tests: []gradescopeTest{}}
	for _, x := range r.Results {
		out := string(x.Status)
		if x.Reason != "" {
			out += ": " + x.Reason
		}
		if x.Details != "" {
			out += "\n" + x.Details
		}
		g.Tests = append(g.Tests, gradescopeTest{Name: x.Task + " " + x.Item, Score: x.Score, MaxScore: x.Max, Output: out})
		g.Score += x.Score
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(g)
}
