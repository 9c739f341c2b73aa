#!/usr/bin/env bash
# gpu-check.sh: nnkit's CUDA check, for a machine with an NVIDIA GPU and no
# Go toolchain. It runs test binaries built beforehand on the CPU machine
# (see docs/gpu.md):
#
#   go test -c -tags cuda -o bin/cuda.test ./tensor/internal/cuda
#   go test -c -tags cuda -o bin/tensor-cuda.test ./tensor
#   go test -c -tags cuda -o bin/nets-cuda.test ./solutions/nets
#
# (the last holds the training steps of the course's networks, LeNet-5
# and ResNet-18: they are answers, so they live with the solutions, out
# of the engine's tests and of the student copy)
#
# and prints, in order: the device, the parity tests of every kernel with
# the CPU engine (-test.v), the throughput benchmarks, PyTorch CUDA on the
# same workloads when PyTorch sees the GPU, and the ratios. The whole log is
# also written to ${OUT:-/tmp}/gpu-check.log.
#
# Environment: BIN (folder of the test binaries, default bin), PYTHON (a
# python with torch; default /usr/bin/python3, then python3 on PATH),
# NNKIT_CUDA_PATH (extra library folders), GPU_CHECK_SECONDS (seconds per
# PyTorch workload, default 3), GPU_CHECK_BENCHTIME (go benchmark time,
# default 3s), GPU_CHECK_EMU=1 (dry run of this script on the CPU emulator,
# for testing it on a machine without a GPU).
#
# Exit status: 0 when every parity test passed, 1 when one failed, 2 when
# the binaries are missing or no GPU is usable.

set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/bin}
case $bin in /*) ;; *) bin=$root/$bin ;; esac
out=${OUT:-/tmp}
mkdir -p "$out"
log=$out/gpu-check.log
exec > >(tee "$log") 2>&1

secs=${GPU_CHECK_SECONDS:-3}
emu=${GPU_CHECK_EMU:-0}
benchtime=${GPU_CHECK_BENCHTIME:-3s}
status=0

section() { printf '\n==== %s\n' "$*"; }

if [ ! -x "$bin/cuda.test" ]; then
    echo "gpu-check: $bin/cuda.test is missing; build it on the CPU machine with"
    echo "  go test -c -tags cuda -o bin/cuda.test ./tensor/internal/cuda"
    exit 2
fi

section "machine"
uname -srm
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv 2>/dev/null || nvidia-smi -L
else
    echo "nvidia-smi not found"
fi

section "device (tensor/internal/cuda)"
# Test binaries run in their package folder (kernels.cu, testdata).
cd "$root/tensor/internal/cuda" || exit 2
info=$(NNKIT_CUDA_EMU=$emu "$bin/cuda.test" -test.run '^TestDeviceInfo$' -test.v 2>&1 | grep -E 'device:|no usable CUDA device')
echo "${info:-gpu-check: cuda.test printed no device line}"
if ! echo "$info" | grep -q 'device:'; then
    echo "gpu-check: no usable GPU (reason above); nothing to check"
    exit 2
fi

section "parity: tensor/internal/cuda kernels vs the CPU engine"
# NNKIT_CUDA_EMU=0: on this machine the tests must use the GPU, never the
# CPU emulator.
if ! NNKIT_CUDA_EMU=$emu timeout 600 "$bin/cuda.test" -test.v -test.count=1 -test.timeout 9m; then
    status=1
    echo "gpu-check: tensor/internal/cuda parity FAILED"
fi

if [ -x "$bin/tensor-cuda.test" ]; then
    section "parity: tensor operations and training steps on CUDA vs CPU"
    cd "$root/tensor" || exit 2
    if ! NNKIT_CUDA_EMU=$emu timeout 600 "$bin/tensor-cuda.test" -test.v -test.count=1 -test.run 'CUDA' -test.timeout 9m; then
        status=1
        echo "gpu-check: tensor-level CUDA parity FAILED"
    fi
fi

if [ -x "$bin/nets-cuda.test" ]; then
    section "parity: LeNet-5 and ResNet-18 training steps on CUDA vs CPU"
    cd "$root/solutions/nets" || exit 2
    if ! NNKIT_CUDA_EMU=$emu timeout 600 "$bin/nets-cuda.test" -test.v -test.count=1 -test.run 'CUDA' -test.timeout 9m; then
        status=1
        echo "gpu-check: LeNet-5/ResNet-18 CUDA parity FAILED"
    fi
fi

section "throughput: nnkit"
bench_log=$out/gpu-check-bench.txt
: >"$bench_log"
cd "$root/tensor/internal/cuda" || exit 2
for tf32 in 0 1; do
    echo "-- NNKIT_CUDA_TF32=$tf32"
    NNKIT_CUDA_TF32=$tf32 NNKIT_CUDA_EMU=$emu timeout 300 "$bin/cuda.test" -test.run '^$' -test.bench 'TrainStep' \
        -test.benchtime "$benchtime" 2>&1 | sed "s/^Benchmark/tf32=$tf32 Benchmark/" | tee -a "$bench_log"
done
if [ -x "$bin/nets-cuda.test" ]; then
    # The real training steps: nn layers, autograd, optim.SGD on the GPU.
    cd "$root/solutions/nets" || exit 2
    for tf32 in 0 1; do
        echo "-- nn level, NNKIT_CUDA_TF32=$tf32"
        NNKIT_CUDA_TF32=$tf32 NNKIT_CUDA_EMU=$emu timeout 300 "$bin/nets-cuda.test" -test.run '^$' -test.bench 'CUDA' \
            -test.benchtime "$benchtime" 2>&1 | sed "s/^Benchmark/tf32=$tf32 Benchmark/" | tee -a "$bench_log"
    done
fi

# best examples/s over benchmark lines whose name matches $1
best() {
    awk -v pat="$1" '$2 ~ pat { for (i = 3; i < NF; i++) if ($(i+1) == "examples/s" && $i + 0 > b) b = $i + 0 } END { if (b > 0) printf "%.0f", b }' "$bench_log"
}
nn_lenet=$(best 'CUDALeNetTrain')       # nn level: what TrainCNN runs
nn_lenet_kernels=$(best 'LeNetTrainStep') # tensor/internal/cuda: the kernels alone
nn_resnet=$(best 'CUDAResNet18Train')

section "throughput: PyTorch CUDA"
py=""
for p in "${PYTHON:-}" /usr/bin/python3 python3; do
    [ -n "$p" ] || continue
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
        py=$p
        break
    fi
done
pt_lenet=""
pt_resnet=""
if [ -z "$py" ]; then
    echo "no python with PyTorch seeing the GPU; skipping the comparison"
else
    "$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0), "cudnn.allow_tf32", torch.backends.cudnn.allow_tf32, "matmul.allow_tf32", torch.backends.cuda.matmul.allow_tf32)'
    pt_log=$out/gpu-check-torch.jsonl
    timeout 300 "$py" "$root/scripts/bench_torch.py" --device cuda --threads 1 --seconds "$secs" \
        --work lenet-train resnet-train --resnet-batch 128 | tee "$pt_log"
    pt_lenet=$(grep '"lenet-train"' "$pt_log" | sed 's/.*"examples_per_s": \([0-9.]*\).*/\1/' | head -1)
    pt_resnet=$(grep '"resnet-train"' "$pt_log" | sed 's/.*"examples_per_s": \([0-9.]*\).*/\1/' | head -1)
fi

section "summary (training examples/s; goal: LeNet >= 1x PyTorch, ResNet-18 >= 0.5x)"
ratio() {
    if [ -n "$1" ] && [ -n "$2" ]; then
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'
    else
        echo "n/a"
    fi
}
printf '%-34s %12s %12s %8s\n' work nnkit pytorch ratio
printf '%-34s %12s %12s %8s\n' "LeNet, batch 256" "${nn_lenet:-n/a}" "${pt_lenet:-n/a}" "$(ratio "$nn_lenet" "$pt_lenet")"
printf '%-34s %12s %12s %8s\n' "LeNet, batch 256 (kernels only)" "${nn_lenet_kernels:-n/a}" "${pt_lenet:-n/a}" "$(ratio "$nn_lenet_kernels" "$pt_lenet")"
printf '%-34s %12s %12s %8s\n' "ResNet-18 96x96, batch 128" "${nn_resnet:-n/a}" "${pt_resnet:-n/a}" "$(ratio "$nn_resnet" "$pt_resnet")"
if [ -z "$nn_resnet" ]; then
    echo "(nnkit's LeNet and ResNet-18 rows need the binary bin/nets-cuda.test)"
fi
if [ $status -eq 0 ]; then echo "gpu-check: parity PASSED"; else echo "gpu-check: parity FAILED"; fi
exit $status
