#!/usr/bin/env python3
"""PyTorch side of `go run ./cmd/bench`: the same workloads as nnkit's.

Prints one JSON object per line:
  {"work": "lenet-train", "threads": 1, "examples_per_s": 11600.0}
With --serve it reads requests {"work": ..., "threads": ..., "seconds": ...}
from stdin, one JSON object per line, and answers each with one timed
slice (no repeats) in the same form plus the work done ("units": examples,
or GFLOP for sgemm), its "seconds" and the process's "cpu_seconds", so that
cmd/bench can interleave PyTorch and nnkit measurements, slice by slice,
without starting Python again. The server keeps the last workload it built
(model, inputs, optimizer) while the requests name the same work and do
not say "fresh": true (cmd/bench says it at a round's first slice): a
slice warms it up with one step (two when it is new) instead of
rebuilding it. A request
{"probe": true} is answered with this process's configuration (torch
version, the OpenBLAS core that runs, thread settings, oneDNN's ISA) and a
check of torch.mm and a convolution against float64 with a short sgemm
timing: cmd/bench starts one server per candidate BLAS environment, probes
each and keeps the fastest that verified.

The thread count of a request (or --threads) sets both torch's intra-op
threads and OpenBLAS's own pool (openblas_set_num_threads): torch does not
pass its setting on to OpenBLAS, whose pool otherwise uses every core, so
that "1 thread" would time torch.mm on all cores.
Run by cmd/bench with Debian's /usr/bin/python3 (python3-torch with
libopenblas0-pthread). Each workload is timed after warm-up iterations, and
the best of several repeats is reported, as for nnkit.

--device cuda runs the same workloads on the GPU (scripts/gpu-check.sh does,
with --resnet-batch 128); each line then also carries "device": "cuda".
"""
import argparse
import ctypes
import json
import os
import sys
import tempfile
import time

import torch
from torch import nn


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


class Residual(nn.Module):
    def __init__(self, cin, c, use_1x1=False, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, padding=1, stride=stride)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.conv3 = nn.Conv2d(cin, c, 1, stride=stride) if use_1x1 else None
        self.bn1 = nn.BatchNorm2d(c)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.conv3 is not None:
            x = self.conv3(x)
        return torch.relu(y + x)


def resnet18():
    def block(cin, c, n, first=False):
        layers = []
        for i in range(n):
            if i == 0 and not first:
                layers.append(Residual(cin, c, use_1x1=True, stride=2))
            else:
                layers.append(Residual(c, c))
        return nn.Sequential(*layers)
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 64, 7, stride=2, padding=3), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.MaxPool2d(3, stride=2, padding=1)),
        block(64, 64, 2, first=True), block(64, 128, 2), block(128, 256, 2), block(256, 512, 2),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, 10))


_openblas = []


def openblas():
    """(path, ctypes handle) of the libopenblas this process loaded, found
    in /proc/self/maps (torch links it through libblas.so.3), or (None,
    None). dlopen of a loaded library returns the loaded one, so its
    settings are the ones torch's calls see."""
    if not _openblas:
        found = (None, None)
        try:
            with open("/proc/self/maps") as f:
                paths = [line.split()[-1] for line in f if len(line.split()) >= 6]
            for path in paths:
                if os.path.basename(path).startswith("libopenblas"):
                    lib = ctypes.CDLL(path)
                    lib.openblas_get_corename.restype = ctypes.c_char_p
                    lib.openblas_get_config.restype = ctypes.c_char_p
                    found = (path, lib)
                    break
        except (OSError, AttributeError):
            pass
        _openblas.append(found)
    return _openblas[0]


def set_threads(th):
    """torch's intra-op threads and OpenBLAS's pool, both th."""
    torch.set_num_threads(th)
    _, lib = openblas()
    if lib is not None:
        lib.openblas_set_num_threads(th)


def rel_err(x32, x64):
    """||x32 - x64|| / ||x64|| in float64."""
    return float(torch.linalg.norm(x32.double() - x64) / torch.linalg.norm(x64))


def onednn_conv(x, w):
    """Runs one float32 convolution with oneDNN's verbose output on and
    returns (the result, the ISA line, the implementation), reading the
    C-level stdout oneDNN prints to through a temporary file."""
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 1)
        try:
            with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                y = torch.nn.functional.conv2d(x, w, padding=1)
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
        tmp.seek(0)
        text = tmp.read().decode(errors="replace")
    isa, impl = "", ""
    for line in text.splitlines():
        f = line.split(",")
        if len(f) > 3 and f[1] == "info" and f[3].startswith("isa:"):
            isa = f[3][len("isa:"):]
        if len(f) > 5 and f[1] == "exec" and f[3] == "convolution":
            impl = f[4]
    return y, isa, impl


def probe():
    """This process's configuration (thread counts as they were before
    bench set any), torch.mm and a ResNet-like 3x3
    convolution checked against float64 (relative norm error), and a short
    single-thread sgemm rate (best of 5 windows of 0.2 s, per second of
    wall clock and per CPU-second, which a loaded machine disturbs less)."""
    path, lib = openblas()
    defaults = (torch.get_num_threads(), lib.openblas_get_num_threads() if lib else 0)
    set_threads(1)
    g = torch.Generator().manual_seed(1)
    n = 1024
    A, B = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
    mm_err = rel_err(torch.mm(A, B), torch.mm(A.double(), B.double()))
    x, w = torch.randn(8, 64, 24, 24, generator=g), torch.randn(64, 64, 3, 3, generator=g)
    y, isa, impl = onednn_conv(x, w)
    conv_err = rel_err(y, torch.nn.functional.conv2d(x.double(), w.double(), padding=1))
    stats = {}
    gflops = timed(lambda: torch.mm(A, B), 1, 0.2, repeats=5, stats=stats) * 2 * n ** 3 / 1e9
    caps = [line.split(":", 1)[1].strip() for line in torch.__config__.show().splitlines()
            if "CPU capability usage" in line]
    return {
        "torch": torch.__version__,
        "openblas_lib": path or "",
        "openblas_core": lib.openblas_get_corename().decode() if lib else "",
        "openblas_config": lib.openblas_get_config().decode() if lib else "",
        "torch_threads": defaults[0],
        "openblas_threads": defaults[1],
        "interop_threads": torch.get_num_interop_threads(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", ""),
        "onednn_isa": isa,
        "onednn_conv": impl,
        "aten_capability": caps[0] if caps else "",
        "mm_rel_err": mm_err,
        "conv_rel_err": conv_err,
        "sgemm_gflops": gflops,
        "sgemm_gflops_cpu": stats.get("cpu_rate", 0) * 2 * n ** 3 / 1e9,
    }


def window(step, seconds, sync):
    """Runs step until at least seconds have passed; returns the steps,
    the wall-clock seconds and the CPU seconds of this process."""
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        step()
        n += 1
        sync()
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n, dt, max(time.process_time() - c0, 1e-9)


def timed(step, batch, seconds, repeats=3, sync=lambda: None, stats=None):
    """Best rate over repeats; stats, if given, gets the best window's rate
    per CPU-second of this process (all threads) as "cpu_rate"."""
    step()
    step()
    sync()
    best = 0.0
    for _ in range(repeats):
        n, dt, cpu = window(step, seconds, sync)
        if n * batch / dt > best:
            best = n * batch / dt
            if stats is not None:
                stats["cpu_rate"] = n * batch / cpu
    return best


def train_step(net, x, y, lr):
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss(net(x), y).backward()
        opt.step()
    return step


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--work", nargs="+", default=["lenet-train", "lenet-infer", "resnet-train", "resnet-infer", "sgemm"])
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument("--resnet-batch", type=int, default=32)
    p.add_argument("--serve", action="store_true",
                   help="read JSON requests {work, threads, seconds} from stdin, one per line, and answer each with one timed window")
    a = p.parse_args()
    torch.manual_seed(0)
    dev = torch.device(a.device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        print("bench_torch: --device cuda but torch.cuda.is_available() is False", file=sys.stderr)
        return 1
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    extra = {"device": a.device} if dev.type != "cpu" else {}
    if a.serve:
        # One timed window per request line, so that cmd/bench can
        # interleave these measurements with nnkit's.
        print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
        cache = {}
        for line in sys.stdin:
            if line.strip():
                r = json.loads(line)
                if r.get("probe"):
                    print(json.dumps(probe()), flush=True)
                    continue
                try:
                    serve_slice(a, r, dev, sync, extra, cache)
                except Exception as e:  # answered, so that bench reports it and goes on
                    print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}), flush=True)
        return 0
    for th in a.threads:
        for w in a.work:
            run(a, th, w, a.seconds, 3, dev, sync, extra)


def build(a, w, dev):
    """Builds workload w; returns (step, units of work per step, unit)."""
    if w.startswith("lenet"):
        net, b = lenet(), 256
        x, y = torch.rand(b, 1, 28, 28), torch.randint(0, 10, (b,))
    elif w.startswith("resnet"):
        net, b = resnet18(), a.resnet_batch
        x, y = torch.rand(b, 1, 96, 96), torch.randint(0, 10, (b,))
    elif w == "sgemm":
        n = 1024
        A, B = torch.rand(n, n, device=dev), torch.rand(n, n, device=dev)
        return (lambda: torch.mm(A, B)), 2 * n ** 3 / 1e9, "gflops"
    else:
        raise ValueError("no workload %r" % w)
    net, x, y = net.to(dev), x.to(dev), y.to(dev)
    if w.endswith("train"):
        net.train()
        return train_step(net, x, y, 0.05), b, "examples_per_s"
    if w.endswith("infer"):
        net.eval()

        def infer():
            with torch.no_grad():
                net(x)
        return infer, b, "examples_per_s"
    raise ValueError("no workload %r" % w)


def run(a, th, w, seconds, repeats, dev, sync, extra):
    """Times workload w on th threads and prints one JSON line."""
    set_threads(th)
    stats = {}
    step, units, unit = build(a, w, dev)
    v = timed(step, 1, seconds, repeats, sync=sync, stats=stats) * units
    print(json.dumps({"work": w, "threads": th, unit: v, **extra}), flush=True)


def serve_slice(a, r, dev, sync, extra, cache):
    """Answers one --serve request: one timed slice of r["work"]."""
    w, th = r["work"], r["threads"]
    set_threads(th)
    warm = 1
    if r.get("fresh") or cache.get("work") != w:
        cache.clear()
        cache["built"] = build(a, w, dev)
        cache["work"] = w
        warm = 2
    step, units, unit = cache["built"]
    for _ in range(warm):
        step()
    sync()
    n, dt, cpu = window(step, r.get("seconds", a.seconds), sync)
    print(json.dumps({"work": w, "threads": th, unit: n * units / dt, "per_cpu_s": n * units / cpu,
                      "units": n * units, "seconds": dt, "cpu_seconds": cpu, **extra}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
