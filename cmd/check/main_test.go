package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain keeps the last results that grading stores (for check list)
// out of the user's cache.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nnkit-cache")
	if err != nil {
		panic(err)
	}
	os.Setenv(CacheEnv, dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runCheck(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage:"},
		{[]string{"--help"}, 0, "check gen"},
		{[]string{"version"}, 0, "check (nnkit)"},
		{[]string{"version", "extra"}, 2, "no arguments"},
		{[]string{"-bogus", "../../exercises/task1"}, 2, "-bogus"},
		{[]string{"../../no/such/dir"}, 2, "no such directory"},
		{[]string{"gen", "-bogus"}, 2, "-bogus"},
		{[]string{"data", "extra"}, 2, "no arguments"},
	} {
		code, out, errOut := runCheck(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("check %v: exit %d, output %q %q; want exit %d and %q", tc.args, code, out, errOut, tc.code, tc.want)
		}
	}
}

// TestGradeSolutionAndStub: full marks exit 0 and write results.json;
// the stubs exit 1 and say "not implemented". Flags may follow the
// package.
func TestGradeSolutionAndStub(t *testing.T) {
	js := filepath.Join(t.TempDir(), "results.json")
	code, out, errOut := runCheck(t, "../../solutions/task1", "-json", js)
	if code != 0 {
		t.Fatalf("check solutions/task1: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "20 / 20") {
		t.Errorf("no total 20 / 20 in\n%s", out)
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Score float64
		Tests []struct {
			Name     string
			Score    float64
			MaxScore float64 `json:"max_score"`
		}
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if g.Score != 20 || len(g.Tests) != 5 || g.Tests[0].Name != "task1 Relu" || g.Tests[0].MaxScore != 3 {
		t.Errorf("results.json: %s", b)
	}

	if last := loadLastRun("../../solutions/task1"); last == nil || len(last.Results) != 5 || last.Results[0].Score != 3 {
		t.Errorf("check list would not see this run: %+v", last)
	}

	code, out, _ = runCheck(t, "-v", "../../exercises/task2")
	if code != 1 || !strings.Contains(out, "not implemented") || !strings.Contains(out, "0 / 10") {
		t.Errorf("check exercises/task2: exit %d\n%s", code, out)
	}
}

func TestData(t *testing.T) {
	code, out, errOut := runCheck(t, "data", "-data", "embedded")
	if code != 0 || !strings.Contains(out, "embedded") || !strings.Contains(out, "train") {
		t.Errorf("check data: exit %d\n%s%s", code, out, errOut)
	}
}

// TestBinary builds the command and runs it, as a user would.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "check")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "usage:") {
		t.Errorf("check --help: %v\n%s", err, out)
	}
	out, err = exec.Command(bin).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.HasPrefix(string(out), "usage:") {
		t.Errorf("check without arguments: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "../../no/such/dir").CombinedOutput()
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.HasPrefix(string(out), "check: ") {
		t.Errorf("check on a missing dir: %v\n%s", err, out)
	}
}

// TestConceptual: ./conceptual grades the student's answers folder (the
// fresh template scores nothing), the reference answers earn every
// auto-graded point and exit 0, and the hand-graded items are listed.
func TestConceptual(t *testing.T) {
	code, out, errOut := runCheck(t, "../../conceptual")
	if code != 1 || !strings.Contains(out, "0 / 40") || !strings.Contains(out, "not implemented") {
		t.Errorf("check conceptual (template): exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCheck(t, "../../conceptual/reference")
	if code != 0 || !strings.Contains(out, "21 / 21") || !strings.Contains(out, "pending") || !strings.Contains(out, "graded by hand") {
		t.Errorf("check conceptual/reference: exit %d, want 0 with 21 / 21 auto-graded and the rest pending\n%s%s", code, out, errOut)
	}
}
