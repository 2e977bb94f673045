"""What each kind's first read adds in ONE fresh process, after its framework's module is imported.

bench_sources.py times each part in a separate child forked after ``import torch``; a kind's framework
import then varies between children by more than the 0.1 s margin (NeMo's 6-7 s import by ±0.7 s).
Here every round is one fresh process per kind that imports torch, then the kind's framework scheduler
module (bench_sources.KINDS, through its loader where the package cannot import here), then reads a
plain lrplot spec (lrplot's own modules, pydantic, YAML: what every input pays), and only then times
the kind's first ``load_input``: what the reader itself costs, imports of its own included (CPU time).

Target (issue 24): at most 0.1 s for every kind. Medians of --runs rounds.

    python bench/bench_first_read.py [--runs 3] [--only nemo,lightning]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import importlib, sys, time
sys.path[:0] = [{root!r}, {bench!r}]
import torch
import bench_sources as b
path, inputs, allow, module, loader, _ = b.KINDS[{kind!r}]
if loader:
    loader()
importlib.import_module(module)
from lrplot.sources import BudgetInputs, load_input
load_input(str(b.ROOT / "configs" / "cosine.yaml"), inputs=BudgetInputs())
start = time.process_time()
load_input(path, inputs=BudgetInputs(**inputs), allow_import=allow, overrides=b.OVERRIDES.get({kind!r}, ()))
print(time.process_time() - start)
"""


def first_read(kind: str) -> float | None:
    code = CHILD.format(root=str(ROOT), bench=str(ROOT / "bench"), kind=kind)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        print(f"  {kind}: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'failed'}")
        return None
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import bench_sources

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    kinds = [k for k in bench_sources.KINDS if not args.only or k in args.only.split(",")]
    print(f"{'kind':<22}{'first read (CPU s, median)':>28}  rounds  met (<= 0.1 s)")
    for kind in kinds:
        times = [t for t in (first_read(kind) for _ in range(args.runs)) if t is not None]
        if not times:
            print(f"{kind:<22}{'skipped':>28}")
            continue
        median = statistics.median(times)
        shown = " ".join(f"{t:.3f}" for t in times)
        print(f"{kind:<22}{median:>28.3f}  {shown}  {'yes' if median <= 0.1 else 'NO'}")


if __name__ == "__main__":
    main()
