"""DeepSpeed's own monitor log: a real deepspeed 0.19.8 engine on CPU logging ``Train/Samples/lr`` to TensorBoard,
recorded by tests/data/logs/deepspeed/regenerate.py (runs and versions named there). The monitor logs
``get_lr()[0]`` inside ``engine.step()``, after the engine stepped its scheduler, at the samples seen
(lrplot/logs/conventions.py), so logged step 16*s holds the lr update s used, unless the script steps a
scheduler after ``engine.step()`` (twice: a second step per update; epoch: its own scheduler once per 5-update
epoch), which the log no longer sees. Truth: the lr each update used, recorded by an optimizer step pre-hook
(``used.json``), float32 as TensorBoard stores it; verdicts as whole lines.

The plan is DeepSpeed's WarmupCosineLR, whose first two updates use lr 0 (its first value is set at
construction and again at the first step): a scheduler stepped per epoch changes the lr first at the second
epoch, which "stretched" has to find from the plan's first change, not its first step; and a script's extra
``lr_scheduler.step()`` after ``engine.step()`` leaves the log with the plan's step 2s-1, between two updates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lrplot.logs import load_log
from lrplot.verify import verify_files

pytest.importorskip("tensorboard")
DATA = Path(__file__).parent / "data" / "logs" / "deepspeed"
KEY = "Train/Samples/lr"
SPACING = ("; the log's steps count samples: 16 samples per update: the log's step spacing (it logs every update); "
           "--global-batch says otherwise")
VERDICTS = {
    "ok": f"{KEY}: follows the plan (20 of 20 logged steps){SPACING}",
    "accum": f"{KEY}: follows the plan (20 of 20 logged steps){SPACING}",
    "twice": f"{KEY}: diverges at step 32: logged 0.0399999991, plan 0.02 (2 of 20 logged steps agree); compressed in "
             "time by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, once per "
             "micro-batch with 2 accumulation steps, or an extra scheduler.step())",
    "epoch": f"{KEY}: diverges at step 32: logged 0, plan 0.02 (1 of 20 logged steps agree); stretched in time by k=5: "
             "the scheduler stepped once every 5 updates (once per epoch of 5 updates instead of after every update)",
    "resume": f"{KEY}: diverges at step 208: logged 0, plan 0.0447790995 (12 of 20 logged steps agree); restarted at "
              "update n=12 (the log's step 192): from there the lr starts the plan over (a resume that rebuilt the scheduler without loading "
              "its state)",
}


@pytest.mark.parametrize("fault", ["ok", "accum", "epoch", "resume", "twice"])
def test_each_logged_value_is_an_updates_lr(fault):
    used = np.float32(json.loads((DATA / fault / "used.json").read_text())).astype(np.float64).tolist()
    assert len(used) == 20
    (trace,) = load_log(DATA / fault / "tb").schedules
    at, values = trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist()
    assert at == list(range(16, 321, 16))
    if fault == "epoch":  # the script's epoch step comes after the log: at 16*s, the lr update s-1 used
        assert values == used
    elif fault == "twice":  # the second step comes after the log: the lr between two updates, none used it
        assert values[0] == used[0] == 0.0 and not set(values[1:10]) & set(used)  # (the 11th on: min_lr, held)
    else:  # at 16*s, the lr update s used (a resumed engine restores the lr of update 12 with the optimizer)
        assert values[:-1] == used[1:]


@pytest.mark.slow  # the plan imports deepspeed
@pytest.mark.parametrize("fault", list(VERDICTS))
def test_a_healthy_run_follows_and_a_broken_one_is_named(fault):
    (v,) = verify_files(DATA / "plan.json", DATA / fault / "tb").verdicts
    assert v.text() == VERDICTS[fault]
