"""What reading each log format costs, against importing that framework's own log module.

The counterpart of bench_sources.py for ``lrplot.logs.FORMATS`` (target, issue 24: reading costs at most
the import of the framework's module plus 0.1 s). Every measurement runs in a child forked after
``import torch`` (bench/forked.py), timed as the child's CPU time:

  read     ``load_log(file, fmt=...)`` in a fresh child: lrplot.logs, the reader, what it imports
  own      read minus reading a plain ``step,lr`` CSV of the same length: what this format adds
  import   the module of the framework that writes (or reads) that log, in a fresh child
  again    the same read again in that child (median of --again calls)

Logs of 1,000 points (CosineAnnealingLR's values) are written here in each format's shape, except
torchtune's text log, the W&B run file and the MLflow store, which are the test suite's recordings
written by those libraries (tests/data/...). TensorBoard's is written by torch's SummaryWriter. A
format whose library or recording is missing is skipped with the reason.

    python bench/bench_log_reads.py [--runs 5] [--again 20]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from forked import in_child  # noqa: E402

DATA = ROOT / "tests" / "data"
N = 1000
LRS = [1e-5 + (0.1 - 1e-5) * (1 + math.cos(math.pi * t / N)) / 2 for t in range(N)]


def write_logs(work: Path) -> dict[str, Path]:
    """format -> the file (or folder) of its log."""
    out = {}
    (work / "plain.csv").write_text("step,lr\n" + "".join(f"{t},{v!r}\n" for t, v in enumerate(LRS)))
    out["csv"] = work / "plain.csv"
    (work / "hf").mkdir()
    state = {"log_history": [{"step": t + 1, "learning_rate": v, "epoch": t / N} for t, v in enumerate(LRS)]}
    (work / "hf" / "trainer_state.json").write_text(json.dumps(state))
    out["hf"] = work / "hf" / "trainer_state.json"
    (work / "metrics.csv").write_text("lr-SGD,step\n" + "".join(f"{v!r},{t}\n" for t, v in enumerate(LRS)))
    out["lightning-csv"] = work / "metrics.csv"
    (work / "wandb.csv").write_text("_step,_runtime,_timestamp,trainer/global_step,lr-AdamW\n" + "".join(
        f"{t},{t / 10},{1700000000 + t},{t},{v!r}\n" for t, v in enumerate(LRS)))
    out["wandb-csv"] = work / "wandb.csv"
    (work / "vis_data").mkdir()
    (work / "vis_data" / "scalars.json").write_text("".join(
        json.dumps({"lr": v, "loss": 1.0, "iter": t + 1, "step": t + 1}) + "\n" for t, v in enumerate(LRS)))
    out["mmengine"] = work / "vis_data" / "scalars.json"
    (work / "20240101_000000.log").write_text("".join(
        f"2024/01/01 00:00:00 - mmengine - INFO - Iter(train) [{t + 1:4d}/{N}]  lr: {v:.4e}  eta: 0:00:01  "
        "loss: 1.0000\n" for t, v in enumerate(LRS)))
    out["mmengine-text"] = work / "20240101_000000.log"
    out["torchtune"] = DATA / "logs" / "torchtune" / "log_ok.txt"
    wandb_runs = sorted((DATA / "wandb" / "plain" / "twice").rglob("*.wandb"))
    out["wandb"] = wandb_runs[0] if wandb_runs else DATA / "wandb" / "missing.wandb"
    out["mlflow"] = DATA / "mlflow" / "mlflow.db"
    return out


def write_tensorboard(folder: Path) -> dict:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(folder))
    for t, v in enumerate(LRS):
        writer.add_scalar("lr", v, t)
    writer.close()
    return {}


def stub(module: str, parents: tuple[str, ...]):
    def load() -> None:
        from tests.helpers.framework_stub import install_stub
        if not install_stub(module, parents):
            raise ModuleNotFoundError(f"{parents[0]} is not installed")
    return load


# format -> (the framework's module, its loader where the package cannot import here, package)
MODULES = {
    "csv": (None, None, None),
    "hf": ("transformers.trainer_callback", None, "transformers"),
    "lightning-csv": ("lightning.pytorch.loggers.csv_logs", None, "lightning"),
    "wandb-csv": (None, None, None),
    "mmengine": ("mmengine.visualization", None, "mmengine"),
    "mmengine-text": ("mmengine.logging", None, "mmengine"),
    "torchtune": ("torchtune.training.metric_logging", stub("torchtune.training.metric_logging",
                                                           ("torchtune", "torchtune.training")), "torchtune"),
    "tensorboard": ("tensorboard.backend.event_processing.event_accumulator", None, "tensorboard"),
    "wandb": ("wandb.proto.wandb_internal_pb2", None, "wandb"),  # wandb's own record classes
    "mlflow": ("mlflow.tracking", None, "mlflow"),
}


def importing(module: str | None, loader) -> dict:
    start = time.process_time()
    if loader is not None:
        loader()
    if module is not None:
        importlib.import_module(module)
    return {"import": time.process_time() - start}


def reading(path: str, fmt: str, again: int) -> dict:
    start = time.process_time()
    from lrplot.logs import load_log

    curves = load_log(path, fmt=fmt)
    first = time.process_time() - start
    times = []
    for _ in range(again):
        t = time.process_time()
        load_log(path, fmt=fmt)
        times.append(time.process_time() - t)
    points = sum(len(v) for s in curves.schedules for v in s.values.values())
    return {"read": first, "again": statistics.median(times) if times else float("nan"), "points": points}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--again", type=int, default=20)
    args = ap.parse_args()
    importlib.import_module("torch")  # every child starts with torch imported (a verify simulates the plan)
    # the formats, read in a child: importing lrplot.logs here would spare every child its import
    FORMATS = in_child(lambda: {"formats": list(importlib.import_module("lrplot.logs").FORMATS)})["formats"]

    missing = sorted(set(FORMATS) - set(MODULES))
    if missing:
        raise SystemExit(f"no case in this bench for the log formats {', '.join(missing)}: add one to MODULES")
    work = Path(tempfile.mkdtemp(prefix="lrplot-bench-logs-"))
    paths = write_logs(work)
    skipped: dict[str, str] = {}
    if importlib.util.find_spec("tensorboard") is None:
        skipped["tensorboard"] = "tensorboard is not installed"
    else:
        written = in_child(lambda: write_tensorboard(work / "tb"))
        if "error" in written:
            skipped["tensorboard"] = written["error"]
        paths["tensorboard"] = work / "tb"
    names, no_import = [], {}
    for fmt in FORMATS:
        if fmt in skipped:
            continue
        if not Path(paths[fmt]).exists():
            skipped[fmt] = f"no recording at {Path(paths[fmt]).relative_to(ROOT)}"
            continue
        probe = in_child(lambda f=fmt: reading(str(paths[f]), f, 0))
        if "error" in probe:
            skipped[fmt] = probe["error"]
            continue
        module, loader, package = MODULES[fmt]
        if package is not None and importlib.util.find_spec(package) is None:
            no_import[fmt] = f"{package} is not installed: its import counted as 0"
        elif module is not None:
            probe = in_child(lambda m=module, lo=loader: importing(m, lo))
            if "error" in probe:
                skipped[fmt] = f"importing {module} failed: {probe['error']}"
                continue
        names.append(fmt)
    results: dict = {f: {"read": [], "again": [], "import": []} for f in names}
    points = {}
    for _ in range(args.runs):  # interleaved rounds
        for fmt in names:
            module, loader, _ = MODULES[fmt]
            r = in_child(lambda f=fmt: reading(str(paths[f]), f, args.again))
            i = {"import": 0.0} if fmt in no_import else in_child(lambda m=module, lo=loader: importing(m, lo))
            for out in (r, i):
                if "error" in out:
                    raise SystemExit(f"{fmt}: {out['error']}")
            points[fmt] = r["points"]
            for key in ("read", "again"):
                results[fmt][key].append(r[key])
            results[fmt]["import"].append(i["import"])
    shutil.rmtree(work, ignore_errors=True)
    med = {f: {k: statistics.median(v) for k, v in results[f].items()} for f in names}
    plain = med["csv"]["read"]
    print(f"CPU seconds in a child forked after `import torch`, medians of {args.runs} rounds; load average "
          f"{os.getloadavg()[0]:.1f}; a plain step,lr CSV of {N} points: {plain:.3f} s")
    print("| format | points | read | own (read - csv) | framework module | import | own - import | again | met |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for fmt in FORMATS:
        module = MODULES[fmt][0]
        shown = f"`{module}`" if module else "none (plain text)"
        if fmt in skipped:
            print(f"| {fmt} | skipped: {skipped[fmt]} | | | {shown} | | | | |")
            continue
        m = med[fmt]
        own = m["read"] - plain
        over = own - m["import"]
        imp = f"{m['import']:.3f}" + (f" ({no_import[fmt]})" if fmt in no_import else "")
        print(f"| {fmt} | {points[fmt]} | {m['read']:.3f} | {own:+.3f} | {shown} | {imp} | {over:+.3f} | "
              f"{m['again'] * 1e3:.1f} ms | {'yes' if over <= 0.1 else 'NO'} |")


if __name__ == "__main__":
    main()
