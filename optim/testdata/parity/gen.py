#!/usr/bin/python3
"""Writes PyTorch reference trajectories for optim's parity tests.

Run with Debian's python3-torch (torch 1.13):

    /usr/bin/python3 optim/testdata/parity/gen.py optim/testdata/parity

For each dtype (float32, float64) it writes parity_<dtype>.bin: for each
optimizer configuration, the parameters of torch.optim SGD / Adam / AdamW /
Adagrad / RMSprop (single-tensor CPU path, foreach=False) at recorded steps
of a 1000-step run over three parameters of sizes 1, 33 and 500. Each
case's JSON holds torch.optim's keyword arguments, which are optim's
hyper-parameter keys (betas aside).

The initial values and the gradients are not stored: both sides compute
them with the same few IEEE operations from SplitMix64 (see values()), so
they are the same bits in Python and Go. Each value is the sum of four
uniform [0, 1) doubles minus 2 (a bell shape on (-2, 2)), times 1 + step
mod 3 for the gradients; float32 runs round it once to float32.

Layout, all little-endian:

    magic      4 bytes  "DPAR"
    version    u32      2
    elem size  u32      4 or 8
    ntensors   u32, then ntensors × u32 sizes
    steps      u32      steps run
    nrec       u32, then nrec × u32 recorded steps (1-based, increasing)
    seed       u64      SplitMix64 seed of the values
    ncases     u32
    per case:  u32 length + JSON describing the optimizer,
               nrec × Σsizes elements    parameters after each recorded step

Elements are float32 or float64 by elem size; tensors are concatenated in
order within each block.
"""
import json
import struct
import sys

import torch

SIZES = [1, 33, 500]
STEPS = 1000
RECORDED = list(range(1, 11)) + [20, 30, 50, 75, 100, 150, 200, 300, 500, 700, 1000]
SEED = 20240601
MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.s = seed & MASK

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next() >> 11) * (1.0 / (1 << 53))


def values(rng, n, scale):
    """n values: (u1 + u2 + u3 + u4 - 2) * scale, in this order of IEEE
    double operations (Go's parity test does the same)."""
    out = []
    for _ in range(n):
        x = rng.uniform() + rng.uniform()
        x = x + rng.uniform()
        x = x + rng.uniform()
        out.append((x - 2.0) * scale)
    return out

CASES = [
    {"opt": "sgd", "lr": 0.05},
    {"opt": "sgd", "lr": 0.05, "momentum": 0.9},
    {"opt": "sgd", "lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01},
    {"opt": "sgd", "lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01},
    {"opt": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True, "maximize": True},
    {"opt": "sgd", "lr": 0.05, "weight_decay": 0.1, "maximize": True},
    {"opt": "adam", "lr": 0.01},
    {"opt": "adam", "lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.05},
    {"opt": "adam", "lr": 0.01, "amsgrad": True, "weight_decay": 0.01},
    {"opt": "adam", "lr": 0.01, "maximize": True},
    {"opt": "adamw", "lr": 0.01},
    {"opt": "adamw", "lr": 0.01, "weight_decay": 0.1, "amsgrad": True, "maximize": True},
    {"opt": "adagrad", "lr": 0.05},
    {"opt": "adagrad", "lr": 0.05, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1, "eps": 1e-6},
    {"opt": "adagrad", "lr": 0.05, "initial_accumulator_value": 1.5, "maximize": True},
    {"opt": "rmsprop", "lr": 0.01},
    {"opt": "rmsprop", "lr": 0.01, "centered": True},
    {"opt": "rmsprop", "lr": 0.01, "momentum": 0.9},
    {"opt": "rmsprop", "lr": 0.01, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.05, "momentum": 0.5, "centered": True},
    {"opt": "rmsprop", "lr": 0.01, "weight_decay": 0.1, "maximize": True},
]

OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
}


def make_optimizer(case, params):
    kw = {k: v for k, v in case.items() if k != "opt"}
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    kw["foreach"] = False
    return OPTIMIZERS[case["opt"]](params, **kw)


def main(out_dir):
    rng = SplitMix64(SEED)
    init64 = [values(rng, n, 1.0) for n in SIZES]
    grads64 = [[values(rng, n, float(1 + s % 3)) for n in SIZES] for s in range(STEPS)]
    for dtype, fmt, size in [(torch.float32, "<f", 4), (torch.float64, "<d", 8)]:
        init = [torch.tensor(v, dtype=torch.float64).to(dtype) for v in init64]
        grads = [[torch.tensor(v, dtype=torch.float64).to(dtype) for v in step] for step in grads64]
        blob = bytearray(b"DPAR")
        blob += struct.pack("<III", 2, size, len(SIZES))
        blob += struct.pack("<%dI" % len(SIZES), *SIZES)
        blob += struct.pack("<II", STEPS, len(RECORDED))
        blob += struct.pack("<%dI" % len(RECORDED), *RECORDED)
        blob += struct.pack("<Q", SEED)

        def put(ts):
            for t in ts:
                blob.extend(t.detach().numpy().astype(fmt).tobytes())

        blob += struct.pack("<I", len(CASES))
        for case in CASES:
            params = [torch.nn.Parameter(t.clone()) for t in init]
            opt = make_optimizer(case, params)
            desc = json.dumps(case, sort_keys=True).encode()
            blob += struct.pack("<I", len(desc)) + desc
            for s in range(STEPS):
                for p, g in zip(params, grads[s]):
                    p.grad = g.clone()
                opt.step()
                if s + 1 in RECORDED:
                    put(params)
        name = "%s/parity_f%d.bin" % (out_dir, size * 8)
        with open(name, "wb") as f:
            f.write(blob)
        print(name, len(blob), "bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
