// Command bench measures nnkit's speed on the workloads of the course and,
// when Debian's PyTorch is installed, PyTorch's on the same workloads in the
// same run, and prints a table of rates, the ratios and how much they
// moved from round to round. It is built to be honest about the
// comparison: the machine, the measured FMA peak and PyTorch's whole
// configuration are printed with the figures.
//
// Usage:
//
//	go run ./cmd/bench [flags]
//	go run ./cmd/bench -rounds 7 -spread 0.15 -max-rounds 12 -format md   # for docs/performance.md
//
// Workloads (-work, comma-separated; default the first five):
//
//	lenet-train   one LeNet-5 training step (forward, cross-entropy,
//	              backward, SGD) on a batch of 256 28 x 28 images; the
//	              backward pass is BackwardAndRelease, as task 3's
//	              TrainCNN takes it (PyTorch frees the same results by
//	              reference counting)
//	lenet-infer   LeNet-5 inference on a batch of 256, evaluation mode,
//	              no gradients
//	resnet-train  one ResNet-18 training step, 96 x 96 images, batch 32,
//	              the same way
//	resnet-infer  ResNet-18 inference, 96 x 96, batch 32
//	sgemm         float32 tensor.MatMul, 1024 x 1024 x 1024, GFLOP/s,
//	              the result allocated each call (PyTorch: torch.mm,
//	              OpenBLAS)
//	lenet-epoch   one epoch of task 3's TrainCNN on the full Fashion-MNIST
//	              (when installed), in a child process, with its peak
//	              resident memory (VmHWM); a section, see below
//
// Inputs are uniform random images and labels, for nnkit and PyTorch
// alike. nnkit runs on runtime.GOMAXPROCS(0) goroutines (all cores unless
// GOMAXPROCS says otherwise); PyTorch runs at each of -torch-threads.
//
// The machine. The report starts with the CPU's model, family and model
// number, the number of CPUs, whether it has AVX-512, the Go version,
// GOMAXPROCS, the kernel, the date (UTC) and the load average; the load
// average is printed again at the end.
//
// The peak. The float32 FMA peak is measured at the start, not assumed: a
// loop of independent vector FMA chains (AVX-512 where the CPU has it,
// else AVX2; package nnkit/tensor/peak) on one core and on GOMAXPROCS
// cores at once, each thread's rate taken per second of its own CPU time
// so that other processes disturb it little (-peak-window sets the
// length). The sgemm cells carry their percentage of that peak: of the
// cores each side used in the wall-clock table, of one core per
// CPU-second.
//
// PyTorch's configuration. PyTorch is driven through scripts/bench_torch.py
// --serve, run by -python (default /usr/bin/python3, Debian's, which has
// torch with OpenBLAS and oneDNN; pyenv's python3 usually has no torch).
// An environment that sets OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE pins
// OpenBLAS to older kernels (this machine's pins Haswell's AVX2 kernels on
// an AVX-512 CPU). So bench starts PyTorch in the inherited environment
// and, where the CPU has AVX-512 and an override is set, also in the
// environment without the two overrides (for the PyTorch process only:
// bench's own environment, nnkit's and the tests' are left alone). Each
// process checks torch.mm 1024^3 and a 3x3 convolution against float64
// (relative norm error at most 1e-5; correct float32 kernels give about
// 3e-7) and times a short single-thread torch.mm; bench keeps the fastest
// that verified (per CPU-second) and refuses a wrong one however fast. It
// prints every configuration tried with its OpenBLAS core, rate, errors
// and verdict, the choice and why, and for the chosen process the torch
// version, the OpenBLAS build and library, oneDNN's ISA and the
// implementation of its convolution, ATen's CPU capability and the thread
// settings. Each PyTorch column T sets both torch.set_num_threads(T) and
// OpenBLAS's own pool (openblas_set_num_threads), which torch does not set
// and which otherwise uses every core. When PyTorch cannot be started, has
// no torch, or no configuration verifies, bench says so and prints nnkit's
// figures alone; -torch=false skips it.
//
// Rounds, slices and spread. Measurements are interleaved: each round
// times every workload for nnkit and for each PyTorch thread count, a
// window of -duration each (default 4s), and each window is cut into
// -slices slices (default 4) that the sides take in turn: nnkit, PyTorch
// at 1 thread, at 2, nnkit again, and so on. A side's rate is its work over
// its time, summed over its slices. On a virtual machine whose speed swings
// by 20-40 % over a few seconds, whole windows one after the other let a
// swing reach one side and not the other; turns of a second each spread
// every swing over all sides. Both sides build their model once per round
// (PyTorch's server at the round's first slice, then kept for the other
// slices and both thread counts) and warm it up: two untimed steps
// before a side's first slice, one before each later slice, as the other
// side has run in between. The tables give the median rate over the rounds; a row's
// ratio is the median over the rounds of nnkit's rate over the best
// PyTorch thread count's in the same round, with the lowest and highest
// round (range) and the spread, (highest - lowest) / median. Without
// PyTorch the range and spread are of nnkit's rates. With -spread (e.g.
// 0.15), bench runs -rounds rounds and then adds rounds while a ResNet
// row's spread of wall-clock ratios (all rows' when no ResNet workload is
// selected) is above the target, up to -max-rounds, and says plainly
// whether the target was met. The target column holds the goals
// and "met" says whether every round met it, only the median, or not.
// A second table gives the rates per CPU-second of each process (all its
// threads), which a loaded machine disturbs less. For the LeNet step the
// report also gives the bytes and allocations per step. -format md prints
// the tables in markdown.
//
// Sections. Some workloads are no rate (lenet-epoch; a workload
// registered in the sections map of workloads.go): they run once, after
// the rounds, only when -work names them, and print their own part of the
// report.
//
// Exit status: 0 on success, 2 on bad flags, 1 when a workload fails.
package main
