"""A Run: a fresh optimizer and the real scheduler of one schedule, stepped as its trainer steps it."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..curves import Event, ScheduleTrace
from ..facts import resolve_steps, spec_events
from ..spec import ResolvedSchedule
from .build import build_scheduler
from .fields import resolve_fields
from .loop import Progress, library_loop, run_loop, step_order_satisfied
from .memory import check_memory
from .metric import metric_feed
from .optimizer import build_optimizer
from .protocols import LIBRARY_DRIVEN, PLATEAU, TIMM, describe, library_calls, protocol_of


def _placeholders(schedule: ResolvedSchedule, steps: int) -> dict[str, int] | None:
    """What pytorch-accelerated's Trainer would fill its placeholders with, from the spec."""
    per = schedule.steps_per_epoch
    if per is None:
        return None
    return {"NUM_EPOCHS": math.ceil(steps / per), "NUM_UPDATE_STEPS_PER_EPOCH": per,
            "PER_PROCESS_NUM_UPDATE_STEPS_PER_EPOCH": per, "TRAIN_DATALOADER_LEN": per}


def _check_protocol(schedule: ResolvedSchedule, scheduler: Any, kind: str | None) -> None:
    spec = schedule.spec
    sched = schedule.scheduler
    if kind is None:
        raise spec.error(f"{sched.type} built a {type(scheduler).__name__}, which lrplot does not know how to step",
                         sched.path + ("type",),
                         hint="expected a torch LRScheduler or ReduceLROnPlateau, a pytorch-accelerated or "
                              "a timm scheduler (see 'Schedulers from other libraries' in the README)")
    if kind in LIBRARY_DRIVEN and schedule.interval == "epoch":
        raise spec.error(f"interval: epoch does not apply to {sched.type}: {describe(kind)}",
                         schedule.where("interval"), hint="remove 'interval: epoch'")
    if kind == TIMM and schedule.steps_per_epoch is None:
        raise spec.error(f"{sched.type} is a timm scheduler, stepped at every epoch end, so the spec needs "
                         "steps_per_epoch", sched.path,
                         hint="add 'steps_per_epoch: N' (optimizer updates per epoch)")


def _float64(values: list) -> np.ndarray:
    """Recorded values as float64, exactly (a Python float is a float64)."""
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError):  # e.g. 0-d tensors some schedulers leave in a group
        return np.fromiter(map(float, values), dtype=np.float64, count=len(values))


class Run:
    """An optimizer and its scheduler, stepped the way the scheduler's own training loop steps it
    (torch: ``record; optimizer.step(); scheduler.step()``; other libraries: see
    :mod:`lrplot.engine.protocols`). :meth:`advance` can stop after any update and go on later, which is
    what inspecting state and checking resumes need."""

    def __init__(self, schedule: ResolvedSchedule, optimizer: Any, scheduler: Any, steps: int, start: int = 0):
        self.schedule = schedule
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.steps = steps
        self.by_epoch = schedule.interval == "epoch"
        self.per = schedule.steps_per_epoch or 1
        self.kind = protocol_of(scheduler)
        _check_protocol(schedule, scheduler, self.kind)
        groups = optimizer.param_groups
        self.readers = resolve_fields(schedule, groups[0])
        self.step: Callable[[], Any] | None = getattr(scheduler, "step", None)
        self.library = library_calls(self.kind, scheduler) if self.kind in LIBRARY_DRIVEN else None
        if self.kind == PLATEAU:
            feed = metric_feed(schedule, optimizer, self.calls_before(steps - 1), self.calls_before(start))
            plateau_step = scheduler.step
            self.step = lambda: plateau_step(feed())
        # The value of a (group, key) pair at update t is read before the scheduler steps after
        # update t-1. Tuple-valued keys (betas) are recorded whole and split in :meth:`values`.
        self.pairs = [(g, key) for g in range(len(groups)) for key in dict.fromkeys(k for _, k, _ in self.readers)]

    def calls_before(self, t: int) -> int:
        """How many ``scheduler.step()`` calls the loop makes before update ``t``."""
        return t // self.per if self.by_epoch else t

    def advance(self, start: int, stop: int, progress: Progress | None = None) -> list:
        """Record updates ``start``..``stop-1`` (the scheduler steps after each one, except after
        the very last update of the schedule); the values come flat, see :func:`run_loop`."""
        groups = self.optimizer.param_groups
        dicts = [groups[g] for g, _ in self.pairs]
        keys = [k for _, k in self.pairs]
        if start >= stop:
            return []
        if self.library is not None:
            return library_loop(*self.library, dicts, keys, start, stop, self.steps, self.per, self.schedule)
        with step_order_satisfied():
            return run_loop(self.step, dicts, keys, start, stop, self.steps, self.per if self.by_epoch else 1,
                            self.schedule, progress)

    def values(self, rows: list) -> dict[tuple[int, str], np.ndarray]:
        """The recorded values as ``{(group, field label): float64 array}``."""
        n = len(self.pairs)
        columns = [rows[i::n] for i in range(n)] if n > 1 else [rows]
        col_of = {pair: i for i, pair in enumerate(self.pairs)}
        values: dict[tuple[int, str], np.ndarray] = {}
        for g in range(len(self.optimizer.param_groups)):
            for label, key, index in self.readers:
                col = columns[col_of[(g, key)]]
                if index is not None:
                    col = [v[index] for v in col]
                values[(g, label)] = _float64(col)
        return values

    def curves(self, rows: list) -> ScheduleTrace:
        schedule = self.schedule
        scale = self.per if self.by_epoch else 1
        steps = self.steps
        events = tuple(
            Event(e.step * scale, e.label, e.kind)
            for e in spec_events(schedule.scheduler)
            if 0 < e.step * scale < steps
        )
        return ScheduleTrace(
            name=schedule.name,
            scheduler=schedule.scheduler.type,
            steps=steps,
            interval=schedule.interval,
            steps_per_epoch=schedule.steps_per_epoch,
            groups=tuple(schedule.group_names),
            fields=tuple(label for label, _, _ in self.readers),
            values=self.values(rows),
            source=schedule.spec.stem,
            events=events,
        )


def start_run(schedule: ResolvedSchedule, allow: frozenset[str] = frozenset(),
              base_lrs: dict[int, float] | None = None) -> Run:
    """A fresh optimizer and scheduler for ``schedule``, ready to record update 0 (``allow``: the
    names import-path schedulers may import; ``base_lrs``: another lr for some groups, set before
    the scheduler is built, as a config with another learning rate would)."""
    steps = resolve_steps(schedule)
    check_memory(schedule, steps)
    optimizer = build_optimizer(schedule)
    for g, lr in (base_lrs or {}).items():
        group = optimizer.param_groups[g]
        group["lr"] = lr
        if "initial_lr" in group:
            group["initial_lr"] = lr
    scheduler = build_scheduler(schedule.spec, schedule.scheduler, optimizer, allow, _placeholders(schedule, steps))
    return Run(schedule, optimizer, scheduler, steps)


def run_schedule(schedule: ResolvedSchedule, allow: frozenset[str] = frozenset(),
                 progress: Progress | None = None) -> ScheduleTrace:
    """Simulate one schedule (``progress`` is told how far the loop is, every CHUNK updates)."""
    run = start_run(schedule, allow)
    return run.curves(run.advance(0, run.steps, progress))

