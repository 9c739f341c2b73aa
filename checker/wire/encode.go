package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"

	"gonum.org/v1/gonum/mat"

	"nnkit/data"
	"nnkit/nn"
	"nnkit/tensor"
)

var (
	denseType  = reflect.TypeFor[*mat.Dense]()
	tensorType = reflect.TypeFor[*tensor.Tensor]()
	loaderType = reflect.TypeFor[*data.Loader]()
	deviceType = reflect.TypeFor[tensor.Device]()
	moduleType = reflect.TypeFor[nn.Module]()
)

// Encoder appends values to a frame. Pointers already written in this
// frame are written again as back-references.
type Encoder struct {
	buf  []byte
	ptrs map[ptrKey]uint64
	next uint64 // the id of the next new object
	peer Peer
}

type ptrKey struct {
	t reflect.Type
	p uintptr
}

// NewEncoder starts a frame with op. peer says how modules the checker
// cannot rebuild cross (see Peer).
func NewEncoder(op byte, peer Peer) *Encoder {
	return &Encoder{buf: []byte{op}, ptrs: map[ptrKey]uint64{}, peer: peer}
}

// Bytes returns the frame so far.
func (e *Encoder) Bytes() []byte { return e.buf }

// Uint writes an unsigned integer.
func (e *Encoder) Uint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

// Int writes a signed integer.
func (e *Encoder) Int(v int64) { e.buf = binary.AppendVarint(e.buf, v) }

// Bool writes a boolean.
func (e *Encoder) Bool(v bool) {
	if v {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

// Float writes a float64's bits.
func (e *Encoder) Float(v float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
}

// String writes a string.
func (e *Encoder) String(s string) {
	e.Uint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// Blob writes a byte slice (nil and empty alike).
func (e *Encoder) Blob(b []byte) {
	e.Uint(uint64(len(b)))
	e.buf = append(e.buf, b...)
}

// Value writes v, which must have type t (a nil interface or pointer of
// type t is fine). It returns an error for a type the protocol cannot
// carry (maps, funcs, channels, other interfaces) or a module whose
// methods panic.
func (e *Encoder) Value(t reflect.Type, v reflect.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if ee, ok := r.(encodeError); ok {
				err = ee
				return
			}
			err = fmt.Errorf("wire: encoding a %v: %v", t, r)
		}
	}()
	e.value(t, v, 0)
	return nil
}

type encodeError struct{ error }

func (e *Encoder) fail(format string, args ...any) {
	panic(encodeError{fmt.Errorf("wire: "+format, args...)})
}

// maxDepth bounds the nesting of values either side writes or reads.
const maxDepth = 64

func (e *Encoder) value(t reflect.Type, v reflect.Value, depth int) {
	if depth > maxDepth {
		e.fail("value nested more than %d deep", maxDepth)
	}
	if v.IsValid() && v.Type() != t && t.Kind() != reflect.Interface {
		e.fail("value of type %v where %v was expected", v.Type(), t)
	}
	switch t {
	case deviceType:
		name := ""
		if v.IsValid() && !v.IsNil() {
			name = v.Interface().(tensor.Device).Name()
		}
		e.String(name)
		return
	case moduleType:
		var m nn.Module
		if v.IsValid() && !v.IsNil() {
			m = v.Interface().(nn.Module)
		}
		e.module(m, depth)
		return
	}
	switch t.Kind() {
	case reflect.Bool:
		e.Bool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.Int(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.Uint(v.Uint())
	case reflect.Float32, reflect.Float64:
		e.Float(v.Float())
	case reflect.String:
		e.String(v.String())
	case reflect.Slice:
		if v.IsNil() {
			e.Uint(0)
			return
		}
		n := v.Len()
		e.Uint(uint64(n) + 1)
		switch t.Elem().Kind() {
		case reflect.Float64:
			for _, x := range v.Interface().([]float64) {
				e.Float(x)
			}
		case reflect.Uint8:
			e.buf = append(e.buf, v.Bytes()...)
		default:
			for i := range n {
				e.value(t.Elem(), v.Index(i), depth+1)
			}
		}
	case reflect.Array:
		for i := range t.Len() {
			e.value(t.Elem(), v.Index(i), depth+1)
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				e.value(f.Type, v.Field(i), depth+1)
			}
		}
	case reflect.Pointer:
		if e.pointer(t, v) {
			e.pointee(t, v, depth)
		}
	default:
		e.fail("a %v cannot cross between the checker and the student process", t)
	}
}

// pointer writes a pointer's tag: 0 for nil, 1 for a new object (whose
// value follows: it returns true), 2+k for the k-th object of the frame.
func (e *Encoder) pointer(t reflect.Type, v reflect.Value) bool {
	if !v.IsValid() || v.IsNil() {
		e.Uint(0)
		return false
	}
	k := ptrKey{t, v.Pointer()}
	if id, ok := e.ptrs[k]; ok {
		e.Uint(2 + id)
		return false
	}
	e.ptrs[k] = e.next
	e.next++
	e.Uint(1)
	return true
}

func (e *Encoder) pointee(t reflect.Type, v reflect.Value, depth int) {
	switch t {
	case denseType:
		m := v.Interface().(*mat.Dense)
		if m.IsEmpty() {
			e.Uint(0)
			e.Uint(0)
			return
		}
		r, c := m.Dims()
		e.Uint(uint64(r))
		e.Uint(uint64(c))
		for i := range r {
			for j := range c {
				e.Float(m.At(i, j))
			}
		}
	case tensorType:
		e.tensor(v.Interface().(*tensor.Tensor))
	case loaderType:
		l := v.Interface().(*data.Loader)
		e.value(reflect.TypeFor[*data.Split](), reflect.ValueOf(l.Split()), depth+1)
		e.value(reflect.TypeFor[data.LoaderConfig](), reflect.ValueOf(l.Config()), depth+1)
	default:
		e.value(t.Elem(), v.Elem(), depth+1)
	}
}

func (e *Encoder) tensor(x *tensor.Tensor) {
	if x.DType() == tensor.Float32 {
		e.Uint(32)
	} else {
		e.Uint(64)
	}
	e.Bool(x.RequiresGrad())
	sh := x.Shape()
	e.Uint(uint64(len(sh)))
	for _, d := range sh {
		e.Uint(uint64(d))
	}
	if x.DType() == tensor.Float32 {
		for _, f := range x.Data32() {
			e.buf = binary.LittleEndian.AppendUint32(e.buf, math.Float32bits(f))
		}
		return
	}
	for _, f := range x.Data64() {
		e.Float(f)
	}
}

// Module kinds after a module's pointer tag.
const (
	moduleKnown  = 1 // a registered type: its name, mode and exported fields
	moduleOpaque = 2 // a handle and what can be seen from outside
)

func (e *Encoder) module(m nn.Module, depth int) {
	if isNilModule(m) {
		e.Uint(0)
		return
	}
	rv := reflect.ValueOf(m)
	if rv.Kind() != reflect.Pointer {
		// A module that is not a pointer has no identity to keep, but
		// it takes an id like every new object.
		e.next++
		e.Uint(1)
	} else if !e.pointer(moduleType, rv) {
		return
	}
	if name, ok := knownName[rv.Type()]; ok {
		e.Uint(moduleKnown)
		e.String(name)
		tr, isTrainer := m.(nn.Trainer)
		e.Bool(isTrainer && tr.Training())
		e.value(rv.Type().Elem(), rv.Elem(), depth+1)
		return
	}
	if e.peer == nil {
		e.fail("a module of type %T cannot cross between the checker and the student process", m)
	}
	o, err := e.peer.Out(m)
	if err != nil {
		e.fail("%v", err)
	}
	e.Uint(moduleOpaque)
	e.Uint(o.Handle)
	e.String(o.TypeName)
	e.String(o.Name)
	e.Bool(o.Training)
	e.Bool(o.IsParent)
	e.Uint(uint64(len(o.Children)))
	for _, ch := range o.Children {
		e.String(ch.Name)
		e.module(ch.Module, depth+1)
	}
	e.Uint(uint64(len(o.Own)))
	for _, p := range o.Own {
		if e.pointer(tensorType, reflect.ValueOf(p)) {
			e.tensor(p)
		}
	}
}

// isNilModule reports whether m is nil or holds a nil pointer.
func isNilModule(m nn.Module) bool {
	if m == nil {
		return true
	}
	v := reflect.ValueOf(m)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
