"""What reading a training config costs next to reading a plain lrplot spec.

Each input is read with ``lrplot.sources.load_input`` (YAML with positions, the reader, the Spec
validation); the figure is the median over --repeats reads in one warm process (the one-off import
of OmegaConf for Hydra configs is reported separately), as a ratio to the plain spec.

    python bench/bench_sources.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lrplot.sources import BudgetInputs, load_input  # noqa: E402

INPUTS = [  # (label, path, budget inputs)
    ("plain spec", ROOT / "configs" / "warmup_cosine.yaml", BudgetInputs()),
    ("lightning", ROOT / "configs" / "frameworks" / "lightning_fit.yaml", BudgetInputs(dataset_size=50000)),
    ("hydra", ROOT / "configs" / "frameworks" / "hydra_train.yaml", BudgetInputs(dataset_size=55000)),
]


def median_read(path: Path, inputs: BudgetInputs, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        load_input(path, inputs=inputs)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    start = time.perf_counter()
    import omegaconf  # noqa: F401  - what the first Hydra read pays once

    print(f"import omegaconf (once per process): {1000 * (time.perf_counter() - start):.0f} ms")
    for _, path, inputs in INPUTS:  # warm every reader module
        load_input(path, inputs=inputs)
    base = None
    for label, path, inputs in INPUTS:
        t = median_read(path, inputs, args.repeats)
        base = base or t
        print(f"{label:<11} {1000 * t:7.2f} ms   x{t / base:.1f}")


if __name__ == "__main__":
    main()
