package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeClock advances one second per call.
func fakeClock() func() time.Time {
	t := time.Unix(0, 0)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func TestPlainLinesWithoutTerminal(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, 2, 20)
	if b.Live() {
		t.Fatal("a bytes.Buffer is not a terminal, yet the bar is live")
	}
	b.clock = fakeClock()
	for e := range 2 {
		b.StartEpoch()
		s := Stats{Epoch: e}
		for i := range 20 {
			s.Batch, s.Examples, s.LossSum, s.Correct = i, (i+1)*10, float64(i+1)*10*0.5, (i+1)*7
			b.Update(s)
		}
		b.EndEpoch(s, "test acc 0.650")
	}
	out := buf.String()
	if strings.Contains(out, "\r") || strings.Contains(out, "\033") {
		t.Fatalf("plain output contains terminal control characters: %q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// Every second batch of 20 except the last gives a line (9), plus the
	// epoch summary: 10 lines per epoch.
	if len(lines) != 20 {
		t.Fatalf("got %d lines, want 20:\n%s", len(lines), out)
	}
	last := lines[len(lines)-1]
	for _, want := range []string{"epoch 2/2", "batch 20/20", "loss 0.5000", "acc 0.700", "ex/s", "test acc 0.650"} {
		if !strings.Contains(last, want) {
			t.Errorf("last line %q lacks %q", last, want)
		}
	}
}

func TestLiveRedraw(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, 1, 4)
	b.live = true // as on a terminal
	b.clock = fakeClock()
	b.StartEpoch()
	for i := range 4 {
		b.Update(Stats{Batch: i, Examples: (i + 1) * 2, LossSum: 1, Correct: 1})
	}
	if n := strings.Count(buf.String(), "\r\033[K"); n != 4 {
		t.Fatalf("%d redraws, want 4 (one a second on the fake clock): %q", n, buf.String())
	}
	if !strings.Contains(buf.String(), "[==========          ]") {
		t.Errorf("half-way bar missing: %q", buf.String())
	}
}
