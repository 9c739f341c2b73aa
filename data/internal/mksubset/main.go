// Command mksubset cuts the Fashion-MNIST subset that nnkit embeds from
// the full data set, so that the subset under data/fashion-mnist-subset can
// be recreated and checked.
//
// Usage:
//
//	go run ./data/internal/mksubset [-src DIR] [-out DIR] [-train K] [-test K]
//
// It reads the four files from -src (default: Debian's
// /usr/share/datasets/fashion-mnist, raw or .gz), keeps the first -train
// (default 600) training and first -test (default 100) test examples of
// each class, in their original order, writes them to -out (default
// data/fashion-mnist-subset, from the module root) as gzip-compressed IDX
// files under the standard names, and writes SHA256SUMS for them
// (checkable with sha256sum -c).
//
// The gzip files carry no name or time stamp, so the output is a pure
// function of the input and of the Go release's compress/flate; a Go
// release that compresses differently changes the gzip bytes (and so
// SHA256SUMS) but never the decompressed content, which the data
// package's tests compare with the full files when they are installed.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"nnkit/data"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("mksubset: ")
	src := flag.String("src", data.SystemDir, "directory holding the full Fashion-MNIST files")
	out := flag.String("out", filepath.Join("data", "fashion-mnist-subset"), "directory to write the subset into")
	trainK := flag.Int("train", data.SubsetTrainPerClass, "training examples per class")
	testK := flag.Int("test", data.SubsetTestPerClass, "test examples per class")
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}

	full, err := data.LoadFashionMNISTDir(*src)
	if err != nil {
		log.Fatal(err)
	}
	train, err := data.CutSubset(full.Train, *trainK)
	if err != nil {
		log.Fatalf("training set: %v", err)
	}
	test, err := data.CutSubset(full.Test, *testK)
	if err != nil {
		log.Fatalf("test set: %v", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}

	var sums bytes.Buffer
	for _, f := range []struct {
		name string
		idx  *data.IDX
	}{
		{data.TrainImagesFile, &data.IDX{Dims: []int{train.Len(), train.Rows, train.Cols}, Data: train.Images}},
		{data.TrainLabelsFile, &data.IDX{Dims: []int{train.Len()}, Data: train.Labels}},
		{data.TestImagesFile, &data.IDX{Dims: []int{test.Len(), test.Rows, test.Cols}, Data: test.Images}},
		{data.TestLabelsFile, &data.IDX{Dims: []int{test.Len()}, Data: test.Labels}},
	} {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			log.Fatal(err)
		}
		if err := data.WriteIDX(zw, f.idx); err != nil {
			log.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			log.Fatal(err)
		}
		name := f.name + ".gz"
		if err := os.WriteFile(filepath.Join(*out, name), buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(buf.Bytes()), name)
		fmt.Printf("%-30s %8d bytes\n", name, buf.Len())
	}
	if err := os.WriteFile(filepath.Join(*out, "SHA256SUMS"), sums.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("subset of %s: %d train / %d test examples\n", full.Source, train.Len(), test.Len())
}
