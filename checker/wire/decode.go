package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"

	"gonum.org/v1/gonum/mat"

	"nnkit/data"
	"nnkit/nn"
	"nnkit/tensor"
)

// Decoder reads values from a frame. It never panics on a malformed
// frame: every method records the first error, which Err returns, and
// later reads return zero values.
type Decoder struct {
	buf  []byte
	ptrs []reflect.Value
	peer Peer
	err  error

	// budget is what the decoded values may still allocate, in bytes:
	// an empty slice is one byte on the wire but 24 in memory, so a
	// length bound by the bytes left is not enough on its own.
	budget int
	// open marks the modules being decoded (a back-reference to one is
	// a cycle); size counts, for every module decoded, the modules
	// reachable from it counting every path, which bounds what walking
	// the tree (Parameters, SetTraining, Apply) costs.
	open  map[int]bool
	size  map[int]int
	paths int // the module paths counted so far in the module being decoded
}

// The limits a frame's modules must keep: a network of the assignment
// has a few dozen modules on every path count.
const maxModulePaths = 4096

// NewDecoder reads the frame b, whose op byte has been taken off. Its
// values may allocate up to 16 times the frame's size, plus 1 MiB.
func NewDecoder(b []byte, peer Peer) *Decoder {
	return &Decoder{buf: b, peer: peer, budget: 16*len(b) + 1<<20, open: map[int]bool{}, size: map[int]int{}}
}

// alloc charges n bytes against the budget.
func (d *Decoder) alloc(n int) bool {
	if n < 0 || n > d.budget {
		d.failf("the values would take more memory than their frame allows (%d bytes left of the budget)", d.budget)
		return false
	}
	d.budget -= n
	return true
}

// Err returns the first error met, or nil.
func (d *Decoder) Err() error { return d.err }

// Done returns an error unless the whole frame was read without error.
func (d *Decoder) Done() error {
	if d.err == nil && len(d.buf) > 0 {
		d.err = fmt.Errorf("wire: %d bytes left over at the end of the frame", len(d.buf))
	}
	return d.err
}

func (d *Decoder) failf(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("wire: "+format, args...)
	}
	d.buf = nil
}

// Uint reads an unsigned integer.
func (d *Decoder) Uint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.failf("bad or missing unsigned integer")
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// Int reads a signed integer.
func (d *Decoder) Int() int64 {
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.failf("bad or missing integer")
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// Bool reads a boolean.
func (d *Decoder) Bool() bool {
	if len(d.buf) < 1 || d.buf[0] > 1 {
		d.failf("bad or missing boolean")
		return false
	}
	v := d.buf[0] == 1
	d.buf = d.buf[1:]
	return v
}

// Float reads a float64.
func (d *Decoder) Float() float64 {
	if len(d.buf) < 8 {
		d.failf("missing float")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.buf))
	d.buf = d.buf[8:]
	return v
}

// count reads a length whose items take at least unit bytes each, so
// that a forged length cannot make the reader allocate more than the
// frame holds.
func (d *Decoder) count(unit int) int {
	n := d.Uint()
	if n > uint64(len(d.buf)/max(unit, 1)) {
		d.failf("length %d is more than the frame holds", n)
		return 0
	}
	return int(n)
}

// String reads a string.
func (d *Decoder) String() string {
	n := d.count(1)
	s := string(d.buf[:n])
	d.buf = d.buf[n:]
	return s
}

// Blob reads a byte slice.
func (d *Decoder) Blob() []byte {
	n := d.count(1)
	b := append([]byte(nil), d.buf[:n]...)
	d.buf = d.buf[n:]
	return b
}

// Value reads a value of v's type into v, which must be settable. Where v
// already holds a pointer, slice or module of the same shape, the new
// value is written into it in place: the checker reads a student's
// arguments back into the very objects it passed, so that it sees what
// the call changed.
func (d *Decoder) Value(v reflect.Value) error {
	d.value(v, 0)
	return d.err
}

func (d *Decoder) value(v reflect.Value, depth int) {
	if d.err != nil {
		return
	}
	if depth > maxDepth {
		d.failf("value nested more than %d deep", maxDepth)
		return
	}
	t := v.Type()
	switch t {
	case deviceType:
		name := d.String()
		switch name {
		case "":
			v.SetZero()
		case tensor.CPU.Name():
			v.Set(reflect.ValueOf(tensor.CPU))
		default:
			d.failf("unknown device %q", name)
		}
		return
	case moduleType:
		var old nn.Module
		if !v.IsNil() {
			old = v.Interface().(nn.Module)
		}
		m := d.module(old, depth)
		if d.err == nil {
			if m == nil {
				v.SetZero()
			} else {
				v.Set(reflect.ValueOf(m))
			}
		}
		return
	}
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(d.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x := d.Int()
		if v.OverflowInt(x) {
			d.failf("%d overflows %v", x, t)
			return
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x := d.Uint()
		if v.OverflowUint(x) {
			d.failf("%d overflows %v", x, t)
			return
		}
		v.SetUint(x)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(d.Float())
	case reflect.String:
		v.SetString(d.String())
	case reflect.Slice:
		d.slice(v, depth)
	case reflect.Array:
		for i := range t.Len() {
			d.value(v.Index(i), depth+1)
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				d.value(v.Field(i), depth+1)
			}
		}
	case reflect.Pointer:
		d.pointer(v, depth)
	default:
		d.failf("a %v cannot cross between the checker and the student process", t)
	}
}

func (d *Decoder) slice(v reflect.Value, depth int) {
	t := v.Type()
	tag := d.Uint()
	if d.err != nil {
		return
	}
	if tag == 0 {
		v.SetZero()
		return
	}
	unit := 1
	switch t.Elem().Kind() {
	case reflect.Float64:
		unit = 8
	}
	if tag-1 > uint64(len(d.buf)/unit) {
		d.failf("length %d is more than the frame holds", tag-1)
		return
	}
	n := int(tag - 1)
	if !d.alloc(n * int(t.Elem().Size())) {
		return
	}
	s := v
	if v.IsNil() || v.Len() != n {
		s = reflect.MakeSlice(t, n, n)
		if !v.IsNil() {
			reflect.Copy(s, v) // keep the old elements to decode into
		}
	}
	switch t.Elem().Kind() {
	case reflect.Float64:
		f := s.Interface().([]float64)
		for i := range f {
			f[i] = d.Float()
		}
	case reflect.Uint8:
		copy(s.Bytes(), d.buf[:n])
		d.buf = d.buf[n:]
	default:
		for i := range n {
			d.value(s.Index(i), depth+1)
		}
	}
	if d.err == nil {
		v.Set(s)
	}
}

// pointer reads a pointer's tag and, for a new object, its value; an
// existing object in v of the same type is reused.
func (d *Decoder) pointer(v reflect.Value, depth int) {
	tag := d.Uint()
	switch {
	case d.err != nil:
		return
	case tag == 0:
		v.SetZero()
		return
	case tag >= 2:
		id := tag - 2
		if id >= uint64(len(d.ptrs)) || d.ptrs[id].Type() != v.Type() {
			d.failf("bad back-reference %d", id)
			return
		}
		v.Set(d.ptrs[id])
		return
	}
	t := v.Type()
	switch t {
	case denseType:
		r, c := int(d.Uint()), int(d.Uint())
		if d.err != nil || r < 0 || c < 0 || r > 0 && c > len(d.buf)/8/r {
			d.failf("matrix of %d x %d is more than the frame holds", r, c)
			return
		}
		var m *mat.Dense
		if r == 0 || c == 0 {
			m = new(mat.Dense)
		} else {
			vals := make([]float64, r*c)
			for i := range vals {
				vals[i] = d.Float()
			}
			m = mat.NewDense(r, c, vals)
		}
		if old, _ := v.Interface().(*mat.Dense); old != nil {
			*old = *m // the caller's matrix takes the new contents
			m = old
		}
		d.ptrs = append(d.ptrs, reflect.ValueOf(m))
		v.Set(reflect.ValueOf(m))
	case tensorType:
		old, _ := v.Interface().(*tensor.Tensor)
		x := d.tensor(old)
		if d.err != nil {
			return
		}
		d.ptrs = append(d.ptrs, reflect.ValueOf(x))
		v.Set(reflect.ValueOf(x))
	case loaderType:
		slot := len(d.ptrs)
		d.ptrs = append(d.ptrs, reflect.Zero(t))
		var split *data.Split
		var cfg data.LoaderConfig
		d.value(reflect.ValueOf(&split).Elem(), depth+1)
		d.value(reflect.ValueOf(&cfg).Elem(), depth+1)
		if d.err != nil {
			return
		}
		l, err := data.NewLoader(split, cfg)
		if err != nil {
			d.failf("%v", err)
			return
		}
		d.ptrs[slot] = reflect.ValueOf(l)
		v.Set(d.ptrs[slot])
	default:
		p := v
		if v.IsNil() {
			p = reflect.New(t.Elem())
		}
		d.ptrs = append(d.ptrs, p)
		d.value(p.Elem(), depth+1)
		if d.err == nil {
			v.Set(p)
		}
	}
}

// grow adds n module paths to the module being decoded.
func (d *Decoder) grow(n int) {
	d.paths += n
	if d.paths > maxModulePaths {
		d.failf("a network with more than %d modules, counting every path to a shared one", maxModulePaths)
	}
}

// tensor reads a tensor, into old when it has the same dtype and shape.
func (d *Decoder) tensor(old *tensor.Tensor) *tensor.Tensor {
	bits := d.Uint()
	grad := d.Bool()
	nd := d.count(1)
	if d.err != nil {
		return nil
	}
	if bits != 32 && bits != 64 || nd > 16 {
		d.failf("tensor of %d-bit floats and %d dimensions", bits, nd)
		return nil
	}
	shape := make([]int, nd)
	n := 1
	for i := range shape {
		shape[i] = int(d.Uint())
		if shape[i] < 0 || shape[i] > 0 && n > len(d.buf)/shape[i] {
			d.failf("tensor of shape %v is more than the frame holds", shape[:i+1])
			return nil
		}
		n *= shape[i]
	}
	if int(bits/8)*n > len(d.buf) {
		d.failf("tensor of shape %v is more than the frame holds", shape)
		return nil
	}
	if !d.alloc(n*int(bits/8) + 64) {
		return nil
	}
	dt := tensor.Float64
	if bits == 32 {
		dt = tensor.Float32
	}
	x := old
	if x == nil || x.DType() != dt || !slices.Equal(x.Shape(), shape) {
		x = tensor.New(dt, shape...)
	}
	if dt == tensor.Float32 {
		f := x.Data32()
		for i := range f {
			f[i] = math.Float32frombits(binary.LittleEndian.Uint32(d.buf[4*i:]))
		}
		d.buf = d.buf[4*n:]
	} else {
		f := x.Data64()
		for i := range f {
			f[i] = d.Float()
		}
	}
	if x.RequiresGrad() != grad {
		x.SetRequiresGrad(grad)
	}
	return x
}

func (d *Decoder) module(old nn.Module, depth int) nn.Module {
	tag := d.Uint()
	switch {
	case d.err != nil:
		return nil
	case tag == 0:
		return nil
	case tag >= 2:
		id := tag - 2
		if id >= uint64(len(d.ptrs)) {
			d.failf("bad back-reference %d", id)
			return nil
		}
		if d.open[int(id)] {
			d.failf("a module contains itself")
			return nil
		}
		m, ok := d.ptrs[id].Interface().(nn.Module)
		if !ok {
			d.failf("back-reference %d is not a module", id)
			return nil
		}
		d.grow(d.size[int(id)])
		return m
	}
	slot := len(d.ptrs)
	d.ptrs = append(d.ptrs, reflect.ValueOf((*nn.Module)(nil)))
	d.open[slot] = true
	outer := d.paths
	d.paths = 1
	defer func() {
		delete(d.open, slot)
		d.size[slot] = d.paths
		d.paths = outer
		d.grow(d.size[slot])
	}()
	switch kind := d.Uint(); kind {
	case moduleKnown:
		name := d.String()
		training := d.Bool()
		t, ok := knownType[name]
		if d.err != nil {
			return nil
		}
		if !ok {
			d.failf("unknown module type %q", name)
			return nil
		}
		p := reflect.New(t.Elem())
		if old != nil && reflect.TypeOf(old) == t {
			p = reflect.ValueOf(old)
		}
		d.ptrs[slot] = p
		d.value(p.Elem(), depth+1)
		m := p.Interface().(nn.Module)
		if _, ok := m.(nn.Trainer); ok && d.err == nil {
			m.SetTraining(training)
		}
		return m
	case moduleOpaque:
		var o Opaque
		o.Handle = d.Uint()
		o.TypeName = d.String()
		o.Name = d.String()
		o.Training = d.Bool()
		o.IsParent = d.Bool()
		if d.err != nil {
			return nil
		}
		if d.peer == nil {
			d.failf("a module of type %s cannot cross here", o.TypeName)
			return nil
		}
		m, now, err := d.peer.In(o, old)
		if err != nil {
			d.failf("%v", err)
			return nil
		}
		d.ptrs[slot] = reflect.ValueOf(m)
		nch := d.count(2)
		if d.err == nil && len(now.Children) != 0 && len(now.Children) != nch {
			d.failf("module %s has %d children here and %d there", o.TypeName, len(now.Children), nch)
		}
		o.Children = make([]nn.Child, nch)
		for i := range o.Children {
			o.Children[i].Name = d.String()
			var prev nn.Module
			if i < len(now.Children) {
				prev = now.Children[i].Module
			}
			o.Children[i].Module = d.module(prev, depth+1)
		}
		nown := d.count(2)
		o.Own = make([]*tensor.Tensor, nown)
		for i := range o.Own {
			if i < len(now.Own) {
				o.Own[i] = now.Own[i]
			}
			pv := reflect.ValueOf(&o.Own[i]).Elem()
			d.pointer(pv, depth+1)
		}
		if d.err != nil {
			return nil
		}
		if err := d.peer.Set(m, o); err != nil {
			d.failf("%v", err)
			return nil
		}
		return m
	default:
		d.failf("unknown module kind %d", kind)
		return nil
	}
}
