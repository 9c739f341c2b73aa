package wire

import (
	"bytes"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nnkit/data"
	"nnkit/nn"
	"nnkit/progress"
	"nnkit/tensor"
)

// roundTrip encodes v as a T and decodes it into a fresh T.
func roundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	e := NewEncoder(OpCall, nil)
	if err := e.Value(reflect.TypeFor[T](), reflect.ValueOf(&v).Elem()); err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	var out T
	d := NewDecoder(e.Bytes()[1:], nil)
	if err := d.Value(reflect.ValueOf(&out).Elem()); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
	if err := d.Done(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

func TestScalarsAndSlicesKeepTheirBits(t *testing.T) {
	v := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(-1), 1e-310, math.MaxFloat64}
	if got := roundTrip(t, v); !sameBits(got, v) {
		t.Fatalf("got %v, want %v", got, v)
	}
	if got := roundTrip[[]float64](t, nil); got != nil {
		t.Fatalf("nil slice came back as %#v", got)
	}
	if got := roundTrip(t, []float64{}); got == nil || len(got) != 0 {
		t.Fatalf("empty slice came back as %#v", got)
	}
	if got := roundTrip(t, [][]float64{{1, 2}, nil, {}}); got[1] != nil || got[2] == nil || got[0][1] != 2 {
		t.Fatalf("got %#v", got)
	}
	h := []progress.EpochStats{{Epoch: 1, Loss: 2.5, TrainAcc: 0.25, TestAcc: math.NaN(), ExamplesPerSec: 1e4, Device: "cpu"}}
	if got := roundTrip(t, h); got[0].Device != "cpu" || !math.IsNaN(got[0].TestAcc) || got[0].Loss != 2.5 {
		t.Fatalf("got %+v", got)
	}
	if got := roundTrip(t, -12345); got != -12345 {
		t.Fatalf("got %d", got)
	}
}

func TestDenseAndAliasing(t *testing.T) {
	m := mat.NewDense(2, 3, []float64{1, 2, 3, 4, 5, math.NaN()})
	got := roundTrip(t, []*mat.Dense{m, m, nil, new(mat.Dense)})
	if got[0] != got[1] {
		t.Fatal("one matrix twice came back as two matrices")
	}
	if got[2] != nil || got[3] == nil || !got[3].IsEmpty() {
		t.Fatalf("nil and empty matrices came back as %v and %v", got[2], got[3])
	}
	if r, c := got[0].Dims(); r != 2 || c != 3 || got[0].At(1, 1) != 5 || !math.IsNaN(got[0].At(1, 2)) {
		t.Fatalf("got %v", mat.Formatted(got[0]))
	}
}

// TestDecodeWritesIntoTheCallersObjects is what lets the checker see a
// student's function change its arguments.
func TestDecodeWritesIntoTheCallersObjects(t *testing.T) {
	X := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	K := []float64{1, 2}
	changed := mat.NewDense(2, 2, []float64{9, 9, 9, 9})
	e := NewEncoder(OpCall, nil)
	e.Value(reflect.TypeFor[*mat.Dense](), reflect.ValueOf(changed))
	e.Value(reflect.TypeFor[[]float64](), reflect.ValueOf([]float64{7, 8}))
	e.Value(reflect.TypeFor[*mat.Dense](), reflect.ValueOf(changed)) // a result that is the argument
	d := NewDecoder(e.Bytes()[1:], nil)
	xv, kv := reflect.ValueOf(&X).Elem(), reflect.ValueOf(&K).Elem()
	origX, origK := X, K
	d.Value(xv)
	d.Value(kv)
	var res *mat.Dense
	d.Value(reflect.ValueOf(&res).Elem())
	if err := d.Done(); err != nil {
		t.Fatal(err)
	}
	if X != origX || X.At(0, 0) != 9 {
		t.Fatalf("X was not updated in place: %v", mat.Formatted(X))
	}
	if &K[0] != &origK[0] || K[0] != 7 {
		t.Fatalf("K was not updated in place: %v", K)
	}
	if res != origX {
		t.Fatal("a result that is the argument did not come back as the caller's own matrix")
	}
}

func TestModulesCrossWithTheirState(t *testing.T) {
	nn.Seed(3)
	bn := nn.NewBatchNorm2d(2)
	bn.RunningMean.Data32()[1] = 0.25
	bn.SetTraining(false)
	net := nn.NewSequential(nn.NewConv2d(1, 2, 3, 1, 1, true), bn, bn, nn.NewReLU(), NewSpy())
	got := roundTrip[nn.Module](t, net).(*nn.Sequential)
	if len(got.Layers) != 5 || got.Layers[1] != got.Layers[2] {
		t.Fatalf("layers %v: one BatchNorm twice should stay one object", got.Layers)
	}
	gbn := got.Layers[1].(*nn.BatchNorm2d)
	if gbn.Training() || gbn.RunningMean.Data32()[1] != 0.25 {
		t.Fatal("the BatchNorm lost its mode or running mean")
	}
	if !got.Layers[0].(*nn.Conv2d).Training() {
		t.Fatal("the convolution lost its training mode")
	}
	w, gw := net.Layers[0].(*nn.Conv2d).Weight, got.Layers[0].(*nn.Conv2d).Weight
	if !slices.Equal(w.Float64s(), gw.Float64s()) || !gw.RequiresGrad() || !slices.Equal(gw.Shape(), []int{2, 1, 3, 3}) {
		t.Fatal("the convolution's weight changed on the way")
	}
	// Into the existing network: the same objects, new values.
	gw.Data32()[0] = 42
	gbn.SetTraining(true)
	e := NewEncoder(OpCall, nil)
	var m nn.Module = got
	e.Value(moduleType, reflect.ValueOf(&m).Elem())
	var into nn.Module = net
	d := NewDecoder(e.Bytes()[1:], nil)
	if err := d.Value(reflect.ValueOf(&into).Elem()); err != nil {
		t.Fatal(err)
	}
	if into != nn.Module(net) || net.Layers[0].(*nn.Conv2d).Weight != w || w.Data32()[0] != 42 || !bn.Training() {
		t.Fatal("decoding into the existing network did not update its own objects")
	}
}

func TestAModuleOfAnotherTypeNeedsAPeer(t *testing.T) {
	type mine struct{ *nn.ReLU }
	var m nn.Module = &mine{nn.NewReLU()}
	e := NewEncoder(OpCall, nil)
	if err := e.Value(moduleType, reflect.ValueOf(&m).Elem()); err == nil {
		t.Fatal("a module of an unknown type crossed without a peer")
	}
}

func TestLoaderCrosses(t *testing.T) {
	s := &data.Split{Images: []uint8{0, 255, 128, 7}, Labels: []uint8{3, 4}, Rows: 1, Cols: 2}
	l, err := data.NewLoader(s, data.LoaderConfig{BatchSize: 1, Shuffle: true, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	got := roundTrip(t, l)
	if !slices.Equal(got.Order(1), l.Order(1)) || !bytes.Equal(got.Split().Images, s.Images) || got.Config() != l.Config() {
		t.Fatal("the loader changed on the way")
	}
	if dev := roundTrip[tensor.Device](t, tensor.CPU); dev != tensor.CPU {
		t.Fatalf("device %v", dev)
	}
}

// TestMalformedFramesAreErrors cuts and corrupts a real frame at every
// byte: the decoder must return an error or a value, never panic or
// allocate beyond the frame.
func TestMalformedFramesAreErrors(t *testing.T) {
	net := nn.NewSequential(nn.NewLinear(3, 2, true), nn.NewSigmoid())
	var m nn.Module = net
	e := NewEncoder(OpCall, nil)
	e.Value(moduleType, reflect.ValueOf(&m).Elem())
	e.Value(reflect.TypeFor[[]*mat.Dense](), reflect.ValueOf([]*mat.Dense{mat.NewDense(1, 2, []float64{1, 2})}))
	frame := e.Bytes()[1:]
	decode := func(b []byte) {
		var m nn.Module
		var ds []*mat.Dense
		d := NewDecoder(b, nil)
		d.Value(reflect.ValueOf(&m).Elem())
		d.Value(reflect.ValueOf(&ds).Elem())
		d.Done()
	}
	for i := range frame {
		decode(frame[:i])
		for _, x := range []byte{0, 1, 0x7f, 0xff} {
			b := slices.Clone(frame)
			b[i] = x
			decode(b)
		}
	}
}

func FuzzDecoder(f *testing.F) {
	e := NewEncoder(OpCall, nil)
	var m nn.Module = nn.NewSequential(nn.NewConv2d(1, 1, 1, 1, 0, false), NewSpy())
	e.Value(moduleType, reflect.ValueOf(&m).Elem())
	f.Add(e.Bytes()[1:])
	f.Fuzz(func(t *testing.T, b []byte) {
		var m nn.Module
		var h []progress.EpochStats
		var l *data.Loader
		d := NewDecoder(b, nil)
		d.Value(reflect.ValueOf(&m).Elem())
		d.Value(reflect.ValueOf(&h).Elem())
		d.Value(reflect.ValueOf(&l).Elem())
		d.Done()
	})
}

func TestFrames(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFrame(&buf, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	b, err := ReadFrame(&buf)
	if err != nil || string(b) != "hello" {
		t.Fatalf("%q, %v", b, err)
	}
	buf.Write([]byte{0xff, 0xff, 0xff, 0x7f})
	if _, err := ReadFrame(&buf); err == nil {
		t.Fatal("a frame announcing 2 GiB was accepted")
	}
	buf.Reset()
	buf.Write([]byte{10, 0, 0, 0, 1, 2})
	if _, err := ReadFrame(&buf); err == nil {
		t.Fatal("a truncated frame was accepted")
	}
}

// TestHostileShapesAreRefused: values whose decoding would make the
// checker loop or exhaust its memory are errors.
func TestHostileShapesAreRefused(t *testing.T) {
	encode := func(v any, typ reflect.Type) []byte {
		e := NewEncoder(OpCall, nil)
		if err := e.Value(typ, reflect.ValueOf(v)); err != nil {
			t.Fatal(err)
		}
		return e.Bytes()[1:]
	}
	decodeErr := func(b []byte, into any) error {
		return NewDecoder(b, nil).Value(reflect.ValueOf(into).Elem())
	}
	// A Sequential that holds itself.
	cyc := nn.NewSequential(nn.NewReLU())
	cyc.Layers = append(cyc.Layers, cyc)
	var m nn.Module = cyc
	var got nn.Module
	e := NewEncoder(OpCall, nil)
	e.Value(moduleType, reflect.ValueOf(&m).Elem())
	if err := NewDecoder(e.Bytes()[1:], nil).Value(reflect.ValueOf(&got).Elem()); err == nil || !strings.Contains(err.Error(), "contains itself") {
		t.Errorf("a Sequential holding itself: err %v", err)
	}
	// A DAG: 15 levels, each holding the one below 8 times.
	level := nn.Module(nn.NewReLU())
	for range 15 {
		layers := make([]nn.Module, 8)
		for i := range layers {
			layers[i] = level
		}
		level = nn.NewSequential(layers...)
	}
	e = NewEncoder(OpCall, nil)
	e.Value(moduleType, reflect.ValueOf(&level).Elem())
	if len(e.Bytes()) > 4096 {
		t.Fatalf("the DAG took %d bytes: the test does not test amplification", len(e.Bytes()))
	}
	if err := NewDecoder(e.Bytes()[1:], nil).Value(reflect.ValueOf(&got).Elem()); err == nil || !strings.Contains(err.Error(), "counting every path") {
		t.Errorf("a DAG of 8^15 paths: err %v", err)
	}
	// Forty million empty rows: 40 MB on the wire, 960 MB in memory.
	rows := make([][]float64, 40_000_000)
	b := encode(rows, reflect.TypeFor[[][]float64]())
	var into [][]float64
	if err := decodeErr(b, &into); err == nil || !strings.Contains(err.Error(), "more memory") {
		t.Errorf("40e6 empty rows: err %v", err)
	}
	// A right-sized network still crosses.
	var lenet nn.Module = nn.NewSequential(nn.NewConv2d(1, 6, 5, 1, 2, true), nn.NewSigmoid(), nn.NewAvgPool2d(2, 2, 0), nn.NewFlatten(), nn.NewLinear(1176, 10, true))
	e = NewEncoder(OpCall, nil)
	e.Value(moduleType, reflect.ValueOf(&lenet).Elem())
	if err := NewDecoder(e.Bytes()[1:], nil).Value(reflect.ValueOf(&got).Elem()); err != nil {
		t.Errorf("a small network: %v", err)
	}
}
