package data

import (
	"math"
	"slices"
	"strings"
	"testing"

	"nnkit/tensor"
)

func loadSubset(t *testing.T) *FashionMNIST {
	t.Helper()
	ds, err := LoadEmbeddedSubset()
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestLoaderCounts(t *testing.T) {
	ds := loadSubset(t)
	tests := []struct {
		name                 string
		cfg                  LoaderConfig
		wantLen, wantBatches int
		wantLast             int // size of the last batch
	}{
		{"subset 256", LoaderConfig{BatchSize: 256}, 6000, 24, 6000 - 23*256},
		{"exact", LoaderConfig{BatchSize: 250}, 6000, 24, 250},
		{"limit", LoaderConfig{BatchSize: 256, Limit: 1000}, 1000, 4, 1000 - 3*256},
		{"limit above size", LoaderConfig{BatchSize: 1000, Limit: 9999}, 6000, 6, 1000},
		{"batch above size", LoaderConfig{BatchSize: 512, Limit: 300, Shuffle: true}, 300, 1, 300},
		{"batch 1", LoaderConfig{BatchSize: 1, Limit: 3}, 3, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewLoader(ds.Train, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if l.Len() != tt.wantLen || l.NumBatches() != tt.wantBatches {
				t.Fatalf("Len %d, NumBatches %d; want %d, %d", l.Len(), l.NumBatches(), tt.wantLen, tt.wantBatches)
			}
			batches, examples, last := 0, 0, 0
			for x, y := range l.Batches(0) {
				shape := x.Shape()
				if !slices.Equal(shape, []int{len(y), 1, 28, 28}) {
					t.Fatalf("batch %d: shape %v with %d labels, want [%d 1 28 28]", batches, shape, len(y), len(y))
				}
				batches++
				examples += len(y)
				last = len(y)
			}
			if batches != tt.wantBatches || examples != tt.wantLen || last != tt.wantLast {
				t.Errorf("yielded %d batches, %d examples, last batch %d; want %d, %d, %d", batches, examples, last, tt.wantBatches, tt.wantLen, tt.wantLast)
			}
		})
	}
}

func TestLoaderValues(t *testing.T) {
	ds := loadSubset(t)
	l, err := NewLoader(ds.Train, LoaderConfig{BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	for x, y := range l.Batches(7) { // without Shuffle, every epoch is in file order
		if !slices.Equal(y, []int{9, 0, 0, 3}) {
			t.Errorf("first labels %v, want [9 0 0 3] (ankle boot, t-shirt, t-shirt, dress)", y)
		}
		if x.DType() != tensor.Float32 {
			t.Fatalf("dtype %v, want float32", x.DType())
		}
		got := x.Data32()
		var sum float64
		for p, v := range ds.Train.Image(0) {
			if want := float32(v) / 255; got[p] != want {
				t.Fatalf("pixel %d: %g, want %d/255 = %g", p, got[p], v, want)
			}
			sum += float64(got[p])
		}
		if want := float64(firstTrainImageSum) / 255; math.Abs(sum-want) > 1e-3 {
			t.Errorf("image 0 sums to %g, want %g", sum, want)
		}
		if lo, hi := slices.Min(got), slices.Max(got); lo != 0 || hi != 1 {
			t.Errorf("pixels span [%g, %g], want [0, 1]", lo, hi)
		}
		break
	}
}

func TestLoaderShuffle(t *testing.T) {
	ds := loadSubset(t)
	cfg := LoaderConfig{BatchSize: 64, Shuffle: true, Seed: 1, Limit: 500}
	a, _ := NewLoader(ds.Train, cfg)
	b, _ := NewLoader(ds.Train, cfg)
	cfg.Seed = 2
	c, _ := NewLoader(ds.Train, cfg)

	o0, o1 := a.Order(0), a.Order(1)
	if !slices.Equal(o0, b.Order(0)) || !slices.Equal(o1, b.Order(1)) {
		t.Error("the same seed and epoch gave different orders")
	}
	if slices.Equal(o0, o1) {
		t.Error("epochs 0 and 1 have the same order")
	}
	if slices.Equal(o0, c.Order(0)) {
		t.Error("seeds 1 and 2 have the same order")
	}
	sorted := slices.Sorted(slices.Values(o1))
	for i, v := range sorted {
		if v != i {
			t.Fatalf("epoch 1 order is not a permutation of 0..499: sorted[%d] = %d", i, v)
		}
	}
	// The batches follow Order.
	var labels []int
	for _, y := range a.Batches(1) {
		labels = append(labels, y...)
	}
	for k, i := range o1 {
		if labels[k] != int(ds.Train.Labels[i]) {
			t.Fatalf("example %d of epoch 1: label %d, want label %d of split index %d", k, labels[k], ds.Train.Labels[i], i)
		}
	}
}

func TestLoaderOwnership(t *testing.T) {
	ds := loadSubset(t)
	for _, size := range []int{0, 32} {
		l, err := NewLoader(ds.Train, LoaderConfig{BatchSize: 16, Shuffle: true, Seed: 3, Height: size, Width: size, Limit: 64})
		if err != nil {
			t.Fatal(err)
		}
		var kept []*tensor.Tensor
		var copies [][]float32
		var keptLabels [][]int
		var labelCopies [][]int
		for x, y := range l.Batches(0) {
			kept = append(kept, x)
			copies = append(copies, slices.Clone(x.Data32()))
			keptLabels = append(keptLabels, y)
			labelCopies = append(labelCopies, slices.Clone(y))
		}
		for i := range kept {
			if !slices.Equal(kept[i].Data32(), copies[i]) || !slices.Equal(keptLabels[i], labelCopies[i]) {
				t.Errorf("size %d: batch %d changed after later batches were made", size, i)
			}
		}
		// Breaking out early stops the iteration.
		n := 0
		for range l.Batches(0) {
			n++
			if n == 2 {
				break
			}
		}
		if n != 2 {
			t.Errorf("break after 2 batches ran %d", n)
		}
	}
}

func TestLoaderResize(t *testing.T) {
	ds := loadSubset(t)
	plain, _ := NewLoader(ds.Test, LoaderConfig{BatchSize: 8, Limit: 8})
	big, _ := NewLoader(ds.Test, LoaderConfig{BatchSize: 8, Limit: 8, Height: 56, Width: 56})
	if h, w := big.ImageSize(); h != 56 || w != 56 {
		t.Fatalf("ImageSize %d x %d, want 56 x 56", h, w)
	}
	var x0, x1 *tensor.Tensor
	for x := range plain.Batches(0) {
		x0 = x
	}
	for x := range big.Batches(0) {
		x1 = x
	}
	if !slices.Equal(x1.Shape(), []int{8, 1, 56, 56}) {
		t.Fatalf("resized shape %v, want [8 1 56 56]", x1.Shape())
	}
	// Doubling with align_corners=False: output (1, 1) samples input
	// (0.25, 0.25), so it mixes the four top-left pixels with weights
	// 9/16, 3/16, 3/16, 1/16; output (0, 0) is input (0, 0) (clamped).
	for n := range 8 {
		p := func(r, c int) float64 { return x0.At(n, 0, r, c) }
		want := 9.0/16*p(0, 0) + 3.0/16*p(0, 1) + 3.0/16*p(1, 0) + 1.0/16*p(1, 1)
		if got := x1.At(n, 0, 1, 1); math.Abs(got-want) > 1e-6 {
			t.Errorf("image %d: resized (1, 1) = %g, want %g", n, got, want)
		}
		// Output (29, 28) samples input (14.25, 13.75): rows 14 and 15
		// weigh 0.75 and 0.25, columns 13 and 14 weigh 0.25 and 0.75.
		want = 0.75*(0.25*p(14, 13)+0.75*p(14, 14)) + 0.25*(0.25*p(15, 13)+0.75*p(15, 14))
		if got := x1.At(n, 0, 29, 28); math.Abs(got-want) > 1e-6 {
			t.Errorf("image %d: resized (29, 28) = %g, want %g", n, got, want)
		}
		if got, want := x1.At(n, 0, 0, 0), p(0, 0); got != want {
			t.Errorf("image %d: resized (0, 0) = %g, want %g", n, got, want)
		}
	}
}

func TestNewLoaderErrors(t *testing.T) {
	ds := loadSubset(t)
	broken := &Split{Images: make([]uint8, 10), Labels: make([]uint8, 2), Rows: 28, Cols: 28}
	tests := []struct {
		name string
		s    *Split
		cfg  LoaderConfig
		want string
	}{
		{"nil split", nil, LoaderConfig{BatchSize: 1}, "nil split"},
		{"broken split", broken, LoaderConfig{BatchSize: 1}, "split of 2 labels and 10 pixels is not 2 images of 28 x 28"},
		{"zero batch", ds.Test, LoaderConfig{}, "batch size 0, expected at least 1"},
		{"negative batch", ds.Test, LoaderConfig{BatchSize: -4}, "batch size -4"},
		{"half resize", ds.Test, LoaderConfig{BatchSize: 1, Height: 96}, "resize to 96 x 0, expected both sizes positive"},
		{"negative resize", ds.Test, LoaderConfig{BatchSize: 1, Height: -1, Width: -1}, "resize to -1 x -1"},
		{"negative limit", ds.Test, LoaderConfig{BatchSize: 1, Limit: -5}, "limit -5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewLoader(tt.s, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewLoader error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestNewFashionMNISTLoaders(t *testing.T) {
	ds := loadSubset(t)
	train, test, err := NewFashionMNISTLoaders(ds, LoaderConfig{BatchSize: 256, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 6000 || test.Len() != 1000 || train.NumBatches() != 24 || test.NumBatches() != 4 {
		t.Errorf("train %d examples in %d batches, test %d in %d; want 6000 in 24, 1000 in 4", train.Len(), train.NumBatches(), test.Len(), test.NumBatches())
	}
	if slices.Equal(train.Order(0), train.Order(1)) {
		t.Error("training loader does not shuffle")
	}
	if o := test.Order(3); o[0] != 0 || o[999] != 999 {
		t.Error("test loader shuffles")
	}
	if _, _, err := NewFashionMNISTLoaders(ds, LoaderConfig{}); err == nil || !strings.Contains(err.Error(), "training set: loader: batch size 0") {
		t.Errorf("error = %v", err)
	}
}

// BenchmarkLoader measures one batch of 256 at the sizes of tasks 3 and 4
// (the conversion to float32 and, for 96 x 96, the resize).
func BenchmarkLoader(b *testing.B) {
	ds, err := LoadEmbeddedSubset()
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{0, 96} {
		b.Run(map[int]string{0: "28x28", 96: "96x96"}[size], func(b *testing.B) {
			l, err := NewLoader(ds.Train, LoaderConfig{BatchSize: 256, Shuffle: true, Height: size, Width: size})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for x := range l.Batches(n) {
					_ = x
					break
				}
				n++
			}
			b.ReportMetric(float64(256*b.N)/b.Elapsed().Seconds(), "examples/s")
		})
	}
}
