package tensor_test

// Attacks on the engine's recycling of storage (BackwardAndRelease,
// ZeroGrad, Release, nn.Sequential's release), written by a red team as
// careless user code would: each test is one attack, and fails when it
// succeeds, that is when a given-back tensor is used without a panic, a
// panic does not say what gave the storage back, or a value that must
// survive (a view, a Data32 slice, a handed-out gradient) changes.

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"nnkit/nn"
	"nnkit/optim"
	"nnkit/tensor"
)

// rtChurn allocates and gives back many pooled buffers of the sizes the
// tests use, so that anything given back to the pool is handed out again
// and overwritten.
func rtChurn(sizes ...int) {
	for range 4 {
		for _, n := range sizes {
			a := tensor.Full(tensor.Float32, 777, n).SetRequiresGrad(true)
			l := tensor.Sum(tensor.Relu(tensor.AddScalar(tensor.Relu(a), 1)))
			l.BackwardAndRelease()
			a.ZeroGrad()
			b := tensor.Relu(tensor.Full(tensor.Float32, 555, n))
			b.Release()
		}
	}
}

// Attack 1. A gradient lent by LendGrad and kept past ZeroGrad (a careless
// custom optimiser that stores the first step's gradient as its momentum
// buffer without Clone, what PyTorch users write as buf = d). ZeroGrad
// gives its storage back, so every use must panic; before the fix it read
// zeros.
func TestAttackLendGradKeptPastZeroGrad(t *testing.T) {
	const n = 1000
	p := tensor.Full(tensor.Float32, 2, n).SetRequiresGrad(true)
	tensor.Sum(tensor.Mul(p, p)).Backward() // grad = 2p = 4
	var kept *tensor.Tensor
	p.LendGrad(func(g *tensor.Tensor) { kept = g.To(tensor.Float32) }) // "a float32 copy": To returns g itself
	if kept.Float64s()[0] != 4 {
		t.Fatalf("setup: gradient %v, want 4", kept.Float64s()[0])
	}
	p.ZeroGrad()
	rtChurn(n)
	results := map[string]string{}
	try := func(name string, f func() string) {
		if msg := panicMessage(func() { results[name] = f() }); msg != "" {
			results[name] = "panic: " + msg
		}
	}
	try("Float64s()[0]", func() string { return fmt.Sprint(kept.Float64s()[0]) })
	try("Sum(kept).Item()", func() string { return fmt.Sprint(tensor.Sum(kept).Item()) })
	try("Clone().Float64s()[0]", func() string { return fmt.Sprint(kept.Clone().Float64s()[0]) })
	try("len(Data32())", func() string { return fmt.Sprint(len(kept.Data32())) })
	try("IsFinite()", func() string { return fmt.Sprint(kept.IsFinite()) })
	try("Released()", func() string { return fmt.Sprint(kept.Released()) })
	try("Item of MeanAxis", func() string { return fmt.Sprint(tensor.Sum(tensor.MeanAxis(kept, 0, false)).Item()) })
	try("At(0)", func() string { return fmt.Sprint(kept.At(0)) })
	try("Relu", func() string { tensor.Relu(kept); return "ok" })
	try("p.AddScaledInPlace(-0.1, kept)", func() string { p.AddScaledInPlace(-0.1, kept); return "ok" })
	silent := false
	for _, k := range mapsKeys(results) {
		v := results[k]
		t.Logf("kept gradient after ZeroGrad: %-32s -> %s", k, v)
		if !strings.HasPrefix(v, "panic: ") && k != "Released()" {
			silent = true
		}
		if strings.HasPrefix(v, "panic: ") && !strings.Contains(v, "gave back") {
			t.Errorf("%s: obscure panic %q (not the ended-tensor message)", k, v)
		}
	}
	if silent {
		t.Errorf("a gradient kept past ZeroGrad is used without a panic (reads zeros): ZeroGrad releases it without ending it")
	}
}

func mapsKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// wantGaveBack fails the test unless f panics with the message of a use
// of a given-back tensor ("... gave back ...").
func wantGaveBack(t *testing.T, name string, f func()) {
	t.Helper()
	switch msg := panicMessage(f); {
	case msg == "":
		t.Errorf("%s: a given-back tensor was used without a panic", name)
	case !strings.Contains(msg, "gave back"):
		t.Errorf("%s: panic without the given-back message: %q", name, msg)
	}
}

// Attack 2. BackwardWith from an ended root, or with an ended upstream
// gradient, and ToDevice to an ended tensor's Device(): do these panic with
// the ended-tensor message?
func TestAttackEndedRootAndDevice(t *testing.T) {
	mk := func() (x, h, l *tensor.Tensor) {
		x = tensor.Full(tensor.Float32, 0.5, 4, 3).SetRequiresGrad(true)
		h = tensor.Relu(x)
		l = tensor.Sum(tensor.Mul(h, h))
		l.BackwardAndRelease()
		return
	}
	cases := []struct {
		name string
		f    func()
	}{
		{"h.BackwardWith(ones) with h ended", func() {
			_, h, _ := mk()
			h.BackwardWith(tensor.Ones(tensor.Float32, 4, 3))
		}},
		{"h.Backward() on an ended non-scalar/scalar", func() {
			_, h, _ := mk()
			tensor.Reshape(h, -1) // panics here already; keep the shape of the use
		}},
		{"l2.BackwardWith(ended grad)", func() {
			x, h, _ := mk()
			l2 := tensor.Relu(x)
			l2.BackwardWith(h)
		}},
		{"h.BackwardAndRelease() on ended scalar", func() {
			x := tensor.Full(tensor.Float32, 0.5, 3).SetRequiresGrad(true)
			s := tensor.Sum(tensor.Relu(x))
			l := tensor.MulScalar(s, 2)
			l.BackwardAndRelease()
			s.BackwardAndRelease()
		}},
		{"y.ToDevice(h.Device()) with h ended", func() {
			_, h, _ := mk()
			tensor.Ones(tensor.Float32, 2).ToDevice(h.Device())
		}},
		{"MoveTo(h.Device()) of a parameter", func() {
			x, h, _ := mk()
			x.MoveTo(h.Device())
		}},
	}
	for _, c := range cases {
		wantGaveBack(t, c.name, c.f)
	}
}

// Attack 3. Uses of an ended tensor that the package's own test does not
// list: every one should panic with the ended-tensor message.
func TestAttackEndedTensorEveryEntryPoint(t *testing.T) {
	r := func(seed uint64, shape ...int) *tensor.Tensor {
		return tensor.RandUniform(tensor.NewRNG(seed), tensor.Float32, -1, 1, shape...)
	}
	x := r(1, 2, 3, 4, 4).SetRequiresGrad(true)
	w := r(2, 3, 3, 3, 3).SetRequiresGrad(true)
	c := tensor.Conv2d(x, w, nil, 1, 1) // [2 3 4 4]
	a := tensor.Relu(c)
	flat := tensor.Flatten(a)
	wl := r(3, 5, 48).SetRequiresGrad(true)
	logits := tensor.Linear(flat, wl, nil) // [2 5]
	s := tensor.Sum(logits)                // scalar intermediate
	loss := tensor.Add(tensor.CrossEntropy(logits, []int{1, 2}), tensor.MulScalar(s, 0.01))
	bias := tensor.MeanAxis(logits, 0, false) // [5], an intermediate used as a bias
	bn := tensor.SumAxis(tensor.SumAxis(tensor.SumAxis(a, 0, false), 1, false), 1, false)
	loss2 := tensor.Add(loss, tensor.Add(tensor.Sum(bias), tensor.Sum(bn)))
	loss2.BackwardAndRelease()

	// A NoGrad result given back by Release (as nn.Sequential does).
	var rel *tensor.Tensor
	tensor.NoGrad(func() { rel = tensor.Relu(r(9, 2, 3, 4, 4)) })
	rel.Release()

	live4 := r(4, 2, 3, 4, 4)
	live2 := r(5, 2, 5)
	g3 := tensor.Ones(tensor.Float32, 3)
	b3 := tensor.Zeros(tensor.Float32, 3)
	uses := []struct {
		name string
		f    func()
	}{
		{"MatMul", func() { tensor.MatMul(logits, tensor.Ones(tensor.Float32, 5, 2)) }},
		{"MatMul second", func() { tensor.MatMul(tensor.Ones(tensor.Float32, 2, 2), logits) }},
		{"Linear ended x", func() { tensor.Linear(flat, wl, nil) }},
		{"Linear ended bias", func() { tensor.Linear(tensor.Ones(tensor.Float32, 2, 48), wl, bias) }},
		{"Permute", func() { tensor.Permute(a, 0, 2, 3, 1) }},
		{"T", func() { logits.T() }},
		{"Rows", func() { tensor.Rows(a, []int{0}) }},
		{"Slice", func() { tensor.Slice(a, 0, 1) }},
		{"ResizeBilinear", func() { tensor.ResizeBilinear(a, 2, 2) }},
		{"CountCorrect", func() { tensor.CountCorrect(logits, []int{0, 1}) }},
		{"SumAxis", func() { tensor.SumAxis(a, 1, true) }},
		{"Softmax", func() { tensor.Softmax(logits, 1) }},
		{"LogSoftmax", func() { tensor.LogSoftmax(logits, 1) }},
		{"MaxPool2d", func() { tensor.MaxPool2d(a, 2, 2, 0) }},
		{"AvgPool2d", func() { tensor.AvgPool2d(a, 2, 2, 0) }},
		{"AdaptiveAvgPool2d", func() { tensor.AdaptiveAvgPool2d(a, 1, 1) }},
		{"BatchNorm2d x", func() { tensor.BatchNorm2d(a, g3, b3, nil, nil, true, 0.1, 1e-5) }},
		{"BatchNorm2d runMean ended", func() {
			tensor.BatchNorm2d(live4, g3, b3, bn, tensor.Ones(tensor.Float32, 3), true, 0.1, 1e-5)
		}},
		{"BatchNorm2d gamma ended", func() { tensor.BatchNorm2d(live4, bn, b3, nil, nil, true, 0.1, 1e-5) }},
		{"Conv2d bias ended", func() { tensor.Conv2d(live4, w.Detach(), bn, 1, 1) }},
		{"CrossEntropy", func() { tensor.CrossEntropy(logits, []int{0, 1}) }},
		{"MSE", func() { tensor.MSE(logits, live2, tensor.ReduceMean) }},
		{"MSE target", func() { tensor.MSE(live2, logits, tensor.ReduceMean) }},
		{"Div", func() { tensor.Div(live2, logits) }},
		{"Sub", func() { tensor.Sub(logits, live2) }},
		{"Exp", func() { tensor.Exp(logits) }},
		{"Sigmoid", func() { tensor.Sigmoid(logits) }},
		{"AddScalar", func() { tensor.AddScalar(logits, 1) }},
		{"MulScalar", func() { tensor.MulScalar(logits, 2) }},
		{"Fill", func() { logits.Fill(1) }},
		{"IsFinite", func() { logits.IsFinite() }},
		{"ScaleInPlace", func() { logits.ScaleInPlace(2) }},
		{"AddScaledInPlace dst", func() { logits.AddScaledInPlace(1, live2) }},
		{"AddScaledInPlace src", func() { live2.AddScaledInPlace(1, logits) }},
		{"UniformFill", func() { logits.UniformFill(tensor.NewRNG(1), 0, 1) }},
		{"Cast", func() { logits.Cast(tensor.Float64) }},
		{"MoveTo CPU", func() { logits.MoveTo(tensor.CPU) }},
		{"ZerosLike", func() { tensor.ZerosLike(logits) }},
		{"Item scalar intermediate", func() { s.Item() }},
		{"At scalar intermediate", func() { s.At() }},
		{"SGDUpdate", func() { tensor.SGDUpdate(logits, live2, nil, 0.1, 0, 0, true) }},
		{"Release after BackwardAndRelease", func() { logits.Release() }},
		{"Release()d: Relu", func() { tensor.Relu(rel) }},
		{"Release()d: Item via Sum", func() { tensor.Sum(rel).Item() }},
		{"Release()d: Data32", func() { rel.Data32() }},
		{"Release()d: Float64s", func() { rel.Float64s() }},
		{"Release()d: Release again", func() { rel.Release() }},
	}
	for _, u := range uses {
		wantGaveBack(t, u.name, u.f)
	}
	if got, want := fmt.Sprint(logits), "Tensor([2 5], float32, storage given back by BackwardAndRelease, op=Linear)"; got != want {
		t.Errorf("fmt.Sprint of an ended tensor = %q, want %q", got, want)
	}
	t.Logf("ended: IsLeaf %v, OnCPU %v, Device %q, To(same dtype) is itself %v, ToDevice(own Device) is itself %v",
		logits.IsLeaf(), logits.OnCPU(), logits.Device().Name(), logits.To(tensor.Float32) == logits, logits.ToDevice(logits.Device()) == logits)
}

// Attack 4. Storage that a caller still reaches through a view, a Detach
// (made into a new leaf), a Data32 slice or a gradient handed out by Grad
// keeps its values however much later steps allocate, and ZeroGrad does
// not recycle a handed-out gradient.
func TestAttackSharedStorageSurvivesChurn(t *testing.T) {
	const n = 777
	x := tensor.RandUniform(tensor.NewRNG(3), tensor.Float32, -1, 1, n).SetRequiresGrad(true)
	h := tensor.Sigmoid(x)
	h2 := tensor.Exp(h)
	view := tensor.Reshape(h, 7, 111)
	leaf2 := h2.Detach().SetRequiresGrad(true)
	h3 := tensor.Tanh(h2)
	slice := h3.Data32()
	wantView, wantLeaf, wantSlice := view.Float64s(), leaf2.Float64s(), slices.Clone(slice)
	l := tensor.Sum(tensor.Mul(h3, h3))
	l.BackwardAndRelease()
	g := x.Grad()
	wantGrad := g.Float64s()
	x.ZeroGrad()
	rtChurn(n)
	for range 3 {
		tensor.Sum(tensor.Mul(tensor.Tanh(tensor.Exp(tensor.Sigmoid(x))), x)).BackwardAndRelease()
		x.ZeroGrad()
		tensor.Sum(tensor.Mul(leaf2, leaf2)).BackwardAndRelease()
		leaf2.ZeroGrad()
	}
	if !slices.Equal(view.Float64s(), wantView) {
		t.Error("a Reshape view of an ended result changed")
	}
	if !slices.Equal(leaf2.Float64s(), wantLeaf) {
		t.Error("a Detach of an ended result (made a leaf) changed")
	}
	if !slices.Equal(slice, wantSlice) {
		t.Error("a Data32 slice of an ended result changed")
	}
	if !slices.Equal(g.Float64s(), wantGrad) {
		t.Error("a gradient handed out by Grad changed after ZeroGrad")
	}
	if !h.Released() || !h2.Released() || !h3.Released() || view.Released() || leaf2.Released() || l.Released() {
		t.Errorf("Released: h %v h2 %v h3 %v view %v leaf2 %v loss %v", h.Released(), h2.Released(), h3.Released(), view.Released(), leaf2.Released(), l.Released())
	}
	// Backward through the surviving view: its parent h was ended.
	msg := panicMessage(func() { tensor.Sum(view).Backward() })
	t.Logf("Backward through a surviving view of an ended result: %q", msg)
}

// Attack 5. A root that is a view (Reshape of the sum) or that passes its
// gradient on by passOn (AddScalar, Add of a tensor with itself): the
// loss and the leaves' gradients stay right after churn.
func TestAttackRootViewsAndPassOn(t *testing.T) {
	const n = 513
	x := tensor.Full(tensor.Float64, 0.25, n).SetRequiresGrad(true)
	for step := range 3 {
		h := tensor.AddScalar(x, 1)          // passOn to x
		hh := tensor.Add(h, h)               // passOnTo h twice
		s := tensor.Sum(tensor.Mul(hh, hh))  // 4 (x+1)^2 per element
		root := tensor.Reshape(s, 1)         // root is a view of an intermediate
		root2 := tensor.AddScalar(root, 0.5) // and passOn above it
		root2.BackwardAndRelease()
		want := float64(n)*4*1.25*1.25 + 0.5
		rtChurn(n, 1)
		if got := root2.Item(); math.Abs(got-want) > 1e-9 {
			t.Fatalf("step %d: loss %v, want %v", step, got, want)
		}
		var gv []float64
		x.LendGrad(func(g *tensor.Tensor) { gv = g.Float64s() })
		for i, v := range gv {
			if math.Abs(v-8*1.25) > 1e-9 {
				t.Fatalf("step %d: grad[%d] = %v, want 10", step, i, v)
			}
		}
		x.ZeroGrad()
		if !root.Released() || root2.Released() {
			t.Fatalf("root view ended %v, root ended %v", root.Released(), root2.Released())
		}
	}
}

// tap is a careless custom layer: it embeds nn.ReLU (so it is Fresh by
// promotion) and keeps its output for later inspection.
type tap struct {
	nn.ReLU
	last  *tensor.Tensor
	slice []float32
}

func (p *tap) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := p.ReLU.Forward(x)
	p.last = y
	return y
}

type tapSlice struct{ tap }

func (p *tapSlice) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := p.ReLU.Forward(x)
	p.slice = y.Data32() // keeps a slice: marks the storage shared
	return y
}

// Attack 6. nn.Sequential gives back a result a careless custom layer
// kept: using it must panic clearly (evaluation: Release; training:
// ReleaseAfterBackward and BackwardAndRelease), and a Data32 slice it kept
// must keep its values.
func TestAttackSequentialKeptIntermediate(t *testing.T) {
	mk := func(mid nn.Module) *nn.Sequential {
		l1 := nn.NewLinear(8, 16, true)
		l2 := nn.NewLinear(16, 4, true)
		return nn.NewSequential(l1, mid, l2)
	}
	x := tensor.RandUniform(tensor.NewRNG(8), tensor.Float32, -1, 1, 5, 8)

	tp := &tap{}
	net := mk(tp)
	tensor.NoGrad(func() { net.Forward(x) })
	if msg := panicMessage(func() { tp.last.Float64s() }); !strings.Contains(msg, "gave back") {
		t.Errorf("evaluation: the kept intermediate is used without the ended-tensor panic: %q", msg)
	}

	tp2 := &tap{}
	net = mk(tp2)
	l := tensor.CrossEntropy(net.Forward(x), []int{0, 1, 2, 3, 0})
	l.Backward()
	if msg := panicMessage(func() { tp2.last.Float64s() }); !strings.Contains(msg, "gave back") {
		t.Errorf("training (plain Backward): kept intermediate: %q", msg)
	}

	// A slice kept by the careless layer (Data32 marks the storage
	// shared) keeps its values through later evaluation and training.
	ts2 := &tapSlice{}
	net = mk(ts2)
	tensor.NoGrad(func() { net.Forward(x) })
	keep := ts2.slice
	wantKeep := slices.Clone(keep)
	for range 4 {
		tensor.NoGrad(func() { net.Forward(tensor.Full(tensor.Float32, 9, 5, 8)) })
		tensor.CrossEntropy(net.Forward(x), []int{0, 1, 2, 3, 0}).BackwardAndRelease()
	}
	if !slices.Equal(keep, wantKeep) {
		t.Error("a Data32 slice kept by a layer inside Sequential changed after later forwards")
	}
}

// freshID is a (misdeclared) Fresh layer that returns its input as is.
type freshID struct{ nn.ReLU }

func (*freshID) Forward(x *tensor.Tensor) *tensor.Tensor { return x }

// Attack 7. A Fresh layer that returns its input unchanged (y == x) must
// not make nn.Sequential give back the caller's input when the next layer
// has used it; before the fix it did.
func TestAttackSequentialFreshIdentityReleasesInput(t *testing.T) {
	net := nn.NewSequential(&freshID{}, nn.NewLinear(8, 4, true))
	x := tensor.RandUniform(tensor.NewRNG(8), tensor.Float32, -1, 1, 5, 8)
	tensor.NoGrad(func() { net.Forward(x) })
	if x.Released() {
		t.Fatalf("Sequential[identity, Linear] gave back the caller's input: %q", panicMessage(func() { x.Float64s() }))
	}
}

// trainSmall trains a small MLP for steps steps with BackwardAndRelease,
// ZeroGrad (recycling the lent gradients) and SGD, and returns the final
// parameters.
func trainSmall(seed uint64, steps int) []float64 {
	net := nn.NewSequential(nn.NewLinear(32, 64, true), &nn.ReLU{}, nn.NewLinear(64, 64, true), &nn.ReLU{}, nn.NewLinear(64, 10, true))
	nn.NewGenerator(seed).ResetParameters(net)
	opt := optim.NewSGD(net.Parameters(), 0.05, 0.9, 1e-4)
	drng := tensor.NewRNG(seed + 100)
	for range steps {
		x := tensor.RandUniform(drng, tensor.Float32, -1, 1, 16, 32)
		y := make([]int, 16)
		for i := range y {
			y[i] = drng.IntN(10)
		}
		opt.ZeroGrad()
		l := tensor.CrossEntropy(net.Forward(x), y)
		l.BackwardAndRelease()
		opt.Step()
	}
	var out []float64
	for _, p := range net.Parameters() {
		out = append(out, p.Float64s()...)
	}
	return out
}

// Attack 8. The pool is global: several goroutines training their own
// models at once (BackwardAndRelease, ZeroGrad, Sequential's release) must
// get bit-identical results to running alone.
func TestAttackConcurrentTrainingSharesPool(t *testing.T) {
	const workers, steps = 4, 30
	want := make([][]float64, workers)
	for i := range workers {
		want[i] = trainSmall(uint64(i+1), steps)
	}
	got := make([][]float64, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = trainSmall(uint64(i+1), steps)
		}()
	}
	wg.Wait()
	for i := range workers {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("worker %d: concurrent training gives different parameters", i)
		}
	}
}

// Attack 9. NoGrad is process-wide, and Mul's and Div's backward closures
// used to enter it: one goroutine's backward pass through MSE (Mul) made
// another goroutine's forward operations record no history, silently
// (48,802 of 200,000 before the fix).
func TestAttackConcurrentNoGradWindow(t *testing.T) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a := tensor.Full(tensor.Float64, 1, 64).SetRequiresGrad(true)
		for {
			select {
			case <-stop:
				return
			default:
			}
			tensor.MSE(a, tensor.Zeros(tensor.Float64, 64), tensor.ReduceSum).BackwardAndRelease()
			a.ZeroGrad()
		}
	}()
	p := tensor.Full(tensor.Float64, 1, 64).SetRequiresGrad(true)
	lost := 0
	const tries = 200_000
	for range tries {
		if !tensor.Relu(p).RequiresGrad() {
			lost++
		}
	}
	close(stop)
	wg.Wait()
	if lost != 0 {
		t.Errorf("forward ops on one goroutine that silently recorded no history while another ran MSE backward: %d of %d", lost, tries)
	}
}

// Attack 10. Two losses over one trunk, one Backward each: the second
// backward pass finds the trunk's history gone. It used to give the
// trunk's parameters nothing, silently (w.Grad 1 where 11 was due); like
// PyTorch ("Trying to backward through the graph a second time") it now
// panics before accumulating anything, after Backward as after
// BackwardAndRelease, and again on the same loss.
func TestAttackSecondBackwardThroughTrunk(t *testing.T) {
	for _, first := range []func(*tensor.Tensor){(*tensor.Tensor).Backward, (*tensor.Tensor).BackwardAndRelease} {
		w := tensor.Full(tensor.Float64, 2, 3).SetRequiresGrad(true)
		x := tensor.Full(tensor.Float64, 1, 3)
		h := tensor.Mul(w, x)
		l1 := tensor.Sum(h)
		l2 := tensor.Sum(tensor.MulScalar(h, 10))
		first(l1)
		want := w.Grad().Float64s()
		msg := panicMessage(func() { l2.Backward() })
		if !strings.Contains(msg, "earlier backward pass") && !strings.Contains(msg, "gave back") {
			t.Errorf("second backward through a used trunk: panic %q, want one saying the history is gone", msg)
		}
		if !slices.Equal(w.Grad().Float64s(), want) {
			t.Errorf("the refused backward pass changed w.Grad: %v, want %v", w.Grad().Float64s(), want)
		}
		if msg := panicMessage(func() { l1.Backward() }); !strings.Contains(msg, "earlier backward pass") {
			t.Errorf("Backward twice on one loss: panic %q", msg)
		}
	}
}

// trainSmallMSE is trainSmall with an MSE loss (Mul's backward used to
// enter the process-wide NoGrad).
func trainSmallMSE(seed uint64, steps int) (params []float64, panicked string) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprint(r)
		}
	}()
	net := nn.NewSequential(nn.NewLinear(32, 64, true), &nn.ReLU{}, nn.NewLinear(64, 64, true), &nn.ReLU{}, nn.NewLinear(64, 10, true))
	nn.NewGenerator(seed).ResetParameters(net)
	opt := optim.NewSGD(net.Parameters(), 0.01, 0, 0)
	drng := tensor.NewRNG(seed + 100)
	for range steps {
		x := tensor.RandUniform(drng, tensor.Float32, -1, 1, 16, 32)
		y := tensor.RandUniform(drng, tensor.Float32, -1, 1, 16, 10)
		opt.ZeroGrad()
		l := tensor.MSE(net.Forward(x), y, tensor.ReduceMean)
		l.BackwardAndRelease()
		opt.Step()
	}
	for _, p := range net.Parameters() {
		params = append(params, p.Float64s()...)
	}
	return params, ""
}

// Attack 9b. The consequence of attack 9 on ordinary code: goroutines
// training their own models with MSE at the same time got different
// parameters from training alone, or a panic.
func TestAttackConcurrentTrainingMSE(t *testing.T) {
	const workers, steps = 4, 200
	want := make([][]float64, workers)
	for i := range workers {
		want[i], _ = trainSmallMSE(uint64(i+1), steps)
	}
	got := make([][]float64, workers)
	msgs := make([]string, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], msgs[i] = trainSmallMSE(uint64(i+1), steps)
		}()
	}
	wg.Wait()
	for i := range workers {
		if !slices.Equal(got[i], want[i]) || msgs[i] != "" {
			t.Errorf("worker %d: same parameters as alone: %v; panic: %q", i, slices.Equal(got[i], want[i]), msgs[i])
		}
	}
}
