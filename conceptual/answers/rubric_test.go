package answers

import (
	"strings"
	"testing"

	"nnkit/conceptual/grade"
)

// TestRubric prints the rubric table of your answers. It never fails: the
// scores are for `check`, and `go test ./...` stays green while you work.
func TestRubric(t *testing.T) {
	rep := grade.Grade(".", grade.P1Answers{DLdS: DLdS, DLdC: DLdC, DLdK: DLdK})
	var b strings.Builder
	if err := rep.Render(&b, false); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + b.String())
}
