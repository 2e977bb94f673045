"""The plot memo (lrplot/plotmemo.py): a re-run on unchanged input files reads and validates no spec,
and draws the very figure and lines a run that reads everything again draws."""

from __future__ import annotations

import json

import pytest

from lrplot import cache
from lrplot.pipeline import Reading
from tests.helpers.paths import ROOT

# A plan check finds mis-sized (T_max 50 cut at 30: [no-anneal]), fed a metric CSV, two groups.
SPEC = """
title: Plateau beside a cut cosine
steps: 30
metric: {csv: loss.csv, column: val_loss}
param_groups: [{name: body}, {name: head, lr: 0.3}]
schedules:
  - {name: plateau, scheduler: {type: ReduceLROnPlateau, factor: 0.5, patience: 1}}
  - {name: cut, scheduler: {type: CosineAnnealingLR, T_max: 50}}
"""
LOSSES = [2.0, 1.5, 1.2, 1.1, 1.1, 1.12, 1.1, 1.15, 1.0, 0.99, 0.99, 0.995, 0.99] + [0.98] * 30


@pytest.fixture
def spec_file(write_spec):
    write_spec("epoch,val_loss\n" + "".join(f"{i},{v}\n" for i, v in enumerate(LOSSES)), "loss.csv")
    return write_spec(SPEC, "plan.yaml")


@pytest.fixture
def reads(monkeypatch):
    """How many times the run read its inputs (Reading.load)."""
    calls = []
    original = Reading.load

    def load(self, sources):
        calls.append(1)
        return original(self, sources)

    monkeypatch.setattr(Reading, "load", load)
    return calls


def run(cli, spec_file, name, *args):
    result = cli(spec_file, "-o", name, *args)
    assert result.exit_code == 0, result.output
    return (spec_file.parent / name).read_bytes(), result.stderr


def memos():
    return sorted(cache.cache_dir().glob("plot-*.json"))


def test_a_rerun_reads_nothing_and_draws_the_same_bytes_and_lines(spec_file, cli, reads):
    first, _ = run(cli, spec_file, "a.png")
    assert len(reads) == 1 and len(memos()) == 1
    again, lines = run(cli, spec_file, "b.png", "--title", "Another", "--theme", "dark")
    assert len(reads) == 1  # read from the memo
    fresh, fresh_lines = run(cli, spec_file, "c.png", "--title", "Another", "--theme", "dark", "--no-cache")
    assert len(reads) == 2
    assert again == fresh and again != first
    assert lines == fresh_lines
    assert "[no-anneal]" in lines and "plateau" in lines  # the finding's line and the summary


@pytest.mark.parametrize("change", ["spec", "csv", "set", "env"])
def test_every_input_that_changes_the_curve_is_in_the_key(spec_file, cli, reads, monkeypatch, change):
    run(cli, spec_file, "a.png", "--data", "a.csv")
    extra: tuple[str, ...] = ()
    if change == "spec":
        spec_file.write_text(spec_file.read_text().replace("factor: 0.5", "factor: 0.25"))
    elif change == "csv":
        (spec_file.parent / "loss.csv").write_text("epoch,val_loss\n" + "".join(f"{i},{3.0 - i / 10}\n" for i in range(43)))
    elif change == "set":
        extra = ("--set", "steps=25")
    else:
        monkeypatch.setenv("LRPLOT_ALLOW_IMPORT", "nothing_here")
    run(cli, spec_file, "b.png", "--data", "b.csv", *extra)
    assert len(reads) == 2  # read again
    run(cli, spec_file, "c.png", "--data", "c.csv", "--no-cache", *extra)
    b, c = ((spec_file.parent / f"{n}.csv").read_text() for n in "bc")
    assert b == c
    if change != "env":
        assert b != (spec_file.parent / "a.csv").read_text()


def test_an_output_over_an_input_is_refused_from_the_memo_too(spec_file, cli, reads):
    run(cli, spec_file, "a.png")
    result = cli(spec_file, "-o", "b.png", "--data", "loss.csv")
    assert len(reads) == 1  # the memo's run
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "lrplot: loss.csv: refusing to overwrite an input file (the metric CSV of plan.yaml); "
        "choose another output name"]
    fresh = cli(spec_file, "-o", "b.png", "--data", "loss.csv", "--no-cache")
    assert (fresh.exit_code, fresh.stderr) == (result.exit_code, result.stderr)


@pytest.mark.parametrize("damage", ["garbage", "other key", "entry gone"])
def test_a_damaged_memo_is_read_again(spec_file, cli, reads, damage):
    first, _ = run(cli, spec_file, "a.png")
    (memo,) = memos()
    if damage == "garbage":
        memo.write_bytes(b"{not json")
    elif damage == "other key":
        record = json.loads(memo.read_text())
        record["entry"]["raw"]["set"] = ["steps=5"]
        memo.write_text(json.dumps(record))
    else:
        for entry in cache.cache_dir().glob("*.npz"):
            entry.unlink()
    again, _ = run(cli, spec_file, "b.png")
    assert len(reads) == 2 and again == first


def test_a_poisoned_memo_entry_is_never_used(spec_file, cli, reads):
    """The memo's curves are a curves-cache entry: one whose payload does not hash to its digest is ignored."""
    run(cli, spec_file, "a.png", "--data", "a.csv")
    (memo,) = memos()
    entry = cache.entry_path(json.loads(memo.read_text())["entry"])
    blob = bytearray(entry.read_bytes())
    blob[-200] ^= 1
    entry.write_bytes(bytes(blob))
    run(cli, spec_file, "b.png", "--data", "b.csv")
    assert len(reads) == 2
    assert (spec_file.parent / "b.csv").read_text() == (spec_file.parent / "a.csv").read_text()


def test_a_failed_run_writes_no_memo_and_its_error_stays_one_line(write_spec, cli):
    spec = write_spec("steps: 10\nscheduler: {type: StepLR, step_sise: 3}\n", "bad.yaml")
    for _ in range(2):
        result = cli(spec, "-o", "a.png")
        assert result.exit_code != 0 and len(result.stderr.strip().splitlines()) == 1
    assert memos() == []


def test_import_paths_are_never_memoised(cli):
    """The code behind an import path can change without any file the key lists changing."""
    spec, code = ROOT / "configs" / "custom_scheduler.yaml", ROOT / "configs" / "my_schedules.py"
    assert cli(spec, "-o", "a.png", "--allow-import", code, "-q").exit_code == 0
    assert memos() == []


@pytest.mark.slow
def test_other_code_under_the_same_version_is_another_key(spec_file, tmp_path):
    # a working tree changed under the same version string (0.1.0 all along development) found the memo, the
    # curves cache and the docs memo of the code before the change: a stale figure after a fix
    import shutil
    import subprocess
    import sys

    shutil.copytree(ROOT / "lrplot", tmp_path / "code" / "lrplot", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path / "code"), "LRPLOT_CACHE_DIR": str(tmp_path / "c")}

    def plot():
        result = subprocess.run([sys.executable, "-m", "lrplot", str(spec_file), "--no-figure", "-q"], env=env,
                                cwd=tmp_path, capture_output=True, text=True, timeout=300)  # not this checkout's
        assert result.returncode == 0 and "[no-anneal]" in result.stderr, result.stderr  # the plan's finding
        return sorted(p.name for p in (tmp_path / "c").glob("plot-*.json"))

    first = plot()
    assert plot() == first and len(first) == 1  # unchanged code: the same entry
    engine = tmp_path / "code" / "lrplot" / "engine" / "run.py"
    engine.write_text(engine.read_text() + "\n# changed\n")  # the version string stays what it was
    assert len(plot()) == 2
