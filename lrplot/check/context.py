"""What every rule of the linter is written with: a :class:`Finding`, the registry of rules
(:data:`RULES`, filled by :func:`rule`) and the :class:`Context` each rule reads.

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

from ..curves import ScheduleTrace
from ..facts import Phase, base_lr, declared_jumps, facts_of, phases
from ..imports import AllowImport
from ..spec import ResolvedSchedule, SchedulerNode

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

    def __init__(self, schedule: ResolvedSchedule, curves: ScheduleTrace, allow_import: AllowImport = None):
        self.schedule = schedule
        self.curves = curves
        self.allow_import = allow_import  # what the run was allowed to import (a rule that runs torch again)
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


def own_advice(schedule: ResolvedSchedule, path: tuple, driven: int) -> str:
    """'; <advice>' when the training config's reader says how to change ``path`` in its own keys
    (its advice, or its name for the key); nothing for a plain spec, whose message names its keys."""
    spec = schedule.spec
    own = spec.advise(path, "")
    if not own and spec.advise(path, "{key}") != str(path[-1]):
        own = spec.advise(path, f"set {{key}} to the scheduler steps it drives ({driven})")
    return f"; {own}" if own else ""
