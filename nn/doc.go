// Package nn builds neural networks from layers, in the shape of PyTorch's
// torch.nn: a Module interface, Sequential, the layers of the assignment's
// MLP, LeNet-5 and ResNet-18, losses, initialisers, a shape Summary,
// parameter counting and Save/Load of a model's state.
//
// # Modules
//
// A Module has Forward, Parameters, SetTraining and Name. Layers are
// structs with exported fields (Linear.Weight, Conv2d.Bias,
// BatchNorm2d.RunningMean), and a Sequential's Layers can be indexed and
// type-asserted:
//
//	net := nn.NewSequential(nn.NewLinear(4, 5, false), nn.NewReLU(), nn.NewLinear(5, 3, false))
//	w0 := net.Layers[0].(*nn.Linear).Weight // [5 4]
//
// Every module starts in training mode; SetTraining(false) is PyTorch's
// eval(). BatchNorm2d is the only built-in layer whose output depends on it.
//
// # User-defined modules
//
// A struct with its own Forward (a residual block) is a Module when it has
// the four methods. Implementing Parent (Children) as well tells the package
// what it is made of, so Save/Load, Cast, Apply and ResetParameters see its
// layers and their buffers, and the helpers make the rest one line each:
//
//	func (r *Residual) Children() []nn.Child {
//		return []nn.Child{{"conv1", r.Conv1}, {"bn1", r.BN1}, {"conv2", r.Conv2},
//			{"bn2", r.BN2}, {"conv3", r.Conv3}} // a nil Conv3 is skipped
//	}
//	func (r *Residual) Parameters() []*tensor.Tensor { return nn.ChildParameters(r) }
//	func (r *Residual) SetTraining(on bool)          { nn.SetChildrenTraining(r, on) }
//	func (r *Residual) Name() string                 { return "Residual" }
//
// A layer whose Forward returns new storage and keeps neither it nor its
// input implements Fresh as well, so that a Sequential gives the results
// passed between such layers back to the engine's buffer pool.
//
// Tensor names in a state file are paths: a Sequential's children are named
// "0", "1", ..., a layer's tensors "weight", "bias", "running_mean",
// "running_var", so a ResNet's state holds "1.0.bn1.running_var". A module
// that implements neither Parent nor ParameterNamer has its parameters named
// by position ("param0", ...), and any buffers inside it are not found.
//
// # Initialisation and determinism
//
// Constructors take only sizes, as PyTorch's do, and draw PyTorch's default
// initialisation (weights kaiming-uniform with a = sqrt(5), that is uniform
// in +-1/sqrt(fanIn); biases uniform in +-1/sqrt(fanIn)) from
// DefaultGenerator, the package's one piece of global state (see
// Generator). It starts seeded with 0 and Seed reseeds it, so building the
// same layers in the same order gives the same weights; GeneratorState and
// SetGeneratorState carry the stream to another process. Code that wants
// its own stream re-initialises from a Generator of its own
// (Generator.ResetParameters) or an explicit *rand.Rand
// (tensor.NewRNG(seed)): ResetParameters for the defaults, or Uniform,
// XavierUniform, KaimingUniform, Constant and Zeros on single tensors,
// usually inside Apply.
//
// # Dtypes
//
// Parameters and buffers are float32. Cast(m, tensor.Float64) converts them
// all in place, like module.double(); layers keep working, and inputs must
// then be float64 too.
//
// # Errors and panics
//
// Constructors given sizes that are not positive (or a negative padding)
// panic with a message naming the layer and the argument, for example
// "nn: Conv2d: kernel must be positive, found 0": they are programmer errors
// in code that is checked by running it, and the checker recovers panics.
// Forward panics on an input of the wrong shape, naming the layer, like the
// tensor operations it calls. Summarize and Summary recover those panics and
// return them as errors. Save and Load, which touch files, always return
// errors; Load verifies the whole file (magic, version, checksum, every
// name, dtype and shape) before it changes the model, so a failed Load
// leaves the model as it was. The file format is documented at WriteState.
package nn
