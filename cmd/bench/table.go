package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"nnkit/tensor/peak"
)

// A table is rendered as aligned text or as a markdown table.
type table struct {
	head []string
	rows [][]string
}

func (t table) write(w io.Writer, markdown bool) {
	if markdown {
		fmt.Fprintln(w, "| "+strings.Join(t.head, " | ")+" |")
		sep := make([]string, len(t.head))
		for i := range sep {
			sep[i] = "---"
			if i > 0 {
				sep[i] = "---:"
			}
		}
		fmt.Fprintln(w, "| "+strings.Join(sep, " | ")+" |")
		for _, r := range t.rows {
			fmt.Fprintln(w, "| "+strings.Join(r, " | ")+" |")
		}
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(t.head, "\t")+"\t")
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
	}
	tw.Flush()
}

// series are one workload's per-round figures.
type series struct {
	nnkit, nnkitCPU []float64
	torch, torchCPU map[int][]float64 // by thread count, one per round, 0 where the window failed
	mem             *memStats
}

// values are the per-round figures of one row that its spread is of: the
// ratios when PyTorch ran, else nnkit's own rates.
func (s *series) values(haveTorch, perCPU bool) []float64 {
	nk, tr := s.nnkit, s.torch
	if perCPU {
		nk, tr = s.nnkitCPU, s.torchCPU
	}
	if haveTorch {
		return roundRatios(nk, tr)
	}
	return nk
}

// tableSpec is what a rate table needs besides the figures.
type tableSpec struct {
	haveTorch bool
	threads   []int      // PyTorch's thread counts
	nnkitProc int        // nnkit's goroutines (GOMAXPROCS)
	peak      *peak.Peak // nil when not measured
	perCPU    bool
}

// rateTable is the table of rates (medians over the rounds), with the
// ratio's median, range and spread over the rounds, the target and
// whether it is met; the sgemm cells carry their percentage of the
// measured FMA peak (of the cores each side used; per CPU-second, of one
// core).
func rateTable(order []string, res map[string]*series, sp tableSpec) table {
	t := table{head: []string{"workload", "unit", "nnkit"}}
	if sp.haveTorch {
		for _, th := range sp.threads {
			t.head = append(t.head, fmt.Sprintf("PyTorch %dT", th))
		}
		t.head = append(t.head, "ratio", "range", "spread", "target", "met")
	} else {
		t.head = append(t.head, "range", "spread")
	}
	for _, name := range order {
		s := res[name]
		nk, tr := s.nnkit, s.torch
		if sp.perCPU {
			nk, tr = s.nnkitCPU, s.torchCPU
		}
		unit := "examples/s"
		if name == "sgemm" {
			unit = "GFLOP/s"
		}
		if sp.perCPU {
			unit = strings.Replace(unit, "/s", "/cpu-s", 1)
		}
		row := []string{name, unit, withPeak(name, median(nk), sp, sp.nnkitProc)}
		st := spreadOf(s.values(sp.haveTorch, sp.perCPU))
		if !sp.haveTorch {
			row = append(row, rangeStr(st, ""), spreadStr(st))
			t.rows = append(t.rows, row)
			continue
		}
		for _, th := range sp.threads {
			row = append(row, withPeak(name, median(nonzero(tr[th])), sp, th))
		}
		ratio, target, met := "-", "-", "-"
		if st.n > 0 {
			ratio = fmt.Sprintf("%.2fx", st.median)
		}
		if goal, ok := targets[name]; ok {
			target = fmt.Sprintf(">= %.1fx", goal)
			switch {
			case st.n == 0:
			case st.min >= goal:
				met = "all rounds"
			case st.median >= goal:
				met = "median"
			default:
				met = "no"
			}
		}
		row = append(row, ratio, rangeStr(st, "x"), spreadStr(st), target, met)
		t.rows = append(t.rows, row)
	}
	return t
}

// withPeak is a rate cell; sgemm's carries its percentage of the measured
// peak of procs cores (per CPU-second: of one core).
func withPeak(name string, v float64, sp tableSpec, procs int) string {
	s := num(v)
	if name != "sgemm" || sp.peak == nil || v == 0 {
		return s
	}
	p := sp.peak.For(procs)
	if sp.perCPU {
		p = sp.peak.PerCore
	}
	return fmt.Sprintf("%s (%.0f %%)", s, 100*v/p)
}

func nonzero(v []float64) []float64 {
	var out []float64
	for _, x := range v {
		if x > 0 {
			out = append(out, x)
		}
	}
	return out
}

func rangeStr(s spreadStats, unit string) string {
	if s.n == 0 {
		return "-"
	}
	if unit == "x" {
		return fmt.Sprintf("%.2f-%.2fx", s.min, s.max)
	}
	return num(s.min) + "-" + num(s.max)
}

func spreadStr(s spreadStats) string {
	if s.n < 2 {
		return "-"
	}
	return pct(s.spread)
}

func num(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v >= 1000:
		s := strconv.FormatFloat(v, 'f', 0, 64)
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return s
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
}

func bytesStr(b float64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}
