"""Write a torchtune run resumed once: two DiskLogger files in one folder, one per launch.

Usage: python tests/data/logs/torchtune-resumed/regenerate.py METRIC_LOGGING_PY

METRIC_LOGGING_PY is torchtune's ``torchtune/training/metric_logging.py`` (here torchtune 0.6.1's), loaded as
tests/data/logs/torchtune/regenerate.py loads it (a stub parent package; its DiskLogger class unchanged).
Each launch makes a new ``DiskLogger(log_dir)``, which names its file ``log_{int(time.time())}.txt``
(metric_logging.py:138-144 in 0.6.1): a resumed run leaves one file per launch. The loop is the recipe's
(``optimizer.step(); lr_scheduler.step(); global_step += 1``, then ``log_dict({"lr": get_lr(...)},
step=global_step)``, as in tests/data/logs/torchtune/regenerate.py); the first launch stops after 10 of 24
updates, the second restores the optimizer's and the scheduler's state_dict and ``global_step`` and runs
updates 11..24. ``used.json``: the lr each update used (an optimizer step pre-hook). The plan is
../torchtune/plan.yaml.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STOP, STEPS = 10, 24


def main() -> None:
    spec = importlib.util.spec_from_file_location("_tt_regen", HERE.parent / "torchtune" / "regenerate.py")
    base = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(base)
    import torch

    for stale in HERE.glob("log_*.txt"):
        stale.unlink()
    DiskLogger = base.disk_logger(Path(sys.argv[1]))
    used: list[float] = []
    state = None
    for launch, (start, stop) in enumerate([(0, STOP), (STOP, STEPS)]):
        if launch:
            time.sleep(1.1)  # a new second: the next launch's file name
        model = torch.nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        lr_scheduler = base.scheduler(optimizer)
        if state is not None:
            optimizer.load_state_dict(state["optimizer"])
            lr_scheduler.load_state_dict(state["scheduler"])
        optimizer.register_step_pre_hook(lambda opt, args, kwargs: used.append(opt.param_groups[0]["lr"]))
        logger = DiskLogger(log_dir=str(HERE))
        global_step = start
        for _ in range(start, stop):
            loss = model(torch.ones(1, 2)).pow(2).mean()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            lr_scheduler.step()
            global_step += 1
            logger.log_dict({"loss": loss.item(), "lr": optimizer.param_groups[0]["lr"]}, step=global_step)
        logger.close()
        state = {"optimizer": optimizer.state_dict(), "scheduler": lr_scheduler.state_dict()}
    (HERE / "used.json").write_text(json.dumps(used, indent=1) + "\n")


if __name__ == "__main__":
    main()
