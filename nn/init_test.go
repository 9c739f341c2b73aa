package nn_test

import (
	"math"
	"slices"
	"testing"

	"nnkit/nn"
	"nnkit/tensor"
)

// checkUniform asserts every value of t lies in [-bound, bound] and, for a
// large tensor, that the sample variance is within 5% of bound^2/3 (the
// variance of a uniform distribution; for n = 48,000 values the relative
// standard error of the sample variance is sqrt(0.8/n) = 0.4%).
func checkUniform(t *testing.T, what string, x *tensor.Tensor, bound float64) {
	t.Helper()
	vals := x.Float64s()
	sum, sq := 0.0, 0.0
	for _, v := range vals {
		if math.Abs(v) > bound {
			t.Fatalf("%s: value %v outside +-%v", what, v, bound)
		}
		sum += v
		sq += v * v
	}
	n := float64(len(vals))
	mean := sum / n
	variance := sq/n - mean*mean
	if want := bound * bound / 3; len(vals) >= 10000 && math.Abs(variance-want) > 0.05*want {
		t.Errorf("%s: variance %v, want about %v", what, variance, want)
	}
}

func TestDefaultInitBounds(t *testing.T) {
	nn.Seed(3)
	l := nn.NewLinear(400, 120, true)
	checkUniform(t, "Linear(400,120).weight", l.Weight, 1/math.Sqrt(400))
	checkUniform(t, "Linear(400,120).bias", l.Bias, 1/math.Sqrt(400))
	c := nn.NewConv2d(6, 16, 5, 1, 0, true)
	// fan_in = 6*5*5 = 150.
	checkUniform(t, "Conv2d(6,16,5).weight", c.Weight, 1/math.Sqrt(150))
	checkUniform(t, "Conv2d(6,16,5).bias", c.Bias, 1/math.Sqrt(150))
	big := nn.NewConv2d(64, 128, 3, 1, 1, false) // 73,728 weights, fan_in 576
	checkUniform(t, "Conv2d(64,128,3).weight", big.Weight, 1/math.Sqrt(576))
}

func TestInitialisers(t *testing.T) {
	rng := tensor.NewRNG(11)
	w := tensor.New(tensor.Float32, 16, 6, 5, 5)
	nn.XavierUniform(rng, w)
	// fan_in = 150, fan_out = 400.
	checkUniform(t, "XavierUniform conv", w, math.Sqrt(6.0/550))

	lin := tensor.New(tensor.Float64, 120, 400)
	nn.XavierUniform(rng, lin)
	checkUniform(t, "XavierUniform linear", lin, math.Sqrt(6.0/520))

	nn.KaimingUniform(rng, lin, 0)
	checkUniform(t, "KaimingUniform a=0", lin, math.Sqrt(6.0/400))

	nn.Uniform(rng, lin, -0.2, 0.2)
	checkUniform(t, "Uniform(-0.2, 0.2)", lin, 0.2)

	nn.Constant(lin, 0.25)
	nn.Zeros(w)
	if lin.At(7, 9) != 0.25 || w.At(3, 2, 1, 0) != 0 {
		t.Errorf("Constant/Zeros: got %v and %v", lin.At(7, 9), w.At(3, 2, 1, 0))
	}

	in, out := nn.Fans(w)
	if in != 150 || out != 400 {
		t.Errorf("Fans([16 6 5 5]) = %d, %d, want 150, 400", in, out)
	}
	if msg := panicMessage(func() { nn.Fans(tensor.New(tensor.Float32, 5)) }); msg == "" {
		t.Error("Fans of a 1-D tensor should panic")
	}
}

func TestSameSeedSameWeights(t *testing.T) {
	nn.Seed(42)
	a := convNet()
	nn.Seed(42)
	b := convNet()
	c := convNet() // the generator has moved on
	pa, pb, pc := a.Parameters(), b.Parameters(), c.Parameters()
	for i := range pa {
		if !slices.Equal(pa[i].Float64s(), pb[i].Float64s()) {
			t.Fatalf("parameter %d differs between two builds with seed 42", i)
		}
	}
	if slices.Equal(pa[0].Float64s(), pc[0].Float64s()) {
		t.Error("a second build without reseeding drew the same weights")
	}

	// Explicit generators: ResetParameters and XavierUniform under Apply.
	xavier := func(seed uint64, net nn.Module) {
		rng := tensor.NewRNG(seed)
		nn.Apply(net, func(m nn.Module) {
			switch l := m.(type) {
			case *nn.Linear:
				nn.XavierUniform(rng, l.Weight)
			case *nn.Conv2d:
				nn.XavierUniform(rng, l.Weight)
			}
		})
	}
	xavier(5, a)
	xavier(5, c)
	nn.ResetParameters(b, tensor.NewRNG(5))
	for i := range pa {
		if pa[i].Dim() >= 2 && !slices.Equal(pa[i].Float64s(), pc[i].Float64s()) {
			t.Fatalf("weight %d differs after XavierUniform with the same seed", i)
		}
	}
	if slices.Equal(pa[0].Float64s(), pb[0].Float64s()) {
		t.Error("ResetParameters drew the same values as XavierUniform")
	}
	// Default bounds 1/sqrt(fan-in): 1*3*3 for the first convolution, 32
	// for the first Linear (parameter 5, after conv1's weight and bias,
	// conv2's weight and the BatchNorm's two).
	checkUniform(t, "ResetParameters conv1", pb[0], 1/math.Sqrt(9))
	checkUniform(t, "ResetParameters linear1", pb[5], 1/math.Sqrt(32))
}

func TestGeneratorStateContinuesTheStream(t *testing.T) {
	nn.Seed(42)
	nn.NewLinear(3, 4, true) // move the stream on
	state := nn.GeneratorState()
	want := nn.NewLinear(5, 2, true).Weight.Float64s()
	nn.Seed(7)
	if err := nn.SetGeneratorState(state); err != nil {
		t.Fatal(err)
	}
	got := nn.NewLinear(5, 2, true).Weight.Float64s()
	if !slices.Equal(got, want) {
		t.Fatalf("weights after restoring the state: %v, expected %v", got, want)
	}
	if err := nn.SetGeneratorState([]byte("short")); err == nil {
		t.Fatal("a 5-byte state was accepted")
	}
	if after := nn.NewLinear(5, 2, true).Weight.Float64s(); slices.Equal(after, want) {
		t.Fatal("a rejected state changed the generator back to the saved one")
	}
}

// A Generator of one's own gives the stream DefaultGenerator gives after
// Seed with the same seed, and drawing from it leaves DefaultGenerator
// where it was; its State and SetState round-trip without touching
// DefaultGenerator.
func TestOwnGeneratorMatchesSeededDefault(t *testing.T) {
	nn.Seed(9)
	want := nn.NewLinear(6, 4, true)

	g := nn.NewGenerator(9)
	got := nn.NewLinear(6, 4, true) // drawn from the default; redrawn from g
	g.ResetParameters(got)
	if !slices.Equal(got.Weight.Float64s(), want.Weight.Float64s()) || !slices.Equal(got.Bias.Float64s(), want.Bias.Float64s()) {
		t.Fatalf("NewGenerator(9).ResetParameters: weight %v, want %v", got.Weight.Float64s(), want.Weight.Float64s())
	}
	ref := nn.NewLinear(6, 4, true)
	nn.ResetParameters(ref, tensor.NewRNG(9))
	if !slices.Equal(ref.Weight.Float64s(), want.Weight.Float64s()) {
		t.Fatal("NewGenerator(9) and tensor.NewRNG(9) give different streams")
	}

	saved := g.State()
	a := nn.NewLinear(3, 3, false)
	g.ResetParameters(a)
	if err := g.SetState(saved); err != nil {
		t.Fatal(err)
	}
	b := nn.NewLinear(3, 3, false)
	g.ResetParameters(b)
	if !slices.Equal(a.Weight.Float64s(), b.Weight.Float64s()) {
		t.Fatal("g.SetState(g.State()) did not replay the stream")
	}

	before := nn.GeneratorState()
	g.ResetParameters(b)
	if !slices.Equal(nn.GeneratorState(), before) {
		t.Fatal("drawing from g moved DefaultGenerator")
	}
	if !slices.Equal(nn.DefaultGenerator().State(), before) {
		t.Fatal("DefaultGenerator is not the generator GeneratorState reads")
	}
}
