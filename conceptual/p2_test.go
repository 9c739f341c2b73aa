package conceptual

import (
	"nnkit/conceptual/internal/matrix"

	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestIoU(t *testing.T) {
	a := Box{0, 0, 2, 2}
	for _, c := range []struct {
		b    Box
		want float64
	}{
		{Box{0, 0, 2, 2}, 1},
		{Box{1, 0, 3, 2}, 2.0 / 6},
		{Box{1, 1, 3, 3}, 1.0 / 7},
		{Box{2, 0, 4, 2}, 0}, // touching edges share no area
		{Box{5, 5, 6, 6}, 0},
		{Box{0.5, 0.5, 1.5, 1.5}, 0.25},
	} {
		if got := IoU(a, c.b); !matrix.Near(got, c.want, 1e-15, 0) {
			t.Errorf("IoU(%v, %v) = %v, want %v", a, c.b, got, c.want)
		}
		if got := IoU(c.b, a); !matrix.Near(got, c.want, 1e-15, 0) {
			t.Errorf("IoU is not symmetric for %v", c.b)
		}
	}
	if got := IoU(Box{1, 1, 1, 1}, Box{1, 1, 1, 1}); got != 0 {
		t.Errorf("IoU of empty boxes = %v, want 0", got)
	}
}

func TestNMSWorkedExample(t *testing.T) {
	boxes, scores := NMSExample()
	keep, err := NMS(boxes, scores, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 3, 5}; !slices.Equal(keep, want) {
		t.Fatalf("kept %v, want %v", keep, want)
	}
	// Threshold 1 keeps everything (no IoU exceeds 1); threshold 0 drops
	// every box overlapping a better one, so box 5 goes too.
	if keep, _ := NMS(boxes, scores, 1); len(keep) != len(boxes) {
		t.Errorf("threshold 1 kept %v", keep)
	}
	if keep, _ := NMS(boxes, scores, 0); !slices.Equal(keep, []int{0, 3}) {
		t.Errorf("threshold 0 kept %v, want [0 3]", keep)
	}
}

// TestNMSProperties checks NMS on random instances against the definition
// of its result, which determines it uniquely: the kept boxes come in score
// order and overlap each other by at most the threshold, and every dropped
// box overlaps by more than the threshold some kept box that comes before
// it in score order.
func TestNMSProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 300 {
		n := rng.IntN(25)
		boxes := make([]Box, n)
		scores := make([]float64, n)
		for i := range boxes {
			x, y := 20*rng.Float64(), 20*rng.Float64()
			boxes[i] = Box{x, y, x + 1 + 6*rng.Float64(), y + 1 + 6*rng.Float64()}
			scores[i] = float64(rng.IntN(10)) / 10 // ties on purpose
		}
		thr := rng.Float64()
		keep, err := NMS(boxes, scores, thr)
		if err != nil {
			t.Fatal(err)
		}
		order := scoreOrder(scores)
		pos := map[int]int{}
		for p, i := range order {
			pos[i] = p
		}
		kept := map[int]bool{}
		for a, i := range keep {
			kept[i] = true
			if a > 0 && pos[keep[a-1]] > pos[i] {
				t.Fatalf("trial %d: kept %v not in score order", trial, keep)
			}
			for _, j := range keep[:a] {
				if IoU(boxes[i], boxes[j]) > thr {
					t.Fatalf("trial %d: kept boxes %d and %d overlap by %v > %v", trial, i, j, IoU(boxes[i], boxes[j]), thr)
				}
			}
		}
		for i := range boxes {
			if kept[i] {
				continue
			}
			ok := false
			for _, k := range keep {
				if pos[k] < pos[i] && IoU(boxes[k], boxes[i]) > thr {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("trial %d: box %d dropped without a better kept box overlapping it", trial, i)
			}
		}
	}
}

func TestNMSErrors(t *testing.T) {
	for _, c := range []struct {
		boxes  []Box
		scores []float64
		thr    float64
		msg    string
	}{
		{[]Box{{0, 0, 1, 1}}, nil, 0.5, "1 boxes but 0 scores"},
		{nil, nil, 1.5, "outside [0, 1]"},
		{[]Box{{2, 0, 1, 1}}, []float64{1}, 0.5, "X1 <= X2"},
		{[]Box{{0, 0, 1, 1}}, []float64{nan()}, 0.5, "score 0 is NaN"},
	} {
		_, err := NMS(c.boxes, c.scores, c.thr)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("error %v, want %q", err, c.msg)
		}
	}
	if keep, err := NMS(nil, nil, 0.5); err != nil || len(keep) != 0 {
		t.Errorf("empty input: %v, %v", keep, err)
	}
}

func nan() float64 { return math.NaN() }

// Example_nms is the worked example of docs/conceptual/p2-detection-nms.md:
// two objects, each found several times, and one box that overlaps the
// first object only a little.
func Example_nms() {
	boxes, scores := NMSExample()
	if err := NMSTrace(os.Stdout, boxes, scores, 0.5); err != nil {
		panic(err)
	}
	// Output:
	// IoU threshold 0.50
	// box  x1, y1, x2, y2         score  decision
	// 0    10, 10, 50, 50         0.90   keep
	// 3    60, 20, 100, 70        0.85   keep
	// 1    12, 12, 52, 48         0.80   drop: IoU 0.82 with box 0
	// 2    8, 11, 49, 53          0.75   drop: IoU 0.84 with box 0
	// 4    62, 22, 98, 72         0.60   drop: IoU 0.83 with box 3
	// 5    30, 30, 70, 70         0.50   keep
	// kept [0 3 5]
}
