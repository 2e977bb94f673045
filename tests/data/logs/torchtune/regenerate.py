"""Write the torchtune logs of tests/test_logs_torchtune.py with torchtune's OWN DiskLogger.

Usage: python tests/data/logs/torchtune/regenerate.py METRIC_LOGGING_PY

METRIC_LOGGING_PY is torchtune's ``torchtune/training/metric_logging.py`` (pytorch/torchtune at
bd2a0fc7c31430972728494fa01aaeeb0ebf1ba1). It is loaded under a stub ``torchtune`` parent package
(``torchtune.utils`` gives it ``get_logger`` and ``get_world_size_and_rank``), so that torchtune itself,
which pins its own torch and torchao, need not be installed; its DiskLogger class is used unchanged.

The training loop is the recipe's, recipes/full_finetune_single_device.py at that commit, lines
621-662: ``optimizer.step(); optimizer.zero_grad(); lr_scheduler.step(); global_step += 1`` and then,
every ``log_every_n_steps``, ``log_dict({"loss": ..., "lr": get_lr(optimizer), ...},
step=global_step)``: the lr read AFTER the scheduler stepped, at the step that counts the update.
``get_lr`` (torchtune/training/lr_schedulers.py:88-120) returns ``param_groups[0]["lr"]``. An optimizer
step pre-hook records the lr each update used (``used.json``), the reference the test compares with.

Runs (the plan is plan.yaml: SGD lr 0.1, 4 updates of LinearLR warmup then cosine, 24 updates):
- ``ok``: the recipe's loop, txt (``log_ok.txt``) and jsonl (``log_ok.jsonl``), every update;
- ``twice``: ``lr_scheduler.step()`` called twice per update (``log_twice.txt``);
- ``sparse``: ``log_every_n_steps=5`` (``log_sparse.jsonl``).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
STEPS = 24


def disk_logger(metric_logging: Path):
    import logging

    root = types.ModuleType("torchtune")
    root.__path__ = []  # a package
    utils = types.ModuleType("torchtune.utils")
    utils.get_logger = lambda level=None: logging.getLogger("torchtune")
    utils.get_world_size_and_rank = lambda: (1, 0)
    sys.modules.update({"torchtune": root, "torchtune.utils": utils})
    spec = importlib.util.spec_from_file_location("torchtune.training.metric_logging", metric_logging)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.DiskLogger


def scheduler(optimizer):
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=4)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS - 4)
    return torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[4])


def run(DiskLogger, name: str, fmt: str, *, twice: bool = False, every: int = 1) -> list[float]:
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    lr_scheduler = scheduler(optimizer)
    used: list[float] = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: used.append(opt.param_groups[0]["lr"]))
    logger = DiskLogger(log_dir=str(HERE), output_fmt=fmt, filename=f"log_{name}.{fmt}")
    global_step = 0
    for _ in range(STEPS):
        loss = model(torch.ones(1, 2)).pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        lr_scheduler.step()
        if twice:
            lr_scheduler.step()
        global_step += 1
        if global_step % every == 0:
            lr = optimizer.param_groups[0]["lr"]  # torchtune's get_lr for one optimizer
            logger.log_dict({"loss": loss.item(), "lr": lr, "tokens_per_second_per_gpu": 100.0}, step=global_step)
    logger.close()
    return used


def main() -> None:
    for stale in HERE.glob("log_*.*"):
        stale.unlink()  # DiskLogger appends
    DiskLogger = disk_logger(Path(sys.argv[1]))
    used = {"ok": run(DiskLogger, "ok", "txt")}
    assert run(DiskLogger, "ok", "jsonl") == used["ok"]
    used["twice"] = run(DiskLogger, "twice", "txt", twice=True)
    assert run(DiskLogger, "sparse", "jsonl", every=5) == used["ok"]
    (HERE / "used.json").write_text(json.dumps(used, indent=1) + "\n")


if __name__ == "__main__":
    main()
