package program

import (
	"testing"
	"time"

	"nnkit/cmd/check/internal/notebook"
	"nnkit/spec"
)

// TestRunEstimate checks the estimate's arithmetic with an injected step
// time. Its training part must be what the progress bar's "left" shows
// after the first batch at that pace (progress.Bar: the time per batch
// times the batches left) plus that batch.
func TestRunEstimate(t *testing.T) {
	cases := []struct {
		name                 string
		step                 time.Duration
		train, test, epochs  int
		wantTrain, wantTotal time.Duration
	}{
		{"task 4 on a CPU", 1900 * time.Millisecond, 235, 40, 10, 4465 * time.Second, 4465*time.Second + 760*time.Second/3},
		{"task 3 quick", 30 * time.Millisecond, 12, 12, 2, 720 * time.Millisecond, 960 * time.Millisecond},
		{"one batch", time.Second, 1, 1, 1, time.Second, time.Second + time.Second/3},
	}
	for _, c := range cases {
		train, total := runEstimate(c.step, c.train, c.test, c.epochs)
		if train != c.wantTrain || total != c.wantTotal {
			t.Errorf("%s: runEstimate = %v, %v; want %v, %v", c.name, train, total, c.wantTrain, c.wantTotal)
		}
		// progress.Bar's time left after batch 1 of epoch 1, at c.step a batch.
		barLeft := c.step * time.Duration((c.train-1)+(c.epochs-1)*c.train)
		if train != barLeft+c.step {
			t.Errorf("%s: training estimate %v, but the progress bar would show %v left after its first batch of %v", c.name, train, barLeft, c.step)
		}
	}
	// The estimate that asks for -yes: task 4's reference run at the pace
	// above is over LongRun, a quick one is not.
	if _, total := runEstimate(1900*time.Millisecond, 235, 40, spec.Task4NumEpochs); total <= notebook.LongRun {
		t.Errorf("a %v run is not over LongRun (%v)", total, notebook.LongRun)
	}
	if _, total := runEstimate(150*time.Millisecond, 63, 40, 1); total > notebook.LongRun {
		t.Errorf("a quick run (%v) is over LongRun", total)
	}
}

func TestFmtDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{1500 * time.Millisecond, "2s"},
		{14 * time.Minute, "14 minutes"},
		{74 * time.Minute, "1.2 hours"},
	} {
		if got := fmtDuration(c.d); got != c.want {
			t.Errorf("fmtDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

// TestPaceOf: the warm-up steps are left out and one slow step does not
// move the pace.
func TestPaceOf(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	for _, c := range []struct {
		name  string
		steps []time.Duration
		want  time.Duration
	}{
		{"warm-up left out", ms(900, 300, 20, 21, 19, 22, 20), 20 * time.Millisecond},
		{"one slow step", ms(900, 300, 20, 120, 19), 20 * time.Millisecond},
		{"a one-batch run", ms(900), 900 * time.Millisecond},
		{"two batches", ms(900, 40), 40 * time.Millisecond},
		{"none", nil, 0},
	} {
		if got := paceOf(c.steps); got != c.want {
			t.Errorf("%s: paceOf(%v) = %v, want %v", c.name, c.steps, got, c.want)
		}
	}
}
