"""Does a second core pay for simulating several large schedules? Measured, not assumed.

K schedules of N steps each (different schedulers), simulated
  serial      one after the other in this process (torch already imported: the best case for serial)
  fork x2     a 2-process pool forked after torch is imported (workers need no import)
  spawn x2    a 2-process pool of fresh interpreters (each imports torch: what a cold CLI run would
              pay unless it forked after importing torch itself)
Results (numpy arrays) come back pickled; the figures are wall times, medians over --repeats.

    python bench/bench_parallel.py [--steps 500000] [--schedules 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SCHEDULERS = [
    {"type": "CosineAnnealingLR", "T_max": 1000},
    {"type": "OneCycleLR", "max_lr": 0.5, "total_steps": None},
    {"type": "StepLR", "step_size": 1000, "gamma": 0.9},
    {"type": "CyclicLR", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 500},
]


def spec_texts(k: int, steps: int) -> list[str]:
    out = []
    for i in range(k):
        sched = dict(SCHEDULERS[i % len(SCHEDULERS)])
        if sched.get("total_steps", 0) is None:
            sched["total_steps"] = steps
        out.append(json.dumps({"steps": steps, "scheduler": sched, "optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9}}))
    return out


def work(text: str):
    warnings.simplefilter("ignore")
    from lrplot.engine import simulate_spec
    from lrplot.spec import parse_spec

    return simulate_spec(parse_spec(text, "b.yaml"))


def serial(texts: list[str]) -> list:
    return [work(t) for t in texts]


def pooled(texts: list[str], method: str) -> list:
    with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context(method)) as pool:
        return list(pool.map(work, texts))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=500_000)
    ap.add_argument("--schedules", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import torch  # noqa: F401  (the serial case and the forked workers start warm)

    work(spec_texts(1, 10)[0])  # warm
    texts = spec_texts(args.schedules, args.steps)
    times: dict[str, list[float]] = {"serial": [], "fork x2": [], "spawn x2": []}
    reference = None
    for _ in range(args.repeats):
        for name in times:
            t = time.perf_counter()
            result = serial(texts) if name == "serial" else pooled(texts, name.split()[0])
            times[name].append(time.perf_counter() - t)
            values = [c.values[(0, "lr")] for r in result for c in r]
            if reference is None:
                reference = values
            assert all((a == b).all() for a, b in zip(reference, values)), "results differ"
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.schedules} schedules x {args.steps} steps, {os.cpu_count()} cores, median of {args.repeats}")
    for name, m in med.items():
        print(f"  {name:9} {m:7.2f} s   serial/this = {med['serial'] / m:.2f}x")


if __name__ == "__main__":
    main()
