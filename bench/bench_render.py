"""Rendering cost and file size as the step count grows (run by hand).

    python bench/bench_render.py [--repeat 5]

Simulates a CyclicLR schedule with thousands of cycles at 1e3, 1e4, 1e5 and 1e6 steps once, then
times only the rendering (Curves -> PNG and SVG file) and prints medians, the ratio against the
1,000-step render measured in the same run, and the file sizes. Targets: 1e6 within 2x of 1e3,
SVG under 200 KB.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from lrplot.figure import RenderOptions, render_to_file
from lrplot.engine import simulate
from lrplot.spec import parse_spec

SPEC = """
steps: {steps}
optimizer: {{type: SGD, lr: 0.001, momentum: 0.9}}
scheduler: {{type: CyclicLR, base_lr: 0.001, max_lr: 0.01, step_size_up: {half}, mode: triangular}}
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [1_000, 10_000, 100_000, 1_000_000]
    curves = {}
    for n in sizes:
        # about 2,000 cycles at 1e6 steps; at least a few at 1e3
        half = max(n // 4000, 2) if n >= 100_000 else max(n // 40, 2)
        t = time.perf_counter()
        curves[n] = simulate(parse_spec(SPEC.format(steps=n, half=half), f"cyclic_{n}.yaml"))
        print(f"simulated {n:>9,} steps in {time.perf_counter() - t:6.2f} s (not part of the render timing)")
    opts = RenderOptions()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in (".png", ".svg"):
            for n in sizes:
                times = []
                for r in range(args.repeat):
                    path = Path(tmp) / f"c{n}{fmt}"
                    t = time.perf_counter()
                    render_to_file(curves[n], path, opts)
                    times.append(time.perf_counter() - t)
                results[(fmt, n)] = (statistics.median(times), path.stat().st_size)
    print()
    print(f"{'format':6} {'steps':>10} {'median s':>9} {'x 1e3':>6} {'size KB':>8}")
    for (fmt, n), (med, size) in results.items():
        base = results[(fmt, 1_000)][0]
        print(f"{fmt:6} {n:>10,} {med:9.3f} {med / base:6.2f} {size / 1024:8.1f}")


if __name__ == "__main__":
    main()
