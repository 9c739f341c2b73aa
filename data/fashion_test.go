package data

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Facts about the real files, computed independently (Python's gzip
// module over Debian's dataset-fashion-mnist files).
var (
	firstTrainLabels = []uint8{9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9}
	firstTestLabels  = []uint8{9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5}
)

const (
	firstTrainImageSHA256 = "5bd44e331a6d6998daf675700cd0c13dcd7af8ab954b7585124124da61459e7b"
	firstTrainImageSum    = 76247 // sum of the 784 pixels of training image 0
	firstTestImageSum     = 33456
	lastSubsetTrainSum    = 89530 // training image 6410, the last one the subset keeps (a t-shirt)
	lastSubsetTestSum     = 22553 // test image 1092 (a sandal)
	subsetTrainPixelSum   = 344160204
)

func pixelSum(p []uint8) int {
	s := 0
	for _, v := range p {
		s += int(v)
	}
	return s
}

func TestEmbeddedSubsetChecksums(t *testing.T) {
	fsys := EmbeddedFS()
	sums, err := fs.ReadFile(fsys, "SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		want, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q: expected \"HASH  NAME\"", sc.Text())
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Errorf("SHA256SUMS lists %s: %v", name, err)
			continue
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != want {
			t.Errorf("%s: SHA-256 %x, SHA256SUMS says %s", name, got, want)
		}
		listed[name] = true
	}
	for _, base := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
		if !listed[base+".gz"] {
			t.Errorf("SHA256SUMS does not list %s.gz", base)
		}
	}
}

func TestEmbeddedSubset(t *testing.T) {
	ds, err := LoadEmbeddedSubset()
	if err != nil {
		t.Fatal(err)
	}
	if want := "embedded subset (6000 train / 1000 test)"; ds.Source != want {
		t.Errorf("Source = %q, want %q", ds.Source, want)
	}
	for _, c := range []struct {
		name      string
		s         *Split
		n, per    int
		first     []uint8
		firstSum  int
		lastLabel uint8
		lastSum   int
	}{
		{"train", ds.Train, 6000, SubsetTrainPerClass, firstTrainLabels, firstTrainImageSum, 0, lastSubsetTrainSum},
		{"test", ds.Test, 1000, SubsetTestPerClass, firstTestLabels, firstTestImageSum, 5, lastSubsetTestSum},
	} {
		s := c.s
		if s.Len() != c.n || len(s.Images) != c.n*28*28 || s.Rows != 28 || s.Cols != 28 {
			t.Fatalf("%s: %d labels, %d pixels, %dx%d; want %d examples of 28x28", c.name, s.Len(), len(s.Images), s.Rows, s.Cols, c.n)
		}
		for k, n := range s.ClassCounts() {
			if n != c.per {
				t.Errorf("%s: class %d (%s) has %d examples, want %d", c.name, k, ClassNames[k], n, c.per)
			}
		}
		if !bytes.Equal(s.Labels[:len(c.first)], c.first) {
			t.Errorf("%s: first labels %v, want %v", c.name, s.Labels[:len(c.first)], c.first)
		}
		if got := pixelSum(s.Image(0)); got != c.firstSum {
			t.Errorf("%s: image 0 pixel sum %d, want %d", c.name, got, c.firstSum)
		}
		if l, got := s.Labels[c.n-1], pixelSum(s.Image(c.n-1)); l != c.lastLabel || got != c.lastSum {
			t.Errorf("%s: last example label %d, pixel sum %d; want %d, %d", c.name, l, got, c.lastLabel, c.lastSum)
		}
	}
	if got := ClassName(int(ds.Train.Labels[0])); got != "ankle boot" {
		t.Errorf("first training example is %q, want \"ankle boot\"", got)
	}
	if got := sha256.Sum256(ds.Train.Image(0)); hex.EncodeToString(got[:]) != firstTrainImageSHA256 {
		t.Errorf("training image 0 has SHA-256 %x, want %s", got, firstTrainImageSHA256)
	}
	if got := pixelSum(ds.Train.Images); got != subsetTrainPixelSum {
		t.Errorf("subset training pixels sum to %d, want %d", got, subsetTrainPixelSum)
	}
}

// TestSubsetMatchesFull recuts the subset from the full files, when they
// are installed, and compares it with the embedded one: this is what
// `go generate` would produce.
func TestSubsetMatchesFull(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the full data set (about 0.5 s)")
	}
	if _, err := os.Stat(SystemDir); err != nil {
		t.Skipf("full Fashion-MNIST not installed: %v", err)
	}
	full, err := LoadFashionMNISTDir(SystemDir)
	if err != nil {
		t.Fatal(err)
	}
	if full.Train.Len() != 60000 || full.Test.Len() != 10000 {
		t.Fatalf("full data set: %d train / %d test, want 60000 / 10000", full.Train.Len(), full.Test.Len())
	}
	if got := pixelSum(full.Train.Image(0)); got != firstTrainImageSum {
		t.Errorf("full training image 0 pixel sum %d, want %d", got, firstTrainImageSum)
	}
	sub, err := LoadEmbeddedSubset()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		full, sub *Split
		k         int
	}{
		{"train", full.Train, sub.Train, SubsetTrainPerClass},
		{"test", full.Test, sub.Test, SubsetTestPerClass},
	} {
		cut, err := CutSubset(c.full, c.k)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(cut.Labels, c.sub.Labels) || !bytes.Equal(cut.Images, c.sub.Images) {
			t.Errorf("%s: embedded subset differs from the first %d per class of %s", c.name, c.k, SystemDir)
		}
	}
}

// writeSplitFiles writes s as the two files of a split into dir, raw or
// gzip-compressed.
func writeSplitFiles(t *testing.T, dir, imagesName, labelsName string, s *Split, compress bool) {
	t.Helper()
	for _, f := range []struct {
		name string
		x    *IDX
	}{
		{imagesName, &IDX{Dims: []int{s.Len(), s.Rows, s.Cols}, Data: s.Images}},
		{labelsName, &IDX{Dims: []int{s.Len()}, Data: s.Labels}},
	} {
		var buf bytes.Buffer
		if err := WriteIDX(&buf, f.x); err != nil {
			t.Fatal(err)
		}
		b, name := buf.Bytes(), f.name
		if compress {
			b, name = gz(t, b), name+".gz"
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tinyDataSet writes a 20-train / 10-test cut of the embedded subset into
// a new directory: training files raw, test files gzip-compressed.
func tinyDataSet(t *testing.T, sub *FashionMNIST) string {
	t.Helper()
	dir := t.TempDir()
	train, err := CutSubset(sub.Train, 2)
	if err != nil {
		t.Fatal(err)
	}
	test, err := CutSubset(sub.Test, 1)
	if err != nil {
		t.Fatal(err)
	}
	writeSplitFiles(t, dir, TrainImagesFile, TrainLabelsFile, train, false)
	writeSplitFiles(t, dir, TestImagesFile, TestLabelsFile, test, true)
	return dir
}

func TestLoadFashionMNISTSearch(t *testing.T) {
	sub, err := LoadEmbeddedSubset()
	if err != nil {
		t.Fatal(err)
	}
	good := tinyDataSet(t, sub)
	torchvision := t.TempDir()
	if err := os.MkdirAll(filepath.Join(torchvision, "FashionMNIST"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(good, filepath.Join(torchvision, "FashionMNIST", "raw")); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	missingLabels := tinyDataSet(t, sub)
	os.Remove(filepath.Join(missingLabels, TestLabelsFile+".gz"))
	corrupt := tinyDataSet(t, sub)
	if err := os.WriteFile(filepath.Join(corrupt, TrainLabelsFile), idxBytes(MagicLabels, []uint32{20}, make([]byte, 19)), 0o644); err != nil {
		t.Fatal(err)
	}
	badLabel := tinyDataSet(t, sub)
	if err := os.WriteFile(filepath.Join(badLabel, TrainLabelsFile), idxBytes(MagicLabels, []uint32{20}, append(make([]byte, 19), 10)), 0o644); err != nil {
		t.Fatal(err)
	}
	swapped := tinyDataSet(t, sub)
	os.Rename(filepath.Join(swapped, TrainImagesFile), filepath.Join(swapped, "x"))
	os.Rename(filepath.Join(swapped, TrainLabelsFile), filepath.Join(swapped, TrainImagesFile))
	os.Rename(filepath.Join(swapped, "x"), filepath.Join(swapped, TrainLabelsFile))

	embedded := "embedded subset (6000 train / 1000 test)"
	tests := []struct {
		name             string
		dir, env, system string
		wantSource       string // when no error is expected
		wantTrain        int
		wantErr          string // a substring of the error
	}{
		{name: "explicit dir", dir: good, env: empty, system: empty, wantSource: good, wantTrain: 20},
		{name: "explicit embedded", dir: "embedded", env: good, system: good, wantSource: embedded, wantTrain: 6000},
		{name: "env", env: good, system: empty, wantSource: "$NNKIT_DATA=" + good, wantTrain: 20},
		{name: "env embedded", env: "embedded", system: good, wantSource: embedded, wantTrain: 6000},
		{name: "system", system: good, wantSource: good, wantTrain: 20},
		{name: "fallback", system: empty, wantSource: embedded, wantTrain: 6000},
		{name: "system missing", system: filepath.Join(empty, "nope"), wantSource: embedded, wantTrain: 6000},
		{name: "torchvision layout", dir: torchvision, wantSource: filepath.Join(torchvision, "FashionMNIST", "raw"), wantTrain: 20},
		{name: "explicit empty dir", dir: empty, system: good, wantErr: "directory " + empty + ": expected train-images-idx3-ubyte or train-images-idx3-ubyte.gz"},
		{name: "explicit missing dir", dir: filepath.Join(empty, "nope"), wantErr: "no such file"},
		{name: "explicit missing labels", dir: missingLabels, wantErr: "expected t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz"},
		{name: "env empty dir", env: empty, system: good, wantErr: "$NNKIT_DATA: fashion-mnist: directory " + empty},
		{name: "env torchvision layout", env: torchvision, wantSource: "$NNKIT_DATA=" + torchvision + " (" + filepath.Join(torchvision, "FashionMNIST", "raw") + ")", wantTrain: 20},
		{name: "explicit file", dir: filepath.Join(good, TrainLabelsFile), wantErr: "train-labels-idx1-ubyte is not a directory"},
		{name: "explicit truncated", dir: corrupt, wantErr: "train-labels-idx1-ubyte: idx: dimensions [20]: truncated payload: expected 20 bytes, found 19"},
		{name: "bad label", dir: badLabel, wantErr: "label 10 at index 19, expected a class in [0, 10)"},
		{name: "swapped files", dir: swapped, wantErr: "images: magic number 0x00000801, expected 0x00000803"},
		{name: "system corrupt", system: corrupt, wantErr: "truncated payload"},
		{name: "system partial", system: missingLabels, wantErr: "expected t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz: file does not exist (set $NNKIT_DATA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvVar, tt.env)
			old := systemDir
			systemDir = tt.system
			defer func() { systemDir = old }()
			ds, err := LoadFashionMNIST(tt.dir)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("loaded %q, want an error containing %q", ds.Source, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q\nwant it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ds.Source != tt.wantSource || ds.Train.Len() != tt.wantTrain {
				t.Errorf("got %d training examples from %q, want %d from %q", ds.Train.Len(), ds.Source, tt.wantTrain, tt.wantSource)
			}
		})
	}
}

func TestLoadFashionMNISTDirMissing(t *testing.T) {
	_, err := LoadFashionMNISTDir(t.TempDir())
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
}

func TestClassNames(t *testing.T) {
	tests := []struct {
		label int
		want  string
	}{
		{0, "t-shirt"}, {1, "trouser"}, {2, "pullover"}, {3, "dress"}, {4, "coat"},
		{5, "sandal"}, {6, "shirt"}, {7, "sneaker"}, {8, "bag"}, {9, "ankle boot"},
		{10, "invalid class 10"}, {-1, "invalid class -1"},
	}
	for _, tt := range tests {
		if got := ClassName(tt.label); got != tt.want {
			t.Errorf("ClassName(%d) = %q, want %q", tt.label, got, tt.want)
		}
	}
}

func TestFirstPerClass(t *testing.T) {
	labels := []uint8{3, 1, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 0, 2, 4, 5, 6, 7, 8, 1, 3}
	got, err := FirstPerClass(labels, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	if !slicesEqual(got, want) {
		t.Errorf("FirstPerClass = %v, want %v", got, want)
	}
	if _, err := FirstPerClass(labels, 3); err == nil || !strings.Contains(err.Error(), "class 0 (t-shirt) has 2 examples, expected at least 3") {
		t.Errorf("FirstPerClass(k=3) error = %v", err)
	}
	if _, err := FirstPerClass([]uint8{1, 11}, 1); err == nil || !strings.Contains(err.Error(), "label 11 at index 1") {
		t.Errorf("FirstPerClass(bad label) error = %v", err)
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
