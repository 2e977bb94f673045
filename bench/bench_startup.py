"""Start-up and end-to-end process times, measured side by side in one run (medians, ratios).

  help / version   ``python -m lrplot --help`` / ``--version`` (target < 0.3 s: no torch, matplotlib)
  python           ``python -c pass``: the interpreter alone
  floor            ``python -c "import torch, matplotlib.figure, matplotlib.backends.backend_agg"``:
                   what any run that simulates and draws must import
  floor, _exit     the same, leaving with ``os._exit`` as lrplot does (no interpreter teardown,
                   about 0.45 s with torch loaded): the floor without the part lrplot skips
  cold             ``lrplot configs/cosine.yaml --no-cache`` (target <= 1.05 x floor, _exit)
  cold, no fast    the same with LRPLOT_NO_FASTPATH=1 (torch._dynamo imported by the first optimizer)
  cold, full torch the same with LRPLOT_NO_LEAN_TORCH=1: torch imported whole, torch._meta_registrations
                   included, as the floor imports it (the cold run leaves that module unloaded)
  cached           the same spec again with only its presentation changed (another title and theme),
                   curves in the cache (target <= 0.3 x cold)

Runs are interleaved (one of each per round) so load drifts hit all alike. Every command runs
with its bytecode cached (in a private PYTHONPYCACHEPREFIX, filled by one warm-up run each), as an
installed lrplot has it, even where the environment sets PYTHONDONTWRITEBYTECODE.

Ratios are of the children's CPU time by default (``--clock wall`` for wall time).

    python bench/bench_startup.py [--runs 7] [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "configs" / "cosine.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--spec", default=str(SPEC))
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                    help="the ratios' time: the children's CPU time (user + system, what a shared machine's "
                         "load changes least) or wall time")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lrplot-bench-"))
    cache = work / "cache"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LRPLOT_CACHE_DIR": str(cache),
           "PYTHONPYCACHEPREFIX": str(work / "pyc")}
    env.pop("LRPLOT_NO_FASTPATH", None)
    env.pop("LRPLOT_NO_LEAN_TORCH", None)
    env.pop("LRPLOT_NO_TRICKS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    py = sys.executable
    lr = [py, "-m", "lrplot"]
    plot = [*lr, args.spec, "-o", str(work / "out.png")]
    commands = {
        "help": (lr + ["--help"], env),
        "version": (lr + ["--version"], env),
        "python": ([py, "-c", "pass"], env),
        "floor": ([py, "-c", "import torch, matplotlib.figure, matplotlib.backends.backend_agg"], env),
        "floor, _exit": ([py, "-c", "import torch, matplotlib.figure, matplotlib.backends.backend_agg, os; "
                                    "os._exit(0)"], env),
        "cold": (plot + ["--no-cache"], env),
        "cold, no fast path": (plot + ["--no-cache"], {**env, "LRPLOT_NO_FASTPATH": "1"}),
        "cold, full torch": (plot + ["--no-cache"], {**env, "LRPLOT_NO_LEAN_TORCH": "1"}),
        "cached": (plot + ["--title", "Re-drawn from the cache", "--theme", "dark"], env),
    }
    for cmd, e in commands.values():  # fills the curves and bytecode caches, warms the disk
        subprocess.run(cmd, env=e, check=True, capture_output=True)
    times: dict[str, list[float]] = {k: [] for k in commands}
    cpus: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(args.runs):
        for name, (cmd, e) in commands.items():
            t = time.perf_counter()
            proc = subprocess.Popen(cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            times[name].append(time.perf_counter() - t)
            cpus[name].append(usage.ru_utime + usage.ru_stime)
            if os.waitstatus_to_exitcode(status):
                raise SystemExit(f"{name} failed: {' '.join(cmd)}")
    shutil.rmtree(work, ignore_errors=True)
    wall = {k: statistics.median(v) for k, v in times.items()}
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    print(f"median of {args.runs} runs (interleaved), seconds; spec {Path(args.spec).name}; load average "
          f"{os.getloadavg()[0]:.1f}; ratios of {args.clock} time")
    for name in commands:
        spread = f"[{min(times[name]):.3f} .. {max(times[name]):.3f}]"
        print(f"  {name:20} wall {wall[name]:7.3f}  {spread}   cpu {cpu[name]:7.3f}")
    med = cpu if args.clock == "cpu" else wall
    print("ratios:")
    print(f"  cold / floor                 {med['cold'] / med['floor']:.3f}")
    print(f"  cold / floor, _exit          {med['cold'] / med['floor, _exit']:.3f}   (both without teardown; "
          "target <= 1.05)")
    print(f"  cold, full torch / floor, _exit {med['cold, full torch'] / med['floor, _exit']:.3f}   (torch imported as "
          "the floor imports it)")
    print(f"  cached / cold                {med['cached'] / med['cold']:.3f}   (target <= 0.3)")
    print(f"  cold no-fast-path / cold     {med['cold, no fast path'] / med['cold']:.3f}"
          f"   (fast path saves {med['cold, no fast path'] - med['cold']:.2f} s)")
    print(f"  help / python                {med['help'] / med['python']:.2f};  help {wall['help']:.3f} s wall "
          f"(target < 0.3 s), version {wall['version']:.3f} s")


if __name__ == "__main__":
    main()
