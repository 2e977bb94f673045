"""Write the example logs of the README's "Did the run follow the plan?" section.

A plain torch loop (SGD, warmup then cosine: LinearLR then CosineAnnealingLR in a SequentialLR,
as examples/logs/plan.yaml says) logs the lr of every update with torch.utils.tensorboard, twice:

- examples/logs/good/: the scheduler steps once per optimizer update, as planned;
- examples/logs/accum/: gradient accumulation over 4 micro-batches, with scheduler.step() wrongly
  called after every micro-batch instead of after every update.

    python examples/make_logs.py        # needs torch and tensorboard (pip install "lrplot[tensorboard]")
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from torch.utils.tensorboard import SummaryWriter

HERE = Path(__file__).resolve().parent / "logs"
UPDATES = 120
ACCUM = 4


def run(folder: Path, step_per_micro_batch: bool) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    warmup = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.01, total_iters=12)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=108, eta_min=1e-4)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[12])
    with SummaryWriter(str(folder)) as writer:
        for update in range(UPDATES):
            writer.add_scalar("lr", opt.param_groups[0]["lr"], update)  # the lr this update uses
            for _ in range(ACCUM):
                model(torch.randn(4, 8)).pow(2).mean().div(ACCUM).backward()
                if step_per_micro_batch:  # the bug
                    sched.step()
            opt.step()
            opt.zero_grad()
            if not step_per_micro_batch:
                sched.step()


if __name__ == "__main__":
    run(HERE / "good", step_per_micro_batch=False)
    run(HERE / "accum", step_per_micro_batch=True)
    print(HERE)
