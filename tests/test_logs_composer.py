"""Composer's own logs: a real Composer 0.32.1 Trainer with LRMonitor and its TensorBoard, MLflow and
W&B (offline) loggers, recorded by tests/data/logs/composer/regenerate.py (runs, versions and the
stand-ins it needs named there). Truth: the lr each update used, recorded by an optimizer step pre-hook
(``used.json``); TensorBoard stores float32. LRMonitor logs at BATCH_END, after the scheduler stepped, at
the batches done (lrplot/logs/conventions.py), so logged step s holds the lr update s used (0-based), and
the 20th the lr after the last update; a scheduler stepped at EPOCH_END (``step_schedulers_every_batch=
False``) steps after that batch's log, so there step s holds the lr of update s - 1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lrplot.logs import load_log
from lrplot.verify import verify_files

pytest.importorskip("tensorboard")
DATA = Path(__file__).parent / "data" / "logs" / "composer"
KEY = "lr-SGD/group0"


def logs(fault: str) -> dict[str, tuple[Path, str | None]]:
    (wandb,) = (DATA / fault).glob("run-*.wandb")
    return {"tensorboard": (DATA / fault / "tb", None), "wandb": (wandb, None), "mlflow": (DATA / "mlflow.db", fault)}


def read(fault: str, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    path, run = logs(fault)[fmt]
    (trace,) = load_log(path, run=run).schedules
    return trace.at[(0, "lr")], trace.values[(0, "lr")]


@pytest.mark.parametrize("fmt", ["tensorboard", "wandb", "mlflow"])
@pytest.mark.parametrize("fault", ["ok", "twice", "accum", "epoch"])
def test_every_logged_value_is_the_lr_an_update_used(fault, fmt):
    used = json.loads((DATA / fault / "used.json").read_text())
    assert len(used) == 20  # one update per batch, also with 4 micro-batches a batch (accum)
    at, values = read(fault, fmt)
    expected = np.float32(used).astype(np.float64) if fmt == "tensorboard" else np.array(used)
    if fault == "epoch":  # stepped at EPOCH_END, after the batch's log: step s holds update s - 1's lr
        pairs = dict(zip(range(1, 21), expected[:20]))
    else:  # step s: the lr update s used; step 20's, the lr after the last update, has no update to compare
        pairs = dict(zip(range(1, 20), expected[1:20]))
    if fmt == "mlflow" and fault == "epoch":  # Composer's MLFlowLogger skips a value equal to the last logged
        assert at.tolist() == [1, 6, 11, 16]
    else:
        assert at.tolist() == list(range(1, 21))
    assert [v for s, v in zip(at.tolist(), values.tolist()) if s in pairs] == [pairs[s] for s in at.tolist()
                                                                               if s in pairs]


FOLLOWS = f"{KEY}: follows the plan (20 of 20 logged steps)"
TWICE = ("diverges at step 1: logged {}, plan 0.099384417 (0 of 20 logged steps agree); compressed in time by k=2: "
         "the scheduler stepped 2 times per update (once per process on 2 processes, once per micro-batch with 2 "
         "accumulation steps, or an extra scheduler.step())")
EPOCH = ("diverges at step 1: logged {}, plan 0.099384417 ({}); stretched in time by k=5: the scheduler stepped once "
         "every 5 updates (once per epoch of 5 updates instead of after every update)")
VERDICTS = {
    ("ok", "tensorboard"): FOLLOWS, ("ok", "wandb"): FOLLOWS, ("ok", "mlflow"): FOLLOWS,
    ("accum", "tensorboard"): FOLLOWS, ("accum", "wandb"): FOLLOWS, ("accum", "mlflow"): FOLLOWS,
    ("twice", "tensorboard"): f"{KEY}: " + TWICE.format("0.0975528285"),
    ("twice", "wandb"): f"{KEY}: " + TWICE.format("0.0975528258"),
    ("twice", "mlflow"): f"{KEY}: " + TWICE.format("0.0975528258"),
    ("epoch", "tensorboard"): f"{KEY}: " + EPOCH.format("0.100000001", "0 of 20 logged steps agree"),
    ("epoch", "wandb"): f"{KEY}: " + EPOCH.format("0.1", "0 of 20 logged steps agree"),
    ("epoch", "mlflow"): f"{KEY}: " + EPOCH.format("0.1", "0 of 4 logged steps agree"),
}


@pytest.mark.parametrize("fault, fmt", list(VERDICTS))
def test_a_healthy_run_follows_and_a_broken_one_is_named(fault, fmt):
    path, run = logs(fault)[fmt]
    (v,) = verify_files(DATA / "plan.yaml", path, log_run=run).verdicts
    assert v.text() == VERDICTS[fault, fmt]


def test_a_resume_without_the_schedulers_state_appends_to_the_same_tensorboard_folder():
    """The second Trainer loads the checkpoint but not the scheduler (load_ignore_keys): its new
    CosineAnnealingLR steps on from the lr the optimizer's state restored. Both runs' event files lie in one
    folder; read together, steps 1-12 are the first run's and 13-20 the second's."""
    used = np.float32(json.loads((DATA / "resume" / "used.json").read_text())).astype(np.float64)
    # loading the checkpoint, torch's _init_optim_state (torch/distributed/checkpoint/state_dict.py:629-662)
    # steps the optimizer once with lr 0 to create its state: the hook records it, no batch ran
    assert (len(used), used[12]) == (21, 0.0)
    used = np.delete(used, 12)
    at, values = read("resume", "tensorboard")
    assert at.tolist() == list(range(1, 21))
    # the first run's last log (step 12) holds its own scheduler's lr for update 12, which the second never used
    assert [v for s, v in zip(at.tolist(), values.tolist()) if s != 12 and s < 20] == [
        u for s, u in enumerate(used.tolist()) if 1 <= s < 20 and s != 12]
    (v,) = verify_files(DATA / "plan.yaml", DATA / "resume" / "tb").verdicts
    assert v.text() == (f"{KEY}: diverges at step 13: logged 0.0343364701, plan 0.027300475 (12 of 20 logged steps "
                        "agree); restarted at step n=12 from the lr it had there: the scheduler was built anew without "
                        "its state and stepped on from the lr the optimizer's checkpoint restored (a resume that "
                        "loaded the optimizer's state but not the scheduler's)")
