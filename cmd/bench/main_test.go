package main

import (
	"strings"
	"testing"
	"time"
)

// Without PyTorch, bench says so and still prints nnkit's row.
func TestRunWithoutTorch(t *testing.T) {
	var b strings.Builder
	if err := run(&b, []string{"lenet-infer", "sgemm"}, 20*time.Millisecond, 1, true, "/nonexistent/python3", "scripts/bench_torch.py", []int{1}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"PyTorch: not measured", "lenet-infer", "examples/s", "sgemm", "GFLOP/s", "load average at start"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestMedianAndNum(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median = %v, want 2", m)
	}
	if m := median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("median = %v, want 2.5", m)
	}
	for v, want := range map[float64]string{0: "-", 12.34: "12.3", 250: "250", 11600: "11,600", 1234567: "1,234,567"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}
