package data

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// Where LoadFashionMNIST looks, after an explicit directory.
const (
	// EnvVar names the environment variable holding a Fashion-MNIST
	// directory (or the word "embedded").
	EnvVar = "NNKIT_DATA"
	// SystemDir is where Debian's dataset-fashion-mnist package installs
	// the four gzip-compressed files.
	SystemDir = "/usr/share/datasets/fashion-mnist"
	// Embedded, given as the directory or as $NNKIT_DATA, selects the
	// embedded subset without searching. (A directory of that name can be
	// given as "./embedded".)
	Embedded = "embedded"
)

// Image geometry and class count of Fashion-MNIST.
const (
	ImageRows  = 28
	ImageCols  = 28
	NumClasses = 10
)

// The four Fashion-MNIST file names, without the ".gz" that the
// distributed (and Debian's) copies carry.
const (
	TrainImagesFile = "train-images-idx3-ubyte"
	TrainLabelsFile = "train-labels-idx1-ubyte"
	TestImagesFile  = "t10k-images-idx3-ubyte"
	TestLabelsFile  = "t10k-labels-idx1-ubyte"
)

// systemDir is SystemDir, a variable so that tests can point it elsewhere.
var systemDir = SystemDir

// ClassNames are the text labels of the ten classes, indexed by label, as
// d2l's get_fashion_mnist_labels spells them.
var ClassNames = [NumClasses]string{
	"t-shirt", "trouser", "pullover", "dress", "coat",
	"sandal", "shirt", "sneaker", "bag", "ankle boot",
}

// ClassName returns the text label of class label, or a description of
// the bad value when label is not in [0, NumClasses).
func ClassName(label int) string {
	if label < 0 || label >= NumClasses {
		return fmt.Sprintf("invalid class %d", label)
	}
	return ClassNames[label]
}

// Split is one half (training or test) of an image-classification data
// set of 8-bit grey images.
type Split struct {
	// Images holds Len() images of Rows x Cols pixels each, one after the
	// other, row-major; 0 is background, 255 full intensity.
	Images []uint8
	// Labels holds the class of each image, in [0, NumClasses).
	Labels []uint8
	// Rows and Cols are the image height and width.
	Rows, Cols int
}

// Len returns the number of examples.
func (s *Split) Len() int { return len(s.Labels) }

// Image returns the pixels of example i (a sub-slice of s.Images, not a
// copy).
func (s *Split) Image(i int) []uint8 {
	n := s.Rows * s.Cols
	return s.Images[i*n : (i+1)*n : (i+1)*n]
}

// ClassCounts returns how many examples each class has.
func (s *Split) ClassCounts() [NumClasses]int {
	var c [NumClasses]int
	for _, l := range s.Labels {
		if int(l) < NumClasses {
			c[l]++
		}
	}
	return c
}

// Select returns a new Split holding copies of the examples at indices, in
// that order. It panics if an index is out of range.
func (s *Split) Select(indices []int) *Split {
	n := s.Rows * s.Cols
	out := &Split{
		Images: make([]uint8, 0, len(indices)*n),
		Labels: make([]uint8, 0, len(indices)),
		Rows:   s.Rows,
		Cols:   s.Cols,
	}
	for _, i := range indices {
		out.Images = append(out.Images, s.Image(i)...)
		out.Labels = append(out.Labels, s.Labels[i])
	}
	return out
}

// FirstPerClass returns, in increasing order, the indices of the first k
// examples of each class; it is how the embedded subset was cut. It
// returns an error when a class has fewer than k examples.
func FirstPerClass(labels []uint8, k int) ([]int, error) {
	var taken [NumClasses]int
	idx := make([]int, 0, k*NumClasses)
	for i, l := range labels {
		if int(l) >= NumClasses {
			return nil, fmt.Errorf("label %d at index %d: expected a class in [0, %d)", l, i, NumClasses)
		}
		if taken[l] < k {
			taken[l]++
			idx = append(idx, i)
		}
	}
	for c, n := range taken {
		if n < k {
			return nil, fmt.Errorf("class %d (%s) has %d examples, expected at least %d", c, ClassNames[c], n, k)
		}
	}
	return idx, nil
}

// FashionMNIST is the Fashion-MNIST data set, or a subset of it.
type FashionMNIST struct {
	Train, Test *Split
	// Source says where the data came from: a directory, "$NNKIT_DATA=DIR",
	// or "embedded subset (6000 train / 1000 test)".
	Source string
}

// LoadFashionMNIST loads Fashion-MNIST, searching in this order:
//
//  1. dir, when it is not empty (the CLI's -data flag);
//  2. the directory in $NNKIT_DATA, when it is set and not empty;
//  3. SystemDir, when it holds the files;
//  4. the subset embedded in the binary.
//
// dir or $NNKIT_DATA may be the word "embedded" to pick the subset
// directly. A directory given in steps 1 or 2 must hold valid files:
// when it does not, LoadFashionMNIST returns the error and does not fall
// back. SystemDir is skipped when it holds no training images; once it
// does, a missing or invalid file there is an error too (a broken
// installation is worth knowing about).
func LoadFashionMNIST(dir string) (*FashionMNIST, error) {
	if dir != "" {
		return loadNamed(dir, false)
	}
	if env := os.Getenv(EnvVar); env != "" {
		return loadNamed(env, true)
	}
	if _, err := findFile(os.DirFS(systemDir), TrainImagesFile); err != nil {
		return LoadEmbeddedSubset()
	}
	ds, err := LoadFashionMNISTDir(systemDir)
	if err != nil {
		return nil, fmt.Errorf("%w (set $%s or pass a directory to use other files, or %q for the embedded subset)", err, EnvVar, Embedded)
	}
	return ds, nil
}

// loadNamed loads from a directory the user named, with -data or (when
// fromEnv) with $NNKIT_DATA.
func loadNamed(dir string, fromEnv bool) (*FashionMNIST, error) {
	if dir == Embedded {
		return LoadEmbeddedSubset()
	}
	ds, err := LoadFashionMNISTDir(dir)
	if err != nil {
		if fromEnv {
			return nil, fmt.Errorf("$%s: %w", EnvVar, err)
		}
		return nil, err
	}
	if fromEnv {
		resolved := ds.Source
		ds.Source = "$" + EnvVar + "=" + dir
		if resolved != dir {
			ds.Source += " (" + resolved + ")"
		}
	}
	return ds, nil
}

// LoadFashionMNISTDir loads the four Fashion-MNIST files from dir, each
// either raw or with a ".gz" suffix (the raw file is preferred when both
// exist). When dir holds none of them but dir/FashionMNIST/raw does (the
// layout torchvision downloads into), that directory is used. Source is
// set to the directory used. The error for a missing directory or file
// wraps fs.ErrNotExist.
func LoadFashionMNISTDir(dir string) (*FashionMNIST, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("fashion-mnist: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("fashion-mnist: %s is not a directory, expected a directory holding the four IDX files", dir)
	}
	fsys := os.DirFS(dir)
	if _, err := findFile(fsys, TrainImagesFile); errors.Is(err, fs.ErrNotExist) {
		tv := filepath.Join(dir, "FashionMNIST", "raw")
		if _, err := findFile(os.DirFS(tv), TrainImagesFile); err == nil {
			dir, fsys = tv, os.DirFS(tv)
		}
	}
	ds, err := loadFS(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("fashion-mnist: directory %s: %w", dir, err)
	}
	ds.Source = dir
	return ds, nil
}

// loadFS loads the four files from directory dir of fsys.
func loadFS(fsys fs.FS, dir string) (*FashionMNIST, error) {
	train, err := loadSplit(fsys, dir, TrainImagesFile, TrainLabelsFile)
	if err != nil {
		return nil, err
	}
	test, err := loadSplit(fsys, dir, TestImagesFile, TestLabelsFile)
	if err != nil {
		return nil, err
	}
	return &FashionMNIST{Train: train, Test: test}, nil
}

func loadSplit(fsys fs.FS, dir, imagesName, labelsName string) (*Split, error) {
	images, err := readIDXFS(fsys, dir, imagesName)
	if err != nil {
		return nil, err
	}
	labels, err := readIDXFS(fsys, dir, labelsName)
	if err != nil {
		return nil, err
	}
	return NewSplit(images, labels)
}

// NewSplit checks that images and labels form a Fashion-MNIST split and
// returns it, sharing their data: images must be N x 28 x 28 (magic
// 0x00000803), labels N entries (magic 0x00000801) each below NumClasses.
func NewSplit(images, labels *IDX) (*Split, error) {
	if images.Magic() != MagicImages {
		return nil, fmt.Errorf("images: magic number 0x%08x, expected 0x%08x (3-d images)", images.Magic(), MagicImages)
	}
	if labels.Magic() != MagicLabels {
		return nil, fmt.Errorf("labels: magic number 0x%08x, expected 0x%08x (1-d labels)", labels.Magic(), MagicLabels)
	}
	if images.Dims[1] != ImageRows || images.Dims[2] != ImageCols {
		return nil, fmt.Errorf("images: %d x %d pixels, expected %d x %d", images.Dims[1], images.Dims[2], ImageRows, ImageCols)
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("%d images but %d labels, expected equal counts", images.Dims[0], labels.Dims[0])
	}
	for i, l := range labels.Data {
		if l >= NumClasses {
			return nil, fmt.Errorf("labels: label %d at index %d, expected a class in [0, %d)", l, i, NumClasses)
		}
	}
	return &Split{Images: images.Data, Labels: labels.Data, Rows: ImageRows, Cols: ImageCols}, nil
}

// findFile returns the name of base or base+".gz" in fsys, preferring the
// raw file; the error wraps fs.ErrNotExist when neither exists.
func findFile(fsys fs.FS, base string) (string, error) {
	for _, name := range []string{base, base + ".gz"} {
		if _, err := fs.Stat(fsys, name); err == nil {
			return name, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("expected %s or %s.gz: %w", base, base, fs.ErrNotExist)
}

func readIDXFS(fsys fs.FS, dir, base string) (*IDX, error) {
	name, err := findFile(fsys, path.Join(dir, base))
	if err != nil {
		return nil, err
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	x, err := ReadIDX(io.Reader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path.Base(name), err)
	}
	return x, nil
}
