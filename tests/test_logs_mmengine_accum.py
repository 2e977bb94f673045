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


@pytest.mark.slow
@pytest.mark.parametrize("log", list(LOGS))
def test_a_run_stepping_its_schedulers_twice_per_iteration_is_named_as_without_accumulation(cli, log):
    """A second ParamSchedulerHook steps the schedulers twice per iteration: at update u (iteration 2u + 2)
    they stepped 4u + 2 times where the plan's update v has 2v + 1: no update of the plan holds that lr, and
    verify said 'no single cause' (exit 1). The plan re-simulated with MMEngine's own schedulers stepped twice
    at every iteration matches every logged value; the line names it as a run without accumulation is named."""
    pytest.importorskip("mmengine")
    truth = used("twice")
    r = cli("verify", DATA / "config.py", "--log", DATA / "twice" / LOGS[log], "--dataset-size", "20",
            "--allow-import", "mmengine", "-o", "none")
    shown = f"{truth[0]:.9g}" if log == "scalars" else f"{float(f'{truth[0]:.4e}'):.9g}"
    assert (r.exit_code, r.output) == (1, (
        f"lr: diverges at step 2: logged {shown}, plan 0.0325 (1 of 15 logged steps agree); compressed in time by "
        "k=2: the scheduler stepped 2 times per iteration, 4 times per update of 2 iterations (accumulative_counts=2) "
        "where the plan steps it 2 times (a second ParamSchedulerHook, or an extra scheduler.step())\n"))


@pytest.mark.slow
def test_a_live_runner_accumulating_3_stepping_twice_is_named(tmp_path, cli):
    """The same with the REAL MMEngine Runner trained here: accumulative_counts=3 over 31 iterations (the last
    update a window of one iteration), the schedulers stepped twice per iteration by a second ParamSchedulerHook;
    the lr each update used recorded by an optimizer step pre-hook."""
    pytest.importorskip("mmengine")
    from tests.helpers.mmengine_runner import train_logged

    config = tmp_path / "config.py"
    config.write_text((DATA / "config.py").read_text().replace("max_iters=30", "max_iters=31")
                      .replace("accumulative_counts=2", "accumulative_counts=3").replace("end=30", "end=31")
                      .replace("T_max=25", "T_max=26"))
    truth = train_logged(config, tmp_path / "work", 20, twice=True)
    (scalars,) = (tmp_path / "work").glob("*/vis_data/scalars.json")
    (trace,) = load_log(scalars).schedules
    assert [v for t, v in zip(trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist())
            if (t + 1) % 3 == 0 or t == 30] == truth  # ==: the lr at each update's iteration is the lr it used
    r = cli("verify", config, "--log", scalars, "--dataset-size", "20", "--allow-import", "mmengine", "-o", "none")
    assert r.exit_code == 1 and r.output.endswith(
        "; compressed in time by k=2: the scheduler stepped 2 times per iteration, 6 times per update of 3 "
        "iterations (accumulative_counts=3) where the plan steps it 3 times (a second ParamSchedulerHook, or an "
        "extra scheduler.step())\n"), r.output
    assert r.output.startswith(f"lr: diverges at step 3: logged {truth[0]:.9g}, plan "), r.output
