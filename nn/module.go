package nn

import (
	"math/rand/v2"
	"reflect"
	"strconv"

	"nnkit/tensor"
)

// Module is a layer or a network: something with a forward computation,
// trainable parameters and a training/evaluation mode.
type Module interface {
	// Forward computes the module's output for x.
	Forward(x *tensor.Tensor) *tensor.Tensor
	// Parameters lists the trainable tensors, each once, in a fixed order.
	Parameters() []*tensor.Tensor
	// SetTraining switches training mode on (the default) or off
	// (evaluation mode), for the module and everything inside it.
	SetTraining(on bool)
	// Name is the PyTorch class name, such as "Conv2d"; Summary prints it.
	Name() string
}

// Named is a tensor with its path in a model, such as "3.weight" or
// "1.0.bn1.running_mean".
type Named struct {
	Name   string
	Tensor *tensor.Tensor
}

// Child is a sub-module with the name its path segment uses.
type Child struct {
	Name   string
	Module Module
}

// Parent is implemented by modules built from other modules (Sequential, a
// user's residual block). Children lists them in a fixed order; a nil entry
// (an optional layer that is absent, even a typed nil pointer) is skipped.
type Parent interface {
	Children() []Child
}

// ParameterNamer is implemented by modules that own parameters directly
// (every built-in layer). NamedParameters lists those own parameters with
// short names ("weight", "bias"), not the parameters of children.
type ParameterNamer interface {
	NamedParameters() []Named
}

// BufferNamer is implemented by modules with state that is saved and loaded
// but not trained, such as BatchNorm2d's running statistics.
type BufferNamer interface {
	NamedBuffers() []Named
}

// Trainer reports a module's mode; every built-in layer implements it.
type Trainer interface {
	Training() bool
}

// Resetter is implemented by layers with a default initialisation (Linear,
// Conv2d, BatchNorm2d); see ResetParameters.
type Resetter interface {
	ResetParameters(rng *rand.Rand)
}

// Fresh is implemented by layers whose Forward returns new storage and
// keeps no reference to its input or to its result once it returns: every
// built-in layer except Reshape and Flatten (which return views of their
// input). Sequential.Forward gives a result passed between two layers
// whose FreshForward is true back to the engine's buffer pool (see
// Sequential.Forward), so a new layer opts in here, with no edit to
// Sequential. A module that does not implement Fresh is assumed to keep
// or alias its input. A type that embeds a built-in layer and overrides
// Forward must override FreshForward too, since it is promoted with the
// embedded layer.
type Fresh interface {
	FreshForward() bool
}

// mode is embedded by every built-in layer. The zero value is training mode,
// as in PyTorch.
type mode struct{ eval bool }

// SetTraining switches training mode on or off.
func (m *mode) SetTraining(on bool) { m.eval = !on }

// Training reports whether the layer is in training mode.
func (m *mode) Training() bool { return !m.eval }

// isNil reports whether m is nil or an interface holding a nil pointer.
func isNil(m Module) bool {
	if m == nil {
		return true
	}
	v := reflect.ValueOf(m)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// children returns m's non-nil children, or nil when m is not a Parent.
func children(m Module) []Child {
	p, ok := m.(Parent)
	if !ok {
		return nil
	}
	var out []Child
	for _, c := range p.Children() {
		if !isNil(c.Module) {
			out = append(out, c)
		}
	}
	return out
}

// visitor receives every tensor of the state walk.
type visitor func(name string, t *tensor.Tensor, buffer bool)

// walkState visits m's parameters and buffers with their full names, using
// one rule everywhere (state dicts, Save/Load, Cast, ParametersOf):
//
//   - own parameters come from NamedParameters, own buffers from NamedBuffers;
//   - a Parent's children follow, their names prefixed by "child.";
//   - a module that is neither a ParameterNamer nor a Parent names the
//     tensors of its Parameters by position: "param0", "param1", ...
func walkState(m Module, prefix string, visit visitor) {
	pn, hasOwn := m.(ParameterNamer)
	if hasOwn {
		for _, n := range pn.NamedParameters() {
			visit(prefix+n.Name, n.Tensor, false)
		}
	}
	if bn, ok := m.(BufferNamer); ok {
		for _, n := range bn.NamedBuffers() {
			visit(prefix+n.Name, n.Tensor, true)
		}
	}
	_, isParent := m.(Parent)
	if isParent {
		for _, c := range children(m) {
			walkState(c.Module, prefix+c.Name+".", visit)
		}
	}
	if !hasOwn && !isParent {
		for i, p := range m.Parameters() {
			visit(prefix+"param"+strconv.Itoa(i), p, false)
		}
	}
}

// NamedParameters lists every trainable tensor of m with its full path
// ("0.weight", "3.conv1.bias"), each tensor once, in the order of
// Parameters.
func NamedParameters(m Module) []Named {
	return collect(m, false, true)
}

// NamedBuffers lists every buffer of m (running statistics) with its path.
func NamedBuffers(m Module) []Named {
	return collect(m, true, false)
}

// StateDict lists parameters and buffers together, module by module, as
// PyTorch's state_dict does: what Save writes and Load reads.
func StateDict(m Module) []Named {
	return collect(m, true, true)
}

func collect(m Module, buffers, params bool) []Named {
	var out []Named
	seen := map[*tensor.Tensor]bool{}
	walkState(m, "", func(name string, t *tensor.Tensor, buffer bool) {
		if t == nil || seen[t] || (buffer && !buffers) || (!buffer && !params) {
			return
		}
		seen[t] = true
		out = append(out, Named{name, t})
	})
	return out
}

// ChildParameters concatenates the parameters of p's children, each tensor
// once. A user-defined block implements Parameters with it:
//
//	func (r *Residual) Parameters() []*tensor.Tensor { return nn.ChildParameters(r) }
func ChildParameters(p Parent) []*tensor.Tensor {
	var out []*tensor.Tensor
	seen := map[*tensor.Tensor]bool{}
	for _, c := range p.Children() {
		if isNil(c.Module) {
			continue
		}
		for _, t := range c.Module.Parameters() {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// SetChildrenTraining calls SetTraining on each of p's children. A
// user-defined block implements SetTraining with it.
func SetChildrenTraining(p Parent, on bool) {
	for _, c := range p.Children() {
		if !isNil(c.Module) {
			c.Module.SetTraining(on)
		}
	}
}

// IsTraining reports m's mode: its own when it implements Trainer, else that
// of its first child that reports one, else true (PyTorch's default).
func IsTraining(m Module) bool {
	if t, ok := m.(Trainer); ok {
		return t.Training()
	}
	for _, c := range children(m) {
		if hasTrainer(c.Module) {
			return IsTraining(c.Module)
		}
	}
	return true
}

func hasTrainer(m Module) bool {
	if _, ok := m.(Trainer); ok {
		return true
	}
	for _, c := range children(m) {
		if hasTrainer(c.Module) {
			return true
		}
	}
	return false
}

// Apply calls fn on every module of the tree, children before their parent
// (the order of PyTorch's module.apply). TrainCNN uses it to re-initialise
// every Linear and Conv2d weight:
//
//	nn.Apply(net, func(m nn.Module) {
//		switch l := m.(type) {
//		case *nn.Linear:
//			nn.XavierUniform(rng, l.Weight)
//		case *nn.Conv2d:
//			nn.XavierUniform(rng, l.Weight)
//		}
//	})
func Apply(m Module, fn func(Module)) {
	for _, c := range children(m) {
		Apply(c.Module, fn)
	}
	fn(m)
}

// CountParameters returns the number of trainable scalars in m (buffers
// such as BatchNorm running statistics are not counted).
func CountParameters(m Module) int {
	n := 0
	seen := map[*tensor.Tensor]bool{}
	for _, p := range m.Parameters() {
		if !seen[p] {
			seen[p] = true
			n += p.Numel()
		}
	}
	return n
}

// Cast converts every parameter and buffer of m to dt in place, like
// PyTorch's module.double(); tensors keep their identity, so parameter lists
// held by an optimiser stay valid, but gradients are dropped.
func Cast(m Module, dt tensor.DType) {
	for _, p := range m.Parameters() {
		p.Cast(dt)
	}
	for _, b := range StateDict(m) {
		b.Tensor.Cast(dt)
	}
}

// ToDevice moves every parameter and buffer of m to dev in place, like
// PyTorch's module.to(device): tensors keep their identity, so parameter
// lists held by an optimiser stay valid, and gradients move with them.
// Moving to the device the model is on does nothing. A training loop then
// moves each batch with X.ToDevice(dev).
func ToDevice(m Module, dev tensor.Device) {
	for _, p := range m.Parameters() {
		p.MoveTo(dev)
	}
	for _, b := range StateDict(m) {
		b.Tensor.MoveTo(dev)
	}
}

// DeviceOf returns the device of m's first parameter or buffer, or the CPU
// for a module without state.
func DeviceOf(m Module) tensor.Device {
	if ps := m.Parameters(); len(ps) > 0 {
		return ps[0].Device()
	}
	if s := StateDict(m); len(s) > 0 {
		return s[0].Tensor.Device()
	}
	return tensor.CPU
}

// DTypeOf returns the dtype of m's first parameter or buffer, or Float32
// for a module without state.
func DTypeOf(m Module) tensor.DType {
	if ps := m.Parameters(); len(ps) > 0 {
		return ps[0].DType()
	}
	if s := StateDict(m); len(s) > 0 {
		return s[0].Tensor.DType()
	}
	return tensor.Float32
}
