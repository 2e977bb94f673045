"""The bulk reader of large ``.wandb`` files (lrplot/logs/wandbbulk.py, wandbframe.py) against the
chunk-by-chunk one (wandbframe.records + wandb's ``Record`` class): the same columns, keys and errors.

The run file is written by the REAL wandb (offline) in a subprocess: 1,500 ``wandb.log`` calls
spanning several 32 KiB blocks, with the layouts the bulk decoder must hand to the Record class
(a record split over blocks by a 40 KB value, keys longer than 40 bytes, NaN, text and integer
values, a key logged only sometimes), then damaged (a flipped bit, a cut) to compare the errors.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.installed import require

require("wandb")

WRITE = """
import math, sys, wandb
run = wandb.init(project="bulk", dir=sys.argv[1], mode="offline")
for t in range(1500):
    row = {"lr": 3e-4 * (1 - t / 1500) ** 2, "trainer/global_step": t,
           "a_metric_name_that_is_longer_than_forty_bytes_in_all": t / 7}
    if t % 97 == 5:
        row["lr"] = math.nan
    if t % 250 == 3:
        row["note"] = "text"
        row["lr-AdamW"] = 1
    if t == 700:
        row["blob"] = [0.1] * 8000          # a record of ~40 KB: FIRST/MIDDLE/LAST chunks
    run.log(row, step=t)
run.finish()
"""


@pytest.fixture(scope="module")
def run_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bulk")
    env_python = sys.executable
    subprocess.run([env_python, "-W", "ignore", "-c", WRITE, str(folder)], check=True, cwd=folder,
                   env={"WANDB_MODE": "offline", "WANDB_SILENT": "true", "PATH": "/usr/bin:/bin",
                        "HOME": str(folder)}, timeout=300)
    (file,) = folder.rglob("offline-run-*/run-*.wandb")
    return file


def _read(path: Path, bulk: bool, monkeypatch):
    from lrplot.logs import LogError, wandbbulk, wandbrun

    monkeypatch.setattr(wandbbulk, "MIN_BYTES", 0 if bulk else 1 << 62)
    try:
        return wandbrun._history(path, None, wandbrun.allowance())
    except LogError as exc:
        return str(exc)


def _same(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    (ca, fa), (cb, fb) = a, b
    return fa == fb and list(ca) == list(cb) and all(
        np.array_equal(ca[k][0], cb[k][0]) and np.array_equal(ca[k][1], cb[k][1], equal_nan=True) for k in ca)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_bulk_reader_reads_what_the_record_class_reads(run_file, monkeypatch):
    from lrplot.logs import wandbframe

    blob = run_file.read_bytes()
    assert len(blob) > 8 * wandbframe.BLOCK
    framed = wandbframe.frame(blob)
    assert framed is not None and framed[2]  # records assembled from pieces were there
    slow, bulk = _read(run_file, False, monkeypatch), _read(run_file, True, monkeypatch)
    columns, found = bulk
    assert _same(slow, bulk)
    assert {"lr", "trainer/global_step", "a_metric_name_that_is_longer_than_forty_bytes_in_all", "note", "blob",
            "lr-AdamW", "_step"} <= set(found)
    rows, values = columns["lr"]
    assert len(rows) == 1500 and np.isnan(values[5]) and values[0] == 3e-4
    assert columns["lr-AdamW"][0].tolist() == list(range(3, 1500, 250))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_damaged_files_give_the_same_line_or_the_same_columns(run_file, tmp_path, monkeypatch):
    from lrplot.logs import wandbframe

    blob = run_file.read_bytes()
    late = 5 * wandbframe.BLOCK + 1000  # inside a later block
    cases = {"flipped": blob[:late] + bytes([blob[late] ^ 0x10]) + blob[late + 1:],
             "cut": blob[:late], "zeros": blob[:late] + bytes(len(blob) - late),
             "length": blob[:6 * wandbframe.BLOCK + 4] + b"\xff\xff" + blob[6 * wandbframe.BLOCK + 6:]}
    for name, data in cases.items():
        path = tmp_path / f"run-{name}.wandb"
        path.write_bytes(data)
        slow, bulk = _read(path, False, monkeypatch), _read(path, True, monkeypatch)
        assert _same(slow, bulk), name
        assert isinstance(slow, str) == (name != "cut"), (name, slow)  # zeros mid-chunk: that chunk's CRC fails


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_skip_corrupt_drops_the_rest_of_the_block_and_keeps_every_other_record(run_file, tmp_path, cli):
    from lrplot.logs import wandbframe
    from lrplot.logs.wandbframe import records

    blob = run_file.read_bytes()
    starts = wandbframe.frame(blob)[0]
    chunk = int(starts[np.searchsorted(starts, 5 * wandbframe.BLOCK + 100)]) - 7  # a FULL chunk in block 5
    end = 6 * wandbframe.BLOCK
    flipped = tmp_path / "run-flipped.wandb"
    flipped.write_bytes(blob[:chunk + 9] + bytes([blob[chunk + 9] ^ 0x01]) + blob[chunk + 10:])
    damaged: list[str] = []
    kept = records(flipped.read_bytes(), flipped, damaged)
    assert kept == [(at, data) for at, data in records(blob, run_file) if not chunk <= at < end]
    assert damaged[0] == (f"{flipped}: chunk at byte {chunk}: its data fails its CRC check (the file is corrupt); "
                          f"bytes {chunk}-{end - 1} skipped")
    plan = tmp_path / "plan.yaml"
    plan.write_text("steps: 1500\noptimizer: {type: AdamW, lr: 3.0e-4}\nscheduler: {type: LambdaLR, "
                    "lr_lambda: '(1 - epoch / 1500) ** 2'}\n")
    r = cli("verify", plan, "--log", flipped, "--log-skip-corrupt", "--log-key", "lr")
    assert f"corrupt record(s) of the log skipped (--log-skip-corrupt), first: {damaged[0]}" in r.output
