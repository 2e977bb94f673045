"""Drawing one series: its x positions, name, and line, staircase, markers or per-pixel min/max envelope; and
what a figure cannot draw of the curves (:func:`check_curves`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from ..curves import Curves, ScheduleTrace, Series
from ..errors import LrplotError, UsageError
from ..limits import MAX_DRAWABLE
from .options import short

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .options import RenderOptions

FIELD_LABELS = {"lr": "learning rate", "momentum": "momentum", "weight_decay": "weight decay"}
LINESTYLES = ("-", "--", ":", "-.")
# Curves with more than this many points per pixel column are drawn as a min/max band.
_DENSE = 2


def column_envelope(x: np.ndarray, y: np.ndarray, x0: float, x1: float,
                    columns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min and max of ``y`` in each of ``columns`` equal slices of [x0, x1] (``x`` increasing).

    Returns (x of each non-empty column, min, max). Every peak and trough survives: the band
    between min and max covers exactly the pixels the full line would cover in that column.
    Columns where every value is NaN give NaN (a gap, as the line would have)."""
    bucket = np.clip(np.floor((x - x0) / (x1 - x0) * columns), 0, columns - 1).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(x)] - 1
    nan = np.isnan(y)
    lo = np.minimum.reduceat(np.where(nan, np.inf, y), starts)
    hi = np.maximum.reduceat(np.where(nan, -np.inf, y), starts)
    empty = ~np.isfinite(lo) & ~np.isfinite(hi) & (lo > hi)
    lo[empty] = np.nan
    hi[empty] = np.nan
    return (x[starts] + x[ends]) / 2.0, lo, hi


def x_values(sc: ScheduleTrace, unit: str) -> np.ndarray:
    """The x of every step of ``sc`` in ``unit`` (step or epoch); for logged points (drawn at their
    own steps), only the extent: a log's last step may be far (1e15) and is not an array's length, and a
    first point may come before update 0 (ignite's lr logged before the scheduler's first call, at -1)."""
    if sc.at is None:
        return x_of(np.arange(sc.steps, dtype=np.float64), sc, unit)
    first = min((int(a[0]) for a in sc.at.values() if len(a)), default=0)
    return x_of(np.array([float(min(first, 0)), max(sc.steps - 1, 0)]), sc, unit)


def x_padded(x_min: float, x_max: float, unit: str = "step") -> tuple[float, float]:
    """The x range a chart of curves from ``x_min`` to ``x_max`` shows, the figure's and the page's alike: 2% of
    the span either side (at least half a step), so the first and last points stand inside the axes, not on
    their edges (where half a marker is cut off, and a page's cursor can hardly reach the last steps)."""
    if x_max <= x_min:
        return x_min - 0.5, x_min + 0.5
    margin = max((x_max - x_min) * 0.02, 0.5 if unit == "step" else 0.0)
    return x_min - margin, x_max + margin


def x_of(steps: np.ndarray, sc: ScheduleTrace, unit: str) -> np.ndarray:
    """``steps`` of ``sc`` (counted from its first recorded update) as x in ``unit``."""
    x = steps.astype(np.float64) + sc.first_update
    return x / sc.steps_per_epoch if unit == "epoch" and sc.steps_per_epoch else x


def field_label(sc: ScheduleTrace, fld: str) -> str:
    """What a field is called on the figure: ``momentum`` read from Adam's ``betas[0]`` is beta1."""
    return sc.meta.get("field_labels", {}).get(fld, fld)


def series_label(s: Series, show_schedule: bool, show_group: bool, show_field: bool) -> str:
    """The legend name of ``s``: the parts that tell it apart from the others."""
    parts = []
    if show_schedule:
        parts.append(s.schedule)
    if show_group:
        parts.append(s.group_name)
    if show_field:
        parts.append(s.field)
    return short(" · ".join(parts) if parts else s.schedule)


def axis_label(field: str, traces: Iterable[ScheduleTrace]) -> str:
    """What a y axis of ``field`` is called in a page or a terminal chart, as a figure's: ``learning rate``,
    ``beta1`` (Adam's ``betas[0]``), ``weight decay``; the names of several traces that call it differently,
    joined."""
    names = list(dict.fromkeys(field_label(sc, field) for sc in traces)) or [field]
    return ", ".join(FIELD_LABELS.get(n, n) for n in names)


def shown_label(label: str, s: Series, curves: Curves, fields: bool) -> str:
    """The legend name of ``s`` (:func:`series_label`) as every view shows it: its field as the figure
    calls it where ``fields`` are told apart (Adam's ``betas[0]`` is beta1), and a training log's values
    beside the plan said to be logged, not ``lr``."""
    sc = curves[s.schedule]
    if fields:
        label = label.replace(s.field, field_label(sc, s.field)) if label.endswith(s.field) else label
    if sc.style == "points" and any(t.style != "points" for t in curves.schedules):
        logs = sum(t.style == "points" for t in curves.schedules)
        label = "logged" if logs == 1 and label in (s.field, s.schedule) else short(f"logged {label}")
    return label


def logged_name(sc: ScheduleTrace, curves: Curves) -> str:
    """What the legend calls a training log's points drawn over a plan (:func:`shown_label`): ``logged``
    beside one log, ``logged NAME`` beside several; the words under a figure name it so too."""
    logs = [t for t in curves.schedules if t.style == "points"]
    if sc.style != "points" or len(logs) == len(curves.schedules):
        return short(sc.name)
    return "logged" if len(logs) == 1 else short(f"logged {sc.name}")


def same_curves(series: list[Series], schedules: dict[str, ScheduleTrace], unit: str) -> list[list[Series]]:
    """``series`` in groups of curves equal at every step (drawn at the same x, in the same style):
    each group is drawn once. Hugging Face's ``decay``/``no_decay`` groups, two resume methods that
    go wrong the same way: one line named after all of them instead of one hiding the others."""
    out: list[list[Series]] = []
    for s in series:
        sc = schedules[s.schedule]
        for group in out:
            first = group[0]
            fsc = schedules[first.schedule]
            if (first.field == s.field and fsc.style == sc.style and len(first.values) == len(s.values)
                    and (sc.steps_per_epoch == fsc.steps_per_epoch or unit == "step")
                    and (first.at is None) == (s.at is None)
                    and (s.at is None or np.array_equal(first.at, s.at))
                    and np.array_equal(first.values, s.values, equal_nan=True)):
                group.append(s)
                break
        else:
            out.append([s])
    return out


def draw_series(axis: Axes, s: Series, sc: ScheduleTrace, x: np.ndarray, x_range: tuple[float, float],
                columns: int, color: Any, linestyle: str, label: str) -> None:
    """Draw ``s`` at ``x`` into ``axis``, ``columns`` pixel columns wide over ``x_range``: a logged
    run's values as markers, a step-per-epoch schedule as a staircase, more points than pixels as
    the envelope of each pixel column."""
    gid = f"{s.schedule}:{s.group}:{s.field}"
    if sc.style == "points" and len(x) <= _DENSE * columns:  # a logged run: its values as markers
        (line,) = axis.plot(x, s.values, color=color, linestyle="none", marker="o", markersize=2.5,
                            label=label)
        line.set_gid(f"points:{gid}")
        return
    seen = (x >= x_range[0]) & (x <= x_range[1])  # all of it, unless --xlim zooms in
    if int(seen.sum()) > _DENSE * columns:
        # More points than pixels: draw what the pixels can show, a min/max band per
        # pixel column with its two edges, instead of a zig-zag of full-height segments.
        xc, lo, hi = column_envelope(x[seen], s.values[seen], x_range[0], x_range[1], columns)
        band = axis.fill_between(xc, lo, hi, color=color, linewidth=0, alpha=1.0)
        band.set_gid(f"band:{gid}")
        (line,) = axis.plot(np.r_[xc, np.nan, xc], np.r_[hi, np.nan, lo], color=color,
                            linestyle=linestyle, label=label)
    else:
        (line,) = axis.plot(x, s.values, color=color, linestyle=linestyle, label=label,
                            drawstyle="steps-post" if sc.interval == "epoch" else "default")
    line.set_gid(f"series:{gid}")


def check_curves(curves: Curves, opts: "RenderOptions") -> None:
    """Refuse what these options cannot draw of these curves: epochs without steps_per_epoch, and
    values beyond MAX_DRAWABLE."""
    if opts.x == "epoch" and not all(s.steps_per_epoch for s in curves.schedules):
        lacking = [s.name for s in curves.schedules if not s.steps_per_epoch]
        named = f" ('{short(lacking[0])}' has none)" if len(lacking) == 1 and len(curves.schedules) > 1 else ""
        raise UsageError(f"--x epoch needs steps_per_epoch in the spec{named}",
                         hint="add 'steps_per_epoch: N' (optimizer updates per epoch), or leave --x epoch out")
    if opts.xlim is not None:
        _check_xlim(curves, opts)
    for trace in curves.schedules:
        for s in trace.series():
            values = np.abs(np.asarray(s.values, dtype=float))
            big = np.flatnonzero(np.isfinite(values) & (values > MAX_DRAWABLE))
            if big.size:
                step = int(s.positions()[big[0]])  # the trainer's step (a resumed run, a log), as the x axis
                logged = trace.style == "points"  # a log's value (MLflow keeps a logged inf as the largest float)
                raise LrplotError(f"cannot draw {'the logged ' if logged else ''}'{s.schedule}' {s.field} of group "
                                  f"{s.group_name}: it is {float(s.values[big[0]]):.4g} at step {step}, beyond the "
                                  f"{MAX_DRAWABLE:g} a figure can show",
                                  hint="the log holds it; leave out the figure (-o)" if logged else
                                  "check the spec's lr and factors")


def _check_xlim(curves: Curves, opts: "RenderOptions") -> None:
    """Refuse an x range beside every curve: the figure would be empty axes, a plan that seems to
    draw nothing."""
    extents = [x for x in (x_values(sc, opts.x) for sc in curves.schedules) if len(x)]
    if not extents:
        return
    first, last = min(float(x[0]) for x in extents), max(float(x[-1]) for x in extents)
    low, high = opts.xlim
    if high < first or low > last:
        unit = "epochs" if opts.x == "epoch" else "steps"
        raise UsageError(f"--xlim '{low:g},{high:g}' shows none of the curves: their {unit} go from {first:g} to "
                         f"{last:g}", hint=f"give a range that overlaps them, e.g. {first:g},{last:g}")
