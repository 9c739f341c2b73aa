#!/usr/bin/env python3
"""PyTorch side of `go run ./cmd/bench -work accuracy`: float32 against
float64 on the values nnkit wrote.

    /usr/bin/python3 scripts/conv_accuracy.py DIR

DIR holds spec.json and tensors.bin (written by cmd/bench/accuracy.go; see
accExport there for the format). For every item of spec.json it prints one
JSON line {"item": ..., "err32": ..., "agree64": ...}: err32 is PyTorch's
relative norm error ||x32 - x64|| / ||x64||, agree64 how far PyTorch's
float64 is from nnkit's float64 (the layer outputs, the eval logits, and
and the parameter gradients, matched by name), which says that
both computed the same thing. The first line is {"torch": version}.
"""
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_torch import resnet18  # noqa: E402  the bench's ResNet-18, nnkit's layer names


def read_tensors(path):
    out = {}
    with open(path, "rb") as f:
        data = f.read()
    at = 0
    while at < len(data):
        (n,) = struct.unpack_from("<I", data, at)
        at += 4
        name = data[at:at + n].decode()
        at += n
        (rank,) = struct.unpack_from("<I", data, at)
        at += 4
        shape = struct.unpack_from("<%dQ" % rank, data, at)
        at += 8 * rank
        count = 1
        for d in shape:
            count *= d
        t = torch.frombuffer(bytearray(data[at:at + 8 * count]), dtype=torch.float64).reshape(shape)
        at += 8 * count
        out[name] = t
    return out


def rel(a, b):
    a, b = a.double().flatten(), b.double().flatten()
    return (torch.linalg.norm(a - b) / torch.linalg.norm(b)).item()


def layer_results(t, lid, stride, padding, dtype):
    x = t[lid + ".x"].to(dtype).clone().requires_grad_()
    w = t[lid + ".w"].to(dtype).clone().requires_grad_()
    b = t[lid + ".b"].to(dtype).clone().requires_grad_()
    y = F.conv2d(x, w, b, stride=stride, padding=padding)
    y.backward(t[lid + ".gy"].to(dtype))
    return [y.detach(), x.grad, w.grad]


def model_results(t, dtype, batches):
    """Eval logits of every batch, then the gradients of a training-mode
    step on each (eval first: training-mode passes move the running
    statistics), as accModelErrors does."""
    net = resnet18()
    state = net.state_dict()
    for name in state:
        if name.endswith("num_batches_tracked"):
            continue
        key = "model." + name
        if key not in t:
            raise SystemExit("conv_accuracy: nnkit's state has no %s" % name)
        state[name] = t[key].reshape(state[name].shape)
    net.load_state_dict(state)
    net = net.to(dtype)
    xs = [t["model.x.%d" % b].to(dtype) for b in range(batches)]
    net.eval()
    with torch.no_grad():
        logits = [net(x) for x in xs]
    net.train()
    grads = []
    for b, x in enumerate(xs):
        net.zero_grad()
        F.cross_entropy(net(x), t["model.labels.%d" % b].long()).backward()
        grads.append({n: p.grad.flatten().clone() for n, p in net.named_parameters()})
    return logits, grads


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "spec.json")) as f:
        spec = json.load(f)
    t = read_tensors(os.path.join(d, "tensors.bin"))
    print(json.dumps({"torch": torch.__version__}))
    layers = {l["id"]: l for l in spec["layers"]}
    cache = {}
    for it in spec["items"]:
        lid, k = it["layer"], it["result"]
        if lid not in cache:
            if lid == "model":
                nb = spec["model_batches"]
                cache[lid] = [model_results(t, torch.float64, nb), model_results(t, torch.float32, nb)]
            else:
                l = layers[lid]
                cache[lid] = [layer_results(t, lid, l["stride"], l["padding"], dt) for dt in (torch.float64, torch.float32)]
        r64, r32 = cache[lid]
        agree = -1
        if lid == "model":
            b, kind = divmod(k, 2)
            if kind == 0:
                err = rel(r32[0][b], r64[0][b])
                agree = rel(r64[0][b], t["model.logits64.%d" % b])
            else:
                names = list(r64[1][b])
                g64 = torch.cat([r64[1][b][n] for n in names])
                err = rel(torch.cat([r32[1][b][n] for n in names]), g64)
                if b == 0:  # nnkit wrote its float64 gradients of batch 0
                    missing = [n for n in names if "model.grad64." + n not in t]
                    if missing:
                        raise SystemExit("conv_accuracy: nnkit wrote no gradient of %s" % missing)
                    agree = rel(g64, torch.cat([t["model.grad64." + n].flatten() for n in names]))
        else:
            err = rel(r32[k], r64[k])
            if k == 0:
                agree = rel(r64[0], t[lid + ".y64"])
        print(json.dumps({"item": it["item"], "err32": err, "agree64": agree}), flush=True)


if __name__ == "__main__":
    main()
