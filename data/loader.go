package data

import (
	"fmt"
	"iter"
	"math/rand/v2"

	"nnkit/tensor"
)

// LoaderConfig says how a Loader batches a Split.
type LoaderConfig struct {
	// BatchSize is the number of examples per batch; the last batch of an
	// epoch holds the remainder and may be smaller. Required.
	BatchSize int
	// Shuffle draws a new order of the examples for every epoch (for
	// training); false keeps their order in the split (for testing).
	Shuffle bool
	// Seed seeds the shuffle: the order of an epoch depends only on Seed
	// and the epoch number.
	Seed uint64
	// Height and Width, when not 0, resize every image to Height x Width
	// with tensor.ResizeBilinear (PyTorch's bilinear interpolation with
	// align_corners=False) after scaling to [0, 1]. Both 0 keeps the
	// split's size. (d2l resizes the 8-bit PIL image before ToTensor, so
	// its resized pixels are rounded to multiples of 1/255 and these are
	// not; for enlarging, PIL's bilinear filter should otherwise sample
	// the same points, which has not been checked against PIL here.)
	Height, Width int
	// Limit, when not 0, uses only the first Limit examples of the split
	// (before shuffling), for quick runs. A Limit above the split's size
	// uses them all.
	Limit int
}

// Loader yields a Split in mini-batches of float32 image tensors shaped
// [B, 1, H, W], pixels scaled to [0, 1], and their labels.
//
// Ownership: every tensor and label slice Batches yields is newly
// allocated and belongs to the caller; the loader never reads or writes
// it again, so a caller may keep, modify or hand it on. Only internal
// scratch space (the epoch order, the pre-resize buffer) is reused
// between the batches of one iteration. A Loader is safe for concurrent
// use by several iterations, and it never modifies the Split.
type Loader struct {
	split      *Split
	cfg        LoaderConfig
	n          int // examples used: the split's size or Limit
	outH       int // output image size
	outW       int
	numBatches int
}

// NewLoader returns a Loader over s. It returns an error when the
// configuration or the split is malformed.
func NewLoader(s *Split, cfg LoaderConfig) (*Loader, error) {
	if s == nil {
		return nil, fmt.Errorf("loader: nil split")
	}
	if s.Rows < 1 || s.Cols < 1 || len(s.Images) != s.Len()*s.Rows*s.Cols {
		return nil, fmt.Errorf("loader: split of %d labels and %d pixels is not %d images of %d x %d", s.Len(), len(s.Images), s.Len(), s.Rows, s.Cols)
	}
	if cfg.BatchSize < 1 {
		return nil, fmt.Errorf("loader: batch size %d, expected at least 1", cfg.BatchSize)
	}
	if cfg.Height < 0 || cfg.Width < 0 || (cfg.Height == 0) != (cfg.Width == 0) {
		return nil, fmt.Errorf("loader: resize to %d x %d, expected both sizes positive, or both 0 for no resizing", cfg.Height, cfg.Width)
	}
	if cfg.Limit < 0 {
		return nil, fmt.Errorf("loader: limit %d, expected 0 (no limit) or a positive number of examples", cfg.Limit)
	}
	l := &Loader{split: s, cfg: cfg, n: s.Len(), outH: s.Rows, outW: s.Cols}
	if cfg.Limit > 0 && cfg.Limit < l.n {
		l.n = cfg.Limit
	}
	if cfg.Height > 0 {
		l.outH, l.outW = cfg.Height, cfg.Width
	}
	l.numBatches = (l.n + cfg.BatchSize - 1) / cfg.BatchSize
	return l, nil
}

// NewFashionMNISTLoaders returns the training and test loaders of ds, as
// d2l's load_data_fashion_mnist does: both with cfg, the training loader
// shuffled and the test loader in file order (cfg.Shuffle is ignored).
func NewFashionMNISTLoaders(ds *FashionMNIST, cfg LoaderConfig) (train, test *Loader, err error) {
	cfg.Shuffle = true
	if train, err = NewLoader(ds.Train, cfg); err != nil {
		return nil, nil, fmt.Errorf("training set: %w", err)
	}
	cfg.Shuffle = false
	if test, err = NewLoader(ds.Test, cfg); err != nil {
		return nil, nil, fmt.Errorf("test set: %w", err)
	}
	return train, test, nil
}

// Len returns the number of examples an epoch yields.
func (l *Loader) Len() int { return l.n }

// Split returns the split the loader reads (never modified by it).
func (l *Loader) Split() *Split { return l.split }

// Config returns the configuration the loader was made with: NewLoader(
// l.Split(), l.Config()) yields the same batches.
func (l *Loader) Config() LoaderConfig { return l.cfg }

// NumBatches returns the number of batches an epoch yields, counting a
// last partial batch.
func (l *Loader) NumBatches() int { return l.numBatches }

// ImageSize returns the height and width of the images the loader yields.
func (l *Loader) ImageSize() (h, w int) { return l.outH, l.outW }

// Order returns the indices into the split of the examples of epoch, in
// the order Batches yields them. Without Shuffle it is 0, 1, ..., Len()-1;
// with Shuffle it is a permutation drawn by a PCG generator seeded from
// Seed and epoch alone, so any epoch can be replayed on its own.
func (l *Loader) Order(epoch int) []int {
	if !l.cfg.Shuffle {
		order := make([]int, l.n)
		for i := range order {
			order[i] = i
		}
		return order
	}
	r := rand.New(rand.NewPCG(l.cfg.Seed, uint64(epoch)^0x9e3779b97f4a7c15))
	return r.Perm(l.n)
}

// Batches returns an iterator over the batches of epoch:
//
//	for x, y := range loader.Batches(epoch) {
//		// x: [B, 1, H, W] float32 in [0, 1]; y: B labels
//	}
//
// See Loader for who owns what it yields.
func (l *Loader) Batches(epoch int) iter.Seq2[*tensor.Tensor, []int] {
	return func(yield func(*tensor.Tensor, []int) bool) {
		order := l.Order(epoch)
		rows, cols := l.split.Rows, l.split.Cols
		pixels := rows * cols
		resize := l.outH != rows || l.outW != cols
		var scratch []float32 // the pre-resize batch, reused
		if resize {
			scratch = make([]float32, min(l.cfg.BatchSize, l.n)*pixels)
		}
		for start := 0; start < l.n; start += l.cfg.BatchSize {
			idx := order[start:min(start+l.cfg.BatchSize, l.n)]
			b := len(idx)
			var buf []float32
			if resize {
				buf = scratch[:b*pixels]
			} else {
				buf = make([]float32, b*pixels)
			}
			labels := make([]int, b)
			for k, i := range idx {
				dst := buf[k*pixels : (k+1)*pixels]
				for p, v := range l.split.Image(i) {
					dst[p] = float32(v) / 255
				}
				labels[k] = int(l.split.Labels[i])
			}
			x := tensor.FromFloat32(buf, b, 1, rows, cols)
			if resize {
				x = tensor.ResizeBilinear(x, l.outH, l.outW)
			}
			if !yield(x, labels) {
				return
			}
		}
	}
}
