package checker

import (
	"reflect"
	"testing"

	"nnkit/internal/notebook"
	"nnkit/solutions/task3"
	"nnkit/solutions/task4"
)

// TestNotebookExpectedShapes: check run's expected shape tables (kept in
// internal/notebook, which must not import the solutions) are the given
// helpers' of the reference.
func TestNotebookExpectedShapes(t *testing.T) {
	if !reflect.DeepEqual(notebook.ExpectedLeNetShapes, task3.ExpectedLeNetShapes()) {
		t.Errorf("LeNet:\n%v\nwant\n%v", notebook.ExpectedLeNetShapes, task3.ExpectedLeNetShapes())
	}
	for _, side := range []int{224, 96} {
		if got, want := notebook.ExpectedResNetShapes(side), task4.ExpectedResNetShapes(side); !reflect.DeepEqual(got, want) {
			t.Errorf("ResNet %d:\n%v\nwant\n%v", side, got, want)
		}
	}
	if notebook.Task3Batch != task3.BatchSize || notebook.Task3LR != task3.LR || notebook.Task3Epochs != task3.NumEpochs ||
		notebook.Task4Batch != task4.BatchSize || notebook.Task4LR != task4.LR || notebook.Task4Epochs != task4.NumEpochs || notebook.Task4Resize != task4.Resize {
		t.Error("check run's reference settings differ from the solutions' constants")
	}
}
