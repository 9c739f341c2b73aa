package nn_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"nnkit/nn"
	"nnkit/tensor"
)

func TestLayerOutputShapes(t *testing.T) {
	tests := []struct {
		name  string
		layer nn.Module
		in    []int
		want  []int
	}{
		{"Linear", nn.NewLinear(3, 2, true), []int{10, 3}, []int{10, 2}},
		{"Linear3D", nn.NewLinear(4, 5, false), []int{2, 3, 4}, []int{2, 3, 5}},
		{"Conv2dPad", nn.NewConv2d(1, 6, 5, 1, 2, true), []int{1, 1, 28, 28}, []int{1, 6, 28, 28}},
		{"Conv2dStride", nn.NewConv2d(1, 64, 7, 2, 3, true), []int{1, 1, 96, 96}, []int{1, 64, 48, 48}},
		{"Conv2d1x1", nn.NewConv2d(8, 4, 1, 2, 0, false), []int{2, 8, 5, 5}, []int{2, 4, 3, 3}},
		{"AvgPool2d", nn.NewAvgPool2d(2, 2, 0), []int{1, 6, 28, 28}, []int{1, 6, 14, 14}},
		{"MaxPool2d", nn.NewMaxPool2d(3, 2, 1), []int{1, 64, 48, 48}, []int{1, 64, 24, 24}},
		{"AdaptiveAvgPool2d", nn.NewAdaptiveAvgPool2d(1, 1), []int{2, 512, 3, 3}, []int{2, 512, 1, 1}},
		{"AdaptiveAvgPool2dRect", nn.NewAdaptiveAvgPool2d(2, 3), []int{1, 2, 5, 7}, []int{1, 2, 2, 3}},
		{"BatchNorm2d", nn.NewBatchNorm2d(3), []int{2, 3, 4, 4}, []int{2, 3, 4, 4}},
		{"ReLU", nn.NewReLU(), []int{2, 3}, []int{2, 3}},
		{"Sigmoid", nn.NewSigmoid(), []int{2, 3, 4}, []int{2, 3, 4}},
		{"Flatten", nn.NewFlatten(), []int{2, 16, 5, 5}, []int{2, 400}},
		{"Reshape", nn.NewReshape(-1, 1, 28, 28), []int{3, 784}, []int{3, 1, 28, 28}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tensor.RandUniform(tensor.NewRNG(1), tensor.Float32, -1, 1, tt.in...)
			got := tt.layer.Forward(x).Shape()
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: input %v gave shape %v, want %v", tt.layer.Name(), tt.in, got, tt.want)
			}
		})
	}
}

func TestLinearForwardByHand(t *testing.T) {
	l := nn.NewLinear(3, 2, true)
	l.Weight.CopyFrom(tensor.FromValues(tensor.Float32, []float64{1, 2, 3, 4, 5, 6}, 2, 3))
	l.Bias.CopyFrom(tensor.FromValues(tensor.Float32, []float64{0.5, -1}, 2))
	x := tensor.FromValues(tensor.Float32, []float64{1, 0, -1, 2, 1, 0}, 2, 3)
	y := l.Forward(x)
	// Row 0: [1-3+0.5, 4-6-1]; row 1: [2+2+0.5, 8+5-1].
	if got, want := y.Float64s(), []float64{-1.5, -3, 4.5, 12}; !slices.Equal(got, want) {
		t.Errorf("Linear forward = %v, want %v", got, want)
	}
	tensor.Sum(y).Backward()
	// d sum(x W^T + b)/dW[o][i] = sum over rows of x[n][i]; d/db[o] = N.
	if got, want := l.Weight.Grad().Float64s(), []float64{3, 1, -1, 3, 1, -1}; !slices.Equal(got, want) {
		t.Errorf("Linear weight gradient = %v, want %v", got, want)
	}
	if got, want := l.Bias.Grad().Float64s(), []float64{2, 2}; !slices.Equal(got, want) {
		t.Errorf("Linear bias gradient = %v, want %v", got, want)
	}
}

func TestLayerNamesAndParameterCounts(t *testing.T) {
	tests := []struct {
		layer  nn.Module
		name   string
		params int
	}{
		{nn.NewLinear(400, 120, true), "Linear", 400*120 + 120},
		{nn.NewLinear(3, 2, false), "Linear", 6},
		{nn.NewConv2d(6, 16, 5, 1, 0, true), "Conv2d", 16*6*25 + 16},
		{nn.NewConv2d(64, 128, 1, 2, 0, false), "Conv2d", 64 * 128},
		{nn.NewBatchNorm2d(64), "BatchNorm2d", 128},
		{nn.NewAvgPool2d(2, 2, 0), "AvgPool2d", 0},
		{nn.NewMaxPool2d(3, 2, 1), "MaxPool2d", 0},
		{nn.NewAdaptiveAvgPool2d(1, 1), "AdaptiveAvgPool2d", 0},
		{nn.NewReLU(), "ReLU", 0},
		{nn.NewSigmoid(), "Sigmoid", 0},
		{nn.NewFlatten(), "Flatten", 0},
		{nn.NewReshape(-1, 4), "Reshape", 0},
		{mlp(), "Sequential", 35},
	}
	for _, tt := range tests {
		if got := tt.layer.Name(); got != tt.name {
			t.Errorf("Name() = %q, want %q", got, tt.name)
		}
		if got := nn.CountParameters(tt.layer); got != tt.params {
			t.Errorf("%s: CountParameters = %d, want %d", tt.name, got, tt.params)
		}
		for _, p := range tt.layer.Parameters() {
			if !p.RequiresGrad() || p.DType() != tensor.Float32 {
				t.Errorf("%s: parameter %v should be a float32 tensor requiring a gradient", tt.name, p)
			}
		}
	}
}

func TestConstructorsPanicOnBadSizes(t *testing.T) {
	tests := []struct {
		name string
		make func()
		want string
	}{
		{"Linear in", func() { nn.NewLinear(0, 2, true) }, "nn: Linear: in must be positive, found 0"},
		{"Linear out", func() { nn.NewLinear(3, -1, true) }, "nn: Linear: out must be positive, found -1"},
		{"Conv2d kernel", func() { nn.NewConv2d(1, 6, 0, 1, 0, true) }, "nn: Conv2d: kernel must be positive, found 0"},
		{"Conv2d stride", func() { nn.NewConv2d(1, 6, 3, 0, 0, true) }, "nn: Conv2d: stride must be positive, found 0"},
		{"Conv2d padding", func() { nn.NewConv2d(1, 6, 3, 1, -1, true) }, "nn: Conv2d: padding must not be negative, found -1"},
		{"AvgPool2d padding", func() { nn.NewAvgPool2d(2, 2, 2) }, "nn: AvgPool2d: padding 2 is more than half the kernel 2"},
		{"MaxPool2d kernel", func() { nn.NewMaxPool2d(0, 2, 0) }, "nn: MaxPool2d: kernel must be positive, found 0"},
		{"AdaptiveAvgPool2d", func() { nn.NewAdaptiveAvgPool2d(1, 0) }, "nn: AdaptiveAvgPool2d: w must be positive, found 0"},
		{"BatchNorm2d", func() { nn.NewBatchNorm2d(0) }, "nn: BatchNorm2d: c must be positive, found 0"},
		{"Reshape two -1", func() { nn.NewReshape(-1, -1) }, "nn: Reshape: bad shape [-1 -1]"},
		{"Reshape zero", func() { nn.NewReshape(0, 3) }, "nn: Reshape: dimension 0 in shape [0 3]"},
		{"Sequential nil", func() { nn.NewSequential(nn.NewReLU(), nil) }, "nn: NewSequential: layer 1 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := panicMessage(tt.make)
			if !strings.HasPrefix(msg, tt.want) {
				t.Errorf("panic %q, want it to start with %q", msg, tt.want)
			}
		})
	}
}

func TestForwardPanicsNameTheLayer(t *testing.T) {
	x := tensor.New(tensor.Float32, 2, 5)
	msg := panicMessage(func() { nn.NewLinear(3, 2, true).Forward(x) })
	if want := "nn: Linear(3, 2): input shape [2 5], want last dimension 3"; msg != want {
		t.Errorf("panic %q, want %q", msg, want)
	}
	msg = panicMessage(func() { nn.NewConv2d(3, 8, 3, 1, 1, true).Forward(tensor.New(tensor.Float32, 1, 1, 8, 8)) })
	if !strings.Contains(msg, "Conv2d(3, 8") || !strings.Contains(msg, "want [N 3 H W]") {
		t.Errorf("panic %q should name the layer and the channels it wants", msg)
	}
}

func TestActivationValues(t *testing.T) {
	x := tensor.FromValues(tensor.Float64, []float64{-2, 0, 3}, 3)
	if got, want := nn.NewReLU().Forward(x).Float64s(), []float64{0, 0, 3}; !slices.Equal(got, want) {
		t.Errorf("ReLU = %v, want %v", got, want)
	}
	got := nn.NewSigmoid().Forward(x).Float64s()
	for i, v := range []float64{-2, 0, 3} {
		if want := 1 / (1 + math.Exp(-v)); math.Abs(got[i]-want) > 1e-15 {
			t.Errorf("Sigmoid(%v) = %v, want %v", v, got[i], want)
		}
	}
}

// TestConvNetShapesAndParameters traces convNet with one image and
// compares every layer's name, output shape and parameter count with the
// figures worked by hand in convNetShapes; a flattened batch goes through
// the Reshape too.
func TestConvNetShapesAndParameters(t *testing.T) {
	net := convNet()
	if got := nn.CountParameters(net); got != 1042 {
		t.Errorf("convNet has %d parameters, want 1,042", got)
	}
	infos, err := nn.Summarize(net, 1, 1, 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != len(convNetShapes) {
		t.Fatalf("Summarize gave %d layers, want %d", len(infos), len(convNetShapes))
	}
	total := 0
	for i, want := range convNetShapes {
		in := infos[i]
		if in.Name != want.Name || !slices.Equal(in.OutputShape, want.OutputShape) || in.Parameters != want.Parameters {
			t.Errorf("layer %d: %s %v with %d parameters, want %s %v with %d", i, in.Name, in.OutputShape, in.Parameters,
				want.Name, want.OutputShape, want.Parameters)
		}
		total += want.Parameters
	}
	if total != 1042 {
		t.Errorf("convNetShapes sums to %d parameters, want 1,042", total)
	}
	var y *tensor.Tensor
	tensor.NoGrad(func() {
		net.SetTraining(false)
		y = net.Forward(tensor.New(tensor.Float32, 3, 256))
	})
	if !slices.Equal(y.Shape(), []int{3, 10}) {
		t.Errorf("output for [3 256]: %v, want [3 10]", y.Shape())
	}
}

// panicMessage runs f and returns what it panicked with ("" if it did not).
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = toString(r)
		}
	}()
	f()
	return ""
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if e, ok := v.(error); ok {
		return e.Error()
	}
	return "non-string panic"
}
