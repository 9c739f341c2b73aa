package answers

import (
	"strings"
	"testing"

	"nnkit/checker"
	"nnkit/conceptual/grade"
)

// TestRubric asserts that the reference answers earn every auto-graded
// point and that every hand-graded item is listed as such.
func TestRubric(t *testing.T) {
	rep := grade.Grade(".", grade.P1Answers{DLdS: DLdS, DLdC: DLdC, DLdK: DLdK})
	var b strings.Builder
	if err := rep.Render(&b, false); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + b.String())
	if !rep.Full() {
		t.Error("the reference answers lose auto-graded points")
	}
	hand := 0
	for _, r := range rep.Results {
		if r.Status == checker.HandGraded {
			hand++
		}
	}
	if hand != 4 {
		t.Errorf("%d hand-graded items listed, want 4 (P2.1, P2.2, P4, P6)", hand)
	}
	if s, m := rep.Total(); s != 21 || m != 40 {
		t.Errorf("total %v / %v, want 21 / 40 (19 points graded by hand)", s, m)
	}
}
