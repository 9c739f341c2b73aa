package nn_test

import (
	"slices"
	"testing"

	"nnkit/nn"
	"nnkit/tensor"
)

func TestSequentialIndexingAndParameters(t *testing.T) {
	net := mlp()
	w0 := net.Layers[0].(*nn.Linear).Weight
	w2 := net.Layers[2].(*nn.Linear).Weight
	if !slices.Equal(w0.Shape(), []int{5, 4}) || !slices.Equal(w2.Shape(), []int{3, 5}) {
		t.Fatalf("weights have shapes %v and %v, want [5 4] and [3 5]", w0.Shape(), w2.Shape())
	}
	ps := net.Parameters()
	if len(ps) != 2 || ps[0] != w0 || ps[1] != w2 {
		t.Errorf("Parameters = %v, want layer 0's then layer 2's weight", ps)
	}
	infos, err := nn.Summarize(net, 10, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]int{{10, 5}, {10, 5}, {10, 3}} {
		if !slices.Equal(infos[i].OutputShape, want) {
			t.Errorf("layer %d: shape %v, want %v", i, infos[i].OutputShape, want)
		}
	}
	var names []string
	for _, n := range nn.NamedParameters(net) {
		names = append(names, n.Name)
	}
	if want := []string{"0.weight", "2.weight"}; !slices.Equal(names, want) {
		t.Errorf("NamedParameters = %v, want %v", names, want)
	}
}

func TestSharedParameterCountedOnce(t *testing.T) {
	l := nn.NewLinear(4, 4, true)
	net := nn.NewSequential(l, nn.NewReLU(), l)
	if got := len(net.Parameters()); got != 2 {
		t.Errorf("a layer used twice gives %d parameters, want 2", got)
	}
	if got := nn.CountParameters(net); got != 20 {
		t.Errorf("CountParameters = %d, want 20", got)
	}
}

func TestSetTrainingPropagates(t *testing.T) {
	inner := nn.NewSequential(nn.NewBatchNorm2d(2), nn.NewReLU())
	net := nn.NewSequential(nn.NewConv2d(1, 2, 3, 1, 1, true), inner)
	if !nn.IsTraining(net) {
		t.Fatal("a new network should be in training mode")
	}
	net.SetTraining(false)
	nn.Apply(net, func(m nn.Module) {
		if tr, ok := m.(nn.Trainer); ok && tr.Training() {
			t.Errorf("%s still in training mode after SetTraining(false)", m.Name())
		}
	})
	if nn.IsTraining(net) {
		t.Error("IsTraining = true after SetTraining(false)")
	}
}

func TestCastToFloat64(t *testing.T) {
	net := nn.NewSequential(nn.NewConv2d(1, 2, 3, 1, 1, true), nn.NewBatchNorm2d(2), nn.NewReLU(),
		nn.NewFlatten(), nn.NewLinear(2*4*4, 3, true))
	before := net.Parameters()
	want0 := before[0].Float64s()
	nn.Cast(net, tensor.Float64)
	after := net.Parameters()
	for i, p := range after {
		if p != before[i] {
			t.Fatalf("parameter %d changed identity", i)
		}
		if p.DType() != tensor.Float64 {
			t.Errorf("parameter %d is %v after Cast", i, p.DType())
		}
	}
	for _, b := range nn.NamedBuffers(net) {
		if b.Tensor.DType() != tensor.Float64 {
			t.Errorf("buffer %s is %v after Cast", b.Name, b.Tensor.DType())
		}
	}
	if !slices.Equal(after[0].Float64s(), want0) {
		t.Error("Cast changed the weights' values")
	}
	if got := nn.DTypeOf(net); got != tensor.Float64 {
		t.Errorf("DTypeOf = %v", got)
	}
	x := tensor.RandUniform(tensor.NewRNG(2), tensor.Float64, -1, 1, 2, 1, 4, 4)
	for _, training := range []bool{true, false} {
		net.SetTraining(training)
		y := net.Forward(x)
		if y.DType() != tensor.Float64 || !slices.Equal(y.Shape(), []int{2, 3}) {
			t.Errorf("training=%v: output %v %v, want float64 [2 3]", training, y.DType(), y.Shape())
		}
	}
}

func TestUserModuleWithoutNames(t *testing.T) {
	// A module that implements neither Parent nor ParameterNamer has its
	// parameters named by position.
	m := &opaque{w: tensor.Ones(tensor.Float32, 2).SetRequiresGrad(true)}
	net := nn.NewSequential(nn.NewLinear(2, 2, false), m)
	var names []string
	for _, n := range nn.StateDict(net) {
		names = append(names, n.Name)
	}
	if want := []string{"0.weight", "1.param0"}; !slices.Equal(names, want) {
		t.Errorf("StateDict names %v, want %v", names, want)
	}
}

type opaque struct{ w *tensor.Tensor }

func (o *opaque) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Mul(x, o.w) }
func (o *opaque) Parameters() []*tensor.Tensor            { return []*tensor.Tensor{o.w} }
func (o *opaque) SetTraining(bool)                        {}
func (o *opaque) Name() string                            { return "Opaque" }

func TestLosses(t *testing.T) {
	logits := tensor.FromValues(tensor.Float64, []float64{0, 0, 1, 1}, 2, 2)
	mean := nn.NewCrossEntropyLoss(nn.ReduceMean).Forward(logits, []int{0, 1}).Item()
	sum := nn.NewCrossEntropyLoss(nn.ReduceSum).Forward(logits, []int{0, 1}).Item()
	// Both rows are uniform over 2 classes: each term is log 2.
	if want := 0.6931471805599453; abs(mean-want) > 1e-12 || abs(sum-2*want) > 1e-12 {
		t.Errorf("CrossEntropyLoss mean %v sum %v, want %v and %v", mean, sum, want, 2*want)
	}
	pred := tensor.FromValues(tensor.Float64, []float64{1, 2, 3}, 3, 1)
	target := tensor.FromValues(tensor.Float64, []float64{1, 0, 0}, 3, 1)
	if got := nn.NewMSELoss(nn.ReduceSum).Forward(pred, target).Item(); got != 13 {
		t.Errorf("MSELoss sum = %v, want 13", got)
	}
	if got := nn.NewMSELoss(nn.ReduceMean).Forward(pred, target).Item(); abs(got-13.0/3) > 1e-15 {
		t.Errorf("MSELoss mean = %v, want 13/3", got)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Under NoGrad, Sequential gives the results passed between its built-in
// layers back to the buffer pool; the output is the same as with
// gradients on, batch after batch, including across a Flatten (a view of
// its input, which must not be given back).
func TestSequentialNoGradReleaseKeepsResults(t *testing.T) {
	nn.Seed(3)
	net := nn.NewSequential(
		nn.NewConv2d(1, 4, 3, 1, 1, true), nn.NewSigmoid(), nn.NewAvgPool2d(2, 2, 0),
		nn.NewConv2d(4, 5, 3, 1, 0, true), nn.NewReLU(), nn.NewMaxPool2d(2, 2, 0),
		nn.NewFlatten(), nn.NewLinear(5, 7, true), nn.NewSigmoid(), nn.NewLinear(7, 3, false),
	)
	net.SetTraining(false)
	for i := range 3 {
		x := tensor.RandUniform(tensor.NewRNG(uint64(i)), tensor.Float32, -1, 1, 9, 1, 8, 8)
		want := net.Forward(x).Float64s()
		for range 2 {
			var got []float64
			tensor.NoGrad(func() { got = net.Forward(x).Float64s() })
			if !slices.Equal(got, want) {
				t.Fatalf("batch %d: NoGrad forward %v, want %v", i, got, want)
			}
		}
		if x.Released() {
			t.Fatalf("the input was released")
		}
	}
}

// With gradients on, Sequential marks the results passed between its
// built-in layers for release at the end of Backward: training step after
// training step (the pool recycling those buffers) gives the same loss and
// gradients as a network whose intermediate results are kept.
func TestSequentialTrainingReleaseAfterBackward(t *testing.T) {
	build := func() *nn.Sequential {
		nn.Seed(5)
		return nn.NewSequential(
			nn.NewConv2d(1, 4, 3, 1, 1, true), nn.NewSigmoid(), nn.NewAvgPool2d(2, 2, 0),
			nn.NewConv2d(4, 5, 3, 1, 0, true), nn.NewReLU(), nn.NewMaxPool2d(2, 2, 0),
			nn.NewFlatten(), nn.NewLinear(5, 7, true), nn.NewSigmoid(), nn.NewLinear(7, 3, false),
		)
	}
	net, ref := build(), build()
	loss := nn.NewCrossEntropyLoss(nn.ReduceMean)
	for i := range 4 {
		x := tensor.RandUniform(tensor.NewRNG(uint64(i)), tensor.Float32, -1, 1, 9, 1, 8, 8)
		labels := []int{0, 1, 2, 0, 1, 2, 0, 1, 2}
		l := loss.Forward(net.Forward(x), labels)
		l.Backward()
		// The reference chains the layers by hand: nothing is marked.
		h := x
		for _, m := range ref.Layers {
			h = m.Forward(h)
		}
		lr := loss.Forward(h, labels)
		lr.Backward()
		if l.Item() != lr.Item() {
			t.Fatalf("step %d: loss %v, want %v", i, l.Item(), lr.Item())
		}
		for j, p := range net.Parameters() {
			if !slices.Equal(p.Grad().Float64s(), ref.Parameters()[j].Grad().Float64s()) {
				t.Fatalf("step %d: gradient of parameter %d differs", i, j)
			}
			p.ZeroGrad()
			ref.Parameters()[j].ZeroGrad()
		}
		if x.Released() {
			t.Fatalf("the input was released")
		}
	}
}

// probe is a user-defined layer: Forward returns new storage (relu of its
// input) and remembers its input. With fresh set it implements nn.Fresh
// through freshProbe; plain probe does not implement it.
type probe struct{ in *tensor.Tensor }

func (p *probe) Forward(x *tensor.Tensor) *tensor.Tensor { p.in = x; return tensor.Relu(x) }
func (*probe) Parameters() []*tensor.Tensor              { return nil }
func (*probe) SetTraining(bool)                          {}
func (*probe) Name() string                              { return "probe" }

type freshProbe struct {
	probe
	fresh bool
}

func (p *freshProbe) FreshForward() bool { return p.fresh }

// Sequential releases a result passed between two layers exactly when both
// say they are Fresh: a user-defined layer opts in through the interface,
// and one that answers false or does not implement it keeps its neighbours'
// results alive.
func TestSequentialReleasesBetweenFreshLayers(t *testing.T) {
	released := (*tensor.Tensor).Released
	x := tensor.FromFloat32([]float32{-1, 2, 3}, 3)
	a, b, c := &freshProbe{fresh: true}, &freshProbe{fresh: true}, &freshProbe{fresh: true}
	var out *tensor.Tensor
	tensor.NoGrad(func() { out = nn.NewSequential(a, b, c).Forward(x) })
	if released(x) || !released(b.in) || !released(c.in) || released(out) {
		t.Fatalf("all fresh: released input %v, a's result %v, b's result %v, output %v; want false, true, true, false",
			released(x), released(b.in), released(c.in), released(out))
	}
	notFresh := &freshProbe{fresh: false}
	plain := &probe{}
	for _, mid := range []struct {
		m  nn.Module
		in func() *tensor.Tensor
	}{{notFresh, func() *tensor.Tensor { return notFresh.in }}, {plain, func() *tensor.Tensor { return plain.in }}} {
		a, c := &freshProbe{fresh: true}, &freshProbe{fresh: true}
		tensor.NoGrad(func() { nn.NewSequential(a, mid.m, c).Forward(x) })
		// a's result went into mid, which may keep it; mid's result into c.
		if released(mid.in()) || released(c.in) || !slices.Equal(c.in.Float64s(), []float64{0, 2, 3}) {
			t.Fatalf("%T (FreshForward false or absent) in the middle: its input or result was released", mid.m)
		}
	}
}
