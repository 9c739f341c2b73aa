package nn

import "nnkit/tensor"

// Reduction says how a loss combines its per-example terms.
type Reduction = tensor.Reduction

// The reductions of PyTorch's losses ("none" is not offered).
const (
	ReduceMean = tensor.ReduceMean
	ReduceSum  = tensor.ReduceSum
)

// CrossEntropyLoss is softmax cross-entropy of logits [N, C] against integer
// labels, PyTorch's nn.CrossEntropyLoss.
type CrossEntropyLoss struct {
	Reduction Reduction
}

// NewCrossEntropyLoss returns the loss with the given reduction.
func NewCrossEntropyLoss(r Reduction) *CrossEntropyLoss { return &CrossEntropyLoss{r} }

// Forward returns the mean (or sum) over the batch of -log softmax(logits)[label].
func (l *CrossEntropyLoss) Forward(logits *tensor.Tensor, labels []int) *tensor.Tensor {
	loss := tensor.CrossEntropy(logits, labels)
	if l.Reduction == ReduceSum {
		loss = tensor.MulScalar(loss, float64(len(labels)))
	}
	return loss
}

// MSELoss is the squared error between prediction and target of the same
// shape, PyTorch's nn.MSELoss.
type MSELoss struct {
	Reduction Reduction
}

// NewMSELoss returns the loss with the given reduction.
func NewMSELoss(r Reduction) *MSELoss { return &MSELoss{r} }

// Forward returns the mean (or sum) of (pred - target)^2 over every element.
func (l *MSELoss) Forward(pred, target *tensor.Tensor) *tensor.Tensor {
	return tensor.MSE(pred, target, l.Reduction)
}
