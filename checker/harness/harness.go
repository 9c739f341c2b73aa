// Package harness is the student process's side of the checker's
// protocol (see nnkit/checker/wire): a loop that takes calls from the
// checker, runs the student's functions on the arguments sent, and sends
// back what they returned. It holds no rubric, no reference and no
// answer, and it scores nothing: a student process that lies about its
// results only lies about its own outputs, which the checker then judges.
//
// The checker builds the student process from the student's package and
// a generated main that calls Serve with the student's graded functions;
// `go list -deps` of that program is pinned by a test to the student's
// package, this package, wire, the engine, data, gonum and the standard
// library.
package harness

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime/debug"
	"sync"

	"nnkit/checker/wire"
	"nnkit/nn"
	"nnkit/tensor"
)

// The file descriptors the checker passes: requests come in on 3,
// replies go out on 4; stdout and stderr are the student's.
const (
	requestFD = 3
	replyFD   = 4
)

// Serve answers the checker's calls until it says goodbye or the pipe
// closes, then exits. funcs maps each graded function's name to the
// student's function.
func Serve(funcs map[string]any) {
	in := os.NewFile(requestFD, "checker-requests")
	out := os.NewFile(replyFD, "checker-replies")
	if in == nil || out == nil {
		fmt.Fprintln(os.Stderr, "harness: started without the checker's pipes: this program is run by `check`, not by hand")
		os.Exit(2)
	}
	s := &server{funcs: funcs, in: bufio.NewReader(in), out: out, table: &table{}}
	srv = s
	if err := s.loop(); err != nil && err != io.EOF {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

type server struct {
	funcs map[string]any
	in    io.Reader
	out   io.Writer
	table *table

	// mu is held while the checker's call runs and while Redirect talks
	// to the checker, so that the two never use the pipes at once.
	mu      sync.Mutex
	current string // the graded function the checker called, or ""
}

// srv is the running server, for Redirect.
var srv *server

func (s *server) loop() error {
	for {
		b, err := wire.ReadFrame(s.in)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return fmt.Errorf("empty frame")
		}
		d := wire.NewDecoder(b[1:], s.table)
		var reply []byte
		switch b[0] {
		case wire.OpHello:
			v := d.Uint()
			if err := d.Done(); err != nil {
				return err
			}
			e := wire.NewEncoder(wire.ReplyHello, nil)
			e.Uint(wire.Version)
			if v != wire.Version {
				return fmt.Errorf("the checker speaks protocol %d, this harness %d", v, wire.Version)
			}
			reply = e.Bytes()
		case wire.OpCall:
			reply = s.call(d)
		case wire.OpForward:
			reply = s.forward(d)
		case wire.OpInstall:
			reply = s.install(d)
		case wire.OpBye:
			return nil
		default:
			return fmt.Errorf("unknown op %d", b[0])
		}
		if len(reply) > wire.MaxFrame {
			reply = errorReply("the reply is %d bytes, more than the checker accepts (%d): is a result far larger than it should be?", len(reply), wire.MaxFrame)
		}
		if err := wire.WriteFrame(s.out, reply); err != nil {
			return err
		}
	}
}

func errorReply(format string, args ...any) []byte {
	e := wire.NewEncoder(wire.ReplyError, nil)
	e.String(fmt.Sprintf(format, args...))
	return e.Bytes()
}

// context reads what every call carries besides its arguments: the
// layer generator's state and whether gradients are on.
func context(d *wire.Decoder) (grad bool, err error) {
	state := d.Blob()
	grad = d.Bool()
	if d.Err() != nil {
		return false, d.Err()
	}
	return grad, nn.SetGeneratorState(state)
}

// run calls f, turning a panic into a ReplyPanic frame; with gradients
// off it runs inside tensor.NoGrad.
func run(grad bool, f func()) (panicked []byte) {
	defer func() {
		if v := recover(); v != nil {
			e := wire.NewEncoder(wire.ReplyPanic, nil)
			e.String(fmt.Sprint(v))
			e.String(string(debug.Stack()))
			panicked = e.Bytes()
		}
	}()
	if grad {
		f()
	} else {
		tensor.NoGrad(f)
	}
	return nil
}

func (s *server) call(d *wire.Decoder) []byte {
	name := d.String()
	grad, err := context(d)
	if err != nil {
		return errorReply("bad call: %v", err)
	}
	f, ok := s.funcs[name]
	if !ok {
		return errorReply("no function %s in the student's package", name)
	}
	fv := reflect.ValueOf(f)
	ft := fv.Type()
	args := make([]reflect.Value, ft.NumIn())
	for i := range args {
		args[i] = reflect.New(ft.In(i)).Elem()
		if err := d.Value(args[i]); err != nil {
			return errorReply("bad argument %d of %s: %v", i, name, err)
		}
	}
	if err := d.Done(); err != nil {
		return errorReply("bad call of %s: %v", name, err)
	}
	var results []reflect.Value
	s.mu.Lock()
	s.current = name
	s.mu.Unlock()
	p := run(grad, func() { results = fv.Call(args) })
	s.mu.Lock()
	s.current = ""
	s.mu.Unlock()
	if p != nil {
		return p
	}
	e := wire.NewEncoder(wire.ReplyOK, s.table)
	// The arguments first: a result that is an argument then arrives as
	// a back-reference to the checker's own object.
	for i, a := range args {
		if err := e.Value(ft.In(i), a); err != nil {
			return errorReply("argument %d of %s after the call: %v", i, name, err)
		}
	}
	for i, r := range results {
		if err := e.Value(ft.Out(i), r); err != nil {
			return errorReply("result %d of %s: %v", i, name, err)
		}
	}
	e.Blob(nn.GeneratorState())
	return e.Bytes()
}

// Redirect is called by the generated wrapper of each graded function
// (self is the wrapper, for its signature).
// Called from the code of another graded function while the checker's
// call runs, it asks the checker for the reference's results, stores
// them through results (pointers) and returns true; otherwise (F's own
// item, recursion, no call running, or answers that cannot cross) it
// returns false and the wrapper runs the student's own F. So a wrong
// DNNForward costs DNNForward's points, not also those of the Train
// that calls it.
func Redirect(name string, self any, args, results []any) bool {
	s := srv
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == "" || s.current == name {
		return false
	}
	ft := reflect.TypeOf(self)
	if ft == nil || ft.Kind() != reflect.Func || ft.NumIn() != len(args) || ft.NumOut() != len(results) {
		return false
	}
	e := wire.NewEncoder(wire.ReplyAsk, s.table)
	e.String(name)
	for i, a := range args {
		v := reflect.New(ft.In(i)).Elem()
		if a != nil {
			v.Set(reflect.ValueOf(a))
		}
		if e.Value(ft.In(i), v) != nil {
			return false
		}
	}
	if wire.WriteFrame(s.out, e.Bytes()) != nil {
		os.Exit(3)
	}
	b, err := wire.ReadFrame(s.in)
	if err != nil || len(b) < 2 || b[0] != wire.OpAnswer {
		fmt.Fprintln(os.Stderr, "harness: the checker did not answer", name)
		os.Exit(3)
	}
	d := wire.NewDecoder(b[2:], s.table)
	switch b[1] {
	case wire.AnswerResults:
		for _, r := range results {
			if d.Value(reflect.ValueOf(r).Elem()) != nil {
				return false
			}
		}
		return d.Done() == nil
	}
	return false
}

// forward runs a module's Forward: the module (a handle with its
// children's state), then the input.
func (s *server) forward(d *wire.Decoder) []byte {
	var m nn.Module
	mv := reflect.ValueOf(&m).Elem()
	if err := d.Value(mv); err != nil {
		return errorReply("bad module: %v", err)
	}
	grad, err := context(d)
	if err != nil {
		return errorReply("bad forward call: %v", err)
	}
	var x *tensor.Tensor
	if err := d.Value(reflect.ValueOf(&x).Elem()); err != nil {
		return errorReply("bad input: %v", err)
	}
	if err := d.Done(); err != nil {
		return errorReply("bad forward call: %v", err)
	}
	if m == nil {
		return errorReply("forward of a nil module")
	}
	var y *tensor.Tensor
	if p := run(grad, func() { y = m.Forward(x) }); p != nil {
		return p
	}
	e := wire.NewEncoder(wire.ReplyOK, s.table)
	if err := e.Value(reflect.TypeFor[nn.Module](), mv); err != nil {
		return errorReply("the module after Forward: %v", err)
	}
	if err := e.Value(reflect.TypeFor[*tensor.Tensor](), reflect.ValueOf(y)); err != nil {
		return errorReply("Forward's result: %v", err)
	}
	e.Blob(nn.GeneratorState())
	return e.Bytes()
}

// install makes a new value of a student module's type holding the
// given layers in the named fields (task 4 grades Residual.Forward on
// the reference's layers whatever NewResidual made).
func (s *server) install(d *wire.Decoder) []byte {
	var proto nn.Module
	if err := d.Value(reflect.ValueOf(&proto).Elem()); err != nil {
		return errorReply("bad prototype: %v", err)
	}
	n := int(d.Uint())
	if n > 64 {
		return errorReply("%d fields to install", n)
	}
	fields := make([]string, n)
	layers := make([]nn.Module, n)
	for i := range n {
		fields[i] = d.String()
		if err := d.Value(reflect.ValueOf(&layers[i]).Elem()); err != nil {
			return errorReply("bad layer %s: %v", fields[i], err)
		}
	}
	if err := d.Done(); err != nil {
		return errorReply("bad install call: %v", err)
	}
	v := reflect.ValueOf(proto)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return errorReply("NewResidual returns a %T, expected a *Residual", proto)
	}
	nv := reflect.New(v.Elem().Type())
	for i, name := range fields {
		fv := nv.Elem().FieldByName(name)
		var lv reflect.Value
		if layers[i] != nil {
			lv = reflect.ValueOf(layers[i])
		}
		switch {
		case !fv.IsValid() || !fv.CanSet():
			return errorReply("the %s struct has no field %s: keep the given struct", v.Elem().Type().Name(), name)
		case !lv.IsValid():
			continue // the field stays nil
		case !lv.Type().AssignableTo(fv.Type()):
			return errorReply("the %s struct's field %s is a %v, expected %v: keep the given struct", v.Elem().Type().Name(), name, fv.Type(), lv.Type())
		}
		fv.Set(lv)
	}
	m, ok := nv.Interface().(nn.Module)
	if !ok {
		return errorReply("a %v is not an nn.Module: keep the given methods", nv.Type())
	}
	e := wire.NewEncoder(wire.ReplyOK, s.table)
	if err := e.Value(reflect.TypeFor[nn.Module](), reflect.ValueOf(&m).Elem()); err != nil {
		return errorReply("the new block: %v", err)
	}
	return e.Bytes()
}

// table is the student process's Peer: every module of the student's own
// type that crosses gets a handle, and stays here.
type table struct {
	mods []nn.Module
}

func (t *table) handle(m nn.Module) uint64 {
	for i, x := range t.mods {
		if same(x, m) {
			return uint64(i)
		}
	}
	t.mods = append(t.mods, m)
	return uint64(len(t.mods) - 1)
}

// same compares modules without panicking on uncomparable types.
func same(a, b nn.Module) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() {
		return false
	}
	if va.Kind() == reflect.Pointer {
		return va.Pointer() == vb.Pointer()
	}
	return false
}

func (t *table) Out(m nn.Module) (o wire.Opaque, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("a method of %T panicked: %v", m, v)
		}
	}()
	o = wire.Opaque{Handle: t.handle(m), TypeName: fmt.Sprintf("%T", m), Name: m.Name(), Training: nn.IsTraining(m)}
	inChildren := map[*tensor.Tensor]bool{}
	if p, ok := m.(nn.Parent); ok {
		o.IsParent = true
		for _, ch := range p.Children() {
			if isNil(ch.Module) {
				continue
			}
			o.Children = append(o.Children, ch)
			for _, q := range ch.Module.Parameters() {
				inChildren[q] = true
			}
		}
	}
	for _, q := range m.Parameters() {
		if !inChildren[q] {
			o.Own = append(o.Own, q)
		}
	}
	return o, nil
}

func (t *table) In(o wire.Opaque, existing nn.Module) (nn.Module, wire.Opaque, error) {
	if o.Handle >= uint64(len(t.mods)) {
		return nil, wire.Opaque{}, fmt.Errorf("no module with handle %d", o.Handle)
	}
	m := t.mods[o.Handle]
	now, err := t.Out(m)
	return m, now, err
}

// Set has nothing to do: the children and parameters were decoded into
// the module's own objects in place, each with its mode.
func (t *table) Set(nn.Module, wire.Opaque) error { return nil }

func isNil(m nn.Module) bool {
	if m == nil {
		return true
	}
	v := reflect.ValueOf(m)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
