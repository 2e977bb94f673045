"""Curves -> matplotlib Figure -> PNG/SVG/PDF. Never simulates.

Figures are built with matplotlib's object API (``matplotlib.figure.Figure``), never pyplot
state, so rendering is safe in notebooks, doc builds and threads. Long curves are reduced to a
per-pixel-column envelope (first, min, max, last of each column) aligned to the axes' pixels:
no peak or trough is lost, and a 1,000,000-step curve draws as fast and as small as a short one.
Saved files are byte-identical run to run (no dates, ids or software stamps).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from .curves import Curves, ScheduleTrace, Series
from .errors import UsageError
from .output import FIGURE_SUFFIXES, write_atomic
from .summary import jump_steps as jumps

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

STYLES_DIR = Path(__file__).parent / "styles"
THEMES = ("light", "dark")
LAYOUTS = ("auto", "overlay", "grid", "fields", "groups")
ANNOTATIONS = ("milestones", "peak", "final", "jumps")
FIELD_LABELS = {"lr": "learning rate", "momentum": "momentum", "weight_decay": "weight decay"}
_LINESTYLES = ("-", "--", ":", "-.")
# Curves with more than this many points per pixel column are drawn as a min/max band.
_DENSE = 2


@dataclass(frozen=True)
class RenderOptions:
    """Everything about how curves look; none of it changes the numbers."""

    layout: str = "auto"
    x: str = "step"  # step | epoch
    log_y: bool = False
    title: str | None = None
    theme: str = "light"  # light | dark | any matplotlib style name or .mplstyle file
    size: tuple[float, float] = (8.0, 4.5)
    dpi: int = 150
    legend: bool = True
    annotate: frozenset[str] = field(default_factory=lambda: frozenset(ANNOTATIONS))
    jump_threshold: float = 0.2  # change between consecutive steps, as a fraction of the curve's range


def style_path(theme: str) -> str:
    """The matplotlib style for a theme name, a style name or a style file."""
    if theme in THEMES:
        return str(STYLES_DIR / f"{theme}.mplstyle")
    import matplotlib.style

    if theme in matplotlib.style.available or theme == "default":
        return theme
    path = Path(theme)
    if path.suffix == ".mplstyle" or path.exists():
        if not path.is_file():
            raise UsageError(f"--style {theme}: no such style file")
        return str(path)
    from .text import did_you_mean

    choices = list(THEMES) + sorted(matplotlib.style.available)
    raise UsageError(f"unknown style '{theme}'", hint=did_you_mean(theme, choices) or
                     f"use light, dark, a matplotlib style ({', '.join(sorted(matplotlib.style.available)[:5])}, ...) "
                     "or a .mplstyle file")


# --- envelope reduction ------------------------------------------------------------------------

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


# --- panels ------------------------------------------------------------------------------------

def _resolve_layout(curves: Curves, layout: str) -> str:
    if layout not in LAYOUTS:
        raise UsageError(f"unknown layout '{layout}'", hint=f"use one of {', '.join(LAYOUTS)}")
    if layout == "auto":
        fields = {f for s in curves.schedules for f in s.fields}
        return "fields" if len(fields) > 1 else "overlay"
    return layout


def _panels(curves: Curves, layout: str) -> list[tuple[str | None, list[Series]]]:
    series = list(curves.series())
    if layout == "overlay":
        return [(None, series)]
    if layout == "grid":
        return [(s.name, list(s.series())) for s in curves.schedules]
    if layout == "fields":
        fields = list(dict.fromkeys(s.field for s in series))
        return [(f, [s for s in series if s.field == f]) for f in fields]
    # groups: one panel per group index
    count = max(len(s.groups) for s in curves.schedules)
    panels = []
    for g in range(count):
        names = dict.fromkeys(s.groups[g] for s in curves.schedules if g < len(s.groups))
        panels.append((f"group {g}: {' / '.join(names)}", [s for s in series if s.group == g]))
    return panels


def _label(s: Series, show_schedule: bool, show_group: bool, show_field: bool) -> str:
    parts = []
    if show_schedule:
        parts.append(s.schedule)
    if show_group:
        parts.append(s.group_name)
    if show_field:
        parts.append(s.field)
    return " · ".join(parts) if parts else s.schedule


def _x_values(sc: ScheduleTrace, unit: str) -> np.ndarray:
    x = np.arange(sc.steps, dtype=np.float64)
    if unit == "epoch" and sc.steps_per_epoch:
        x = x / sc.steps_per_epoch
    return x


def render(curves: Curves, ax: Axes | None = None, options: RenderOptions | None = None,
           **overrides: Any) -> Figure:
    """Draw ``curves`` and return the Figure. With ``ax``, draw everything into that one Axes
    (overlay) and return its figure; otherwise build a new Figure with the layout's panels.
    Keyword arguments override fields of ``options`` (e.g. ``render(curves, log_y=True)``)."""
    from dataclasses import replace

    with _themed(curves, replace(options or RenderOptions(), **overrides)) as opts:
        return _draw(curves, ax, opts)


@contextmanager
def _themed(curves: Curves, opts: RenderOptions) -> Iterator[RenderOptions]:
    """Check the options against the curves, then apply the theme while drawing (and saving)."""
    if opts.x not in ("step", "epoch"):
        raise UsageError(f"unknown x unit '{opts.x}'", hint="use step or epoch")
    if opts.x == "epoch" and not all(s.steps_per_epoch for s in curves.schedules):
        raise UsageError("--x epoch needs steps_per_epoch in the spec")
    import matplotlib.style

    with matplotlib.style.context(style_path(opts.theme)):
        yield opts


def _draw(curves: Curves, ax: Axes | None, opts: RenderOptions) -> Figure:
    import matplotlib
    from matplotlib.figure import Figure

    layout = "overlay" if ax is not None else _resolve_layout(curves, opts.layout)
    panels = _panels(curves, layout)
    if ax is not None:
        fig = ax.figure
        axes = [ax]
    else:
        rows, cols = len(panels), 1
        if layout in ("grid", "groups") and len(panels) > 3:
            cols = 2
            rows = math.ceil(len(panels) / cols)
        width, height = opts.size
        fig = Figure(figsize=(width, height * (1 if rows == 1 else max(0.55 * rows, 1.0))),
                     dpi=opts.dpi, layout="constrained")
        share_y = layout in ("grid", "groups")
        grid = fig.subplots(rows, cols, sharex=True, sharey=share_y, squeeze=False)
        axes = list(grid.ravel())
        for extra in axes[len(panels):]:
            extra.set_visible(False)
        axes = axes[: len(panels)]

    schedules = {s.name: s for s in curves.schedules}
    multi_schedule = len(curves.schedules) > 1
    multi_group = any(len(s.groups) > 1 for s in curves.schedules)
    cycle = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
    colors: dict[tuple[str, int], Any] = {}
    for i, s in enumerate(curves.series()):
        key = (s.schedule, s.group) if not multi_schedule else (s.schedule, 0)
        if key not in colors:
            colors[key] = cycle[len(colors) % len(cycle)]

    # x limits first: the envelope is aligned to the final pixel columns
    xs = {name: _x_values(sc, opts.x) for name, sc in schedules.items()}
    x_max = max((float(x[-1]) for x in xs.values() if len(x)), default=1.0)
    margin = max(x_max * 0.02, 0.5 if opts.x == "step" else 0.0)
    x0, x1 = -margin if x_max > 0 else -0.5, x_max + margin if x_max > 0 else 0.5

    for axis, (panel_title, series) in zip(axes, panels):
        fields_here = {s.field for s in series}
        axis.set_xlim(x0, x1)
        if opts.log_y:
            axis.set_yscale("log")
        columns = max(int(axis.bbox.width), 100)  # one per pixel column of the axes
        show_schedule = multi_schedule and layout != "grid"
        for s in series:
            sc = schedules[s.schedule]
            key = (s.schedule, s.group) if not multi_schedule else (s.schedule, 0)
            linestyle = _LINESTYLES[s.group % len(_LINESTYLES)] if multi_schedule and multi_group else "-"
            if len(fields_here) > 1 and layout != "fields":
                linestyle = _LINESTYLES[sorted(fields_here).index(s.field) % len(_LINESTYLES)]
            label = _label(s, show_schedule or (not multi_group and len(fields_here) == 1 and layout == "overlay"),
                           multi_group and layout != "groups", len(fields_here) > 1)
            gid = f"{s.schedule}:{s.group}:{s.field}"
            x = xs[s.schedule] if s.at is None else _x_of(s.at, sc, opts.x)
            if sc.style == "points" and len(x) <= _DENSE * columns:  # a logged run: its values as markers
                (line,) = axis.plot(x, s.values, color=colors[key], linestyle="none", marker="o", markersize=2.5,
                                    label=label)
                line.set_gid(f"points:{gid}")
                continue
            if len(x) > _DENSE * columns:
                # More points than pixels: draw what the pixels can show, a min/max band per
                # pixel column with its two edges, instead of a zig-zag of full-height segments.
                xc, lo, hi = column_envelope(x, s.values, x0, x1, columns)
                band = axis.fill_between(xc, lo, hi, color=colors[key], linewidth=0, alpha=1.0)
                band.set_gid(f"band:{gid}")
                (line,) = axis.plot(np.r_[xc, np.nan, xc], np.r_[hi, np.nan, lo], color=colors[key],
                                    linestyle=linestyle, label=label)
            else:
                (line,) = axis.plot(x, s.values, color=colors[key], linestyle=linestyle, label=label,
                                    drawstyle="steps-post" if sc.interval == "epoch" else "default")
            line.set_gid(f"series:{gid}")
            if sc.style == "points":
                continue
            _annotate(axis, s, sc, xs[s.schedule], colors[key], opts, numbers=len(series) <= 2)
        _events(axis, series, schedules, opts)
        _spans(axis, series, schedules, opts)
        axis.set_ylabel(FIELD_LABELS.get(next(iter(fields_here)), next(iter(fields_here)))
                        if len(fields_here) == 1 else "value")
        if panel_title and layout != "fields":
            axis.set_title(panel_title, fontsize="medium", fontweight="normal")
        if opts.legend and (len(series) > 1 or multi_schedule or layout == "overlay"):
            axis.legend(loc="best")
    unit = "epoch" if opts.x == "epoch" else "step"
    axes[-1].set_xlabel(unit)
    if layout in ("grid", "groups") and len(axes) > 1:
        for a in axes:
            a.set_xlabel(unit)
    _secondary_axis(axes[0], curves, opts)
    title = opts.title if opts.title is not None else curves.title
    if title is None and len(curves.schedules) == 1:
        title = curves.schedules[0].name
    if title and ax is None:
        fig.suptitle(title, fontweight="bold")
    elif title and ax is not None and not ax.get_title():
        ax.set_title(title)
    return fig


def _x_of(steps: np.ndarray, sc: ScheduleTrace, unit: str) -> np.ndarray:
    x = steps.astype(np.float64)
    return x / sc.steps_per_epoch if unit == "epoch" and sc.steps_per_epoch else x


def _spans(axis: Axes, series: Sequence[Series], schedules: dict[str, ScheduleTrace], opts: RenderOptions) -> None:
    """Shade the step ranges where a logged run left the plan (``ScheduleTrace.spans``)."""
    for name in dict.fromkeys(s.schedule for s in series):
        for first, last in schedules[name].spans:
            a, b = _x_of(np.array([first - 0.5, last + 0.5]), schedules[name], opts.x)
            patch = axis.axvspan(a, b, color="tab:red", alpha=0.15, linewidth=0, zorder=0, label="_diverges")
            patch.set_gid(f"diverges:{name}:{first}:{last}")


def _secondary_axis(axis: Axes, curves: Curves, opts: RenderOptions) -> None:
    per = {s.steps_per_epoch for s in curves.schedules}
    if len(per) != 1 or None in per:
        return
    (spe,) = per
    if opts.x == "epoch":
        sec = axis.secondary_xaxis("top", functions=(lambda e: e * spe, lambda s: s / spe))
        sec.set_xlabel("step")
    else:
        sec = axis.secondary_xaxis("top", functions=(lambda s: s / spe, lambda e: e * spe))
        sec.set_xlabel("epoch")
    sec.set_gid("secondary-x")


def _annotate(axis: Axes, s: Series, sc: ScheduleTrace, x: np.ndarray, color: Any, opts: RenderOptions,
              numbers: bool = True) -> None:
    values = s.values
    if not len(values) or not np.isfinite(values).any():
        return
    marks = []
    if "peak" in opts.annotate:
        i = int(np.nanargmax(values))
        marks.append(("peak", i))
    if "final" in opts.annotate:
        marks.append(("final", len(values) - 1))
    for kind, i in marks:
        (m,) = axis.plot([x[i]], [values[i]], marker="o", markersize=3.5, color=color, linestyle="none",
                         label=f"_{kind}")
        m.set_gid(f"{kind}:{s.schedule}:{s.group}:{s.field}")
        if not numbers:  # crowded panel: markers only, the summary table has the numbers
            continue
        text = axis.annotate(f"{values[i]:.3g}", (x[i], values[i]), xytext=(4, 4 if kind == "peak" else -10),
                             textcoords="offset points", fontsize="x-small", color=color)
        text.set_gid(f"{kind}-label:{s.schedule}:{s.group}:{s.field}")
    if "jumps" in opts.annotate:
        idx = jumps(values, opts.jump_threshold)
        if len(idx):
            (m,) = axis.plot(x[idx], values[idx], marker="v", markersize=5, color=color, linestyle="none",
                             alpha=0.8, label="_jumps")
            m.set_gid(f"jumps:{s.schedule}:{s.group}:{s.field}")


def _events(axis: Axes, series: Sequence[Series], schedules: dict[str, ScheduleTrace],
            opts: RenderOptions) -> None:
    if "milestones" not in opts.annotate:
        return
    import matplotlib

    color = matplotlib.rcParams["axes.edgecolor"]
    seen: set[float] = set()
    for name in dict.fromkeys(s.schedule for s in series):
        sc = schedules[name]
        for e in sc.events:
            x = e.step / sc.steps_per_epoch if opts.x == "epoch" and sc.steps_per_epoch else float(e.step)
            if x in seen:
                continue
            seen.add(x)
            line = axis.axvline(x, color=color, alpha=0.35, linewidth=0.8, linestyle="--", zorder=0,
                                label="_event")
            line.set_gid(f"event:{name}:{e.step}:{e.label}")
            axis.annotate(e.label, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -2),
                          textcoords="offset points", rotation=90, va="top", ha="left",
                          fontsize="x-small", alpha=0.6)


# --- saving ------------------------------------------------------------------------------------

_METADATA = {
    ".png": {"Software": None},
    ".svg": {"Date": None, "Creator": None},
    ".pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


_SAVE_RC = {"svg.hashsalt": "lrplot", "path.simplify": False, "svg.fonttype": "path", "pdf.fonttype": 42}


def write_figure(fig: Figure, fh: IO[bytes], fmt: str, *, dpi: int | None = None) -> None:
    """Write ``fig`` as ``fmt`` (png, svg, pdf) to a binary stream, with no date, id or software
    stamp, so the bytes are the same on every run."""
    import matplotlib

    with matplotlib.rc_context(_SAVE_RC):
        fig.savefig(fh, format=fmt, dpi=dpi or fig.dpi, metadata=_METADATA[f".{fmt}"])


def save_figure(fig: Figure, path: str | Path, *, dpi: int | None = None) -> Path:
    """Save ``fig`` to ``path`` (format from the suffix) atomically and deterministically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FIGURE_SUFFIXES:
        raise UsageError(f"{path}: unknown figure format '{path.suffix or '(none)'}'",
                         hint=f"use one of {', '.join(FIGURE_SUFFIXES)}")
    write_atomic(path, lambda fh: write_figure(fig, fh, suffix[1:], dpi=dpi))
    return path


def render_to_file(curves: Curves, path: str | Path, options: RenderOptions | None = None) -> Path:
    """Render and save in one go, with the theme applied to both."""
    with _themed(curves, options or RenderOptions()) as opts:
        return save_figure(_draw(curves, None, opts), path, dpi=opts.dpi)


def render_to_stream(curves: Curves, fh: IO[bytes], fmt: str, options: RenderOptions | None = None) -> None:
    """Render and write to a binary stream (``-o -``)."""
    with _themed(curves, options or RenderOptions()) as opts:
        write_figure(_draw(curves, None, opts), fh, fmt, dpi=opts.dpi)
