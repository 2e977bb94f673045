"""Accelerate's own TensorBoard tracker with gradient accumulation: logs written by a real Accelerator
(accelerate 1.15.0, one process) and recorded by tests/data/logs/accelerate/regenerate.py. Truth: the lr
each update used, recorded by an optimizer step pre-hook (``used.json``; Accelerate's prepared optimizer
runs one step per update), rounded to float32 as TensorBoard stores it; verdicts as whole lines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lrplot.logs import load_log
from lrplot.verify import verify_files

pytest.importorskip("tensorboard")
DATA = Path(__file__).parent / "data" / "logs" / "accelerate"
VERDICTS = {
    "ok": "lr: follows the plan (20 of 20 logged steps)",
    "micro": "lr: diverges at step 1: logged 0.100000001, plan 0.099384417 (1 of 40 logged steps agree); counted in "
             "micro-batches, not updates: the log's step counts micro-batches, 2 per update (step s is update s/2; "
             "the log runs 2 times the plan's length), the lr of each update as planned; log once per update (when "
             "sync_gradients), at the update count",
    "unprepared": "lr: diverges at step 0: logged 0.0993844196, plan 0.1 (1 of 20 logged steps agree); compressed in "
                  "time by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, once per "
                  "micro-batch with 2 accumulation steps, or an extra scheduler.step())",
}


@pytest.mark.parametrize("run", list(VERDICTS))
def test_each_logged_value_is_an_updates_lr_and_the_verdict_names_the_fault(run):
    used = np.float32(json.loads((DATA / run / "used.json").read_text())).astype(np.float64)
    assert len(used) == 20  # one optimizer step per update of 2 micro-batches
    (trace,) = load_log(DATA / run).schedules
    at, values = trace.at[(0, "lr")], trace.values[(0, "lr")]
    if run == "micro":  # micro-batch m of update m // 2: that update's lr
        assert (at.tolist(), values.tolist()) == (list(range(40)), np.repeat(used, 2).tolist())
    else:
        assert (at.tolist(), values.tolist()) == (list(range(20)), used.tolist())
    (v,) = verify_files(DATA / "plan.yaml", DATA / run).verdicts
    assert v.text() == VERDICTS[run]
