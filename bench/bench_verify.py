"""Time to verify a 1,000,000-point TensorBoard log against its plan (run by hand).

    python bench/bench_verify.py [--steps 1000000] [--repeat 3]

Writes the log once with torch.utils.tensorboard's SummaryWriter (a real scheduler stepped once per
update, its lr logged at every update; not timed), then times ``verify_files`` end to end (read the
events, simulate the plan, compare every point) and, separately, lrplot's TensorBoard reader alone
(``lrplot.logs.tensorboard.read_run``: records framed in bulk, every CRC checked; bench/bench_logs.py
sets it beside TensorBoard's own EventAccumulator). Prints the medians and the reader's share.
The plan's curves are cached after the first run, as for a user
re-running verify; ``--no-cache`` simulates every time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

SPEC = """
steps: {steps}
optimizer: {{type: AdamW, lr: 3.0e-4}}
scheduler: {{type: CosineAnnealingLR, T_max: {steps}, eta_min: 1.0e-6}}
"""


def write_log(folder: Path, steps: int) -> None:
    import torch
    from torch.utils.tensorboard import SummaryWriter

    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=3e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=1e-6)
    group = opt.param_groups[0]
    with SummaryWriter(str(folder), max_queue=10_000, flush_secs=3600) as writer:
        for t in range(steps):
            writer.add_scalar("lr", group["lr"], t)
            sched.step()


def main() -> None:
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.no_cache:
            os.environ["LRPLOT_CACHE_DIR"] = str(tmp / "cache-off")
        else:
            os.environ.setdefault("LRPLOT_CACHE_DIR", str(tmp / "cache"))
        log, plan = tmp / "run", tmp / "plan.yaml"
        plan.write_text(SPEC.format(steps=args.steps))
        t = time.perf_counter()
        write_log(log, args.steps)
        size = sum(p.stat().st_size for p in log.iterdir())
        print(f"wrote {args.steps:,} points ({size / 2**20:.1f} MiB) with SummaryWriter in "
              f"{time.perf_counter() - t:.1f} s (not timed)")

        from lrplot.logs.tensorboard import read_run
        from lrplot.verify import verify_files

        totals, readers = [], []
        for _ in range(args.repeat):
            if args.no_cache:
                import shutil

                shutil.rmtree(tmp / "cache-off", ignore_errors=True)
            t = time.perf_counter()
            report = verify_files(plan, log)
            totals.append(time.perf_counter() - t)
            assert report.ok and report.verdicts[0].compared == args.steps, [v.text() for v in report.verdicts]
            t = time.perf_counter()
            read_run(log)
            readers.append(time.perf_counter() - t)
        total, reader = statistics.median(totals), statistics.median(readers)
        print(report.verdicts[0].text())
        print(f"verify, end to end : median {total:6.2f} s of {args.repeat} ({', '.join(f'{x:.2f}' for x in totals)})")
        print(f"lrplot's TB reader : median {reader:6.2f} s  = {reader / total:.0%} of verify")


if __name__ == "__main__":
    main()
