"""Broken MMEngine runs in both logs its Runner writes (``vis_data/scalars.json`` and the text log, which prints
``{lr:.4e}``), written by the REAL MMEngine 0.10.7 Runner (tests/data/logs/mmengine-faults/regenerate.py): its
param schedulers stepped per epoch (``by_epoch=True`` for a schedule written per iteration), and a run resumed
with ``resume_param_scheduler=False`` (the optimizer's state restored, the schedulers built anew: a
``<timestamp>/`` folder per launch). Truth: the lr each update used, recorded by an optimizer step pre-hook
(``used.json``), ``==`` (the text log: as printed); verdicts as whole lines with their exit codes. Per process:
MMEngine steps each process's own schedulers once per iteration, so no run of its steps once per process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrplot.logs import load_log

DATA = Path(__file__).resolve().parent / "data" / "logs" / "mmengine-faults"
LAUNCHES = {"epoch": ["20261207_000000"], "resume": ["20261207_000000", "20261207_000001"]}


def used(case: str) -> list[float]:
    return json.loads((DATA / case / "used.json").read_text())


def logs(case: str, kind: str) -> list[Path]:
    return [DATA / case / name / ("vis_data/scalars.json" if kind == "scalars" else f"{name}.log")
            for name in LAUNCHES[case]]


@pytest.mark.parametrize("kind", ["scalars", "text"])
@pytest.mark.parametrize("case", list(LAUNCHES))
def test_every_logged_value_is_the_lr_its_update_used(case, kind):
    truth = used(case)
    assert len(truth) == 24
    at, values = [], []
    for path in logs(case, kind):
        (trace,) = load_log(path).schedules
        at += trace.at[(0, "lr")].tolist()
        values += trace.values[(0, "lr")].tolist()
    assert at == list(range(24))  # the Runner's 1-based iteration, less one: the update
    assert values == (truth if kind == "scalars" else [float(f"{lr:.4e}") for lr in truth])  # ==, no tolerance


def test_the_runs_are_broken_as_said():
    healthy = used("resume")[:12]  # the first launch followed the config
    epoch = used("epoch")
    assert epoch[:6] == [healthy[0]] * 6 and epoch[6:12] == [healthy[1]] * 6  # one plan step per 6-update epoch
    # the rebuilt LinearLR warms up again from the lr the optimizer's state restored: past the config's peak
    assert max(used("resume")[13:]) > 2 * max(healthy)


STRETCHED = ("lr: diverges at step 2: logged 0.0125, plan 0.02 (1 of 24 logged steps agree); stretched in time by k=6: "
             "the scheduler stepped once every 6 updates (once per epoch of 6 updates instead of after every update)")
RESTARTED = ("lr: diverges at step 14: logged 0.06, plan 0.0335505036 (1 of 12 logged steps agree); restarted at update "
             "n=12 (the log's step 13) from the lr it had there: the scheduler was built anew without its state and "
             "stepped on from the lr the optimizer's checkpoint restored (a resume that loaded the optimizer's state "
             "but not the scheduler's)")


@pytest.mark.slow  # mmengine imported for the plan
@pytest.mark.parametrize("kind", ["scalars", "text", "folder"])
def test_each_fault_is_named(cli, kind):
    pytest.importorskip("mmengine")

    def verify(log):
        return cli("verify", DATA / "config.py", "--dataset-size", "22", "--allow-import", "mmengine", "--log", log,
                   "-o", "none")

    r = verify(DATA / "epoch" if kind == "folder" else logs("epoch", kind)[0])
    assert (r.exit_code, r.stdout) == (1, STRETCHED + "\n")
    if kind == "folder":  # each launch's folder a run of its own
        r = verify(DATA / "resume")
        assert (r.exit_code, r.stdout) == (1, (
            "20261207_000000 · lr: follows the plan (12 of 12 logged steps); the log ends at step 12, the plan at "
            f"step 24\n20261207_000001 · {RESTARTED}\n"))
    else:
        r = verify(logs("resume", kind)[1])
        assert (r.exit_code, r.stdout) == (1, RESTARTED + "\n")
