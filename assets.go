// Package nnkit is the root of the nnkit module. It holds no code: it only
// embeds files that live at the top of the module tree, where go:embed in
// a sub-package cannot reach (patterns may not contain ".."). Packages
// that need them (see nnkit/data) import it; it imports nothing of the
// module, so it can never be part of an import cycle.
package nnkit

import "embed"

// FashionMNISTSubset holds the Fashion-MNIST subset that nnkit/data falls
// back to when no full copy is installed: the four gzip-compressed IDX
// files and their SHA256SUMS, under testdata/fashion-mnist/. Use it
// through data.LoadEmbeddedSubset.
//
//go:embed testdata/fashion-mnist/*.gz testdata/fashion-mnist/SHA256SUMS
var FashionMNISTSubset embed.FS

// FashionMNISTSubsetDir is the directory of FashionMNISTSubset that holds
// the files.
const FashionMNISTSubsetDir = "testdata/fashion-mnist"
