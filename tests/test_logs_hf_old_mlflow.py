"""An MLflow store and trainer_state.json written by the REAL transformers 4.50.3 Trainer (before PR #36973, first
released in 4.51.0, the Trainer logged the NEXT update's lr at the global_step of the update just done), through its
MLflowCallback (``report_to=["mlflow"]``): tests/data/logs/hf-4.50-mlflow/regenerate.py, in a copy of the test
environment with ``transformers==4.50.3`` installed. Runs ``ok`` and ``twice`` (the scheduler stepped once more
after every update); ``used.json``: the lr each update used, recorded by an optimizer step pre-hook. Until this
store, the older MLflow reading was tested only on a 5.23 store with its ``transformers_version`` param edited."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from lrplot.logs import load_log
from lrplot.logs.conventions import HF_BEFORE_4_51, HF_MLFLOW_BEFORE_4_51
from tests.helpers.installed import require

DATA = Path(__file__).resolve().parent / "data" / "logs" / "hf-4.50-mlflow"
USED = {case: [lrs[0] for lrs in lrs_] for case, lrs_ in json.loads((DATA / "used.json").read_text()).items()}
PLAN = """
    steps: 20
    optimizer: {type: AdamW, lr: 1e-3}
    scheduler: {type: "transformers:get_scheduler", name: cosine, num_warmup_steps: 3, num_training_steps: 20}
"""


@pytest.mark.parametrize("case", ["ok", "twice"])
@pytest.mark.parametrize("log", ["mlflow", "trainer_state"])
def test_each_logged_value_is_the_next_updates_lr_at_the_update_count(case, log):
    """The version the run recorded (the MLflow run's ``transformers_version`` param, the checkpoint's config.json)
    picks the older reading, no second one: logged at global_step s (after update s - 1), the lr update s used;
    the last, at 20, the lr of an update never run."""
    path, run = (DATA / "mlflow.db", case) if log == "mlflow" else (DATA / case / "checkpoint-20", None)
    (trace,) = load_log(path, run=run).schedules
    info = trace.meta["log"]
    writer = HF_MLFLOW_BEFORE_4_51 if log == "mlflow" else HF_BEFORE_4_51
    assert (info.writer, info.other, info.after) == (writer.writer, None, True)
    assert trace.at[(0, "lr")].tolist() == list(range(1, 21))
    assert len(USED[case]) == 20 and trace.values[(0, "lr")].tolist()[:19] == USED[case][1:]  # ==, no tolerance


@pytest.fixture
def plan(tmp_path) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(textwrap.dedent(PLAN).lstrip())
    return path


@pytest.mark.slow
def test_the_healthy_run_follows_the_plan_and_the_broken_one_is_named(plan, cli):
    require("transformers")
    twice = ("learning_rate: diverges at step 1: logged 0.000666666667, plan 0.000333333333 (0 of 20 logged steps "
             "agree); compressed in time by k=2: the scheduler stepped 2 times per update (once per process on 2 "
             "processes, once per micro-batch with 2 accumulation steps, or an extra scheduler.step())")
    r = cli("verify", plan, "--log", DATA / "mlflow.db", "--allow-import", "transformers", "-o", "none")
    assert (r.exit_code, r.output) == (1, f"ok · learning_rate: follows the plan (20 of 20 logged steps)\ntwice · "
                                          f"{twice}\n")
    r = cli("verify", plan, "--log", DATA / "mlflow.db", "--log-run", "ok", "--allow-import", "transformers",
            "-o", "none")
    assert (r.exit_code, r.output) == (0, "learning_rate: follows the plan (20 of 20 logged steps)\n")
    for case, expected in (("ok", (0, "learning_rate: follows the plan (20 of 20 logged steps)\n")),
                           ("twice", (1, f"{twice}\n"))):
        r = cli("verify", plan, "--log", DATA / case / "checkpoint-20", "--allow-import", "transformers", "-o", "none")
        assert (r.exit_code, r.output) == expected, case
