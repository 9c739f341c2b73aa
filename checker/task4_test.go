package checker

import (
	"strings"
	"testing"

	"nnkit/nn"
	"nnkit/solutions/task4"
	"nnkit/tensor"
)

func TestTask4Reference(t *testing.T) {
	res := runItems(t, Task4, task4Reference)
	fullExcept(t, res)
	if Task4.Points() != 10 {
		t.Errorf("task 4 has %v points, want 10", Task4.Points())
	}
}

func TestTask4Stubs(t *testing.T) {
	res := runItems(t, Task4, &Task4Funcs{
		NewResidual: func(int, int, bool, int) nn.Module { return nil },
		GetResNet:   func() *nn.Sequential { return nil },
	})
	for name, r := range res {
		if r.Score != 0 || r.Status != NotDone || !strings.Contains(r.Reason, "not implemented") {
			t.Errorf("%s: %v %s %q, want 0, not implemented", name, r.Score, r.Status, r.Reason)
		}
	}
}

// A residual block written with one mistake, named by M: the student's
// struct as the task gives it, with its own Forward.
type mistake interface{ name() string }

type (
	noMistake    struct{}
	bnAfterAdd   struct{}
	noFinalRelu  struct{}
	nilForward   struct{}
	conv3Missing struct{} // NewResidual forgets Conv3
	conv1Stride1 struct{} // NewResidual gives Conv1 stride 1
)

func (noMistake) name() string    { return "" }
func (bnAfterAdd) name() string   { return "bn2 after add" }
func (noFinalRelu) name() string  { return "no final relu" }
func (nilForward) name() string   { return "nil" }
func (conv3Missing) name() string { return "" }
func (conv1Stride1) name() string { return "" }

type testResidual[M mistake] struct {
	Conv1, Conv2, Conv3 *nn.Conv2d
	BN1, BN2            *nn.BatchNorm2d
}

func newTestResidual[M mistake](in, out int, use1x1 bool, stride int) nn.Module {
	var m M
	s1 := stride
	if _, ok := any(m).(conv1Stride1); ok {
		s1 = 1
	}
	r := &testResidual[M]{Conv1: nn.NewConv2d(in, out, 3, s1, 1, true), Conv2: nn.NewConv2d(out, out, 3, 1, 1, true)}
	if _, ok := any(m).(conv3Missing); use1x1 && !ok {
		r.Conv3 = nn.NewConv2d(in, out, 1, stride, 0, true)
	}
	r.BN1, r.BN2 = nn.NewBatchNorm2d(out), nn.NewBatchNorm2d(out)
	return r
}

func (r *testResidual[M]) Forward(x *tensor.Tensor) *tensor.Tensor {
	var m M
	if m.name() == "nil" {
		return nil
	}
	return refForward(resLayers{r.Conv1, r.Conv2, r.Conv3, r.BN1, r.BN2}, x, m.name())
}

func (r *testResidual[M]) Children() []nn.Child {
	return []nn.Child{{Name: "conv1", Module: r.Conv1}, {Name: "bn1", Module: r.BN1},
		{Name: "conv2", Module: r.Conv2}, {Name: "bn2", Module: r.BN2}, {Name: "conv3", Module: r.Conv3}}
}
func (r *testResidual[M]) Parameters() []*tensor.Tensor { return nn.ChildParameters(r) }
func (r *testResidual[M]) SetTraining(on bool)          { nn.SetChildrenTraining(r, on) }
func (r *testResidual[M]) Name() string                 { return "Residual" }

// resnetWith is the reference ResNet-18 built with the given blocks.
func resnetWith(newRes func(int, int, bool, int) nn.Module) func() *nn.Sequential {
	block := func(in, out int, first bool) *nn.Sequential {
		if first {
			return nn.NewSequential(newRes(out, out, false, 1), newRes(out, out, false, 1))
		}
		return nn.NewSequential(newRes(in, out, true, 2), newRes(out, out, false, 1))
	}
	return func() *nn.Sequential {
		b1 := nn.NewSequential(nn.NewConv2d(1, 64, 7, 2, 3, true), nn.NewBatchNorm2d(64), nn.NewReLU(), nn.NewMaxPool2d(3, 2, 1))
		return nn.NewSequential(b1, block(64, 64, true), block(64, 128, false), block(128, 256, false), block(256, 512, false),
			nn.NewAdaptiveAvgPool2d(1, 1), nn.NewFlatten(), nn.NewLinear(512, 10, true))
	}
}

func TestTask4ResidualMistakes(t *testing.T) {
	for _, c := range []struct {
		name    string
		newRes  func(int, int, bool, int) nn.Module
		want    map[string]float64
		reasons map[string]string
	}{
		{"same as the reference", newTestResidual[noMistake], nil, nil},
		{"BatchNorm after the addition", newTestResidual[bnAfterAdd],
			map[string]float64{"Residual/forward": 0},
			map[string]string{"Residual/forward": "your output is relu(BN2(Conv2(Y) + X)): apply BN2 to Conv2(Y) before adding the shortcut"}},
		{"no final ReLU", newTestResidual[noFinalRelu],
			map[string]float64{"Residual/forward": 0},
			map[string]string{"Residual/forward": "apply relu to the sum"}},
		{"Forward not written", newTestResidual[nilForward],
			map[string]float64{"Residual/forward": 0},
			map[string]string{"Residual/forward": "not implemented: Forward returns nil"}},
		{"no 1x1 convolution", newTestResidual[conv3Missing],
			map[string]float64{"Residual/construction": 1},
			map[string]string{"Residual/construction": "NewResidual(3, 6, true, 2): Conv3 is missing, expected Conv2d(3, 6, kernel_size=(1, 1), stride=(2, 2)) for use1x1Conv"}},
		{"conv1 without the stride", newTestResidual[conv1Stride1],
			map[string]float64{"Residual/construction": 1},
			map[string]string{"Residual/construction": "NewResidual(3, 6, true, 2): Conv1 is Conv2d(3, 6, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)), expected Conv2d(3, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := runItems(t, Task4, &Task4Funcs{NewResidual: c.newRes, GetResNet: resnetWith(c.newRes)})
			var changed []string
			for item, score := range c.want {
				expect(t, res, item, score, c.reasons[item])
				changed = append(changed, item)
			}
			fullExcept(t, res, changed...)
		})
	}
}

func TestTask4ResNetMistakes(t *testing.T) {
	ref := resnetWith(task4.NewResidual)
	for _, c := range []struct {
		name    string
		get     func() *nn.Sequential
		stages  float64
		head    float64
		reasons []string
	}{
		{"AvgPool2d in the head", func() *nn.Sequential {
			net := ref()
			net.Layers[5] = nn.NewAvgPool2d(2, 2, 0)
			return net
		}, 3, 1, []string{"head layer 0: expected AdaptiveAvgPool2d, found AvgPool2d"}},
		{"b1 without BatchNorm", func() *nn.Sequential {
			net := ref()
			b1 := net.Layers[0].(*nn.Sequential)
			b1.Layers = append(b1.Layers[:1:1], b1.Layers[2:]...)
			return net
		}, 2, 2, []string{"b1 layer 1: expected BatchNorm2d, found ReLU (a BatchNorm2d is missing after layer 0, Conv2d)"}},
		{"b5 with 256 channels", func() *nn.Sequential {
			net := ref()
			net.Layers[4] = nn.NewSequential(task4.NewResidual(256, 256, true, 2), task4.NewResidual(256, 256, false, 1))
			return net
		}, 2.5, 2, []string{"b5 block 0 should be NewResidual(256, 512, true, 2): Conv1 is Conv2d(256, 256, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1)), expected Conv2d(256, 512, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"}},
		{"b3 without the 1x1 convolution", func() *nn.Sequential {
			net := ref()
			net.Layers[2] = nn.NewSequential(task4.NewResidual(64, 128, false, 2), task4.NewResidual(128, 128, false, 1))
			return net
		}, 2.5, 2, []string{"b3 block 0 should be NewResidual(64, 128, true, 2): Conv3 is missing"}},
		{"three blocks in b2", func() *nn.Sequential {
			net := ref()
			net.Layers[1].(*nn.Sequential).Layers = append(net.Layers[1].(*nn.Sequential).Layers, task4.NewResidual(64, 64, false, 1))
			return net
		}, 2.5, 2, []string{"b2 layer 2: found Residual after the last expected layer (an extra layer) (a stage is two Residual blocks: resnetBlock makes it)"}},
		{"no Flatten", func() *nn.Sequential {
			net := ref()
			net.Layers = append(net.Layers[:6:6], net.Layers[7])
			return net
		}, 3, 0, []string{"head layer 1: expected Flatten, found Linear (a Flatten is missing after layer 0, AdaptiveAvgPool2d)", "7 top-level layers"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			funcs := &Task4Funcs{NewResidual: task4.NewResidual, GetResNet: c.get}
			res := map[string]Result{
				"GetResNet/stages": Task4.RunItem("GetResNet/stages", funcs, ""),
				"GetResNet/head":   Task4.RunItem("GetResNet/head", funcs, ""),
			}
			expect(t, res, "GetResNet/stages", c.stages)
			expect(t, res, "GetResNet/head", c.head)
			all := res["GetResNet/stages"].Reason + "; " + res["GetResNet/head"].Reason
			for _, r := range c.reasons {
				if !strings.Contains(all, r) {
					t.Errorf("reasons %q lack %q", all, r)
				}
			}
		})
	}
}
