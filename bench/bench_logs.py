"""Reading TensorBoard logs: 1,000 vs 1,000,000 points, the readers side by side (run by hand).

    python bench/bench_logs.py [--points 1000000] [--repeat 3] [--folder DIR]

One plan (CosineAnnealingLR over --points updates) and two logs of it written by torch's
SummaryWriter (not timed): every update logged (--points values) and every 1000th (--points/1000).
Timed, each a median of --repeat runs interleaved in this one bench run:

  EventAccumulator   TensorBoard's own reader (its loader: CRC-32C in Python without TensorFlow)
  lrplot             lrplot.logs.tensorboard.read_run: bulk framing, every CRC checked (C CRC-32C)
  lrplot, no CRC     the same without computing the data CRCs (what the checks cost)
  verify_files       lrplot.verify.verify_files, in this process (the plan's curves cached)
  lrplot verify      the whole command in a fresh process (the plan's curves cached)

Every reader's values are checked equal (==) to EventAccumulator's before anything is timed.
--folder keeps the written logs there and reuses them in later runs.
"""

from __future__ import annotations

import argparse
import os
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


def write_log(folder: Path, steps: int, every: int) -> None:
    import torch
    from torch.utils.tensorboard import SummaryWriter

    if folder.exists() and any(folder.iterdir()):
        return
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=3e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=1e-6)
    group = opt.param_groups[0]
    with SummaryWriter(str(folder), max_queue=10_000, flush_secs=3600) as writer:
        for t in range(steps):
            if t % every == 0:
                writer.add_scalar("lr", group["lr"], t)
            opt.step()
            sched.step()


def accumulator(run: Path) -> dict:
    from tensorboard.backend.event_processing import event_accumulator as ea

    acc = ea.EventAccumulator(str(run), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    acc.Reload()
    return {tag: ([e.step for e in acc.Scalars(tag)], [e.value for e in acc.Scalars(tag)])
            for tag in acc.Tags()["scalars"]}


def lrplot_reader(run: Path, check: bool = True) -> dict:
    import functools

    from lrplot.logs import tensorboard, tfrecord

    frames = tfrecord.frames
    if not check:
        tfrecord.frames = functools.partial(frames, check=False)
    try:
        tags, _ = tensorboard.read_run(run)
    finally:
        tfrecord.frames = frames
    return {tag: (s.tolist(), v.tolist()) for tag, (s, v) in tags.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.folder or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        os.environ["LRPLOT_CACHE_DIR"] = str(work / "cache")
        plan = work / "plan.yaml"
        plan.write_text(SPEC.format(steps=args.points))
        logs = {"1k": work / f"every1000-{args.points}", "1M": work / f"every1-{args.points}"}
        t = time.perf_counter()
        write_log(logs["1k"], args.points, 1000)
        write_log(logs["1M"], args.points, 1)
        print(f"logs written in {time.perf_counter() - t:.0f} s (not timed)")

        from lrplot.verify import verify_files

        command = [sys.executable, "-m", "lrplot", "verify", str(plan), "--log"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for name, log in logs.items():  # equal values, and the plan's curves cached (as for a re-run)
            expected = accumulator(log)
            assert lrplot_reader(log) == expected and lrplot_reader(log, check=False) == expected, name
            report = verify_files(plan, log)
            assert report.ok, [v.text() for v in report.verdicts]
        cases = {
            "EventAccumulator": lambda log: accumulator(log),
            "lrplot": lambda log: lrplot_reader(log),
            "lrplot, no CRC": lambda log: lrplot_reader(log, check=False),
            "verify_files": lambda log: verify_files(plan, log),
            "lrplot verify": lambda log: subprocess.run([*command, str(log)], env=env, check=True,
                                                        capture_output=True),
        }
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.repeat):
            for case, run in cases.items():
                for size, log in logs.items():
                    t = time.perf_counter()
                    run(log)
                    times.setdefault((case, size), []).append(time.perf_counter() - t)
        med = {key: statistics.median(v) for key, v in times.items()}
        print(f"{'':18} {'1k points':>10} {'1M points':>10} {'1M / 1k':>8} {'1M vs EventAccumulator':>23}")
        for case in cases:
            small, big = med[(case, "1k")], med[(case, "1M")]
            print(f"{case:18} {small:9.3f}s {big:9.3f}s {big / small:7.2f}x "
                  f"{med[('EventAccumulator', '1M')] / big:22.1f}x")


if __name__ == "__main__":
    main()
