"""Cost of refusing a hostile input, against accepting the largest honest one of its kind (medians,
ratios). The tests prove that the work is never done (memory held, tripwires, hang guards; no test is
timed); this bench shows what the refusal costs.

  yaml       baseline: ``load_yaml`` of a list of MAX_YAML_VALUES - 10 values (the largest document
             accepted); against it: an alias bomb of 40 levels (10^41 values if expanded), 40 levels
             of doubling merge keys, a list of 10 x MAX_YAML_VALUES values, a 100000-digit hex
             integer and a 5000-digit decimal one
  expr       baseline: ``0.95 ** epoch`` compiled and evaluated at epoch 3; against it, the same for
             ``round(1, -10**8)``, ``round(epoch, -epoch * 10**8)``, ``10 ** (epoch * 10**8)`` and
             ``9**9**9`` (refused while compiling)

Targets: a YAML refusal within 1x of its baseline (refusing never costs more than the largest honest
document); an expression within 10x of its baseline (microseconds either way: the danger is minutes).

    python bench/bench_limits.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lrplot.errors import SpecError  # noqa: E402
from lrplot.expr import compile_expression  # noqa: E402
from lrplot.limits import MAX_YAML_VALUES  # noqa: E402
from lrplot.yamlio import load_yaml  # noqa: E402


def laughs(levels: int, fanout: int = 10) -> str:
    lines = ["a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fanout)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


MERGES = "\n".join(["a0: &a0 {k0: 1, k1: 2}"] + [f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}]}}" for i in range(1, 40)])
YAML = {
    "alias bomb, 40 levels": laughs(40),
    "merge keys, 40 levels": MERGES,
    f"list of {10 * MAX_YAML_VALUES} values": "x:\n" + "  - 1\n" * (10 * MAX_YAML_VALUES),
    "hex integer, 100000 digits": "steps: 0x" + "f" * 100_000 + "\n",
    "decimal integer, 5000 digits": "steps: " + "9" * 5000 + "\n",
}
HONEST_YAML = "x:\n" + "  - 1\n" * (MAX_YAML_VALUES - 10)
EXPRESSIONS = ["round(1, -10**8)", "round(epoch, -epoch * 10**8)", "10 ** (epoch * 10**8)", "9**9**9"]


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            fn()
        except SpecError:
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    base = median_time(lambda: load_yaml(HONEST_YAML, "honest.yaml"), runs)
    print(f"yaml baseline: {MAX_YAML_VALUES - 10} values accepted in {base * 1000:.1f} ms")
    for name, text in YAML.items():
        t = median_time(lambda: load_yaml(text, "hostile.yaml"), runs)
        print(f"  {name:<32} refused in {t * 1000:8.1f} ms  {t / base:5.2f}x")
    base = median_time(lambda: compile_expression("0.95 ** epoch", ("epoch",))(3), runs * 10)
    print(f"expr baseline: 0.95 ** epoch compiled and evaluated in {base * 1e6:.1f} us")
    for text in EXPRESSIONS:
        t = median_time(lambda: compile_expression(text, ("epoch",))(3), runs * 10)
        print(f"  {text:<32} done or refused in {t * 1e6:8.1f} us  {t / base:5.2f}x")

if __name__ == "__main__":
    main()
