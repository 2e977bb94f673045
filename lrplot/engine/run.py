"""A Run: a fresh optimizer and the real scheduler of one schedule, stepped as its trainer steps it."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..curves import ScheduleTrace
from ..facts import first_update, resolve_steps, schedule_events
from ..spec import ResolvedSchedule, SchedulerNode
from ..imports import Allowance
from .build import build_scheduler
from .fields import field_labels, resolve_fields
from .loop import Progress, library_loop, lr_list_owner, run_loop, step_order_satisfied
from .memory import check_memory
from .metric import metric_feed
from .optimizer import build_optimizer
from .protocols import COMPOSER, LIBRARY_DRIVEN, MEGATRON, PLATEAU, TIMM, describe, library_calls, protocol_of
from .stepping import accelerate_step, check_composer, composer_calls


def _placeholders(schedule: ResolvedSchedule, steps: int) -> dict[str, int] | None:
    """What pytorch-accelerated's Trainer would fill its placeholders with, from the spec."""
    per = schedule.steps_per_epoch
    if per is None:
        return None
    return {"NUM_EPOCHS": math.ceil(steps / per), "NUM_UPDATE_STEPS_PER_EPOCH": per,
            "PER_PROCESS_NUM_UPDATE_STEPS_PER_EPOCH": per, "TRAIN_DATALOADER_LEN": per}


def _check_protocol(schedule: ResolvedSchedule, sched: SchedulerNode, scheduler: Any, kind: str | None) -> None:
    spec = schedule.spec
    if kind is None:
        raise spec.error(f"{sched.type} built a {type(scheduler).__name__}, which lrplot does not know how to step",
                         sched.path + ("type",),
                         hint="expected a torch LRScheduler or ReduceLROnPlateau, a pytorch-accelerated or "
                              "a timm scheduler (see 'Schedulers from other libraries' in the README)")
    if kind in LIBRARY_DRIVEN:
        if len(schedule.schedulers) > 1:
            raise spec.error(f"{sched.type} cannot share its optimizer with other schedulers in a list: "
                             f"{describe(kind)}", sched.path, hint="give it a schedule of its own")
        if schedule.interval_of(sched) == "epoch" or (sched.frequency or 1) != 1:
            key = "frequency" if (sched.frequency or 1) != 1 else "interval"
            value = getattr(sched, key) or schedule.interval
            where = sched.path + (key,) if getattr(sched, key) is not None else schedule.where("interval")
            raise spec.error(f"{key}: {value} does not apply to {sched.type}: {describe(kind)}", where,
                             hint=f"remove '{key}: {value}'")
    if (kind == MEGATRON) != (sched.global_batch_size is not None) or (
            sched.rampup_batch_size is not None and kind != MEGATRON):
        key = "global_batch_size" if kind == MEGATRON or sched.rampup_batch_size is None else "rampup_batch_size"
        raise spec.error(f"{sched.type} {'needs' if kind == MEGATRON else 'takes no'} '{key}' (the samples each "
                         "update adds to Megatron's OptimizerParamScheduler)", sched.path,
                         hint="add 'global_batch_size: N'" if kind == MEGATRON else f"remove '{key}'")
    stepping = schedule.stepping
    if kind == COMPOSER and (stepping is None or stepping.composer is None):
        raise spec.error(f"{sched.type} is a Composer scheduler: it reads Composer's training time, which the spec "
                         "gives in stepping.composer", sched.path,
                         hint="add 'stepping: {composer: {max_duration: 4800ba}}' (the Trainer's max_duration)")
    if stepping is not None and stepping.composer is not None and kind in LIBRARY_DRIVEN and kind != COMPOSER:
        raise spec.error(f"stepping.composer steps a Composer or torch scheduler, not {sched.type}: {describe(kind)}",
                         schedule.where("stepping"), hint="remove stepping.composer")
    if stepping is not None and stepping.composer is not None:
        check_composer(schedule, stepping.composer, sched)
    if stepping is not None and stepping.accelerate is not None and kind in LIBRARY_DRIVEN:
        raise spec.error(f"stepping.accelerate wraps a torch scheduler, not {sched.type}: {describe(kind)}",
                         schedule.where("stepping"), hint="remove stepping.accelerate")
    if kind == TIMM and schedule.steps_per_epoch is None:
        raise spec.error(f"{sched.type} is a timm scheduler, stepped at every epoch end, so the spec needs "
                         "steps_per_epoch", sched.path,
                         hint="add 'steps_per_epoch: N' (optimizer updates per epoch)")


def _every_period(steppers: list[tuple[Callable[[], Any], int]], by_epoch: list[bool], start: int
                  ) -> Callable[[], Any]:
    """One step function for several schedulers with their own periods, called after every
    update: it steps each scheduler whose period divides the updates done. At an epoch end the
    per-update schedulers step before the per-epoch ones (each in list order), as Lightning 2.6
    (training_epoch_loop: interval "step" updates, then on_advance_end's "epoch" update) and
    MMEngine 0.10 (ParamSchedulerHook.after_train_iter, then after_train_epoch) do."""
    steppers = [s for s, epoch in zip(steppers, by_epoch) if not epoch] + \
               [s for s, epoch in zip(steppers, by_epoch) if epoch]
    done = start

    def step() -> None:
        nonlocal done
        done += 1
        for fn, period in steppers:
            if done % period == 0:
                fn()
    return step


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
        self.schedulers: list[Any] = list(scheduler) if isinstance(scheduler, (list, tuple)) else [scheduler]
        self.scheduler = self.schedulers[0]
        self.steps = steps
        self.per = schedule.steps_per_epoch or 1
        self.periods = [schedule.period(node) for node in schedule.schedulers]
        self.kind = protocol_of(self.scheduler)
        for node, obj in zip(schedule.schedulers, self.schedulers):
            _check_protocol(schedule, node, obj, protocol_of(obj))
        groups = optimizer.param_groups
        self.readers = resolve_fields(schedule, groups[0])
        self.library = (library_calls(self.kind, self.scheduler, node=schedule.schedulers[0])
                        if self.kind in LIBRARY_DRIVEN and self.kind != COMPOSER else None)
        if self.kind == TIMM:  # step(epoch, metric) at every epoch end: one metric value per epoch
            feed = metric_feed(schedule, optimizer, max(steps - 1, 0) // self.per, start // self.per)
            self.library = library_calls(self.kind, self.scheduler, feed)
        stepping = schedule.stepping
        # what the trainer's checkpoint restores besides the schedulers (a state_dict()/load_state_dict()
        # object): Composer's State.timestamp, Megatron's consumed samples that ramp the batch up
        self.trainer_state: Any = self.library[0] if isinstance(self.library, tuple) and hasattr(
            self.library[0], "load_state_dict") else None
        if stepping is not None and stepping.composer is not None:  # Composer's Trainer (engine/stepping.py)
            self.scheduler, self.trainer_state, *calls = composer_calls(schedule, stepping.composer, optimizer,
                                                                        self.scheduler, self.kind != COMPOSER)
            self.schedulers[0], self.library = self.scheduler, tuple(calls)
            self.per = stepping.composer.dataloader_len or 1
        steppers = []
        fed = None
        for obj, period in zip(self.schedulers, self.periods):
            step = getattr(obj, "step", None)  # library-driven schedulers may have only step_update
            if protocol_of(obj) == PLATEAU:
                feed = metric_feed(schedule, optimizer, (steps - 1) // period, start // period)
                step, fed = _fed(obj.step, feed), (obj.step, feed)
            if stepping is not None and stepping.accelerate is not None:  # AcceleratedScheduler (engine/stepping.py)
                step, fed = accelerate_step(obj, optimizer, stepping.accelerate, step if step != obj.step else None), None
            steppers.append((step, period))
        # One torch scheduler stepped by itself: the loop may read the lrs its step() left (run_loop)
        self.plain = len(steppers) == 1 and self.library is None and (stepping is None or stepping.accelerate is None)
        self.fed = fed if len(steppers) == 1 else None
        if len(steppers) == 1:
            self.step, self.every = steppers[0]
        else:
            by_epoch = [schedule.interval_of(node) == "epoch" for node in schedule.schedulers]
            self.step, self.every = _every_period(steppers, by_epoch, start), 1
        # The value of a (group, key) pair at update t is read before the scheduler steps after
        # update t-1. Tuple-valued keys (betas) are recorded whole and split in :meth:`values`.
        self.pairs = [(g, key) for g in range(len(groups)) for key in dict.fromkeys(k for _, k, _ in self.readers)]

    def state_dicts(self) -> list[Any]:
        """Every scheduler's ``state_dict()``, what a checkpoint holds; a scheduler without one (a
        class with only ``step()`` from a local file) is refused where the spec names it."""
        out = []
        for node, obj in zip(self.schedule.schedulers, self.schedulers):
            if not callable(getattr(obj, "state_dict", None)):
                raise self.schedule.spec.error(
                    f"{node.type} has no state_dict(), so no checkpoint can hold its state", node.path + ("type",),
                    hint="give the class state_dict() and load_state_dict(), as torch's schedulers have")
            out.append(obj.state_dict())
        return out

    def trainer_state_dict(self) -> dict[str, Any] | None:
        """What the trainer's checkpoint holds besides the schedulers (see ``trainer_state``)."""
        return None if self.trainer_state is None else self.trainer_state.state_dict()

    def load_state_dicts(self, schedulers: list[Any], trainer: dict[str, Any] | None = None,
                         optimizer: dict[str, Any] | None = None) -> None:
        """Restore a checkpoint's scheduler states into this fresh run (its optimizer state, if any, was
        loaded before the run was built: a metric feed holds its param group). Composer: its Trainer
        compiles the schedulers, which sets the lr, and then loads the checkpoint in the order
        ``State.load_state_dict`` does (composer/core/state.py: optimizers, schedulers, timestamp), so the
        ``optimizer`` state given is loaded again after the compiling."""
        import copy

        if optimizer is not None and self.schedule.stepping is not None and self.schedule.stepping.composer:
            self.optimizer.load_state_dict(copy.deepcopy(optimizer))
        for obj, saved in zip(self.schedulers, schedulers):
            obj.load_state_dict(copy.deepcopy(saved))
        if self.trainer_state is not None and trainer is not None:
            self.trainer_state.load_state_dict(copy.deepcopy(trainer))

    def calls_before(self, t: int) -> int:
        """How many ``step()`` calls the loop makes on the first scheduler before update ``t``."""
        return t // self.periods[0]

    def advance(self, start: int, stop: int, progress: Progress | None = None) -> list:
        """Record updates ``start``..``stop-1`` (the scheduler steps after each one, except after
        the very last update of the schedule); the values come flat, see :func:`run_loop`."""
        groups = self.optimizer.param_groups
        dicts = [groups[g] for g, _ in self.pairs]
        keys = [k for _, k in self.pairs]
        if start >= stop:
            return []
        with step_order_satisfied():
            if self.library is not None:  # Composer's compiled LambdaLR is a torch scheduler too
                return library_loop(*self.library, dicts, keys, start, stop, self.steps, self.per, self.schedule)
            owner = lr_list_owner(self.scheduler, groups, dicts, keys) if self.plain else None
            return run_loop(self.step, dicts, keys, start, stop, self.steps, self.every, self.schedule, progress,
                            owner=owner, fed=self.fed)

    def values(self, rows: list) -> dict[tuple[int, str], np.ndarray]:
        """The recorded values as ``{(group, field label): float64 array}``."""
        n = len(self.pairs)
        col_of = {pair: i for i, pair in enumerate(self.pairs)}
        values: dict[tuple[int, str], np.ndarray] = {}
        if n > 1 and all(index is None for _, _, index in self.readers):
            # several plain values per update: one conversion of the flat record, then its columns
            # (the same float64 of each element as converting each column; a third of the time)
            try:  # fromiter: no search for nested sequences (a quarter less time than np.array for 4M floats)
                matrix = np.fromiter(rows, dtype=np.float64, count=len(rows))
            except (TypeError, ValueError):
                matrix = None
            if matrix is not None and matrix.ndim == 1 and matrix.size == len(rows):
                table = matrix.reshape(-1, n)
                for g in range(len(self.optimizer.param_groups)):
                    for label, key, _ in self.readers:
                        values[(g, label)] = np.ascontiguousarray(table[:, col_of[(g, key)]])
                return values
        columns = [rows[i::n] for i in range(n)] if n > 1 else [rows]
        for g in range(len(self.optimizer.param_groups)):
            for label, key, index in self.readers:
                col = columns[col_of[(g, key)]]
                if index is not None:
                    col = [v[index] for v in col]
                values[(g, label)] = _float64(col)
        return values

    def curves(self, rows: list) -> ScheduleTrace:
        schedule = self.schedule
        single = len(schedule.schedulers) == 1
        return ScheduleTrace(
            name=schedule.name,
            scheduler=schedule.scheduler_label,
            steps=self.steps,
            interval=schedule.interval_of(schedule.scheduler) if single else "step",
            steps_per_epoch=schedule.steps_per_epoch,
            groups=tuple(schedule.group_names),
            fields=tuple(label for label, _, _ in self.readers),
            values=self.values(rows),
            source=schedule.spec.stem,
            events=schedule_events(schedule, self.steps),
            meta={**field_labels(self.readers), **self._resumed_meta()},
        )

    def _resumed_meta(self) -> dict[str, int]:
        """A run resumed by the spec (``last_epoch`` of its scheduler): the number of its first
        update, so every step shown counts from there (``ScheduleTrace.first_update``)."""
        done = first_update(self.schedule)
        return {"first_update": done} if done else {}


def _fed(step: Callable[[Any], Any], feed: Callable[[], Any]) -> Callable[[], Any]:
    """``ReduceLROnPlateau.step(metric)`` with the next metric value, as a closure: one Python frame
    per call (a ``functools.partial`` of a function adds a C call and measured ~10% slower here)."""
    return lambda: step(feed())


def start_run(schedule: ResolvedSchedule, *, allow_import: Allowance = Allowance(),
              base_lrs: dict[int, float] | None = None, steps: int | None = None,
              restored_lrs: dict[int, float] | None = None) -> Run:
    """A fresh optimizer and schedulers for ``schedule``, ready to record update 0 (``allow_import``:
    what import-path schedulers may import, see :mod:`lrplot.imports`; ``base_lrs``: another lr for
    some groups, set before the schedulers are built, as a config with another learning rate would;
    ``steps``: the run's length when it is not the schedule's, e.g. a run that went on past the
    plan's end: the schedulers are the schedule's, built for its own length, and are stepped, fed
    and checked for memory for ``steps`` updates; ``restored_lrs``: the lr of some groups set after the
    schedulers are built and before the loop's first call, as an optimizer's ``load_state_dict`` sets it
    in a resume that does not load the schedulers' state: ignite's handler makes its first call as the
    run starts, after its Checkpoint loaded the objects)."""
    own = resolve_steps(schedule)
    steps = own if steps is None else steps
    check_memory(schedule, steps)
    optimizer = build_optimizer(schedule)
    for g, lr in (base_lrs or {}).items():
        group = optimizer.param_groups[g]
        group["lr"] = lr
        if "initial_lr" in group:
            group["initial_lr"] = lr
    placeholders = _placeholders(schedule, own)
    schedulers = [build_scheduler(schedule.spec, node, optimizer, allow_import=allow_import, placeholders=placeholders)
                  for node in schedule.schedulers]
    for g, lr in (restored_lrs or {}).items():
        optimizer.param_groups[g]["lr"] = lr
    return Run(schedule, optimizer, schedulers, steps)


def run_schedule(schedule: ResolvedSchedule, progress: Progress | None = None, *,
                 allow_import: Allowance = Allowance()) -> ScheduleTrace:
    """Simulate one schedule (``progress`` is told how far the loop is, every CHUNK updates)."""
    run = start_run(schedule, allow_import=allow_import)
    return run.curves(run.advance(0, run.steps, progress))

