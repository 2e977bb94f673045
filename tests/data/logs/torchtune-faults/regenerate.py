"""Write broken torchtune runs for tests/test_logs_torchtune_faults.py with torchtune's OWN DiskLogger.

Usage: python tests/data/logs/torchtune-faults/regenerate.py METRIC_LOGGING_PY

METRIC_LOGGING_PY is torchtune's ``torchtune/training/metric_logging.py`` (torchtune 0.6.1, a6290a5b), loaded as
tests/data/logs/torchtune/regenerate.py loads it (a stub parent package; its DiskLogger class unchanged). The loop
is the recipe's (``optimizer.step(); lr_scheduler.step(); global_step += 1``, then ``log_dict({"lr": get_lr(...)},
step=global_step)``, as tests/data/logs/torchtune/regenerate.py cites); the plan is ../torchtune/plan.yaml (24
updates). ``<case>/used.json``: the lr each update used (an optimizer step pre-hook).

- ``restarted/``: stopped after 10 updates and launched again (a ``log_<time>.txt`` per launch, as DiskLogger
  names its file). torchtune's recipes save no scheduler state: on resume they load the optimizer's state and
  build the scheduler with ``last_epoch=self.global_step - 1`` (recipes/full_finetune_single_device.py:348 at
  bd2a0fc7). Here the second launch loads the optimizer's state and builds the scheduler without it (the
  default ``last_epoch=-1``), as a recipe that drops that argument does: its lr starts the plan over.
- ``epoch/``: ``lr_scheduler.step()`` once per epoch of 6 updates instead of after every update
  (``log_epoch.txt``).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STOP, STEPS, EPOCH = 10, 24, 6


def main() -> None:
    spec = importlib.util.spec_from_file_location("_tt_regen", HERE.parent / "torchtune" / "regenerate.py")
    base = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(base)
    import torch

    DiskLogger = base.disk_logger(Path(sys.argv[1]))

    def update(model, optimizer):
        loss = model(torch.ones(1, 2)).pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    # restarted: two launches, the second without the scheduler's position
    out = HERE / "restarted"
    shutil.rmtree(out, ignore_errors=True)
    used: list[float] = []
    state = None
    for launch, (start, stop) in enumerate([(0, STOP), (STOP, STEPS)]):
        if launch:
            time.sleep(1.1)  # a new second: the next launch's file name
        model = torch.nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        if state is not None:
            optimizer.load_state_dict(state)  # the optimizer's state, then a scheduler built anew
        lr_scheduler = base.scheduler(optimizer)
        optimizer.register_step_pre_hook(lambda opt, args, kwargs: used.append(opt.param_groups[0]["lr"]))
        logger = DiskLogger(log_dir=str(out))
        global_step = start
        for _ in range(start, stop):
            loss = update(model, optimizer)
            lr_scheduler.step()
            global_step += 1
            logger.log_dict({"loss": loss.item(), "lr": optimizer.param_groups[0]["lr"]}, step=global_step)
        logger.close()
        state = optimizer.state_dict()
    (out / "used.json").write_text(json.dumps(used, indent=1) + "\n")

    # epoch: stepped once per epoch
    out = HERE / "epoch"
    shutil.rmtree(out, ignore_errors=True)
    used = []
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    lr_scheduler = base.scheduler(optimizer)
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: used.append(opt.param_groups[0]["lr"]))
    logger = DiskLogger(log_dir=str(out), filename="log_epoch.txt")
    global_step = 0
    for _ in range(STEPS // EPOCH):
        for _ in range(EPOCH):
            loss = update(model, optimizer)
            global_step += 1
            logger.log_dict({"loss": loss.item(), "lr": optimizer.param_groups[0]["lr"]}, step=global_step)
        lr_scheduler.step()
    logger.close()
    (out / "used.json").write_text(json.dumps(used, indent=1) + "\n")


if __name__ == "__main__":
    main()
