#!/usr/bin/env python3
"""PyTorch's CPU optimizers timed on the same steps as descent's benchmarks.

Runs torch.optim.Adam and torch.optim.SGD (single tensor, one thread, the
default implementation of the installed torch) at the benchmark sizes and
prints Go benchmark lines with impl=torch, so that bench/peers/run.sh can put
them beside descent's and the C loop's. Usage: torch_optim.py [mintime].
"""
import sys
import time

import torch

torch.set_num_threads(1)
MINTIME = float(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "--storage" else 1.0
SIZES = [4096, 65536, 1 << 20, 1 << 24]


def bench(name, dtype, n, nbytes, make_opt, label=None):
    torch.manual_seed(1)
    p = torch.nn.Parameter(torch.randn(n, dtype=dtype))
    p.grad = torch.randn(n, dtype=dtype)
    opt = make_opt([p])
    opt.step()  # allocate the state
    iters = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(iters):
            opt.step()
        t = time.perf_counter() - t0
        if t >= MINTIME:
            break
        iters = max(iters * 2, int(iters * 1.2 * MINTIME / max(t, 1e-9)) + 1)
    ns = t / iters * 1e9
    dt = "f32" if dtype == torch.float32 else "f64"
    label = label or f"Benchmark{name}/{dt}/n={n}/impl=torch"
    print(f"{label} \t{iters:8d}\t{ns:14.1f} ns/op\t"
          f"{nbytes * n / ns * 1e3:10.2f} MB/s\t{n / ns * 1e9:12.0f} elem/s", flush=True)


for n in SIZES if "--storage" not in sys.argv else []:
    for dtype, size in ((torch.float32, 4), (torch.float64, 8)):
        bench("Adam", dtype, n, 7 * size, lambda ps: torch.optim.Adam(ps, lr=1e-3))
        bench("SGD", dtype, n, 3 * size, lambda ps: torch.optim.SGD(ps, lr=1e-3))


# Storage: torch's Adam over bfloat16 parameters, gradient and state (its
# CPU path keeps the state in the parameter's dtype, with no float32 master
# weights), beside descent's BenchmarkStorage rows. Bytes: 2 (grad) + 2·2
# (param) + 2·2·2 (m, v).
if "--storage" in sys.argv:
    for n in (1 << 16, 1 << 24):
        bench("Adam", torch.bfloat16, n, 14, lambda ps: torch.optim.Adam(ps, lr=1e-3),
              label=f"BenchmarkStorage/Adam/bf16-torch/n={n}/threads=1")
