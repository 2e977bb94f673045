"""A W&B run resumed offline, its later folder given ALONE (tests/data/wandb/resumed, written by the real
wandb 0.31.0 offline: tests/data/wandb/regenerate.py). wandb counts that folder's ``_step`` from 0 again and
writes no starting step; only its run record's ``resume`` (``wandb.init(resume="allow" | "must")``) says it
resumed. The truth: ``used.json``, the lr every update used (an optimizer step pre-hook)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.installed import require

require("wandb")

from lrplot.logs import Raw  # noqa: E402
from lrplot.verify import verify_files  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "wandb" / "resumed"
PLAN = """
    steps: 30
    scheduler:
      type: LambdaLR
      lr_lambda: "min(1.0, (epoch + 1) / 5) * 0.97 ** epoch"
"""


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text(textwrap.dedent(PLAN).lstrip())
    return path


def _used(case: str) -> np.ndarray:
    return np.array(json.loads((DATA / case / "used.json").read_text()))[:, 0]


def _later(case: str) -> Path:
    return sorted((DATA / case / "wandb").iterdir())[-1]


def _alone() -> str:
    return ("lr: follows the plan (18 of 18 logged steps); a resumed run's later folder alone: its run record says it "
            "resumed the run (wandb.init(resume=\"allow\" or \"must\")) and wandb offline counts its _step from 0 "
            "again, so it follows the plan from update n=12 (its _step s is update s + 12: the plan, re-simulated by "
            "the real scheduler, matches every logged value there); give the earlier folders too to verify the "
            "updates before it\n")


@pytest.mark.parametrize("how", ["folder", "file", "log-run"])
def test_a_resumed_runs_later_folder_alone_follows_the_plan_from_where_it_resumed(cli, plan, how):
    """``resume="allow"`` with the scheduler's state: on main the later folder alone read 'shifted by n=12
    steps' (exit 1), a healthy run called faulty. Its 18 values are the lr updates 12..29 used (``==``)."""
    later = _later("offline")
    args = {"folder": ["--log", later], "file": ["--log", later / "run-resumed-offline.wandb"],
            "log-run": ["--log", DATA / "offline", "--log-run", later.name]}[how]
    r = cli("verify", plan, *args, "-o", "none")
    assert (r.exit_code, r.output) == (0, _alone())


def test_the_later_folder_alone_is_drawn_at_the_updates_that_used_its_values(plan):
    truth = _used("offline")
    report = verify_files(plan, _later("offline"))
    (points,) = [t for t in report.curves.schedules if t.style == "points"]
    assert points.at[(0, "lr")].tolist() == list(range(12, 30))
    assert points.values[(0, "lr")].tolist() == truth[12:].tolist()  # ==, no tolerance
    # drawn 12 updates on from its own _step, and the figure said nothing of it: now a line under it does
    from lrplot.figure.footnote import log_assumed

    assert log_assumed(report.curves) == ["assumed: 'logged' is placed at update 12, where every value follows the "
                                          "plan: a resumed run's later folder read alone, its _step counted from 0 "
                                          "again"]


def test_a_later_folder_that_records_no_resume_keeps_its_verdict(cli, plan):
    """``resume=True`` ("auto") records nothing in wandb 0.31's run record (its ``resume`` stays false, no
    other record says it): nothing tells a resume from a run logged after ``scheduler.step()``, the verdict
    stays 'shifted'."""
    truth = _used("auto")
    r = cli("verify", plan, "--log", _later("auto"), "-o", "none")
    assert (r.exit_code, r.output) == (1, (
        f"lr: diverges at step 0: logged {truth[12]:.9g}, plan {truth[0]:.9g} (0 of 18 logged steps agree); shifted "
        "by n=12 steps: the log is 12 step(s) ahead of the plan (the lr logged after scheduler.step(), or a "
        "scheduler that started 12 step(s) in)\n"))


def test_a_resumed_folder_that_started_the_plan_over_alone_follows_it_from_0(cli, plan):
    """``resume="allow"`` with a scheduler rebuilt without its state: alone, its lr is the plan from update 0
    (nothing here says where the earlier folder ended, and a first run asking ``resume="allow"`` records the
    same): it is read as it is, no resume reading is made up."""
    r = cli("verify", plan, "--log", _later("rebuilt"), "-o", "none")
    assert (r.exit_code, r.output) == (0, "lr: follows the plan (18 of 18 logged steps); the log ends at step 17, "
                                          "the plan at step 29\n")


@pytest.mark.slow
@pytest.mark.parametrize("updates", [30, 20])
def test_a_whole_run_asking_to_resume_and_logging_after_the_scheduler_step_is_still_shifted(tmp_path, cli, plan,
                                                                                            updates):
    """A first run started with ``resume="allow"`` (a common idiom) records the same ``resume`` as a later
    folder. Logging the lr after ``scheduler.step()`` it reads the plan one step ahead, its last value one step
    past the plan's end: a later part of a run never logs past the plan's end, so it stays 'shifted by n=1'.
    Stopped at 20 of the plan's 30 updates, nothing in the folder tells it from a later folder resumed at
    update 1 (an earlier run of one update): on main it read "follows the plan from update n=1" (exit 0); the
    likely reading is the verdict, the other is named."""
    import torch
    import wandb

    from tests.helpers.logruns import _record

    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    used: list = []
    _record(opt, used)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / 5) * 0.97 ** t)
    run = wandb.init(project="lrplot", dir=str(tmp_path), mode="offline", id="fresh", resume="allow")
    for t in range(updates):
        opt.zero_grad()
        model(torch.randn(2, 4)).pow(2).mean().backward()
        opt.step()
        sched.step()
        run.log({"lr": opt.param_groups[0]["lr"]}, step=t)
    run.finish()
    truth = np.array(used)[:, 0]
    r = cli("verify", plan, "--log", tmp_path, "-o", "none")
    other = ("; its run record asks to resume (as resume=\"allow\" records for a first run too): were it a resumed "
             "run's later folder given alone, it would follow the plan from update n=1; give the earlier folders too "
             "if it has any") if updates < 30 else ""
    assert (r.exit_code, r.output) == (1, (
        f"lr: diverges at step 0: logged {truth[1]:.9g}, plan {truth[0]:.9g} (0 of {updates} logged steps agree); "
        "shifted by n=1 steps: the log is 1 step(s) ahead of the plan (the lr logged after scheduler.step(), or a "
        f"scheduler that started 1 step(s) in){other}\n"))


@pytest.mark.slow
def test_a_later_folder_alone_that_no_resume_point_explains_says_to_give_the_earlier_ones(tmp_path, cli, plan):
    """A run stepping its scheduler twice per update, resumed (``resume="allow"``) at 12 with the scheduler's state:
    alone, its later folder matches the plan at no offset and no cause explains it; the line says why it cannot
    tell (wandb offline records no starting step) and what would let it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("regenerate", DATA.parent / "regenerate.py")
    regenerate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regenerate)
    truth = np.array(regenerate.plain(tmp_path, restart_at=12, keep_state=True, own_step=True, per_step=2))[:, 0]
    later = sorted((tmp_path / "wandb").iterdir())[-1]
    r = cli("verify", plan, "--log", later, "-o", "none")
    assert (r.exit_code, r.output) == (1, (
        f"lr: diverges at step 0: logged {truth[12]:.9g}, plan 0.02 (0 of 18 logged steps agree); no single cause "
        "explains every logged value; its run record says it resumed the run and wandb offline counts its _step from "
        "0 again: no update it could have resumed at makes every value follow the plan; give the earlier folders "
        "too; the log ends at step 17, the plan at step 29\n"))
    r = cli("verify", plan, "--log", tmp_path, "-o", "none")  # with the earlier folder: the cause is named
    assert r.exit_code == 1 and "; compressed in time by k=2: " in r.output, r.output


def test_only_a_folder_stepping_on_wandbs_own_step_is_taken_for_a_later_part():
    """A trainer's step (``train/global_step``, ``trainer/global_step``) goes on in a resumed run's later folder:
    only wandb's own ``_step`` counts from 0 again there, so only a folder read on it may be placed elsewhere."""
    from lrplot.logs.wandbrun import _placed

    file = next(_later("offline").glob("run-*.wandb"))
    read = [(file, [Raw("", "lr", np.arange(18), np.zeros(18))], (0, 17))]
    assert _placed(read, frozenset({file}))[2] == {"resumed-offline": {"placed": "", "resumes": ("", None)}}
    assert _placed(read)[2] == {"resumed-offline": {"placed": "", "resumes": None}}  # stepping on a trainer's step
