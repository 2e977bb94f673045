"""Write the MLflow stores tests/test_logs_mlflow.py reads: tiny CPU runs logged by the REAL mlflow
(3.17.2) into its default sqlite store (``mlflow.db``) and its file store (``mlruns/``).

    python tests/data/mlflow/regenerate.py      # needs mlflow (a heavy install; CI does not run it)

Each store holds the same four runs, named after their case, of a torch loop that calls
``mlflow.log_metric("lr", ..., step=t)`` before each update: ``ok``; ``twice`` (the scheduler
stepped twice per update); ``epoch`` (stepped once per 5-update epoch); ``resume`` (stopped after
12 updates, then the same MLflow run resumed with ``start_run(run_id=...)`` and a scheduler rebuilt
without its state). ``used.json``: per case, the lr every optimizer update really used, recorded by
an optimizer step pre-hook (``register_step_pre_hook``), independent of MLflow.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.helpers.logruns import _record  # noqa: E402

CASES = {"ok": {}, "twice": {"per_step": 2}, "epoch": {"steps_per_epoch": 5}, "resume": {"restart_at": 12}}


def run(mlflow, name: str, *, per_step: int = 1, steps_per_epoch: int | None = None, restart_at: int | None = None,
        steps: int = 30) -> list:
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


def scrub() -> None:
    """No machine paths or git details in the committed stores: artifact locations made relative,
    source tags dropped (lrplot reads none of them); the database vacuumed (smaller, the same rows)."""
    with sqlite3.connect(HERE / "mlflow.db") as con:
        for table, column in (("runs", "artifact_uri"), ("experiments", "artifact_location"), ("runs", "source_name")):
            for here in (str(HERE), os.getcwd()):
                con.execute(f"UPDATE {table} SET {column} = replace(replace({column}, ?, '.'), ?, '.')",
                            ("file://" + here, here))
        con.execute("DELETE FROM tags WHERE key LIKE 'mlflow.source.%' OR key = 'mlflow.user'")
    with sqlite3.connect(HERE / "mlflow.db") as con:
        con.execute("VACUUM")
    for tag in (HERE / "mlruns").rglob("tags/mlflow.*"):
        if tag.name.startswith("mlflow.source.") or tag.name == "mlflow.user":
            tag.unlink()
    for meta in (HERE / "mlruns").rglob("meta.yaml"):
        meta.write_text(meta.read_text().replace("file://" + str(HERE), ".").replace(str(HERE), "."))


def main() -> None:
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3.17 keeps the file store only on request
    os.chdir(tempfile.mkdtemp())  # the sqlite store's default artifact root is ./mlruns: not in the checkout
    import mlflow

    used = {}
    for store in ("sqlite", "files"):
        db, files = HERE / "mlflow.db", HERE / "mlruns"
        (db.unlink(missing_ok=True) if store == "sqlite" else shutil.rmtree(files, ignore_errors=True))
        mlflow.set_tracking_uri(f"sqlite:///{db}" if store == "sqlite" else files.as_uri())
        mlflow.set_experiment("lrplot")
        for name, kw in CASES.items():
            torch.manual_seed(0)
            used[name] = run(mlflow, name, **kw)
    scrub()
    (HERE / "used.json").write_text(json.dumps(used) + "\n")
    print({name: len(u) for name, u in used.items()})


if __name__ == "__main__":
    main()
