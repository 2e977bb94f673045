"""A zoomed inset of a phase too short to see: a 500-update warmup in an 88,716-update run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..curves import ScheduleTrace, Series
from .series import x_of

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

INSET_FRACTION = 0.02  # a phase shorter than this fraction of its run gets an inset
# where an inset may go, in axes fractions (x0, y0, width, height), tried in this order
_PLACES = tuple((x, y, 0.3, 0.36) for y in (0.34, 0.1, 0.56) for x in (0.36, 0.64, 0.08))


def short_phase_end(series: Sequence[Series], schedules: dict[str, ScheduleTrace]) -> dict[str, int]:
    """For each schedule of ``series`` with a short first phase, the step it ends at: a phase
    event (the end of a warmup, a SequentialLR hand-off) or the climb to the lr's peak (a warmup
    the spec declares some other way, e.g. MMEngine's ``end: 500``), under INSET_FRACTION of
    the run."""
    ends: dict[str, int] = {}
    for s in series:
        sc = schedules[s.schedule]
        if sc.style != "line" or s.field != "lr" or sc.steps < 2:
            continue
        limit = INSET_FRACTION * sc.steps
        found = [e.step for e in sc.events if e.kind == "phase" and 0 < e.step < limit]
        values = s.values
        if np.isfinite(values).any():
            top = np.nanmax(values)
            peak = int(np.flatnonzero(values >= top)[0])
            if 0 < peak < limit and values[0] < top:
                found.append(peak)
        if found:
            ends[s.schedule] = max(ends.get(s.schedule, 0), max(found))
    return ends


def draw_inset(axis: Axes, series: Sequence[Series], schedules: dict[str, ScheduleTrace], unit: str,
               notes: list[str] | None = None) -> Any:
    """An inset of ``axis`` showing the short first phase of ``series`` (None when none is short):
    the same lines, from step 0 to a little past the phase's end, placed where no curve runs. Where
    every place would hide a curve, no inset: a line for the footnote (added to ``notes``) says how
    to see the phase instead."""
    ends = short_phase_end(series, schedules)
    if not ends:
        return None
    last = max(ends.values())
    shown = _round_up(last * 1.4) + 1  # steps 0 .. shown-1: the phase and what follows it
    start_x, end_x = x_of(np.array([0, shown - 1]), next(iter(schedules[n] for n in ends)), unit).tolist()
    place = _free_place(axis)
    if place is None:  # an inset over the curves would hide what the figure is for
        if notes is not None:
            notes.append(f"the first {shown - 1:,} steps (a short phase) are too narrow to see here, and an inset would "
                         f"hide a curve: --xlim {start_x:g},{end_x:g} shows them")
        return None
    inset = axis.inset_axes(place)
    inset.set_gid("inset")
    lines = [ln for ln in axis.get_lines() if (ln.get_gid() or "").startswith("series:")]
    tops = []
    for s in series:
        gid = f"series:{s.schedule}:{s.group}:{s.field}"
        line = next((ln for ln in lines if ln.get_gid() == gid), None)
        if line is None or s.schedule not in schedules or schedules[s.schedule].style != "line":
            continue  # drawn as part of an equal curve, or not a line
        sc = schedules[s.schedule]
        steps = np.arange(min(shown, len(s.values)))
        values = s.values[: len(steps)]
        (drawn,) = inset.plot(x_of(steps, sc, unit), values, color=line.get_color(),
                              linestyle=line.get_linestyle(), linewidth=line.get_linewidth() * 0.8,
                              drawstyle=line.get_drawstyle())
        drawn.set_gid(f"inset-{gid}")
        if np.isfinite(values).any():
            tops.append(float(np.nanmax(values)))
    inset.set_xlim(start_x - (end_x - start_x) * 0.03, end_x + (end_x - start_x) * 0.03)
    if tops and max(tops) > 0:
        inset.set_ylim(0, max(tops) * 1.1)
    inset.tick_params(labelsize="xx-small")
    from .ticks import number_ticks

    number_ticks(inset, False, steps=unit == "step")
    inset.set_title(f"the first {shown - 1:,} steps", fontsize="x-small", fontweight="normal", pad=2)
    inset.set_axisbelow(True)
    return inset


def _round_up(value: float) -> int:
    """The next round number (1, 1.5, 2, 3, 5 or 7.5 times a power of ten) at or above ``value``."""
    power = 10 ** max(int(np.floor(np.log10(max(value, 1.0)))), 0)
    return int(np.ceil(next(m * power for m in (1, 1.5, 2, 3, 5, 7.5, 10) if m * power >= value)))  # 1.5 -> 2


def _free_place(axis: Axes) -> tuple[float, float, float, float] | None:
    """The first place of _PLACES that no drawn curve crosses, nor the legend (None when none is free)."""
    from matplotlib.transforms import Bbox

    from .labels import line_paths

    paths = line_paths(axis)
    legend = axis.get_legend()
    taken = legend.get_window_extent(axis.figure.canvas.get_renderer()) if legend is not None else None
    for x0, y0, w, h in _PLACES:
        pad = 0.03
        box = Bbox.from_extents(x0 - pad, y0 - pad, x0 + w + pad, y0 + h + 0.08)  # + the inset's title
        shown = box.transformed(axis.transAxes)
        if taken is not None and shown.overlaps(taken):
            continue
        if not any(p.intersects_bbox(shown, filled=False) or shown.contains(*p.vertices[0]) for p in paths):
            return (x0, y0, w, h)
    return None
