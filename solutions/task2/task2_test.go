package task2

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nnkit/nn"
	"nnkit/solutions/task1"
	"nnkit/tensor"
)

// TestTrainTorchMatchesTask1: the summed squared error's gradient is 2(O -
// y) per sample and task 1's mean of 1/2 (y - O)^2 gives (O - y)/B, so
// task 2 with learning rate lr takes the same steps as task 1 with
// 2*B*lr when every batch has B samples.
func TestTrainTorchMatchesTask1(t *testing.T) {
	X, y, err := task1.GetData(3)
	if err != nil {
		t.Fatal(err)
	}
	const epochs, batch, lr = 3, 10, 0.002
	net := GetDNN()
	WL, KL := TrainTorch(net, X, y, epochs, lr, batch)

	init := GetDNN()
	nn.Cast(init, tensor.Float64)
	InitWeights(init)
	W0 := ToDense(init.Layers[0].(*nn.Linear).Weight)
	K0 := init.Layers[2].(*nn.Linear).Weight.Float64s()
	wantW, wantK := task1.Train(X, y, W0, K0, 2*batch*lr, epochs, batch, false)

	if len(WL) != epochs || len(KL) != epochs {
		t.Fatalf("%d and %d epochs recorded, want %d", len(WL), len(KL), epochs)
	}
	for e := range epochs {
		if !mat.EqualApprox(WL[e], wantW[e], 1e-9) {
			t.Errorf("epoch %d: W\n%v\nwant\n%v", e+1, mat.Formatted(WL[e]), mat.Formatted(wantW[e]))
		}
		if !slices.EqualFunc(KL[e], wantK[e], func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }) {
			t.Errorf("epoch %d: K %v, want %v", e+1, KL[e], wantK[e])
		}
	}
	if nn.DTypeOf(net) != tensor.Float64 {
		t.Errorf("net is %v after TrainTorch, want float64", nn.DTypeOf(net))
	}
}

func TestGetDNNShapes(t *testing.T) {
	infos, err := nn.Summarize(GetDNN(), 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		shape []int
	}{{"Linear", []int{10, 2}}, {"ReLU", []int{10, 2}}, {"Linear", []int{10, 1}}}
	if len(infos) != len(want) {
		t.Fatalf("%d layers, want %d", len(infos), len(want))
	}
	for i, w := range want {
		if infos[i].Name != w.name || !slices.Equal(infos[i].OutputShape, w.shape) {
			t.Errorf("layer %d: %s %v, want %s %v", i, infos[i].Name, infos[i].OutputShape, w.name, w.shape)
		}
	}
	if n := nn.CountParameters(GetDNN()); n != 8 {
		t.Errorf("%d parameters, want 8", n)
	}
}

func TestInitWeightsDeterministic(t *testing.T) {
	a, b := GetDNN(), GetDNN()
	InitWeights(a)
	InitWeights(b)
	wa, wb := a.Layers[0].(*nn.Linear).Weight.Float64s(), b.Layers[0].(*nn.Linear).Weight.Float64s()
	if !slices.Equal(wa, wb) {
		t.Errorf("InitWeights differs between calls: %v and %v", wa, wb)
	}
	for _, v := range wa {
		if v < -0.2 || v >= 0.2 {
			t.Errorf("weight %v outside [-0.2, 0.2)", v)
		}
	}
}
