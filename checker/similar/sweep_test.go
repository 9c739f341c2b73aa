package similar_test

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"nnkit/checker/similar"
)

var sweep = flag.Bool("sweep", false, "TestSweepKW: compare the corpus under a grid of K and Window and log each disguise's numbers")

// TestSweepKW is how DefaultK and DefaultWindow were chosen (see the
// package doc): go test ./checker/similar -run TestSweepKW -sweep -v.
// Each line: K, Window, the thresholds (best independent pair per
// task), then per disguise precision / recall at precision 1 / the
// lowest copy score, and the worst ratio of a disguise's lowest copy
// score to the highest threshold.
func TestSweepKW(t *testing.T) {
	if !*sweep {
		t.Skip("a measurement, not a check: run with -sweep")
	}
	r0 := runCorpus(t)
	base, err := similar.KitBase(kitRoot)
	if err != nil {
		t.Fatal(err)
	}
	var students []similar.Student
	for _, id := range r0.res.Students {
		students = append(students, r0.res.Files[id])
	}
	for _, k := range []int{8, 10, 12, 15, 18, 22} {
		for _, w := range []int{1, 4, 8, 12} {
			res, err := similar.Compare(students, base, similar.Options{K: k, Window: w})
			if err != nil {
				t.Fatal(err)
			}
			r := &corpusRun{files: r0.files, byTask: r0.byTask, scores: map[[3]string]float64{}, res: res}
			for _, p := range res.Pairs {
				r.scores[[3]string{p.Task, min(p.A, p.B), max(p.A, p.B)}] = p.Score
			}
			rows, thr := robustness(r)
			var b strings.Builder
			top := 0.0
			for _, task := range corpusTasks {
				fmt.Fprintf(&b, "%s %.2f ", task, thr[task])
				top = max(top, thr[task])
			}
			ratio := 1e9
			for _, row := range rows {
				fmt.Fprintf(&b, "| %s %.2f/%.2f/%.2f ", row.disguise, row.precision(), float64(row.separated)/float64(row.copies), row.minCopy)
				ratio = min(ratio, row.minCopy/top)
			}
			t.Logf("K=%2d W=%2d | %s| worst ratio %.1f", k, w, b.String(), ratio)
		}
	}
}
