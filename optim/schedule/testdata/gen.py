#!/usr/bin/env python3
"""Generate pytorch_lr.json: learning-rate sequences from PyTorch 1.13's
torch.optim.lr_scheduler, for schedule's tests (which do not need torch).

Run from optim/schedule:  python3 testdata/gen.py > testdata/pytorch_lr.json

Each case records, for k = 0..steps-1, the lr of every param group used by
the update that follows k completed updates (optim's step k, PyTorch's
last_epoch k; and the momentum for OneCycleLR), in PyTorch's order: read lr,
optimizer.step(), scheduler.step() (ReduceLROnPlateau:
scheduler.step(metrics[k])). The schedulers are stepped normally (PyTorch's
recursive "chainable" form), not through their closed forms.
"""
import json
import math
import random
import sys
import warnings

import torch
from torch.optim import SGD
from torch.optim import lr_scheduler as L

warnings.simplefilter("error")  # any scheduler warning is a bug in this script
# ...except the one SequentialLR itself causes by calling step(0) at a milestone.
warnings.filterwarnings("ignore", message="The epoch parameter")

BASES = [0.1, 0.003]
STEPS = 100


def make_opt(bases):
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": b} for b in bases]
    return SGD(groups, lr=bases[0], momentum=0.9)


def build(kind, p, opt):
    if kind == "constant":
        return L.LambdaLR(opt, lambda e: 1.0)
    if kind == "step":
        return L.StepLR(opt, step_size=p["step_size"], gamma=p["gamma"])
    if kind == "multistep":
        return L.MultiStepLR(opt, milestones=p["milestones"], gamma=p["gamma"])
    if kind == "exponential":
        return L.ExponentialLR(opt, gamma=p["gamma"])
    if kind == "cosine":
        return L.CosineAnnealingLR(opt, T_max=p["t_max"], eta_min=p["eta_min"])
    if kind == "warmup":
        warm = L.LinearLR(opt, start_factor=p["start_factor"], end_factor=1.0,
                          total_iters=p["warmup_steps"])
        inner = build(p["inner"]["kind"], p["inner"]["params"], opt)
        return L.SequentialLR(opt, [warm, inner], milestones=[p["warmup_steps"]])
    if kind == "onecycle":
        max_lr = p["max_lr"] if p["max_lr"] != 0 else [g["lr"] for g in opt.param_groups]
        return L.OneCycleLR(opt, max_lr=max_lr, total_steps=p["total_steps"],
                            pct_start=p["pct_start"], anneal_strategy=p["anneal"],
                            div_factor=p["div_factor"], final_div_factor=p["final_div_factor"],
                            three_phase=p["three_phase"], base_momentum=p["base_momentum"],
                            max_momentum=p["max_momentum"])
    if kind == "linear":
        return L.LinearLR(opt, start_factor=p["start_factor"], end_factor=p["end_factor"],
                          total_iters=p["total_iters"])
    if kind == "polynomial":
        return L.PolynomialLR(opt, total_iters=p["total_iters"], power=p["power"])
    if kind == "restarts":
        return L.CosineAnnealingWarmRestarts(opt, T_0=p["t_0"], T_mult=p["t_mult"], eta_min=p["eta_min"])
    if kind == "plateau":
        return L.ReduceLROnPlateau(opt, mode=p["mode"], factor=p["factor"], patience=p["patience"],
                                   threshold=p["threshold"], threshold_mode=p["threshold_mode"],
                                   cooldown=p["cooldown"], min_lr=p["min_lr"], eps=p["eps"])
    raise ValueError(kind)


def run(name, kind, params, steps=STEPS, bases=BASES, metrics=None):
    opt = make_opt(bases)
    sched = build(kind, params, opt)
    lrs, moms = [], []
    for k in range(steps):
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        if k == steps - 1:
            break  # the next lr is not used by any recorded step
        if kind == "plateau":
            sched.step(metrics[k])
        else:
            sched.step()
    case = {"name": name, "kind": kind, "params": params, "base_lrs": bases,
            "steps": steps, "lr": lrs}
    if kind == "onecycle":
        case["momentum"] = moms
    if metrics is not None:
        case["metrics"] = metrics
    return case


def onecycle(**kw):
    p = dict(max_lr=0.1, total_steps=STEPS, pct_start=0.3, anneal="cos", div_factor=25.0,
             final_div_factor=1e4, three_phase=False, base_momentum=0.85, max_momentum=0.95)
    p.update(kw)
    return p


def plateau(**kw):
    p = dict(mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
             cooldown=0, min_lr=0.0, eps=1e-8)
    p.update(kw)
    return p


def metric_sequences():
    rng = random.Random(20240613)
    # A loss that improves, stalls, improves a little, and stalls again.
    loss = []
    v = 2.0
    for k in range(STEPS):
        if k < 20 or 45 <= k < 55:
            v *= 0.93
        loss.append(round(v * (1 + 0.002 * rng.uniform(-1, 1)), 12))
    # An accuracy that rises and saturates, with small wiggles.
    acc = [round(0.9 - 0.8 * math.exp(-k / 12) + 0.001 * rng.uniform(-1, 1), 12)
           for k in range(STEPS)]
    return loss, acc


def main():
    assert torch.__version__.startswith("1.13"), torch.__version__
    loss, acc = metric_sequences()
    cases = [
        run("constant", "constant", {}),
        run("step/7/0.5", "step", {"step_size": 7, "gamma": 0.5}),
        run("step/30/0.1", "step", {"step_size": 30, "gamma": 0.1}),
        run("multistep/dup", "multistep", {"milestones": [10, 25, 25, 60], "gamma": 0.3}),
        run("multistep/unsorted", "multistep", {"milestones": [60, 0, 10], "gamma": 0.5}),
        run("exponential/0.95", "exponential", {"gamma": 0.95}),
        run("exponential/0.999", "exponential", {"gamma": 0.999}),
        run("exponential/1.02", "exponential", {"gamma": 1.02}),
        run("cosine/100", "cosine", {"t_max": 100, "eta_min": 0.0}),
        run("cosine/99", "cosine", {"t_max": 99, "eta_min": 0.0}),
        run("cosine/30/etamin", "cosine", {"t_max": 30, "eta_min": 1e-3}),
        run("cosine/1", "cosine", {"t_max": 1, "eta_min": 0.0}, steps=10),
        run("warmup/10/cosine", "warmup", {"warmup_steps": 10, "start_factor": 0.1,
            "inner": {"kind": "cosine", "params": {"t_max": 90, "eta_min": 1e-4}}}),
        run("warmup/5/step", "warmup", {"warmup_steps": 5, "start_factor": 1 / 3,
            "inner": {"kind": "step", "params": {"step_size": 10, "gamma": 0.5}}}),
        run("warmup/20/exponential", "warmup", {"warmup_steps": 20, "start_factor": 0.01,
            "inner": {"kind": "exponential", "params": {"gamma": 0.97}}}),
        run("warmup/7/multistep", "warmup", {"warmup_steps": 7, "start_factor": 0.5,
            "inner": {"kind": "multistep", "params": {"milestones": [5, 20], "gamma": 0.1}}}),
        run("warmup/3/constant", "warmup", {"warmup_steps": 3, "start_factor": 0.25,
            "inner": {"kind": "constant", "params": {}}}),
        run("warmup/1/cosine", "warmup", {"warmup_steps": 1, "start_factor": 0.5,
            "inner": {"kind": "cosine", "params": {"t_max": 99, "eta_min": 0.0}}}),
        run("onecycle/default", "onecycle", onecycle()),
        run("onecycle/linear", "onecycle", onecycle(anneal="linear")),
        run("onecycle/three_phase", "onecycle", onecycle(three_phase=True)),
        run("onecycle/three_phase/linear", "onecycle", onecycle(three_phase=True, anneal="linear")),
        run("onecycle/pct0", "onecycle", onecycle(pct_start=0.0)),
        run("onecycle/pct1", "onecycle", onecycle(pct_start=1.0)),
        run("onecycle/odd", "onecycle", onecycle(total_steps=37, pct_start=0.25, div_factor=10.0,
            final_div_factor=100.0, base_momentum=0.8, max_momentum=0.99), steps=37),
        run("onecycle/per-group", "onecycle", onecycle(max_lr=0)),
        run("linear/decay", "linear", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 100}),
        run("linear/partial", "linear", {"start_factor": 0.25, "end_factor": 0.75, "total_iters": 30}),
        run("polynomial/1", "polynomial", {"total_iters": 100, "power": 1.0}),
        run("polynomial/2", "polynomial", {"total_iters": 60, "power": 2.0}),
        run("polynomial/0.5", "polynomial", {"total_iters": 37, "power": 0.5}),
        run("restarts/10/1", "restarts", {"t_0": 10, "t_mult": 1, "eta_min": 0.0}),
        run("restarts/7/2", "restarts", {"t_0": 7, "t_mult": 2, "eta_min": 1e-4}),
        run("restarts/1/3", "restarts", {"t_0": 1, "t_mult": 3, "eta_min": 0.0}),
        run("plateau/default", "plateau", plateau(), metrics=loss),
        run("plateau/min/rel", "plateau", plateau(patience=3, factor=0.5), metrics=loss),
        run("plateau/min/abs/cooldown", "plateau",
            plateau(patience=2, factor=0.3, threshold=1e-3, threshold_mode="abs", cooldown=4),
            metrics=loss),
        run("plateau/min/minlr", "plateau", plateau(patience=1, factor=0.2, min_lr=1e-3),
            metrics=loss),
        run("plateau/min/eps", "plateau", plateau(patience=1, factor=0.5, eps=1e-3),
            metrics=loss),
        run("plateau/max/rel", "plateau", plateau(mode="max", patience=4, factor=0.5), metrics=acc),
        run("plateau/max/abs/cooldown", "plateau",
            plateau(mode="max", patience=0, factor=0.7, threshold=2e-3, threshold_mode="abs",
                    cooldown=2), metrics=acc),
    ]
    # One case per line: readable diffs, small file.
    out = sys.stdout
    out.write('{"torch_version": %s,\n "cases": [\n' % json.dumps(torch.__version__))
    out.write(",\n".join("  " + json.dumps(c) for c in cases))
    out.write("\n ]\n}\n")


if __name__ == "__main__":
    main()
