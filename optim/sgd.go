package optim

import (
	"fmt"
	"math"

	"nnkit/tensor"
)

// SGD is stochastic gradient descent with optional momentum and L2 weight
// decay, with PyTorch's semantics (dampening 0, Nesterov off). For each
// parameter p with gradient g, Step does
//
//	g = g + WeightDecay * p          (when WeightDecay != 0)
//	b = g on the first step, else b = Momentum * b + g   (when Momentum != 0)
//	p = p - LR * b                   (b = g without momentum)
//
// Parameters without a gradient are skipped, and their momentum buffers are
// left untouched. Float32 and float64 parameters both work; the buffer
// follows the parameter's dtype (after nn.Cast it is converted).
type SGD struct {
	Params      []*tensor.Tensor
	LR          float64
	Momentum    float64
	WeightDecay float64

	buf []*tensor.Tensor // momentum buffers, parallel to Params; nil until used
}

// NewSGD returns an SGD optimiser for params. It panics if lr, momentum or
// weightDecay is negative or not finite.
func NewSGD(params []*tensor.Tensor, lr, momentum, weightDecay float64) *SGD {
	for _, a := range []struct {
		name string
		v    float64
	}{{"learning rate", lr}, {"momentum", momentum}, {"weight decay", weightDecay}} {
		if a.v < 0 || math.IsNaN(a.v) || math.IsInf(a.v, 0) {
			panic(fmt.Sprintf("optim: NewSGD: %s must be a finite number >= 0, found %v", a.name, a.v))
		}
	}
	for i, p := range params {
		if p == nil {
			panic(fmt.Sprintf("optim: NewSGD: parameter %d is nil", i))
		}
	}
	return &SGD{Params: params, LR: lr, Momentum: momentum, WeightDecay: weightDecay,
		buf: make([]*tensor.Tensor, len(params))}
}

// ZeroGrad drops every parameter's gradient (PyTorch's set_to_none=True).
func (o *SGD) ZeroGrad() {
	for _, p := range o.Params {
		p.ZeroGrad()
	}
}

// Step updates every parameter that has a gradient, in place.
func (o *SGD) Step() {
	if len(o.buf) != len(o.Params) {
		// Params was changed after construction: keep what still lines up.
		o.buf = append(o.buf, make([]*tensor.Tensor, max(0, len(o.Params)-len(o.buf)))...)[:len(o.Params)]
	}
	for i, p := range o.Params {
		p.LendGrad(func(g *tensor.Tensor) { o.update(i, p, g) })
	}
}

// update takes one step on parameter i, p, with its gradient g (nil: no
// step); it keeps neither g nor anything sharing its storage.
func (o *SGD) update(i int, p, g *tensor.Tensor) {
	if g == nil {
		return
	}
	if g.DType() != p.DType() {
		g = g.To(p.DType())
	}
	if !p.OnCPU() {
		// On a device: one kernel per parameter (tensor.SGDUpdate),
		// the momentum buffer on the parameter's device.
		var b *tensor.Tensor
		first := false
		if o.Momentum != 0 {
			if b = o.buffer(i, p); b == nil {
				b = tensor.ZerosLike(p)
				o.buf[i] = b
				first = true
			}
		}
		tensor.SGDUpdate(p, g, b, o.LR, o.Momentum, o.WeightDecay, first)
		return
	}
	d := g
	if o.WeightDecay != 0 {
		d = g.Clone()
		d.AddScaledInPlace(o.WeightDecay, p)
	}
	if o.Momentum != 0 {
		if b := o.buffer(i, p); b == nil {
			o.buf[i] = d.Clone()
		} else {
			b.ScaleInPlace(o.Momentum)
			b.AddScaledInPlace(1, d)
		}
		d = o.buf[i]
	}
	p.AddScaledInPlace(-o.LR, d)
}

// buffer returns parameter i's momentum buffer in p's dtype and on p's
// device (the model may have been cast or moved since the last step), or
// nil when there is none yet or p's size changed.
func (o *SGD) buffer(i int, p *tensor.Tensor) *tensor.Tensor {
	b := o.buf[i]
	if b == nil || b.Numel() != p.Numel() {
		return nil
	}
	if b.DType() != p.DType() {
		b.Cast(p.DType())
	}
	b.MoveTo(p.Device())
	return b
}

// State returns the momentum buffer of parameter i (nil before its first
// step with momentum), for tests and inspection.
func (o *SGD) State(i int) *tensor.Tensor {
	if i < 0 || i >= len(o.buf) {
		return nil
	}
	return o.buf[i]
}
