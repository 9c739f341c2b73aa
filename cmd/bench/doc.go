// Command bench measures nnkit's speed on the workloads of the course and,
// when Debian's PyTorch is installed, PyTorch's on the same workloads in the
// same run, and prints a table of examples per second and the ratios.
//
// Usage:
//
//	go run ./cmd/bench [flags]
//
// Workloads (-work, comma-separated; default all but lenet-epoch):
//
//	lenet-train   one LeNet-5 training step (forward, cross-entropy,
//	              backward, SGD) on a batch of 256 28 x 28 images
//	lenet-infer   LeNet-5 inference on a batch of 256, evaluation mode,
//	              no gradients
//	resnet-train  one ResNet-18 training step, 96 x 96 images, batch 32
//	resnet-infer  ResNet-18 inference, 96 x 96, batch 32
//	sgemm         float32 tensor.MatMul, 1024 x 1024 x 1024, GFLOP/s,
//	              the result allocated each call (PyTorch: torch.mm,
//	              OpenBLAS)
//	lenet-epoch   one epoch of task 3's TrainCNN on the full Fashion-MNIST
//	              (when installed), in a child process, with its peak
//	              resident memory (VmHWM); not in the default set
//
// Inputs are uniform random images and labels, for nnkit and PyTorch
// alike. nnkit runs on runtime.GOMAXPROCS(0) goroutines (all cores unless
// GOMAXPROCS says otherwise); PyTorch runs at each of -torch-threads.
//
// Measurements are interleaved: each of -rounds rounds times every
// workload once for nnkit and once per PyTorch thread count, one window of
// -duration each, and the table gives the median over the rounds, so that
// a change in the machine's load affects both sides alike. The ratio is
// nnkit's median over the best PyTorch median. The load average is printed
// before and after. For the LeNet step the table also gives the bytes and
// allocations per step.
//
// PyTorch is driven through scripts/bench_torch.py --serve, run by
// -python (default /usr/bin/python3, Debian's, which has torch with
// OpenBLAS; pyenv's python3 usually has no torch). When it cannot be
// started, or has no torch, bench says so and prints nnkit's figures alone;
// -torch=false skips it.
//
// Exit status: 0 on success, 2 on bad flags, 1 when a workload fails.
package main
