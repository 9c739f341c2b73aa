package tensor

// The convolution-family operations (conv2d.go, pool.go, adaptivepool.go,
// batchnorm.go, resize.go) have these signatures; every spatial argument is
// square (kernel k means k x k) and every input is [N, C, H, W]:
//
//	Conv2d(x, w, b *Tensor, stride, padding int) *Tensor      w [OC, C, K, K], b [OC] or nil
//	AvgPool2d(x *Tensor, kernel, stride, padding int) *Tensor  padding counts in the average
//	MaxPool2d(x *Tensor, kernel, stride, padding int) *Tensor  padding is -Inf
//	AdaptiveAvgPool2d(x *Tensor, outH, outW int) *Tensor
//	BatchNorm2d(x, gamma, beta, runMean, runVar *Tensor, training bool, momentum, eps float64) *Tensor
//	ResizeBilinear(x *Tensor, h, w int) *Tensor               no gradient
