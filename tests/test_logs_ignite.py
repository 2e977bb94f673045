"""pytorch-ignite's TensorboardLogger ``lr/group_N``, written by the REAL ignite 0.5.5 in tiny CPU runs
(tests/data/logs/ignite/regenerate.py, which names the source lines). ``OptimizerParamsHandler`` logs at the
iteration (1-based) of the event it is attached to: logged step i is the lr update i-1 used, except when it
is attached at ITERATION_COMPLETED after a scheduler attached there (``use_legacy``), where it is the next
update's lr. The log does not record the events: verify tries both readings and says which one fits.
Its MLflowLogger's store and WandBLogger's run file come from the same script (real mlflow and wandb): the
frameworks run once, when the script is run, not in every test run.
Every logged value is compared with the lr each update used (an optimizer step pre-hook, ``used.json``)."""

from __future__ import annotations

import json
import sqlite3

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
        "which events its handlers were attached to (a loop logging the lr of update s at step s writes the same "
        "log), and read as pytorch-ignite 0.5.5 OptimizerParamsHandler it "
        "would be shifted by 1 step(s)")
    (v,) = verify_files(DATA / "plan-legacy.yaml", DATA / "legacy-before").verdicts
    assert v.text() == "lr/group_0: follows the plan (20 of 20 logged steps)"


def test_plot_log_draws_the_points_where_the_reading_that_fits_puts_them_and_says_it(cli):
    """verify read legacy-after by the convention that follows the plan, while ``lrplot PLAN --log LOG`` (and verify's
    own figure) drew every point one update early, off the plan with nothing shaded and nothing said: a figure
    that contradicted the verdict beside it. The points now stand where that reading puts them (step i at
    update i: the lr set for it, the last one past the plan's end) and the line under the figure names it."""
    import lrplot
    from lrplot.pipeline import overlay_log

    said = ("assumed: 'logged' is read as written by pytorch-ignite 0.5.5 OptimizerParamsHandler at ITERATION_COMPLETED "
            "after a scheduler attached there, under which it follows the plan: the log does not record which events "
            "its handlers were attached to (a loop logging the lr of update s at step s writes the same log)")
    r = cli(DATA / "plan-legacy.yaml", "--log", DATA / "legacy-after", "-o", "fig.png", "-q")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "fig.png\n", f"lrplot: {said}\n")
    spec = lrplot.load_spec(DATA / "plan-legacy.yaml")
    curves = overlay_log(lrplot.simulate(spec), [spec], load_log(DATA / "legacy-after"))
    plan, logged = curves.schedules
    at, values = logged.at[(0, "lr")].tolist(), logged.values[(0, "lr")].tolist()
    assert at == list(range(1, 21)) and values[:19] == used("legacy-after")[1:]  # the lr update i used, at update i
    assert values[:19] == np.float32(plan.values[(0, "lr")][1:]).astype(np.float64).tolist()  # on the plan
    (note,) = [t for t in lrplot.render(curves).texts if t.get_gid() == "footnote"]
    assert said in " ".join(note.get_text().split("\n"))
    # a log whose writer's own reading fits is drawn as read, and nothing is said
    r = cli(DATA / "plan-legacy.yaml", "--log", DATA / "legacy-before", "-o", "fig.png", "-q")
    assert (r.exit_code, r.stderr) == (0, "")


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


@pytest.mark.slow  # ignite imported for the plan
def test_the_lr_logged_before_the_schedulers_first_call_is_inside_the_figure():
    """log-first's step 1 (the optimizer's lr before the scheduler's first call, which no update used) stands at
    update -1 under the reading that fits; the figure's x range began at 0 and cut it off, unsaid."""
    require("ignite")
    import lrplot
    from lrplot.pipeline import overlay_log

    spec = lrplot.load_spec(DATA / "plan-torch1.yaml", allow_import=["ignite"])
    curves = overlay_log(lrplot.simulate(spec, allow_import=["ignite"]), [spec], load_log(DATA / "log-first"),
                         allow_import=["ignite"])
    (points,) = [line for line in lrplot.render(curves).axes[0].lines if line.get_label() == "logged"]
    x, y = points.get_xdata(), points.get_ydata()
    assert (x[0], y[0]) == (-1, np.float32(0.1))
    low, high = points.axes.get_xlim()
    assert low < x.min() and x.max() < high  # every point drawn inside the axes


@pytest.mark.slow  # ignite imported for the plan
def test_ignites_mlflow_logger_is_read_with_the_same_convention():
    """ignite's MLflowLogger (handlers/mlflow_logger.py:356-367) logs "lr group_N" at the event's iteration;
    run by the regenerate script with the real ignite and mlflow into its default sqlite store, the scheduler
    and the handler on ITERATION_STARTED as ignite documents."""
    require("ignite")
    (trace,) = load_log(DATA / "mlflow" / "mlflow.db").schedules
    info = log_info(trace)
    assert (info.format, info.writer, info.keys[(1, "lr")]) == ("mlflow", IGNITE.writer, "lr group_1")
    for g in (0, 1):
        assert trace.at[(g, "lr")].tolist() == list(range(20))
        assert trace.values[(g, "lr")].tolist() == [lr[g] for lr in USED["mlflow"]]  # MLflow keeps float64
    assert [v.text() for v in verify_files(DATA / "plan-torch.yaml", DATA / "mlflow" / "mlflow.db",
                                           allow_import=["ignite"]).verdicts] == [
        "lr group_0: follows the plan (20 of 20 logged steps)", "lr group_1: follows the plan (20 of 20 logged steps)"]


@pytest.mark.slow  # ignite imported for the plan
def test_ignites_wandb_logger_steps_on_the_iteration():
    """ignite's WandBLogger (handlers/wandb_logger.py:362-372) calls ``wandb.log({"lr/group_N": ...},
    step=iteration)``: W&B's ``_step`` is the iteration, 1-based. Real ignite and wandb, offline, in a
    process of its own, run by the regenerate script."""
    require("ignite", "wandb")  # a run file's records are parsed by wandb's own Record class
    from lrplot.logs.conventions import IGNITE_WANDB

    (trace,) = load_log(DATA / "wandb" / "wandb").schedules
    info = log_info(trace)
    assert (info.format, info.writer, info.step_offset) == ("wandb", IGNITE_WANDB.writer, 1)
    assert trace.at[(0, "lr")].tolist() == list(range(20))
    assert trace.values[(0, "lr")].tolist() == [lr[0] for lr in USED["wandb"]]
    (v,) = verify_files(DATA / "plan-torch1.yaml", DATA / "wandb" / "wandb", allow_import=["ignite"]).verdicts
    assert v.text() == "lr/group_0: follows the plan (20 of 20 logged steps)"


def test_the_recorded_logs_are_the_regenerate_scripts_shape():
    """tests/data/logs/ignite/regenerate.py wrote every case this module reads: one list of lrs per update
    (20 updates; two param groups where the case has two), the MLflow store holding one run of the two
    "lr group_N" series, the W&B folder one run file."""
    cases = {"torch-started": 2, "torch-completed-log": 1, "native": 1, "legacy-after": 1, "legacy-before": 1,
             "twice": 1, "log-first": 1, "epoch": 1, "mlflow": 2, "wandb": 1, "resume": 1}
    assert {case: {len(lrs) for lrs in USED[case]} for case in USED} == {case: {n} for case, n in cases.items()}
    assert {case: len(USED[case]) for case in USED} == dict.fromkeys(cases, 20)
    for case in cases:
        if case not in ("mlflow", "wandb"):  # the resumed run: one event file per launch
            assert len(list((DATA / case).glob("events.out.tfevents.*"))) == (2 if case == "resume" else 1), case
    with sqlite3.connect(f"file:{DATA / 'mlflow' / 'mlflow.db'}?mode=ro", uri=True) as con:
        rows = con.execute("SELECT key, count(*), min(step), max(step) FROM metrics GROUP BY key ORDER BY key")
        rows = rows.fetchall()
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    assert rows == [("lr group_0", 20, 1, 20), ("lr group_1", 20, 1, 20)]
    assert [p.name for p in (DATA / "wandb").rglob("*") if p.is_file()] == ["run-ignite-wandb.wandb"]


@pytest.mark.parametrize("case", ["epoch", "resume"])
def test_a_broken_runs_logged_values_are_the_lr_each_update_used(case):
    """``epoch``: the scheduler attached at EPOCH_STARTED (once per 10-update epoch); ``resume``: a second launch
    loading ignite's Checkpoint of the trainer, model and optimizer, not the scheduler, logging into the same
    folder. Logged at ITERATION_STARTED after the scheduler: step i holds the lr update i-1 used."""
    (trace,) = load_log(DATA / case).schedules
    assert trace.at[(0, "lr")].tolist() == list(range(20))
    assert trace.values[(0, "lr")].tolist() == used(case)  # ==, no tolerance
    healthy = used("torch-completed-log")
    if case == "epoch":  # the plan's first value for the first epoch, its second for the next
        assert used(case) == [healthy[0]] * 10 + [healthy[1]] * 10
    else:  # as planned up to the resume; then neither the plan nor the plan started over
        assert used(case)[:10] == healthy[:10] and used(case)[10] not in (healthy[10], healthy[0])
        assert used(case)[11:] == healthy[1:10]


@pytest.mark.slow  # ignite imported for the plan
def test_a_scheduler_stepped_per_epoch_or_resumed_without_its_state_is_named():
    require("ignite")
    (v,) = verify_files(DATA / "plan-torch1.yaml", DATA / "epoch", allow_import=["ignite"]).verdicts
    assert v.text() == (
        f"lr/group_0: diverges at step 2: logged {used('epoch')[1]:.9g}, plan {USED['torch-completed-log'][1][0]:.9g} "
        "(1 of 20 logged steps agree); stretched in time by k=10: the scheduler stepped once every 10 updates (once "
        "per epoch of 10 updates instead of after every update)")
    # the restored lr is the one update 9 used (ignite steps before each update): the rebuilt scheduler's first
    # call, before update 10, steps on from it; the plan re-simulated so (loaded before that call) matches
    (v,) = verify_files(DATA / "plan-torch1.yaml", DATA / "resume", allow_import=["ignite"]).verdicts
    assert v.text() == (
        f"lr/group_0: diverges at step 11: logged {used('resume')[10]:.9g}, plan "
        f"{USED['torch-completed-log'][10][0]:.9g} (10 of 20 logged steps agree); restarted at update n=10 (the log's "
        "step 11) from the lr it had there: the scheduler was built anew without its state and stepped on from the "
        "lr the optimizer's checkpoint restored (a resume that loaded the optimizer's state but not the scheduler's)")
