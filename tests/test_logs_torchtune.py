"""torchtune's DiskLogger logs (txt and jsonl), written by torchtune's own DiskLogger class in the
recipe's loop (tests/data/logs/torchtune/regenerate.py, which names the source lines): the lr is read
after ``lr_scheduler.step()`` at the ``global_step`` that counts the update, so logged step s is the
lr update s uses, and the last line is the lr after the last update. Every logged value equals the lr
the update used (an optimizer step pre-hook, ``used.json``)."""

from __future__ import annotations

import json

import pytest

from lrplot.logs import LogError, load_log, log_info
from lrplot.verify import verify_files
from tests.helpers.paths import ROOT

DATA = ROOT / "tests" / "data" / "logs" / "torchtune"
USED = json.loads((DATA / "used.json").read_text())
PLAN = DATA / "plan.yaml"


@pytest.mark.parametrize("name", ["log_ok.txt", "log_ok.jsonl"])
def test_each_logged_value_is_the_lr_of_the_update_at_its_step(name):
    (trace,) = load_log(DATA / name).schedules
    info = log_info(trace)
    assert (info.format, info.step_offset, info.after) == ("torchtune", 0, True)
    used = USED["ok"]
    # step s (1..24) holds the lr update s uses: updates 1..23, and the lr after the last one
    assert trace.at[(0, "lr")].tolist() == list(range(1, 25))
    assert trace.values[(0, "lr")].tolist()[:-1] == used[1:]


@pytest.mark.parametrize("name", ["log_ok.txt", "log_ok.jsonl"])
def test_a_correct_run_follows_the_plan(name):
    (v,) = verify_files(PLAN, DATA / name).verdicts
    assert v.text() == "lr: follows the plan (24 of 24 logged steps)"


def test_a_sparse_log_and_the_folder_are_read():
    (v,) = verify_files(PLAN, DATA / "log_sparse.jsonl").verdicts
    assert v.text() == "lr: follows the plan (4 of 4 logged steps)"
    traces = load_log(DATA).schedules  # the folder: each log_* file a run (tests/test_logs_folders.py)
    assert [t.name for t in traces] == ["log_ok.jsonl", "log_ok.txt", "log_sparse.jsonl", "log_twice.txt"]
    assert {log_info(t).format for t in traces} == {"torchtune"}


def test_a_run_stepping_its_scheduler_twice_is_named():
    used = USED["twice"]
    (v,) = verify_files(PLAN, DATA / "log_twice.txt").verdicts
    assert v.text() == (
        f"lr: diverges at step 1: logged {used[1]:.9g}, plan {USED['ok'][1]:.9g} (0 of 24 logged steps agree); "
        "compressed in time by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, "
        "once per micro-batch with 2 accumulation steps, or an extra scheduler.step())")


def test_a_tensor_lr_is_a_located_error(tmp_path):
    log = tmp_path / "log_1.txt"
    log.write_text("Step 1 | loss:0.5 lr:tensor(0.1000) \n")
    with pytest.raises(LogError) as err:
        load_log(log)
    assert str(err.value).startswith(f"{log}:1: lr:tensor(0.1000) is not a number")


@pytest.mark.parametrize("name", ["log_ok.txt", "log_ok.jsonl"])
def test_a_last_line_still_being_written_is_not_read(tmp_path, name):
    """A running job's log read mid-write ends in a line without its line end (DiskLogger writes ``\\n`` last):
    its lr may be cut (``lr:0.00061`` of ``lr:0.0006155829702431171``), so that line is not read; the lines
    before it are, and the run so far follows the plan."""
    text = (DATA / name).read_text()
    last = text.rstrip("\n").rsplit("\n", 1)[0] + "\n"  # the first 23 lines, whole
    cut = last[:last.rindex("0.0006155829702431171") + len("0.00061")]
    (tmp_path / name).write_text(cut)
    (trace,) = load_log(tmp_path / name).schedules
    (whole,) = load_log(DATA / name).schedules
    assert trace.at[(0, "lr")].tolist() == list(range(1, 23))
    assert trace.values[(0, "lr")].tolist() == whole.values[(0, "lr")].tolist()[:22]
    (v,) = verify_files(PLAN, tmp_path / name).verdicts
    assert v.text() == "lr: follows the plan (22 of 22 logged steps)"
