"""lrplot against ignite's own way to see a schedule: ``simulate_values`` and a matplotlib plot.

The same schedule both ways, CosineAnnealingLR from 0.1 to 1e-5 over N updates (SGD, momentum 0.9),
at N = 1,000 and 100,000, each in a fresh process that ends with a PNG on disk:

  lrplot   ``python -m lrplot spec.yaml -o out.png --no-cache`` (the curves simulated, not read back)
  ignite   pytorch-ignite's documented recipe (ignite/handlers/param_scheduler.py, ``simulate_values``'
           docstring): torch's CosineAnnealingLR wrapped by ``LRScheduler.simulate_values(num_events=N,
           lr_scheduler=...)``, then ``plt.plot(values[:, 0], values[:, 1])`` and ``plt.savefig`` (Agg)

Measured: CPU time (user + system) of each child process, from ``os.wait4``'s resource usage, medians
of --runs interleaved rounds, and the wall time beside it. Target: ignite / lrplot >= 3 at both
lengths. A machine without pytorch-ignite prints why and measures nothing.

    python bench/bench_ignite.py [--runs 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SPEC = """title: Cosine annealing
steps: {n}
optimizer: {{type: SGD, lr: 0.1, momentum: 0.9}}
scheduler: {{type: CosineAnnealingLR, T_max: {n}, eta_min: 1e-5}}
"""

IGNITE = """import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from ignite.handlers.param_scheduler import LRScheduler
n, out = int(sys.argv[1]), sys.argv[2]
optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=n, eta_min=1e-5)
values = np.array(LRScheduler.simulate_values(num_events=n, lr_scheduler=scheduler))
plt.plot(values[:, 0], values[:, 1], label="learning rate")
plt.xlabel("events")
plt.ylabel("values")
plt.title("Cosine annealing")
plt.legend()
plt.savefig(out)
"""


def run(cmd: list[str], env: dict) -> tuple[float, float]:
    """(CPU seconds of the child, wall seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--steps", default="1000,100000")
    args = ap.parse_args()
    if importlib.util.find_spec("ignite") is None:
        print("skipped: pytorch-ignite is not installed (pip install 'lrplot[ignite]')")
        return
    work = Path(tempfile.mkdtemp(prefix="lrplot-bench-ignite-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LRPLOT_CACHE_DIR": str(work / "cache"),
           "PYTHONPYCACHEPREFIX": str(work / "pyc")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    script = work / "ignite_plot.py"
    script.write_text(IGNITE)
    commands = {}
    for n in map(int, args.steps.split(",")):
        spec = work / f"cosine_{n}.yaml"
        spec.write_text(SPEC.format(n=n))
        commands[("lrplot", n)] = [sys.executable, "-m", "lrplot", str(spec), "-o", str(work / f"l{n}.png"),
                                   "--no-cache"]
        commands[("ignite", n)] = [sys.executable, str(script), str(n), str(work / f"i{n}.png")]
    for cmd in commands.values():  # bytecode caches filled, disk warm
        run(cmd, env)
    cpu: dict = {k: [] for k in commands}
    wall: dict = {k: [] for k in commands}
    for _ in range(args.runs):  # interleaved rounds: load drifts hit both alike
        for key, cmd in commands.items():
            c, w = run(cmd, env)
            cpu[key].append(c)
            wall[key].append(w)
    shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"median of {args.runs} interleaved runs; load average {load:.1f}; seconds")
    print(f"{'steps':>8} {'lrplot cpu':>11} {'ignite cpu':>11} {'ignite/lrplot':>14} {'lrplot wall':>12} "
          f"{'ignite wall':>12}")
    for n in map(int, args.steps.split(",")):
        lc, ic = statistics.median(cpu[("lrplot", n)]), statistics.median(cpu[("ignite", n)])
        lw, iw = statistics.median(wall[("lrplot", n)]), statistics.median(wall[("ignite", n)])
        print(f"{n:>8} {lc:11.3f} {ic:11.3f} {ic / lc:13.2f}x {lw:12.3f} {iw:12.3f}")
    print("target: ignite / lrplot >= 3 (CPU) at every length")


if __name__ == "__main__":
    main()
