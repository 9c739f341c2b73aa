package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"nnkit/tensor"
)

// Generator is a seeded stream of random numbers whose state can be saved
// and restored, safe for concurrent use. Layer constructors take only
// sizes, as PyTorch's do (and as the assignment's code calls them), so the
// default initialisation they draw must come from somewhere implicit: one
// package-level Generator, DefaultGenerator, which Seed, GeneratorState
// and SetGeneratorState act on. That is the package's only global state.
// Goroutines that build layers at the same time share its stream, so
// their weights depend on the interleaving; a program that wants
// reproducible weights builds its layers from one goroutine, or
// re-initialises them from a Generator of its own (ResetParameters).
type Generator struct {
	mu  sync.Mutex
	pcg *rand.PCG
	rng *rand.Rand
}

// NewGenerator returns a Generator seeded with seed; two generators with the
// same seed give the same stream, and DefaultGenerator starts as
// NewGenerator(0) does.
func NewGenerator(seed uint64) *Generator {
	pcg := tensor.NewPCG(seed)
	return &Generator{pcg: pcg, rng: rand.New(pcg)}
}

// defaultGen is the generator layer constructors draw from.
var defaultGen = NewGenerator(0)

// DefaultGenerator returns the generator that layer constructors draw
// their default initialisation from (see Generator).
func DefaultGenerator() *Generator { return defaultGen }

// Seed restarts g's stream as NewGenerator(seed) starts.
func (g *Generator) Seed(seed uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pcg = tensor.NewPCG(seed)
	g.rng = rand.New(g.pcg)
}

// State returns g's state, so that its stream can go on elsewhere (in
// another process) through SetState.
func (g *Generator) State() []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := g.pcg.MarshalBinary()
	if err != nil {
		panic("nn: " + err.Error()) // rand.PCG never fails to marshal
	}
	return b
}

// SetState restores a state State returned. It returns an error, leaving
// g as it was, when b is not such a state.
func (g *Generator) SetState(b []byte) error {
	pcg := new(rand.PCG)
	if err := pcg.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("nn: generator state of %d bytes: %w", len(b), err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pcg, g.rng = pcg, rand.New(pcg)
	return nil
}

// ResetParameters re-applies the default initialisation of every layer in
// m, drawing from g (see the function ResetParameters).
func (g *Generator) ResetParameters(m Module) {
	g.draw(func(rng *rand.Rand) { ResetParameters(m, rng) })
}

// draw runs f with g held.
func (g *Generator) draw(f func(rng *rand.Rand)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f(g.rng)
}

// Seed reseeds DefaultGenerator, the generator that layer constructors
// use for their default initialisation. The package starts as if Seed(0)
// had been called, so a program that builds the same layers in the same
// order always gets the same weights.
func Seed(seed uint64) { defaultGen.Seed(seed) }

// GeneratorState returns the state of DefaultGenerator, so that a stream
// of default initialisations can go on in another process (the checker
// builds a student's layers in the student's process, drawing the weights
// the checker's own Seed call chose).
func GeneratorState() []byte { return defaultGen.State() }

// SetGeneratorState restores a state GeneratorState returned to
// DefaultGenerator. It returns an error, leaving the generator as it was,
// when b is not such a state.
func SetGeneratorState(b []byte) error { return defaultGen.SetState(b) }

// ResetParameters re-applies the default initialisation of every layer in m
// (every Resetter), drawing from rng in the order of Apply.
func ResetParameters(m Module, rng *rand.Rand) {
	Apply(m, func(l Module) {
		if r, ok := l.(Resetter); ok {
			r.ResetParameters(rng)
		}
	})
}

// Fans returns a weight's fan-in and fan-out as PyTorch computes them:
// for a [out, in, k...] tensor, fanIn = in * prod(k) and
// fanOut = out * prod(k). It panics on fewer than two dimensions.
func Fans(t *tensor.Tensor) (fanIn, fanOut int) {
	shape := t.Shape()
	if len(shape) < 2 {
		panic(fmt.Sprintf("nn: Fans: fan in and fan out need at least 2 dimensions, found shape %v", shape))
	}
	receptive := 1
	for _, s := range shape[2:] {
		receptive *= s
	}
	return shape[1] * receptive, shape[0] * receptive
}

// Uniform fills t in place with values uniform in [lo, hi) (PyTorch's
// nn.init.uniform_).
func Uniform(rng *rand.Rand, t *tensor.Tensor, lo, hi float64) {
	t.UniformFill(rng, lo, hi)
}

// XavierUniform fills t with values uniform in [-b, b), where
// b = sqrt(6 / (fanIn + fanOut)) (Glorot and Bengio 2010; nn.init.xavier_uniform_
// with gain 1). For a convolution the fans include the kernel area.
func XavierUniform(rng *rand.Rand, t *tensor.Tensor) {
	in, out := Fans(t)
	b := math.Sqrt(6 / float64(in+out))
	t.UniformFill(rng, -b, b)
}

// KaimingUniform fills t with values uniform in [-b, b), where
// b = gain * sqrt(3 / fanIn) and gain = sqrt(2 / (1 + a^2)) is the gain of a
// leaky ReLU with negative slope a (nn.init.kaiming_uniform_, mode fan_in).
// With a = sqrt(5), PyTorch's default for Linear and Conv2d weights,
// b = 1/sqrt(fanIn).
func KaimingUniform(rng *rand.Rand, t *tensor.Tensor, a float64) {
	in, _ := Fans(t)
	gain := math.Sqrt(2 / (1 + a*a))
	b := gain * math.Sqrt(3/float64(in))
	t.UniformFill(rng, -b, b)
}

// Constant fills t with v.
func Constant(t *tensor.Tensor, v float64) { t.Fill(v) }

// Zeros fills t with zeros.
func Zeros(t *tensor.Tensor) { t.Fill(0) }

// defaultInit is PyTorch's reset_parameters for Linear and Conv2d:
// weight kaiming-uniform with a = sqrt(5) (bound 1/sqrt(fanIn)), bias
// uniform in +-1/sqrt(fanIn).
func defaultInit(rng *rand.Rand, weight, bias *tensor.Tensor) {
	KaimingUniform(rng, weight, math.Sqrt(5))
	if bias != nil {
		in, _ := Fans(weight)
		b := 1 / math.Sqrt(float64(in))
		bias.UniformFill(rng, -b, b)
	}
}

// newParam returns a float32 zero tensor that requires a gradient.
func newParam(shape ...int) *tensor.Tensor {
	return tensor.New(tensor.Float32, shape...).SetRequiresGrad(true)
}

// positive panics unless every value is > 0.
func positive(layer string, args ...any) {
	for i := 0; i+1 < len(args); i += 2 {
		if v := args[i+1].(int); v <= 0 {
			panic(fmt.Sprintf("nn: %s: %s must be positive, found %d", layer, args[i], v))
		}
	}
}
