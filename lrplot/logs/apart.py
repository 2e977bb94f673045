"""Curves of one log whose runs are read by different conventions: a W&B folder whose runs step on
different keys, an MLflow store mixing a Trainer's runs with a plain loop's. Each part is built by
:func:`lrplot.logs.build_curves` with its own reading, and its traces are named as ``build_curves``
names a run among several (the run, then its series where it has more than one), in the runs' order."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable

from . import LogError, Raw, build_curves


def built_apart(parts: Iterable[tuple[list[Raw], dict[str, Any]]], fmt: str, path: Path, *, key: str | None,
                found: Iterable[str], order: list[str]) -> Any:
    """The Curves of every part (its raws, and ``build_curves``' keyword arguments for them), the traces in
    the order of their runs in ``order`` (the log's). A part with no lr series is left out while another has
    one; with none in any, the last part's error is raised."""
    from ..curves import Curves

    parts = [(raws, how) for raws, how in parts if raws] or [([], {})]  # no series at all: build_curves says so
    if len(parts) == 1:
        ((raws, how),) = parts
        return build_curves(raws, fmt, path, "float64", key=key, found=found, **how)
    traces, failed = [], None
    for raws, how in parts:
        try:
            built = build_curves(raws, fmt, path, "float64", key=key, found=found, **how)
        except LogError as exc:  # no lr series in these runs: the others' are read
            failed = exc
            continue
        runs = list(dict.fromkeys(r.run for r in raws))
        for trace in built.schedules:
            if len(runs) == 1 and runs[0]:  # build_curves named only the series: name the run first
                trace = replace(trace, name=runs[0] if len(built.schedules) == 1 else f"{runs[0]} · {trace.name}")
            traces.append((order.index(next(r for r in runs if trace.name.startswith(r))), trace))
    if not traces and failed is not None:
        raise failed
    return Curves(tuple(t for _, t in sorted(traces, key=lambda p: p[0])), title=None)
