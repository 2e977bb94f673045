"""MLflow stores as the REAL mlflow (3.17.2) wrote them: its default sqlite store (``mlflow.db``) and
its file store (``mlruns/``), four runs each (tests/data/mlflow/regenerate.py: a torch loop calling
``mlflow.log_metric("lr", ..., step=t)`` before each update, correct and broken on purpose), and
``special/``: one run logging the doubles a store could bend (-0.0, subnormals, inf, NaN, ...).

Three truths: every value read, at the step lrplot puts it, is the lr that optimizer update used
(``used.json``, recorded by an optimizer step pre-hook); it is what MLflow's own client reads from the
same store (``mlflow_read.json``: ``MlflowClient.get_metric_history``, recorded by the regenerate
script, and compared live where mlflow is installed); and each broken run gets its cause, as a whole
line. Reading needs no mlflow (sqlite3 and text).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sqlite3
import struct
import textwrap
from pathlib import Path

import numpy as np
import pytest

from lrplot.logs import load_log
from lrplot.verify import verify_files

DATA = Path(__file__).resolve().parent / "data" / "mlflow"
USED = json.loads((DATA / "used.json").read_text())
STORES = {"sqlite": DATA / "mlflow.db", "files": DATA / "mlruns",
          "special/sqlite": DATA / "special" / "mlflow.db", "special/files": DATA / "special" / "mlruns"}
READ = json.loads((DATA / "mlflow_read.json").read_text())  # MLflow's own reading of each store, by run name
LOGGED = json.loads((DATA / "special" / "logged.json").read_text())["rows"]  # (step, timestamp, value) logged
PLAN = """
    steps: 30
    scheduler:
      type: LambdaLR
      lr_lambda: "min(1.0, (epoch + 1) / 5) * 0.97 ** epoch"
"""
CAUSES = {"twice": ("compressed", "k", 2), "epoch": ("stretched", "k", 5), "resume": ("restarted", "n", 12)}
VERDICTS = [
    "ok · lr: follows the plan (30 of 30 logged steps)",
    "twice · lr: diverges at step 1: logged 0.056454, plan 0.0388 (1 of 30 logged steps agree); compressed in time "
    "by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, once per micro-batch with 2 "
    "accumulation steps, or an extra scheduler.step())",
    "epoch · lr: diverges at step 1: logged 0.02, plan 0.0388 (1 of 30 logged steps agree); stretched in time by "
    "k=5: the scheduler stepped once every 5 updates (once per epoch of 5 updates instead of after every update)",
    "resume · lr: diverges at step 12: logged 0.02, plan 0.0693842361 (12 of 30 logged steps agree); restarted at "
    "step n=12: from there the lr starts the plan over (a resume that rebuilt the scheduler without loading its state)",
]


def bits(values) -> list[bytes]:
    """Each double's 8 bytes: equal only when the very same double (-0.0 is not 0.0, NaN equals NaN)."""
    return [struct.pack("<d", v) for v in values]


def last_per_step(rows: list) -> tuple[list[int], list[float]]:
    """MLflow's rows (step, timestamp, value) as a curve: by step, a step logged twice keeping the row
    logged last (the later timestamp; MLflow's own reader returns both)."""
    last = {}
    for step, _, value in sorted(rows, key=lambda r: (r[0], r[1])):
        last[step] = value
    return list(last), list(last.values())


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(textwrap.dedent(PLAN).lstrip())
    return path


@pytest.mark.parametrize("store", ["sqlite", "files"])
@pytest.mark.parametrize("case", list(USED))
def test_every_value_is_the_lr_its_update_used_and_what_mlflow_reads(store, case):
    (trace,) = load_log(STORES[store], run=case).schedules
    info = trace.meta["log"]
    assert info.format == "mlflow" and info.dtype == "float64" and info.step_offset == 0
    at, values = trace.at[(0, "lr")], trace.values[(0, "lr")]
    assert at.tolist() == list(range(30))
    assert values.tolist() == np.array(USED[case])[at, 0].tolist()  # ==, no tolerance
    assert (at.tolist(), values.tolist()) == last_per_step(READ[store][case])


@pytest.mark.parametrize("store", ["special/sqlite", "special/files"])
def test_awkward_doubles_are_read_as_mlflow_reads_them(store):
    """-0.0, subnormals, the largest double, inf, NaN, 17-digit values, 64 random bit patterns, and a step
    logged twice: the very doubles MLflow's client reads, except that an inf MLflow's sqlite store wrote as
    the largest double (sqlalchemy_store.py ``sanitize_metric_value``) is read as the inf it was logged as.
    The sqlite store itself bends three values (SQLite keeps a REAL with no fraction as an integer, so -0.0
    comes back 0.0; +-inf as the largest double), and lrplot the largest double logged itself, which the
    store cannot tell from inf; the file store keeps all (``repr``)."""
    (trace,) = load_log(STORES[store], run="special").schedules
    steps, values = last_per_step(READ[store]["special"])
    assert trace.at[(0, "lr")].tolist() == steps == list(range(len(LOGGED) - 1))
    big = np.finfo(np.float64).max
    if store == "special/sqlite":
        assert values[7:11] == [big, -big, big, -big]  # MLflow's client: inf as the largest double
        values = infinite(values)
    read = trace.values[(0, "lr")].tolist()
    assert bits(read) == bits(values)
    logged = dict(zip(*last_per_step(LOGGED)))
    bent = {s: (logged[s], v) for s, v in zip(steps, read) if bits([logged[s]]) != bits([v])}
    if store == "special/sqlite":
        assert list(bent) == [1, 7, 8] and bits(bent[1]) == bits([-0.0, 0.0])
        assert bent[7] == (big, np.inf) and bent[8] == (-big, -np.inf)
    else:
        assert bent == {}
    assert values[3] == 0.25 != LOGGED[3][2]  # step 3 logged again later: the later row is kept


@pytest.mark.parametrize("store", ["special/sqlite", "special/files"])
def test_a_metric_logged_with_a_dataset_is_read(store):
    """``log_metric(..., dataset=...)``: the file store's lines have five fields (the dataset's name and
    digest after the step). lrplot reads each line's step as written, the steps the sqlite store holds
    for the same logging; MLflow's own file-store reader puts every such line at step 0
    (file_store.py ``_get_metric_from_line``: ``int(metric_parts[2]) if len(metric_parts) == 3 else 0``)."""
    sqlite_read = last_per_step(READ["special/sqlite"]["dataset"])
    assert sqlite_read == (list(range(5)), [0.1 / (t + 1) for t in range(5)])
    if store.endswith("files"):
        lines = [m.read_text().splitlines()[0].split(" ") for m in STORES[store].rglob("metrics/lr")]
        assert sorted(len(line) for line in lines) == [3, 5]
        assert [r[0] for r in READ[store]["dataset"]] == [0] * 5  # MLflow's own reading
        assert [r[2] for r in READ[store]["dataset"]] == sqlite_read[1]
    (trace,) = load_log(STORES[store], run="dataset").schedules
    assert (trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist()) == sqlite_read


@pytest.mark.parametrize("store", ["sqlite", "files"])
def test_every_run_is_read_and_each_fault_is_named(store, plan):
    report = verify_files(plan, STORES[store])
    by_run = {v.log: v for v in report.verdicts}
    assert list(by_run) == ["ok", "twice", "epoch", "resume"]  # in the order the runs started
    assert [v.text() for v in report.verdicts] == VERDICTS
    assert by_run["ok"].ok
    for name, (kind, attr, value) in CAUSES.items():
        v = by_run[name]
        assert not v.ok and v.cause.kind == kind and getattr(v.cause, attr) == value, v.text()


def test_the_folder_holding_the_store_is_found(tmp_path, plan):
    shutil.copy(STORES["sqlite"], tmp_path / "mlflow.db")
    assert load_log(tmp_path, run="ok").schedules[0].meta["log"].path == str(tmp_path / "mlflow.db")
    shutil.copytree(STORES["files"], tmp_path / "only" / "mlruns")
    assert len(load_log(tmp_path / "only").schedules) == 4
    run_folder = next(p.parent for p in (tmp_path / "only" / "mlruns").rglob("meta.yaml") if (p.parent / "metrics").is_dir()
                      and (p.parent / "tags" / "mlflow.runName").read_text() == "twice")
    (trace,) = load_log(run_folder).schedules  # one run's own folder
    assert trace.values[(0, "lr")].tolist() == np.array(USED["twice"])[:, 0].tolist()


def test_an_inf_logged_to_the_sqlite_store_is_named_not_a_number(tmp_path, cli, plan):
    """MLflow's sqlite store writes an inf as the largest double (the special store, written by MLflow, holds
    its inf so: test_awkward_doubles_are_read_as_mlflow_reads_them); verify said 'logged 1.79769313e+308
    ... no single cause explains every logged value', as if the schedule were wrong."""
    db, con = _copy(tmp_path)
    run_id = con.execute("SELECT run_uuid FROM runs WHERE name = 'ok'").fetchone()[0]
    con.execute("UPDATE metrics SET value = ? WHERE run_uuid = ? AND key = 'lr' AND step = 7",
                (np.finfo(np.float64).max, run_id))
    con.commit()
    con.close()
    r = cli("verify", plan, "--log", db, "--log-run", "ok", "-o", "none")
    assert r.exit_code == 1 and r.output == (
        f"lr: diverges at step 7: logged inf, plan {USED['ok'][7][0]:.9g} (29 of 30 logged steps agree); not a number "
        "where the plan is: 1 logged value(s) are nan or inf (inf at step 7) and every other logged value follows "
        "the plan\n")


def test_runs_are_chosen_by_name_or_id(cli, plan):
    con = sqlite3.connect(STORES["sqlite"])
    run_id = con.execute("SELECT run_uuid FROM runs WHERE name = 'epoch'").fetchone()[0]
    con.close()
    for run in ("epoch", run_id, run_id[:8]):
        (v,) = verify_files(plan, STORES["sqlite"], log_run=run).verdicts
        assert v.cause.kind == "stretched" and v.text().startswith("lr: diverges at step 1"), v.text()
    r = cli("verify", plan, "--log", STORES["sqlite"], "--log-run", "ok")
    assert r.exit_code == 0 and r.output == "lr: follows the plan (30 of 30 logged steps)\n"
    r = cli("verify", plan, "--log", STORES["files"], "--log-run", "okk")
    assert r.exit_code == 1 and r.output == (f"{STORES['files']}: --log-run okk: no such run in this MLflow store "
                                             "(4 runs: ok, twice, epoch, resume); did you mean 'ok'?\n")
    r = cli("verify", plan, "--log", DATA / "used.json", "--log-format", "hf",
            "--log-run", "ok")
    assert r.exit_code == 2 and r.output == ("lrplot: --log-run chooses one run of a log holding several "
                                             "(lightning-csv, mmengine, mmengine-text, torchtune, wandb, mlflow); this is a hf log; name the run's own folder or file instead\n")


def test_a_step_logged_twice_keeps_the_value_logged_last(tmp_path):
    """A resumed run logging its tail again: MLflow keeps both rows; the later timestamp wins."""
    db = tmp_path / "mlflow.db"
    shutil.copy(STORES["sqlite"], db)
    con = sqlite3.connect(db)
    run_id = con.execute("SELECT run_uuid FROM runs WHERE name = 'ok'").fetchone()[0]
    con.execute("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES ('lr', 0.5, 1, ?, 3, 0)",
                (run_id,))  # an older row at step 3
    con.execute("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES ('lr', 0.0, 9999999999999, ?, 4, 1)", (run_id,))  # a NaN logged last at step 4
    con.commit()
    con.close()
    values = load_log(db, run="ok").schedules[0].values[(0, "lr")]
    assert values[3] == USED["ok"][3][0] and np.isnan(values[4])


def test_file_store_lines_out_of_order_are_ordered_by_step_and_timestamp(tmp_path):
    """A file store's lines in the order they were logged: a step logged again later (a resumed run's
    tail) keeps the later line, whatever the order of the lines; a timestamp that is no plain digits
    (int() takes '+5') is read line by line, the same."""
    store = tmp_path / "mlruns"
    shutil.copytree(STORES["files"], store)
    metric = next(m for m in store.rglob("metrics/lr") if (m.parent.parent / "tags" / "mlflow.runName").read_text() == "ok")
    lines = metric.read_text().splitlines()
    stamp = int(lines[-1].split()[0])
    for extra in ([f"{stamp + 1} 0.5 3", f"{stamp - 1} 0.25 3"], [f"+{stamp + 1} 0.5 3", f"{stamp - 1} 0.25 3"]):
        metric.write_text("\n".join(lines + extra) + "\n")
        (trace,) = load_log(store, run="ok").schedules
        expected = [u for u, in USED["ok"]]
        expected[3] = 0.5
        assert trace.at[(0, "lr")].tolist() == list(range(30)) and trace.values[(0, "lr")].tolist() == expected


def infinite(values) -> list[float]:
    """MLflow's client's doubles of a sqlite store as lrplot reads them: the largest double (how the store
    writes an inf, sqlalchemy_store.py ``sanitize_metric_value``) as inf, with its sign."""
    big = np.finfo(np.float64).max
    return [float(np.copysign(np.inf, v)) if abs(v) == big else v for v in values]


def _copy(tmp_path, store: str = "sqlite") -> tuple[Path, sqlite3.Connection]:
    db = tmp_path / "mlflow.db"
    shutil.copy(STORES[store], db)
    return db, sqlite3.connect(db)


def test_rows_read_in_bulk_are_the_doubles_mlflow_reads(tmp_path):
    """The special run without its repeated step: its rows come back in step order once each, read as
    (step * 2 + is_nan, value) pairs; every double as MLflow's client reads it, a NaN where is_nan."""
    db, con = _copy(tmp_path, "special/sqlite")
    con.execute("DELETE FROM metrics WHERE step = 3 AND value = 0.25")
    con.commit()
    con.close()
    (trace,) = load_log(db, run="special").schedules
    rows = [r for r in READ["special/sqlite"]["special"] if not (r[0] == 3 and r[2] == 0.25)]
    assert trace.at[(0, "lr")].tolist() == [r[0] for r in rows] == list(range(len(rows)))
    assert bits(trace.values[(0, "lr")].tolist()) == bits(infinite(r[2] for r in rows))
    assert np.isnan(trace.values[(0, "lr")][11]) and sum(np.isnan(trace.values[(0, "lr")])) == 1


def test_steps_out_of_order_or_beyond_2_52_are_ordered_by_step_and_timestamp(tmp_path):
    db, con = _copy(tmp_path)
    run_id = con.execute("SELECT run_uuid FROM runs WHERE name = 'ok'").fetchone()[0]
    insert = "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES ('lr', ?, ?, ?, ?, 0)"
    con.execute(insert, (0.5, 1, run_id, 2**53))  # the largest step a log may have: exact, and last
    con.execute(insert, (0.25, 0, run_id, 2**52 + 1))
    con.commit()
    con.close()
    (trace,) = load_log(db, run="ok").schedules
    assert trace.at[(0, "lr")].tolist() == [*range(30), 2**52 + 1, 2**53]
    assert trace.values[(0, "lr")].tolist() == [u for u, in USED["ok"]] + [0.25, 0.5]


def test_a_step_or_value_that_is_no_number_is_refused(tmp_path, cli, plan):
    for column, bad in (("step", "'x'"), ("step", "2.5"), ("value", "'x'")):
        db, con = _copy(tmp_path)
        con.execute(f"UPDATE metrics SET {column} = {bad} WHERE key = 'lr' AND step = 7")
        con.commit()
        con.close()
        r = cli("verify", plan, "--log", db, "--log-run", "ok")
        assert r.exit_code == 1 and r.output == (f"{db}: not an MLflow tracking database: a metric's step or value "
                                                 "is not a number\n"), (column, bad, r.output)


def test_keys_of_every_run_are_listed_and_the_value_limit_counts_all_runs(cli, plan, monkeypatch):
    r = cli("verify", plan, "--log", STORES["sqlite"], "--log-key", "lrr")
    assert r.exit_code == 1 and r.output == (f"{STORES['sqlite']}: no tag or column 'lrr' in this mlflow log; found: "
                                             "loss, lr; did you mean 'lr'?\n")
    monkeypatch.setattr("lrplot.limits.MAX_LOG_VALUES", 50)
    r = cli("verify", plan, "--log", STORES["sqlite"])
    assert r.exit_code == 1 and r.output == (f"{STORES['sqlite']}: 120 logged learning-rate values; a log is read with "
                                             "at most 50; choose one run with --log-run, or name one key with "
                                             "--log-key\n")


def test_broken_stores_are_one_located_line(tmp_path, cli, plan):
    cut = tmp_path / "cut.db"
    cut.write_bytes(STORES["sqlite"].read_bytes()[:5000])
    r = cli("verify", plan, "--log", cut, "--log-format", "mlflow")
    assert r.exit_code == 1 and r.output.count("\n") == 1
    assert r.output.startswith(f"{cut}: cannot read this MLflow database: ") or "cannot read as an sqlite" in r.output
    run = tmp_path / "run"  # a run folder whose store was cut short: it was 'no training log in this folder'
    run.mkdir()
    data = STORES["sqlite"].read_bytes()
    (run / "mlflow.db").write_bytes(data[:len(data) // 2])
    for log in (run, run / "mlflow.db"):
        r = cli("verify", plan, "--log", log)
        assert r.exit_code == 1 and r.output == (f"{run / 'mlflow.db'}: cannot read as an sqlite database: database "
                                                 "disk image is malformed; read a whole copy of the store (cut "
                                                 "short, or copied while MLflow wrote it)\n")
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE metrics (key TEXT, value REAL)")
    con.execute("CREATE TABLE runs (run_uuid TEXT, name TEXT, lifecycle_stage TEXT)")
    con.close()
    r = cli("verify", plan, "--log", other)
    assert r.exit_code == 1 and r.output == (f"{other}: not an MLflow tracking database: table 'metrics' has no "
                                             "column 'timestamp', 'run_uuid', 'step', 'is_nan'\n")
    store = tmp_path / "mlruns"
    shutil.copytree(STORES["files"], store)
    metric = next(store.rglob("metrics/lr"))
    lines = metric.read_text().splitlines()
    lines[6] = lines[6].replace(" ", ",", 1)
    metric.write_text("\n".join(lines) + "\n")
    r = cli("verify", plan, "--log", store)
    assert r.exit_code == 1 and r.output == (f"{metric}:7: not an MLflow metric line ('timestamp value step'); each "
                                             "line is written by MLflow as: <timestamp ms> <value> <step> (then <dataset name> <dataset "
                                             "digest> when logged with a dataset)\n")


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("store", STORES)
def test_values_equal_mlflows_own_client(store, monkeypatch):
    """MLflow's own store API, live (where mlflow or mlflow-skinny with SQLAlchemy is installed): it reads
    today what mlflow_read.json recorded, and lrplot reads the same doubles."""
    pytest.importorskip("mlflow")
    if store.endswith("sqlite"):
        pytest.importorskip("sqlalchemy")
        pytest.importorskip("alembic")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    spec = importlib.util.spec_from_file_location("mlflow_regenerate", DATA / "regenerate.py")
    regenerate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regenerate)
    live = regenerate.mlflow_reading(store)
    assert list(live) == sorted(READ[store])
    for name, rows in live.items():
        assert [r[:2] for r in rows] == [r[:2] for r in READ[store][name]]
        assert bits(r[2] for r in rows) == bits(r[2] for r in READ[store][name])
        (trace,) = load_log(STORES[store], run=name).schedules
        if (store, name) == ("special/files", "dataset"):  # MLflow reads every step as 0: see above
            rows = [[t, *r[1:]] for t, r in enumerate(rows)]
        steps, values = last_per_step(rows)
        assert trace.at[(0, "lr")].tolist() == steps
        assert bits(trace.values[(0, "lr")].tolist()) == bits(infinite(values) if store.endswith("sqlite") else values)
