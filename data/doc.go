// Package data supplies the data sets of the nnkit tasks: Fashion-MNIST
// for the convolutional networks of tasks 3 and 4, and the synthetic 3-D
// two-class set of tasks 1 and 2.
//
// # Fashion-MNIST
//
// LoadFashionMNIST(dir) looks for the four standard files
// (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
// t10k-labels-idx1-ubyte, each raw or with ".gz") in this order:
//
//  1. dir, the directory the CLI's -data flag names;
//  2. the directory in the NNKIT_DATA environment variable;
//  3. /usr/share/datasets/fashion-mnist, where Debian's
//     dataset-fashion-mnist package installs the gzip-compressed files
//     (60,000 training and 10,000 test images);
//  4. the subset embedded in every binary: the first 600 training and the
//     first 100 test images of each class, in their original order (6,000
//     and 1,000 images).
//
// A directory named in steps 1 or 2 must hold valid files: a mistake
// there is reported, never silently replaced by another source. Either
// may be the word "embedded" to choose the subset outright. The result's
// Source field says where the data came from, for example "$NNKIT_DATA=/x"
// or "embedded subset (6000 train / 1000 test)". A directory laid out as
// torchvision downloads it (DIR/FashionMNIST/raw) is found too.
//
// ReadIDX reads any IDX file of unsigned bytes, raw or gzip-compressed,
// and checks it strictly (magic number, dimensions, exact payload size);
// its errors say what was expected and what was found.
//
// # The embedded subset
//
// The subset's files live beside this package, in
// data/fashion-mnist-subset, with a SHA256SUMS file that the tests check,
// and this package embeds them itself (subset.go): the asset sits with the
// one package that reads it, so data imports nothing above the engine
// and no root package carries assets for others. The go:generate line
// below recreates the subset from the full files (see
// data/internal/mksubset); a test compares the embedded subset with a
// fresh cut whenever the full files are installed.
//
// # The two cubes of tasks 1 and 2
//
// NewTwoCubes draws the seeded two-class point cloud of task 1 and
// Standardize scales its columns to zero mean and unit (population)
// variance, as numpy's mean and std do.
//
// # Batches
//
// Loader feeds a Split to a training loop in seeded, shuffled
// mini-batches of float32 tensors shaped [B, 1, H, W], pixels in [0, 1],
// optionally resized.
package data

//go:generate go run ./internal/mksubset -src /usr/share/datasets/fashion-mnist -out fashion-mnist-subset
