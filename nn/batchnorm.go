package nn

import (
	"fmt"
	"math/rand/v2"

	"nnkit/tensor"
)

var (
	_ Module = (*BatchNorm2d)(nil)
	_ Fresh  = (*BatchNorm2d)(nil)
)

// BatchNorm2d normalises each channel of [N, C, H, W]. In training mode it
// uses the batch's mean and (biased) variance and updates the running
// statistics: running = (1 - Momentum) running + Momentum batch, with the
// unbiased variance, as PyTorch does. In evaluation mode it uses the running
// statistics. Weight (gamma) and Bias (beta) are parameters; RunningMean
// and RunningVar are buffers, saved and loaded but not trained.
type BatchNorm2d struct {
	mode
	C                       int
	Momentum, Eps           float64
	Weight, Bias            *tensor.Tensor
	RunningMean, RunningVar *tensor.Tensor
}

// NewBatchNorm2d returns a BatchNorm2d layer for c channels with gamma 1,
// beta 0, running mean 0, running variance 1, momentum 0.1 and eps 1e-5. It
// panics unless c is positive.
func NewBatchNorm2d(c int) *BatchNorm2d {
	positive("BatchNorm2d", "c", c)
	b := &BatchNorm2d{C: c, Momentum: 0.1, Eps: 1e-5,
		Weight: newParam(c), Bias: newParam(c),
		RunningMean: tensor.New(tensor.Float32, c), RunningVar: tensor.New(tensor.Float32, c)}
	b.ResetParameters(nil)
	return b
}

// ResetParameters restores gamma 1, beta 0 and the running statistics; it
// draws nothing from rng.
func (b *BatchNorm2d) ResetParameters(*rand.Rand) {
	b.Weight.Fill(1)
	b.Bias.Fill(0)
	b.RunningMean.Fill(0)
	b.RunningVar.Fill(1)
}

// Forward normalises x [N, C, H, W].
func (b *BatchNorm2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dim() != 4 || x.Size(1) != b.C {
		panic(fmt.Sprintf("nn: %v: input shape %v, want [N %d H W]", b, x.Shape(), b.C))
	}
	return tensor.BatchNorm2d(x, b.Weight, b.Bias, b.RunningMean, b.RunningVar, b.Training(), b.Momentum, b.Eps)
}

// FreshForward returns true: Forward returns new storage and keeps
// neither it nor its input (see Fresh).
func (*BatchNorm2d) FreshForward() bool { return true }

// Parameters returns Weight and Bias.
func (b *BatchNorm2d) Parameters() []*tensor.Tensor { return []*tensor.Tensor{b.Weight, b.Bias} }

// NamedParameters returns "weight" and "bias".
func (b *BatchNorm2d) NamedParameters() []Named { return namedParams(b.Weight, b.Bias) }

// NamedBuffers returns "running_mean" and "running_var".
func (b *BatchNorm2d) NamedBuffers() []Named {
	return []Named{{"running_mean", b.RunningMean}, {"running_var", b.RunningVar}}
}

// Name returns "BatchNorm2d".
func (b *BatchNorm2d) Name() string { return "BatchNorm2d" }

func (b *BatchNorm2d) String() string {
	return fmt.Sprintf("BatchNorm2d(%d, eps=%g, momentum=%g, affine=True, track_running_stats=True)", b.C, b.Eps, b.Momentum)
}
