"""An MLflow store written by transformers' Trainer through its MLflowCallback (``report_to=["mlflow"]``):
``learning_rate`` logged at ``step=state.global_step``, after the update it counts, the lr that update used.
Read as a plain loop's (the lr of update s at step s), every healthy run was 'shifted by n=-1 steps: the
scheduler started 1 update(s) late'.

The store was written by the REAL transformers 5.23 Trainer and mlflow 3.17.2
(tests/data/logs/hf-mlflow/regenerate.py): runs ``ok`` (a tiny PreTrainedModel, whose config records
``transformers_version`` among the run's params), ``bare`` (a plain nn.Module: no version recorded) and
``twice`` (the scheduler stepped twice per update) and ``resume`` (stopped after update 8, its checkpoint's
``scheduler.pt`` lost, resumed into the same MLflow run); ``used.json`` holds the lr each update used,
recorded by an optimizer step pre-hook.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import textwrap
from pathlib import Path

import pytest

from lrplot.logs import load_log
from lrplot.logs.conventions import HF_MLFLOW, HF_MLFLOW_BEFORE_4_51
from tests.helpers.installed import require

DATA = Path(__file__).resolve().parent / "data" / "logs" / "hf-mlflow"
USED = json.loads((DATA / "used.json").read_text())
PLAN = """
    steps: 20
    optimizer: {type: AdamW, lr: 1e-3}
    scheduler: {type: "transformers:get_scheduler", name: cosine, num_warmup_steps: 3, num_training_steps: 20}
"""


@pytest.mark.parametrize("case", ["ok", "bare", "twice", "resume"])
def test_each_logged_value_is_the_lr_its_update_used(case):
    (trace,) = load_log(DATA / "mlflow.db", run=case).schedules
    info = trace.meta["log"]
    assert info.writer == HF_MLFLOW.writer and info.step_offset == 1
    # the version is a param only where the model has a config: without it, the older reading is kept for verify
    assert info.other == (None if case != "bare" else (HF_MLFLOW_BEFORE_4_51.writer, HF_MLFLOW_BEFORE_4_51.offset))
    assert trace.at[(0, "lr")].tolist() == list(range(20))
    assert trace.values[(0, "lr")].tolist() == [lrs[0] for lrs in USED[case]]  # ==, no tolerance


def test_an_older_transformers_version_param_picks_the_older_reading(tmp_path):
    db = tmp_path / "mlflow.db"
    shutil.copy(DATA / "mlflow.db", db)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE params SET value = '4.50.3' WHERE key = 'transformers_version'")
    (trace,) = load_log(db, run="ok").schedules
    assert trace.meta["log"].writer == HF_MLFLOW_BEFORE_4_51.writer and trace.meta["log"].other is None


def test_a_plain_loops_learning_rate_is_still_read_at_its_own_step(tmp_path):
    """The same store without the Trainer's params (a loop logging learning_rate itself): read as before."""
    db = tmp_path / "mlflow.db"
    shutil.copy(DATA / "mlflow.db", db)
    with sqlite3.connect(db) as con:
        con.execute("DELETE FROM params")
    (trace,) = load_log(db, run="ok").schedules
    assert trace.meta["log"].step_offset == 0 and trace.at[(0, "lr")].tolist() == list(range(1, 21))


def test_a_store_mixing_trainer_runs_and_a_loops_reads_each_by_its_writer(tmp_path):
    db = tmp_path / "mlflow.db"
    shutil.copy(DATA / "mlflow.db", db)
    with sqlite3.connect(db) as con:
        con.execute("DELETE FROM params WHERE run_uuid = (SELECT run_uuid FROM runs WHERE name = 'bare')")
    traces = load_log(db).schedules
    assert [t.name for t in traces] == ["ok", "bare", "twice", "resume"]
    assert [t.meta["log"].step_offset for t in traces] == [1, 0, 1, 1]
    assert traces[1].at[(0, "lr")].tolist() == list(range(1, 21))
    assert traces[2].values[(0, "lr")].tolist() == [lrs[0] for lrs in USED["twice"]]


@pytest.mark.slow
def test_verdicts(tmp_path, cli):
    require("transformers")
    plan = tmp_path / "plan.yaml"
    plan.write_text(textwrap.dedent(PLAN).lstrip())
    r = cli("verify", plan, "--log", DATA, "-o", "none", "--allow-import", "transformers")
    assert r.exit_code == 1 and r.stdout == (
        "ok · learning_rate: follows the plan (20 of 20 logged steps)\n"
        "bare · learning_rate: follows the plan (20 of 20 logged steps)\n"
        "twice · learning_rate: diverges at step 2: logged 0.000666666667, plan 0.000333333333 (1 of 20 logged "
        "steps agree); compressed in time by k=2: the scheduler stepped 2 times per update (once per process on 2 "
        "processes, once per micro-batch with 2 accumulation steps, or an extra scheduler.step())\n"
        # update 8, the first after the resume, used the plan's first lr again (0: the warmup starts there)
        "resume · learning_rate: diverges at step 9: logged 0, plan 0.000801317318 (8 of 20 logged steps agree); "
        "restarted at update n=8 (the log's step 9): from there the lr starts the plan over (a resume that rebuilt "
        "the scheduler without loading its state)\n")
    assert [lrs[0] for lrs in USED["resume"]][8:16] == [lrs[0] for lrs in USED["ok"]][:8]
