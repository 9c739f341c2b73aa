package grade

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestHashedJudgeAgrees grades answers with the live truths and with
// their salted hashes (what the student distribution ships): the
// verdicts agree on the answers, the rounded answers and every slip, and
// the generated source holds no answer in clear.
func TestHashedJudgeAgrees(t *testing.T) {
	if liveTruths == nil {
		t.Skip("the student distribution has no live truths")
	}
	h, err := HashAnswers([]byte("test salt"))
	if err != nil {
		t.Fatal(err)
	}
	p3, p5 := live()
	for _, n := range []int{p3[0].n, p3[1].n, p3[2].n, p3[3].n, p3[0].n + 1, 0, -5, 61706} {
		if got, want := h.judgeP3(n), judgeP3(n); got != want {
			t.Errorf("P3 %d: hashed %q, live %q", n, got, want)
		}
	}
	start := time.Now()
	for _, key := range []string{KeyW, KeyB} {
		for _, v := range p5[key] {
			for _, d := range []float64{0, 4e-4, -4e-4, 0.01} {
				m := shift(v.m, d)
				if got, want := h.judgeP5(key, m), judgeP5(key, m); got != want {
					t.Errorf("P5 %s %s shifted by %g: hashed %q, live %q", key, v.v, d, got, want)
				}
			}
			rounded := round3(v.m)
			if got, want := h.judgeP5(key, rounded), judgeP5(key, rounded); got != want {
				t.Errorf("P5 %s %s rounded to 3 decimals: hashed %q, live %q", key, v.v, got, want)
			}
		}
	}
	t.Logf("P5 verdicts in %v", time.Since(start))
	src := string(h.GoSource())
	for _, v := range p3 {
		if strings.Contains(src, fmt.Sprint(v.n)) {
			t.Errorf("the generated source shows the count %d", v.n)
		}
	}
	w := p5[KeyW][0].m
	for _, x := range []float64{w[0][0], w[0][1]} {
		for _, s := range []string{fmt.Sprintf("%.3f", x), fmt.Sprintf("%.4f", x)} {
			if strings.Contains(src, s) {
				t.Errorf("the generated source shows %s", s)
			}
		}
	}
}

func shift(m [][]float64, d float64) [][]float64 {
	var out [][]float64
	for _, r := range m {
		var row []float64
		for _, x := range r {
			row = append(row, x+d)
		}
		out = append(out, row)
	}
	return out
}

func round3(m [][]float64) [][]float64 {
	var out [][]float64
	for _, r := range m {
		var row []float64
		for _, x := range r {
			var y float64
			fmt.Sscanf(fmt.Sprintf("%.3f", x), "%g", &y)
			row = append(row, y)
		}
		out = append(out, row)
	}
	return out
}

// BenchmarkP3Hash measures one P3 hash, slow on purpose (see
// HashedAnswers).
func BenchmarkP3Hash(b *testing.B) {
	h := &HashedAnswers{Salt: "00", P3Iter: DefaultP3Iter}
	for b.Loop() {
		h.hash(h.P3Iter, p3Message(1))
	}
}
