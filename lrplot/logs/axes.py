"""Logs whose step counts samples or epochs, moved to updates (lrplot's step).

DeepSpeed's monitor (``Train/Samples/lr``) and Megatron's ``learning-rate vs samples`` log at the
number of samples seen after the update; Keras's ``epoch_learning_rate`` at the epoch. Their readers
keep the log's own steps (:func:`lrplot.logs.build_curves`); here they become updates: samples
divided by the samples per update (the global batch: ``--global-batch``, else the log's own spacing
when it logs every update, said in the verdict's note), epochs times the plan's updates per epoch.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..curves import ScheduleTrace
from ..errors import Location
from . import LogError, LogInfo, log_info


def samples_per_update(trace: ScheduleTrace) -> int | None:
    """The global batch a samples-counted log shows by itself, or None. Only DeepSpeed's monitor logs
    every update (runtime/engine.py:3480, at every accumulation boundary), so its steps are B, 2B,
    3B, ...: B is the spacing. Other writers log every N updates, where the spacing is N x B: asked."""
    info = log_info(trace)
    if not info.writer.startswith("DeepSpeed"):
        return None
    at = next(iter(trace.at.values()))
    if len(at) < 2 or int(at[0]) < 1:
        return None
    b = int(at[0])
    return b if np.array_equal(at, b * np.arange(1, len(at) + 1, dtype=np.int64)) else None


def as_samples(trace: ScheduleTrace) -> ScheduleTrace | None:
    """A trace whose writer records no unit for its step (a plain loop's tag, read as the update count) read
    as counted in samples seen (:data:`~lrplot.logs.conventions.SAMPLES_READING`: before the update, or after
    it, the second reading verify tries), for :func:`to_updates`; None for a writer whose step counts updates."""
    from .conventions import SAMPLES_READING

    info = log_info(trace)
    readings = SAMPLES_READING.get(info.writer) if info.axis == "updates" else None
    if readings is None:
        return None
    before, after = readings
    at = {key: steps + info.step_offset for key, steps in trace.at.items()}  # the log's own steps again
    moved = replace(info, axis=before.axis, per=0, step_offset=before.offset, writer=before.writer,
                    other=(after.writer, after.offset), more=(), after=False)
    return replace(trace, at=at, meta={**trace.meta, "log": moved})


def not_samples(trace: ScheduleTrace, per: int) -> int | None:
    """The first of the log's own steps that no count of samples seen at ``per`` per update could be, or None."""
    info = log_info(trace)
    for steps in trace.at.values():
        bad = np.flatnonzero((steps + info.step_offset) % per)
        if len(bad):
            return int(steps[bad[0]]) + info.step_offset
    return None


def to_updates(trace: ScheduleTrace, per: int, how: str) -> ScheduleTrace:
    """``trace`` (its steps in samples or epochs) with its steps moved to updates: ``per`` samples per
    update, or updates per epoch. ``how`` says where ``per`` came from (kept in the writer text)."""
    info: LogInfo = log_info(trace)
    if info.axis == "updates" or info.per:
        return trace
    at: dict = {}
    values: dict = {}
    for key, steps in trace.at.items():
        if info.axis == "samples":
            if (steps % per).any():
                bad = int(steps[np.flatnonzero(steps % per)[0]])
                raise LogError(f"{info.keys.get(key, trace.name)}: step {bad} (samples seen) is not a multiple of "
                               f"{per} samples per update ({how})", location=Location(info.path),
                               hint="set --global-batch to the run's samples per update (micro-batch x "
                                    "accumulation x data-parallel processes)")
            moved = steps // per - info.step_offset
        else:
            moved = (steps - info.step_offset) * per
        at[key], values[key] = moved, trace.values[key]
    moved_info = replace(info, per=per, writer=f"{info.writer}; read with {how}")
    end = max(int(a[-1]) + 1 for a in at.values() if len(a)) if any(len(a) for a in at.values()) else 0
    return replace(trace, at=at, values=values, steps=max(end, 0), meta={**trace.meta, "log": moved_info})
