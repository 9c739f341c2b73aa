package main

import (
	"math"
	"strings"
	"testing"

	"nnkit/tensor/peak"
)

func TestMedianAndNum(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		want float64
	}{{nil, 0}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 2, 3}, 2.5}} {
		if m := median(c.v); m != c.want {
			t.Errorf("median(%v) = %v, want %v", c.v, m, c.want)
		}
	}
	for v, want := range map[float64]string{0: "-", 12.34: "12.3", 250: "250", 11600: "11,600", 1234567: "1,234,567"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}

// Each round's ratio uses that round's nnkit figure over that round's
// best PyTorch thread count; a round without PyTorch figures has none.
func TestRoundRatiosAndSpread(t *testing.T) {
	nk := []float64{100, 120, 90, 110}
	torch := map[int][]float64{1: {50, 40, 0, 40}, 2: {80, 60, 0, 100}}
	got := roundRatios(nk, torch)
	want := []float64{1.25, 2, 1.1}
	if len(got) != len(want) {
		t.Fatalf("roundRatios = %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("roundRatios = %v, want %v", got, want)
		}
	}
	s := spreadOf(got)
	if s.n != 3 || s.median != 1.25 || s.min != 1.1 || s.max != 2 || math.Abs(s.spread-0.72) > 1e-12 {
		t.Errorf("spreadOf(%v) = %+v, want n 3, median 1.25, range 1.1-2, spread 0.72", got, s)
	}
	if s := spreadOf(nil); s.n != 0 || s.spread != 0 {
		t.Errorf("spreadOf(nil) = %+v, want zero", s)
	}
}

func TestNeedMoreRounds(t *testing.T) {
	for _, c := range []struct {
		target          float64
		done, maxRounds int
		spreads         map[string]float64
		want            bool
	}{
		{0, 3, 15, map[string]float64{"resnet-train": 0.5}, false},                          // no target
		{0.15, 3, 15, map[string]float64{"resnet-train": 0.1, "resnet-infer": 0.2}, true},   // one above
		{0.15, 3, 15, map[string]float64{"resnet-train": 0.1, "resnet-infer": 0.15}, false}, // all at or under
		{0.15, 15, 15, map[string]float64{"resnet-train": 0.5}, false},                      // cap reached
	} {
		if got := needMoreRounds(c.target, c.done, c.maxRounds, c.spreads); got != c.want {
			t.Errorf("needMoreRounds(%v, %d, %d, %v) = %v, want %v", c.target, c.done, c.maxRounds, c.spreads, got, c.want)
		}
	}
}

func TestSpreadVerdict(t *testing.T) {
	rows := []string{"resnet-train", "resnet-infer"}
	for _, c := range []struct {
		target  float64
		done    int
		spreads map[string]float64
		want    string
	}{
		{0.15, 7, map[string]float64{"resnet-train": 0.091, "resnet-infer": 0.042}, "Spread target 15 % on R: met after 7 rounds: resnet-train 9.1 %, resnet-infer 4.2 %"},
		{0.15, 15, map[string]float64{"resnet-train": 0.23, "resnet-infer": 0.042}, "Spread target 15 % on R: NOT met; stopped at 15 rounds (-max-rounds 15): resnet-train 23 %, resnet-infer 4.2 %"},
		{0, 3, map[string]float64{"resnet-train": 0.23, "resnet-infer": 0.042}, "Spread of R after 3 rounds: resnet-train 23 %, resnet-infer 4.2 % (no target set; -spread sets one)"},
		{0, 1, map[string]float64{"resnet-train": 0, "resnet-infer": 0}, "Spread of R: none after 1 round (it takes 2 or more)"},
	} {
		if got := spreadVerdict(c.target, c.done, 15, rows, c.spreads, "R"); got != c.want {
			t.Errorf("spreadVerdict(%v, %d, %v) =\n%s\nwant\n%s", c.target, c.done, c.spreads, got, c.want)
		}
	}
}

// The sgemm cells give the percentage of the peak they are handed, of the
// cores each side used, and of one core per CPU-second.
func TestRateTablePeak(t *testing.T) {
	res := map[string]*series{"sgemm": {
		nnkit: []float64{95, 95, 95}, nnkitCPU: []float64{50, 50, 50},
		torch:    map[int][]float64{1: {40, 40, 40}, 2: {76, 76, 76}},
		torchCPU: map[int][]float64{1: {40, 40, 40}, 2: {38, 38, 38}},
	}}
	pk := &peak.Peak{PerCore: 50, AllCores: 190, Threads: 2}
	sp := tableSpec{haveTorch: true, threads: []int{1, 2}, nnkitProc: 2, peak: pk}
	row := rateTable([]string{"sgemm"}, res, sp).rows[0]
	want := []string{"sgemm", "GFLOP/s", "95.0 (50 %)", "40.0 (80 %)", "76.0 (40 %)", "1.25x", "1.25-1.25x", "0.0 %", "-", "-"}
	if strings.Join(row, "|") != strings.Join(want, "|") {
		t.Errorf("wall-clock row = %q, want %q", row, want)
	}
	sp.perCPU = true
	row = rateTable([]string{"sgemm"}, res, sp).rows[0]
	want = []string{"sgemm", "GFLOP/cpu-s", "50.0 (100 %)", "40.0 (80 %)", "38.0 (76 %)", "1.25x", "1.25-1.25x", "0.0 %", "-", "-"}
	if strings.Join(row, "|") != strings.Join(want, "|") {
		t.Errorf("per-CPU row = %q, want %q", row, want)
	}
	sp.peak = nil
	if row := rateTable([]string{"sgemm"}, res, sp).rows[0]; strings.Contains(strings.Join(row, " "), "%)") {
		t.Errorf("row without a measured peak = %q, want no percentage", row)
	}
}

// The met column judges every round, then the median.
func TestRateTableTarget(t *testing.T) {
	torch := map[int][]float64{1: {100, 100, 100}}
	for _, c := range []struct {
		nnkit []float64
		want  string
	}{{[]float64{160, 170, 155}, "all rounds"}, {[]float64{160, 170, 120}, "median"}, {[]float64{140, 170, 120}, "no"}} {
		res := map[string]*series{"resnet-train": {nnkit: c.nnkit, nnkitCPU: c.nnkit, torch: torch, torchCPU: torch}}
		row := rateTable([]string{"resnet-train"}, res, tableSpec{haveTorch: true, threads: []int{1}}).rows[0]
		if got := row[len(row)-1]; got != c.want || row[len(row)-2] != ">= 1.5x" {
			t.Errorf("nnkit %v against 100: target %q, met %q, want >= 1.5x, %q", c.nnkit, row[len(row)-2], got, c.want)
		}
	}
}

func TestTableMarkdown(t *testing.T) {
	var b strings.Builder
	table{head: []string{"a", "b"}, rows: [][]string{{"x", "1"}}}.write(&b, true)
	if want := "| a | b |\n| --- | ---: |\n| x | 1 |\n"; b.String() != want {
		t.Errorf("markdown =\n%s\nwant\n%s", b.String(), want)
	}
}
