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
VERDICTS = {"step": "lr: follows the plan (20 of 20 logged steps)",
            "both": "lr_step: follows the plan (20 of 20 logged steps)",
            "epoch": f"lr: {EPOCH}"}


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
