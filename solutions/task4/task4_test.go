package task4_test

import (
	"slices"
	"testing"

	"nnkit/nn"
	"nnkit/optim"
	"nnkit/solutions/task4"
	"nnkit/tensor"
)

func checkShapes(t *testing.T, side int) {
	t.Helper()
	net := task4.GetResNet()
	infos, err := nn.Summarize(net, 1, 1, side, side)
	if err != nil {
		t.Fatal(err)
	}
	want := task4.ExpectedResNetShapes(side)
	if len(infos) != len(want) {
		t.Fatalf("%d top-level layers, want %d", len(infos), len(want))
	}
	total := 0
	for i := range want {
		if infos[i].Name != want[i].Name || !slices.Equal(infos[i].OutputShape, want[i].OutputShape) || infos[i].Parameters != want[i].Parameters {
			t.Errorf("%d x %d, layer %d: %s %v %d parameters, want %s %v %d", side, side, i, infos[i].Name, infos[i].OutputShape,
				infos[i].Parameters, want[i].Name, want[i].OutputShape, want[i].Parameters)
		}
		total += want[i].Parameters
	}
	if n := nn.CountParameters(net); n != 11178378 || total != task4.ResNetParameters || task4.ResNetParameters != 11178378 {
		t.Errorf("CountParameters = %d, table sums to %d, constant %d; want 11,178,378", n, total, task4.ResNetParameters)
	}
}

// ResNet-18 at the training size of the task (96 x 96).
func TestResNetShapes96(t *testing.T) { checkShapes(t, 96) }

// DESIGN's shapes for a 224 x 224 image: one forward pass of about
// 1.8 GFLOP, well under a second here.
func TestResNetShapes224(t *testing.T) {
	checkShapes(t, 224)
	want := [][]int{{1, 64, 56, 56}, {1, 64, 56, 56}, {1, 128, 28, 28}, {1, 256, 14, 14}, {1, 512, 7, 7}, {1, 512, 1, 1}, {1, 512}, {1, 10}}
	for i, l := range task4.ExpectedResNetShapes(224) {
		if !slices.Equal(l.OutputShape, want[i]) {
			t.Errorf("ExpectedResNetShapes(224)[%d] = %v, DESIGN says %v", i, l.OutputShape, want[i])
		}
	}
}

func TestResidual(t *testing.T) {
	for _, c := range []struct {
		in, out int
		use1x1  bool
		stride  int
		x, want []int
		params  int
	}{
		{3, 3, false, 1, []int{4, 3, 6, 6}, []int{4, 3, 6, 6}, 2*(3*3*9+3) + 4*3},
		{3, 6, true, 2, []int{4, 3, 6, 6}, []int{4, 6, 3, 3}, (6*3*9 + 6) + (6*6*9 + 6) + (6*3 + 6) + 4*6},
		{3, 6, true, 1, []int{2, 3, 5, 5}, []int{2, 6, 5, 5}, (6*3*9 + 6) + (6*6*9 + 6) + (6*3 + 6) + 4*6},
	} {
		r := task4.NewResidual(c.in, c.out, c.use1x1, c.stride)
		y := r.Forward(tensor.RandNormal(tensor.NewRNG(1), tensor.Float32, 0, 1, c.x...))
		if !slices.Equal(y.Shape(), c.want) {
			t.Errorf("Residual(%d, %d, %v, %d) on %v: %v, want %v", c.in, c.out, c.use1x1, c.stride, c.x, y.Shape(), c.want)
		}
		if n := nn.CountParameters(r); n != c.params {
			t.Errorf("Residual(%d, %d, %v, %d): %d parameters, want %d", c.in, c.out, c.use1x1, c.stride, n, c.params)
		}
		for _, v := range y.Float64s() {
			if v < 0 {
				t.Fatalf("Residual output %v is negative: the final ReLU is missing", v)
			}
		}
	}
	// The block's state has the names of the original.
	var names []string
	for _, s := range nn.StateDict(task4.NewResidual(2, 4, true, 2)) {
		names = append(names, s.Name)
	}
	want := []string{"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
		"conv2.weight", "conv2.bias", "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var", "conv3.weight", "conv3.bias"}
	if !slices.Equal(names, want) {
		t.Errorf("state names %v, want %v", names, want)
	}
}

// ResNet-18 on 32 images of 96 x 96: a training step (forward, loss,
// backward and SGD step) and inference (evaluation mode, no gradients).
// The "released" variants run the same network with releasingResidual
// blocks, which give their intermediate results back to the engine's
// buffer pool: the difference is what the garbage a user module leaves
// costs (allocation, zeroing, page faults and collections), compare with
// -benchmem. The training step's "backward-and-release" variant runs the
// plain network with BackwardAndRelease, as task3.TrainCNN does, which
// gives every result of the step back at the end of the backward pass:
//
//	go test ./solutions/task4 -run '^$' -bench ResNet18 -benchmem -count 5
func BenchmarkResNet18TrainStep(b *testing.B) {
	step := func(backward func(*tensor.Tensor)) func(b *testing.B, net *nn.Sequential) {
		return func(b *testing.B, net *nn.Sequential) { resnetTrainStep(b, net, backward) }
	}
	releaseVariants(b, step((*tensor.Tensor).Backward))
	b.Run("backward-and-release", func(b *testing.B) {
		step((*tensor.Tensor).BackwardAndRelease)(b, task4.GetResNet())
	})
}

// resnetTrainStep times training steps of net with the given backward pass.
func resnetTrainStep(b *testing.B, net *nn.Sequential, backward func(*tensor.Tensor)) {
	const batch = 32
	rng := tensor.NewRNG(1)
	x := tensor.RandUniform(rng, tensor.Float32, 0, 1, batch, 1, task4.Resize, task4.Resize)
	y := make([]int, batch)
	for i := range y {
		y[i] = rng.IntN(10)
	}
	opt := optim.NewSGD(net.Parameters(), task4.LR, 0, 0)
	loss := nn.NewCrossEntropyLoss(nn.ReduceMean)
	for b.Loop() {
		opt.ZeroGrad()
		backward(loss.Forward(net.Forward(x), y))
		opt.Step()
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "examples/s")
}

func BenchmarkResNet18Inference(b *testing.B) {
	releaseVariants(b, func(b *testing.B, net *nn.Sequential) {
		const batch = 32
		x := tensor.RandUniform(tensor.NewRNG(1), tensor.Float32, 0, 1, batch, 1, task4.Resize, task4.Resize)
		net.SetTraining(false)
		for b.Loop() {
			tensor.NoGrad(func() { net.Forward(x).Release() })
		}
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "examples/s")
	})
}

// releaseVariants runs bench as the sub-benchmarks "plain", on
// task4.GetResNet(), and "released", on the same network with its blocks
// made releasingResiduals.
func releaseVariants(b *testing.B, bench func(b *testing.B, net *nn.Sequential)) {
	b.Run("plain", func(b *testing.B) { bench(b, task4.GetResNet()) })
	b.Run("released", func(b *testing.B) {
		net := task4.GetResNet()
		releaseBlocks(net)
		bench(b, net)
	})
}

// releasingResidual computes task4.Residual's forward pass and gives each
// intermediate result back to the engine as soon as the next operation
// has used it (tensor.Release without gradients; with gradients
// ReleaseAfterBackward, so that its storage is reused after the backward
// pass), as nn.Sequential does between its built-in layers. A student's
// block leaves them to the garbage collector; this one exists to measure
// what that costs.
type releasingResidual struct{ *task4.Residual }

func (r releasingResidual) Forward(x *tensor.Tensor) *tensor.Tensor {
	done := func(t *tensor.Tensor) {
		if tensor.GradEnabled() {
			t.ReleaseAfterBackward()
		} else {
			t.Release()
		}
	}
	then := func(t *tensor.Tensor, f func(*tensor.Tensor) *tensor.Tensor) *tensor.Tensor {
		out := f(t)
		done(t)
		return out
	}
	y := then(r.Conv1.Forward(x), r.BN1.Forward)
	y = then(y, tensor.Relu)
	y = then(then(y, r.Conv2.Forward), r.BN2.Forward)
	if r.Conv3 != nil {
		x = r.Conv3.Forward(x)
		defer done(x)
	}
	return then(then(y, func(y *tensor.Tensor) *tensor.Tensor { return tensor.Add(y, x) }), tensor.Relu)
}

// releaseBlocks replaces every task4.Residual in net (and in the
// Sequentials inside it) by a releasingResidual around it.
func releaseBlocks(net *nn.Sequential) {
	for i, l := range net.Layers {
		switch l := l.(type) {
		case *task4.Residual:
			net.Layers[i] = releasingResidual{l}
		case *nn.Sequential:
			releaseBlocks(l)
		}
	}
}

// releasingResidual is the same function as task4.Residual: same outputs
// and gradients, in both modes, on a block with and without the 1 x 1
// convolution.
func TestReleasingResidualIsResidual(t *testing.T) {
	for _, c := range []struct {
		in, out int
		use1x1  bool
		stride  int
	}{{3, 3, false, 1}, {3, 6, true, 2}} {
		for _, training := range []bool{true, false} {
			r := task4.NewResidual(c.in, c.out, c.use1x1, c.stride)
			r.SetTraining(training)
			x := tensor.RandNormal(tensor.NewRNG(2), tensor.Float32, 0, 1, 2, c.in, 6, 6)
			run := func(m nn.Module) ([]float64, []float64) {
				for _, p := range m.Parameters() {
					p.ZeroGrad()
				}
				if !training {
					var out []float64
					tensor.NoGrad(func() { out = m.Forward(x).Float64s() })
					return out, nil
				}
				y := m.Forward(x)
				out := y.Float64s()
				tensor.Sum(y).Backward()
				var grads []float64
				for _, p := range m.Parameters() {
					grads = append(grads, p.Grad().Float64s()...)
				}
				return out, grads
			}
			// In training BatchNorm normalises by the batch's statistics,
			// so the running statistics that the first run moves do not
			// change the second's results.
			wantY, wantG := run(r)
			gotY, gotG := run(releasingResidual{r.(*task4.Residual)})
			if !training {
				if !slices.Equal(gotY, wantY) {
					t.Errorf("%+v, evaluation: releasing block's output differs", c)
				}
				continue
			}
			if !slices.Equal(gotY, wantY) || !slices.Equal(gotG, wantG) {
				t.Errorf("%+v, training: releasing block's output or gradients differ", c)
			}
		}
	}
}
