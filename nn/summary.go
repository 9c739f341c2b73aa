package nn

import (
	"fmt"
	"io"

	"nnkit/tensor"
)

// LayerInfo describes one top-level layer after a forward pass of Summarize.
type LayerInfo struct {
	Name        string // the module's Name, e.g. "Conv2d" or "Sequential"
	OutputShape []int  // the shape the layer produced
	Parameters  int    // trainable scalars in the layer (CountParameters)
}

// Summarize runs a zero input of the given shape through each top-level
// layer of net (each element of a Sequential's Layers; any other module
// counts as one layer) and reports the layer's name, output shape and
// parameter count. The input has the dtype of net's parameters.
//
// It runs without recording gradients and in evaluation mode, so BatchNorm
// uses (and does not update) its running statistics, and a batch of one
// image is fine; every layer's previous mode is restored afterwards. A
// layer that rejects its input is reported as an error naming the layer.
func Summarize(net Module, inputShape ...int) (infos []LayerInfo, err error) {
	if len(inputShape) == 0 {
		return nil, fmt.Errorf("nn: Summarize: no input shape given")
	}
	for _, s := range inputShape {
		if s <= 0 {
			return nil, fmt.Errorf("nn: Summarize: input shape %v has a dimension that is not positive", inputShape)
		}
	}
	layers := []Module{net}
	if s, ok := net.(*Sequential); ok {
		layers = s.Layers
	}

	restore := saveModes(net)
	defer restore()
	net.SetTraining(false)

	x := tensor.New(DTypeOf(net), inputShape...).ToDevice(DeviceOf(net))
	tensor.NoGrad(func() {
		for i, l := range layers {
			var y *tensor.Tensor
			y, err = forwardSafely(l, x)
			if err != nil {
				err = fmt.Errorf("nn: Summarize: layer %d (%s), input shape %v: %v", i, l.Name(), x.Shape(), err)
				return
			}
			infos = append(infos, LayerInfo{Name: l.Name(), OutputShape: y.Shape(), Parameters: CountParameters(l)})
			x = y
		}
	})
	if err != nil {
		return nil, err
	}
	return infos, nil
}

// Summary writes one line per top-level layer of net in the style of the
// d2l notebooks,
//
//	Conv2d output shape:	[1 6 28 28]
//
// for a zero input of the given shape; see Summarize.
func Summary(w io.Writer, net Module, inputShape ...int) error {
	infos, err := Summarize(net, inputShape...)
	if err != nil {
		return err
	}
	for _, in := range infos {
		if _, err := fmt.Fprintf(w, "%s output shape:\t%v\n", in.Name, in.OutputShape); err != nil {
			return err
		}
	}
	return nil
}

// forwardSafely turns a panic of the layer into an error.
func forwardSafely(l Module, x *tensor.Tensor) (y *tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return l.Forward(x), nil
}

// saveModes records the mode of m and of every module below it that reports
// one, and returns a function that restores them.
func saveModes(m Module) func() {
	rootMode := IsTraining(m)
	type saved struct {
		m  Module
		on bool
	}
	var modes []saved
	Apply(m, func(l Module) {
		if t, ok := l.(Trainer); ok {
			modes = append(modes, saved{l, t.Training()})
		}
	})
	return func() {
		m.SetTraining(rootMode)
		// Parents come after their children in Apply's order: restore in
		// reverse so a parent's SetTraining never overrides a child's mode.
		for i := len(modes) - 1; i >= 0; i-- {
			if s := modes[i]; IsTraining(s.m) != s.on {
				s.m.SetTraining(s.on)
			}
		}
	}
}
