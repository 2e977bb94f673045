"""Spec -> Curves: build a fresh optimizer and the real scheduler per schedule, and step it.

The modules: :mod:`.optimizer` (the throwaway optimizer), :mod:`.build` (scheduler objects from the
spec), :mod:`.protocols` (how each library's trainer steps its schedulers), :mod:`.fields` and
:mod:`.metric` (what is recorded and what ReduceLROnPlateau is fed), :mod:`.loop` (the hot loop),
:mod:`.memory` (the memory guard), :mod:`.run` (one schedule's Run). This package never imports
matplotlib.
"""

from __future__ import annotations

from typing import Iterable

from ..curves import Curves, ScheduleTrace
from ..imports import Allowance, AllowImport, allowed_imports, check_all_allowed
from ..spec import Spec
from .loop import Progress
from .run import Run, run_schedule, start_run

__all__ = ["Run", "combine", "run_schedule", "simulate", "simulate_spec", "start_run"]


def simulate(specs: Spec | Iterable[Spec], *, allow_import: AllowImport = None) -> Curves:
    """Simulate every schedule of one or several specs. Schedule names that collide across
    files are labelled ``file stem / name``.

    ``allow_import``: the packages (by name) and local files (by path) that import-path scheduler
    types may import besides the trusted scheduler modules, added to those of
    ``$LRPLOT_ALLOW_IMPORT`` (see :mod:`lrplot.imports`). Every schedule is checked before any is run."""
    spec_list = [specs] if isinstance(specs, Spec) else list(specs)
    allowance = allowed_imports(allow_import)
    check_all_allowed(spec_list, allow_import=allowance)
    return combine(spec_list, [simulate_spec(spec, allow_import=allowance) for spec in spec_list])


def simulate_spec(spec: Spec, progress: Progress | None = None, *,
                  allow_import: Allowance = Allowance()) -> list[ScheduleTrace]:
    """The curves of every schedule of one spec, in spec order."""
    return [run_schedule(schedule, progress, allow_import=allow_import) for schedule in spec.schedule_list()]


def combine(spec_list: list[Spec], per_spec: list[list[ScheduleTrace]]) -> Curves:
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


def _renamed(curves: ScheduleTrace, name: str) -> ScheduleTrace:
    from dataclasses import replace

    return replace(curves, name=name)

