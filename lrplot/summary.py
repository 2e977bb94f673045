"""Numbers a reader wants next to a figure: initial, peak, final, min and jumps per line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .curves import Curves, ScheduleTrace
from .facts import JUMP_THRESHOLD, STEP_CHANGE, STEP_SHARPNESS


@dataclass(frozen=True)
class SummaryRow:
    schedule: str
    group: str
    field: str
    initial: float
    peak: float
    peak_step: int
    final: float
    min: float
    min_step: int
    jumps: tuple[int, ...]

    def jumps_text(self, limit: int = 6) -> str:
        return steps_text(list(self.jumps), limit) if self.jumps else "-"


def steps_text(steps: list[int], limit: int = 5) -> str:
    """``3, 7, 9 (+12 more)``: a list of steps cut to ``limit``."""
    shown = ", ".join(str(s) for s in steps[:limit])
    return shown + (f" (+{len(steps) - limit} more)" if len(steps) > limit else "")


def scheduler_period(sc: ScheduleTrace) -> int:
    """Updates per epoch of a recorded trace (``steps_per_epoch``), or 1 for logged points or a
    run without epochs: where :func:`jump_steps` looks for an epoch staircase."""
    return sc.steps_per_epoch if sc.at is None and sc.steps_per_epoch and sc.steps_per_epoch > 1 else 1


def jump_steps(values: np.ndarray, threshold: float = STEP_CHANGE, period: int = 1) -> np.ndarray:
    """:func:`abrupt_steps` of ``values``; a curve that changes only at multiples of ``period``
    updates (an epoch staircase: stepped per epoch, or timm's ``t_in_epochs``) is taken one value per
    stair, so each stair of a per-epoch cosine is a step of its slope, not a jump, while a per-epoch
    MultiStepLR's milestones still are."""
    if period > 1:
        with np.errstate(invalid="ignore"):
            moved = np.flatnonzero(np.diff(values) != 0) + 1
        if not (moved % period).any():
            return abrupt_steps(values[::period], threshold) * period
    return abrupt_steps(values, threshold)


def abrupt_steps(values: np.ndarray, threshold: float = STEP_CHANGE) -> np.ndarray:
    """Steps t where the value changed abruptly: by more than ``threshold`` of the value itself
    (``|v[t] - v[t-1]| > threshold * max(|v[t-1]|, |v[t]|)``) and by more than
    :data:`~lrplot.facts.STEP_SHARPNESS` times the change of the update before and of the update
    after it (a discontinuity, not the steady slope of a steep warmup, cosine or triangle). Each x0.5
    drop of a StepLR counts alike, early or late. Changes by more than ``threshold`` back to back in
    one direction (MultiStepLR milestones [30, 31], a StepLR stepping every update for a few) are
    one cliff: each of them is compared with the updates either side of the whole run, and each
    counts (a run that fills the whole curve, with no update either side, is its slope). A cliff
    followed at once by one the other way (drops, then the rise of a warm restart: a dip; a spike)
    is compared with the updates either side of both; more turns back to back are a zigzag, each
    run compared with its neighbours, as big: the schedule's shape (CyclicLR stepping every update). A rise
    counts only where the curve was going down before it (a restart): a rise after rises or from
    the start (a warmup's staircase, the end of a ConstantLR warmup) is the schedule's shape. The
    figure's jump marks and the summary's "jumps at" use this one definition; ``lrplot check``
    uses :func:`peak_jumps`."""
    if len(values) < 2:
        return np.zeros(0, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        signed = np.diff(values)
        d = np.abs(signed)  # d[t - 1]: the change at step t
        scale = np.maximum(np.abs(values[:-1]), np.abs(values[1:]))
        big = np.flatnonzero(np.isfinite(d) & (d > threshold * scale))
        if not len(big):
            return np.zeros(0, dtype=np.int64)
        # runs of big changes back to back in one direction; each run against the updates either side
        # of it, or, where one run follows another the other way (drops, then at once the rise of a
        # warm restart: a dip, or a spike), against the updates either side of the two together
        consecutive = np.r_[False, np.diff(big) == 1]
        starts = ~consecutive | np.r_[False, np.sign(signed[big[1:]]) != np.sign(signed[big[:-1]])]
        run = np.cumsum(starts) - 1
        cluster = np.cumsum(~consecutive) - 1
        runs_in = np.bincount(cluster[starts])  # runs per cluster of big changes back to back
        pair = runs_in[cluster] == 2
        first = np.where(pair, big[~consecutive][cluster], big[starts][run])
        last = np.where(pair, big[np.r_[~consecutive[1:], True]][cluster], big[np.r_[starts[1:], True]][run])
        calm = np.where(np.isfinite(d), d, 0.0)  # a NaN neighbour says nothing about the slope
        before = np.where(first > 0, calm[np.maximum(first - 1, 0)], 0.0)
        after = np.where(last < len(d) - 1, calm[np.minimum(last + 1, len(d) - 1)], 0.0)
        alone = (first > 0) | (last < len(d) - 1) | (first == last)  # with an update beside it
        sharp = (d[big] > STEP_SHARPNESS * np.maximum(before, after)) & alone
        idx = big[sharp] + 1
    moved = np.flatnonzero(np.isfinite(signed) & (signed != 0))
    before = np.searchsorted(moved, idx - 1) - 1  # the last change before each jump, if any
    fell = (before >= 0) & (signed[moved[np.maximum(before, 0)]] < 0) if len(moved) else np.zeros(len(idx), bool)
    return idx[(signed[idx - 1] < 0) | fell]


def peak_jumps(values: np.ndarray, threshold: float = JUMP_THRESHOLD) -> np.ndarray:
    """Steps t where the value moved from t-1 by more than ``threshold`` times the curve's peak
    magnitude: a change big enough to matter to training wherever it happens (``lrplot check``'s
    ``jump`` rule; a small step late in a run is harmless there)."""
    finite = np.abs(values[np.isfinite(values)])
    if len(values) < 2 or not len(finite) or finite.max() <= 0:
        return np.zeros(0, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        d = np.diff(values)
        return np.flatnonzero(np.isfinite(d) & (np.abs(d) > threshold * finite.max())) + 1


def summarize(curves: Curves, threshold: float = STEP_CHANGE) -> list[SummaryRow]:
    rows = []
    for s, sc in ((s, sc) for sc in curves.schedules for s in sc.series()):
        v = s.values
        if not len(v):
            continue
        finite = np.isfinite(v)
        if finite.any():
            peak_step = int(np.nanargmax(np.where(finite, v, np.nan)))
            min_step = int(np.nanargmin(np.where(finite, v, np.nan)))
        else:
            peak_step = min_step = 0
        steps = s.positions()  # the trainer's step numbers, as the figure's x axis (a resumed run, a log)
        jumps = jump_steps(v, threshold, scheduler_period(sc))
        rows.append(SummaryRow(s.schedule, s.group_name, s.field, float(v[0]), float(v[peak_step]),
                               int(steps[peak_step]), float(v[-1]), float(v[min_step]), int(steps[min_step]),
                               tuple(int(j) for j in steps[jumps])))
    return rows
