package data_test

import (
	"fmt"
	"log"

	"nnkit/data"
)

func ExampleLoadEmbeddedSubset() {
	ds, err := data.LoadEmbeddedSubset()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ds.Source)
	fmt.Println(ds.Train.Len(), ds.Test.Len(), data.ClassName(int(ds.Train.Labels[0])))
	fmt.Println(ds.Train.ClassCounts())
	// Output:
	// embedded subset (6000 train / 1000 test)
	// 6000 1000 ankle boot
	// [600 600 600 600 600 600 600 600 600 600]
}

func ExampleLoader_Batches() {
	ds, err := data.LoadEmbeddedSubset()
	if err != nil {
		log.Fatal(err)
	}
	loader, err := data.NewLoader(ds.Train, data.LoaderConfig{BatchSize: 256, Shuffle: true, Seed: 1, Limit: 600})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(loader.Len(), "examples in", loader.NumBatches(), "batches")
	for epoch := range 2 {
		for x, y := range loader.Batches(epoch) {
			fmt.Println(epoch, x.Shape(), len(y))
		}
	}
	// Output:
	// 600 examples in 3 batches
	// 0 [256 1 28 28] 256
	// 0 [256 1 28 28] 256
	// 0 [88 1 28 28] 88
	// 1 [256 1 28 28] 256
	// 1 [256 1 28 28] 256
	// 1 [88 1 28 28] 88
}

func ExampleNewTwoCubes() {
	d, err := data.NewTwoCubes(data.TwoCubesSamples, 42)
	if err != nil {
		log.Fatal(err)
	}
	Z, _, _ := data.Standardize(d.X)
	r, c := Z.Dims()
	pos := 0
	for _, y := range d.Y {
		if y == 1 {
			pos++
		}
	}
	fmt.Printf("%d x %d, %d of class +1\n", r, c, pos)
	// Output:
	// 400 x 3, 200 of class +1
}
