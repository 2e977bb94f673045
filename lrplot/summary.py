"""Numbers a reader wants next to a figure: initial, peak, final, min and jumps per line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .curves import Curves
from .facts import JUMP_THRESHOLD


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


def jump_steps(values: np.ndarray, threshold: float = JUMP_THRESHOLD) -> np.ndarray:
    """Steps t where the value moved from t-1 by more than ``threshold`` times the curve's peak
    magnitude: the discontinuities a reader should notice. The figure's jump marks, the summary
    table and ``lrplot check``'s jump rule all use this one definition."""
    finite = np.abs(values[np.isfinite(values)])
    if len(values) < 2 or not len(finite) or finite.max() <= 0:
        return np.zeros(0, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        d = np.diff(values)
        return np.flatnonzero(np.isfinite(d) & (np.abs(d) > threshold * finite.max())) + 1


def summarize(curves: Curves, threshold: float = JUMP_THRESHOLD) -> list[SummaryRow]:
    rows = []
    for s in curves.series():
        v = s.values
        if not len(v):
            continue
        finite = np.isfinite(v)
        if finite.any():
            peak_step = int(np.nanargmax(np.where(finite, v, np.nan)))
            min_step = int(np.nanargmin(np.where(finite, v, np.nan)))
        else:
            peak_step = min_step = 0
        rows.append(SummaryRow(s.schedule, s.group_name, s.field, float(v[0]), float(v[peak_step]), peak_step,
                               float(v[-1]), float(v[min_step]), min_step,
                               tuple(int(j) for j in jump_steps(v, threshold))))
    return rows
