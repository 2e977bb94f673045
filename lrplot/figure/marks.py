"""Marks on the curves: peak and final values, jumps, milestones, and where a logged run left the plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..curves import ScheduleTrace, Series
from ..summary import jump_steps as jumps, scheduler_period
from .options import short
from .series import x_of
from .ticks import format_number

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .options import RenderOptions


def annotate(axis: Axes, s: Series, sc: ScheduleTrace, x: np.ndarray, color: Any, opts: RenderOptions,
             said: set[tuple[float, str]], numbers: bool = True) -> None:
    """Peak and final markers of ``s`` with their values (``numbers``), ▼ at its drops, ▲ at its
    rises (:func:`jump_directions`)."""
    values = s.values
    if not len(values) or not np.isfinite(values).any():
        return
    marks = []
    finite = np.flatnonzero(np.isfinite(values))  # an infinite value is no peak to mark (its line is not drawn there)
    if "peak" in opts.annotate:
        top = values[finite].max()  # the first step at the peak (float noise aside): a cosine's peak is at its start
        i = int(finite[values[finite] >= top - abs(top) * 1e-9][0])
        marks.append(("peak", i))
    if "final" in opts.annotate and np.isfinite(values[-1]):  # no final value to say when it is not a number
        marks.append(("final", len(values) - 1))
    shown: set[str] = set()
    for kind, i in marks:
        (m,) = axis.plot([x[i]], [values[i]], marker="o", markersize=3.5, color=color, linestyle="none",
                         label=f"_{kind}")
        m.set_gid(f"{kind}:{s.schedule}:{s.group}:{s.field}")
        if not numbers:  # crowded panel: markers only, the summary table has the numbers
            continue
        words = format_number(float(values[i]))
        if words in shown:  # a constant curve: its final value is its peak, say it once
            continue
        shown.add(words)
        # another line of this panel already says the same number at the same point (identical
        # param groups): one label says it for both
        if (float(x[i]), words) in said:
            continue
        said.add((float(x[i]), words))
        text = axis.annotate(words, (x[i], values[i]), xytext=(4, 4) if kind == "peak" else (-4, 4),
                             textcoords="offset points", fontsize="x-small", color=color,
                             ha="left" if kind == "peak" else "right", va="bottom")
        text.set_gid(f"{kind}-label:{s.schedule}:{s.group}:{s.field}")
        text.set_in_layout(False)  # kept inside the axes by place_labels
    if "jumps" in opts.annotate:
        drops, rises = jump_directions(values, opts.jump_threshold, scheduler_period(sc))
        for kind, idx, marker in (("drops", drops, "v"), ("rises", rises, "^")):
            if len(idx):
                (m,) = axis.plot(x[idx], values[idx], marker=marker, markersize=5, color=color, linestyle="none",
                                 alpha=0.8, label=f"_{kind}")
                m.set_gid(f"{kind}:{s.schedule}:{s.group}:{s.field}")


def jump_directions(values: np.ndarray, threshold: float, period: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The jumps of ``values`` (:func:`~lrplot.summary.jump_steps`, the one definition the summary's
    "jumps at" also uses) as drops and rises (restarts): every step the table lists gets its mark."""
    idx = jumps(values, threshold, period)
    up = values[idx] > values[idx - 1]
    return idx[~up], idx[up]


def events(axis: Axes, series: Sequence[Series], schedules: dict[str, ScheduleTrace],
           opts: RenderOptions) -> None:
    """A dashed vertical line and a label at each milestone of the schedules of ``series``."""
    if "milestones" not in opts.annotate:
        return
    import matplotlib

    color = matplotlib.rcParams["axes.edgecolor"]
    seen: set[float] = set()
    for name in dict.fromkeys(s.schedule for s in series):
        sc = schedules[name]
        for e in sc.events:
            x = float(x_of(np.array([e.step]), sc, opts.x)[0])
            if x in seen:
                continue
            seen.add(x)
            line = axis.axvline(x, color=color, alpha=0.35, linewidth=0.8, linestyle="--", zorder=0,
                                label="_event")
            line.set_gid(f"event:{name}:{e.step}:{e.label}")
            text = axis.annotate(short(e.label), (x, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -2),
                                 textcoords="offset points", rotation=90, va="top", ha="left",
                                 fontsize="x-small", alpha=0.6)
            text.set_gid(f"event-label:{name}:{e.step}")
            text.set_in_layout(False)  # kept inside the axes by place_labels


def spans(axis: Axes, series: Sequence[Series], schedules: dict[str, ScheduleTrace], opts: RenderOptions) -> None:
    """Shade the step ranges where a logged run left the plan (``ScheduleTrace.spans``)."""
    for name in dict.fromkeys(s.schedule for s in series):
        for first, last in merged_spans(schedules[name].spans, schedules[name].steps):
            a, b = x_of(np.array([first - 0.5, last + 0.5]), schedules[name], opts.x)
            patch = axis.axvspan(a, b, color="tab:red", alpha=0.15, linewidth=0, zorder=0, label="_diverges")
            patch.set_gid(f"diverges:{name}:{first}:{last}")


def merged_spans(spans: Sequence[tuple[int, int]], steps: int) -> list[tuple[int, int]]:
    """``spans`` with the gaps narrower than half a percent of the run closed: a logged step that
    agrees inside a diverging stretch would draw a white slit a pixel wide, read as a glitch (the
    verdict lines say which steps agree)."""
    out: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if out and first - out[-1][1] <= max(steps * 0.005, 1):
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out
