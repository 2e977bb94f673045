"""Reading MLflow's sqlite store (``mlflow.db``) with Python's ``sqlite3``: the queries and their cost.

The tables and columns read are MLflow 3.17.2's (``metrics``: ``key, value, timestamp, run_uuid, step,
is_nan``, the value a FLOAT column, a NaN stored as 0 with ``is_nan`` 1, an inf as the largest float (read as inf); ``runs``: ``run_uuid, name,
lifecycle_stage``); a database without them is one line naming what is missing.

What a million-point run costs (bench/bench_logs_stores.py; CPU, the shared 2-core machine under load):
a Python object per row (≈ 0.33 µs each) is most of it, so a run's rows come back as two texts built
by SQLite in one scan, ``group_concat`` of ``step * 2 + is_nan`` and of ``CAST(value * 2**k AS
INTEGER)``, each parsed by numpy in C (:func:`scaled_values`). No value is ever converted to text as a
REAL: SQLite 3.40's float-to-text is not exact to 17 digits (``%!.17g``: 518 of 400k doubles wrong),
and its 18-digit ``printf``, exact on those, costs more than the rows (it computes in long double). The integers are exact by IEEE arithmetic alone: ``value * 2**k`` is exact (a power
of two), and an integer as a double when at least 2**52, so ``CAST`` truncates nothing, and below 2**62
it is an int64; then ``m / 2**k`` is the very double. Each row whose integer is outside [2**52, 2**62)
(a value outside the ten binary exponents holding most of 33 values sampled by step, 0, a NaN's 0,
a text) is read again as a row, by its step; a run with a quarter of them or more is read as rows (:func:`_rows`), as are
steps at or above 2**52, steps that do not come back strictly increasing (then the timestamps order
them: every row's (step, timestamp), stably, the row logged last for a step kept), and a database on
which a probe of that arithmetic fails (:func:`integer_path`). A run's metric keys come from a skip
scan of MLflow's (run_uuid, key, step) index (one lookup per key) instead of a DISTINCT over every row.
"""

from __future__ import annotations

import json
import math
import os
from itertools import chain
from pathlib import Path

import numpy as np

from ..errors import Location
from . import LogError, Raw, classify
from .mlflowhf import sqlite_params, writer

TABLES = {"metrics": ("key", "value", "timestamp", "run_uuid", "step", "is_nan"),
          "runs": ("run_uuid", "name", "lifecycle_stage")}
_EXACT_STEPS = 2**52  # step * 2 + is_nan below 2**53: exact as a float64
_SURE = (2**52, 2**62)  # |value * 2**k| here: an integer as a double, an int64, exact both ways
_SAMPLES = 33  # values read by step to choose k
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
        raise LogError(f"cannot read as an sqlite database: {exc}", location=Location(str(path)),
                       hint="read a whole copy of the store (cut short, or copied while MLflow wrote it)") from None
    return con


def read_sqlite(path: Path, key: str | None, run: str | None, choose, label_runs) -> tuple[list[Raw], list[str], dict]:
    """The lr-like series of the chosen runs, every metric key found, and each run's writer (:mod:`.mlflowhf`)."""
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
        writers = {labels[i] if len(chosen) > 1 else "": writer(sqlite_params(con, i)) for i, _ in chosen}
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
            values = _infinite(values)
            left -= len(steps)
            raws.append(Raw(labels[run_id] if len(chosen) > 1 else "", name, steps, values))
    except sqlite3.Error as exc:
        raise LogError(f"cannot read this MLflow database: {exc}", location=where) from None
    except (TypeError, ValueError, OverflowError):  # a step or value that is no number: not what MLflow writes
        raise LogError("not an MLflow tracking database: a metric's step or value is not a number",
                       location=where) from None
    finally:
        con.close()
    return raws, found, writers


def _infinite(values: np.ndarray) -> np.ndarray:
    """MLflow's sqlite store writes an inf as the largest float, with its sign (sqlalchemy_store.py:1382,
    ``_get_metric_value_details``), and reads it back so: the value logged was inf, and is named so."""
    big = np.abs(values) == np.finfo(np.float64).max
    if big.any():
        values = values.copy()
        values[big] = np.copysign(math.inf, values[big])
    return values


def _series(con, run_id: str, name: str, left: int, wanted: list, where: Location) -> tuple[np.ndarray, np.ndarray]:
    """One metric of one run: steps (int64) and values (float64, NaN where ``is_nan``), a step's last row kept."""
    low, high = con.execute(f"SELECT (SELECT MIN(step) {_WHERE}), (SELECT MAX(step) {_WHERE})",
                            (run_id, name, run_id, name)).fetchone()
    if low is None:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    check_steps(np.array([low, high], dtype=np.int64), where, name)  # MAX: a text step sorts above every number
    if high >= _EXACT_STEPS:
        return _ordered(con, run_id, name, left, wanted, where)
    bulk = _bulk(con, run_id, name, low, high, left, wanted, where) if integer_path() else None
    return bulk if bulk is not None else _rows(con, run_id, name, left, wanted, where)


def _bulk(con, run_id: str, name: str, low: int, high: int, left: int, wanted: list,
          where: Location) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows as two texts of integers (see the module's docstring); None when they are not sure to be
    what the rows read (the caller then reads the rows)."""
    scale = _scale(con, run_id, name, low, high)
    if scale is None:
        return None
    count, codes, ints = con.execute(
        "SELECT COUNT(*), CAST(group_concat(c) AS BLOB), CAST(group_concat(m) AS BLOB) FROM (SELECT "
        f"step * 2 + (is_nan != 0) AS c, CAST(value * ? AS INTEGER) AS m {_WHERE} LIMIT ?)",
        (math.ldexp(1.0, scale), run_id, name, left + 1)).fetchone()
    if count > left:
        _too_many(con, wanted, where)
    coded, mant = integers(codes, count), integers(ints, count)
    if coded is None or mant is None:  # a NULL or a REAL step: the rows name it
        return None
    steps = coded >> 1
    if len(steps) > 1 and not np.all(steps[1:] > steps[:-1]):
        return _ordered(con, run_id, name, left, wanted, where)
    nan = (coded & 1).astype(bool)
    values = scaled_values(mant, scale)
    unsure = np.flatnonzero(np.isnan(values) & ~nan)
    if len(unsure) * 4 > len(steps):
        return None
    if len(unsure):
        import sqlite3

        try:  # json_each: SQLite's JSON functions, built in since 3.38 (a build may leave them out)
            rows = con.execute(f"SELECT step, value {_WHERE} AND step IN (SELECT value FROM json_each(?)) "
                               "ORDER BY step", (run_id, name, json.dumps(steps[unsure].tolist())))
        except sqlite3.OperationalError:
            return None
        again = np.fromiter(chain.from_iterable(rows), dtype=np.float64)  # a text value: ValueError, named above
        if len(again) != 2 * len(unsure) or not np.array_equal(again[0::2], steps[unsure]):
            return None  # rows changed meanwhile (a run still logging)
        values[unsure] = again[1::2]
    values[nan] = math.nan
    return steps, values


def _scale(con, run_id: str, name: str, low: int, high: int) -> int | None:
    """k for ``value * 2**k``: a few values read by step (evenly spaced, through the (run_uuid, key, step)
    index), and the window of ten binary exponents holding most of them (slack split above and below),
    its top scaled to 2**62. None when none is a finite nonzero number."""
    query = f"SELECT abs(value) {_WHERE} AND step >= ? AND NOT is_nan ORDER BY step LIMIT 1"
    exps = []
    for at in np.linspace(low, high, _SAMPLES).astype(np.int64).tolist():
        row = con.execute(query, (run_id, name, at)).fetchone()
        if row and isinstance(row[0], float) and math.isfinite(row[0]) and row[0] != 0.0:
            exps.append(math.frexp(row[0])[1])  # value in [2**(e-1), 2**e)
    if not exps:
        return None
    held = {top: sum(top - 9 <= e <= top for e in exps) for top in range(min(exps), max(exps) + 10)}
    best = [top for top, n in held.items() if n == max(held.values())]
    return min(max(62 - best[len(best) // 2], -1022), 1023)  # exponents top-9..top: |value * 2**k| in [2**52, 2**62)


def integers(text: bytes | None, count: int) -> np.ndarray | None:
    """A ``group_concat`` of ``count`` integers as int64, or None when it holds anything else (a NULL
    left out, a REAL's point or exponent)."""
    if count == 0:
        return np.zeros(0, np.int64)
    if not isinstance(text, bytes):
        return None
    raw = np.frombuffer(text, np.uint8)
    # bytes ',' '-' and digits only (44 to 57 but for '.' and '/'), count - 1 commas: count fields
    if (np.count_nonzero(raw == 44) != count - 1 or np.count_nonzero((raw - np.uint8(44)) > 13)
            or np.count_nonzero((raw - np.uint8(46)) < 2)):
        return None
    out = np.fromstring(text, dtype=np.int64, sep=",")
    return out if len(out) == count else None


def scaled_values(mant: np.ndarray, scale: int) -> np.ndarray:
    """``mant / 2**scale`` where ``|mant|`` is in [2**52, 2**62) (exact: at most 53 significant bits), NaN
    elsewhere (an integer that may have been truncated or clamped: read as a row)."""
    size = np.abs(mant)  # -2**63 stays negative: not sure
    sure = (size >= _SURE[0]) & (size < _SURE[1])
    return np.where(sure, np.ldexp(mant.astype(np.float64), -scale), math.nan)


_PROBE: list[bool] = []


def integer_path() -> bool:
    """Whether this SQLite scales and casts as the bulk read relies on: doubles of every exponent
    (normal, near the limits of each side) turned into their integers and back, bit for bit. Once per
    process; where it fails every run is read as rows."""
    if not _PROBE:
        import sqlite3

        doubles = [math.ldexp(1.0, e) * (1 + f) for e in (-1074, -1022, -1021, -500, -30, -1, 0, 52, 500, 1023)
                   for f in (0.0, 2**-52, 0.5 + 2**-40, 1 - 2**-52)]
        doubles = [d for d in doubles if math.isfinite(d)] + [-d for d in doubles if math.isfinite(d)]
        ok = True
        try:
            con = sqlite3.connect(":memory:")
            for d in doubles:
                scale = min(max(61 - math.frexp(d)[1], -1022), 1023)
                (mant,) = con.execute("SELECT group_concat(CAST(? * ? AS INTEGER))", (d, math.ldexp(1.0, scale))).fetchone()
                back = scaled_values(np.array([int(mant)], np.int64), scale)[0]
                ok &= bool(back == d or (math.isnan(back) and math.ldexp(abs(d), scale) < _SURE[0]))
            con.close()
        except (sqlite3.Error, ValueError, OverflowError):
            ok = False
        _PROBE.append(ok)
    return _PROBE[0]


def _rows(con, run_id: str, name: str, left: int, wanted: list, where: Location) -> tuple[np.ndarray, np.ndarray]:
    """The rows as Python objects, two numbers each: ``step * 2 + is_nan`` and ``value``."""
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
