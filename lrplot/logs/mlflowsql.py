"""Reading MLflow's sqlite store (``mlflow.db``) with Python's ``sqlite3``: the queries and their cost.

The tables and columns read are MLflow 3.17.2's (``metrics``: ``key, value, timestamp, run_uuid, step,
is_nan``, the value a FLOAT column, a NaN stored as 0 with ``is_nan`` 1; ``runs``: ``run_uuid, name,
lifecycle_stage``); a database without them is one line naming what is missing.

What a million-point run costs (bench/bench_logs_stores.py; CPU, the shared 2-core machine under load):
sqlite's own scan of the rows is ≈ 0.06 s, and every Python object made per row is the rest, so each
row comes back as two numbers only, ``step * 2 + is_nan`` and ``value`` (read as float64: exact, the
steps being checked below 2**52 first by MIN/MAX, which MLflow's index (run_uuid, key, step) answers
without a scan). The timestamp is read only where it decides something, when the steps do not
already come back strictly increasing (a step logged twice, or rows out of order): then every row's
(step, timestamp) orders them, stably, and the row logged last for a step is kept. A run's metric keys
come from a skip scan of the same index (one lookup per key) instead of a DISTINCT over every row.
Values are never converted to text: SQLite 3.40's float-to-text conversion is not exact to 17 digits.
"""

from __future__ import annotations

import math
import os
from itertools import chain
from pathlib import Path

import numpy as np

from ..errors import Location
from . import LogError, Raw, classify

TABLES = {"metrics": ("key", "value", "timestamp", "run_uuid", "step", "is_nan"),
          "runs": ("run_uuid", "name", "lifecycle_stage")}
_EXACT_STEPS = 2**52  # step * 2 + is_nan below 2**53: exact as a float64
_WHERE = "FROM metrics WHERE run_uuid = ? AND key = ?"
_KEYS = ("WITH RECURSIVE k(key) AS (SELECT MIN(key) FROM metrics WHERE run_uuid = ?1 UNION ALL "
         "SELECT (SELECT MIN(key) FROM metrics WHERE run_uuid = ?1 AND key > k.key) FROM k WHERE k.key IS NOT NULL) "
         "SELECT key FROM k WHERE key IS NOT NULL")


def connect(path: Path):
    import sqlite3

    try:
        con = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
        con.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        raise LogError(f"cannot read as an sqlite database: {exc}", location=Location(str(path))) from None
    return con


def read_sqlite(path: Path, key: str | None, run: str | None, choose, label_runs) -> tuple[list[Raw], list[str]]:
    import sqlite3

    from ..limits import MAX_LOG_VALUES
    from ..reads import record

    where = Location(str(path))
    record(path, "an MLflow database", os.stat(path))
    con = connect(path)
    try:
        for table, columns in TABLES.items():
            have = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
            missing = [c for c in columns if c not in have]
            if missing:
                raise LogError(f"not an MLflow tracking database: table '{table}' has no column "
                               f"{', '.join(repr(c) for c in missing)}", location=where)
        runs = [(str(i), n or "", s or "") for i, n, s in con.execute("SELECT run_uuid, name, lifecycle_stage FROM runs ORDER BY start_time, run_uuid")]
        chosen = choose(runs, run, where)
        labels = label_runs(chosen)
        found: list[str] = []
        wanted: list[tuple[str, str]] = []
        for run_id, _ in chosen:
            for (name,) in con.execute(_KEYS, (run_id,)):
                found.append(name)
                if classify(name, key) is not None:
                    wanted.append((run_id, name))
        raws = []
        left = MAX_LOG_VALUES
        for run_id, name in wanted:
            steps, values = _series(con, run_id, name, left, wanted, where)
            left -= len(steps)
            raws.append(Raw(labels[run_id] if len(chosen) > 1 else "", name, steps, values))
    except sqlite3.Error as exc:
        raise LogError(f"cannot read this MLflow database: {exc}", location=where) from None
    except (TypeError, ValueError, OverflowError):  # a step or value that is no number: not what MLflow writes
        raise LogError("not an MLflow tracking database: a metric's step or value is not a number",
                       location=where) from None
    finally:
        con.close()
    return raws, found


def _series(con, run_id: str, name: str, left: int, wanted: list, where: Location) -> tuple[np.ndarray, np.ndarray]:
    """One metric of one run: steps (int64) and values (float64, NaN where ``is_nan``), a step's last row kept."""
    low, high = con.execute(f"SELECT (SELECT MIN(step) {_WHERE}), (SELECT MAX(step) {_WHERE})",
                            (run_id, name, run_id, name)).fetchone()
    if low is None:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    check_steps(np.array([low, high], dtype=np.int64), where, name)  # MAX: a text step sorts above every number
    if high >= _EXACT_STEPS:
        return _ordered(con, run_id, name, left, wanted, where)
    rows = con.execute(f"SELECT step * 2 + (is_nan != 0), value {_WHERE} LIMIT ?",
                       (run_id, name, left + 1))
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64)
    if len(flat) // 2 > left:
        _too_many(con, wanted, where)
    coded = flat[0::2].astype(np.int64)
    if not np.array_equal(coded, flat[0::2]):  # a REAL step with a fraction: not what MLflow writes
        raise ValueError
    steps = coded >> 1
    if len(steps) > 1 and not np.all(steps[1:] > steps[:-1]):
        return _ordered(con, run_id, name, left, wanted, where)
    values = flat[1::2]  # a view: copied only to write a NaN into it
    nans = np.flatnonzero(coded & 1)
    if len(nans):
        values = values.copy()
        values[nans] = math.nan
    return steps, values


def _ordered(con, run_id: str, name: str, left: int, wanted: list, where: Location) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose steps repeat or come out of order: each row's (step, timestamp, value, is_nan), sorted
    by numpy (stable: the same order as ORDER BY step, timestamp), a step's last row kept."""
    rows = con.execute(f"SELECT step, timestamp, value, is_nan {_WHERE} LIMIT ?", (run_id, name, left + 1))
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64)
    if len(flat) // 4 > left:
        _too_many(con, wanted, where)
    flat = flat.reshape(-1, 4)  # steps at most 2**53 (checked): exact as float64
    if not np.array_equal(flat[:, 0], np.floor(flat[:, 0])):
        raise ValueError
    order = np.lexsort((flat[:, 1], flat[:, 0]))
    values = flat[order, 2]
    values[flat[order, 3] != 0] = math.nan
    return flat[order, 0].astype(np.int64), values


def _too_many(con, wanted: list, where: Location) -> None:
    from ..limits import MAX_LOG_VALUES

    count = sum(con.execute(f"SELECT COUNT(*) {_WHERE}", w).fetchone()[0] for w in wanted)
    raise LogError(f"{count:,} logged learning-rate values; a log is read with at most {MAX_LOG_VALUES:,}",
                   location=where, hint="choose one run with --log-run, or name one key with --log-key")


def check_steps(steps: np.ndarray, where: Location, name: str) -> None:
    from ..limits import MAX_LOG_STEP
    from . import log_step

    wrong = np.flatnonzero((steps < 0) | (steps > MAX_LOG_STEP))
    if len(wrong):
        log_step(int(steps[wrong[0]]), where, f"{name}: step")
