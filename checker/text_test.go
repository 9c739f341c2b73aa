package checker

import "testing"

func TestSourceFuncName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Train", "Train"},
		{"Train.func1", "Train"},
		{"Train.func2", "Train"},
		{"Train.func1.2", "Train"},
		{"Train.gowrap1", "Train"},
		{"Train.deferwrap3", "Train"},
		{"TrainCNN-range1", "TrainCNN"},
		{"TrainCNN-range1.func1", "TrainCNN"},
		{"TrainCNN.func1-range2", "TrainCNN"},
		{"(*Residual).Forward", "(*Residual).Forward"},
		{"(*Residual).Forward.func1", "(*Residual).Forward"},
		{"(*Residual).Forward-range1", "(*Residual).Forward"},
		{"Map[...]", "Map[...]"},
		{"func1", "func1"},
	} {
		if got := sourceFuncName(tc.in); got != tc.want {
			t.Errorf("sourceFuncName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
