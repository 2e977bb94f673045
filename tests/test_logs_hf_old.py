"""trainer_state.json as transformers before 4.51 wrote it (PR #36973 moved the lr read before
``optimizer.step()``; before it the Trainer logged the NEXT update's lr at the same global_step).

The logs were written by the REAL transformers 4.50.3 Trainer (tests/data/logs/hf-4.50/regenerate.py,
installed beside this suite's packages with ``pip install --target``): a tiny PreTrainedModel, AdamW
1e-3, cosine with 3 warmup steps, 20 updates logged every update; ``used.json`` holds the lr each
update used, recorded by an optimizer step pre-hook. The checkpoint folder keeps the ``config.json``
that records ``transformers_version`` ("4.50.3"); a trainer_state.json copied alone does not say.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from lrplot.logs import load_log
from lrplot.logs.conventions import HF_BEFORE_4_51
from lrplot.verify import verify_files
from tests.helpers.installed import require

DATA = Path(__file__).resolve().parent / "data" / "logs" / "hf-4.50"
PLAN = """
    steps: 20
    optimizer: {type: AdamW, lr: 1e-3}
    scheduler: {type: "transformers:get_scheduler", name: cosine, num_warmup_steps: 3, num_training_steps: 20}
"""


def used(case: str) -> list[float]:
    return [lrs[0] for lrs in json.loads((DATA / case / "used.json").read_text())]


def test_the_version_in_config_json_picks_the_older_convention():
    (trace,) = load_log(DATA / "ok" / "checkpoint-20").schedules
    info = trace.meta["log"]
    assert info.writer == HF_BEFORE_4_51.writer and info.other is None and info.after
    at, values = trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist()
    # logged at global_step s (after update s-1) is the lr update s used: lrplot step s
    assert at == list(range(1, 21))
    truth = used("ok")
    assert len(truth) == 20 and values[:19] == truth[1:]  # the 20th: the lr of an update never run


@pytest.fixture
def plan(tmp_path) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(textwrap.dedent(PLAN).lstrip())
    return path


@pytest.mark.slow
def test_verdicts_with_the_version_known_and_unknown(plan, tmp_path, cli):
    require("transformers")
    r = cli("verify", plan, "--log", DATA / "ok" / "checkpoint-20", "--allow-import", "transformers")
    assert r.exit_code == 0 and r.stdout == "learning_rate: follows the plan (20 of 20 logged steps)\n"
    alone = tmp_path / "copied" / "trainer_state.json"  # no config.json beside it or above: both readings
    alone.parent.mkdir()
    shutil.copy(DATA / "ok" / "checkpoint-20" / "trainer_state.json", alone)
    (trace,) = load_log(alone).schedules
    assert trace.meta["log"].other == (HF_BEFORE_4_51.writer, HF_BEFORE_4_51.offset)
    r = cli("verify", plan, "--log", alone, "--allow-import", "transformers")
    assert r.exit_code == 0 and r.stdout == (
        "learning_rate: follows the plan (20 of 20 logged steps); read as written by transformers before 4.51 "
        "Trainer: the log does not record which version wrote it, and read as transformers 5.23 Trainer it would "
        "be shifted by 1 step(s)\n")
    # plot --log drew its points one update early (the 5.23 reading), off the plan beside that verdict
    r = cli(plan, "--log", alone, "--allow-import", "transformers", "-o", "fig.png", "-q")
    assert (r.exit_code, r.stderr) == (0, "lrplot: assumed: 'logged' is read as written by transformers before 4.51 "
                                          "Trainer, under which it follows the plan: the log does not record which "
                                          "version wrote it\n")
    points = [t for t in verify_files(plan, alone, allow_import=["transformers"]).curves.schedules
              if t.style == "points"][0]
    assert points.at[(0, "lr")].tolist() == list(range(1, 21))  # step s: the lr set for update s
    assert points.values[(0, "lr")].tolist()[:19] == used("ok")[1:]
    r = cli("verify", plan, "--log", DATA / "twice" / "checkpoint-20", "--allow-import", "transformers")
    assert r.exit_code == 1 and r.stdout == (
        "learning_rate: diverges at step 1: logged 0.000666666667, plan 0.000333333333 (0 of 20 logged steps "
        "agree); compressed in time by k=2: the scheduler stepped 2 times per update (once per process on 2 "
        "processes, once per micro-batch with 2 accumulation steps, or an extra scheduler.step())\n")
    (trace,) = load_log(DATA / "twice" / "checkpoint-20").schedules
    assert trace.values[(0, "lr")].tolist()[:19] == used("twice")[1:]
    assert np.all(np.diff(trace.at[(0, "lr")]) == 1)
