package nn_test

import (
	"math"
	"testing"

	"nnkit/nn"
	"nnkit/tensor"
)

func TestBatchNorm2dRunningStatsByHand(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			bn := nn.NewBatchNorm2d(2)
			nn.Cast(bn, dt)
			bn.Weight.CopyFrom(tensor.FromValues(dt, []float64{2, 1}, 2))
			bn.Bias.CopyFrom(tensor.FromValues(dt, []float64{0.5, -1}, 2))
			// x is [2 2 1 2]: channel 0 holds {1, 3, 5, 7}, channel 1 {2, 2, 4, 8}.
			x := tensor.FromValues(dt, []float64{1, 3, 2, 2, 5, 7, 4, 8}, 2, 2, 1, 2)
			y := bn.Forward(x).Float64s()

			// Channel 0: mean 4, biased variance 20/4 = 5, unbiased 20/3.
			// Channel 1: mean 4, biased variance 24/4 = 6, unbiased 8.
			tol := map[tensor.DType]float64{tensor.Float32: 1e-5, tensor.Float64: 1e-12}[dt]
			wantMean := []float64{0.1 * 4, 0.1 * 4}
			wantVar := []float64{0.9 + 0.1*20.0/3, 0.9 + 0.1*8}
			near(t, "running mean", bn.RunningMean.Float64s(), wantMean, tol)
			near(t, "running var", bn.RunningVar.Float64s(), wantVar, tol)
			// Training output uses the batch statistics (biased variance).
			// Both channels have mean m = 4.
			const m = 4.0
			s0, s1 := math.Sqrt(5+1e-5), math.Sqrt(6+1e-5)
			wantY := []float64{
				2*(1-m)/s0 + 0.5, 2*(3-m)/s0 + 0.5, (2-m)/s1 - 1, (2-m)/s1 - 1,
				2*(5-m)/s0 + 0.5, 2*(7-m)/s0 + 0.5, (4-m)/s1 - 1, (8-m)/s1 - 1,
			}
			near(t, "training output", y, wantY, tol)

			// Evaluation mode uses, and keeps, the running statistics.
			bn.SetTraining(false)
			y = bn.Forward(x).Float64s()
			r0, r1 := math.Sqrt(wantVar[0]+1e-5), math.Sqrt(wantVar[1]+1e-5)
			wantY = []float64{
				2*(1-0.4)/r0 + 0.5, 2*(3-0.4)/r0 + 0.5, (2-0.4)/r1 - 1, (2-0.4)/r1 - 1,
				2*(5-0.4)/r0 + 0.5, 2*(7-0.4)/r0 + 0.5, (4-0.4)/r1 - 1, (8-0.4)/r1 - 1,
			}
			near(t, "evaluation output", y, wantY, tol)
			near(t, "running mean after eval", bn.RunningMean.Float64s(), wantMean, tol)
		})
	}
}

func TestBatchNorm2dBuffersAreNotParameters(t *testing.T) {
	bn := nn.NewBatchNorm2d(64)
	if got := nn.CountParameters(bn); got != 128 {
		t.Errorf("CountParameters = %d, want 128", got)
	}
	var names []string
	for _, n := range nn.StateDict(bn) {
		names = append(names, n.Name)
	}
	want := []string{"weight", "bias", "running_mean", "running_var"}
	if len(names) != 4 || names[0] != want[0] || names[3] != want[3] {
		t.Errorf("StateDict names %v, want %v", names, want)
	}
	if bn.RunningVar.At(5) != 1 || bn.RunningMean.At(5) != 0 || bn.Weight.At(5) != 1 || bn.Bias.At(5) != 0 {
		t.Error("BatchNorm2d should start with gamma 1, beta 0, mean 0, variance 1")
	}
}

func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}
