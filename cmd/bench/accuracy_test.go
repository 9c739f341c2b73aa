package main

import (
	"bytes"
	"strings"
	"testing"
)

// The table: a ratio within 2x meets the target, above it does not, the
// model's single batches are left to their medians, and a row PyTorch did
// not measure has no ratio.
func TestPrintAccuracy(t *testing.T) {
	rows := []accRow{
		{item: "layer a output", nnkit: 3e-7, torch: 2e-7, agree64: 1e-16},
		{item: "layer b output", nnkit: 5e-7, torch: 2e-7, agree64: -1},
		{item: "layer c output", nnkit: 5e-7, torch: -1, agree64: -1},
		{item: "model gradients, batch 0", nnkit: 1e-3, torch: 1e-6, agree64: -1},
		{item: "model gradients, batch 1", nnkit: 2e-6, torch: 1e-3, agree64: -1},
		{item: "model gradients, batch 2", nnkit: 3e-6, torch: 2e-6, agree64: -1},
	}
	med := accMedians(rows)
	if len(med) != 2 || med[1].item != "model gradients, median" || med[1].nnkit != 3e-6 || med[1].torch != 2e-6 {
		t.Fatalf("medians: got %+v, want the gradients' median 3e-06 against 2e-06", med)
	}
	var buf bytes.Buffer
	printAccuracy(&buf, append(rows, med[1]))
	out := buf.String()
	for _, tc := range []struct{ item, cells string }{
		{"layer a output", "3e-07 2e-07 1.50 yes 1.0e-16"},
		{"layer b output", "5e-07 2e-07 2.50 no -"},
		{"layer c output", "5e-07 - - - -"},
		{"model gradients, batch 0", "0.001 1e-06 1000.00 (median) -"},
		{"model gradients, median", "3e-06 2e-06 1.50 yes -"},
	} {
		line := lineWith(out, tc.item)
		if got := strings.Join(strings.Fields(strings.TrimPrefix(line, tc.item)), " "); got != tc.cells {
			t.Errorf("row %q: cells %q, want %q\n%s", tc.item, got, tc.cells, out)
		}
	}
	if want := "target met on 2 of 3 (the layers and the model's medians); worst ratio 2.50"; !strings.Contains(out, want) {
		t.Errorf("table lacks %q:\n%s", want, out)
	}
}

func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
