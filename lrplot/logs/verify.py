"""Did the run follow the plan? Every logged value against the plan, and the cause when it did not.

The plan is simulated by the engine (the real scheduler); the log is read by :mod:`lrplot.logs`
with its steps already in lrplot's convention (the value at step t is the lr of update t).
A logged value agrees with the plan when it is what the log would hold had the run followed the
plan: ``np.float32(plan) == logged`` for logs that store float32 (TensorBoard), ``plan == logged``
otherwise; ``rtol`` loosens both to ``|logged - plan| <= rtol * |plan|``.

When a series leaves the plan, each cause below is a transformation of the plan, and it is named
only if the transformed plan, computed by the real scheduler again (re-simulated past the plan's
end, or with another base lr, where needed), agrees with EVERY logged value under the same rule:

- frozen: every value is the plan's first (the scheduler never stepped), or the base lr (none attached);
- compressed by k: value at t == plan at k*t (the scheduler stepped k times per update: once per
  process, once per micro-batch, an extra ``scheduler.step()``);
- stretched by k: value at t == plan at floor(t / k) (stepped once every k updates: per epoch);
- shifted by n: value at t == plan at t + n (logged after ``scheduler.step()``; started late/early);
- restarted at n: plan at t before n, plan at t - n from n on (a resume that rebuilt the scheduler
  without its state);
- scaled by c: the plan re-simulated with base lr c * lr (another learning rate in the config);
- ended early / ran longer: the plan re-simulated with the run's length (where its log ends) as its
  horizon (the scheduler length arguments spanning the plan moved by the difference);
- longer: every value agrees and the run goes on past the plan's last step (the horizons differ).

Candidates for k and n come from the first diverging value; each is then tested on all values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

import numpy as np

from ..curves import Curves, ScheduleTrace
from ..errors import UsageError
from ..facts import HORIZON_ARGS, base_lr
from ..imports import AllowImport, Allowance, allowed_imports
from ..spec import ResolvedSchedule
from . import LogInfo, log_info

MAX_SPANS = 20
MAX_K = 64
MAX_SHIFTS = 64
EXTEND_LIMIT = 20_000_000


def agree(plan: np.ndarray, logged: np.ndarray, dtype: str, rtol: float = 0.0) -> np.ndarray:
    """Element-wise: does ``logged`` hold what the log would store for ``plan``? NaN agrees with NaN."""
    planned = plan.astype(np.float32).astype(np.float64) if dtype == "float32" else plan
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


class Plan:
    """The plan's values of one schedule, re-simulated on demand: longer, or with another base lr."""

    def __init__(self, schedule: ResolvedSchedule, trace: ScheduleTrace, allow: Allowance):
        self.schedule = schedule
        self.trace = trace
        self.allow = allow
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
        and none reaches past MAX_K times its length (compressed by k <= MAX_K), so a log step far
        beyond (19,999,990 for a 50-step plan) costs nothing."""
        return min(EXTEND_LIMIT, MAX_K * max(self.steps, 1) + MAX_SHIFTS)

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
        if n >= self._failed.get(lrs, n + 1):
            return None
        from ..engine.run import start_run

        for length in dict.fromkeys([min(max(n, 2 * have[0] if have else 0, 2 * self.steps), self.limit), n]):
            if length >= self._failed.get(lrs, length + 1):
                continue
            try:
                run = start_run(self.schedule, allow_import=self.allow, base_lrs=base_lrs)
                run.steps = length
                self._longer[lrs] = (length, run.values(run.advance(0, length)))
                return self._longer[lrs][1]
            except Exception:  # the real scheduler refuses to go on: the hypothesis cannot hold
                self._failed[lrs] = min(length, self._failed.get(lrs, length))
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
            self._longer[key] = None
            from ..engine.run import start_run

            spec = self.schedule.spec
            if not self.schedule.prefix and spec.steps is not None:
                spec = spec.model_copy(update={"steps": horizon})
            try:
                run = start_run(replace(self.schedule, spec=spec, schedulers=nodes), allow_import=self.allow)
                run.steps = horizon
                self._longer[key] = run.values(run.advance(0, horizon))
            except Exception:  # not a schedule torch accepts: the hypothesis cannot hold
                self._longer[key] = None
        values = self._longer[key]
        return None if values is None else values[(g, f)]

    def base_lr(self, g: int) -> float:
        return base_lr(self.schedule, g)

    def with_lr(self, g: int, f: str, lr: float, n: int) -> np.ndarray | None:
        values = self._simulate(max(n, self.steps), {g: lr})
        return None if values is None else values[(g, f)]


@dataclass(frozen=True)
class Divergence:
    step: int          # as the log counts
    update: int        # lrplot's step (the update that used the lr)
    logged: float
    planned: float | None  # None: past the plan's end


@dataclass(frozen=True)
class Cause:
    kind: str   # frozen | unscheduled | compressed | stretched | shifted | restarted | scaled | longer
    text: str
    k: int | None = None
    n: int | None = None
    factor: float | None = None
    lr: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Verdict:
    """One logged series against the plan."""

    log: str
    key: str
    group: str
    field: str
    schedule: str
    compared: int
    agreed: int
    first: Divergence | None = None
    cause: Cause | None = None
    spans: tuple[tuple[int, int], ...] = ()
    note: str | None = None
    dtype: str = "float64"
    damaged: tuple[str, ...] = ()  # corrupt records of the log skipped at the user's request

    @property
    def ok(self) -> bool:
        return self.first is None

    def text(self) -> str:
        if self.ok:
            out = f"{self.key}: follows the plan ({self.agreed} of {self.compared} logged steps)"
        else:
            d = self.first
            planned = "past the plan's end" if d.planned is None else f"plan {d.planned:.9g}"
            out = (f"{self.key}: diverges at step {d.step}: logged {d.logged:.9g}, {planned} "
                   f"({self.agreed} of {self.compared} logged steps agree)")
            out += f"; {self.cause.text}" if self.cause else "; no single cause explains every logged value"
        if self.damaged:
            out += (f"; {len(self.damaged)} corrupt record(s) of the log skipped (--log-skip-corrupt), "
                    f"first: {self.damaged[0]}")
        return out + (f"; {self.note}" if self.note else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "log": self.log, "key": self.key, "group": self.group, "field": self.field, "schedule": self.schedule,
            "follows": self.ok, "compared": self.compared, "agreed": self.agreed, "dtype": self.dtype,
            "first_divergence": None if self.first is None else {
                "step": self.first.step, "update": self.first.update, "logged": _num(self.first.logged),
                "planned": None if self.first.planned is None else _num(self.first.planned)},
            "cause": None if self.cause is None else self.cause.to_json(),
            "diverging_steps": [list(s) for s in self.spans],
            "note": self.note,
            "skipped_records": list(self.damaged),
        }


def _num(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _spans(at: np.ndarray, bad: np.ndarray) -> tuple[tuple[int, int], ...]:
    """(first, last) step of every run of consecutive diverging logged values (merged beyond MAX_SPANS)."""
    idx = np.flatnonzero(bad)
    if not len(idx):
        return ()
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.r_[idx[0], idx[breaks + 1]]
    ends = np.r_[idx[breaks], idx[-1]]
    spans = [(int(at[a]), int(at[b])) for a, b in zip(starts, ends)]
    if len(spans) > MAX_SPANS:
        spans = [(spans[0][0], spans[-1][1])]
    return tuple(spans)


class _Series:
    """One logged series and the rule to test a transformed plan against it."""

    def __init__(self, at: np.ndarray, y: np.ndarray, plan: Plan, g: int, f: str, dtype: str, rtol: float):
        self.at, self.y, self.plan, self.g, self.f, self.dtype, self.rtol = at, y, plan, g, f, dtype, rtol

    def holds(self, index: np.ndarray) -> bool:
        """Does the plan at ``index`` (one plan step per logged value) agree with every value?"""
        if len(index) and index.min() < 0:
            return False
        values = self.plan.values(self.g, self.f, int(index.max()) + 1 if len(index) else 0)
        return values is not None and bool(agree(values[index], self.y, self.dtype, self.rtol).all())

    def matches(self, values: np.ndarray, value: float) -> np.ndarray:
        """Plan steps whose value agrees with ``value``."""
        return np.flatnonzero(agree(values, np.full(len(values), value), self.dtype, self.rtol))


def _diagnose(s: _Series, i0: int) -> Cause | None:
    at, y, plan = s.at, s.y, s.plan
    base = plan.values(s.g, s.f)
    T = len(base)
    # frozen
    if np.all(agree(np.full(len(y), y[0]), y, s.dtype, s.rtol)):
        if s.holds(np.zeros(len(y), dtype=np.int64)):
            return Cause("frozen", f"frozen: every logged value is the plan's first ({base[0]:.6g}): the scheduler "
                                   "never stepped")
        lr0 = plan.base_lr(s.g)
        if agree(np.array([lr0]), y[:1], s.dtype, s.rtol)[0]:
            return Cause("unscheduled", f"frozen at the base lr {lr0:.6g}: no scheduler changed it (none attached, "
                                        "or its lr was overwritten)", lr=lr0)
    t0 = int(at[i0])
    # compressed by k: the scheduler stepped k times per update
    if t0 > 0:
        ks = [k for k in range(2, MAX_K + 1) if k * t0 < T and agree(base[k * t0: k * t0 + 1], y[i0:i0 + 1], s.dtype, s.rtol)[0]]
        for k in ks:
            if s.holds(at * k):
                return Cause("compressed", f"compressed in time by k={k}: the scheduler stepped {k} times per update "
                                           f"(once per process on {k} processes, once per micro-batch with {k} "
                                           "accumulation steps, or an extra scheduler.step())", k=k)
    # stretched by k: stepped once every k updates
    changed = np.flatnonzero(~agree(np.full(len(y), y[0]), y, s.dtype, s.rtol))
    if len(changed):
        j = int(changed[0])
        lo = int(at[j - 1]) + 1 if j > 0 else 1
        candidates = list(range(max(lo, 2), int(at[j]) + 1))
        if plan.trace.steps_per_epoch and plan.trace.steps_per_epoch in candidates:
            candidates.remove(plan.trace.steps_per_epoch)
            candidates.insert(0, plan.trace.steps_per_epoch)
        for k in candidates[:4096]:
            if s.holds(at // k):
                return Cause("stretched", f"stretched in time by k={k}: the scheduler stepped once every {k} updates "
                                          f"(once per epoch of {k} updates instead of after every update)", k=k)
    # shifted by n, restarted at n
    hits = s.matches(base, float(y[i0]))
    shifts = sorted({int(j) - t0 for j in hits} - {0}, key=lambda n: (abs(n), n))[:MAX_SHIFTS]
    for n in shifts:
        if s.holds(at + n):
            ahead = (f"the log is {n} step(s) ahead of the plan (the lr logged after scheduler.step(), or a "
                     f"scheduler that started {n} step(s) in)" if n > 0 else
                     f"the log is {-n} step(s) behind the plan (the scheduler started {-n} update(s) late)")
            return Cause("shifted", f"shifted by n={n} steps: {ahead}", n=n)
    prev = int(at[i0 - 1]) if i0 > 0 else -1
    for j in hits:
        n = t0 - int(j)
        if prev < n <= t0 and s.holds(np.where(at < n, at, at - n)):
            return Cause("restarted", f"restarted at step n={n}: from there the lr starts the plan over (a resume "
                                      "that rebuilt the scheduler without loading its state)", n=n)
    # scaled: the plan with another base lr, re-simulated
    if base[t0 if t0 < T else -1] != 0 and t0 < T:
        c = float(y[i0]) / float(base[t0])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = y[at < T] / base[at[at < T]]
        finite = np.isfinite(ratios)
        if c > 0 and finite.any() and np.allclose(ratios[finite], c, rtol=1e-5, atol=0):
            lr0 = plan.base_lr(s.g)
            lr1 = c * lr0
            tried = list(dict.fromkeys([float(f"{lr1:.{d}g}") for d in range(1, 8)] + [lr1]))
            for lr in tried:
                values = plan.with_lr(s.g, s.f, lr, int(at.max()) + 1)
                if values is not None and agree(values[at], y, s.dtype, s.rtol).all():
                    return Cause("scaled", f"scaled by {lr / lr0:.6g}: the run's base lr is {lr:.6g} where the plan's "
                                           f"is {lr0:.6g}", factor=lr / lr0, lr=lr)
    # ended early (or later): the plan re-simulated with the run's own horizon, where its log ends
    last = int(at[-1])
    if last + 1 != T:
        gap = max(int(np.median(np.diff(at))), 1) if len(at) > 1 else 1
        for horizon in range(last + 1, last + 1 + min(gap, 8)):
            values = plan.with_horizon(s.g, s.f, horizon)
            if values is not None and len(values) > last and agree(values[at], y, s.dtype, s.rtol).all():
                kind, how = ("ended-early", "ended early") if horizon < T else ("longer", "ran longer")
                return Cause(kind, f"{how}: the run's schedule spans {horizon} updates, the plan's {T} (the plan "
                                   f"with its length set to {horizon} matches every logged value: a different "
                                   "max_steps, epochs, dataset size, batch size or device count)", n=horizon)
    return None


def compare(plan: Plan, trace: ScheduleTrace, g: int, f: str, *, rtol: float = 0.0, diagnose: bool = True,
            schedule_name: str = "") -> Verdict:
    """One logged series (group ``g``, field ``f`` of ``trace``) against the plan."""
    info: LogInfo = log_info(trace)
    at = trace.at[(g, f)]
    y = trace.values[(g, f)]
    key = info.keys.get((g, f), trace.name)
    common = dict(log=trace.name, key=key, group=trace.groups[g], field=f, schedule=schedule_name,
                  compared=len(y), dtype=info.dtype, damaged=info.damaged)
    base = plan.values(g, f)
    T = len(base)
    inside = (at >= 0) & (at < T)
    ok = np.zeros(len(y), dtype=bool)
    ok[inside] = agree(base[at[inside]], y[inside], info.dtype, rtol)
    agreed = int(ok.sum())
    note = None
    if len(at) > 1:
        gap = int(np.median(np.diff(at)))
        if int(at[-1]) + gap < T - 1:
            note = f"the log ends at step {int(at[-1]) + info.step_offset}, the plan at step {T - 1 + info.step_offset}"
    if ok.all():
        return Verdict(**common, agreed=agreed, note=note)
    i0 = int(np.flatnonzero(~ok)[0])
    t0 = int(at[i0])
    first = Divergence(t0 + info.step_offset, t0, float(y[i0]), float(base[t0]) if 0 <= t0 < T else None)
    cause = None
    if diagnose:
        if ok[inside].all() and not inside[at >= 0].all() and (at >= 0).all():
            cause = Cause("longer", f"the run goes on past the plan's end: logged to step {int(at[-1]) + info.step_offset}, "
                                    f"the plan ends at step {T - 1 + info.step_offset} (their horizons differ)",
                          n=int(at[-1]) + 1)
        else:
            cause = _diagnose(_Series(at, y, plan, g, f, info.dtype, rtol), i0)
        if cause is not None and cause.kind != "longer":
            note = None
    return Verdict(**common, agreed=agreed, first=first, cause=cause, spans=_spans(at, ~ok), note=note)


@dataclass
class Report:
    """Every verdict of a log against a plan, and the figure's curves."""

    verdicts: list[Verdict] = field(default_factory=list)
    curves: Curves | None = None
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)

    def to_json(self) -> dict[str, Any]:
        return {"follows": self.ok, "verdicts": [v.to_json() for v in self.verdicts], "skipped": self.skipped}


def _pick(plan: Curves, name: str | None, trace: ScheduleTrace) -> int:
    names = plan.names
    if name is not None:
        if name not in names:
            from ..text import did_you_mean

            raise UsageError(f"--schedule {name}: no such schedule in the plan",
                             hint=did_you_mean(name, names) or f"use one of {', '.join(names)}")
        return names.index(name)
    if len(names) == 1:
        return 0
    if trace.name in names:
        return names.index(trace.name)
    raise UsageError(f"the plan has {len(names)} schedules ({', '.join(names)}); say which the run followed",
                     hint="add --schedule NAME")


def verify(plan: Curves, schedules: list[ResolvedSchedule], log: Curves, *, rtol: float = 0.0,
           schedule: str | None = None, allow_import: AllowImport = None, diagnose: bool = True) -> Report:
    """Compare every logged series of ``log`` with the plan (``schedules`` are the plan's, to
    re-simulate it when testing causes). The report's curves are the plan and the logged points,
    with the diverging spans shaded."""
    if rtol < 0 or not math.isfinite(rtol):
        raise UsageError(f"--rtol {rtol}: must be a finite number >= 0")
    allow = allowed_imports(allow_import)
    report = Report()
    plans: dict[int, Plan] = {}
    logged: list[ScheduleTrace] = []
    for trace in log.schedules:
        p = _pick(plan, schedule, trace)
        model = plans.setdefault(p, Plan(schedules[p], plan.schedules[p], allow))
        spans: list[tuple[int, int]] = []
        for g, group in enumerate(trace.groups):
            for f in trace.fields:
                if (g, f) not in trace.values:
                    continue
                key = log_info(trace).keys.get((g, f), trace.name)
                if g >= len(model.trace.groups):
                    report.skipped.append(f"{key}: the plan has {len(model.trace.groups)} param group(s), "
                                          f"not a group {group}")
                    continue
                if (g, f) not in model.trace.values:
                    report.skipped.append(f"{key}: the plan does not record {f} (add it to 'fields:')")
                    continue
                v = compare(model, trace, g, f, rtol=rtol, diagnose=diagnose, schedule_name=model.trace.name)
                report.verdicts.append(v)
                spans.extend(v.spans)
        # the plan's steps_per_epoch, so that --x epoch and the epoch axis work for the points too
        logged.append(replace(trace, spans=tuple(sorted(set(spans))), steps_per_epoch=model.trace.steps_per_epoch))
    used = [plan.schedules[p] for p in sorted(plans)]
    report.curves = Curves(tuple(used + logged), title=plan.title)
    return report


def overlay(plan: Curves, schedules: list[ResolvedSchedule], log: Curves, **kwargs: Any) -> Curves:
    """The plan with the logged points (and diverging spans), for ``lrplot PLAN --log LOG``."""
    try:
        report = verify(plan, schedules, log, diagnose=False, **kwargs)
    except UsageError:  # several schedules and none named like the run: draw the points, shade nothing
        return Curves(plan.schedules + log.schedules, plan.title)
    return Curves(plan.schedules + tuple(t for t in report.curves.schedules if t.style == "points"), plan.title)


def load_plan(path: Any, *, overrides: Iterable[str] = (), allow_import: AllowImport = None,
              inputs: Any = None, kind: str | None = None, use_cache: bool = True) -> tuple[Curves, list[ResolvedSchedule]]:
    """PLAN: anything lrplot draws (an lrplot spec or a training config), simulated."""
    from ..engine import simulate
    from ..sources import BudgetInputs, load_input

    allow = allowed_imports(allow_import)
    source = load_input(path, kind=kind, overrides=overrides, inputs=inputs or BudgetInputs(), allow_import=allow)
    curves = simulate([source.spec], allow_import=allow, cache=use_cache)
    return curves, source.spec.schedule_list()


def verify_files(plan_path: Any, log_path: Any, *, log_format: str | None = None, log_key: str | None = None,
                 rtol: float = 0.0, schedule: str | None = None, overrides: Iterable[str] = (),
                 allow_import: AllowImport = None, inputs: Any = None, kind: str | None = None,
                 diagnose: bool = True, skip_corrupt: bool = False) -> Report:
    """``lrplot verify PLAN --log LOG``: the log is read first (cheap), then the plan simulated."""
    from . import load_log

    log = load_log(log_path, fmt=log_format, key=log_key, skip_corrupt=skip_corrupt)
    allow = allowed_imports(allow_import)
    plan, schedules = load_plan(plan_path, overrides=overrides, allow_import=allow, inputs=inputs, kind=kind)
    return verify(plan, schedules, log, rtol=rtol, schedule=schedule, allow_import=allow, diagnose=diagnose)
