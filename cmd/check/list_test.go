package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nnkit/checker"
)

// TestList: the rubric of every task with the last stored scores, "-"
// for items never checked, and what to do next; every line fits 80
// columns.
func TestList(t *testing.T) {
	t.Setenv(CacheEnv, t.TempDir())
	root := tempKit(t)
	res := []checker.Result{
		{Task: "task1", Item: "Relu", Score: 3, Max: 3, Status: checker.Pass, Details: "a long diff"},
		{Task: "task1", Item: "Prelu", Score: 0, Max: 2, Status: checker.Fail, Reason: "wrong at 0"},
	}
	if err := saveLastRun(filepath.Join(root, "exercises", "task1"), res); err != nil {
		t.Fatal(err)
	}
	// Saved under another folder: not this kit's.
	if err := saveLastRun(filepath.Join(root, "elsewhere", "task2"), []checker.Result{{Task: "task2", Item: "GetDNN", Score: 5, Max: 5, Status: checker.Pass}}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCheck(t, "list")
	if code != 0 || errOut != "" {
		t.Fatalf("check list: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"task1: MLP from scratch with gonum (./exercises/task1, checked ",
		"  Relu                               3 / 3   pass\n",
		"  Prelu                              0 / 2   fail\n",
		"  DNNForward                         - / 5\n",
		"  total                              3 / 20\n",
		"task2: the same MLP from nn layers (./exercises/task2, never checked)\n",
		"  GetDNN                             - / 5\n",
		"  TrainCNN/steps                     - / 6\n",
		"  P2.1 one-stage vs multi-stage      - / 3\n",
		"3 of the 5 points checked so far earned (100 in all).",
		"next: Prelu in ./exercises/task1: check ./exercises/task1\n      (hints: check hint task1 Prelu)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check list: no %q in\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 80 {
			t.Errorf("line of %d columns: %q", len(line), line)
		}
	}
	// Every rubric item is listed, from the checker's own rubric.
	for _, task := range checker.Tasks() {
		for _, it := range task.Items {
			if !strings.Contains(out, "  "+it.Name+" ") {
				t.Errorf("item %s %s not listed", task.Name, it.Name)
			}
		}
	}
	if code, _, errOut := runCheck(t, "list", "extra"); code != 2 || !strings.Contains(errOut, "no arguments") {
		t.Errorf("check list extra: exit %d, %q", code, errOut)
	}
}

// TestLastRunRoundTrip: what grading saves is what list reads, without
// the details, and a record of another folder is never taken for it.
func TestLastRunRoundTrip(t *testing.T) {
	t.Setenv(CacheEnv, t.TempDir())
	dir := t.TempDir()
	if loadLastRun(dir) != nil {
		t.Fatal("a folder never checked has a last run")
	}
	res := []checker.Result{{Task: "task2", Item: "GetDNN", Score: 2.5, Max: 5, Status: checker.Partial, Details: "diff"}}
	if err := saveLastRun(dir, res); err != nil {
		t.Fatal(err)
	}
	got := loadLastRun(dir)
	if got == nil || len(got.Results) != 1 || got.Results[0].Score != 2.5 || got.Results[0].Details != "" || got.When.IsZero() {
		t.Fatalf("loadLastRun = %+v", got)
	}
	if loadLastRun(filepath.Join(dir, "sub")) != nil {
		t.Error("another folder reads this folder's last run")
	}
}

// TestListForgedCache: the last-run record is the student's own file
// and only feeds check list; whatever it holds, list does not crash and
// shows the rubric's items and points.
func TestListForgedCache(t *testing.T) {
	for _, c := range []struct {
		name string
		json string // %s: the folder's absolute path, JSON-quoted
		dir  bool   // the record is a folder
	}{
		{name: "not JSON", json: "\x00\xff{"},
		{name: "null", json: "null"},
		{name: "no results", json: `{"dir": %s, "results": null}`},
		{name: "a bad time", json: `{"dir": %s, "when": "yesterday", "results": []}`},
		{name: "odd scores and items", json: `{"dir": %s, "results": [
			{"task": "task1", "item": "Relu", "score": 1e308, "max": -1, "status": "pass"},
			{"task": "task1", "item": "Relu", "score": 1e308, "max": 3, "status": "pass"},
			{"task": "task1", "item": "Prelu", "score": -5, "max": 2, "status": "\u001b[2J"},
			{"task": "task9", "item": "../../x", "score": 99, "max": 99},
			{"item": "", "score": 0}]}`},
		{name: "wrong types", json: `{"dir": %s, "results": [{"item": 3, "score": "ten"}]}`},
		{name: "a folder", dir: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(CacheEnv, t.TempDir())
			root := tempKit(t)
			file, abs, err := lastRunFile(filepath.Join(root, "exercises", "task1"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if c.dir {
				err = os.Mkdir(file, 0o755)
			} else {
				q, _ := json.Marshal(abs)
				err = os.WriteFile(file, []byte(strings.ReplaceAll(c.json, "%s", string(q))), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runCheck(t, "list")
			if code != 0 || errOut != "" || !strings.Contains(out, "  DNNForward ") || !strings.Contains(out, "(100 in all)") && !strings.Contains(out, "(of 100 points)") {
				t.Errorf("check list: exit %d\n%s%s", code, out, errOut)
			}
		})
	}
}
