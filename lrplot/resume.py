"""Does a schedule survive a resume? Stop a real run after update K, save its state, rebuild
the way a user resumes, continue to the end and compare with the uninterrupted run.

Three ways of resuming are compared (all with torch's own objects; nothing is re-derived):

``full``
    Build optimizer and scheduler from the spec as for a fresh run, then
    ``optimizer.load_state_dict(saved)`` and ``scheduler.load_state_dict(saved)``: the pattern of
    the PyTorch reference training scripts.
``scheduler-only``
    The same, but only the scheduler's state is loaded (a common mistake: the optimizer's lr
    starts again from the spec's value).
``last_epoch``
    A fresh optimizer loaded with the saved optimizer state (its param groups hold ``initial_lr``
    and what a scheduler stored there: OneCycleLR's ``max_lr``, ``min_lr``, momenta), and the
    scheduler built with ``last_epoch=K-1``, its own state not loaded: what torch's own
    checkpoint test (``test_lr_scheduler_checkpoint``) does. Schedulers without a ``last_epoch``
    argument cannot be rebuilt this way; that is reported, not raised.

The uninterrupted reference is the same run :func:`lrplot.engine.run_schedule` records. Resume
points and steps are the trainer's update numbers, as the figure's x axis: a schedule resumed by
its spec (``last_epoch``) counts from its first update (:func:`lrplot.facts.first_update`).
"""

from __future__ import annotations

import copy
import inspect
import math
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any, Iterable

import numpy as np

from .curves import Curves, Event, ScheduleTrace
from .errors import LrplotError, UsageError, first_line
from .imports import Allowance, AllowImport, allowed_imports
from .spec import ResolvedSchedule, SchedulerNode

METHODS = ("full", "scheduler-only", "last_epoch")


@dataclass(frozen=True)
class MethodResult:
    """How one way of resuming at update ``at`` compares with the uninterrupted run."""

    method: str
    at: int  # the trainer's update the run resumes at (updates before it were done and saved)
    status: str  # identical | differs | failed
    step: int | None = None  # first update whose value differs (the trainer's number)
    group: str | None = None
    field: str | None = None
    expected: float | None = None
    got: float | None = None
    max_rel: float = 0.0  # largest |got - expected| / |expected| over every series and step
    differing: int = 0  # how many of the resumed updates differ (in any series)
    error: str | None = None  # why the resumed run could not be built or stepped
    values: dict[tuple[int, str], np.ndarray] = _field(default_factory=dict, repr=False)  # steps at..end

    @property
    def identical(self) -> bool:
        return self.status == "identical"

    def describe(self) -> str:
        if self.status == "identical":
            return "identical"
        if self.status == "failed":
            return f"cannot resume: {self.error}"
        return (f"differs from step {self.step} (group {self.group}, {self.field}): "
                f"{_num(self.expected)} expected, {_num(self.got)} resumed; "
                f"{self.differing} of {self.resumed} resumed updates differ, "
                f"largest relative difference {self.max_rel:.3g}")

    @property
    def resumed(self) -> int:
        return len(next(iter(self.values.values()))) if self.values else 0

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "at": self.at, "status": self.status, "step": self.step,
                "group": self.group, "field": self.field, "expected": _finite(self.expected),
                "got": _finite(self.got), "max_rel": _finite(self.max_rel), "differing": self.differing,
                "error": self.error}


@dataclass(frozen=True)
class ResumeReport:
    """Every method at every resume point for one schedule."""

    schedule: str
    scheduler: str
    reference: ScheduleTrace
    results: tuple[MethodResult, ...]

    @property
    def identical(self) -> bool:
        return all(r.identical for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {"schedule": self.schedule, "scheduler": self.scheduler, "steps": self.reference.steps,
                "identical": self.identical, "results": [r.to_json() for r in self.results]}


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.6g}"


def _finite(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


def _accepts(cls: type, name: str) -> bool:
    try:
        return name in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False


def _resumed_offset(node: SchedulerNode) -> int:
    """``last_epoch`` the spec itself gives (a schedule that is already resumed), else -1."""
    value = node.options.get("last_epoch", -1)
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _rebuild(schedule: ResolvedSchedule, method: str, at: int, saved_opt: dict,
             *, allow_import: Allowance, steps: int | None = None) -> tuple[Any, list[Any]]:
    """(optimizer, schedulers) resumed after update ``at``, as a user would."""
    from .engine.build import build_scheduler
    from .families import resolve_class
    from .imports import resolve_import
    from .spec import is_import_path
    from .engine.optimizer import build_optimizer
    from .engine.run import _placeholders

    fill = _placeholders(schedule, steps) if steps is not None else None

    spec = schedule.spec
    optimizer = build_optimizer(schedule)
    if method == "last_epoch":
        optimizer.load_state_dict(copy.deepcopy(saved_opt))
        schedulers = []
        for node in schedule.schedulers:
            cls = resolve_import(spec, node, allow_import=allow_import) if is_import_path(node.type) \
                else resolve_class(spec, node)
            if not _accepts(cls, "last_epoch"):
                raise LrplotError(f"{node.type} takes no last_epoch, so it cannot be rebuilt this way")
            calls = at // schedule.period(node)
            rebuilt = node.model_copy(update={"last_epoch": _resumed_offset(node) + calls})
            schedulers.append(build_scheduler(spec, rebuilt, optimizer, allow_import=allow_import,
                                              placeholders=fill))
        return optimizer, schedulers
    schedulers = [build_scheduler(spec, node, optimizer, allow_import=allow_import, placeholders=fill)
                  for node in schedule.schedulers]
    if method == "full":
        optimizer.load_state_dict(copy.deepcopy(saved_opt))
    return optimizer, schedulers  # the schedulers' states are loaded into the run (Run.load_state_dicts)


def _first_error_line(exc: BaseException) -> str:
    if isinstance(exc, LrplotError):
        return exc.message
    text = first_line(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _compare(reference: ScheduleTrace, got: dict[tuple[int, str], np.ndarray], method: str, at: int,
             first_step: int = 0) -> MethodResult:
    """``at``: index into the recorded values; ``first_step``: the trainer's number of index 0."""
    first: tuple[int, int, str] | None = None
    max_rel = 0.0
    any_diff = np.zeros(reference.steps - at, dtype=bool)
    for (g, f), ref_all in reference.values.items():
        ref = ref_all[at:]
        new = got[(g, f)]
        same = (ref == new) | (np.isnan(ref) & np.isnan(new))
        if same.all():
            continue
        any_diff |= ~same
        i = int(np.flatnonzero(~same)[0])
        if first is None or at + i < first[0]:
            first = (at + i, g, f)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(new - ref) / np.abs(ref)
        rel = np.where(ref == 0, np.where(new == 0, 0.0, np.inf), rel)
        rel = rel[~same]
        max_rel = max(max_rel, float(np.nanmax(rel)) if not np.isnan(rel).all() else math.inf)
    if first is None:
        return MethodResult(method, at + first_step, "identical", values=got)
    step, g, f = first
    return MethodResult(method, at + first_step, "differs", step=step + first_step, group=reference.groups[g],
                        field=f,
                        expected=float(reference.values[(g, f)][step]), got=float(got[(g, f)][step - at]),
                        max_rel=max_rel, differing=int(any_diff.sum()), values=got)


def resume_methods(names: Iterable[str] | None) -> list[str]:
    """The methods asked for (default: all), each checked, with a did-you-mean for a typo."""
    from .text import did_you_mean

    methods = list(dict.fromkeys(names or METHODS))
    for m in methods:
        if m not in METHODS:
            raise UsageError(f"--method {m}: unknown method",
                             hint=did_you_mean(m, METHODS) or f"use one of {', '.join(METHODS)}")
    return methods


def check_resume(schedule: ResolvedSchedule, at: Iterable[int], methods: Iterable[str] = METHODS,
                 *, allow_import: AllowImport = None) -> ResumeReport:
    """Resume ``schedule`` at each update in ``at`` (the trainer's numbers: updates before it are
    done and saved) with each method and compare."""
    from .engine import Run, start_run
    from .facts import first_update

    allowance = allowed_imports(allow_import)
    reference_run = start_run(schedule, allow_import=allowance)
    steps = reference_run.steps
    reference = reference_run.curves(reference_run.advance(0, steps))
    first = first_update(schedule)
    points = list(dict.fromkeys(at))
    for k in points:
        if not first < k < first + steps:
            raise UsageError(f"--at {k}: schedule '{schedule.name}' has {steps} updates"
                             + (f", numbered {first} to {first + steps - 1} (it is resumed by its last_epoch)"
                                if first else ""),
                             hint=f"resume after an update between {first + 1} and {first + steps - 1}")
    results = []
    for k in (p - first for p in points):
        run = start_run(schedule, allow_import=allowance)
        run.advance(0, k)
        saved_opt = copy.deepcopy(run.optimizer.state_dict())
        saved_scheds = [copy.deepcopy(s) for s in run.state_dicts()]
        saved_trainer = copy.deepcopy(run.trainer_state_dict())
        for method in methods:
            try:
                optimizer, schedulers = _rebuild(schedule, method, k, saved_opt,
                                                 allow_import=allowance, steps=run.steps)
                resumed = Run(schedule, optimizer, schedulers, steps, start=k)
                if method != "last_epoch":  # a checkpoint's scheduler state (Composer: and its timestamp)
                    resumed.load_state_dicts(saved_scheds, saved_trainer,
                                             optimizer=saved_opt if method == "full" else None)
                values = resumed.values(resumed.advance(k, steps))
            except Exception as exc:  # noqa: BLE001 - any failure of the resumed run is the finding
                results.append(MethodResult(method, first + k, "failed", error=_first_error_line(exc)))
                continue
            results.append(_compare(reference, values, method, k, first))
    return ResumeReport(schedule.name, schedule.scheduler_label, reference, tuple(results))


def resume_curves(reports: Iterable[ResumeReport]) -> Curves:
    """The uninterrupted runs and every resumed continuation that is not identical, for a figure;
    a resumed line is NaN before its resume point and its first differing step is marked."""
    out: list[ScheduleTrace] = []
    for report in reports:
        ref = report.reference
        first = ref.first_update  # the results' steps are the trainer's; the lines are recorded from here
        out.append(ref)
        for r in report.results:
            if r.status != "differs":
                continue
            values = {key: np.concatenate([np.full(r.at - first, np.nan), v]) for key, v in r.values.items()}
            name = f"{ref.name} resumed at {r.at} ({r.method})"
            out.append(ScheduleTrace(
                name=name, scheduler=ref.scheduler, steps=ref.steps, interval=ref.interval,
                steps_per_epoch=ref.steps_per_epoch, groups=ref.groups, fields=ref.fields, values=values,
                source=ref.source, events=(Event(r.step - first, f"{r.method} differs", "phase"),),
                meta={k: v for k, v in ref.meta.items() if k == "first_update"}))
    return Curves(tuple(out), "Resumed vs uninterrupted")
