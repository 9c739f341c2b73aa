package data

import (
	"embed"
	"fmt"
	"io/fs"
)

// subsetFiles holds the embedded subset: the four gzip-compressed IDX
// files and their SHA256SUMS, under subsetDir (see the README there).
//
//go:embed fashion-mnist-subset/*.gz fashion-mnist-subset/SHA256SUMS
var subsetFiles embed.FS

// subsetDir is the folder of this package, and of subsetFiles, that
// holds the subset.
const subsetDir = "fashion-mnist-subset"

// The embedded subset: the first SubsetTrainPerClass training and first
// SubsetTestPerClass test examples of each class, in their original order
// (6000 / 1000 examples). go generate (see doc.go) recreates it.
const (
	SubsetTrainPerClass = 600
	SubsetTestPerClass  = 100
)

// CutSubset returns the first k examples of each class of s, in their
// original order: the rule that cut the embedded subset.
func CutSubset(s *Split, k int) (*Split, error) {
	idx, err := FirstPerClass(s.Labels, k)
	if err != nil {
		return nil, err
	}
	return s.Select(idx), nil
}

// EmbeddedFS returns the file system holding the embedded subset's four
// gzip-compressed IDX files and SHA256SUMS at its root.
func EmbeddedFS() fs.FS {
	sub, err := fs.Sub(subsetFiles, subsetDir)
	if err != nil { // only on a malformed constant: a programming error
		panic(err)
	}
	return sub
}

// LoadEmbeddedSubset loads the Fashion-MNIST subset compiled into the
// binary. Each call returns fresh slices that the caller may modify.
func LoadEmbeddedSubset() (*FashionMNIST, error) {
	ds, err := loadFS(EmbeddedFS(), ".")
	if err != nil {
		return nil, fmt.Errorf("fashion-mnist: embedded subset: %w", err)
	}
	ds.Source = fmt.Sprintf("embedded subset (%d train / %d test)", ds.Train.Len(), ds.Test.Len())
	return ds, nil
}
