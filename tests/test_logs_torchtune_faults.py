"""Broken torchtune runs in torchtune's own DiskLogger files (tests/data/logs/torchtune-faults/regenerate.py, which
names the source lines): a run resumed without the scheduler's position (the optimizer's state loaded, the
scheduler built anew: its lr starts the plan over at update 10), and a scheduler stepped once per 6-update epoch.
The lr is logged after ``lr_scheduler.step()`` at the step that counts the update, so logged step s holds the lr
update s uses. Truth: the lr each update used, recorded by an optimizer step pre-hook (``used.json``), ``==``;
verdicts as whole lines with their exit codes. Per process: torchtune's recipes step their own scheduler in every
process, once per update (no Accelerate), so no run of its can step once per process."""

from __future__ import annotations

import json

from lrplot.logs import load_log
from tests.helpers.paths import ROOT

DATA = ROOT / "tests" / "data" / "logs" / "torchtune-faults"
PLAN = ROOT / "tests" / "data" / "logs" / "torchtune" / "plan.yaml"
OK = json.loads((ROOT / "tests" / "data" / "logs" / "torchtune" / "used.json").read_text())["ok"]


def used(case: str) -> list[float]:
    return json.loads((DATA / case / "used.json").read_text())


def test_a_resumed_runs_files_hold_the_lr_each_update_used_and_the_second_starts_the_plan_over():
    truth = used("restarted")
    assert len(truth) == 24 and truth[:10] == OK[:10] and truth[10:] == OK[:14]  # the plan from its start at 10
    first, second = load_log(DATA / "restarted").schedules
    assert first.at[(0, "lr")].tolist() == list(range(1, 11))
    assert second.at[(0, "lr")].tolist() == list(range(11, 25))
    # step s: the lr update s uses; the first file's last, the lr its old scheduler set for update 10, which the
    # second launch never used; the second's last, the lr after the last update
    assert first.values[(0, "lr")].tolist() == OK[1:11]
    assert second.values[(0, "lr")].tolist()[:-1] == truth[11:]


def test_a_resume_without_the_schedulers_position_is_named_restarted_at_the_update_it_resumed(cli):
    first, second = sorted(p.name for p in (DATA / "restarted").glob("log_*.txt"))
    truth = used("restarted")
    r = cli("verify", PLAN, "--log", DATA / "restarted", "-o", "none")
    assert (r.exit_code, r.output) == (1, (
        f"{first} · lr: follows the plan (10 of 10 logged steps); the log ends at step 10, the plan at step 23\n"
        f"{second} · lr: diverges at step 11: logged {truth[11]:.9g}, plan {OK[11]:.9g} (0 of 14 logged steps "
        "agree); restarted at step n=10: from there the lr starts the plan over (a resume that rebuilt the scheduler "
        "without loading its state); the log starts just after that update (read after scheduler.step()), as a "
        "resumed run's later part does\n"))


def test_a_scheduler_stepped_per_epoch_logs_each_epochs_last_update_one_update_late_and_is_named(cli):
    truth = used("epoch")
    assert truth == [OK[t // 6] for t in range(24)]  # one plan step per 6-update epoch
    (trace,) = load_log(DATA / "epoch").schedules
    at, values = trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist()
    assert at == list(range(1, 25))
    # logged after the update's lr_scheduler.step() call, which the epoch's end now makes: step s holds the lr
    # update s uses, but at an epoch's last update (s % 6 == 0) the lr of update s - 1, the scheduler not yet stepped
    assert values == [truth[s - 1] if s % 6 == 0 else truth[s] for s in at]
    r = cli("verify", PLAN, "--log", DATA / "epoch", "-o", "none")
    assert (r.exit_code, r.output) == (1, (
        f"lr: diverges at step 1: logged {truth[1]:.9g}, plan {OK[1]:.9g} (0 of 24 logged steps agree); stretched in "
        "time by k=6: the scheduler stepped once every 6 updates (once per epoch of 6 updates instead of after every "
        "update)\n"))
