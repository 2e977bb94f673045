"""Write the MLflow stores tests/test_logs_mlflow.py reads: tiny CPU runs logged by the REAL mlflow
(3.17.2) into its default sqlite store (``mlflow.db``) and its file store (``mlruns/``), and what
MLflow's own client reads back from them.

    python tests/data/mlflow/regenerate.py             # needs mlflow (mlflow-skinny reads; writing needs no more)
    python tests/data/mlflow/regenerate.py --reading   # only mlflow_read.json, from the stores as they are
    python tests/data/mlflow/regenerate.py --special   # only special/ (then mlflow_read.json)

Each store holds the same four runs, named after their case, of a torch loop that calls
``mlflow.log_metric("lr", ..., step=t)`` before each update: ``ok``; ``twice`` (the scheduler
stepped twice per update); ``epoch`` (stepped once per 5-update epoch); ``resume`` (stopped after
12 updates, then the same MLflow run resumed with ``start_run(run_id=...)`` and a scheduler rebuilt
without its state). ``used.json``: per case, the lr every optimizer update really used, recorded by
an optimizer step pre-hook (``register_step_pre_hook``), independent of MLflow.

``special/``: both stores again, one run ``special`` whose ``lr`` holds the doubles a store could
bend (-0.0, subnormals, the largest double, inf, -inf, NaN, values needing 17 digits, random bit
patterns) and a step logged twice, each with its own timestamp (``MlflowClient.log_batch``);
``special/logged.json`` is what was logged. And a run ``dataset`` logging ``lr`` with a dataset
(``log_metric(..., dataset=...)``: the file store's lines then have five fields).

``mlflow_read.json``: per store (``sqlite``, ``files``, ``special/sqlite``, ``special/files``) and run
name, ``MlflowClient().get_metric_history(run_id, "lr")`` as MLflow returns it: ``[step, timestamp,
value]`` rows in MLflow's order (JSON keeps every double exactly: ``repr``, and NaN/Infinity).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import struct
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPECIAL = HERE / "special"
sys.path.insert(0, str(HERE.parents[2]))

CASES = {"ok": {}, "twice": {"per_step": 2}, "epoch": {"steps_per_epoch": 5}, "resume": {"restart_at": 12}}
STORES = {"sqlite": (HERE, "mlflow.db"), "files": (HERE, "mlruns"),
          "special/sqlite": (SPECIAL, "mlflow.db"), "special/files": (SPECIAL, "mlruns")}


def run(mlflow, name: str, *, per_step: int = 1, steps_per_epoch: int | None = None, restart_at: int | None = None,
        steps: int = 30) -> list:
    import torch

    from tests.helpers.logruns import _record

    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    used: list = []
    _record(opt, used)

    def build():
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / 5) * 0.97 ** t)

    sched = build()
    active = mlflow.start_run(run_name=name)
    run_id = active.info.run_id
    for t in range(steps):
        if restart_at is not None and t == restart_at:  # the process ends; a new one resumes the MLflow run
            mlflow.end_run()
            mlflow.start_run(run_id=run_id)
            opt.param_groups[0]["lr"] = 0.1  # a fresh optimizer and scheduler: the state was not saved
            opt.param_groups[0].pop("initial_lr", None)
            sched = build()
        mlflow.log_metric("lr", opt.param_groups[0]["lr"], step=t)
        mlflow.log_metric("loss", 1.0 / (t + 1), step=t)
        opt.zero_grad()
        model(torch.randn(2, 4)).pow(2).mean().backward()
        opt.step()
        if steps_per_epoch is None:
            for _ in range(per_step):
                sched.step()
        elif (t + 1) % steps_per_epoch == 0:
            sched.step()
    mlflow.end_run()
    return used


def special_values() -> list[float]:
    """Doubles a text or SQL round trip could bend, then 64 random finite bit patterns (seeded)."""
    import random

    fixed = [0.1, -0.0, 0.0, 5e-324, -5e-324, 2.225073858507201e-308, 2.2250738585072014e-308, 1.7976931348623157e308,
             -1.7976931348623157e308, float("inf"), float("-inf"), float("nan"), 0.1 + 0.2, 1 / 3, 3e-4,
             2.0 ** 53 + 2, 1 - 2.0 ** -53, 9.999999999999999e22, 1e23, 5e-310, 123456789012345.67, -2.5e-5]
    rng = random.Random(22)
    drawn: list[float] = []
    while len(drawn) < 64:
        x = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if x == x and abs(x) != float("inf"):
            drawn.append(x)
    return fixed + drawn


def write_special(mlflow) -> dict:
    """One run ``special``: each special value at its own step, then step 3 logged again (later
    timestamp, so it is the value a reader keeps), through the client's ``log_batch``."""
    from mlflow.entities import Metric

    values = special_values()
    rows = [(t, 1_700_000_000_000 + t, v) for t, v in enumerate(values)]
    rows.append((3, 1_700_000_000_000 + len(values), 0.25))
    client = mlflow.tracking.MlflowClient()
    active = mlflow.start_run(run_name="special")
    client.log_batch(active.info.run_id, metrics=[Metric("lr", v, ts, t) for t, ts, v in rows])
    mlflow.end_run()
    # a metric logged with a dataset: the file store writes 'timestamp value step name digest' lines
    import numpy as np

    dataset = mlflow.data.from_numpy(np.arange(3.0), name="eval")
    with mlflow.start_run(run_name="dataset"):
        for t in range(5):
            mlflow.log_metric("lr", 0.1 / (t + 1), step=t, dataset=dataset)
    return {"rows": [list(r) for r in rows]}


def scrub(folder: Path) -> None:
    """No machine paths or git details in the committed stores: artifact locations made relative,
    source tags dropped (lrplot reads none of them); the database vacuumed (smaller, the same rows)."""
    with sqlite3.connect(folder / "mlflow.db") as con:
        for table, column in (("runs", "artifact_uri"), ("experiments", "artifact_location"), ("runs", "source_name")):
            for here in (str(folder), os.getcwd()):
                con.execute(f"UPDATE {table} SET {column} = replace(replace({column}, ?, '.'), ?, '.')",
                            ("file://" + here, here))
        con.execute("DELETE FROM tags WHERE key LIKE 'mlflow.source.%' OR key = 'mlflow.user'")
    with sqlite3.connect(folder / "mlflow.db") as con:
        con.execute("VACUUM")
    for tag in (folder / "mlruns").rglob("tags/mlflow.*"):
        if tag.name.startswith("mlflow.source.") or tag.name == "mlflow.user":
            tag.unlink()
    for meta in (folder / "mlruns").rglob("meta.yaml"):
        meta.write_text(meta.read_text().replace("file://" + str(folder), ".").replace(str(folder), "."))


def uri(store: str) -> str:
    folder, name = STORES[store]
    return f"sqlite:///{folder / name}" if name == "mlflow.db" else (folder / name).as_uri()


def restore_empty_folders(store: Path) -> None:
    """The empty ``params/`` and ``artifacts/`` folders of each run, which git does not keep: MLflow's
    file store takes a run folder without them for no run (file_store.py ``_is_valid_run_directory``)."""
    for meta in store.rglob("meta.yaml"):
        if (meta.parent / "metrics").is_dir():
            for sub in ("params", "artifacts", "tags"):
                (meta.parent / sub).mkdir(exist_ok=True)


def mlflow_reading(store: str) -> dict[str, list]:
    """``get_metric_history(run_id, "lr")`` of every run of the store, by run name, as MLflow returns it.
    Read from a copy: opening a database with MLflow's client may write to it (its migrations check)."""
    from mlflow.tracking import MlflowClient

    folder, name = STORES[store]
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / name
        if name == "mlflow.db":
            shutil.copy(folder / name, copy)
        else:
            shutil.copytree(folder / name, copy)
            restore_empty_folders(copy)
        client = MlflowClient(tracking_uri=f"sqlite:///{copy}" if name == "mlflow.db" else copy.as_uri())
        runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
        return {r.info.run_name: [[m.step, m.timestamp, m.value] for m in client.get_metric_history(r.info.run_id, "lr")]
                for r in sorted(runs, key=lambda r: r.info.run_name)}


def main() -> None:
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3.17 keeps the file store only on request
    os.chdir(tempfile.mkdtemp())  # the sqlite store's default artifact root is ./mlruns: not in the checkout
    import mlflow
    import torch

    if "--reading" not in sys.argv[1:]:
        used, logged = {}, {}
        SPECIAL.mkdir(exist_ok=True)
        for store in STORES:
            folder, name = STORES[store]
            if "--special" in sys.argv[1:] and folder != SPECIAL:
                continue
            (folder / name).unlink(missing_ok=True) if name == "mlflow.db" else shutil.rmtree(folder / name,
                                                                                             ignore_errors=True)
            mlflow.set_tracking_uri(uri(store))
            mlflow.set_experiment("lrplot")
            if folder == SPECIAL:
                logged = write_special(mlflow)
                continue
            for name, kw in CASES.items():
                torch.manual_seed(0)
                used[name] = run(mlflow, name, **kw)
        if used:
            scrub(HERE)
            (HERE / "used.json").write_text(json.dumps(used) + "\n")
            print({name: len(u) for name, u in used.items()})
        scrub(SPECIAL)
        (SPECIAL / "logged.json").write_text(json.dumps(logged) + "\n")
    reading = {store: mlflow_reading(store) for store in STORES}
    (HERE / "mlflow_read.json").write_text(json.dumps({"mlflow": mlflow.__version__, **reading}) + "\n")
    print({store: {run: len(rows) for run, rows in runs.items()} for store, runs in reading.items()})


if __name__ == "__main__":
    main()
