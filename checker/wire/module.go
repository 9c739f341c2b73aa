package wire

import (
	"fmt"
	"reflect"

	"nnkit/nn"
	"nnkit/tensor"
)

// knownType maps the modules that cross as their fields to their types;
// knownName is its inverse.
var (
	knownType = map[string]reflect.Type{}
	knownName = map[reflect.Type]string{}
)

func register[T any](name string) {
	t := reflect.TypeFor[*T]()
	if !t.Implements(moduleType) {
		panic("wire: " + name + " is not a module")
	}
	knownType[name], knownName[t] = t, name
}

func init() {
	register[nn.Linear]("Linear")
	register[nn.Conv2d]("Conv2d")
	register[nn.BatchNorm2d]("BatchNorm2d")
	register[nn.ReLU]("ReLU")
	register[nn.Sigmoid]("Sigmoid")
	register[nn.Flatten]("Flatten")
	register[nn.Reshape]("Reshape")
	register[nn.AvgPool2d]("AvgPool2d")
	register[nn.MaxPool2d]("MaxPool2d")
	register[nn.AdaptiveAvgPool2d]("AdaptiveAvgPool2d")
	register[nn.Sequential]("Sequential")
	register[Spy]("Spy")
}

// Opaque is what crosses of a module of a type the checker does not
// rebuild: a handle that names it in the student process, and what can
// be seen of it from outside.
type Opaque struct {
	Handle   uint64
	TypeName string // the Go type, as %T prints it
	Name     string // its Name()
	Training bool
	IsParent bool             // it implements nn.Parent
	Children []nn.Child       // its named children, nil ones left out
	Own      []*tensor.Tensor // parameters it holds outside its children
}

// Peer is one side's table of opaque modules.
type Peer interface {
	// Out describes m for the other side.
	Out(m nn.Module) (Opaque, error)
	// In returns the module o names on this side (existing may be the
	// one that already stands for it) and what it holds now, so that
	// the children and parameters that follow are decoded into them.
	In(o Opaque, existing nn.Module) (nn.Module, Opaque, error)
	// Set gives m the children and parameters decoded for it.
	Set(m nn.Module, o Opaque) error
}

// Spy is a layer the checker puts in front of a network before handing
// it to a student's training loop: it passes its input through and
// records every call (the data, the mode, whether gradients were on), so
// that the checker can see how the loop used the network.
type Spy struct {
	Calls []SpyCall
	Mode  bool // training mode
}

// SpyCall is one call of a Spy's Forward.
type SpyCall struct {
	Test     bool // the batch came from the test set (its first pixel is marked above 0.5)
	Training bool
	Grad     bool
	N        int // batch size
}

var _ nn.Module = (*Spy)(nil)

// NewSpy returns a Spy in training mode.
func NewSpy() *Spy { return &Spy{Mode: true} }

func (s *Spy) Forward(x *tensor.Tensor) *tensor.Tensor {
	s.Calls = append(s.Calls, SpyCall{Test: x.Numel() > 0 && x.Float64s()[0] > 0.5, Training: s.Mode, Grad: tensor.GradEnabled(), N: x.Size(0)})
	return x
}
func (s *Spy) Parameters() []*tensor.Tensor { return nil }
func (s *Spy) SetTraining(on bool)          { s.Mode = on }
func (s *Spy) Training() bool               { return s.Mode }
func (s *Spy) Name() string                 { return "Spy" }

// Forwarder runs an opaque module's Forward in the student process.
type Forwarder interface {
	Forward(m *RemoteModule, x *tensor.Tensor) *tensor.Tensor
}

// RemoteModule stands, on the checker's side, for a module of the
// student's own type living in the student process. Its children and
// parameters are copies, sent back after every call; Forward runs the
// student's code there (forward only: no gradient crosses processes).
type RemoteModule struct {
	Opaque
	via Forwarder
}

// RemoteParent is a RemoteModule whose type implements nn.Parent.
type RemoteParent struct{ *RemoteModule }

// Children lists the module's children as last seen.
func (r RemoteParent) Children() []nn.Child { return r.Opaque.Children }

// NewRemote returns the checker's stand-in for o.
func NewRemote(o Opaque, via Forwarder) nn.Module {
	r := &RemoteModule{Opaque: o, via: via}
	if o.IsParent {
		return RemoteParent{r}
	}
	return r
}

// AsRemote returns the RemoteModule behind m, or nil.
func AsRemote(m nn.Module) *RemoteModule {
	switch r := m.(type) {
	case *RemoteModule:
		return r
	case RemoteParent:
		return r.RemoteModule
	}
	return nil
}

func (r *RemoteModule) Forward(x *tensor.Tensor) *tensor.Tensor { return r.via.Forward(r, x) }

func (r *RemoteModule) Parameters() []*tensor.Tensor {
	var ps []*tensor.Tensor
	for _, ch := range r.Opaque.Children {
		ps = append(ps, ch.Module.Parameters()...)
	}
	return append(ps, r.Own...)
}

func (r *RemoteModule) SetTraining(on bool) {
	r.Training = on
	for _, ch := range r.Opaque.Children {
		ch.Module.SetTraining(on)
	}
}

// IsTraining reports the mode last set or seen.
func (r *RemoteModule) IsTraining() bool { return r.Training }

func (r *RemoteModule) Name() string { return r.Opaque.Name }

func (r *RemoteModule) String() string { return r.TypeName }

// RemotePeer is the checker's Peer: opaque modules arrive as
// RemoteModules that forward through via.
type RemotePeer struct{ Via Forwarder }

func (p RemotePeer) Out(m nn.Module) (Opaque, error) {
	r := AsRemote(m)
	if r == nil {
		return Opaque{}, fmt.Errorf("a module of type %T cannot cross to the student process", m)
	}
	return r.Opaque, nil
}

func (p RemotePeer) In(o Opaque, existing nn.Module) (nn.Module, Opaque, error) {
	if r := AsRemote(existing); r != nil && r.Handle == o.Handle {
		return existing, r.Opaque, nil
	}
	m := NewRemote(o, p.Via)
	return m, Opaque{}, nil
}

func (p RemotePeer) Set(m nn.Module, o Opaque) error {
	AsRemote(m).Opaque = o
	return nil
}
