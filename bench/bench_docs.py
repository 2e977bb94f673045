"""A Sphinx build of N lrplot figures (run by hand): time per figure after the first, and the time
of a rebuild where every figure is a cache hit.

    python bench/bench_docs.py [--figures 12] [--repeat 3]

Each run builds a fresh project in a temporary folder: N pages, each with one ``.. lrplot::``
directive of a different spec (a StepLR whose step_size varies, so no two figures share a cache
entry), with a fresh curves cache. It times:

- the cold build (torch + matplotlib import, N figures simulated and rendered);
- the same project with one figure, cold: the fixed cost of a build;
  (cold N - cold 1) / (N - 1) is the time per figure after the first;
- a rebuild of the unchanged project with ``-E`` (every document re-read, every image a cache hit);
- a plain rebuild (Sphinx re-reads nothing).

Prints medians of ``--repeat`` runs of each build's CPU time (``--clock wall``: wall time). Builds run in a
subprocess (``python -m sphinx``), as users run them.
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


def make_project(folder: Path, n: int) -> Path:
    src = folder / "src"
    src.mkdir(parents=True)
    (src / "conf.py").write_text('extensions = ["lrplot.sphinxext"]\nproject = "bench"\n')
    pages = [f"p{i}" for i in range(n)]
    (src / "index.rst").write_text("Bench\n=====\n\n.. toctree::\n\n" + "".join(f"   {p}\n" for p in pages))
    for i, p in enumerate(pages):
        (src / f"{p}.rst").write_text(
            f"Page {i}\n=======\n\n.. lrplot::\n\n   steps: 400\n   optimizer: {{type: SGD, lr: 0.1}}\n"
            f"   scheduler: {{type: StepLR, step_size: {20 + i}, gamma: 0.7}}\n")
    return src


CLOCK = "cpu"


def build(src: Path, out: Path, cache: Path, *extra: str) -> float:
    """The build's time: its CPU time (user + system, what a shared machine's load changes least)
    or, with ``--clock wall``, its wall time."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               LRPLOT_CACHE_DIR=str(cache))
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "sphinx", "-q", "-b", "html", *extra, str(src), str(out)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"sphinx-build failed: {src}")
    return usage.ru_utime + usage.ru_stime if CLOCK == "cpu" else wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--figures", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = parser.parse_args()
    global CLOCK
    CLOCK = args.clock
    n = args.figures
    cold_n, cold_1, hit_e, hit_plain = [], [], [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            src = make_project(tmp / "n", n)
            cold_n.append(build(src, tmp / "n" / "out", tmp / "n" / "cache"))
            hit_e.append(build(src, tmp / "n" / "out", tmp / "n" / "cache", "-E"))
            hit_plain.append(build(src, tmp / "n" / "out", tmp / "n" / "cache"))
            src1 = make_project(tmp / "one", 1)
            cold_1.append(build(src1, tmp / "one" / "out", tmp / "one" / "cache"))
    med = statistics.median
    per_figure = (med(cold_n) - med(cold_1)) / (n - 1)
    print(f"docs build of {n} figures, medians of {args.repeat}, {args.clock} time; load average {os.getloadavg()[0]:.1f}:")
    print(f"  cold build, {n} figures      {med(cold_n):6.2f} s")
    print(f"  cold build, 1 figure        {med(cold_1):6.2f} s")
    print(f"  per figure after the first  {per_figure:6.3f} s")
    print(f"  rebuild -E (all cache hits) {med(hit_e):6.2f} s  ({med(hit_e) / med(cold_n):.2f}x the cold build)")
    print(f"  rebuild, nothing changed    {med(hit_plain):6.2f} s")


if __name__ == "__main__":
    main()
