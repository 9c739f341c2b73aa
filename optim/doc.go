// Package optim holds the optimisers that update an nn model's parameters
// from their gradients. SGD reproduces PyTorch's torch.optim.SGD (without
// dampening or Nesterov momentum) exactly, so a Go training loop takes the
// same steps as the original notebook:
//
//	opt := optim.NewSGD(net.Parameters(), 0.9, 0, 0)
//	for each batch {
//		opt.ZeroGrad()
//		loss := lossFn.Forward(net.Forward(x), y)
//		loss.Backward()
//		opt.Step()
//	}
//
// Invalid hyper-parameters (a negative learning rate, momentum or weight
// decay) are programmer errors and panic in the constructor with a message
// naming the argument, like nn's layer constructors.
package optim
