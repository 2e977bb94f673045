"""Reading W&B run files and MLflow stores: 1,000 vs 1,000,000 points, lrplot beside the libraries' own readers.

    python bench/bench_logs_stores.py [--points 1000000] [--repeat 3] [--folder DIR] [--only wandb|mlflow] [--no-own]
                                      [--clock cpu|wall]

Needs wandb and mlflow installed (they write the logs). One plan (AdamW 3e-4, CosineAnnealingLR over
--points updates) and, per store, two logs of it (not timed; --folder keeps them for later runs):
every update logged (--points values) and every 1000th. W&B: ``wandb.log({"lr": ...})`` in offline
mode (wandb 0.31 writes only ``run-<id>.wandb``; a million calls take minutes). MLflow: the sqlite
store (``mlflow.db``) and the file store (``mlruns/``), written with ``MlflowClient.log_batch``.
Timed, each a median of --repeat runs interleaved in this one bench run:

  W&B   lrplot reader (load_log), verify_files in-process, the `lrplot verify` command (plan cached),
        and wandb's own printer of the records, ``wandb leet inspect --json`` (wandb-core) + json.loads
  MLflow  lrplot reader on mlflow.db and on mlruns/, the `lrplot verify` command on each, and MLflow's
        own ``MlflowClient.get_metric_history`` (mlflow already imported); plus the import costs of
        ``mlflow`` and ``sqlite3`` in fresh processes

Every reader's values are checked equal (==) to the library's own reader's before anything is timed.
``--clock cpu`` (the default) times CPU seconds: this process's own plus its children's (user +
system), what a shared machine's load moves least; ``--clock wall`` the elapsed time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = """steps: {steps}
optimizer: {{type: AdamW, lr: 3.0e-4}}
scheduler: {{type: CosineAnnealingLR, T_max: {steps}, eta_min: 1.0e-6}}
"""
WRITE_WANDB = """
import sys, torch, wandb
steps, every, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=3e-4)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=1e-6)
run = wandb.init(project="bench", dir=folder, mode="offline")
for t in range(steps):
    if t % every == 0:
        run.log({"lr": opt.param_groups[0]["lr"]}, step=t)
    sched.step()
run.finish()
"""


def lrs(steps: int, every: int) -> list[tuple[int, float]]:
    import torch

    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=3e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=1e-6)
    out = []
    for t in range(steps):
        if t % every == 0:
            out.append((t, opt.param_groups[0]["lr"]))
        opt.step()
        sched.step()
    return out


def write_wandb(folder: Path, steps: int, every: int) -> Path:
    if not list(folder.rglob("run-*.wandb")):
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
        subprocess.run([sys.executable, "-W", "ignore", "-c", WRITE_WANDB, str(steps), str(every), str(folder)],
                       env=env, check=True, cwd=folder)
    return sorted(folder.rglob("run-*.wandb"))[-1]


def write_mlflow(folder: Path, steps: int, every: int) -> tuple[Path, Path]:
    db, files = folder / "mlflow.db", folder / "mlruns"
    if db.exists() and files.exists():
        return db, files
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    points = lrs(steps, every)
    for uri in (f"sqlite:///{db}", files.as_uri()):
        client = MlflowClient(tracking_uri=uri)
        exp = client.create_experiment("bench", artifact_location=(folder / "artifacts").as_uri())
        run = client.create_run(exp, run_name="cosine")
        for at in range(0, len(points), 1000):
            client.log_batch(run.info.run_id, metrics=[Metric("lr", v, 0, t) for t, v in points[at:at + 1000]])
        client.set_terminated(run.info.run_id)
    return db, files


def leet(path: Path) -> list[tuple[int, float]]:
    from wandb.util import get_core_path

    out = subprocess.run([get_core_path(), "leet", "inspect", "--no-observability", "--json", "--run-file", str(path)],
                         capture_output=True, text=True, check=True).stdout
    items = [json.loads(line)["history"]["item"] for line in out.splitlines() if '"type":"history"' in line]
    return [(int(i["_step"]), i["lr"]) for i in items]


def mlflow_history(db: Path) -> list[tuple[int, float]]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    (run,) = client.search_runs([e.experiment_id for e in client.search_experiments()])
    return sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, "lr"))


def ours(path: Path) -> list[tuple[int, float]]:
    from lrplot.logs import load_log

    (trace,) = load_log(path).schedules
    return list(zip(trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist()))


def import_cost(module: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cpu_clock() -> float:
    """CPU seconds of this process and its waited-for children (user + system)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--only", choices=["wandb", "mlflow"])
    parser.add_argument("--no-own", action="store_true",
                        help="time lrplot only (the libraries' own readers still check the values once)")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    args = parser.parse_args()
    clock = cpu_clock if args.clock == "cpu" else time.perf_counter
    with tempfile.TemporaryDirectory() as tmp:
        work = args.folder or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        os.environ["LRPLOT_CACHE_DIR"] = str(work / "cache")
        plan = work / "plan.yaml"
        plan.write_text(SPEC.format(steps=args.points))
        sizes = {"1k": 1000, "1M": 1}
        t = time.perf_counter()
        logs: dict[str, dict[str, Path]] = {}
        if args.only in (None, "wandb"):
            logs["W&B run-<id>.wandb"] = {s: write_wandb(work / f"wandb-every{e}-{args.points}", args.points, e)
                                          for s, e in sizes.items()}
        if args.only in (None, "mlflow"):
            stores = {s: write_mlflow(work / f"mlflow-every{e}-{args.points}", args.points, e) for s, e in sizes.items()}
            logs["MLflow mlflow.db"] = {s: v[0] for s, v in stores.items()}
            logs["MLflow mlruns/"] = {s: v[1] for s, v in stores.items()}
        print(f"logs written in {time.perf_counter() - t:.0f} s (not timed)")

        from lrplot.verify import verify_files

        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "lrplot", "verify", str(plan), "--log"]
        for kind, pair in logs.items():  # equal values, and the plan's curves cached (as for a re-run)
            for size, log in pair.items():
                own = leet(log) if kind.startswith("W&B") else mlflow_history(
                    log if log.suffix == ".db" else log.parent / "mlflow.db")
                assert ours(log) == own, (kind, size)
                report = verify_files(plan, log)
                assert report.ok and report.verdicts[0].compared == len(own), [v.text() for v in report.verdicts]
        cases: dict[str, dict[str, object]] = {}
        for kind, pair in logs.items():
            own_name = "wandb leet inspect --json" if kind.startswith("W&B") else "MlflowClient.get_metric_history"
            cases[kind] = {
                "lrplot reader": ours,
                "verify_files": lambda log: verify_files(plan, log),
                "lrplot verify": lambda log: subprocess.run([*command, str(log)], env=env, check=True,
                                                            capture_output=True),
            }
            if "mlruns" not in kind and not args.no_own:
                cases[kind][own_name] = leet if kind.startswith("W&B") else mlflow_history
        times: dict[tuple[str, str, str], list[float]] = {}
        for _ in range(args.repeat):
            for kind, pair in logs.items():
                for case, run in cases[kind].items():
                    for size, log in pair.items():
                        t = clock()
                        run(log)
                        times.setdefault((kind, case, size), []).append(clock() - t)
        print(f"{args.clock} seconds, medians of {args.repeat}")
        print(f"{'':22} {'':32} {'1k points':>10} {'1M points':>10} {'1M / 1k':>8}")
        for (kind, case, size), _ in times.items():
            if size != "1k":
                continue
            small = statistics.median(times[(kind, case, "1k")])
            big = statistics.median(times[(kind, case, "1M")])
            print(f"{kind:22} {case:32} {small:9.3f}s {big:9.3f}s {big / small:7.2f}x")
        if args.only in (None, "mlflow"):
            print(f"import in a fresh process: mlflow {import_cost('mlflow', args.repeat):.2f} s, "
                  f"sqlite3 {import_cost('sqlite3', args.repeat):.2f} s, python alone "
                  f"{import_cost('sys', args.repeat):.2f} s")


if __name__ == "__main__":
    main()
