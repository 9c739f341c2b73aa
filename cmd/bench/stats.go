package main

import (
	"fmt"
	"slices"
	"strings"
)

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// roundRatios are nnkit's rate over the best PyTorch thread count's rate,
// each from one round's measurements; a round with no PyTorch figure (0)
// has no ratio.
func roundRatios(nk []float64, torch map[int][]float64) []float64 {
	var out []float64
	for r, v := range nk {
		best := 0.0
		for _, tv := range torch {
			if r < len(tv) {
				best = max(best, tv[r])
			}
		}
		if best > 0 && v > 0 {
			out = append(out, v/best)
		}
	}
	return out
}

// spreadStats summarise per-round values: their median, range and spread
// ((max - min) / median).
type spreadStats struct {
	n                int
	median, min, max float64
	spread           float64
}

func spreadOf(v []float64) spreadStats {
	if len(v) == 0 {
		return spreadStats{}
	}
	s := spreadStats{n: len(v), median: median(v), min: slices.Min(v), max: slices.Max(v)}
	if s.median > 0 {
		s.spread = (s.max - s.min) / s.median
	}
	return s
}

// needMoreRounds says whether bench adds a round: a spread target is set,
// the cap is not reached, and some gated row's spread is above target.
func needMoreRounds(target float64, done, maxRounds int, spreads map[string]float64) bool {
	if target <= 0 || done >= maxRounds {
		return false
	}
	for _, s := range spreads {
		if s > target {
			return true
		}
	}
	return false
}

// spreadVerdict says plainly whether the gated rows' spreads (what names
// which per-round values they are) got under target.
func spreadVerdict(target float64, done, maxRounds int, rows []string, spreads map[string]float64, what string) string {
	if len(rows) == 0 {
		return "Spread: no rows to judge"
	}
	if done < 2 {
		return fmt.Sprintf("Spread of %s: none after %s (it takes 2 or more)", what, rounds(done))
	}
	var parts []string
	met := true
	for _, r := range rows {
		parts = append(parts, fmt.Sprintf("%s %s", r, pct(spreads[r])))
		met = met && spreads[r] <= target
	}
	list := strings.Join(parts, ", ")
	switch {
	case target <= 0:
		return fmt.Sprintf("Spread of %s after %s: %s (no target set; -spread sets one)", what, rounds(done), list)
	case met:
		return fmt.Sprintf("Spread target %s on %s: met after %s: %s", pct(target), what, rounds(done), list)
	case done >= maxRounds:
		return fmt.Sprintf("Spread target %s on %s: NOT met; stopped at %d rounds (-max-rounds %d): %s", pct(target), what, done, maxRounds, list)
	}
	return fmt.Sprintf("Spread target %s on %s: NOT met after %s: %s", pct(target), what, rounds(done), list)
}

func rounds(n int) string {
	if n == 1 {
		return "1 round"
	}
	return fmt.Sprintf("%d rounds", n)
}

func pct(f float64) string {
	if f < 0.1 {
		return fmt.Sprintf("%.1f %%", 100*f)
	}
	return fmt.Sprintf("%.0f %%", 100*f)
}
