// Package cuda is nnkit's NVIDIA GPU backend, compiled only with the build
// tag `cuda` (go build -tags cuda). It uses no cgo: the CUDA driver
// (libcuda.so.1), cuBLAS and NVRTC are loaded when the program starts using
// the GPU, through github.com/ebitengine/purego, so a binary built on a
// machine without CUDA runs on one with it and falls back cleanly on one
// without.
//
// What it provides:
//
//   - Open: finds and loads the libraries, initialises the driver, takes the
//     primary context of a device (NNKIT_CUDA_DEVICE, default 0), creates a
//     stream and a cuBLAS handle, and compiles kernels.cu (embedded in the
//     binary) with NVRTC for the device's compute capability, once per
//     process. Each failure is one line naming what was missing.
//   - Buffer: device memory (pointer, length, element type) from a caching
//     allocator, so a training step does not call cuMemAlloc per operation.
//   - Device methods that mirror the CPU engine's kernels (nnkit/tensor):
//     elementwise and broadcast arithmetic, activations, reductions,
//     im2col + cuBLAS convolution, pooling, batch normalisation,
//     softmax cross-entropy, argmax/accuracy and the SGD update, each with
//     the same math as the CPU kernel it mirrors.
//
// Library search: the directories in NNKIT_CUDA_PATH (colon-separated)
// first, then the dynamic loader's default (LD_LIBRARY_PATH, ld.so.cache),
// then $CUDA_HOME/lib64 and $CUDA_PATH/lib64, /usr/lib/x86_64-linux-gnu,
// /usr/local/cuda/lib64, /usr/local/cuda/targets/x86_64-linux/lib,
// /usr/lib/wsl/lib, /opt/cuda/lib64, and the lib folders of pip's nvidia-*
// packages under every Python site directory found by glob.
//
// Without the tag the package only reports that it was not built with it;
// see docs/gpu.md for building, testing and the GPU check script.
package cuda
