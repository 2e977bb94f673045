"""pytorch-ignite's TensorboardLogger ``lr/group_N``, written by the REAL ignite 0.5.5 in tiny CPU runs
(tests/data/logs/ignite/regenerate.py, which names the source lines). ``OptimizerParamsHandler`` logs at the
iteration (1-based) of the event it is attached to: logged step i is the lr update i-1 used, except when it
is attached at ITERATION_COMPLETED after a scheduler attached there (``use_legacy``), where it is the next
update's lr. The log does not record the events: verify tries both readings and says which one fits.
Every logged value is compared with the lr each update used (an optimizer step pre-hook, ``used.json``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lrplot.logs import load_log, log_info
from lrplot.logs.conventions import IGNITE, IGNITE_AFTER, IGNITE_BEFORE
from lrplot.verify import verify_files
from tests.helpers.installed import require
from tests.helpers.paths import ROOT

DATA = ROOT / "tests" / "data" / "logs" / "ignite"
USED = json.loads((DATA / "used.json").read_text())


def used(case: str, group: int = 0) -> list[float]:
    """The lr each update used, as TensorBoard stores it (float32)."""
    return np.float32([lrs[group] for lrs in USED[case]]).astype(np.float64).tolist()


@pytest.mark.parametrize("case", ["torch-started", "torch-completed-log", "native", "legacy-before"])
def test_each_logged_value_is_the_lr_the_update_at_its_step_used(case):
    (trace,) = load_log(DATA / case).schedules
    info = log_info(trace)
    assert (info.writer, info.step_offset, info.after) == (IGNITE.writer, 1, False)
    assert info.other == (IGNITE_AFTER.writer, 0)
    for g in range(len(trace.groups)):
        assert trace.at[(g, "lr")].tolist() == list(range(20))  # logged at iterations 1..20
        assert trace.values[(g, "lr")].tolist() == used(case, g)
    assert trace.groups == (("0", "1") if case == "torch-started" else ("0",))


def test_logged_after_a_scheduler_on_iteration_completed_holds_the_next_updates_lr():
    (trace,) = load_log(DATA / "legacy-after").schedules
    # read as ignite's usual events, step i -> update i-1; the values are those of updates 1..20 (the last never run)
    assert trace.at[(0, "lr")].tolist() == list(range(20))
    assert trace.values[(0, "lr")].tolist()[:19] == used("legacy-after")[1:]


def test_the_events_not_recorded_the_reading_that_fits_is_named():
    (v,) = verify_files(DATA / "plan-legacy.yaml", DATA / "legacy-after").verdicts
    assert v.text() == (
        "lr/group_0: follows the plan (20 of 20 logged steps); read as written by pytorch-ignite 0.5.5 "
        "OptimizerParamsHandler at ITERATION_COMPLETED after a scheduler attached there: the log does not record "
        "which events its handlers were attached to, and read as pytorch-ignite 0.5.5 OptimizerParamsHandler it "
        "would be shifted by 1 step(s)")
    (v,) = verify_files(DATA / "plan-legacy.yaml", DATA / "legacy-before").verdicts
    assert v.text() == "lr/group_0: follows the plan (20 of 20 logged steps)"


def test_the_handler_attached_before_the_scheduler_logs_the_previous_iterations_lr():
    (trace,) = load_log(DATA / "log-first").schedules
    assert log_info(trace).more == ((IGNITE_BEFORE.writer, 2),)
    # step i (lrplot step i-1) holds the lr update i-2 used; step 1 the optimizer's lr before the scheduler ran
    values = trace.values[(0, "lr")].tolist()
    assert values[0] == np.float32(0.1) and values[1:] == used("log-first")[:-1]


@pytest.mark.slow
def test_healthy_runs_follow_their_ignite_plans_and_a_doubled_scheduler_is_named():
    require("ignite")
    for case, plan, texts in [
        ("torch-started", "plan-torch", ["lr/group_0: follows the plan (20 of 20 logged steps)",
                                         "lr/group_1: follows the plan (20 of 20 logged steps)"]),
        ("torch-completed-log", "plan-torch1", ["lr/group_0: follows the plan (20 of 20 logged steps)"]),
        ("native", "plan-native", ["lr/group_0: follows the plan (20 of 20 logged steps)"])]:
        report = verify_files(DATA / f"{plan}.yaml", DATA / case, allow_import=["ignite"])
        assert [v.text() for v in report.verdicts] == texts
    (v,) = verify_files(DATA / "plan-torch1.yaml", DATA / "log-first", allow_import=["ignite"]).verdicts
    assert v.text() == (
        "lr/group_0: follows the plan (19 of 19 logged steps); read as written by pytorch-ignite 0.5.5 "
        "OptimizerParamsHandler at ITERATION_STARTED attached before the scheduler: the log does not record which "
        "events its handlers were attached to, nor in which order (a scheduler attached at ITERATION_COMPLETED, not "
        "ignite's documented use, leaves the same log with every update one step late), and read as pytorch-ignite "
        "0.5.5 OptimizerParamsHandler it would be shifted by -1 step(s); its step 1 holds the lr before the "
        "scheduler's first call, not compared")
    (v,) = verify_files(DATA / "plan-torch1.yaml", DATA / "twice", allow_import=["ignite"]).verdicts
    assert v.text() == (
        f"lr/group_0: diverges at step 1: logged {used('twice')[0]:.9g}, plan {USED['torch-completed-log'][0][0]:.9g} "
        "(1 of 20 logged steps agree); compressed in time by k=2: the scheduler stepped 2 times per update (once per "
        "process on 2 processes, once per micro-batch with 2 accumulation steps, or an extra scheduler.step())")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ignites_mlflow_logger_is_read_with_the_same_convention(tmp_path):
    """ignite's MLflowLogger (handlers/mlflow_logger.py:356-367) logs "lr group_N" at the event's iteration;
    run here with the real ignite and mlflow into its default sqlite store, the scheduler and the handler on
    ITERATION_STARTED as ignite documents."""
    require("ignite", "mlflow")
    import torch
    from ignite.engine import Engine, Events
    from ignite.handlers import MLflowLogger
    from ignite.handlers.param_scheduler import LRScheduler

    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    optimizer = torch.optim.SGD([{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.05}],
                                lr=0.1)
    lrs: list[list[float]] = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: lrs.append([g["lr"] for g in opt.param_groups]))

    def update(engine, batch):
        optimizer.zero_grad()
        model(torch.ones(4, 2)).pow(2).mean().backward()
        optimizer.step()

    trainer = Engine(update)
    trainer.add_event_handler(Events.ITERATION_STARTED,
                              LRScheduler(torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=20)))
    logger = MLflowLogger(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    logger.attach_opt_params_handler(trainer, event_name=Events.ITERATION_STARTED, optimizer=optimizer)
    trainer.run(range(10), max_epochs=2)
    logger.close()
    (trace,) = load_log(tmp_path / "mlflow.db").schedules
    info = log_info(trace)
    assert (info.format, info.writer, info.keys[(1, "lr")]) == ("mlflow", IGNITE.writer, "lr group_1")
    for g in (0, 1):
        assert trace.at[(g, "lr")].tolist() == list(range(20))
        assert trace.values[(g, "lr")].tolist() == [lr[g] for lr in lrs]  # MLflow keeps float64
    assert [v.text() for v in verify_files(DATA / "plan-torch.yaml", tmp_path / "mlflow.db",
                                           allow_import=["ignite"]).verdicts] == [
        "lr group_0: follows the plan (20 of 20 logged steps)", "lr group_1: follows the plan (20 of 20 logged steps)"]


WANDB_RUN = """
import json, sys, torch
from ignite.engine import Engine, Events
from ignite.handlers import WandBLogger
from ignite.handlers.param_scheduler import LRScheduler

model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
lrs = []
optimizer.register_step_pre_hook(lambda opt, args, kwargs: lrs.append(opt.param_groups[0]["lr"]))

def update(engine, batch):
    optimizer.zero_grad()
    model(torch.ones(4, 2)).pow(2).mean().backward()
    optimizer.step()

trainer = Engine(update)
trainer.add_event_handler(Events.ITERATION_STARTED,
                          LRScheduler(torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=20)))
logger = WandBLogger(mode="offline", dir=sys.argv[1], project="lrplot")
logger.attach_opt_params_handler(trainer, event_name=Events.ITERATION_STARTED, optimizer=optimizer)
trainer.run(range(10), max_epochs=2)
logger.close()
print(json.dumps(lrs))
"""


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ignites_wandb_logger_steps_on_the_iteration(tmp_path):
    """ignite's WandBLogger (handlers/wandb_logger.py:362-372) calls ``wandb.log({"lr/group_N": ...},
    step=iteration)``: W&B's ``_step`` is the iteration, 1-based. Real ignite and wandb, offline, in a
    process of its own (as tests/test_logs_wandb_bulk.py runs wandb)."""
    require("ignite", "wandb")
    import subprocess
    import sys

    from lrplot.logs.conventions import IGNITE_WANDB

    done = subprocess.run([sys.executable, "-W", "ignore", "-c", WANDB_RUN, str(tmp_path)], check=True,
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"WANDB_MODE": "offline", "WANDB_SILENT": "true", "PATH": "/usr/bin:/bin",
                               "HOME": str(tmp_path)})
    lrs = json.loads(done.stdout.strip().splitlines()[-1])
    (trace,) = load_log(tmp_path / "wandb").schedules
    info = log_info(trace)
    assert (info.format, info.writer, info.step_offset) == ("wandb", IGNITE_WANDB.writer, 1)
    assert trace.at[(0, "lr")].tolist() == list(range(20))
    assert trace.values[(0, "lr")].tolist() == lrs
    (v,) = verify_files(DATA / "plan-torch1.yaml", tmp_path / "wandb", allow_import=["ignite"]).verdicts
    assert v.text() == "lr/group_0: follows the plan (20 of 20 logged steps)"
