"""A schedule linter: rules over the recorded Curves and the spec, each one small function.

A rule is ``rule(ctx) -> Iterable[Finding]`` registered with :func:`rule`. It reads the values torch produced
(``ctx.curves``) and what the spec declares (peaks, floors, milestones, lengths); it never re-derives a formula::

    @rule("my-rule", "warning", "what it catches")
    def _my_rule(ctx):
        ...
        yield ctx.finding("my-rule", "warning", g, "lr", step, (before, after), "message")
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from . import summary
from .curves import ScheduleTrace
from .facts import (JUMP_THRESHOLD, Phase, base_lr, declared_jumps, facts_of, natural_length, overrun, phases,
                    resumed_steps)
from .imports import AllowImport, allowed_imports
from .spec import ResolvedSchedule, SchedulerNode
from .summary import steps_text

NO_ANNEAL_FRACTION = 0.1  # a decaying schedule should end within this fraction of its range above its floor
TOLERANCE = 1e-9  # relative slack for float noise when comparing against a declared value


@dataclass(frozen=True)
class Finding:
    rule: str
    level: str  # error | warning
    schedule: str
    group: str | None
    field: str | None
    step: int | None
    values: tuple[float, ...]
    message: str
    location: str | None = None

    def text(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.level}: {self.message} [{self.rule}]"

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "level": self.level, "schedule": self.schedule, "group": self.group,
                "field": self.field, "step": self.step,
                "values": [v if math.isfinite(v) else repr(v) for v in self.values],
                "message": self.message, "location": self.location}


@dataclass(frozen=True)
class Rule:
    id: str
    level: str  # the highest level it reports
    summary: str
    fn: Callable[[Context], Iterable[Finding]]


RULES: dict[str, Rule] = {}


def rule(rule_id: str, level: str, summary: str) -> Callable:
    def register(fn: Callable[[Context], Iterable[Finding]]) -> Callable:
        RULES[rule_id] = Rule(rule_id, level, summary, fn)
        return fn
    return register


class Context:
    """One simulated schedule and what its spec declares, handed to every rule."""

    def __init__(self, schedule: ResolvedSchedule, curves: ScheduleTrace):
        self.schedule = schedule
        self.curves = curves
        self.location = str(schedule.spec.locate(schedule.scheduler.path))
        self.first = curves.first_update  # rules use indices; findings say the trainer's steps (a resumed run)
        steps = curves.steps
        # the phases of every scheduler in optimizer updates (each at its own period), cut to the run
        self.phases = [
            Phase(p.spec, p.start * scale, steps if p.end is None else min(p.end * scale, steps), p.handoff, scale)
            for node in schedule.schedulers for scale in (schedule.period(node),)
            for p in phases(node) if p.start * scale < steps
        ]

    def finding(self, rule_id: str, level: str, group: int | None, field: str | None, step: int | None,
                values: tuple[float, ...], message: str) -> Finding:
        gname = self.curves.groups[group] if group is not None else None
        prefix = f"'{self.curves.name}'"
        if group is not None:
            prefix += f" group {gname}" if len(self.curves.groups) > 1 else ""
        if field is not None:
            prefix += f" {field}"
        if step is not None:
            step = int(step) + self.first
            prefix += f" at step {step}"
        return Finding(rule_id, level, self.curves.name, gname, field, step,
                       tuple(float(v) for v in values), f"{prefix}: {message}", self.location)

    def base_lr(self, g: int) -> float:
        return base_lr(self.schedule, g)

    def declared_peak(self, g: int) -> float:
        """The highest lr the spec declares for group ``g``."""
        base = self.base_lr(g)
        peaks = [facts_of(p.spec).peak(p.spec, base, g) for p in self.phases]
        return max(peaks) if peaks else base

    def floor(self, sched: SchedulerNode, g: int) -> float | None:
        """Where a decaying scheduler declares it ends, or None if it is not one."""
        return facts_of(sched).floor(sched, self.base_lr(g), g)

    def declared_jumps(self) -> set[int]:
        """Updates where the spec itself asks for a discontinuity (:func:`lrplot.facts.declared_jumps`)."""
        return declared_jumps(self.schedule, self.phases, self.curves.steps)

    def lr_series(self) -> Iterator[tuple[int, np.ndarray]]:
        for g in range(len(self.curves.groups)):
            if (g, "lr") in self.curves.values:
                yield g, self.curves.values[(g, "lr")]


# --- the rules ------------------------------------------------------------------------------------

@rule("nan-inf", "error", "a value is NaN or infinite")
def _nan_inf(ctx: Context) -> Iterator[Finding]:
    for (g, f), v in ctx.curves.values.items():
        bad = np.flatnonzero(~np.isfinite(v))
        if len(bad):
            t = int(bad[0])
            yield ctx.finding("nan-inf", "error", g, f, t, (v[t],),
                              f"{f} is {float(v[t])!r} at {len(bad)} step(s): {steps_text((bad + ctx.first).tolist())}")


@rule("nonpositive-lr", "error", "the lr is zero (warning: wasted updates) or negative (error)")
def _nonpositive(ctx: Context) -> Iterator[Finding]:
    for g, v in ctx.lr_series():
        neg = np.flatnonzero(v < 0)
        zero = np.flatnonzero(v == 0)
        if len(neg):
            t, at = int(neg[0]), steps_text((neg + ctx.first).tolist())
            yield ctx.finding("nonpositive-lr", "error", g, "lr", t, (v[t],),
                              f"lr is negative ({v[t]:.6g}) at {len(neg)} step(s): {at}")
        if len(zero):
            t = int(zero[0])
            yield ctx.finding("nonpositive-lr", "warning", g, "lr", t, (0.0,),
                              f"lr is 0 at {len(zero)} step(s): {steps_text((zero + ctx.first).tolist())}; "
                              "those updates do nothing")


@rule("overshoot", "error", "the lr rises above the schedule's declared peak (base lr, max_lr)")
def _overshoot(ctx: Context) -> Iterator[Finding]:
    for g, v in ctx.lr_series():
        peak = ctx.declared_peak(g)
        over = np.flatnonzero(np.isfinite(v) & (v > peak * (1 + TOLERANCE)))
        if len(over):
            t = int(over[np.argmax(v[over])])
            yield ctx.finding("overshoot", "error", g, "lr", t, (v[t], peak),
                              f"lr reaches {v[t]:.6g}, above the declared peak {peak:.6g} "
                              f"(x{v[t] / peak:.3g}), at {len(over)} step(s) from step {int(over[0]) + ctx.first}")


@rule("jump", "error", f"the value changes by more than {JUMP_THRESHOLD:.0%} of its peak in one update "
                       "where the spec declares no step (error at a SequentialLR hand-off, else warning)")
def _jump(ctx: Context) -> Iterator[Finding]:
    declared = ctx.declared_jumps()
    handoffs = {p.start: p.spec.type for p in ctx.phases if p.handoff}
    for (g, f), v in ctx.curves.values.items():
        steps = [int(t) for t in summary.peak_jumps(v) if int(t) not in declared]
        if not steps:
            continue
        at_handoff = [t for t in steps if t in handoffs]
        t = at_handoff[0] if at_handoff else steps[0]
        change = (v[t] - v[t - 1]) / np.abs(v[np.isfinite(v)]).max()
        where = f", at the SequentialLR hand-off to {handoffs[t]}" if t in handoffs else ""
        yield ctx.finding("jump", "error" if at_handoff else "warning", g, f, t, (v[t - 1], v[t]),
                          f"{f} jumps from {v[t - 1]:.6g} to {v[t]:.6g} ({change:+.0%} of its peak){where}"
                          + (f"; also at {steps_text([s + ctx.first for s in steps if s != t])}"
                             if len(steps) > 1 else ""))


@rule("no-anneal", "warning", "a decaying schedule ends far above its floor (cut short, or stepped "
                              "per epoch when its length counts batches)")
def _no_anneal(ctx: Context) -> Iterator[Finding]:
    if not ctx.phases:
        return
    last = ctx.phases[-1]
    for g, v in ctx.lr_series():
        floor = ctx.floor(last.spec, g)
        finite = v[np.isfinite(v)]
        if floor is None or not len(finite):
            continue
        top, final, declared = float(finite.max()), float(v[-1]), ctx.declared_peak(g)
        if top > floor and final - floor > NO_ANNEAL_FRACTION * (top - floor):
            # said against the peak the schedule declares (max_lr, the base lr): a schedule stepped
            # per epoch may never reach it, and "100% of the way to the peak it reached" hides that
            high = max(declared, top)
            reached = f" (it reaches only {top:.6g})" if top < declared * (1 - 1e-6) else ""
            yield ctx.finding("no-anneal", "warning", g, "lr", ctx.curves.steps - 1, (final, floor),
                              f"{last.spec.type} ends at {final:.6g}, {(final - floor) / (high - floor):.0%} of "
                              f"the way from its floor {floor:.6g} to its declared peak {high:.6g}{reached}; "
                              + ctx.schedule.spec.advise(("steps",), "does it run its length (steps, interval, "
                                                         "total_steps)?"))


@rule("rebound", "error", "CosineAnnealingLR climbs again after T_max")
def _rebound(ctx: Context) -> Iterator[Finding]:
    for p in ctx.phases:
        facts = facts_of(p.spec)
        length = facts.length(p.spec) if facts.rises_after_length else None
        if not length:
            continue
        end_of_cosine = p.start + (length - resumed_steps(p.spec)) * p.scale
        if end_of_cosine >= p.end:
            continue
        key = facts.horizon[0]  # T_max, as the spec writes it (MMEngine's counts from its begin)
        for g, v in ctx.lr_series():
            seg = v[max(end_of_cosine, p.start):p.end]
            rising = np.flatnonzero(np.diff(seg) > np.abs(seg[:-1]) * TOLERANCE) + 1
            if len(rising):
                t = max(end_of_cosine, p.start) + int(rising[0])
                driven = (p.end - p.start) // p.scale + resumed_steps(p.spec)
                yield ctx.finding("rebound", "error", g, "lr", t, (v[t - 1], v[t]),
                                  f"CosineAnnealingLR ({key}={p.spec.options.get(key, length)}) rises again after "
                                  f"{key}, from {v[t - 1]:.6g} to {v[t]:.6g}; " + ctx.schedule.spec.advise(
                                      p.spec.path + (key,), facts.refit(p.spec, driven)))


@rule("short-schedule", "warning", "the run is longer than the schedule's own length (error for "
                                   "OneCycleLR, which raises)")
def _short(ctx: Context) -> Iterator[Finding]:
    for p in ctx.phases:
        if not facts_of(p.spec).decays:
            continue
        n = natural_length(p.spec)
        driven = -(-(p.end - p.start) // p.scale)
        if n is not None and driven > n:
            t = p.start + n * p.scale
            # a training config's reader may say how to fix it in the config's own keys
            yield ctx.finding("short-schedule", "warning", None, None, t, (float(driven), float(n)),
                              f"{p.spec.type} defines {n} scheduler steps but drives {driven}; "
                              f"after step {t + ctx.first} it is past its end"
                              + _own_advice(ctx.schedule, p.spec.path + facts_of(p.spec).horizon[:1], driven))


@rule("constant-lambda", "warning", "an lr_lambda gives the same lr at every step (the scheduler does nothing)")
def _constant_lambda(ctx: Context) -> Iterator[Finding]:
    for p in ctx.phases:
        if not facts_of(p.spec).lambda_driven or p.end - p.start < 3:
            continue
        for g, v in ctx.lr_series():
            seg = v[p.start:p.end]
            if (seg == seg[0]).all():
                yield ctx.finding("constant-lambda", "warning", g, "lr", p.start, (float(seg[0]),),
                                  f"{p.spec.type}'s lr_lambda keeps lr at {seg[0]:.6g} for all "
                                  f"{len(seg)} steps; does it use its variable?")


@rule("plateau-self-metric", "warning", "ReduceLROnPlateau fed its own lr: a staircase, not training")
def _plateau_self(ctx: Context) -> Iterator[Finding]:
    if any(facts_of(n).metric_driven for n in ctx.schedule.schedulers) and ctx.schedule.metric == "lr":
        yield ctx.finding("plateau-self-metric", "warning", None, None, None, (),
                          "ReduceLROnPlateau is fed its own lr, so it halves on a fixed beat; "
                          "give 'metric' a CSV of real losses or an expression")


# --- running the rules ---------------------------------------------------------------------------

def check_schedule(schedule: ResolvedSchedule, ignore: Iterable[str] = (), *,
                   allow_import: AllowImport = None) -> list[Finding]:
    """Simulate ``schedule`` and run every rule not in ``ignore``."""
    from .engine import run_schedule

    ignored = set(ignore)
    for sched in schedule.schedulers:
        over = overrun(schedule, sched, schedule.steps) if schedule.steps is not None else None
        if over is not None:
            used, limit = over
            if "short-schedule" in ignored:
                return []
            loc = str(schedule.spec.locate(schedule.where("steps")))
            return [Finding("short-schedule", "error", schedule.name, None, None, None, (float(used), float(limit)),
                            f"'{schedule.name}': steps {schedule.steps} needs {used} {sched.type} steps but "
                            f"total_steps is {limit}; torch raises at step {limit + 1}"
                            + _own_advice(schedule, sched.path + facts_of(sched).horizon[:1], used), loc)]
    curves = run_schedule(schedule, allow_import=allowed_imports(allow_import))
    ctx = Context(schedule, curves)
    findings: list[Finding] = []
    for r in RULES.values():
        if r.id not in ignored:
            findings.extend(r.fn(ctx))
    return findings


def _own_advice(schedule: ResolvedSchedule, path: tuple, driven: int) -> str:
    """'; <advice>' when the training config's reader says how to change ``path`` in its own keys
    (its advice, or its name for the key); nothing for a plain spec, whose message names its keys."""
    spec = schedule.spec
    own = spec.advise(path, "")
    if not own and spec.advise(path, "{key}") != str(path[-1]):
        own = spec.advise(path, f"set {{key}} to the scheduler steps it drives ({driven})")
    return f"; {own}" if own else ""


INVALID_SPEC = "invalid-spec"  # a spec (or one of its schedules) that cannot be loaded or simulated


def invalid_spec(exc: Any, name: str) -> Finding:
    """A located SpecError as an error-level finding, so that one bad spec does not hide the others."""
    message = f"{exc.message}; {exc.hint}" if exc.hint else exc.message
    return Finding(INVALID_SPEC, "error", name, None, None, None, (), message,
                   str(exc.location) if exc.location is not None else None)


@dataclass
class CheckReport:
    """What ``lrplot check`` found in every spec it was given."""

    specs: list[dict[str, Any]]  # {"path", "valid"} per spec file, in the order given
    schedules: list[str]
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(f.level == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors

    def failing(self, strict: bool = False) -> bool:
        """Exit 1: an error-level finding, or any finding with ``strict``."""
        return failing(self.findings, strict)

    def to_json(self) -> dict[str, Any]:
        return {"findings": [f.to_json() for f in self.findings], "errors": self.errors,
                "warnings": self.warnings, "schedules": self.schedules, "specs": self.specs}

    def lines(self) -> list[str]:
        """The text report: one line per finding, then the count."""
        invalid = sum(not s["valid"] for s in self.specs)
        total = (f"{len(self.schedules)} schedule(s) checked: {self.errors} error(s), {self.warnings} warning(s)"
                 + (f"; {invalid} of {len(self.specs)} spec(s) invalid" if invalid else ""))
        return [f.text() for f in self.findings] + [total]


def check_files(paths: Iterable[Any], ignore: Iterable[str] = (), allow: Any = None, *,
                load: Callable[[Any], Any]) -> CheckReport:
    """Check every spec of ``paths``, each read by ``load(path) -> Spec``. A spec that cannot be
    loaded, or a schedule that cannot be built or simulated, is an ``invalid-spec`` finding at its
    location; the other specs and schedules are checked all the same. Command-line mistakes
    (UsageError) still raise."""
    from .errors import SpecError

    report = CheckReport([], [], [])
    for path in paths:
        try:
            spec = load(path)
        except SpecError as exc:
            report.specs.append({"path": str(path), "valid": False})
            report.findings.append(invalid_spec(exc, str(path)))
            continue
        valid = True
        for schedule in spec.schedule_list():
            report.schedules.append(schedule.name)
            try:
                report.findings.extend(check_schedule(schedule, ignore, allow_import=allow))
            except SpecError as exc:
                valid = False
                report.findings.append(invalid_spec(exc, schedule.name))
        report.specs.append({"path": str(path), "valid": valid})
    return report


def check_rule_ids(rule_ids: Iterable[str]) -> None:
    """Refuse an unknown rule id (``--ignore``) with a did-you-mean."""
    from .errors import UsageError
    from .text import did_you_mean

    for rule_id in rule_ids:
        if rule_id not in RULES:
            raise UsageError(f"--ignore {rule_id}: unknown rule",
                             hint=did_you_mean(rule_id, RULES) or f"rules: {', '.join(RULES)}")


def failing(findings: Iterable[Finding], strict: bool = False) -> bool:
    return any(f.level == "error" or strict for f in findings)
