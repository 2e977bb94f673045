"""Spec -> Curves: build a fresh optimizer and the real scheduler per schedule, and step it.

The value recorded at step t is the param-group field read before the t-th ``scheduler.step()``,
i.e. the value optimizer update t uses. It is bit-identical to the plain training loop
``record; optimizer.step(); scheduler.step()``: the scheduler is torch's own object, and the
optimizer is a real torch optimizer over one tiny parameter per group. ``optimizer.step()`` is
never called: without gradients it changes nothing, and its only effect -- keeping torch's
step-order warning quiet -- is had by silencing that one warning (see step_order_satisfied).

This module never imports matplotlib.
"""

from __future__ import annotations

import csv
import math
import re
import warnings
from contextlib import contextmanager
from functools import partial
from operator import getitem
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from .curves import Curves, Event, ScheduleCurves
from .errors import Location, SpecError, first_line
from .expr import compile_expression
from .imports import allowed_imports, check_all_allowed
from .protocols import LIBRARY_DRIVEN, PLATEAU, TIMM, describe, library_calls, protocol_of
from .schedulers import build_scheduler, check_arguments, construct, int_or_none, phases, resolve_steps
from .spec import MetricCsv, ParamGroupSpec, Schedule, SchedulerSpec, Spec, did_you_mean, read_text
from .torchfast import fast_optimizers

_INDEXED = re.compile(r"^(\w+)\[(\d+)\]$")


# --- optimizer ------------------------------------------------------------------------------

def optimizer_classes() -> dict[str, type]:
    import torch.optim

    return {
        name: obj for name, obj in vars(torch.optim).items()
        if isinstance(obj, type) and issubclass(obj, torch.optim.Optimizer) and obj is not torch.optim.Optimizer
    }


def _plain(value: Any) -> Any:
    """YAML lists become tuples (``betas: [0.9, 0.999]``), as torch code writes them."""
    return tuple(_plain(v) for v in value) if isinstance(value, list) else value


def build_optimizer(schedule: Schedule) -> Any:
    """A fresh torch optimizer with one one-element parameter per param group."""
    import torch

    spec = schedule.spec
    opt = schedule.optimizer
    where = schedule.where("optimizer")
    classes = optimizer_classes()
    cls = classes.get(opt.type)
    if cls is None:
        hint = did_you_mean(opt.type, classes)
        raise spec.error(f"unknown optimizer '{opt.type}'", where + ("type",),
                         hint=hint or f"known: {', '.join(sorted(classes))}")
    kwargs = {k: _plain(v) for k, v in opt.options.items()}
    kwargs["lr"] = opt.lr
    check_arguments(spec, cls, opt.type, kwargs, where, implied=("params",))
    groups_spec = schedule.param_groups or [ParamGroupSpec()]
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(1))], **{k: _plain(v) for k, v in g.options.items()}}
        for g in groups_spec
    ]
    with fast_optimizers():  # same optimizer, without the first-call import of torch._dynamo
        optimizer = construct(spec, cls, opt.type, where, groups, kwargs)
    known = set(optimizer.defaults) | {"initial_lr", "params"}
    for i, g in enumerate(groups_spec):
        for key in g.options:
            if key not in known:
                hint = did_you_mean(key, sorted(known - {"params"}))
                raise spec.error(f"{opt.type} param groups have no option '{key}'",
                                 schedule.where("param_groups") + (i, key), key=True,
                                 hint=hint or f"valid: {', '.join(sorted(known - {'params'}))}")
    if opt.initial_lr is not None:
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", opt.initial_lr)
    return optimizer


STEP_ORDER_WARNING = r".*lr_scheduler\.step\(\)` before `optimizer\.step\(\)`"


@contextmanager
def step_order_satisfied() -> Iterator[None]:
    """Step a scheduler whose optimizer never steps, without torch's 'lr_scheduler.step() before
    optimizer.step()' warning.

    That warning is the only effect of skipping ``optimizer.step()``: without gradients it changes
    no param-group value, so the curve is the one of ``record; optimizer.step(); scheduler.step()``
    (tests/test_simulate.py checks ==). Calling it would cost the import of torch._dynamo (1-3 s)
    on the first call in a process. Only this message is silenced, only while stepping: warnings
    torch gives while building the scheduler are still reported."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=STEP_ORDER_WARNING, category=UserWarning)
        yield


# --- fields ---------------------------------------------------------------------------------

def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def resolve_fields(schedule: Schedule, group: dict) -> list[tuple[str, str, int | None]]:
    """[(label, key, index)]: what to read from each param group for the spec's ``fields``."""
    spec = schedule.spec
    out: list[tuple[str, str, int | None]] = []
    numeric = sorted(k for k, v in group.items() if k != "params" and (
        _is_number(v) or (isinstance(v, (tuple, list)) and v and all(_is_number(x) for x in v))))
    for i, name in enumerate(schedule.fields):
        m = _INDEXED.match(name)
        if m:
            key, index = m.group(1), int(m.group(2))
            value = group.get(key)
            if not isinstance(value, (tuple, list)) or index >= len(value):
                raise spec.error(f"field '{name}': the param group's '{key}' has no element {index}",
                                 ("fields", i), hint=f"numeric fields: {', '.join(numeric)}")
            out.append((name, key, index))
            continue
        if name == "momentum" and "momentum" not in group and isinstance(group.get("betas"), (tuple, list)):
            out.append(("momentum", "betas", 0))  # what CyclicLR/OneCycleLR cycle for Adam-style optimizers
            continue
        if name not in group or name == "params":
            hint = did_you_mean(name, numeric)
            raise spec.error(f"the param groups have no field '{name}'", ("fields", i),
                             hint=hint or f"numeric fields: {', '.join(numeric)}")
        value = group[name]
        if isinstance(value, (tuple, list)) and value and all(_is_number(x) for x in value):
            out.extend((f"{name}[{j}]", name, j) for j in range(len(value)))
        elif _is_number(value) or hasattr(value, "item"):
            out.append((name, name, None))
        else:
            raise spec.error(f"field '{name}' is not a number (it is {value!r})", ("fields", i),
                             hint=f"numeric fields: {', '.join(numeric)}")
    return out


# --- metric for ReduceLROnPlateau ------------------------------------------------------------

def read_metric_csv(spec: Spec, metric: MetricCsv, where: tuple) -> list[float]:
    path = spec.base_dir / metric.csv
    text = read_text(path)
    rows = list(csv.reader(text.splitlines()))
    if len(rows) < 2:
        raise SpecError("the metric CSV needs a header row and at least one value", location=Location(str(path), 1))
    header = [h.strip() for h in rows[0]]
    column = metric.column if metric.column is not None else header[-1]
    if column not in header:
        hint = did_you_mean(column, header)
        raise spec.error(f"the metric CSV {metric.csv} has no column '{column}'", where + ("column",),
                         hint=hint or f"columns: {', '.join(header)}")
    index = header.index(column)
    values = []
    for line, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        cell = row[index].strip() if index < len(row) else ""
        try:
            values.append(float(cell))
        except ValueError:
            col = sum(len(c) + 1 for c in row[:index]) + 1
            raise SpecError(f"'{cell}' in column '{column}' is not a number", location=Location(str(path), line, col),
                            hint="every row needs a numeric value") from None
    return values


def metric_feed(schedule: Schedule, optimizer: Any, calls: int, start: int = 0) -> Callable[[], Any]:
    """A function giving the metric for each successive ``scheduler.step(metric)`` call,
    beginning with call number ``start`` (a resumed run continues where the first stopped)."""
    spec = schedule.spec
    metric = schedule.metric
    where = schedule.where("metric")
    if isinstance(metric, MetricCsv):
        values = read_metric_csv(spec, metric, where)
        if len(values) < calls:
            raise spec.error(
                f"the metric CSV has {len(values)} values but the schedule steps {calls} times", where,
                hint=f"add rows, or lower steps so that at most {len(values)} scheduler steps happen")
        return iter(values[start:]).__next__
    if metric == "lr":
        return partial(getitem, optimizer.param_groups[0], "lr")  # C-level: no Python frame per step
    expr = compile_expression(metric, ("step", "epoch"), what="metric",
                              location=lambda off: spec.source.text(where, off))
    counter = iter(range(start, calls + 1)).__next__
    return lambda: expr(counter())


# --- events (from the spec, for annotations) --------------------------------------------------

def spec_events(sched: SchedulerSpec) -> list[Event]:
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


# --- protocols -------------------------------------------------------------------------------

def _placeholders(schedule: Schedule, steps: int) -> dict[str, int] | None:
    """What pytorch-accelerated's Trainer would fill its placeholders with, from the spec."""
    per = schedule.steps_per_epoch
    if per is None:
        return None
    return {"NUM_EPOCHS": math.ceil(steps / per), "NUM_UPDATE_STEPS_PER_EPOCH": per,
            "PER_PROCESS_NUM_UPDATE_STEPS_PER_EPOCH": per, "TRAIN_DATALOADER_LEN": per}


# --- the loop -------------------------------------------------------------------------------

Progress = Callable[[str, int, int], None]  # progress(schedule name, updates done, total)
CHUNK = 1 << 16  # updates between progress reports: the inner loops stay free of any check


def reader(dicts: list[dict], keys: list[str]) -> Callable[[], tuple]:
    """A function reading every ``dicts[i][keys[i]]`` into one tuple. For up to 4 values it is a
    tuple display over bound locals, about twice as fast per update as ``map(getitem, ...)``
    (measured: 160 vs 327 ns for 4 values), which matters next to a 2-3 µs scheduler step."""
    pairs = list(zip(dicts, keys))
    if len(pairs) == 1:
        ((d0, k0),) = pairs
        return lambda: (d0[k0],)
    if len(pairs) == 2:
        (d0, k0), (d1, k1) = pairs
        return lambda: (d0[k0], d1[k1])
    if len(pairs) == 3:
        (d0, k0), (d1, k1), (d2, k2) = pairs
        return lambda: (d0[k0], d1[k1], d2[k2])
    if len(pairs) == 4:
        (d0, k0), (d1, k1), (d2, k2), (d3, k3) = pairs
        return lambda: (d0[k0], d1[k1], d2[k2], d3[k3])
    return lambda: tuple(map(getitem, dicts, keys))


def run_loop(step: Callable[[], Any], dicts: list[dict], keys: list[str], start: int, stop: int, steps: int,
             every: int, schedule: Schedule, progress: Progress | None = None) -> list:
    """Record ``dicts[i][keys[i]]`` for updates ``start``..``stop-1``, calling ``step()`` after
    every ``every``-th update (never after the schedule's last). The values come flat: update t's
    value of pair i is at ``(t - start) * len(dicts) + i``. Errors torch raises while stepping
    become a SpecError at the scheduler. ``progress`` is called every :data:`CHUNK` updates."""
    rows: list = []
    record, extend = rows.append, rows.extend
    single = len(dicts) == 1
    group, key = dicts[0], keys[0]
    read = reader(dicts, keys)
    t = start
    try:
        if single:
            record(group[key])
        else:
            extend(read())
        for first in range(start + 1, stop, CHUNK):
            chunk = range(first, min(first + CHUNK, stop))
            if single and every == 1:  # the common case: no call at all to read the value
                for t in chunk:
                    step()
                    record(group[key])
            elif every == 1:  # several values: one tuple per update, appended flat
                for t in chunk:
                    step()
                    extend(read())
            elif single:
                for t in chunk:
                    if t % every == 0:
                        step()
                    record(group[key])
            else:
                for t in chunk:
                    if t % every == 0:
                        step()
                    extend(read())
            if progress is not None:
                progress(schedule.name, chunk.stop, steps)
        t = stop
        if stop < steps and stop % every == 0:  # the step after update stop-1: ready to go on
            step()
    except SpecError:
        raise
    except (ValueError, ZeroDivisionError, OverflowError, RuntimeError, IndexError, KeyError, TypeError) as exc:
        message = first_line(exc, type(exc).__name__)
        if isinstance(exc, OverflowError):
            message = f"numeric overflow ({message})"
        raise schedule.spec.error(f"{schedule.scheduler.type} failed at step {t}: {message}",
                                  schedule.scheduler.path,
                                  hint="check the schedule's length and arguments against 'steps'") from None
    return rows


def library_loop(after_update: Callable[[int], Any] | None, after_epoch: Callable[[int], Any] | None,
                 dicts: list[dict], keys: list[str], start: int, stop: int, steps: int, per: int,
                 schedule: Schedule) -> list:
    """The loop of schedulers driven by their library's own protocol (see lrplot.protocols):
    ``after_update(num_updates)`` after every update, ``after_epoch(epoch)`` at epoch ends."""
    rows: list = []
    extend = rows.extend
    read = reader(dicts, keys)
    t = start
    try:
        for t in range(start, stop):
            extend(read())
            if t + 1 == steps:
                break
            if after_update is not None:
                after_update(t + 1)
            if after_epoch is not None and (t + 1) % per == 0:
                after_epoch((t + 1) // per)
    except SpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - third-party code may raise anything
        message = first_line(exc)
        raise schedule.spec.error(f"{schedule.scheduler.type} failed after update {t + 1}: "
                                  f"{type(exc).__name__}{': ' + message if message else ''}",
                                  schedule.scheduler.path, hint="run with --debug for the traceback") from None
    return rows


def _check_protocol(schedule: Schedule, scheduler: Any, kind: str | None) -> None:
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
    :mod:`lrplot.protocols`). :meth:`advance` can stop after any update and go on later, which is
    what inspecting state and checking resumes need."""

    def __init__(self, schedule: Schedule, optimizer: Any, scheduler: Any, steps: int, start: int = 0):
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

    def curves(self, rows: list) -> ScheduleCurves:
        schedule = self.schedule
        scale = self.per if self.by_epoch else 1
        steps = self.steps
        events = tuple(
            Event(e.step * scale, e.label, e.kind)
            for e in spec_events(schedule.scheduler)
            if 0 < e.step * scale < steps
        )
        return ScheduleCurves(
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


# --- memory --------------------------------------------------------------------------------------

# Peak bytes while recording, per value: the float object (24), its list slot (8), the column it
# is sliced into (8), the final float64 (8), and 8 of slack per update (list over-allocation).
# tracemalloc on torch 2.13, 500k updates: actual peak 0.72x the estimate for one value, 0.75x for
# 4 groups x 2 fields: a slight overestimate, on purpose.
BYTES_PER_VALUE = 48
BYTES_PER_STEP = 8
MEMORY_SHARE = 0.8  # of the memory available when the run starts


def available_memory() -> int | None:
    """Bytes of memory available now (Linux: MemAvailable), or None when unknown."""
    import os

    try:
        with open("/proc/meminfo", "rb") as fh:
            for line in fh:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def memory_needed(steps: int, values_per_step: int) -> int:
    """Peak bytes to record ``steps`` updates of ``values_per_step`` values (groups x fields)."""
    return steps * (BYTES_PER_STEP + BYTES_PER_VALUE * values_per_step)


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError  # pragma: no cover


def check_memory(schedule: Schedule, steps: int) -> None:
    """Refuse, before any work, a schedule whose recording would not fit in memory."""
    groups = len(schedule.param_groups or [None])
    fields = len(schedule.fields) + sum(f == "betas" for f in schedule.fields)  # betas records two
    needed = memory_needed(steps, groups * fields)
    available = available_memory()
    if available is None or needed <= MEMORY_SHARE * available:
        return
    where = schedule.where("steps") if schedule.steps is not None else schedule.scheduler.path
    raise schedule.spec.error(
        f"{steps} steps x {groups} param group{'s' * (groups != 1)} x {fields} field{'s' * (fields != 1)} "
        f"need about {_size(needed)} of memory to record, but only {_size(available)} is available",
        where, hint=f"lower steps (lrplot keeps every value; about {int(MEMORY_SHARE * available // (needed / steps))}"
                    " steps fit), or record fewer fields or param groups")


def start_run(schedule: Schedule, allow: frozenset[str] = frozenset()) -> Run:
    """A fresh optimizer and scheduler for ``schedule``, ready to record update 0 (``allow``: the
    names import-path schedulers may import)."""
    steps = resolve_steps(schedule)
    check_memory(schedule, steps)
    optimizer = build_optimizer(schedule)
    scheduler = build_scheduler(schedule.spec, schedule.scheduler, optimizer, allow, _placeholders(schedule, steps))
    return Run(schedule, optimizer, scheduler, steps)


def run_schedule(schedule: Schedule, allow: frozenset[str] = frozenset(),
                 progress: Progress | None = None) -> ScheduleCurves:
    """Simulate one schedule (``progress`` is told how far the loop is, every CHUNK updates)."""
    run = start_run(schedule, allow)
    return run.curves(run.advance(0, run.steps, progress))


def simulate(specs: Spec | Iterable[Spec], allow_import: Iterable[str] | None = None) -> Curves:
    """Simulate every schedule of one or several specs. Schedule names that collide across
    files are labelled ``file stem / name``.

    ``allow_import``: the packages (or local files, by module name) that import-path scheduler
    types may import, added to those of ``$LRPLOT_ALLOW_IMPORT``. Every schedule is checked
    before any is run."""
    spec_list = [specs] if isinstance(specs, Spec) else list(specs)
    allow = allowed_imports(allow_import)
    check_all_allowed(spec_list, allow)
    return combine(spec_list, [simulate_spec(spec, allow=allow) for spec in spec_list])


def simulate_spec(spec: Spec, progress: Progress | None = None,
                  allow: frozenset[str] = frozenset()) -> list[ScheduleCurves]:
    """The curves of every schedule of one spec, in spec order."""
    return [run_schedule(schedule, allow, progress) for schedule in spec.schedule_list()]


def combine(spec_list: list[Spec], per_spec: list[list[ScheduleCurves]]) -> Curves:
    """One Curves from the schedules of several specs (names that collide get the file stem)."""
    names = [c.name for curves in per_spec for c in curves]
    results = []
    for spec, curves_list in zip(spec_list, per_spec):
        for curves in curves_list:
            if names.count(curves.name) > 1:
                curves = _renamed(curves, f"{spec.stem} / {curves.name}")
            results.append(curves)
    title = spec_list[0].title if len(spec_list) == 1 else None
    return Curves(tuple(results), title)


def _renamed(curves: ScheduleCurves, name: str) -> ScheduleCurves:
    from dataclasses import replace

    return replace(curves, name=name)


from ._callable import make_callable  # noqa: E402  (lrplot.simulate(...) calls simulate())

make_callable(__name__)
