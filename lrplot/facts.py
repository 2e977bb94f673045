"""What a spec declares about a schedule, from the spec alone (no torch): lengths, phases, events."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from .curves import Event
from .imports import is_import_path
from .spec import MAX_STEPS, SchedulerNode

if TYPE_CHECKING:  # pragma: no cover
    from .spec import ResolvedSchedule


def int_or_none(value: Any) -> int | None:
    """``value`` if it is an int (not a bool), else None: spec values read without trusting them."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def resumed_steps(sched: SchedulerNode) -> int:
    """How many scheduler steps ``last_epoch`` says have already happened."""
    last_epoch = int_or_none(sched.options.get("last_epoch", -1))
    return max(last_epoch, -1) + 1 if last_epoch is not None else 0


@dataclass(frozen=True)
class Phase:
    """A leaf scheduler and the scheduler steps [start, end) it drives: SequentialLR children take
    turns at the milestones, ChainedScheduler children all drive the same steps. ``end`` None: to
    the end of the run. ``handoff``: the phase starts at a SequentialLR milestone."""

    spec: SchedulerNode
    start: int
    end: int | None
    handoff: bool = False
    scale: int = 1  # optimizer updates per scheduler step, once placed in a run (see check.Context)


def phases(sched: SchedulerNode, start: int = 0, end: int | None = None, handoff: bool = False) -> Iterator[Phase]:
    """The leaf schedulers of ``sched`` with the scheduler steps each drives (from the spec alone)."""
    if sched.type == "SequentialLR" and sched.schedulers:
        milestones = [m for m in (sched.options.get("milestones") or []) if int_or_none(m) is not None]
        bounds: list[int | None] = [start] + [start + m for m in milestones] + [end]
        for i, child in enumerate(sched.schedulers):
            if i + 1 >= len(bounds):
                break
            first, stop = bounds[i], bounds[i + 1]
            if end is not None and stop is not None:
                stop = min(stop, end)
            yield from phases(child, first, stop, i > 0)
    elif sched.type == "ChainedScheduler" and sched.schedulers:
        for child in sched.schedulers:
            yield from phases(child, start, end, handoff)
    else:
        yield Phase(sched, start, end, handoff)


def natural_length(sched: SchedulerNode) -> int | None:
    """How many scheduler values the schedule defines by itself, or None if it goes on forever.

    OneCycleLR: total_steps; CosineAnnealingLR: T_max (one half-period); PolynomialLR:
    total_iters; LinearLR/ConstantLR: total_iters + 1 (so the value they settle at is shown);
    SequentialLR: last milestone + its last scheduler's length; ChainedScheduler: the longest.
    """
    o = sched.options
    kind = sched.type
    length: int | None = None
    if kind == "OneCycleLR":
        length = int_or_none(o.get("total_steps"))
        if length is None and int_or_none(o.get("epochs")) and int_or_none(o.get("steps_per_epoch")):
            length = o["epochs"] * o["steps_per_epoch"]
    elif kind == "CosineAnnealingLR":
        length = int_or_none(o.get("T_max"))
    elif kind == "PolynomialLR":
        length = int_or_none(o.get("total_iters", 5))
    elif kind in ("LinearLR", "ConstantLR"):
        total = int_or_none(o.get("total_iters", 5))
        length = total + 1 if total is not None else None
    elif kind == "SequentialLR" and sched.schedulers:
        milestones = o.get("milestones")
        last = natural_length(sched.schedulers[-1])
        if isinstance(milestones, list) and milestones and int_or_none(milestones[-1]) is not None and last:
            length = milestones[-1] + last
    elif kind == "ChainedScheduler" and sched.schedulers:
        lengths = [n for n in (natural_length(c) for c in sched.schedulers) if n]
        length = max(lengths) if lengths else None
    elif is_import_path(kind):
        # transformers' factories: num_training_steps; pytorch-accelerated: epochs x updates per epoch
        length = int_or_none(o.get("num_training_steps"))
        epochs, per = int_or_none(o.get("total_num_epochs", o.get("num_epochs"))), int_or_none(o.get("num_update_steps_per_epoch"))
        if length is None and epochs and per:
            length = epochs * per
    if length is None or length <= 0:
        return None
    return max(length - resumed_steps(sched), 1)


def hard_limit(sched: SchedulerNode) -> int | None:
    """How many scheduler values torch can produce before it raises (OneCycleLR's total_steps)."""
    if sched.type == "OneCycleLR":
        return natural_length(sched)
    return None


def resolve_steps(schedule: ResolvedSchedule) -> int:
    """The number of optimizer updates to simulate, given or derived (the longest of the
    schedule's schedulers, each scaled by its period), checked against each scheduler's limit."""
    spec = schedule.spec
    steps = schedule.steps
    if steps is None:
        lengths = []
        for sched in schedule.schedulers:
            length = natural_length(sched)
            if length is None:
                raise spec.error(
                    f"'steps' is required: {sched.type} does not define its own length", sched.path,
                    hint="add 'steps: N' (the number of optimizer updates to draw)")
            lengths.append(length * schedule.period(sched))
        steps = max(lengths)
        if steps > MAX_STEPS:
            sched = schedule.schedulers[lengths.index(steps)]
            raise spec.error(f"{sched.type} defines {steps:,} steps, more than lrplot simulates ({MAX_STEPS:,})",
                             sched.path, hint="set 'steps' to the part you want to see")
        return steps
    for sched in schedule.schedulers:
        limit = hard_limit(sched)
        period = schedule.period(sched)
        used = math.ceil(steps / period)
        if limit is not None and used > limit:
            unit = "epochs" if schedule.interval_of(sched) == "epoch" else "steps"
            unit = unit if (sched.frequency or 1) == 1 else "scheduler steps"
            raise spec.error(
                f"steps: {steps} runs past {sched.type}'s total_steps ({limit} {unit}); torch raises "
                f"at scheduler step {limit + 1}", schedule.where("steps"),
                hint=f"set steps: {limit * period} or raise total_steps to {used}")
    return steps


def schedule_events(schedule: ResolvedSchedule, steps: int) -> tuple[Event, ...]:
    """The events of every scheduler of ``schedule`` in optimizer updates, inside the run."""
    events = []
    for sched in schedule.schedulers:
        period = schedule.period(sched)
        events.extend(Event(e.step * period, e.label, e.kind) for e in spec_events(sched)
                      if 0 < e.step * period < steps)
    return tuple(events)


# --- events (from the spec, for annotations) --------------------------------------------------

def spec_events(sched: SchedulerNode) -> list[Event]:
    """Steps the spec declares worth marking, in scheduler steps: SequentialLR hand-offs, the end
    of a warmup (or of any LinearLR/ConstantLR that starts the run), MultiStepLR milestones."""
    events: list[Event] = []
    for phase in phases(sched):
        child, o = phase.spec, phase.spec.options
        if phase.handoff:
            events.append(Event(phase.start, f"→ {child.type}", "phase"))
        if child.type == "MultiStepLR" and isinstance(o.get("milestones"), list):
            events.extend(Event(phase.start + m, f"milestone {m}") for m in o["milestones"]
                          if int_or_none(m) is not None)
        elif child.type in ("LinearLR", "ConstantLR") and phase.start == 0:
            total = int_or_none(o.get("total_iters", 5))
            if total is not None:
                events.append(Event(total, "warmup end" if child.type == "LinearLR" else f"{child.type} ends",
                                    "phase"))
    seen: set[tuple[int, str]] = set()  # dedupe, keep order
    return [e for e in events if (e.step, e.label) not in seen and not seen.add((e.step, e.label))]

