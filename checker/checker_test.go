package checker

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// checkDir runs the checker on dir (relative to the module root).
func checkDir(t *testing.T, dir string, opt Options) Report {
	t.Helper()
	rep, err := Check(context.Background(), filepath.Join("..", dir), opt)
	if err != nil {
		t.Fatalf("Check(%s): %v", dir, err)
	}
	return rep
}

func logReport(t *testing.T, rep Report) {
	t.Helper()
	var b strings.Builder
	_ = rep.Render(&b, false)
	t.Log("\n" + b.String())
}

// TestSolutionsFullMarks: every reference solution earns every point.
func TestSolutionsFullMarks(t *testing.T) {
	for _, task := range Tasks() {
		t.Run(task.Name, func(t *testing.T) {
			rep := checkDir(t, "solutions/"+task.Name, Options{})
			items := 0
			for _, r := range rep.Results {
				switch {
				case r.Max > 0:
					items++
				case !strings.Contains(r.Reason, "_test.go: the checker builds only the non-test files"):
					t.Errorf("a note on the reference solution: %s", r.Reason)
				}
			}
			if !rep.Full() || items != len(task.Items) {
				logReport(t, rep)
				t.Fatalf("solutions/%s: not full marks", task.Name)
			}
			if s, m := rep.Total(); s != task.Points() || m != task.Points() {
				t.Errorf("total %v / %v, want %v / %v", s, m, task.Points(), task.Points())
			}
		})
	}
}

// TestStubsScoreZero: the generated exercises score nothing and every
// item says it is not implemented.
func TestStubsScoreZero(t *testing.T) {
	for _, task := range Tasks() {
		t.Run(task.Name, func(t *testing.T) {
			rep := checkDir(t, "exercises/"+task.Name, Options{})
			for _, r := range rep.Results {
				if r.Score != 0 || r.Status != NotDone || !strings.Contains(r.Reason, "not implemented") {
					t.Errorf("%s: %v %s %q, want 0 and not implemented", r.Item, r.Score, r.Status, r.Reason)
				}
			}
			if len(rep.Results) != len(task.Items) {
				logReport(t, rep)
				t.Errorf("%d results, want %d", len(rep.Results), len(task.Items))
			}
		})
	}
}

// TestTaskPoints pins the rubric's points to the assignment's.
func TestTaskPoints(t *testing.T) {
	want := map[string]map[string]float64{
		"task1": {"Relu": 3, "Prelu": 2, "DNNForward": 5, "DNNBackward": 5, "Train": 5},
		"task2": {"GetDNN": 5, "TrainTorch": 5},
		"task3": {"GetLeNet": 5, "TrainCNN/steps": 6, "TrainCNN/behaviour": 5, "TrainCNN/accuracy": 4},
		"task4": {"Residual/construction": 2, "Residual/forward": 3, "GetResNet/stages": 3, "GetResNet/head": 2},
	}
	if got := len(Tasks()); got != len(want) {
		t.Errorf("%d tasks registered, want %d", got, len(want))
	}
	var total float64
	for _, task := range Tasks() {
		total += task.Points()
	}
	if total != 60 {
		t.Errorf("the tasks add up to %v points, want 60", total)
	}
	for name, items := range want {
		task := LookupTask(name)
		if task == nil {
			t.Errorf("no task %s", name)
			continue
		}
		got := map[string]float64{}
		for _, it := range task.Items {
			got[it.Name] = it.Points
		}
		for item, pts := range items {
			if got[item] != pts {
				t.Errorf("%s %s: %v points, want %v", name, item, got[item], pts)
			}
		}
		if len(got) != len(items) {
			t.Errorf("%s: items %v, want %v", name, got, items)
		}
	}
}
