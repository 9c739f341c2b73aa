package conceptual

import (
	"fmt"
	"io"
	"math"
	"sort"
)

// Box is an axis-aligned bounding box with corners (X1, Y1) top-left and
// (X2, Y2) bottom-right, X1 <= X2 and Y1 <= Y2.
type Box struct{ X1, Y1, X2, Y2 float64 }

// Area is (X2 - X1)(Y2 - Y1).
func (b Box) Area() float64 { return (b.X2 - b.X1) * (b.Y2 - b.Y1) }

func (b Box) valid() bool {
	for _, v := range []float64{b.X1, b.Y1, b.X2, b.Y2} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return b.X1 <= b.X2 && b.Y1 <= b.Y2
}

// IoU is the intersection over union of two boxes, |a ∩ b| / |a ∪ b|, and
// 0 when the union has no area.
func IoU(a, b Box) float64 {
	w := math.Min(a.X2, b.X2) - math.Max(a.X1, b.X1)
	h := math.Min(a.Y2, b.Y2) - math.Max(a.Y1, b.Y1)
	if w <= 0 || h <= 0 {
		return 0
	}
	inter := w * h
	union := a.Area() + b.Area() - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// NMS is greedy non-maximum suppression: take the highest-scoring box
// left, keep it, drop every remaining box whose IoU with it is greater than
// iouThreshold, repeat. It returns the indices of the kept boxes in
// decreasing score order (equal scores: lower index first). iouThreshold
// must be in [0, 1]; boxes must be finite with X1 <= X2, Y1 <= Y2; scores
// must not be NaN. Apply it per class for a multi-class detector.
func NMS(boxes []Box, scores []float64, iouThreshold float64) ([]int, error) {
	if len(boxes) != len(scores) {
		return nil, fmt.Errorf("conceptual: NMS: %d boxes but %d scores", len(boxes), len(scores))
	}
	if !(iouThreshold >= 0 && iouThreshold <= 1) {
		return nil, fmt.Errorf("conceptual: NMS: IoU threshold %v is outside [0, 1]", iouThreshold)
	}
	for i, b := range boxes {
		if !b.valid() {
			return nil, fmt.Errorf("conceptual: NMS: box %d %+v must be finite with X1 <= X2 and Y1 <= Y2", i, b)
		}
		if math.IsNaN(scores[i]) {
			return nil, fmt.Errorf("conceptual: NMS: score %d is NaN", i)
		}
	}
	order := scoreOrder(scores)
	removed := make([]bool, len(boxes))
	var keep []int
	for oi, i := range order {
		if removed[i] {
			continue
		}
		keep = append(keep, i)
		for _, j := range order[oi+1:] {
			if !removed[j] && IoU(boxes[i], boxes[j]) > iouThreshold {
				removed[j] = true
			}
		}
	}
	return keep, nil
}

// scoreOrder returns the indices by decreasing score, ties by index.
func scoreOrder(scores []float64) []int {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	return order
}

// NMSTrace writes the worked example of greedy NMS: every box in the order
// NMS visits it, whether it is kept, and which kept box (with what IoU)
// suppressed it.
func NMSTrace(w io.Writer, boxes []Box, scores []float64, iouThreshold float64) error {
	keep, err := NMS(boxes, scores, iouThreshold)
	if err != nil {
		return err
	}
	kept := map[int]bool{}
	for _, k := range keep {
		kept[k] = true
	}
	fmt.Fprintf(w, "IoU threshold %.2f\n", iouThreshold)
	fmt.Fprintf(w, "%-4s %-22s %-6s %s\n", "box", "x1, y1, x2, y2", "score", "decision")
	var seen []int
	for _, i := range scoreOrder(scores) {
		b := boxes[i]
		decision := "keep"
		if !kept[i] {
			// The first kept box (in visiting order) that overlaps it enough.
			for _, k := range seen {
				if iou := IoU(boxes[k], b); iou > iouThreshold {
					decision = fmt.Sprintf("drop: IoU %.2f with box %d", iou, k)
					break
				}
			}
		} else {
			seen = append(seen, i)
		}
		fmt.Fprintf(w, "%-4d %-22s %-6.2f %s\n", i, fmt.Sprintf("%g, %g, %g, %g", b.X1, b.Y1, b.X2, b.Y2), scores[i], decision)
	}
	fmt.Fprintf(w, "kept %v\n", keep)
	return nil
}

// NMSExample is the worked example's detections: boxes 0, 1, 2 find one
// object, boxes 3, 4 another, box 5 overlaps box 0 only a little.
func NMSExample() ([]Box, []float64) {
	return []Box{
			{10, 10, 50, 50},
			{12, 12, 52, 48},
			{8, 11, 49, 53},
			{60, 20, 100, 70},
			{62, 22, 98, 72},
			{30, 30, 70, 70},
		},
		[]float64{0.90, 0.80, 0.75, 0.85, 0.60, 0.50}
}
