#!/usr/bin/python3
"""Writes PyTorch reference trajectories for optim's parity tests.

Run with Debian's python3-torch (torch 1.13):

    /usr/bin/python3 optim/testdata/parity/gen.py optim/testdata/parity

For each dtype (float32, float64) it writes parity_<dtype>.bin: three
parameters of sizes 1, 33 and 500 with seeded normal initial values, 20
steps of seeded normal gradients (the same for every case), and, for each
optimizer configuration, the parameters after every step of torch.optim
SGD / Adam / AdamW / Adagrad / RMSprop (single-tensor CPU path,
foreach=False). Each case's JSON holds torch.optim's keyword arguments,
which are optim's hyper-parameter keys (betas aside).

Layout, all little-endian:

    magic      4 bytes  "DPAR"
    version    u32      1
    elem size  u32      4 or 8
    ntensors   u32, then ntensors × u32 sizes
    steps      u32
    init       Σsizes elements            initial parameters
    grads      steps × Σsizes elements    gradient of each step
    ncases     u32
    per case:  u32 length + JSON describing the optimizer,
               steps × Σsizes elements    parameters after each step

Elements are float32 or float64 by elem size; tensors are concatenated in
order within each block.
"""
import json
import struct
import sys

import torch

SIZES = [1, 33, 500]
STEPS = 20

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
    for dtype, fmt, size in [(torch.float32, "<f", 4), (torch.float64, "<d", 8)]:
        gen = torch.Generator().manual_seed(20240601)
        init = [torch.randn(n, generator=gen, dtype=torch.float64).to(dtype) for n in SIZES]
        grads = [[(torch.randn(n, generator=gen, dtype=torch.float64) * (1 + s % 3)).to(dtype)
                  for n in SIZES] for s in range(STEPS)]
        blob = bytearray(b"DPAR")
        blob += struct.pack("<III", 1, size, len(SIZES))
        blob += struct.pack("<%dI" % len(SIZES), *SIZES)
        blob += struct.pack("<I", STEPS)

        def put(ts):
            for t in ts:
                blob.extend(t.detach().numpy().astype(fmt).tobytes())

        put(init)
        for g in grads:
            put(g)
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
                put(params)
        name = "%s/parity_f%d.bin" % (out_dir, size * 8)
        with open(name, "wb") as f:
            f.write(blob)
        print(name, len(blob), "bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
