"""MMEngine with ``optim_wrapper.accumulative_counts``: the Runner logs the lr at every iteration, the optimizer
updates at every k-th, and lrplot's plan of the config is in updates (the lr each update used). Compared step by
step, a healthy run was 'diverges at step 1 ... no single cause explains every logged value'.

The logs were written by the REAL MMEngine 0.10.7 Runner (tests/data/logs/mmengine-accum/regenerate.py): 30
iterations, ``accumulative_counts=2``; ``used.json`` holds the lr each of the 15 updates used, recorded by an
optimizer step pre-hook.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrplot.logs import load_log
from lrplot.sources import BudgetInputs
from lrplot.verify import verify_files

DATA = Path(__file__).resolve().parent / "data" / "logs" / "mmengine-accum"
LOGS = {"scalars": Path("20261207_000000") / "vis_data" / "scalars.json",
        "text": Path("20261207_000000") / "20261207_000000.log"}


def used(case: str) -> list[float]:
    return json.loads((DATA / case / "used.json").read_text())


def test_the_lr_logged_at_each_update_iteration_is_the_lr_that_update_used():
    (trace,) = load_log(DATA / "ok" / LOGS["scalars"]).schedules
    at, values = trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist()
    assert at == list(range(30))  # every iteration, at its 1-based step less one
    assert [v for t, v in zip(at, values) if (t + 1) % 2 == 0] == used("ok")  # ==, no tolerance


@pytest.mark.slow
@pytest.mark.parametrize("log", list(LOGS))
def test_a_healthy_accumulating_run_follows_the_plan_at_its_updates(log):
    pytest.importorskip("mmengine")
    report = verify_files(DATA / "config.py", DATA / "ok" / LOGS[log], inputs=BudgetInputs(dataset_size=20),
                          allow_import=["mmengine"])
    (v,) = report.verdicts
    assert v.ok and v.text() == ("lr: follows the plan (15 of 15 logged steps); the log's steps count iterations: "
                                 "2 iterations per update (accumulative_counts), the lr at each update's iteration "
                                 "compared")


@pytest.mark.slow
def test_a_run_stepping_its_schedulers_twice_still_diverges_at_its_log_step():
    pytest.importorskip("mmengine")
    (v,) = verify_files(DATA / "config.py", DATA / "twice" / LOGS["scalars"], inputs=BudgetInputs(dataset_size=20),
                        allow_import=["mmengine"]).verdicts
    truth = used("twice")
    assert not v.ok and (v.first.step, v.first.update) == (2, 0) and v.first.logged == truth[0]  # its first update
