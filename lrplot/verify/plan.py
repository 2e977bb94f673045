"""The plan of a verification, re-simulated on demand: run on past its end, with another base lr,
or with its horizon moved, each time by the real schedulers through the engine."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..curves import ScheduleTrace
from ..errors import SpecError
from ..facts import HORIZON_ARGS, base_lr
from ..imports import Allowance
from ..limits import MAX_VERIFY_EXTEND_STEPS, MAX_VERIFY_MULTIPLE, MAX_VERIFY_SHIFTS
from ..spec import ResolvedSchedule


def agree(plan: np.ndarray, logged: np.ndarray, dtype: str, rtol: float = 0.0) -> np.ndarray:
    """Element-wise: does ``logged`` hold what the log would store for ``plan``? NaN agrees with NaN."""
    if dtype == "float32":
        planned = plan.astype(np.float32).astype(np.float64)
    elif dtype.startswith("%"):  # a text log printing the lr rounded ('%.4e': MMEngine): the plan printed so
        planned = np.array([float(dtype % v) for v in plan.tolist()], dtype=np.float64)
    else:
        planned = plan
    if rtol > 0:
        ok = np.abs(logged - planned) <= rtol * np.abs(plan)
    else:
        ok = planned == logged
    return ok | (np.isnan(planned) & np.isnan(logged))


def _rehorizon(node: Any, delta: int, steps: int) -> Any:
    """``node`` with its horizon arguments (those longer than half the plan) moved by ``delta``."""
    update: dict[str, Any] = {k: v + delta for k, v in node.options.items()
                              if k in HORIZON_ARGS and isinstance(v, int) and not isinstance(v, bool) and v > steps // 2}
    if node.schedulers:
        children = [_rehorizon(c, delta, steps) for c in node.schedulers]
        if children != node.schedulers:
            update["schedulers"] = children
    return node.model_copy(update=update) if update else node


def _record(schedule: ResolvedSchedule, allow: Allowance, n: int,
            base_lrs: dict[int, float] | None = None) -> dict[tuple[int, str], np.ndarray] | None:
    """``n`` updates of ``schedule``'s real schedulers (past its end if need be), or None when the
    engine refuses them: a SpecError is how the engine reports that the scheduler (torch, the
    framework) rejected the arguments or stopped stepping, so the hypothesis cannot hold. Any other
    exception is a bug and is not swallowed here."""
    from ..engine.run import start_run

    try:
        run = start_run(schedule, allow_import=allow, base_lrs=base_lrs, steps=n)
        return run.values(run.advance(0, n))
    except SpecError:
        return None


class Plan:
    """The plan's values of one schedule, re-simulated on demand: longer, or with another base lr."""

    def __init__(self, schedule: ResolvedSchedule, trace: ScheduleTrace, allow: Allowance,
                 devices: int | None = None):
        self.schedule = schedule
        self.trace = trace
        self.allow = allow
        self.devices = devices  # the run's process count, when the command line gave it (--devices)
        self._longer: dict[tuple, Any] = {}  # base lrs -> (steps, values); (-horizon,) -> values
        self._failed: dict[tuple, int] = {}  # base lrs -> the shortest run the real scheduler refused

    @property
    def steps(self) -> int:
        return self.trace.steps

    def values(self, g: int, f: str, n: int | None = None) -> np.ndarray | None:
        """At least ``n`` values (the plan run on past its end when needed), or None if torch
        cannot run it that far (e.g. OneCycleLR past total_steps)."""
        base = self.trace.values[(g, f)]
        if n is None or n <= len(base):
            return base
        values = self._simulate(n)
        return None if values is None else values[(g, f)]

    @property
    def limit(self) -> int:
        """How far a hypothesis may re-simulate the plan: a cause is a transformation of the plan,
        and none reaches past MAX_VERIFY_MULTIPLE times its length (compressed by k <= that), so a log step far
        beyond (19,999,990 for a 50-step plan) costs nothing."""
        return min(MAX_VERIFY_EXTEND_STEPS, MAX_VERIFY_MULTIPLE * max(self.steps, 1) + MAX_VERIFY_SHIFTS)

    def _simulate(self, n: int, base_lrs: dict[int, float] | None = None) -> dict | None:
        """The plan's values to at least ``n`` steps, or None when the real scheduler cannot go
        that far. One simulation serves every shorter request, and each runs at least twice as far
        as the last, so many requests cost about one run of the longest."""
        if n > self.limit:
            return None
        lrs = tuple(sorted((base_lrs or {}).items()))
        have = self._longer.get(lrs)
        if have is not None and have[0] >= n:
            return have[1]
        for length in dict.fromkeys([min(max(n, 2 * have[0] if have else 0, 2 * self.steps), self.limit), n]):
            if length >= self._failed.get(lrs, length + 1):
                continue
            values = _record(self.schedule, self.allow, length, base_lrs)
            if values is not None:
                self._longer[lrs] = (length, values)
                return values
            self._failed[lrs] = length  # the real scheduler refused to go on: a shorter run may still do
        return None

    def with_horizon(self, g: int, f: str, horizon: int) -> np.ndarray | None:
        """The plan had its horizon been ``horizon`` updates: every length argument of its schedulers
        that spans most of the plan (T_max, total_steps, total_iters, num_training_steps) moved by
        the difference, and ``steps`` set to ``horizon``; None when that is not a valid schedule."""
        if horizon > self.limit:
            return None
        delta = horizon - self.steps
        nodes = tuple(_rehorizon(node, delta, self.steps) for node in self.schedule.schedulers)
        if nodes == self.schedule.schedulers:
            return None
        key = (-horizon,)
        if key not in self._longer:
            spec = self.schedule.spec
            if not self.schedule.prefix and spec.steps is not None:
                spec = spec.model_copy(update={"steps": horizon})
            self._longer[key] = _record(replace(self.schedule, spec=spec, schedulers=nodes), self.allow, horizon)
        values = self._longer[key]
        return None if values is None else values[(g, f)]

    def base_lr(self, g: int) -> float:
        return base_lr(self.schedule, g)

    def with_lr(self, g: int, f: str, lr: float, n: int) -> np.ndarray | None:
        values = self._simulate(max(n, self.steps), {g: lr})
        return None if values is None else values[(g, f)]

    def rebuilt(self, g: int, f: str, at: int, n: int) -> np.ndarray | None:
        """``n`` updates of the schedulers built anew on an optimizer whose lr, in every group, is the
        plan's at update ``at``: a resume that loaded the optimizer's state but not the scheduler's, in
        the order loops and trainers load them (scheduler built, then ``optimizer.load_state_dict``, whose
        lr replaces the one the scheduler's constructor set). A chainable torch scheduler (LinearLR,
        CosineAnnealingLR, ExponentialLR) then goes on from that lr; value 0 is that lr."""
        if n > self.limit:  # no cause re-simulates past MAX_VERIFY_MULTIPLE plans
            return None
        key = ("rebuilt", at, n)
        if key not in self._longer:
            lrs = {i: float(self.trace.values[(i, "lr")][at]) for i in range(len(self.trace.groups))
                   if (i, "lr") in self.trace.values and at < len(self.trace.values[(i, "lr")])}
            self._longer[key] = _rebuilt(self.schedule, self.allow, lrs, n)
        values = self._longer[key]
        return None if values is None else values[(g, f)]

    @property
    def accumulated(self) -> int | None:
        """The plan's MMEngine ``accumulative_counts`` (its schedulers step at every iteration, it records the
        lr at each update's), or None."""
        from ..facts.frameworks import ACCUMULATED

        node = next((n for n in self.schedule.schedulers if n.type == ACCUMULATED), None)
        return None if node is None else node.options.get("accumulative_counts")

    def per_iteration(self, g: int, f: str, k: int, n: int) -> np.ndarray | None:
        """``n`` updates of an accumulating MMEngine plan with its schedulers stepped ``k`` times per iteration
        (``k`` ParamSchedulerHooks: MMEngine's own schedulers re-simulated so), or None (no such plan)."""
        from ..facts.frameworks import ACCUMULATED

        if self.accumulated is None or n > self.limit:
            return None
        key = ("per-iteration", k, n)
        if key not in self._longer:
            nodes = tuple(node.model_copy(update={"hooks": k})
                          if node.type == ACCUMULATED else node for node in self.schedule.schedulers)
            self._longer[key] = _record(replace(self.schedule, schedulers=nodes), self.allow, n)
        values = self._longer[key]
        return None if values is None else values[(g, f)]

    def per_process(self, g: int, f: str, k: int, n: int) -> np.ndarray | None:
        """``n`` updates with the real scheduler stepped as Accelerate's ``AcceleratedScheduler.step``
        steps it on ``k`` processes (accelerate 16cb6eb8 ``src/accelerate/scheduler.py:71-82``: ``k``
        calls per update, except that a scheduler with ``total_steps`` (OneCycleLR) is not stepped once
        ``_step_count`` passes it); None when the schedule is not one torch scheduler stepped per update."""
        key = ("per-process", k, n)
        if key not in self._longer:
            self._longer[key] = _per_process(self.schedule, self.allow, k, n)
        values = self._longer[key]
        return None if values is None else values[(g, f)]


def _rebuilt(schedule: ResolvedSchedule, allow: Allowance, lrs: dict[int, float], n: int) -> dict | None:
    from ..engine.run import start_run

    try:
        # the optimizer's state loaded after the schedulers were built, before the loop's first call
        run = start_run(schedule, allow_import=allow, steps=n, restored_lrs=lrs)
        return run.values(run.advance(0, n))
    except SpecError:
        return None


def _per_process(schedule: ResolvedSchedule, allow: Allowance, k: int, n: int) -> dict | None:
    from ..engine.run import start_run

    try:
        run = start_run(schedule, allow_import=allow, steps=n)
    except SpecError:
        return None
    if run.library is not None or len(run.schedulers) != 1 or run.every != 1:
        return None
    one, scheduler = run.step, run.scheduler

    def step() -> None:
        for _ in range(k):
            if hasattr(scheduler, "total_steps"):
                if scheduler._step_count <= scheduler.total_steps:
                    one()
            else:
                one()
    run.step = step
    try:
        return run.values(run.advance(0, n))
    except SpecError:
        return None
