"""MLflow tracking stores: the sqlite database (``mlflow.db``) and the file store (``mlruns/``).

MLflow ≥ 3.7 tracks to ``sqlite:///mlflow.db`` by default (read here as MLflow 3.17.2 writes it:
table ``metrics`` with ``key, value, timestamp, run_uuid, step, is_nan``, ``runs`` with
``run_uuid, name, lifecycle_stage``); ``./mlruns`` is the older file store (``mlruns/<experiment>/
<run>/metrics/<key>``, one ``timestamp value step`` line per logged value, ``meta.yaml`` holding
``run_name`` and ``lifecycle_stage``; MLflow 3.17 writes it only with ``MLFLOW_ALLOW_FILE_STORE``).
Every run is read (each its own traces, named by its run name), except deleted ones; ``--log-run``
chooses one by its id (or a prefix of it) or its name.

Read with Python's ``sqlite3`` (:mod:`lrplot.logs.mlflowsql`) and plain text, not MLflow's store API.
Measured on one 1,000,000-point run (bench/bench_logs_stores.py, 2026-12-06, shared 2-core machine):
``import mlflow`` alone takes 1.4 s in a fresh process (``sqlite3``: 0.03 s), and
``MlflowClient.get_metric_history`` then takes 30 s (a ``Metric`` object per point); lrplot reads the
same values in ≈ 0.5 s CPU from ``mlflow.db`` and ≈ 0.3 s from the file store (its lines parsed in bulk,
each value the double ``float()`` reads: :mod:`lrplot.logs.mlflowtext`). MLflow is also a heavy
install (Flask, SQLAlchemy, alembic, pyarrow, scikit-learn, ...) to read two tables. The tables and
columns lrplot reads are checked first: a database without them is one line naming what is missing.
tests/test_logs_mlflow.py checks the values bit for bit against MLflow's own
``MlflowClient.get_metric_history``: as recorded by tests/data/mlflow/regenerate.py, and live where
mlflow (or mlflow-skinny with SQLAlchemy, in the test extra) is installed.

Values are what MLflow stored: float64 (SQL REAL; the file store writes ``repr``), a NaN as MLflow
writes it (``is_nan``; the file store ``nan``). The sqlite store itself bends two kinds of value, and
lrplot reads them as MLflow does: -0.0 comes back 0.0 (SQLite keeps a whole REAL as an integer) and
inf the largest double (MLflow's ``sanitize_metric_value``). A step logged twice keeps the value logged last.
Steps: ``mlflow.log_metric(key, value, step=s)``'s ``s``, read as a plain loop's (see
:mod:`lrplot.logs.conventions`). Not told apart yet: transformers' MLflowCallback, which logs
``learning_rate`` at ``state.global_step`` (one ahead): verify then says "shifted by 1 step".
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import Location
from . import LogError, Raw, classify, walk
from .mlflowhf import curves, file_params, writer
from .mlflowsql import TABLES, check_steps, connect, read_sqlite
from .mlflowtext import metric_columns

if TYPE_CHECKING:  # pragma: no cover
    from ..curves import Curves

LOOKS_FOR = {"mlflow": "an MLflow store (mlflow.db, mlruns/)"}
FINDS = {"mlflow": "an MLflow store (mlflow.db, mlruns/)"}
SELECTS_RUNS = True
_SQLITE = b"SQLite format 3\x00"


def _is_run_folder(folder: Path) -> bool:
    return (folder / "meta.yaml").is_file() and (folder / "metrics").is_dir()


def _is_file_store(folder: Path) -> bool:
    """``mlruns/``: experiment folders holding run folders (or a single experiment's folder)."""
    try:
        entries = list(os.scandir(folder))[:200]
    except OSError:
        return False
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and (Path(entry.path) / "meta.yaml").is_file():
            if _is_run_folder(Path(entry.path)):
                return True
            try:
                if any(_is_run_folder(Path(e.path)) for e in list(os.scandir(entry.path))[:200] if e.is_dir()):
                    return True
            except OSError:
                continue
    return False


def find(folder: Path, fmt: str) -> Path | None:
    """``mlflow.db`` in the folder, else the folder itself or its ``mlruns`` as a file store or run."""
    if (folder / "mlflow.db").is_file() and detect_file(folder / "mlflow.db", fmt):
        return folder / "mlflow.db"
    for candidate in (folder, folder / "mlruns"):
        if candidate.is_dir() and (_is_run_folder(candidate) or _is_file_store(candidate)):
            return candidate
    return None


def detect_file(path: Path, fmt: str) -> bool:
    try:
        with path.open("rb") as fh:
            if fh.read(16) != _SQLITE:
                return False
    except OSError:
        return False
    try:
        tables = {name for name, in connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except LogError:
        return True  # an sqlite file lrplot could only read as a store, damaged: the reader names what is wrong
    return set(TABLES) <= tables


def _choose(runs: list[tuple[str, str, str]], run: str | None, where: Location) -> list[tuple[str, str]]:
    """(id, name) of the runs to read: every run not deleted, or the one ``run`` names (an id, a
    prefix of one, or a run name; a deleted run too, when named)."""
    if run is None:
        return [(i, n) for i, n, stage in runs if stage != "deleted"]
    hits = [(i, n) for i, n, _ in runs if i == run or n == run]
    if not hits:
        hits = [(i, n) for i, n, _ in runs if len(run) >= 4 and i.startswith(run)]
    if len(hits) > 1:
        shown = ", ".join(i for i, _ in hits[:8])
        raise LogError(f"--log-run {run}: {len(hits)} runs match ({shown})", location=where,
                       hint="name the run by its id")
    if not hits:
        from ..text import did_you_mean

        names = [n for _, n, _ in runs if n] + [i for i, _, _ in runs]
        shown = ", ".join(list(_labels([(i, n) for i, n, _ in runs]).values())[:8]) + (", ..." if len(runs) > 8 else "")
        raise LogError(f"--log-run {run}: no such run in this MLflow store ({len(runs)} runs: {shown})", location=where,
                       hint=did_you_mean(run, names) or "name a run by its id or run name")
    return hits


def _labels(chosen: list[tuple[str, str]]) -> dict[str, str]:
    """A label per run: its name, with the start of its id where names repeat or are empty."""
    names = [n for _, n in chosen]
    return {i: (n if n and names.count(n) == 1 else f"{n or 'run'} ({i[:8]})") for i, n in chosen}


_META = re.compile(r"^(run_id|run_uuid|run_name|lifecycle_stage|name|start_time): *'?(.*?)'?\s*$", re.M)


def _meta(folder: Path) -> dict[str, str]:
    try:
        text = (folder / "meta.yaml").read_text("utf-8", errors="replace")[:65536]
    except OSError:
        return {}
    return {k: v for k, v in _META.findall(text)}


def _file_runs(store: Path) -> list[tuple[str, str, str, Path]]:
    """(id, name, lifecycle stage, folder) of every run of a file store, an experiment folder or a run folder."""
    if _is_run_folder(store):
        folders = [store]
    else:
        metas = walk(store, lambda name: name == "meta.yaml", 2)
        folders = [m.parent for m in metas if _is_run_folder(m.parent) and ".trash" not in m.parts[len(store.parts):]]
    out = []
    for folder in folders:
        meta = _meta(folder)
        run_id = meta.get("run_id") or meta.get("run_uuid") or folder.name
        name = meta.get("run_name", "")
        if not name:
            try:
                name = (folder / "tags" / "mlflow.runName").read_text("utf-8", errors="replace")[:250].strip()
            except OSError:
                name = ""
        start = meta.get("start_time", "")
        out.append((int(start) if start.isdigit() else 0, run_id, name, meta.get("lifecycle_stage", ""), folder))
    return [r[1:] for r in sorted(out, key=lambda r: (r[0], r[1]))]


def _read_files(store: Path, key: str | None, run: str | None) -> tuple[list[Raw], list[str], dict]:
    from ..limits import MAX_STORE_BYTES
    from ..reads import record

    where = Location(str(store))
    runs = _file_runs(store)
    folders = {r[0]: r[3] for r in runs}
    chosen = _choose([r[:3] for r in runs], run, where)
    labels = _labels(chosen)
    writers = {labels[i] if len(chosen) > 1 else "": writer(file_params(folders[i])) for i, _ in chosen}
    found: list[str] = []
    left = MAX_STORE_BYTES
    raws = []
    for run_id, _ in chosen:
        metrics = folders[run_id] / "metrics"
        for file in walk(metrics, lambda name: True, 8):
            name = file.relative_to(metrics).as_posix()
            found.append(name)
            if classify(name, key) is None:
                continue
            info = os.stat(file)
            left -= info.st_size
            if left < 0:
                raise LogError(f"the lr metric files of this MLflow store are more than {MAX_STORE_BYTES / 1e6:.3g} MB; "
                               f"a log is read with at most {MAX_STORE_BYTES / 1e6:.3g} MB of them",
                               location=Location(str(file)), hint="choose one run with --log-run")
            record(file, "an MLflow metric file", info)
            steps, values = _metric_file(file)
            raws.append(Raw(labels[run_id] if len(chosen) > 1 else "", name, steps, values))
    return raws, found, writers


def _metric_file(file: Path) -> tuple[np.ndarray, np.ndarray]:
    """One metric file of the file store: ``timestamp value step`` lines (``timestamp value`` in
    MLflow < 1.0: step 0; ``timestamp value step dataset_name dataset_digest`` for a metric logged with
    a dataset, as MLflow's own reader takes them: file_store.py ``_get_metric_from_line``), in the order
    they were logged; a step logged twice keeps the last."""
    data = file.read_bytes()
    fast = metric_columns(data)
    if fast is not None:
        stamps_a, values_a, steps_a = fast
        check_steps(steps_a, Location(str(file)), file.name)
        if stamps_a is None:  # steps strictly increasing: the order the lines were logged in
            return steps_a, values_a
        order = np.lexsort((stamps_a, steps_a))
        return steps_a[order], values_a[order]
    text = data.decode("utf-8", errors="strict")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    stamps: list[int] = []
    steps: list[int] = []
    values: list[float] = []
    for n, line in enumerate(lines, start=1):
        parts = line.split(" ")
        try:
            if len(parts) not in (2, 3, 5):  # 5: the metric logged with a dataset (its name and digest)
                raise ValueError
            stamps.append(int(parts[0]))
            values.append(float(parts[1]))
            steps.append(int(parts[2]) if len(parts) > 2 else 0)
        except ValueError:
            raise LogError("not an MLflow metric line ('timestamp value step')", location=Location(str(file), n),
                           hint="each line is written by MLflow as: <timestamp ms> <value> <step> "
                                "(then <dataset name> <dataset digest> when logged with a dataset)") from None
    s = np.array(steps, dtype=np.int64) if steps else np.zeros(0, np.int64)
    check_steps(s, Location(str(file)), file.name)
    order = np.lexsort((np.array(stamps, dtype=np.int64), s)) if steps else np.zeros(0, np.int64)
    return s[order], np.array(values, dtype=np.float64)[order]


def read(path: Path, fmt: str, key: str | None, run: str | None = None) -> "Curves":  # noqa: F821
    if path.is_dir():
        target = path if (_is_run_folder(path) or _is_file_store(path)) else find(path, fmt)
        if target is None:
            raise LogError("no MLflow store in this folder (looked for mlflow.db, mlruns/)", location=Location(str(path)))
        path = target
    if path.is_dir():
        raws, found, writers = _read_files(path, key, run)
    else:
        try:
            with path.open("rb") as fh:
                sqlite = fh.read(16) == _SQLITE
        except OSError as exc:
            raise LogError(f"cannot read: {exc.strerror or exc}", location=Location(str(path))) from None
        if not sqlite:
            raise LogError("not an MLflow database (not an sqlite file)", location=Location(str(path)),
                           hint="name mlflow.db, the mlruns folder, or a run's folder")
        raws, found, writers = read_sqlite(path, key, run, _choose, _labels)
    return curves(raws, fmt, path, key, found, writers)
