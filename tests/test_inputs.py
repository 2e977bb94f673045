"""Every input a run reads is protected from every output (issue 9): spec files, metric CSVs and
local Python modules named by import paths, against -o, --data and resume -o; nothing is written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROWS = "step,loss\n" + "".join(f"{i},{1 / (i + 1)}\n" for i in range(40))
SPEC = "steps: 30\nmetric: {csv: loss.csv, column: loss}\nscheduler: {type: ReduceLROnPlateau, patience: 1}\n"
LOCAL = "steps: 10\nscheduler: {type: 'mysched.py:make'}\n"
MODULE = """
import torch
def make(optimizer):
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=3)
"""


@pytest.fixture
def plateau(tmp_path):
    (tmp_path / "loss.csv").write_text(ROWS)
    (tmp_path / "p.yaml").write_text(SPEC)
    return tmp_path


def _unchanged(folder: Path, before: dict[str, bytes]) -> bool:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("args", [
    ["p.yaml", "-o", "p.png", "--data", "loss.csv"],
    ["p.yaml", "--data", "./sub/../loss.csv", "-o", "p.png"],
    ["p.yaml", "--data", "link.csv", "-o", "p.png"],           # a symlink to the metric CSV
    ["p.yaml", "--data", "hard.csv", "-o", "p.png"],           # a hard link to it
])
def test_data_and_figures_never_overwrite_the_metric_csv_or_the_spec(cli, plateau, args):
    (plateau / "sub").mkdir()
    os.symlink(plateau / "loss.csv", plateau / "link.csv")
    os.link(plateau / "loss.csv", plateau / "hard.csv")
    before = _snapshot(plateau)
    r = cli(*args)
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert len(line.splitlines()) == 1
    assert "refusing to overwrite an input file" in line and "choose another output name" in line
    if "resume" not in args:
        assert "(the metric CSV of p.yaml)" in line
    assert _unchanged(plateau, before)
    assert not (plateau / "p.png").exists()


def test_resume_figure_never_overwrites_the_metric_csv(cli, plateau):
    r = cli("resume", "p.yaml", "--at", "5", "-o", "loss.png")  # allowed: another file
    assert r.exit_code in (0, 1), r.output
    (plateau / "loss.png").unlink(missing_ok=True)
    os.symlink(plateau / "loss.csv", plateau / "fig.png")
    before = (plateau / "loss.csv").read_bytes()
    r = cli("resume", "p.yaml", "--at", "5", "-o", "fig.png")
    assert r.exit_code == 2 and "(the metric CSV of p.yaml)" in r.output, r.output
    assert (plateau / "loss.csv").read_bytes() == before


def test_a_local_module_is_protected(cli, tmp_path):
    (tmp_path / "mysched.py").write_text(MODULE)
    (tmp_path / "l.yaml").write_text(LOCAL)
    os.symlink(tmp_path / "mysched.py", tmp_path / "mysched.csv")
    before = _snapshot(tmp_path)
    r = cli("l.yaml", "--allow-import", "mysched", "--data", "mysched.csv", "-o", "l.png")
    assert r.exit_code == 2, r.output
    assert "(a Python file l.yaml imports)" in r.output
    assert _unchanged(tmp_path, before)


def test_another_output_name_works(cli, plateau):
    r = cli("p.yaml", "-o", "p.png", "--data", "out.csv")
    assert r.exit_code == 0, r.output
    assert (plateau / "loss.csv").read_text() == ROWS


# --- every file the run read, recorded as it was read (lrplot.reads) ------------------------------

COS = "steps: 50\nscheduler: {type: CosineAnnealingLR, T_max: 50}\n"
LOG = "step,lr\n" + "".join(f"{i},0.1\n" for i in range(0, 50, 5))
STATE = '{"log_history": [{"step": 1, "learning_rate": 0.1}, {"step": 6, "learning_rate": 0.1}]}'


def _refused(r, name: str, what: str) -> None:
    """Exit 2 and the one error line (a framework's own import warnings may come before it)."""
    assert r.exit_code == 2, r.output
    assert r.output.splitlines()[-1] == (f"lrplot: {name}: refusing to overwrite an input file ({what}); "
                                         "choose another output name")
    assert not any(line.startswith("lrplot: ") and "warning" not in line for line in r.output.splitlines()[:-1])


@pytest.mark.parametrize("log, data, name", [
    ("good.csv", "good.csv", "good.csv"),                         # the log itself
    ("good.csv", "link.json", "link.json"),                       # a symlink to it
    ("good.csv", "hard.csv", "hard.csv"),                         # a hard link to it
    ("trainer_state.json", "trainer_state.json", "trainer_state.json"),
    ("run", "run/version_0/metrics.csv", "run/version_0/metrics.csv"),  # found in a run folder
])
def test_no_output_replaces_the_log_being_read(cli, tmp_path, log, data, name):
    (tmp_path / "cos.yaml").write_text(COS)
    (tmp_path / "good.csv").write_text(LOG)
    os.symlink(tmp_path / "good.csv", tmp_path / "link.json")
    os.link(tmp_path / "good.csv", tmp_path / "hard.csv")
    (tmp_path / "trainer_state.json").write_text(STATE)
    (tmp_path / "run" / "version_0").mkdir(parents=True)
    (tmp_path / "run" / "version_0" / "metrics.csv").write_text(LOG.replace("step,lr", "step,lr-SGD"))
    before = _snapshot(tmp_path)
    r = cli("cos.yaml", "--log", log, "--data", data, "-o", "cos.png")
    _refused(r, name, "a training log file")
    assert _unchanged(tmp_path, before) and not (tmp_path / "cos.png").exists()


def test_every_output_is_checked_against_the_files_read_when_it_is_written(tmp_path):
    """The last word: an output staged after the reads (a file only the simulation read) is refused."""
    from lrplot.errors import UsageError
    from lrplot.output import Staged
    from lrplot.reads import forget
    from lrplot.spec import read_input

    (tmp_path / "in.csv").write_text("step,lr\n0,1\n")
    os.link(tmp_path / "in.csv", tmp_path / "out.csv")
    forget()
    with Staged() as staged:
        staged.add(tmp_path / "fresh.csv", lambda fh: fh.write(b"x"))  # before the read: allowed
        read_input(tmp_path / "in.csv", "metric CSV")
        with pytest.raises(UsageError) as exc:
            staged.add(tmp_path / "out.csv", lambda fh: fh.write(b"x"))
    assert exc.value.format() == (f"{tmp_path / 'out.csv'}: refusing to overwrite an input file (a metric CSV "
                                  "file); choose another output name")
    assert (tmp_path / "in.csv").read_text() == "step,lr\n0,1\n"
    assert not list(tmp_path.glob(".*.tmp")) and not (tmp_path / "fresh.csv").exists()
    forget()


def test_a_file_replaced_since_it_was_read_is_still_refused_and_a_reused_inode_is_not(tmp_path):
    from lrplot.reads import forget, read_as, record

    forget()
    a = tmp_path / "a.csv"
    a.write_text("1")
    record(a, "a training log file")
    a.unlink()
    a.write_text("2")  # another file under the read name
    assert read_as(a) == "a training log file"
    b = tmp_path / "b.csv"
    b.write_text("3")  # whatever inode it gets, it is not a file the run read
    assert read_as(b) is None
    forget()
    assert read_as(a) is None


@pytest.mark.slow
def test_no_output_replaces_an_mmengine_base_file(cli, tmp_path):
    pytest.importorskip("mmengine")
    (tmp_path / "base.py").write_text("param_scheduler = [dict(type='CosineAnnealingLR', T_max=100, "
                                      "by_epoch=False, begin=0, end=100)]\n")
    (tmp_path / "cfg.py").write_text("_base_ = ['./base.py']\ntrain_cfg = dict(type='IterBasedTrainLoop', "
                                     "max_iters=100)\noptim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n")
    os.symlink(tmp_path / "base.py", tmp_path / "base.csv")
    before = _snapshot(tmp_path)
    r = cli("cfg.py", "--allow-import", "mmengine", "--data", "base.csv", "-q")
    _refused(r, "base.csv", "a file MMEngine read for cfg.py")  # its base check reads under MMEngine's label
    assert _unchanged(tmp_path, before)


@pytest.mark.slow
def test_no_output_replaces_a_hydra_group_file(cli, tmp_path):
    pytest.importorskip("hydra")
    (tmp_path / "sched").mkdir()
    (tmp_path / "config.yaml").write_text("defaults:\n  - sched: cos\n  - _self_\nmodel:\n  optimizer: "
                                          "{_target_: torch.optim.SGD, lr: 0.1}\ntrainer: {max_steps: 100}\n")
    (tmp_path / "sched" / "cos.yaml").write_text("# @package model.scheduler\n_target_: "
                                                 "torch.optim.lr_scheduler.CosineAnnealingLR\nT_max: 100\n"
                                                 "interval: step\n")
    os.symlink(tmp_path / "sched" / "cos.yaml", tmp_path / "cos.json")
    before = _snapshot(tmp_path)
    r = cli("config.yaml", "--data", "cos.json", "-q")
    _refused(r, "cos.json", "a file Hydra read for config.yaml")
    assert _unchanged(tmp_path, before)
