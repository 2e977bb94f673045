"""Spec -> Curves: build a fresh optimizer and the real scheduler per schedule, and step it.

The modules: :mod:`.optimizer` (the throwaway optimizer), :mod:`.build` (scheduler objects from the
spec), :mod:`.protocols` (how each library's trainer steps its schedulers), :mod:`.fields` and
:mod:`.metric` (what is recorded and what ReduceLROnPlateau is fed), :mod:`.loop` (the hot loop),
:mod:`.memory` (the memory guard), :mod:`.run` (one schedule's Run). This package never imports
matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from .. import cache as _cache
from ..curves import Curves, ScheduleTrace
from ..errors import warnings_named
from ..imports import Allowance, AllowImport, allowed_imports, check_all_allowed
from ..spec import Spec
from .loop import Progress
from .metric import read_metric_files

if TYPE_CHECKING:  # pragma: no cover
    from .run import Run, run_schedule, start_run

__all__ = ["Run", "combine", "run_schedule", "simulate", "simulate_spec", "start_run"]
_FROM_RUN = ("Run", "run_schedule", "start_run")


def __getattr__(name: str) -> Any:
    """``Run``, ``run_schedule`` and ``start_run`` come from :mod:`.run`, imported on first use:
    a run whose curves all come from the cache never builds a scheduler."""
    if name in _FROM_RUN:
        from . import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def simulate(specs: Spec | Iterable[Spec], *, allow_import: AllowImport = None, cache: bool = False,
             progress: Progress | None = None) -> Curves:
    """Simulate every schedule of one or several specs: the one entry point of the CLI, the
    library and the gallery. Schedule names that collide across files are labelled
    ``file stem / name``.

    ``allow_import``: the packages (by name) and local files (by path) that import-path scheduler
    types may import besides the trusted scheduler modules, added to those of
    ``$LRPLOT_ALLOW_IMPORT`` (see :mod:`lrplot.imports`); every schedule is checked before any is run.
    ``cache``: read each spec's curves from the disk cache (:mod:`lrplot.cache`) when an entry for
    exactly this spec, its input files and these versions exists, and store them otherwise (the
    CLI turns it on; ``--no-cache`` turns it off). ``progress(schedule name, updates done,
    total)`` is told how far long runs are."""
    one = isinstance(specs, (Spec, str, bytes, dict)) or not hasattr(specs, "__iter__")
    spec_list = [specs] if one else list(specs)
    for spec in spec_list:
        if not isinstance(spec, Spec):  # a path or YAML text: lrplot.plot reads those, simulate runs a Spec
            from ..errors import UsageError

            raise UsageError(f"simulate() takes a Spec (or a list of them), not a {type(spec).__name__}",
                             hint="read it first: lrplot.simulate(lrplot.load_spec(...))")
    allowance = check_inputs(spec_list, allow_import)
    per_spec = []
    for spec in spec_list:
        key = _cache_key(spec) if cache else None
        traces = _cache.load(key) if key is not None else None
        if traces is None:
            with warnings_named(spec.file):  # the framework's warnings, named by the file they are about
                traces = simulate_spec(spec, progress, allow_import=allowance)
            if key is not None:
                _cache.store(key, traces)
        per_spec.append(traces)
    return combine(spec_list, per_spec)


def check_inputs(spec_list: list[Spec], allow_import: AllowImport = None) -> Allowance:
    """Before anything runs or is read from the cache (and before torch is imported): refuse a
    scheduler naming code not allowed, then read every metric CSV (one that cannot be read fails at
    once, with the line the simulation would give). Returns the run's allowance."""
    allowance = allowed_imports(allow_import)
    check_all_allowed(spec_list, allow_import=allowance)
    read_metric_files(spec_list)
    return allowance


def _cache_key(spec: Spec) -> dict | None:
    try:
        return _cache.spec_key(spec)
    except (TypeError, ValueError):  # a value the key cannot hold: simulate, do not cache
        return None


def simulate_spec(spec: Spec, progress: Progress | None = None, *,
                  allow_import: Allowance = Allowance()) -> list[ScheduleTrace]:
    """The curves of every schedule of one spec, in spec order."""
    from .run import run_schedule

    return [run_schedule(schedule, progress, allow_import=allow_import) for schedule in spec.schedule_list()]


def combine(spec_list: list[Spec], per_spec: list[list[ScheduleTrace]]) -> Curves:
    """One Curves from the schedules of several specs. Names that collide get the file they come
    from: its stem, or, for files with the same name in different folders, the shortest path
    suffix that tells them apart (``a/cosine``, ``b/cosine``)."""
    names = [c.name for curves in per_spec for c in curves]
    files = source_labels(spec_list)
    results = []
    for spec, label, curves_list in zip(spec_list, files, per_spec):
        for curves in curves_list:
            if names.count(curves.name) > 1:
                curves = _renamed(curves, label if curves.name == spec.stem else f"{label} / {curves.name}")
            results.append(curves)
    taken = [c.name for c in results]
    for i, c in enumerate(results):  # the very same file twice: number them
        if taken.count(c.name) > 1:
            results[i] = _renamed(c, f"{c.name} ({taken[:i + 1].count(c.name)})")
    title = spec_list[0].title if len(spec_list) == 1 else None
    return Curves(tuple(results), title)


def source_labels(spec_list: list[Spec]) -> list[str]:
    """A short name per spec: its file stem, made unique by as many parent folders as needed."""
    stems = [spec.stem for spec in spec_list]
    out = list(stems)
    for stem in {s for s in stems if stems.count(s) > 1}:
        idx = [i for i, s in enumerate(stems) if s == stem]
        parts = [spec_list[i].file.resolve().with_suffix("").parts if spec_list[i].file else (stem,)
                 for i in idx]
        distinct = list(dict.fromkeys(parts))  # the very same file given twice is told apart by a number, not a path
        for k in range(1, max(len(p) for p in parts) + 1):
            if len({"/".join(p[-k:]) for p in distinct}) == len(distinct):
                break
        labels = ["/".join(p[-k:]) for p in parts]
        for i, label in zip(idx, labels):
            out[i] = label
    return out


def _renamed(curves: ScheduleTrace, name: str) -> ScheduleTrace:
    from dataclasses import replace

    return replace(curves, name=name)

