"""Per-step cost of lrplot's stepping loop against a bare ``scheduler.step()`` loop and the naive recipe.

For every torch scheduler (all of torch.optim.lr_scheduler, SWALR, and nested SequentialLR /
ChainedScheduler) with 1 and 4 param groups, in one process:

  bare   optimizer + scheduler built, then ``scheduler.step()`` N-1 times, nothing recorded: the floor
         for exact torch values.
  engine ``lrplot.engine.run_schedule`` on a spec of N steps (records every value, returns numpy
         arrays); per-step = (T(N) - T(1)) / (N - 1), so one-time setup is excluded.
  naive  the usual recipe: each update record ``[g["lr"] for g in param_groups]``, ``optimizer.step()``,
         ``scheduler.step()``.

Setup (spec -> optimizer + scheduler, i.e. ``run_schedule`` with 1 step) is reported separately.
Medians over --repeats runs. Targets: engine/bare <= 1.2, naive/engine >= 4. Times are this process's
CPU time (``time.process_time``: what a shared machine's load changes least; ``--clock wall`` for
``time.perf_counter``).

    python bench/bench_simulate.py [--steps 20000] [--repeats 7] [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import os
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch.optim import lr_scheduler as L  # noqa: E402
from torch.optim.swa_utils import SWALR  # noqa: E402

from lrplot.expr import compile_expression  # noqa: E402
from lrplot.engine import run_schedule  # noqa: E402
from lrplot.spec import parse_spec  # noqa: E402

clock = time.process_time
BUILTINS = {"SWALR": SWALR, **{n: getattr(L, n) for n in dir(L)}}


def cases(steps: int) -> dict[str, dict]:
    return {
        "LambdaLR": {"type": "LambdaLR", "lr_lambda": "lambda epoch: 0.999 ** epoch"},
        "MultiplicativeLR": {"type": "MultiplicativeLR", "lr_lambda": "0.9999"},
        "StepLR": {"type": "StepLR", "step_size": 100, "gamma": 0.9},
        "MultiStepLR": {"type": "MultiStepLR", "milestones": [steps // 3, 2 * steps // 3], "gamma": 0.3},
        "ConstantLR": {"type": "ConstantLR", "factor": 0.25, "total_iters": steps // 10},
        "LinearLR": {"type": "LinearLR", "start_factor": 0.05, "total_iters": steps // 10},
        "ExponentialLR": {"type": "ExponentialLR", "gamma": 0.9999},
        "PolynomialLR": {"type": "PolynomialLR", "total_iters": steps, "power": 1.7},
        "CosineAnnealingLR": {"type": "CosineAnnealingLR", "T_max": steps, "eta_min": 1e-4},
        "CosineAnnealingWarmRestarts": {"type": "CosineAnnealingWarmRestarts", "T_0": 100, "T_mult": 2},
        "CyclicLR": {"type": "CyclicLR", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 500},
        "OneCycleLR": {"type": "OneCycleLR", "max_lr": 0.5, "total_steps": steps},
        "ReduceLROnPlateau": {"type": "ReduceLROnPlateau", "factor": 0.5, "patience": 10},
        "SWALR": {"type": "SWALR", "swa_lr": 0.02, "anneal_epochs": 100},
        "SequentialLR": {"type": "SequentialLR", "milestones": [steps // 10], "schedulers": [
            {"type": "LinearLR", "start_factor": 0.1, "total_iters": steps // 10},
            {"type": "CosineAnnealingLR", "T_max": steps}]},
        "ChainedScheduler": {"type": "ChainedScheduler", "schedulers": [
            {"type": "ConstantLR", "factor": 0.5, "total_iters": 60},
            {"type": "ExponentialLR", "gamma": 0.9999}]},
        "Sequential(Chained)": {"type": "SequentialLR", "milestones": [steps // 2], "schedulers": [
            {"type": "ChainedScheduler", "schedulers": [
                {"type": "LinearLR", "start_factor": 0.1, "total_iters": 50},
                {"type": "StepLR", "step_size": 40, "gamma": 0.9}]},
            {"type": "ExponentialLR", "gamma": 0.9999}]},
    }


def spec_text(sched: dict, groups: int, steps: int) -> str:
    spec: dict = {"steps": steps, "scheduler": sched, "optimizer": {"type": "SGD", "lr": 0.1}}
    if groups > 1:
        spec["param_groups"] = [{"lr": 0.1 * (i + 1)} for i in range(groups)]
    return json.dumps(spec)  # JSON is YAML


def torch_objects(sched: dict, groups: int):
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1 * (i + 1)} for i in range(groups)]
    opt = torch.optim.SGD(params, lr=0.1)

    def build(s: dict):
        s = dict(s)
        cls = BUILTINS[s.pop("type")]
        if "schedulers" in s:
            s["schedulers"] = [build(c) for c in s["schedulers"]]
            if cls is L.ChainedScheduler:
                return cls(s["schedulers"], optimizer=opt)
        if "lr_lambda" in s:  # the same callable lrplot builds, so both loops do the same work
            s["lr_lambda"] = compile_expression(s["lr_lambda"], ("epoch", "step"), what="lr_lambda")
        return cls(opt, **s)

    return opt, build(sched)


def bare(sched: dict, groups: int, steps: int) -> float:
    opt, s = torch_objects(sched, groups)
    opt.step()
    if isinstance(s, L.ReduceLROnPlateau):
        g = opt.param_groups[0]
        t = clock()
        for _ in range(steps - 1):
            s.step(g["lr"])
        return (clock() - t) / (steps - 1)
    step = s.step
    t = clock()
    for _ in range(steps - 1):
        step()
    return (clock() - t) / (steps - 1)


def naive(sched: dict, groups: int, steps: int) -> float:
    opt, s = torch_objects(sched, groups)
    plateau = isinstance(s, L.ReduceLROnPlateau)
    lrs = []
    t = clock()
    for _ in range(steps):
        lrs.append([g["lr"] for g in opt.param_groups])
        opt.step()
        if plateau:
            s.step(opt.param_groups[0]["lr"])
        else:
            s.step()
    return (clock() - t) / steps


def engine(sched: dict, groups: int, steps: int) -> tuple[float, float]:
    long = parse_spec(spec_text(sched, groups, steps), "b.yaml").schedule_list()[0]
    one = parse_spec(spec_text(sched, groups, 1), "b.yaml").schedule_list()[0]
    t = clock()
    run_schedule(one)
    t1 = clock() - t
    t = clock()
    run_schedule(long)
    tn = clock() - t
    return (tn - t1) / (steps - 1), t1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--only", default=None, help="comma list of case names")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive recipe (slow at 1M steps)")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = ap.parse_args()
    global clock
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    warnings.simplefilter("ignore")
    steps = args.steps
    all_cases = cases(steps)
    if args.only:
        all_cases = {k: v for k, v in all_cases.items() if k in args.only.split(",")}
    # warm up: the first optimizer of a process pays one-time imports
    engine(all_cases[next(iter(all_cases))], 1, 100)
    bare(all_cases[next(iter(all_cases))], 1, 100)
    print(f"torch {torch.__version__}, {steps} steps, median of {args.repeats} runs; {args.clock} times in µs per "
          f"step; load average {os.getloadavg()[0]:.1f}")
    head = f"{'scheduler':28} {'groups':>6} {'bare':>7} {'engine':>7} {'naive':>7} {'eng/bare':>9} {'naive/eng':>10} {'setup ms':>9}"
    print(head)
    print("-" * len(head))
    worst_bare, worst_naive = 0.0, float("inf")
    for name, sched in all_cases.items():
        for groups in (1, 4):
            b, e, n, setup = [], [], [], []
            for _ in range(args.repeats):  # interleaved, so drifts hit all three alike
                b.append(bare(sched, groups, steps))
                per, s = engine(sched, groups, steps)
                e.append(per)
                setup.append(s)
                n.append(float("nan") if args.no_naive else naive(sched, groups, steps))
            mb, me, mn, ms = (statistics.median(x) for x in (b, e, n, setup))
            worst_bare = max(worst_bare, me / mb)
            worst_naive = min(worst_naive, mn / me)
            print(f"{name:28} {groups:>6} {mb * 1e6:7.2f} {me * 1e6:7.2f} {mn * 1e6:7.2f} {me / mb:9.3f} "
                  f"{mn / me:10.2f} {ms * 1e3:9.2f}", flush=True)
    print(f"worst engine/bare: {worst_bare:.3f} (target <= 1.2); worst naive/engine: {worst_naive:.2f} (target >= 4)")


if __name__ == "__main__":
    main()
