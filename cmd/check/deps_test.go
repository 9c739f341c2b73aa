package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLinksOnlyWhatGradingNeeds: a student's first `go run ./cmd/check`
// compiles check and everything it links before anything is printed, so
// the heavy libraries of the other verbs stay in the programs those verbs
// build (check run's notebook program, check submit's typesetter).
func TestLinksOnlyWhatGradingNeeds(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 || !slices.Contains(deps, "nnkit/checker") {
		t.Fatalf("go list -deps lists %d packages without nnkit/checker; expected check's whole graph", len(deps))
	}
	for _, c := range []struct{ prefix, why string }{
		{"gonum.org/v1/plot", "plots: check run's notebook program (cmd/check/internal/notebook/program) draws them"},
		{"nnkit/charts", "plots: check run's notebook program draws them"},
		{"codeberg.org/go-latex/", "plot labels: check run's notebook program"},
		{"codeberg.org/go-fonts/", "fonts: the notebook program and check submit's typesetter (conceptual/render/typeset)"},
		{"codeberg.org/go-pdf/", "the answers' PDF: check submit's typesetter"},
		{"nnkit/conceptual/render", "the answers' PDF: check submit's typesetter"},
		{"golang.org/x/image/", "fonts and images: the notebook program and the typesetter"},
		{"go/types", "a type checker nothing in check needs (distrib lists the predeclared names)"},
	} {
		for _, d := range deps {
			if d == c.prefix || strings.HasPrefix(d, c.prefix) && (strings.HasSuffix(c.prefix, "/") || strings.HasPrefix(d, c.prefix+"/")) {
				t.Errorf("check links %s; expected it only in the program that needs it (%s)", d, c.why)
			}
		}
	}
}
