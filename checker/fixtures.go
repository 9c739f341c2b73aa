package checker

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"reflect"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"nnkit/data"
	"nnkit/nn"
	"nnkit/progress"
	"nnkit/solutions/task4"
	"nnkit/tensor"
)

// Fixtures: the reference outputs a rubric compares against, recorded so
// that the student distribution (`check dist`) can grade without the
// solutions.
//
// Every call an item makes to a reference function (through the task's
// seam, Task.ref) is recorded under a SHA-256 of its arguments: the
// matrices, tensors, networks (their layer table and parameter values)
// and loaders it is given. The outputs are stored exactly (float bits),
// networks as their layer table (netSpec, rebuilt with the nn
// constructors, so the same nn.Seed gives the same weights), and a
// network argument's parameters after the call (TrainCNN trains the net
// it is given). The checks draw their inputs from fixed seeds (seedOf
// with input seed 0), so the same calls recur in every run, and a replay
// of the file answers them. `check fixtures` writes one file per task
// under checker/fixtures; the student distribution embeds them and
// installs the replay (UseFixtures) in place of the live solutions.
//
// To reach the calls an item makes only for a wrong answer (hints that
// recompute the reference on a variant), every item is run three times
// while recording: on the reference itself (which must score full
// marks), on zero-value stubs and on a perturbed reference.

// KitVersion is stamped on every fixture file: bump it when a rubric
// changes the reference calls its items make.
const KitVersion = "nnkit-assignment2/2"

// FixtureFormat names the fixture file format.
const FixtureFormat = "nnkit-fixtures/1"

// FixtureFile is one task's recorded reference calls, as stored in
// checker/fixtures/TASK.json.
type FixtureFile struct {
	Format     string `json:"format"`
	Task       string `json:"task"`
	Seed       uint64 `json:"seed"` // the input seed of the recorded checks (see EnvSeed)
	KitVersion string `json:"kit_version"`
	Generator  string `json:"generator"`
	// SHA256 is the hash of the canonical JSON of Calls (json.Marshal,
	// map keys sorted), so any edit of the recorded values shows.
	SHA256 string                    `json:"sha256"`
	Calls  map[string][]*FixtureCall `json:"calls"` // by reference function, in first-call order
}

// FixtureCall is one reference call: the hash of its arguments, its
// results, and the parameters of every network argument after the call.
type FixtureCall struct {
	Key  string    `json:"key"`
	Out  []*fxNode `json:"out"`
	Post []*fxNode `json:"post,omitempty"` // by argument; nil for arguments that are not networks
}

// fxNode is one encoded value. Numbers are stored as their bits, little
// endian (8 bytes a float64 or an integer, 4 a float32), so every value
// comes back exactly, NaN and infinities included.
type fxNode struct {
	Nil    bool               `json:"nil,omitempty"`
	Bits   []byte             `json:"bits,omitempty"`
	Dims   []int              `json:"dims,omitempty"`
	DType  string             `json:"dtype,omitempty"`
	Str    string             `json:"str,omitempty"`
	List   []*fxNode          `json:"list,omitempty"`
	Fields map[string]*fxNode `json:"fields,omitempty"`
	Net    *netSpec           `json:"net,omitempty"`
}

// netSpec is a network's layer table: each layer's kind and constructor
// arguments, and the children of a container.
type netSpec struct {
	Kind     string     `json:"kind"` // Go type: "*nn.Linear", "*task4.Residual"
	Ints     []int      `json:"ints,omitempty"`
	Bias     bool       `json:"bias,omitempty"`
	DType    string     `json:"dtype,omitempty"` // of the parameters, when not float32
	Names    []string   `json:"names,omitempty"` // children's names (containers other than Sequential)
	Children []*netSpec `json:"children,omitempty"`
}

// moduleTypes are the container modules, other than nn.Sequential, that a
// reference may return: struct pointers whose fields hold the children
// named by Children (matched without regard to case).
var moduleTypes = map[string]reflect.Type{
	reflect.TypeFor[*task4.Residual]().String(): reflect.TypeFor[*task4.Residual](),
}

var (
	typeDense   = reflect.TypeFor[*mat.Dense]()
	typeTensor  = reflect.TypeFor[*tensor.Tensor]()
	typeModule  = reflect.TypeFor[nn.Module]()
	typeLoader  = reflect.TypeFor[*data.Loader]()
	typeDevice  = reflect.TypeFor[tensor.Device]()
	typeFloat64 = reflect.TypeFor[float64]()
)

// FixtureMiss is the panic of a replayed reference asked about an input
// the fixtures do not hold.
type FixtureMiss struct {
	Func, Key string
}

func (m FixtureMiss) String() string {
	s := fmt.Sprintf("checker: the fixtures hold no reference output of %s for this input (key %.12s)", m.Func, m.Key)
	if inputSeed != 0 {
		s += fmt.Sprintf("; %s=%d is set, but the fixtures hold the inputs of seed 0: unset it", EnvSeed, inputSeed)
	} else {
		s += "; the fixtures are out of date with the checker: regenerate them with `check fixtures`"
	}
	return s
}

// ---- encoding values ----

type encodeError struct{ msg string }

func encPanic(format string, args ...any) { panic(encodeError{fmt.Sprintf(format, args...)}) }

// catchEncode turns an encodeError panic into an error.
func catchEncode(err *error) {
	if v := recover(); v != nil {
		e, ok := v.(encodeError)
		if !ok {
			panic(v)
		}
		*err = errors.New("checker: fixtures: " + e.msg)
	}
}

func f64bits(vs []float64) []byte {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	return b
}

func bitsF64(b []byte) []float64 {
	vs := make([]float64, len(b)/8)
	for i := range vs {
		vs[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return vs
}

func encodeTensor(t *tensor.Tensor) *fxNode {
	if t == nil {
		return &fxNode{Nil: true}
	}
	n := &fxNode{Dims: t.Shape(), DType: t.DType().String()}
	vs := t.Float64s()
	if t.DType() == tensor.Float32 {
		n.Bits = make([]byte, 4*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint32(n.Bits[4*i:], math.Float32bits(float32(v)))
		}
		return n
	}
	n.Bits = f64bits(vs)
	return n
}

func decodeTensor(n *fxNode) *tensor.Tensor {
	if n == nil || n.Nil {
		return nil
	}
	var t *tensor.Tensor
	switch n.DType {
	case tensor.Float32.String():
		vs := make([]float32, len(n.Bits)/4)
		for i := range vs {
			vs[i] = math.Float32frombits(binary.LittleEndian.Uint32(n.Bits[4*i:]))
		}
		t = tensor.FromFloat32(vs, n.Dims...)
	case tensor.Float64.String():
		t = tensor.FromFloat64(bitsF64(n.Bits), n.Dims...)
	default:
		encPanic("unknown dtype %q", n.DType)
	}
	return t
}

// encode stores v, of type t.
func encode(v reflect.Value, t reflect.Type) *fxNode {
	switch {
	case t == typeDense:
		m := v.Interface().(*mat.Dense)
		if m == nil {
			return &fxNode{Nil: true}
		}
		if m.IsEmpty() {
			return &fxNode{Dims: []int{0, 0}}
		}
		r, c := m.Dims()
		vs := make([]float64, 0, r*c)
		for i := range r {
			for j := range c {
				vs = append(vs, m.At(i, j))
			}
		}
		return &fxNode{Dims: []int{r, c}, Bits: f64bits(vs)}
	case t == typeTensor:
		return encodeTensor(v.Interface().(*tensor.Tensor))
	case t.Implements(typeModule):
		if isNilValue(v) {
			return &fxNode{Nil: true}
		}
		return &fxNode{Net: specOf(v.Interface().(nn.Module))}
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return &fxNode{Bits: f64bits([]float64{v.Float()})}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &fxNode{Bits: binary.LittleEndian.AppendUint64(nil, uint64(v.Int()))}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &fxNode{Bits: binary.LittleEndian.AppendUint64(nil, v.Uint())}
	case reflect.Bool:
		if v.Bool() {
			return &fxNode{Bits: []byte{1}}
		}
		return &fxNode{Bits: []byte{0}}
	case reflect.String:
		return &fxNode{Str: v.String()}
	case reflect.Slice:
		if v.IsNil() {
			return &fxNode{Nil: true}
		}
		if t.Elem() == typeFloat64 {
			return &fxNode{Bits: f64bits(v.Interface().([]float64)), Dims: []int{v.Len()}}
		}
		n := &fxNode{Dims: []int{v.Len()}}
		for i := range v.Len() {
			n.List = append(n.List, encode(v.Index(i), t.Elem()))
		}
		return n
	case reflect.Struct:
		n := &fxNode{Fields: map[string]*fxNode{}}
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				n.Fields[f.Name] = encode(v.Field(i), f.Type)
			}
		}
		return n
	}
	encPanic("cannot store a %v", t)
	return nil
}

// decode rebuilds a value of type t.
func decode(n *fxNode, t reflect.Type) reflect.Value {
	if n == nil {
		encPanic("no value for a %v", t)
	}
	if n.Nil {
		return reflect.Zero(t)
	}
	switch {
	case t == typeDense:
		if len(n.Dims) != 2 {
			encPanic("a matrix needs two dimensions, found %v", n.Dims)
		}
		if n.Dims[0] == 0 {
			return reflect.ValueOf(&mat.Dense{})
		}
		return reflect.ValueOf(mat.NewDense(n.Dims[0], n.Dims[1], bitsF64(n.Bits)))
	case t == typeTensor:
		return reflect.ValueOf(decodeTensor(n))
	case t.Implements(typeModule):
		if n.Net == nil {
			encPanic("no network for a %v", t)
		}
		m := buildSpec(n.Net)
		v := reflect.ValueOf(m)
		if !v.Type().AssignableTo(t) {
			encPanic("a %v is not a %v", v.Type(), t)
		}
		out := reflect.New(t).Elem()
		out.Set(v)
		return out
	}
	out := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		out.SetFloat(bitsF64(n.Bits)[0])
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		out.SetInt(int64(binary.LittleEndian.Uint64(n.Bits)))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		out.SetUint(binary.LittleEndian.Uint64(n.Bits))
	case reflect.Bool:
		out.SetBool(len(n.Bits) > 0 && n.Bits[0] == 1)
	case reflect.String:
		out.SetString(n.Str)
	case reflect.Slice:
		if t.Elem() == typeFloat64 {
			vs := bitsF64(n.Bits)
			if vs == nil {
				vs = []float64{}
			}
			out.Set(reflect.ValueOf(vs))
			break
		}
		s := reflect.MakeSlice(t, len(n.List), len(n.List))
		for i, e := range n.List {
			s.Index(i).Set(decode(e, t.Elem()))
		}
		out.Set(s)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				if fn, ok := n.Fields[f.Name]; ok {
					out.Field(i).Set(decode(fn, f.Type))
				}
			}
		}
	default:
		encPanic("cannot rebuild a %v", t)
	}
	return out
}

func isNilValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer, reflect.Slice, reflect.Map, reflect.Func:
		return v.IsNil()
	}
	return false
}

// ---- networks ----

// specOf describes m's layers; it fails on a layer it cannot rebuild.
func specOf(m nn.Module) *netSpec {
	if isNilValue(reflect.ValueOf(m)) {
		return nil
	}
	s := &netSpec{Kind: reflect.TypeOf(m).String()}
	switch l := m.(type) {
	case *nn.Sequential:
		for _, c := range l.Layers {
			s.Children = append(s.Children, specOf(c))
		}
	case *nn.Linear:
		s.Ints, s.Bias = []int{l.In, l.Out}, l.Bias != nil
	case *nn.Conv2d:
		s.Ints, s.Bias = []int{l.InC, l.OutC, l.Kernel, l.Stride, l.Padding}, l.Bias != nil
	case *nn.BatchNorm2d:
		s.Ints = []int{l.C}
	case *nn.AvgPool2d:
		s.Ints = []int{l.Kernel, l.Stride, l.Padding}
	case *nn.MaxPool2d:
		s.Ints = []int{l.Kernel, l.Stride, l.Padding}
	case *nn.AdaptiveAvgPool2d:
		s.Ints = []int{l.H, l.W}
	case *nn.Reshape:
		s.Ints = slices.Clone(l.Shape)
	case *nn.ReLU, *nn.Sigmoid, *nn.Flatten:
	default:
		p, ok := m.(nn.Parent)
		if _, known := moduleTypes[s.Kind]; !ok || !known {
			encPanic("cannot record a network holding a %s", s.Kind)
		}
		for _, c := range p.Children() {
			s.Names = append(s.Names, c.Name)
			s.Children = append(s.Children, specOf(c.Module))
		}
	}
	if ps := m.Parameters(); len(ps) > 0 && ps[0].DType() != tensor.Float32 {
		s.DType = ps[0].DType().String()
	}
	return s
}

// buildSpec builds the network s describes with the nn constructors, in
// the order of its layers, so that the package generator gives the
// weights the reference drew.
func buildSpec(s *netSpec) nn.Module {
	if s == nil {
		return nil
	}
	in := func(n int) []int {
		if len(s.Ints) != n {
			encPanic("%s needs %d arguments, found %v", s.Kind, n, s.Ints)
		}
		return s.Ints
	}
	var m nn.Module
	switch s.Kind {
	case "*nn.Sequential":
		var layers []nn.Module
		for _, c := range s.Children {
			layers = append(layers, buildSpec(c))
		}
		m = nn.NewSequential(layers...)
	case "*nn.Linear":
		a := in(2)
		m = nn.NewLinear(a[0], a[1], s.Bias)
	case "*nn.Conv2d":
		a := in(5)
		m = nn.NewConv2d(a[0], a[1], a[2], a[3], a[4], s.Bias)
	case "*nn.BatchNorm2d":
		m = nn.NewBatchNorm2d(in(1)[0])
	case "*nn.AvgPool2d":
		a := in(3)
		m = nn.NewAvgPool2d(a[0], a[1], a[2])
	case "*nn.MaxPool2d":
		a := in(3)
		m = nn.NewMaxPool2d(a[0], a[1], a[2])
	case "*nn.AdaptiveAvgPool2d":
		a := in(2)
		m = nn.NewAdaptiveAvgPool2d(a[0], a[1])
	case "*nn.Reshape":
		m = nn.NewReshape(s.Ints...)
	case "*nn.ReLU":
		m = nn.NewReLU()
	case "*nn.Sigmoid":
		m = nn.NewSigmoid()
	case "*nn.Flatten":
		m = nn.NewFlatten()
	default:
		t, ok := moduleTypes[s.Kind]
		if !ok || len(s.Names) != len(s.Children) {
			encPanic("cannot build a %s", s.Kind)
		}
		v := reflect.New(t.Elem())
		for i, name := range s.Names {
			f := v.Elem().FieldByNameFunc(func(f string) bool { return equalFold(f, name) })
			if !f.IsValid() {
				encPanic("%s has no field for its child %s", s.Kind, name)
			}
			if c := buildSpec(s.Children[i]); c != nil {
				f.Set(reflect.ValueOf(c))
			}
		}
		m = v.Interface().(nn.Module)
	}
	if s.DType == tensor.Float64.String() {
		nn.Cast(m, tensor.Float64)
	}
	return m
}

func equalFold(a, b string) bool {
	return len(a) == len(b) && bytes.EqualFold([]byte(a), []byte(b))
}

// moduleState is a network argument's parameters (and buffers) after a
// call.
func moduleState(m nn.Module) *fxNode {
	n := &fxNode{DType: nn.DTypeOf(m).String()}
	for _, p := range append(nn.NamedParameters(m), nn.NamedBuffers(m)...) {
		e := encodeTensor(p.Tensor)
		e.Str = p.Name
		n.List = append(n.List, e)
	}
	return n
}

func restoreState(m nn.Module, n *fxNode) {
	if n.DType != nn.DTypeOf(m).String() && n.DType == tensor.Float64.String() {
		nn.Cast(m, tensor.Float64)
	}
	ps := append(nn.NamedParameters(m), nn.NamedBuffers(m)...)
	if len(ps) != len(n.List) {
		encPanic("the network has %d tensors, the fixture %d", len(ps), len(n.List))
	}
	for i, p := range ps {
		p.Tensor.CopyFrom(decodeTensor(n.List[i]))
	}
}

// ---- argument keys ----

// argKey hashes a call's arguments.
func argKey(args []reflect.Value, in func(i int) reflect.Type) string {
	h := sha256.New()
	for i, a := range args {
		writeKey(h, a, in(i))
	}
	return hex.EncodeToString(h.Sum(nil))
}

type byteWriter interface{ Write([]byte) (int, error) }

func writeKey(h byteWriter, v reflect.Value, t reflect.Type) {
	u64 := func(x uint64) { _, _ = h.Write(binary.LittleEndian.AppendUint64(nil, x)) }
	str := func(s string) { u64(uint64(len(s))); _, _ = h.Write([]byte(s)) }
	if t.Kind() == reflect.Interface && !v.IsNil() && t != typeModule && t != typeDevice {
		v = v.Elem()
		t = v.Type()
	}
	switch {
	case isNilValue(v):
		str("nil")
		return
	case t == typeDense, t == typeTensor, t.Kind() == reflect.Slice && t.Elem() == typeFloat64:
		n := encode(v, t)
		str(t.String())
		for _, d := range n.Dims {
			u64(uint64(d))
		}
		str(n.DType)
		_, _ = h.Write(n.Bits)
		return
	case t.Implements(typeModule):
		m := v.Interface().(nn.Module)
		b, _ := json.Marshal(specOf(m))
		str(string(b))
		for _, p := range append(nn.NamedParameters(m), nn.NamedBuffers(m)...) {
			str(p.Name)
			n := encodeTensor(p.Tensor)
			str(fmt.Sprint(n.Dims, n.DType))
			_, _ = h.Write(n.Bits)
		}
		return
	case t == typeLoader:
		l := v.Interface().(*data.Loader)
		ih, iw := l.ImageSize()
		str(fmt.Sprint("loader", l.Len(), l.NumBatches(), ih, iw, l.Order(0), l.Order(1)))
		for x, y := range l.Batches(0) {
			_, _ = h.Write(encodeTensor(x).Bits)
			str(fmt.Sprint(y))
			break
		}
		return
	case t.Implements(typeDevice):
		str("device " + v.Interface().(tensor.Device).Name())
		return
	}
	switch t.Kind() {
	case reflect.Slice:
		str(t.String())
		u64(uint64(v.Len()))
		for i := range v.Len() {
			writeKey(h, v.Index(i), t.Elem())
		}
	default:
		n := encode(v, t)
		str(t.String())
		str(n.Str)
		_, _ = h.Write(n.Bits)
		if n.Fields != nil {
			encPanic("cannot key a %v argument", t)
		}
	}
}

// ---- recording and replay ----

// funcsValue returns a new *F whose fields are make(name, field), for
// funcs a *F.
func mapFuncs(funcs any, make func(name string, fn reflect.Value) reflect.Value) any {
	v := reflect.ValueOf(funcs).Elem()
	out := reflect.New(v.Type())
	for i := range v.NumField() {
		if f := v.Field(i); !f.IsNil() {
			out.Elem().Field(i).Set(make(v.Type().Field(i).Name, f))
		}
	}
	return out.Interface()
}

type recorder struct {
	mu    sync.Mutex
	calls map[string][]*FixtureCall
	seen  map[string]*FixtureCall // by func + key
	n     int                     // calls made, repeated ones included
	err   error
}

func (r *recorder) wrap(name string, fn reflect.Value) reflect.Value {
	ft := fn.Type()
	return reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
		key := argKey(args, ft.In)
		res := fn.Call(args)
		call := &FixtureCall{Key: key}
		for i, o := range res {
			call.Out = append(call.Out, steady(encode(o, ft.Out(i))))
		}
		post := false
		call.Post = make([]*fxNode, len(args))
		for i, a := range args {
			if ft.In(i).Implements(typeModule) && !isNilValue(a) {
				call.Post[i], post = moduleState(a.Interface().(nn.Module)), true
			}
		}
		if !post {
			call.Post = nil
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.n++
		if old := r.seen[name+" "+key]; old != nil {
			a, _ := json.Marshal(stable(old))
			b, _ := json.Marshal(stable(call))
			if !bytes.Equal(a, b) && r.err == nil {
				r.err = fmt.Errorf("checker: fixtures: the reference %s gave two different results for the same arguments: it must be deterministic", name)
			}
			return res
		}
		r.seen[name+" "+key] = call
		r.calls[name] = append(r.calls[name], call)
		return res
	})
}

// volatileFields are results that measure time, not arithmetic; they may
// differ between two runs of the same call.
var volatileFields = []string{"ExamplesPerSec"}

// steady sets the volatile fields in n to 1 (a positive placeholder), so
// that regenerating the fixtures gives the same file.
func steady(n *fxNode) *fxNode {
	if n == nil {
		return nil
	}
	for _, e := range n.List {
		steady(e)
	}
	for k, e := range n.Fields {
		if slices.Contains(volatileFields, k) {
			e.Bits = f64bits([]float64{1})
		} else {
			steady(e)
		}
	}
	return n
}

// stable returns a copy of c's results without the volatile fields.
func stable(c *FixtureCall) []*fxNode {
	var strip func(n *fxNode) *fxNode
	strip = func(n *fxNode) *fxNode {
		if n == nil {
			return nil
		}
		m := *n
		m.List = nil
		for _, e := range n.List {
			m.List = append(m.List, strip(e))
		}
		if n.Fields != nil {
			m.Fields = map[string]*fxNode{}
			for k, e := range n.Fields {
				if !slices.Contains(volatileFields, k) {
					m.Fields[k] = strip(e)
				}
			}
		}
		return &m
	}
	var out []*fxNode
	for _, n := range append(slices.Clone(c.Out), c.Post...) {
		out = append(out, strip(n))
	}
	return out
}

func replayFuncs(ref any, f *FixtureFile) any {
	index := map[string]*FixtureCall{}
	for name, cs := range f.Calls {
		for _, c := range cs {
			index[name+" "+c.Key] = c
		}
	}
	return mapFuncs(ref, func(name string, fn reflect.Value) reflect.Value {
		ft := fn.Type()
		return reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
			key := argKey(args, ft.In)
			c := index[name+" "+key]
			if c == nil {
				panic(FixtureMiss{Func: name, Key: key})
			}
			if len(c.Out) != ft.NumOut() {
				encPanic("%s: %d results recorded, %d expected", name, len(c.Out), ft.NumOut())
			}
			out := make([]reflect.Value, len(c.Out))
			for i, n := range c.Out {
				out[i] = decode(n, ft.Out(i))
			}
			for i, p := range c.Post {
				if p != nil && i < len(args) {
					restoreState(args[i].Interface().(nn.Module), p)
				}
			}
			return out
		})
	})
}

// zeroFuncs returns stubs of every function of ref that return zero
// values.
func zeroFuncs(ref any) any {
	return mapFuncs(ref, func(_ string, fn reflect.Value) reflect.Value {
		ft := fn.Type()
		return reflect.MakeFunc(ft, func([]reflect.Value) []reflect.Value {
			out := make([]reflect.Value, ft.NumOut())
			for i := range out {
				out[i] = reflect.Zero(ft.Out(i))
			}
			return out
		})
	})
}

// perturbFuncs returns the functions of ref with every number they
// return moved by 0.25 and the last layer of every network dropped: a
// student who gets everything wrong, to reach the checks' diagnoses.
func perturbFuncs(ref any) any {
	return mapFuncs(ref, func(_ string, fn reflect.Value) reflect.Value {
		return reflect.MakeFunc(fn.Type(), func(args []reflect.Value) []reflect.Value {
			res := fn.Call(args)
			for i := range res {
				res[i] = perturb(res[i])
			}
			return res
		})
	})
}

func perturb(v reflect.Value) reflect.Value {
	if isNilValue(v) {
		return v
	}
	switch x := v.Interface().(type) {
	case *mat.Dense:
		if x.IsEmpty() {
			return v
		}
		r, c := x.Dims()
		m := mat.NewDense(r, c, nil)
		m.Apply(func(i, j int, e float64) float64 { return e + 0.25 }, x)
		return reflect.ValueOf(m)
	case []float64:
		s := slices.Clone(x)
		for i := range s {
			s[i] += 0.25
		}
		return reflect.ValueOf(s)
	case []progress.EpochStats:
		s := slices.Clone(x)
		for i := range s {
			s[i].Loss += 0.25
			s[i].TrainAcc = 1 - s[i].TrainAcc
			s[i].TestAcc = 1 - s[i].TestAcc
		}
		return reflect.ValueOf(s)
	case *nn.Sequential:
		if len(x.Layers) > 1 {
			return reflect.ValueOf(nn.NewSequential(x.Layers[:len(x.Layers)-1]...))
		}
		return v
	}
	if v.Kind() == reflect.Slice {
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			s.Index(i).Set(perturb(v.Index(i)))
		}
		return s
	}
	return v
}

// GenerateFixtures runs every item of t in this process, recording the
// reference calls it makes (see the top of this file). It fails when the
// reference does not score full marks, or gives different results for
// the same arguments.
func (t *Task) GenerateFixtures() (f *FixtureFile, err error) {
	defer catchEncode(&err)
	saveSeed := inputSeed
	inputSeed = 0
	defer func() { inputSeed = saveSeed }()
	refVal := reflect.ValueOf(t.ref).Elem()
	live := reflect.New(refVal.Type())
	live.Elem().Set(refVal)
	defer refVal.Set(live.Elem())
	rec := &recorder{calls: map[string][]*FixtureCall{}, seen: map[string]*FixtureCall{}}
	refVal.Set(reflect.ValueOf(mapFuncs(live.Interface(), rec.wrap)).Elem())

	liveFuncs := live.Interface()
	students := []struct {
		what  string
		funcs any
	}{{"reference", liveFuncs}, {"stubs", zeroFuncs(liveFuncs)}, {"perturbed", perturbFuncs(liveFuncs)}}
	calls := map[string]bool{} // items that call the reference
	for si, s := range students {
		for _, it := range t.Items {
			if si > 0 && !calls[it.Name] {
				continue
			}
			nn.Seed(0) // as in a fresh process
			n := rec.n
			res := t.RunItem(it.Name, s.funcs, "")
			if rec.n > n {
				calls[it.Name] = true
			}
			if si == 0 && res.Status != Pass {
				return nil, fmt.Errorf("checker: fixtures: %s %s: the reference scores %v / %v (%s): %s", t.Name, it.Name, res.Score, res.Max, res.Status, res.Reason)
			}
		}
	}
	if rec.err != nil {
		return nil, rec.err
	}
	f = &FixtureFile{Format: FixtureFormat, Task: t.Name, Seed: 0, KitVersion: KitVersion,
		Generator: "check fixtures (nnkit/checker.GenerateFixtures)", Calls: rec.calls}
	if err := f.seal(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *FixtureFile) contentHash() (string, error) {
	b, err := json.Marshal(f.Calls)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

func (f *FixtureFile) seal() error {
	h, err := f.contentHash()
	f.SHA256 = h
	return err
}

// Marshal returns the file's JSON.
func (f *FixtureFile) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(f, "", "\t")
	return append(b, '\n'), err
}

// ParseFixtureFile reads a fixture file and checks its stamp: the
// format, the kit version and the hash of its content.
func ParseFixtureFile(b []byte) (*FixtureFile, error) {
	var f FixtureFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("not a fixture file: %v", err)
	}
	if f.Format != FixtureFormat {
		return nil, fmt.Errorf("format %q, expected %q", f.Format, FixtureFormat)
	}
	h, err := f.contentHash()
	if err != nil {
		return nil, err
	}
	if h != f.SHA256 {
		return &f, fmt.Errorf("altered: the content's SHA-256 begins %.16s, the stamp's begins %.16s", h, f.SHA256)
	}
	if f.KitVersion != KitVersion {
		return &f, fmt.Errorf("stale: made for kit version %s, this checker is %s", f.KitVersion, KitVersion)
	}
	return &f, nil
}

// fixtureMode says whether the references are replays of fixtures.
var fixtureMode bool

// FixtureMode reports whether UseFixtures installed the fixtures in place
// of the live solutions (the student distribution).
func FixtureMode() bool { return fixtureMode }

// UseFixtures replaces every task's reference with the replay of
// dir/TASK.json in fsys. The student distribution calls it from a file
// `check dist` generates.
func UseFixtures(fsys fs.FS, dir string) error {
	for _, t := range Tasks() {
		b, err := fs.ReadFile(fsys, path.Join(dir, t.Name+".json"))
		if err != nil {
			return fmt.Errorf("checker: fixtures of %s: %v", t.Name, err)
		}
		f, err := ParseFixtureFile(b)
		if err != nil {
			return fmt.Errorf("checker: fixtures of %s: %v", t.Name, err)
		}
		if f.Task != t.Name {
			return fmt.Errorf("checker: %s.json holds the fixtures of %s", t.Name, f.Task)
		}
		reflect.ValueOf(t.ref).Elem().Set(reflect.ValueOf(replayFuncs(t.ref, f)).Elem())
	}
	fixtureMode = true
	return nil
}
