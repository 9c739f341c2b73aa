package checker

import (
	"strings"

	"fmt"
	"math"
	"nnkit/checker/wire"
	"reflect"
	"runtime/debug"
	"slices"

	"nnkit/nn"
	"nnkit/tensor"
)

// This file holds what the rubrics of tasks 3 and 4 share: running a
// network's layers one at a time, matching them to the expected ones and
// saying which layer differs first, and comparing tensors.

// layerRun is what one layer did in walkLayers.
type layerRun struct {
	name   string
	shape  []int  // the output shape; nil when the layer failed
	params int    // trainable scalars (nn.CountParameters)
	err    string // the panic of a layer that failed on its input
	in     []int  // the input shape it was given
}

// walkLayers runs a zero input of the given shape through layers, one at a
// time, in evaluation mode and without gradients, as nn.Summarize does,
// but layer by layer and recovering a panic in any of them (a student's
// layer list may hold nil or a layer that rejects its input). After the
// first failure, the later layers are listed with their names and
// parameter counts only.
func walkLayers(layers []nn.Module, shape ...int) []layerRun {
	out := make([]layerRun, len(layers))
	x := tensor.New(tensor.Float32, shape...)
	failed := false
	for i, l := range layers {
		r := &out[i]
		r.name, r.params = safeName(l), safeCount(l)
		if why := remoteLayer(l); why != "" {
			r.params = -1 // its Parameters are only its answer
			if !failed {
				r.in, r.err, failed = x.Shape(), why, true
			}
			continue
		}
		if failed {
			continue
		}
		if _, err := outputBound(l, x.Shape()); err != nil {
			r.in, r.err, failed = x.Shape(), err.Error(), true
			continue
		}
		r.in = x.Shape()
		var y *tensor.Tensor
		func() {
			defer func() {
				if v := recover(); v != nil {
					r.err = fmt.Sprint(v)
				}
			}()
			l.SetTraining(false)
			tensor.NoGrad(func() { y = l.Forward(x) })
		}()
		switch {
		case r.err != "":
			failed = true
		case y == nil:
			r.err = "Forward returned nil"
			failed = true
		default:
			r.shape = y.Shape()
			x = y
		}
	}
	return out
}

// safeName is a layer's kind as the checker sees it (kindOf), or a word
// for a nil layer or one whose Name panics.
func safeName(l nn.Module) (name string) {
	defer func() {
		if recover() != nil {
			name = "(broken layer)"
		}
	}()
	if isNilModule(l) {
		return "(nil)"
	}
	return studentText(kindOf(l), 200, false)
}

// kindOf is what kind of layer m is, decided by the checker: a module
// in this process (an engine layer that crossed with its fields, or the
// checker's own) is its Name, "Linear"; a module of the student's own
// type stays in the student process, where its Name, Forward and
// Parameters are only its answers, so its kind is its Go type,
// "task2.myLinear": one that calls itself "Linear" is still not a Linear.
// The given Residual type of task 4 is "Residual" (isResidual).
func kindOf(m nn.Module) string {
	r := wire.AsRemote(m)
	switch {
	case r == nil:
		return m.Name()
	case isResidual(m):
		return "Residual"
	}
	return studentText(strings.TrimPrefix(r.TypeName, "*"), 200, false)
}

// isResidual reports whether m is a block of task 4's given Residual
// type: the student's (in the student process) or, in this process, one
// that says so.
func isResidual(m nn.Module) bool {
	if r := wire.AsRemote(m); r != nil {
		return r.TypeName == "*task4.Residual"
	}
	return !isNilModule(m) && m.Name() == "Residual"
}

// remoteLayer says why a layer cannot be judged from the student
// process's answers, or returns "": a network's layers must be the
// engine's, whose kind, parameters and output the checker sees for
// itself.
func remoteLayer(m nn.Module) string {
	if r := wire.AsRemote(m); r != nil {
		return fmt.Sprintf("a module of your own type %s: build the network from nn's layers (the checker cannot see what a type of yours computes, only what it answers)", studentText(r.TypeName, 200, false))
	}
	return ""
}

func safeCount(l nn.Module) (n int) {
	defer func() {
		if recover() != nil {
			n = -1
		}
	}()
	if isNilModule(l) {
		return 0
	}
	return nn.CountParameters(l)
}

// isNilModule reports whether m is nil or holds a nil pointer.
func isNilModule(m nn.Module) bool {
	if m == nil {
		return true
	}
	v := reflect.ValueOf(m)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// layerOp is one step of the alignment of found layers to expected ones.
type layerOp struct {
	kind     byte // '=' same kind, 's' another kind in its place, 'd' expected layer missing, 'i' extra layer
	exp, got int  // indices; -1 where the step has none
}

// alignLayers aligns the found layer kinds to the expected ones with the
// fewest insertions, deletions and substitutions, so that a missing layer
// does not make every later layer look wrong.
func alignLayers(exp, got []string) []layerOp {
	n, m := len(exp), len(got)
	d := make([][]int, n+1)
	for i := range d {
		d[i] = make([]int, m+1)
		d[i][0] = i
	}
	for j := range m + 1 {
		d[0][j] = j
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			sub := 1
			if exp[i-1] == got[j-1] {
				sub = 0
			}
			d[i][j] = min(d[i-1][j-1]+sub, d[i-1][j]+1, d[i][j-1]+1)
		}
	}
	var ops []layerOp
	i, j := n, m
	for i > 0 || j > 0 {
		// Walking back from the end, a missing or extra layer is placed
		// as late as an optimal alignment allows: of two identical
		// layers in a row, the second is the extra one.
		switch {
		case i > 0 && d[i][j] == d[i-1][j]+1:
			ops = append(ops, layerOp{'d', i - 1, -1})
			i--
		case j > 0 && d[i][j] == d[i][j-1]+1:
			ops = append(ops, layerOp{'i', -1, j - 1})
			j--
		case i > 0 && j > 0 && exp[i-1] == got[j-1] && d[i][j] == d[i-1][j-1]:
			ops = append(ops, layerOp{'=', i - 1, j - 1})
			i, j = i-1, j-1
		default:
			ops = append(ops, layerOp{'s', i - 1, j - 1})
			i, j = i-1, j-1
		}
	}
	slices.Reverse(ops)
	return ops
}

// kindDiff describes the first difference of an alignment, naming the
// layer by its index in the student's list, or "" when the kinds agree.
func kindDiff(ops []layerOp, exp []string, got []layerRun, what string) string {
	for k, op := range ops {
		var msg, kind string
		switch op.kind {
		case '=':
			continue
		case 's':
			return fmt.Sprintf("%s %d: expected %s, found %s", what, op.got, exp[op.exp], got[op.got].name)
		case 'd':
			at := gotIndexAt(ops, k)
			kind = exp[op.exp]
			if at < len(got) {
				msg = fmt.Sprintf("%s %d: expected %s, found %s", what, at, exp[op.exp], got[at].name)
			} else {
				msg = fmt.Sprintf("%s %d: expected %s, found no layer", what, at, exp[op.exp])
			}
			if !movedLater(ops[k+1:], 'i', kind, func(op layerOp) string { return got[op.got].name }) {
				return msg + fmt.Sprintf(" (a %s is missing%s)", kind, after(at, got))
			}
		case 'i':
			kind = got[op.got].name
			e := expIndexAt(ops, k)
			if e >= len(exp) {
				return fmt.Sprintf("%s %d: found %s after the last expected layer (an extra layer)", what, op.got, kind)
			}
			msg = fmt.Sprintf("%s %d: expected %s, found %s", what, op.got, exp[e], kind)
			if !movedLater(ops[k+1:], 'd', kind, func(op layerOp) string { return exp[op.exp] }) {
				return msg + " (an extra layer)"
			}
		}
		return msg + fmt.Sprintf(" (the layers are out of order: the %s belongs further on)", kind)
	}
	return ""
}

// movedLater reports whether a later step of the alignment of the given
// kind concerns a layer of the same name: a layer that was moved.
func movedLater(ops []layerOp, kind byte, name string, nameOf func(layerOp) string) bool {
	for _, op := range ops {
		if op.kind == kind && nameOf(op) == name {
			return true
		}
	}
	return false
}

func after(at int, got []layerRun) string {
	if at == 0 {
		return " at the start"
	}
	return fmt.Sprintf(" after %s %d, %s", "layer", at-1, got[at-1].name)
}

// gotIndexAt is the index in the student's list where step k of the
// alignment sits.
func gotIndexAt(ops []layerOp, k int) int {
	n := 0
	for _, op := range ops[:k] {
		if op.got >= 0 {
			n = op.got + 1
		}
	}
	return n
}

func expIndexAt(ops []layerOp, k int) int {
	n := 0
	for _, op := range ops[:k] {
		if op.exp >= 0 {
			n = op.exp + 1
		}
	}
	return n
}

// shapeHint says what to look at when a layer of the given kind gives the
// wrong output shape.
func shapeHint(kind string) string {
	switch kind {
	case "Conv2d":
		return "check the channels, kernel size, stride and padding"
	case "AvgPool2d", "MaxPool2d":
		return "check the pooling window, stride and padding"
	case "Linear":
		return "check the number of output features"
	case "Reshape":
		return "reshape to (-1, 1, 28, 28)"
	case "AdaptiveAvgPool2d":
		return "pool to 1 x 1"
	case "Sequential", "Residual":
		return "check its channels and strides"
	}
	return "check its arguments"
}

// paramHint says what to look at when a layer has the wrong number of
// parameters.
func paramHint(kind string) string {
	switch kind {
	case "Conv2d":
		return "check the input and output channels, the kernel size and the bias"
	case "Linear":
		return "check the input and output features and the bias"
	case "BatchNorm2d":
		return "check the number of channels"
	}
	return "check its layers"
}

// compareLayers grades a model built as a list of layers against the
// reference's list, both run on the same input shape: kinds (with
// alignment), output shapes, parameter counts. It returns one line per
// aspect that differs, "" where it agrees. what names the layers in the
// messages ("layer", "b1 layer").
func compareLayers(ref, got []layerRun, what string) (kinds, shapes, params string) {
	expNames := make([]string, len(ref))
	for i, r := range ref {
		expNames[i] = r.name
	}
	gotNames := make([]string, len(got))
	for i, g := range got {
		gotNames[i] = g.name
	}
	ops := alignLayers(expNames, gotNames)
	kinds = kindDiff(ops, expNames, got, what)
	for _, op := range ops {
		if op.kind != '=' && op.kind != 's' {
			continue
		}
		e, g := ref[op.exp], got[op.got]
		if shapes == "" {
			switch {
			case g.err != "":
				shapes = fmt.Sprintf("%s %d (%s) fails on its input %v: %s", what, op.got, g.name, g.in, firstLine(g.err))
				if op.got > 0 {
					shapes += ": the layers before it give the wrong shape"
				}
			case g.shape == nil:
				shapes = fmt.Sprintf("%s %d (%s) was not reached: an earlier layer failed", what, op.got, g.name)
			case !slices.Equal(e.shape, g.shape) && !slices.Equal(e.in, g.in):
				shapes = fmt.Sprintf("%s %d (%s): output %v expected, found %v, because its input is %v instead of %v: a layer before it is missing, extra or out of place",
					what, op.got, g.name, fmtShape(e.shape), fmtShape(g.shape), fmtShape(g.in), fmtShape(e.in))
			case !slices.Equal(e.shape, g.shape):
				shapes = fmt.Sprintf("%s %d: output %v expected, found %v: %s", what, op.got, fmtShape(e.shape), fmtShape(g.shape), shapeHint(e.name))
			}
		}
		if params == "" && e.params != g.params {
			params = fmt.Sprintf("%s %d (%s): %d parameters expected, found %d: %s", what, op.got, g.name, e.params, g.params, paramHint(e.name))
		}
	}
	return kinds, shapes, params
}

func fmtShape(s []int) string { return fmt.Sprint(s) }

// copyParameters copies src's parameters into dst's, position by position,
// and reports whether their number and shapes agree (nothing is copied
// otherwise).
func copyParameters(dst, src nn.Module) bool {
	d, s := dst.Parameters(), src.Parameters()
	if len(d) != len(s) {
		return false
	}
	for i := range d {
		if !slices.Equal(d[i].Shape(), s[i].Shape()) {
			return false
		}
	}
	for i := range d {
		d[i].CopyFrom(s[i])
	}
	return true
}

// tensorTol is the float32 tolerance of the model checks: the same
// arithmetic in another order agrees to a few ulps of the values.
var tensorTol = tol{rel: 1e-4, abs: 1e-5}

// diffTensor compares got with want, naming the first element that
// differs; nil means equal within t.
func diffTensor(name string, want, got *tensor.Tensor, t tol) *mismatch {
	if got == nil {
		return &mismatch{reason: name + " is nil", row: -1}
	}
	if !slices.Equal(want.Shape(), got.Shape()) {
		return &mismatch{reason: fmt.Sprintf("%s has shape %v, expected %v", name, got.Shape(), want.Shape()), row: -1}
	}
	w, g := want.Float64s(), got.Float64s()
	shape := want.Shape()
	n := 0
	var first *mismatch
	for i := range w {
		if math.IsNaN(g[i]) || math.IsInf(g[i], 0) {
			return &mismatch{reason: fmt.Sprintf("%s%v is %v", name, tensor.Unravel(i, shape), g[i]), row: -1}
		}
		if !t.equal(w[i], g[i]) {
			n++
			if first == nil {
				first = &mismatch{reason: fmt.Sprintf("%s%v = %.6g, expected %.6g", name, tensor.Unravel(i, shape), g[i], w[i]), row: i}
			}
		}
	}
	if first != nil {
		first.count = n
		if n > 1 {
			first.reason += fmt.Sprintf(" (%d of %d entries differ)", n, len(w))
		}
	}
	return first
}

// protect runs f and turns a panic into an error, for calls into a
// student's code whose failure should cost one part of an item only.
func protect(f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
			if loc := studentFrame(string(debug.Stack()), ""); loc != "" {
				err = fmt.Errorf("panic: %v at %s", v, loc)
			}
		}
	}()
	f()
	return nil
}
