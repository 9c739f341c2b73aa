package tensor_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"nnkit/tensor"
)

// residualStep is a training step's forward pass through a small residual
// block (convolution, batch norm, ReLU, addition, linear head, cross
// entropy): the shape of graph BackwardAndRelease is for.
type residualStep struct {
	w1, g1, b1, w2, wl *tensor.Tensor
	x                  *tensor.Tensor
	labels             []int
}

func newResidualStep(dtype tensor.DType) *residualStep {
	r := func(seed uint64, shape ...int) *tensor.Tensor {
		return tensor.RandUniform(tensor.NewRNG(seed), dtype, -0.5, 0.5, shape...)
	}
	return &residualStep{
		w1: r(1, 3, 3, 3, 3).SetRequiresGrad(true), g1: r(2, 3).SetRequiresGrad(true), b1: r(3, 3).SetRequiresGrad(true),
		w2: r(4, 3, 3, 3, 3).SetRequiresGrad(true), wl: r(5, 4, 3*6*6).SetRequiresGrad(true),
		x: r(6, 2, 3, 6, 6), labels: []int{1, 3},
	}
}

func (s *residualStep) params() []*tensor.Tensor {
	return []*tensor.Tensor{s.w1, s.g1, s.b1, s.w2, s.wl}
}

// forward returns the loss and every intermediate result.
func (s *residualStep) forward() (*tensor.Tensor, []*tensor.Tensor) {
	c1 := tensor.Conv2d(s.x, s.w1, nil, 1, 1)
	n1 := tensor.BatchNorm2d(c1, s.g1, s.b1, nil, nil, true, 0.1, 1e-5)
	a1 := tensor.Relu(n1)
	c2 := tensor.Conv2d(a1, s.w2, nil, 1, 1)
	sum := tensor.Add(c2, s.x)
	a2 := tensor.Relu(sum)
	flat := tensor.Flatten(a2)
	logits := tensor.Linear(flat, s.wl, nil)
	loss := tensor.CrossEntropy(logits, s.labels)
	return loss, []*tensor.Tensor{c1, n1, a1, c2, sum, a2, flat, logits}
}

// BackwardAndRelease computes the same gradients as Backward, step after
// step while the pool hands the released buffers to the next step's
// results; it ends every intermediate result and neither the loss nor the
// leaves.
func TestBackwardAndReleaseGradients(t *testing.T) {
	for _, dtype := range []tensor.DType{tensor.Float64, tensor.Float32} {
		plain, releasing := newResidualStep(dtype), newResidualStep(dtype)
		for step := range 3 {
			l, _ := plain.forward()
			l.Backward()
			lr, inter := releasing.forward()
			lr.BackwardAndRelease()
			if lr.Item() != l.Item() {
				t.Fatalf("%v step %d: loss %v, want %v", dtype, step, lr.Item(), l.Item())
			}
			for i, p := range releasing.params() {
				want := plain.params()[i]
				if !slices.Equal(p.Grad().Float64s(), want.Grad().Float64s()) {
					t.Fatalf("%v step %d: gradient of parameter %d differs", dtype, step, i)
				}
				if p.Released() || p.Grad().Released() {
					t.Fatalf("%v step %d: parameter %d or its gradient was ended", dtype, step, i)
				}
				// A step of plain gradient descent, so that the next
				// step's results differ from this one's.
				for _, q := range []*tensor.Tensor{p, want} {
					q.CopyFrom(tensor.Sub(q.Detach(), tensor.MulScalar(q.Grad(), 0.1)))
					q.ZeroGrad()
				}
			}
			for i, r := range inter {
				if !r.Released() {
					t.Fatalf("%v step %d: intermediate %d (%s) not ended", dtype, step, i, r.Op())
				}
			}
			if releasing.x.Released() {
				t.Fatalf("%v step %d: the input was ended", dtype, step)
			}
		}
	}
}

// Every use of an ended tensor panics with a message that names the call
// that ended it and the operation that made it, instead of reading
// storage that a later result may be using.
func TestReleasedTensorPanicsOnUse(t *testing.T) {
	s := newResidualStep(tensor.Float32)
	loss, inter := s.forward()
	a1 := inter[2] // Relu's result
	loss.BackwardAndRelease()
	other := tensor.Ones(tensor.Float32, a1.Shape()...)
	uses := []struct {
		name string
		f    func()
	}{
		{"Add", func() { tensor.Add(a1, other) }},
		{"Add, second input", func() { tensor.Add(other, a1) }},
		{"Relu", func() { tensor.Relu(a1) }},
		{"Conv2d", func() { tensor.Conv2d(a1, s.w2, nil, 1, 1) }},
		{"Sum", func() { tensor.Sum(a1) }},
		{"Reshape", func() { tensor.Reshape(a1, -1) }},
		{"Item", func() { tensor.Sum(tensor.Flatten(inter[7])).Item() }},
		{"At", func() { a1.At(0, 0, 0, 0) }},
		{"Float64s", func() { a1.Float64s() }},
		{"Data32", func() { a1.Data32() }},
		{"Set", func() { a1.Set(1, 0, 0, 0, 0) }},
		{"Clone", func() { a1.Clone() }},
		{"CopyFrom into it", func() { a1.CopyFrom(other) }},
		{"CopyFrom out of it", func() { other.CopyFrom(a1) }},
		{"Argmax", func() { tensor.Argmax(inter[7], 1) }},
		{"Detach", func() { a1.Detach() }},
		{"ToDevice", func() { a1.ToDevice(tensor.CPU) }},
		{"To", func() { a1.To(tensor.Float64) }},
		{"Backward", func() { tensor.Sum(a1).Backward() }},
	}
	for _, u := range uses {
		t.Run(u.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg := fmt.Sprint(r)
				if r == nil || !strings.Contains(msg, "BackwardAndRelease gave back") || !strings.Contains(msg, "the result of ") {
					t.Fatalf("panic %q, want one naming BackwardAndRelease and the operation", msg)
				}
			}()
			u.f()
		})
	}
	if got := a1.Shape(); !slices.Equal(got, []int{2, 3, 6, 6}) {
		t.Errorf("an ended tensor's shape reads %v, want [2 3 6 6]", got)
	}
}

// A view of an intermediate result, and a slice of it from Data32, keep
// their values after BackwardAndRelease, however much the next steps
// allocate: shared storage is left to the garbage collector.
func TestBackwardAndReleaseKeepsSharedStorage(t *testing.T) {
	s := newResidualStep(tensor.Float32)
	loss, inter := s.forward()
	view := tensor.Reshape(inter[2], -1) // a view of Relu's result, outside the loss
	slice := inter[5].Data32()           // the second Relu's storage
	wantView, wantSlice := view.Float64s(), slices.Clone(slice)
	loss.BackwardAndRelease()
	if !inter[2].Released() || !inter[5].Released() || view.Released() {
		t.Fatalf("ended: Relu results %v %v, view %v; want true, true, false", inter[2].Released(), inter[5].Released(), view.Released())
	}
	for range 3 {
		l, _ := s.forward()
		l.BackwardAndRelease()
		tensor.Relu(tensor.Full(tensor.Float32, 7, 2, 3, 6, 6))
	}
	if !slices.Equal(view.Float64s(), wantView) || !slices.Equal(slice, wantSlice) {
		t.Fatal("a view or a Data32 slice of a released result changed: its storage was reused")
	}
}

// A second loss built on the step's results before BackwardAndRelease
// gave them back: its backward pass panics before it accumulates
// anything, naming the result whose history is gone, instead of letting a
// closure (a convolution's, a product's, a ReLU's) read freed storage.
// An input given back by Release panics the same way, naming Release.
func TestBackwardThroughReleasedResultPanics(t *testing.T) {
	for k, name := range []string{"Conv2d", "BatchNorm2d", "Relu", "Conv2d", "Add", "Relu", "Reshape", "Linear"} {
		s := newResidualStep(tensor.Float32)
		loss, inter := s.forward()
		var second *tensor.Tensor
		switch {
		case k == 6:
			second = tensor.Sum(tensor.Mul(inter[k], inter[k]))
		case k == 7:
			second = tensor.CrossEntropy(tensor.Relu(inter[k]), s.labels)
		default:
			second = tensor.Sum(tensor.Conv2d(inter[k], s.w2, nil, 1, 1))
		}
		loss.BackwardAndRelease()
		grads := make([][]float64, len(s.params()))
		for i, p := range s.params() {
			grads[i] = p.Grad().Float64s()
		}
		func() {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, "Backward through the result of "+name+", whose history an earlier backward pass used and dropped") {
					t.Errorf("second backward through %s: panic %q", name, msg)
				}
			}()
			second.Backward()
		}()
		for i, p := range s.params() {
			if !slices.Equal(p.Grad().Float64s(), grads[i]) {
				t.Errorf("second backward through %s: the refused pass changed parameter %d's gradient", name, i)
			}
		}
	}

	w := tensor.Full(tensor.Float32, 0.5, 4, 3).SetRequiresGrad(true)
	in := tensor.Full(tensor.Float32, 1, 2, 3)
	l := tensor.Sum(tensor.Linear(in, w, nil))
	in.Release()
	func() {
		defer func() {
			msg := fmt.Sprint(recover())
			if !strings.Contains(msg, "Backward through Linear of a tensor whose storage Release gave back") {
				t.Errorf("backward after Release of an input: panic %q", msg)
			}
		}()
		l.Backward()
	}()
	if w.Grad() != nil {
		t.Error("the refused pass accumulated a gradient")
	}
}
