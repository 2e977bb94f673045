"""Cost of reading a timm args.yaml and an MMEngine config into a Spec, against a plain lrplot spec
(medians, ratio), with timm's scheduler package and mmengine already imported.

  plain     ``load_input(configs/cosine.yaml)``
  timm      ``load_input(configs/frameworks/timm_args.yaml, --dataset-size 1281167 --devices 8)``: the
            budget arithmetic plus one call of timm's create_scheduler_v2 on a throwaway optimizer
            (its epoch count)
  mmengine  ``load_input(configs/frameworks/mmdet_schedule_1x.py, ...)``: MMEngine's Config.fromfile
            (runs the file and its _base_) and the translation

    python bench/bench_sources_timm_mm.py [--runs 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PLAIN = ROOT / "configs" / "cosine.yaml"
TIMM = ROOT / "configs" / "frameworks" / "timm_args.yaml"
MMDET = ROOT / "configs" / "frameworks" / "mmdet_schedule_1x.py"


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    from tests.conftest import install_timm_stub

    install_timm_stub()  # timm's scheduler code where its package needs a torchvision this machine lacks
    from lrplot.sources import BudgetInputs, load_input

    inputs = {TIMM: BudgetInputs(dataset_size=1281167, devices=8), MMDET: BudgetInputs(dataset_size=118287, devices=8)}
    allow = frozenset({"mmengine"})
    for path in (TIMM, MMDET):
        load_input(path, inputs=inputs[path], allow=allow)  # imports the library once, outside the timing
    rounds: dict[Path, list[float]] = {PLAIN: [], TIMM: [], MMDET: []}
    for _ in range(5):  # interleaved, so load drifts hit every kind alike
        for path in rounds:
            kw = {"inputs": inputs[path], "allow": allow} if path in inputs else {}
            rounds[path].append(median_seconds(lambda: load_input(path, **kw), max(1, args.runs // 5)))
    plain = statistics.median(rounds[PLAIN])
    print(f"plain spec       -> Spec {plain * 1e3:8.2f} ms")
    for name, path in (("timm args.yaml", TIMM), ("MMEngine config", MMDET)):
        t = statistics.median(rounds[path])
        print(f"{name:16s} -> Spec {t * 1e3:8.2f} ms   ratio {t / plain:.1f} x plain")


if __name__ == "__main__":
    main()
