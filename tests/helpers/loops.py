"""Reference training loops, written from each library's trainer, with no lrplot code: the lr (and other
fields) of every param group before every optimizer update."""

from __future__ import annotations

import numpy as np
import torch


def two_group_sgd(lrs=(0.1, 0.02), **kwargs):
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs],
                           lr=0.5, **kwargs)


def record(opt, fields):
    return {f: [g[f] for g in opt.param_groups] for f in fields}


def as_arrays(rows, fields):
    return {f: np.array([r[f] for r in rows]).T for f in fields}


def plain_loop(steps, build, due, fields=("lr",), groups=1):
    """record; optimizer.step(); then every scheduler i whose due(i, updates_done) is true steps."""
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    scheds = build(opt)
    out = {(g, f): [] for g in range(groups) for f in fields}
    for t in range(steps):
        for g, group in enumerate(opt.param_groups):
            for f in fields:
                out[(g, f)].append(group[f])
        opt.step()
        for i, s in enumerate(scheds):
            if t + 1 < steps and due(i, t + 1):
                s.step()
    return out


# --- pytorch-accelerated ---------------------------------------------------------------------

def accelerated_trainer_loop(opt, sched, steps, fields=("lr",)):
    """pytorch-accelerated's Trainer: optimizer.step(); scheduler.step() after every update."""
    rows = []
    for _ in range(steps):
        rows.append(record(opt, fields))
        opt.step()
        sched.step()
    return as_arrays(rows, fields)


COSINE_ARGS = dict(num_warmup_epochs=2, warmup_starting_lr=1e-4, num_cooldown_epochs=1, lr_min=1e-3, k_decay=1.7)


# --- timm ------------------------------------------------------------------------------------

def timm_train_loop(opt, sched, steps, per, fields=("lr",)):
    """timm's train.py: num_updates counts across epochs; step_update(num_updates) after every
    update, step(epoch + 1) after every epoch."""
    rows = []
    epoch = 0
    while len(rows) < steps:
        num_updates = epoch * per
        for _ in range(per):
            if len(rows) == steps:
                break
            rows.append(record(opt, fields))
            opt.step()
            num_updates += 1
            sched.step_update(num_updates=num_updates)
        sched.step(epoch + 1)
        epoch += 1
    return as_arrays(rows, fields)


TIMM_CASES = {
    "per-epoch, warmup, 2 decaying cycles, k-decay": dict(
        t_initial=4, warmup_t=2, warmup_lr_init=1e-4, warmup_prefix=True, cycle_limit=2, cycle_decay=0.5,
        lr_min=1e-5, k_decay=1.5),
    "per-update, growing cycles, noise with a seed": dict(
        t_initial=60, t_in_epochs=False, warmup_t=15, warmup_lr_init=1e-3, cycle_mul=2.0, cycle_limit=3,
        noise_range_t=[30, 200], noise_pct=0.3, noise_seed=7),
    "per-epoch, uniform noise from epoch 3": dict(t_initial=10, noise_range_t=3, noise_pct=0.2, noise_seed=1234),
}


def torch_cosine(n: int) -> list[float]:
    """CosineAnnealingLR(T_max=40, eta_min=0.001) on SGD(lr=0.1), stepped n times by a plain torch loop:
    the lr each update used (the reference of the engine's and verify's runs past a plan's end)."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=40, eta_min=0.001)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out
