"""Stepped once per process, in the logs Accelerate's own trackers write: a REAL 2-process ``accelerate launch`` on
the CPU (gloo) logging the lr with ``accelerator.log`` to TensorBoard, W&B (offline) and MLflow (sqlite store and
file store), recorded by tests/data/logs/accelerate-processes/regenerate.py (versions, runs and the launch named
there; ``versions.json`` holds the process count the run reported).

Truth: the lr each update used on process 0, recorded by an optimizer step pre-hook (``used.json``; both processes'
were checked equal), float32 where TensorBoard stores it; every logged value ``==`` it at the step lrplot puts it.
``ok`` (``step_scheduler_with_optimizer=False``) is also compared with torch's OneCycleLR stepped once per update.
Verdicts as whole lines with their exit codes: Accelerate's default steps the prepared scheduler once per process,
2 times per update (OneCycleLR not past ``total_steps``: named from the log alone); a cosine stepped so is
named once the run's process count is given (``--devices 2``), else "compressed by k=2"."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lrplot.logs import load_log
from tests.helpers.installed import require

require("wandb", "tensorboard")
DATA = Path(__file__).parent / "data" / "logs" / "accelerate-processes"
CASES = ["ok", "processes", "processes-cosine"]
FORMATS = ["tensorboard", "wandb", "mlflow-sqlite", "mlflow-files"]


def log(case: str, fmt: str) -> list[str]:
    """The ``--log`` arguments of one case's log in one format."""
    return {"tensorboard": [str(DATA / case / "tb")], "wandb": [str(DATA / case / f"run-{case}.wandb")],
            "mlflow-sqlite": [str(DATA / "mlflow.db"), "--log-run", case],
            "mlflow-files": [str(DATA / "mlruns"), "--log-run", case]}[fmt]


def used(case: str, fmt: str) -> list[float]:
    lrs = json.loads((DATA / case / "used.json").read_text())
    return np.float32(lrs).astype(np.float64).tolist() if fmt == "tensorboard" else lrs


def plan(case: str) -> Path:
    return DATA / ("plan-cosine.yaml" if case == "processes-cosine" else "plan-onecycle.yaml")


def test_the_run_had_two_processes_and_the_healthy_one_is_torchs_scheduler_stepped_once_per_update():
    import torch

    assert json.loads((DATA / "versions.json").read_text())["num_processes"] == dict.fromkeys(CASES, 2)
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=24)
    expected = []
    for _ in range(24):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert used("ok", "wandb") == expected
    assert used("processes", "wandb") != expected


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", CASES)
def test_every_logged_value_is_the_lr_its_update_used(case, fmt):
    path, *run = log(case, fmt)
    (trace,) = load_log(Path(path), run=run[-1] if run else None).schedules
    assert trace.at[(0, "lr")].tolist() == list(range(24))
    assert trace.values[(0, "lr")].tolist() == used(case, fmt)  # ==, no tolerance


FOLLOWS = "lr: follows the plan (24 of 24 logged steps)\n"
PER_PROCESS = ("stepped once per process (Accelerate, 2 processes): the scheduler stepped 2 times per update, as "
               "Accelerate's prepared scheduler does unless split_batches=True or step_scheduler_with_optimizer=False "
               "(the plan re-simulated so matches every logged value)\n")
COMPRESSED = ("compressed in time by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, "
              "once per micro-batch with 2 accumulation steps, or an extra scheduler.step())\n")
# TensorBoard's float32 of update 1's lr, and of update 16's, which the cosine stepped twice meets again (step 32
# of a cosine of T_max 24 is its step 16: 0.025); W&B and MLflow keep the double, an ulp away
ONE_CYCLE = "lr: diverges at step 1: logged {}, plan 0.0100313624 (2 of 24 logged steps agree); "
COSINE = "lr: diverges at step 1: logged {}, plan 0.0995722431 ({} of 24 logged steps agree); "
DOUBLE = {"processes": ONE_CYCLE.format("0.0266097275"), "processes-cosine": COSINE.format("0.0982962913", 1)}
SINGLE = {"processes": ONE_CYCLE.format("0.0266097281"), "processes-cosine": COSINE.format("0.0982962921", 2)}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case, devices", [("ok", None), ("processes", None), ("processes-cosine", None),
                                           ("processes-cosine", 2), ("ok", 2)])
def test_the_healthy_run_follows_and_stepping_once_per_process_is_named(cli, case, devices, fmt):
    args = ["--devices", str(devices)] if devices else []
    r = cli("verify", plan(case), "--log", *log(case, fmt), *args, "-o", "none")
    if case == "ok":
        assert (r.exit_code, r.output) == (0, FOLLOWS)
        return
    head = (SINGLE if fmt == "tensorboard" else DOUBLE)[case]
    cause = COMPRESSED if case == "processes-cosine" and not devices else PER_PROCESS
    assert (r.exit_code, r.output) == (1, head + cause)
