package checker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"nnkit/checker/sandbox"
	"nnkit/checker/wire"
	"nnkit/nn"
	"nnkit/tensor"
)

// studentProc is a running student process and the checker's end of its
// pipes. The checks call the student's functions through proxies (see
// bind) that send each call over the pipe and decode what comes back;
// nothing the process writes anywhere else is read, except its output,
// which is shown to the student.
type studentProc struct {
	kill        func()         // ends the process and everything it started
	containment string         // what contained it, in words
	req         io.WriteCloser // the process's fd 3
	rep         io.ReadCloser  // the process's fd 4
	output      *capWriter
	peer        wire.RemotePeer
	waited      chan struct{}
	task        *Task           // whose reference answers the process's questions
	calling     string          // the graded function the checker is calling
	callArgs    []reflect.Value // and its arguments
	err         error           // the process's exit, once waited
	ctx         context.Context
}

// startStudent starts bin in dir, contained (see nnkit/checker/sandbox)
// where this program allows it, with the checker's pipes as fds 3 and 4.
func startStudent(ctx context.Context, bin, dir string, env []string, opt Options) (*studentProc, error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, err
	}
	p := &studentProc{req: reqW, rep: repR, output: &capWriter{max: opt.OutputCap}, waited: make(chan struct{}), ctx: ctx}
	p.peer = wire.RemotePeer{Via: p}
	if sandbox.Available() {
		var sp *sandbox.Process
		sp, err = sandbox.Start(ctx, sandbox.Spec{Path: bin, Env: env, Dir: dir, Stdout: p.output, Stderr: p.output,
			ExtraFiles: []*os.File{reqR, repW}, MemoryBytes: opt.MemoryBytes, Minimal: true, Hidden: hiddenPaths(opt, filepath.Dir(dir))})
		if err == nil {
			p.containment = sp.Containment().String()
			p.kill = sp.Kill
			go func() {
				p.err = sp.Wait()
				close(p.waited)
			}()
		}
	} else {
		cmd := exec.Command(bin)
		cmd.Dir, cmd.Env = dir, env
		cmd.Stdout, cmd.Stderr = p.output, p.output
		cmd.ExtraFiles = []*os.File{reqR, repW}
		cmd.SysProcAttr = studentSysProcAttr()
		if err = cmd.Start(); err == nil {
			p.containment = "own process group only (this program did not call sandbox.Main)"
			p.kill = func() { killGroup(cmd.Process.Pid) }
			go func() {
				p.err = cmd.Wait()
				close(p.waited)
			}()
			go func() {
				select {
				case <-ctx.Done():
					p.kill()
				case <-p.waited:
				}
			}()
		}
	}
	reqR.Close()
	repW.Close()
	if err != nil {
		reqW.Close()
		repR.Close()
		return nil, fmt.Errorf("starting the student process: %w", err)
	}
	return p, nil
}

// hiddenPaths are the folders a student process must not see: the kit's
// secrets, the caller's, and the folders of Unix sockets (a read-only
// mount does not stop a connect). Paths that do not exist are left out.
func hiddenPaths(opt Options, own string) []string {
	var out []string
	for _, p := range append([]string{
		filepath.Join(opt.Root, "solutions"), filepath.Join(opt.Root, filepath.FromSlash(FixturesDir)),
		filepath.Join(opt.Root, "conceptual", "reference"), filepath.Join(opt.Root, ".git"),
		"/run", "/var/run", "/tmp/.X11-unix",
	}, append(opt.Hidden, runDirs(own)...)...) {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// hello checks that the process speaks the checker's protocol; it
// panics like roundTrip when not.
func (p *studentProc) hello() {
	e := wire.NewEncoder(wire.OpHello, nil)
	e.Uint(wire.Version)
	b := p.roundTrip(e.Bytes())
	d := wire.NewDecoder(b[1:], nil)
	if v := d.Uint(); b[0] != wire.ReplyHello || d.Done() != nil || v != wire.Version {
		panic(studentGone{reason: fmt.Sprintf("the student process did not answer the checker's hello (protocol %d)", wire.Version)})
	}
}

// stop says goodbye, then kills whatever is left, and waits.
func (p *studentProc) stop() {
	wire.WriteFrame(p.req, []byte{wire.OpBye})
	p.req.Close()
	p.kill()
	<-p.waited
	p.rep.Close()
}

// studentPanic is a panic in the student's code, recovered in the
// student process and sent back with its stack.
type studentPanic struct {
	msg, stack string
}

// studentGone is the student process failing the protocol: it died,
// timed out, sent garbage or could not send its results.
type studentGone struct {
	reason   string
	timedOut bool
	crashed  bool // died: the reason comes from its output
}

// roundTrip sends a frame and returns the reply; on any failure it
// panics with a studentGone, which Task.RunItem turns into the item's
// result.
func (p *studentProc) roundTrip(frame []byte) []byte {
	if err := wire.WriteFrame(p.req, frame); err == nil {
		b, err := wire.ReadFrame(p.rep)
		for err == nil && len(b) > 0 && b[0] == wire.ReplyAsk && p.calling != "" {
			// The student's code called another graded function:
			// answer with the reference (see redirect.go).
			if err = wire.WriteFrame(p.req, p.answer(b[1:])); err == nil {
				b, err = wire.ReadFrame(p.rep)
			}
		}
		if err == nil && len(b) > 0 {
			return b
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, os.ErrClosed) {
			p.kill()
			<-p.waited
			panic(studentGone{reason: "the student process broke the checker's protocol: " + err.Error()})
		}
	}
	p.kill()
	<-p.waited
	if errors.Is(p.ctx.Err(), context.DeadlineExceeded) {
		panic(studentGone{timedOut: true})
	}
	panic(studentGone{crashed: true})
}

// answer runs the reference function the student process asked for on
// the arguments it sent. Arguments holding a module of the student's own
// type, or results that cannot cross, get AnswerCannot: the student's
// function then runs after all.
func (p *studentProc) answer(b []byte) []byte {
	cannot := []byte{wire.OpAnswer, wire.AnswerCannot}
	d := wire.NewDecoder(b, refusePeer{})
	name := d.String()
	if p.task == nil || p.calling == "" || d.Err() != nil {
		return cannot // no call of the checker's is running: nothing to answer for
	}
	ft := p.task.FuncType(name)
	if ft == nil || !slices.Contains(p.task.Calls[p.calling], name) {
		return cannot // not a call the reference of the function being called makes
	}
	args := make([]reflect.Value, ft.NumIn())
	for i := range args {
		args[i] = reflect.New(ft.In(i)).Elem()
		if d.Value(args[i]) != nil {
			return cannot
		}
	}
	if d.Done() != nil || !within(args, p.callArgs) {
		return cannot
	}
	ref := reflect.ValueOf(p.task.ref).Elem().FieldByName(name)
	if ref.IsNil() {
		return cannot // a task without a reference function (conceptual problem 1)
	}
	var results []reflect.Value
	var panicked any
	func() {
		defer func() { panicked = recover() }()
		results = ref.Call(args)
	}()
	if panicked != nil {
		// The reference cannot answer these arguments (the student's
		// code passed garbage, or the student copy's recorded outputs
		// hold no answer for them): the student's own function runs,
		// and whatever it does with them is its own.
		return cannot
	}
	e := wire.NewEncoder(wire.OpAnswer, refusePeer{})
	e.Uint(uint64(wire.AnswerResults))
	for i, r := range results {
		if e.Value(ft.Out(i), r) != nil {
			return cannot
		}
	}
	return e.Bytes()
}

// within reports whether no dimension of a matrix and no length of a
// slice in asked is larger than the largest the checker passed in the
// call being graded (call): the reference runs in the checker's process,
// so the student's code must not choose its size (a 3e6 x 1 W would make
// DNNForward's H 3e6 x 3e6). Work stays within a power of the checker's
// own sizes.
func within(asked, call []reflect.Value) bool {
	var walk func(v reflect.Value, visit func(int) bool) bool
	walk = func(v reflect.Value, visit func(int) bool) bool {
		switch {
		case !v.IsValid():
		case v.Type() == denseType:
			if m, _ := v.Interface().(*mat.Dense); m != nil && !m.IsEmpty() {
				r, c := m.Dims()
				return visit(r) && visit(c)
			}
		case v.Kind() == reflect.Slice:
			if !visit(v.Len()) {
				return false
			}
			if v.Type().Elem().Kind() != reflect.Float64 {
				for i := range v.Len() {
					if !walk(v.Index(i), visit) {
						return false
					}
				}
			}
		}
		return true
	}
	largest := 0
	for _, v := range call {
		walk(v, func(d int) bool { largest = max(largest, d); return true })
	}
	for _, v := range asked {
		if !walk(v, func(d int) bool { return d <= largest }) {
			return false
		}
	}
	return true
}

var denseType = reflect.TypeFor[*mat.Dense]()

// refusePeer lets no module of another type cross: a reference answer
// that would need one is not given.
type refusePeer struct{}

func (refusePeer) Out(m nn.Module) (wire.Opaque, error) {
	return wire.Opaque{}, fmt.Errorf("a %T cannot cross", m)
}
func (refusePeer) In(o wire.Opaque, _ nn.Module) (nn.Module, wire.Opaque, error) {
	return nil, wire.Opaque{}, fmt.Errorf("a %s cannot cross", o.TypeName)
}
func (refusePeer) Set(nn.Module, wire.Opaque) error { return nil }

// exitCode is the process's exit status, or -1.
func (p *studentProc) exitCode() int {
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// itemMu serialises the checks run in this process: the engine's layer
// generator and gradient switch are process-wide, and a check sets both.
var itemMu sync.Mutex

// bind returns a *F (the task's funcs struct) whose bound fields call
// the student's functions in p.
func (p *studentProc) bind(t *Task, bound map[string]bool) any {
	p.task = t
	fv := reflect.New(t.funcs)
	for _, name := range t.Funcs() {
		if !bound[name] {
			continue
		}
		f := fv.Elem().FieldByName(name)
		ft := f.Type()
		f.Set(reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value { return p.call(name, ft, args) }))
	}
	return fv.Interface()
}

// call runs the student's function name in the student process. The
// arguments come back after the call and are written into the checker's
// own objects, so that a check sees what the call changed.
func (p *studentProc) call(name string, ft reflect.Type, args []reflect.Value) []reflect.Value {
	e := wire.NewEncoder(wire.OpCall, p.peer)
	e.String(name)
	e.Blob(nn.GeneratorState())
	e.Bool(tensor.GradEnabled())
	for i, a := range args {
		if err := e.Value(ft.In(i), a); err != nil {
			panic(fmt.Sprintf("checker: sending argument %d of %s: %v", i, name, err))
		}
	}
	p.calling, p.callArgs = name, args
	b := p.roundTrip(e.Bytes())
	p.calling, p.callArgs = "", nil
	d := p.reply(b)
	for i, a := range args {
		v := reflect.New(ft.In(i)).Elem()
		v.Set(a)
		if d.Value(v) != nil {
			break
		}
	}
	results := make([]reflect.Value, ft.NumOut())
	for i := range results {
		results[i] = reflect.New(ft.Out(i)).Elem()
		if d.Value(results[i]) != nil {
			break
		}
	}
	p.endReply(d, name)
	return results
}

// Forward runs a module of the student's own type in the student
// process (wire.Forwarder).
func (p *studentProc) Forward(r *wire.RemoteModule, x *tensor.Tensor) *tensor.Tensor {
	var m nn.Module = r
	e := wire.NewEncoder(wire.OpForward, p.peer)
	if err := e.Value(moduleType, reflect.ValueOf(&m).Elem()); err != nil {
		panic(fmt.Sprintf("checker: sending a %s: %v", r.TypeName, err))
	}
	e.Blob(nn.GeneratorState())
	e.Bool(tensor.GradEnabled())
	if err := e.Value(tensorType, reflect.ValueOf(x)); err != nil {
		panic(fmt.Sprintf("checker: sending Forward's input: %v", err))
	}
	d := p.reply(p.roundTrip(e.Bytes()))
	d.Value(reflect.ValueOf(&m).Elem())
	var y *tensor.Tensor
	d.Value(reflect.ValueOf(&y).Elem())
	p.endReply(d, r.TypeName+".Forward")
	return y
}

// install asks the student process for a new block of proto's type whose
// named fields hold the given layers.
func (p *studentProc) install(proto nn.Module, fields []string, layers []nn.Module) (nn.Module, error) {
	e := wire.NewEncoder(wire.OpInstall, p.peer)
	if err := e.Value(moduleType, reflect.ValueOf(&proto).Elem()); err != nil {
		return nil, err
	}
	e.Uint(uint64(len(fields)))
	for i, f := range fields {
		e.String(f)
		if err := e.Value(moduleType, reflect.ValueOf(&layers[i]).Elem()); err != nil {
			return nil, err
		}
	}
	b := p.roundTrip(e.Bytes())
	if b[0] == wire.ReplyError {
		d := wire.NewDecoder(b[1:], nil)
		return nil, errors.New(studentText(d.String(), maxStudentLine, false))
	}
	d := p.reply(b)
	var m nn.Module
	d.Value(reflect.ValueOf(&m).Elem())
	if err := d.Done(); err != nil {
		panic(studentGone{reason: "the student process sent a malformed block: " + err.Error()})
	}
	return m, nil
}

// reply turns a reply frame into a decoder of an OK reply's values; a
// panic in the student's code is raised here as a studentPanic.
func (p *studentProc) reply(b []byte) *wire.Decoder {
	d := wire.NewDecoder(b[1:], p.peer)
	switch b[0] {
	case wire.ReplyOK:
		return d
	case wire.ReplyPanic:
		msg, stack := d.String(), d.String()
		panic(studentPanic{msg: studentText(msg, maxStudentLine, false), stack: studentText(stack, maxStudentBlock, true)})
	case wire.ReplyError:
		panic(studentGone{reason: studentText(d.String(), maxStudentLine, false)})
	}
	panic(studentGone{reason: fmt.Sprintf("the student process sent an unknown reply (%d)", b[0])})
}

// endReply reads the generator state that ends an OK reply and checks
// that the frame was well formed.
func (p *studentProc) endReply(d *wire.Decoder, what string) {
	state := d.Blob()
	if err := d.Done(); err != nil {
		panic(studentGone{reason: fmt.Sprintf("the student process sent malformed results of %s: %v", what, err)})
	}
	if err := nn.SetGeneratorState(state); err != nil {
		panic(studentGone{reason: fmt.Sprintf("the student process sent a malformed generator state after %s: %v", what, err)})
	}
}

var (
	moduleType = reflect.TypeFor[nn.Module]()
	tensorType = reflect.TypeFor[*tensor.Tensor]()
)
