"""Write the Accelerate logs of tests/test_logs_accelerate.py with Accelerate's OWN Accelerator and its
TensorBoard tracker (``log_with="tensorboard"``, ``accelerator.log(values, step=...)``).

Usage: python tests/data/logs/accelerate/regenerate.py

Measured with accelerate 1.15.0, torch 2.13 (CPU), tensorboard 2.21.0; one process. Each run: nn.Linear(2, 1),
SGD lr 0.1, CosineAnnealingLR(T_max=20), ``Accelerator(gradient_accumulation_steps=2)``, 40 micro-batches
(20 updates) in ``with accelerator.accumulate(model)``, the lr logged as read before ``optimizer.step()``.
An optimizer step pre-hook records the lr each update used (``<run>/used.json``; Accelerate's prepared
optimizer skips the step of a micro-batch that does not sync, so one record per update).

Runs (the plan is plan.yaml):
- ``ok``: the scheduler prepared (stepped by Accelerate once per update), the lr logged once per update
  (``if accelerator.sync_gradients``) at the update count;
- ``micro``: the same run, the lr logged at every micro-batch at the micro-batch's index;
- ``unprepared``: the scheduler left out of ``prepare`` and stepped after every micro-batch, logged per update.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from accelerate import Accelerator

HERE = Path(__file__).resolve().parent


def run(fault: str) -> None:
    out = HERE / fault
    shutil.rmtree(out, ignore_errors=True)
    acc = Accelerator(gradient_accumulation_steps=2, log_with="tensorboard", project_dir=str(out))
    acc.init_trackers("tb")
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
    used: list[float] = []
    opt.register_step_pre_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    if fault == "unprepared":
        model, opt = acc.prepare(model, opt)
    else:
        model, opt, sched = acc.prepare(model, opt, sched)
    update = 0
    for micro in range(40):
        with acc.accumulate(model):
            lr = opt.param_groups[0]["lr"]
            acc.backward(model(torch.ones(4, 2)).sum())
            opt.step()
            sched.step()
            opt.zero_grad()
        if fault == "micro":
            acc.log({"lr": lr}, step=micro)
        elif acc.sync_gradients:
            acc.log({"lr": lr}, step=update)
            update += 1
    acc.end_training()
    (out / "used.json").write_text(json.dumps(used))


if __name__ == "__main__":
    for fault in ("ok", "micro", "unprepared"):
        run(fault)
