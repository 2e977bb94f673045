"""The lr a LightningModule logs itself (``self.log`` in ``training_step``, as NeMo logs ``lr``), with
gradient accumulation, written by a real Lightning 2.6.6 Trainer's CSVLogger and TensorBoardLogger and
recorded by tests/data/logs/lightning-selflog/regenerate.py. ``self.log`` stores a float32 tensor, so both
logs hold float32 numbers (metrics.csv too); with ``on_epoch=True`` the per-update series is ``lr_step``.
Truth: the lr each update used, recorded by an optimizer step pre-hook (``used.json``), as float32."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lrplot.logs import load_log, log_info
from lrplot.verify import verify_files

pytest.importorskip("tensorboard")
DATA = Path(__file__).parent / "data" / "logs" / "lightning-selflog"
EPOCH = ("diverges at step 1: logged 0.100000001, plan 0.099384417 (1 of 20 logged steps agree); stretched in time "
         "by k=10: the scheduler stepped once every 10 updates (once per epoch of 10 updates instead of after every "
         "update)")
TWICE = ("diverges at step 1: logged 0.0975528285, plan 0.099384417 (1 of 20 logged steps agree); compressed in time "
         "by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, once per micro-batch "
         "with 2 accumulation steps, or an extra scheduler.step())")
VERDICTS = {"step": "lr: follows the plan (20 of 20 logged steps)",
            "both": "lr_step: follows the plan (20 of 20 logged steps)",
            "epoch": f"lr: {EPOCH}", "twice": f"lr: {TWICE}"}


@pytest.mark.parametrize("logger", ["csv", "tb"])
@pytest.mark.parametrize("run", list(VERDICTS))
def test_each_update_logged_once_its_float32_lr_and_the_verdict(run, logger):
    used = np.float32(json.loads((DATA / run / "used.json").read_text())).astype(np.float64)
    assert len(used) == 20  # 40 micro-batches, 2 per update
    (trace,) = load_log(DATA / run / logger).schedules
    assert (log_info(trace).dtype, trace.at[(0, "lr")].tolist()) == ("float32", list(range(20)))
    assert trace.values[(0, "lr")].tolist() == used.tolist()
    (v,) = verify_files(DATA / "plan.yaml", DATA / run / logger).verdicts
    assert v.text() == VERDICTS[run]


def test_the_epoch_mean_column_is_not_read_as_an_updates_lr():
    header = (DATA / "both" / "csv" / "version_0" / "metrics.csv").read_text().splitlines()[0]
    assert header == "epoch,lr_epoch,lr_step,step"
    (trace,) = load_log(DATA / "both" / "csv").schedules
    assert list(log_info(trace).keys.values()) == ["lr_step"]


@pytest.mark.parametrize("logger", ["csv", "tb"])
def test_a_fit_resumed_without_the_schedulers_state_is_two_runs_the_second_restarted(logger):
    """Stopped after 12 updates and fitted again from that checkpoint without the scheduler's state: each launch
    logs into a ``version_<n>`` folder. Update 12 used the lr the optimizer's state restored (the plan's); the
    rebuilt CosineAnnealingLR steps on from it."""
    used = np.float32(json.loads((DATA / "resume" / "used.json").read_text())).astype(np.float64)
    plan = np.float32(json.loads((DATA / "step" / "used.json").read_text())).astype(np.float64)
    assert len(used) == 20 and used[:13].tolist() == plan[:13].tolist() and used[13] != plan[13]
    first, second = load_log(DATA / "resume" / logger).schedules
    assert first.at[(0, "lr")].tolist() == list(range(12)) and second.at[(0, "lr")].tolist() == list(range(12, 20))
    assert first.values[(0, "lr")].tolist() + second.values[(0, "lr")].tolist() == used.tolist()
    report = verify_files(DATA / "plan.yaml", DATA / "resume" / logger)
    assert [v.text() for v in report.verdicts] == [
        "version_0 · lr: follows the plan (12 of 12 logged steps); the log ends at step 11, the plan at step 19",
        "version_1 · lr: diverges at step 13: logged 0.0343364701, plan 0.027300475 (1 of 8 logged steps agree); "
        "restarted at step n=12 from the lr it had there: the scheduler was built anew without its state and stepped "
        "on from the lr the optimizer's checkpoint restored (a resume that loaded the optimizer's state but not the "
        "scheduler's)"]
