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
