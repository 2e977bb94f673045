"""The sqlite store's bulk read (lrplot/logs/mlflowsql.py ``_bulk``): each value comes back from SQLite as
the integer ``CAST(value * 2**k AS INTEGER)`` inside one ``group_concat`` text, turned back into a double
by numpy; a row whose integer is not sure is read again as a row, a run with too many of them (or a
SQLite failing the probe) as rows. Every double must be the one MLflow stored: the reference is the row
as Python's sqlite3 returns it (the stored 8 bytes as a float, what SQLAlchemy hands MLflow too) and, in
the slow test, ``MlflowClient.get_metric_history`` itself, live.

The store is the checked-in ``special`` store written by MLflow 3.17.2 (tests/data/mlflow/regenerate.py),
its run's rows replaced by rows as MLflow's store writes them (sqlalchemy_store.py
``sanitize_metric_value``: NaN as 0 with is_nan 1, +-inf as the largest double, which lrplot reads back as
+-inf: :func:`as_read`)."""

from __future__ import annotations

import math
import shutil
import sqlite3
import struct
from pathlib import Path

import numpy as np
import pytest

from lrplot.logs import load_log, mlflowsql

SPECIAL = Path(__file__).resolve().parent / "data" / "mlflow" / "special" / "mlflow.db"


def bits(values) -> list[bytes]:
    return [struct.pack("<d", v) for v in values]


MAX = 1.7976931348623157e308


def as_read(values) -> list[float]:
    """The stored doubles as lrplot reads them: +-the largest double (how MLflow's store writes an inf) as +-inf."""
    return [math.copysign(math.inf, v) if abs(v) == MAX else v for v in values]


def adversarial(seed: int, n: int) -> list[float]:
    """Mostly random bit patterns of learning-rate size (each of its 52 mantissa bits random, exponents
    2**-20 to 2**-9: the bulk range), then doubles at the edges of every plausible scaling window
    (powers of two and their neighbours from 2**-40 to 2**10), 17-digit values, and those outside any
    window: 0, -0.0, subnormals, 1e-300, the largest double, NaN, +-inf, random patterns of any exponent."""
    rng = np.random.default_rng(seed)
    body = ((rng.integers(1023 - 20, 1023 - 9, n, dtype=np.uint64) << np.uint64(52))
            | rng.integers(0, 2**52, n, dtype=np.uint64)).view(np.float64).tolist()
    edges = [x for e in range(-40, 11) for x in (math.ldexp(1.0, e), math.ldexp(1.0 - 2**-53, e), math.ldexp(1.0 + 2**-52, e))]
    digits = [0.1, 1 / 3, 2 / 3, 0.30000000000000004, 3e-4, 1e-6, 2.2204460492503131e-16, 9007199254740993e-20]
    wild = rng.integers(0, 2**64, n // 8, dtype=np.uint64).view(np.float64)
    special = [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1e-300, 1.7976931348623157e308,
               -1.7976931348623157e308, math.nan, math.inf, -math.inf, -3e-4, -1e-12, 1e-20, 1e300]
    values = body + edges + digits + wild[np.isfinite(wild)].tolist() + special
    return [values[i] for i in rng.permutation(len(values))]


def store(tmp_path, values: list[float]) -> Path:
    """The special store with its run's rows replaced by one row per value at steps 0, 1, ..."""
    db = tmp_path / "mlflow.db"
    shutil.copy(SPECIAL, db)
    con = sqlite3.connect(db)
    run_id = con.execute("SELECT run_uuid FROM runs WHERE name = 'special'").fetchone()[0]
    con.execute("DELETE FROM metrics WHERE run_uuid = ?", (run_id,))
    rows = [("lr", 0.0 if math.isnan(v) else max(-1.7976931348623157e308, min(v, 1.7976931348623157e308)),
             1000 + t, run_id, t, int(math.isnan(v))) for t, v in enumerate(values)]
    con.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return db


def stored(db: Path) -> list[float]:
    """Each row's value as sqlite3 returns it, NaN where is_nan, an inf as MLflow wrote it: the reference."""
    con = sqlite3.connect(db)
    rows = con.execute("SELECT m.value, m.is_nan FROM metrics m JOIN runs r ON m.run_uuid = r.run_uuid "
                       "WHERE r.name = 'special' ORDER BY m.step").fetchall()
    con.close()
    return as_read(math.nan if nan else v for v, nan in rows)


def read(db: Path) -> tuple[list[int], list[float]]:
    (trace,) = load_log(db, run="special").schedules
    return trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist()


@pytest.fixture
def paths(monkeypatch):
    """Which of the two reads ran: the bulk one (and how many rows it read again), or the rows."""
    seen = {"rows": 0, "again": 0}
    rows = mlflowsql._rows

    def counted(*args):
        seen["rows"] += 1
        return rows(*args)

    monkeypatch.setattr(mlflowsql, "_rows", counted)
    bulk = mlflowsql._bulk

    def traced(con, *args):
        class Spy:
            def execute(self, query, params=()):
                if "json_each" in query:
                    seen["again"] += len(params[-1].split(","))
                return con.execute(query, params)
        return bulk(Spy(), *args)

    monkeypatch.setattr(mlflowsql, "_bulk", traced)
    return seen


def test_bulk_values_are_the_stored_doubles(tmp_path, paths):
    values = adversarial(0, 6000)
    db = store(tmp_path, values)
    steps, read_values = read(db)
    assert paths["rows"] == 0 and 100 < paths["again"] < len(values) / 4  # the bulk read, some rows read again
    assert steps == list(range(len(values)))
    assert bits(read_values) == bits(stored(db))
    assert sum(map(math.isnan, read_values)) == 1 and read_values[values.index(1e300)] == 1e300


def test_a_sqlite_without_json_functions_reads_the_unsure_rows_as_rows(tmp_path, paths, monkeypatch):
    # json_each is SQLite's JSON1, built in since 3.38 but possible to leave out: its OperationalError was
    # the reader's internal error
    values = adversarial(1, 3000)
    db = store(tmp_path, values)
    bulk = mlflowsql._bulk

    def without_json(con, *args):
        class NoJson:
            def execute(self, query, params=()):
                if "json_each" in query:
                    raise sqlite3.OperationalError("no such table: json_each")
                return con.execute(query, params)
        return bulk(NoJson(), *args)

    monkeypatch.setattr(mlflowsql, "_bulk", without_json)
    steps, read_values = read(db)
    assert paths["rows"] == 1 and steps == list(range(len(values)))
    assert bits(read_values) == bits(stored(db))


def test_a_run_mostly_outside_the_window_and_a_failed_probe_read_as_rows(tmp_path, paths, monkeypatch):
    rng = np.random.default_rng(1)
    wild = rng.integers(0, 2**64, 3000, dtype=np.uint64).view(np.float64)
    db = store(tmp_path, wild[np.isfinite(wild)].tolist())
    assert bits(read(db)[1]) == bits(stored(db)) and paths["rows"] == 1
    db = store(tmp_path, adversarial(2, 2000))
    monkeypatch.setattr(mlflowsql, "_PROBE", [False])
    assert bits(read(db)[1]) == bits(stored(db)) and paths["rows"] == 2


def test_the_probe_fails_on_a_sqlite_that_scales_or_casts_otherwise(monkeypatch):
    class Wrong:  # an integer one unit off, as a SQLite rounding the product would give
        def execute(self, query, params):
            return self

        def fetchone(self):
            return (str(int(math.ldexp(1.0, 60)) + 1),)

        def close(self):
            pass

    monkeypatch.setattr(mlflowsql, "_PROBE", [])
    assert mlflowsql.integer_path() is True
    monkeypatch.setattr(mlflowsql, "_PROBE", [])
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: Wrong())
    assert mlflowsql.integer_path() is False


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_bulk_values_equal_mlflows_own_client(tmp_path, paths):
    """MLflow's client reads the same doubles (its get_metric_history, ordered by timestamp, here also by step)."""
    mlflow = pytest.importorskip("mlflow.tracking")
    pytest.importorskip("sqlalchemy")
    values = adversarial(3, 8000)
    db = store(tmp_path, values)
    steps, read_values = read(db)
    assert paths["rows"] == 0 and paths["again"] > 100
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")
    (run,) = [r for r in client.search_runs([e.experiment_id for e in client.search_experiments()])
              if r.info.run_name == "special"]
    history = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, "lr"))
    assert steps == [s for s, _ in history] == list(range(len(values)))
    assert [m for _, m in history].count(MAX) == 2 and [m for _, m in history].count(-MAX) == 2  # inf and MAX alike
    assert bits(read_values) == bits(as_read(v for _, v in history))
    differ = [(a, b) for a, b in zip(read_values, values) if bits([a]) != bits([b])]
    assert sorted(differ, key=repr) == sorted([(0.0, -0.0), (math.inf, MAX), (-math.inf, -MAX)], key=repr)  # -0.0: SQLite keeps 0
