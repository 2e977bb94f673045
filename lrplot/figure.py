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
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from .curves import Curves, ScheduleTrace, Series
from .errors import LrplotError, UsageError
from .facts import JUMP_THRESHOLD
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
# A figure is at most this many pixels (4 bytes each while drawing): --size 100x100 --dpi 1200
# would need 58 GB (SVG and PDF too: their labels are placed on a canvas of that size).
MAX_PIXELS = 64_000_000
# Any text drawn (titles, names in legends and panel titles) is cut to this many characters:
# laying out a title of a million characters takes minutes in FreeType, deaf to Ctrl-C.
MAX_TEXT = 200
# Values beyond this cannot be drawn: matplotlib's axis ticks overflow near the float limit.
MAX_DRAWABLE = 1e300


@dataclass(frozen=True)
class RenderOptions:
    """Everything about how curves look; none of it changes the numbers.

    The options own their rules: every field is normalised and checked here, so the library, the
    CLI and the doc-tool directives accept the same values and give the same messages.
    ``annotate`` takes a comma text (``"peak,final"``), a list, ``"all"`` or ``"none"``; ``size``
    takes ``"8x4.5"`` or ``(8, 4.5)``; an unknown ``layout``, ``x``, ``theme`` or annotation is
    a :class:`~lrplot.errors.UsageError` with a did-you-mean."""

    layout: str = "auto"
    x: str = "step"  # step | epoch
    log_y: bool = False
    title: str | None = None
    theme: str = "light"  # light | dark | any matplotlib style name or .mplstyle file
    size: tuple[float, float] = (8.0, 4.5)
    dpi: int = 150
    legend: bool = True
    annotate: frozenset[str] = field(default_factory=lambda: frozenset(ANNOTATIONS))
    jump_threshold: float = JUMP_THRESHOLD  # change between consecutive steps, as a fraction of the curve's peak

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "layout", _choice("layout", self.layout, LAYOUTS))
        set_(self, "x", _choice("x", self.x, ("step", "epoch")))
        set_(self, "size", parse_size(self.size))
        set_(self, "annotate", parse_annotate(self.annotate))
        if isinstance(self.dpi, bool) or not isinstance(self.dpi, int) or not 20 <= self.dpi <= 1200:
            raise UsageError(f"dpi {self.dpi!r}: expected a whole number from 20 to 1200")
        if not isinstance(self.theme, str):
            raise UsageError(f"theme {self.theme!r}: expected a name such as light or dark")
        if self.theme not in THEMES:
            style_path(self.theme)  # unknown styles fail here, with a did-you-mean

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def replace(self, **changes: Any) -> "RenderOptions":
        """A copy with ``changes``; an unknown option name is a UsageError with a did-you-mean."""
        check_option_names(changes)
        return replace(self, **changes) if changes else self


def check_option_names(names: Any) -> None:
    """Refuse names that are not RenderOptions fields (``render(lgend=False)``)."""
    from .text import did_you_mean

    known = RenderOptions.names()
    for name in names:
        if name not in known:
            raise UsageError(f"unknown option '{name}'",
                             hint=did_you_mean(name, known) or f"options are {', '.join(known)}")


def _choice(what: str, value: Any, choices: Sequence[str]) -> str:
    text = str(value).strip().lower() if isinstance(value, str) else value
    if text in choices:
        return text
    from .text import did_you_mean

    raise UsageError(f"unknown {what} '{value}'",
                     hint=did_you_mean(str(value), choices) or f"use one of {', '.join(choices)}")


def parse_size(value: Any) -> tuple[float, float]:
    """``"8x4.5"``, ``"8,4.5"`` or ``(8, 4.5)`` -> (8.0, 4.5) inches, each in [1, 100] (below an
    inch matplotlib draws an empty image and cannot write it)."""
    try:
        if isinstance(value, str):
            parts = value.lower().replace(",", "x").split("x")
        else:
            parts = list(value)
        if len(parts) != 2 or any(isinstance(p, bool) for p in parts):
            raise ValueError
        w, h = (float(p) for p in parts)
        if not (1 <= w <= 100 and 1 <= h <= 100):
            raise ValueError
        return w, h
    except (TypeError, ValueError):
        shown = value if isinstance(value, str) else tuple(value) if isinstance(value, (list, tuple)) else value
        raise UsageError(f"size '{shown}': expected WIDTHxHEIGHT in inches, each 1 to 100, e.g. 8x4.5") from None


def parse_annotate(value: Any) -> frozenset[str]:
    """``"all"``, ``"none"``, ``"peak,final"``, a list or a set of annotation names."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("none", ""):
            return frozenset()
        if text == "all":
            return frozenset(ANNOTATIONS)
        items = [t.strip().lower() for t in text.split(",") if t.strip()]
    else:
        try:
            items = [str(t).strip().lower() for t in value]
        except TypeError:
            raise UsageError(f"annotate {value!r}: expected a comma list of {', '.join(ANNOTATIONS)}, "
                             "or all, or none") from None
        if items in (["all"], ["none"]):
            return parse_annotate(items[0])
    from .text import did_you_mean

    for item in items:
        if item not in ANNOTATIONS:
            raise UsageError(f"unknown annotation '{item}'", hint=did_you_mean(item, ANNOTATIONS) or
                             f"use a comma list of {', '.join(ANNOTATIONS)}, or all, or none")
    return frozenset(items)


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


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "\u2026"


def check_raster(size: tuple[float, float], dpi: float, fmt: str) -> None:
    """Refuse a figure of more than MAX_PIXELS pixels before anything is drawn (any format:
    labels are placed on an Agg canvas of the figure's pixel size, SVG and PDF too)."""
    width, height = round(size[0] * dpi), round(size[1] * dpi)
    if width * height > MAX_PIXELS:
        raise UsageError(f"--size {size[0]:g}x{size[1]:g} at --dpi {dpi:g} makes a {width}x{height} pixel figure "
                         f"({width * height / 1e6:.0f} megapixels); a figure is at most {MAX_PIXELS // 1_000_000} "
                         "megapixels", hint="lower --dpi or --size")


def _check_drawable(curves: Curves) -> None:
    for s in curves.series():
        values = np.abs(np.asarray(s.values, dtype=float))
        big = np.flatnonzero(np.isfinite(values) & (values > MAX_DRAWABLE))
        if big.size:
            step = int(big[0])
            raise LrplotError(f"cannot draw '{s.schedule}' {s.field} of group {s.group_name}: it is "
                              f"{float(s.values[step]):.4g} at step {step}, beyond the {MAX_DRAWABLE:g} a figure "
                              "can show", hint="check the spec's lr and factors")


def _label(s: Series, show_schedule: bool, show_group: bool, show_field: bool) -> str:
    parts = []
    if show_schedule:
        parts.append(s.schedule)
    if show_group:
        parts.append(s.group_name)
    if show_field:
        parts.append(s.field)
    return _short(" · ".join(parts) if parts else s.schedule)


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
    with _themed(curves, (options or RenderOptions()).replace(**overrides)) as opts:
        return _draw(curves, ax, opts)


@contextmanager
def _themed(curves: Curves, opts: RenderOptions) -> Iterator[RenderOptions]:
    """Check the options against the curves, then apply the theme while drawing (and saving)."""
    if opts.x == "epoch" and not all(s.steps_per_epoch for s in curves.schedules):
        raise UsageError("--x epoch needs steps_per_epoch in the spec")
    _check_drawable(curves)
    with styled(opts.theme):
        yield opts


@contextmanager
def styled(theme: str) -> Iterator[None]:
    """matplotlib's settings for ``theme`` while the block runs. lrplot's own themes are read from
    their files directly: ``matplotlib.style`` parses its whole style library (about 30 files, 17 ms)
    on import, for names lrplot's themes never use; the settings are the same ones
    ``matplotlib.style.context`` would apply."""
    import matplotlib

    if theme in THEMES:
        with matplotlib.rc_context(_theme_params(theme)):
            yield
        return
    import matplotlib.style

    with matplotlib.style.context(style_path(theme)):
        yield


@lru_cache(maxsize=None)
def _theme_params(theme: str) -> dict[str, Any]:
    """The settings of one of lrplot's theme files, read once per process."""
    import matplotlib

    return dict(matplotlib.rc_params_from_file(style_path(theme), use_default_template=False).items())


def _field_label(sc: ScheduleTrace, fld: str) -> str:
    """What a field is called on the figure: ``momentum`` read from Adam's ``betas[0]`` is beta1."""
    return sc.meta.get("field_labels", {}).get(fld, fld)


def _draw(curves: Curves, ax: Axes | None, opts: RenderOptions) -> Figure:
    import matplotlib

    layout = "overlay" if ax is not None else _resolve_layout(curves, opts.layout)
    panels = _panels(curves, layout)
    if ax is not None:
        fig = ax.figure
        fields = list(dict.fromkeys(s.field for s in curves.series()))
        if len(fields) > 2:
            raise UsageError(f"render(ax=...) draws at most two fields (on twin y axes), these curves have "
                             f"{len(fields)}: {', '.join(fields)}", hint="leave ax out: each field gets its own axes")
        axes = [ax]
        if len(fields) == 2:  # each field keeps its own y scale: the second on a twin axis
            layout = "fields"
            panels = _panels(curves, layout)
            twin = ax.twinx()
            twin.set_gid("twin-y")
            axes.append(twin)
    else:
        rows, cols = len(panels), 1
        if layout in ("grid", "groups") and len(panels) > 3:
            cols = 2
            rows = math.ceil(len(panels) / cols)
        width, height = opts.size
        fig = figure_class()(figsize=(width, height * (1 if rows == 1 else max(0.55 * rows, 1.0))),
                             dpi=opts.dpi, layout="constrained")
        fig.lrplot_theme = opts.theme
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)  # a renderer to measure text with (place_labels), and the canvas savefig uses
        share_y = layout in ("grid", "groups")
        grid = fig.subplots(rows, cols, sharex=True, sharey=share_y, squeeze=False)
        axes = list(grid.ravel())
        for extra in axes[len(panels):]:
            extra.set_visible(False)
        axes = axes[: len(panels)]
    twin_axes = ax is not None and len(axes) == 2

    schedules = {s.name: s for s in curves.schedules}
    multi_schedule = len(curves.schedules) > 1
    multi_group = any(len(s.groups) > 1 for s in curves.schedules)
    cycle = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
    colors: dict[tuple[str, int], Any] = {}
    for s in curves.series():
        key = (s.schedule, s.group) if not multi_schedule else (s.schedule, 0)
        if key not in colors:
            colors[key] = cycle[len(colors) % len(cycle)]

    # x limits first: the envelope is aligned to the final pixel columns
    xs = {name: _x_values(sc, opts.x) for name, sc in schedules.items()}
    x_max = max((float(x[-1]) for x in xs.values() if len(x)), default=1.0)
    margin = max(x_max * 0.02, 0.5 if opts.x == "step" else 0.0)
    x0, x1 = -margin if x_max > 0 else -0.5, x_max + margin if x_max > 0 else 0.5

    ylabels = []
    for n, (axis, (panel_title, series)) in enumerate(zip(axes, panels)):
        fields_here = {s.field for s in series}
        said: set[tuple[float, str]] = set()  # (x, number) already labelled in this panel
        axis.set_xlim(x0, x1)
        axis.set_axisbelow(True)  # grid lines behind every line and band
        if opts.log_y:
            axis.set_yscale("log")
        _number_ticks(axis, opts.log_y)
        columns = max(int(axis.bbox.width), 100)  # one per pixel column of the axes
        show_schedule = multi_schedule and layout != "grid"
        for s in series:
            sc = schedules[s.schedule]
            key = (s.schedule, s.group) if not multi_schedule else (s.schedule, 0)
            color = colors[key] if not twin_axes else cycle[(len(colors) + n - 1) % len(cycle)] if n else colors[key]
            linestyle = _LINESTYLES[s.group % len(_LINESTYLES)] if multi_schedule and multi_group else "-"
            if len(fields_here) > 1 and layout != "fields":
                linestyle = _LINESTYLES[sorted(fields_here).index(s.field) % len(_LINESTYLES)]
            label = _label(s, show_schedule or (not multi_group and len(fields_here) == 1 and layout == "overlay"),
                           multi_group and layout != "groups", len(fields_here) > 1 or twin_axes)
            if len(fields_here) > 1 or twin_axes:
                label = label.replace(s.field, _field_label(sc, s.field)) if label.endswith(s.field) else label
            gid = f"{s.schedule}:{s.group}:{s.field}"
            x = xs[s.schedule] if s.at is None else _x_of(s.at, sc, opts.x)
            if sc.style == "points" and len(x) <= _DENSE * columns:  # a logged run: its values as markers
                (line,) = axis.plot(x, s.values, color=color, linestyle="none", marker="o", markersize=2.5,
                                    label=label)
                line.set_gid(f"points:{gid}")
                continue
            if len(x) > _DENSE * columns:
                # More points than pixels: draw what the pixels can show, a min/max band per
                # pixel column with its two edges, instead of a zig-zag of full-height segments.
                xc, lo, hi = column_envelope(x, s.values, x0, x1, columns)
                band = axis.fill_between(xc, lo, hi, color=color, linewidth=0, alpha=1.0)
                band.set_gid(f"band:{gid}")
                (line,) = axis.plot(np.r_[xc, np.nan, xc], np.r_[hi, np.nan, lo], color=color,
                                    linestyle=linestyle, label=label)
            else:
                (line,) = axis.plot(x, s.values, color=color, linestyle=linestyle, label=label,
                                    drawstyle="steps-post" if sc.interval == "epoch" else "default")
            line.set_gid(f"series:{gid}")
            if sc.style == "points":
                continue
            _annotate(axis, s, sc, xs[s.schedule], color, opts, said, numbers=len(series) <= 2)
        if not (twin_axes and n):
            _events(axis, series, schedules, opts)
        _spans(axis, series, schedules, opts)
        first = series[0] if series else None
        names = {_field_label(schedules[s.schedule], s.field) for s in series}
        ylabel = (FIELD_LABELS.get(next(iter(names)), next(iter(names))) if len(names) == 1 else "value") \
            if first else ""
        ylabels.append(ylabel)
        axis.set_ylabel(ylabel)
        if panel_title and layout != "fields":
            axis.set_title(_wrap(_short(panel_title), fig, len(axes) if layout in ("grid", "groups") and len(axes) > 3
                                 else 1, "medium"), fontsize="medium", fontweight="normal")
    title = opts.title if opts.title is not None else curves.title
    if title is None and len(curves.schedules) == 1:
        title = curves.schedules[0].name
    title = _short(title) if title else title
    fig.lrplot_schedules = tuple(schedules)
    _legends(fig, axes, layout, opts, twin_axes, title)
    unit = "epoch" if opts.x == "epoch" else "step"
    shared = layout in ("grid", "groups") and len(axes) > 1
    if shared:  # the same words once, not on every panel
        fig.supxlabel(unit, fontsize=matplotlib.rcParams["axes.labelsize"])
        if len(set(ylabels)) == 1:
            for a in axes:
                a.set_ylabel("")
            fig.supylabel(ylabels[0], fontsize=matplotlib.rcParams["axes.labelsize"])
    else:
        (axes[0] if twin_axes else axes[-1]).set_xlabel(unit)
    _secondary_axis(axes[0], curves, opts)
    if title and ax is None:
        fig.suptitle(_wrap(title, fig, 1, matplotlib.rcParams["figure.titlesize"], bold=True), fontweight="bold")
    elif title and ax is not None and not ax.get_title():
        ax.set_title(_wrap(title, fig, 1, matplotlib.rcParams["axes.titlesize"]))
    place_labels(fig, axes)
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


def _wrap(text: str, fig: Any, columns: int, size: Any, bold: bool = False) -> str:
    """``text`` broken into lines that fit the width of one of ``columns`` panels."""
    import textwrap

    from matplotlib.font_manager import FontProperties

    points = FontProperties(size=size).get_size_in_points()
    width_pt = fig.get_figwidth() * 72 / (2 if columns > 1 else 1) * 0.92
    chars = max(int(width_pt / (points * (0.62 if bold else 0.56))), 12)
    return "\n".join(textwrap.wrap(text, chars, break_on_hyphens=False)) if len(text) > chars else text


def _legends(fig: Any, axes: list, layout: str, opts: RenderOptions, twin: bool, title: str | None) -> None:
    """One legend per panel, or one for the figure when every panel would show the same entries
    (grid and groups layouts), or none when a panel's only entry is its own title."""
    if not opts.legend:
        return
    import matplotlib
    from matplotlib.lines import Line2D

    def entries(a: Any) -> list:
        return [ln for ln in a.get_lines() if not ln.get_label().startswith("_")]

    if twin:
        handles = entries(axes[0]) + entries(axes[1])
        axes[0].legend(handles, [h.get_label() for h in handles], loc="best")
        return
    per_panel = [entries(a) for a in axes]
    if len(axes) > 1 and layout in ("grid", "groups"):
        labels = [[h.get_label() for h in hs] for hs in per_panel]
        if all(lb == labels[0] for lb in labels) and len(labels[0]) > 1:
            styles = [[(h.get_color(), h.get_linestyle()) for h in hs] for hs in per_panel]
            if all(st == styles[0] for st in styles):
                handles = per_panel[0]
            else:  # colours name the panels' schedules: the legend shows the line styles only
                neutral = matplotlib.rcParams["text.color"]
                handles = [Line2D([], [], color=neutral, linestyle=h.get_linestyle(), label=h.get_label())
                           for h in per_panel[0]]
            legend = fig.legend(handles, labels[0], loc="outside upper center", ncols=min(len(handles), 4))
            legend.set_gid("figure-legend")
            return
    for a, hs in zip(axes, per_panel):
        if not hs:
            continue
        if len(hs) == 1 and (layout in ("grid", "groups", "fields") and len(axes) > 1
                             or hs[0].get_label() == title or len(a.figure.lrplot_schedules) == 1):
            continue
        a.legend(loc="best")


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
    _number_ticks(sec, False)


def _annotate(axis: Axes, s: Series, sc: ScheduleTrace, x: np.ndarray, color: Any, opts: RenderOptions,
              said: set[tuple[float, str]],
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
            text = axis.annotate(_short(e.label), (x, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -2),
                                 textcoords="offset points", rotation=90, va="top", ha="left",
                                 fontsize="x-small", alpha=0.6)
            text.set_gid(f"event-label:{name}:{e.step}")
            text.set_in_layout(False)  # kept inside the axes by place_labels


# --- numbers as ML people write them ---------------------------------------------------------------

def format_number(v: float, sci: bool | None = None, digits: int = 3) -> str:
    """``3e-4``, ``0.1``, ``2.5e-5``, ``1200``: short, no trailing zeros, exponents without padding.
    ``sci`` forces (or forbids) the exponent form; by default small (< 0.01) and huge numbers use it."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    a = abs(v)
    if sci is None:
        sci = a < 1e-2 or a >= 1e5
    if not sci:
        text = f"{v:.{digits}g}"
        if "e" not in text:
            return text
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def format_steps(v: float, short: bool) -> str:
    """Step counts: ``2000``, or with ``short`` ``100k``, ``1.5M``."""
    if short and abs(v) >= 1e6:
        return f"{v / 1e6:.4g}M"
    if short and abs(v) >= 1e3:
        return f"{v / 1e3:.4g}k"
    return f"{int(v)}" if float(v).is_integer() else f"{v:.4g}"


_FORMATTERS: dict[str, type] = {}


def _formatter(kind: str) -> Any:
    """Tick formatters (made on first use: matplotlib is imported lazily)."""
    if not _FORMATTERS:
        from matplotlib.ticker import Formatter

        class NumberFormatter(Formatter):
            """y ticks: one notation per axis, chosen from the largest visible tick."""

            sci = False

            def set_locs(self, locs: Any) -> None:
                super().set_locs(locs)
                lo, hi = sorted(self.axis.get_view_interval()) if self.axis is not None else (-np.inf, np.inf)
                shown = [abs(v) for v in locs if v != 0 and lo <= v <= hi]
                top = max(shown, default=1.0)
                self.sci = top < 1e-2 or top >= 1e5 or (min(shown, default=1.0) < 1e-3)

            def __call__(self, x: float, pos: Any = None) -> str:
                return format_number(x, self.sci if x != 0 else None, digits=4)

        class LogMinorFormatter(Formatter):
            """Log axes spanning less than a decade label 2x and 5x ticks, other minors stay blank."""

            def __call__(self, x: float, pos: Any = None) -> str:
                if self.axis is None or x <= 0:
                    return ""
                lo, hi = sorted(self.axis.get_view_interval())
                if lo <= 0 or math.log10(hi / lo) > 1.0:
                    return ""
                lead = round(x / 10 ** math.floor(math.log10(x) + 1e-9), 6)
                return format_number(x) if lead in (2.0, 5.0) else ""

        class StepFormatter(Formatter):
            """x ticks: ``100k``, ``1.5M`` once the axis reaches 10,000."""

            short = False

            def set_locs(self, locs: Any) -> None:
                super().set_locs(locs)
                self.short = max((abs(v) for v in locs), default=0) >= 1e4

            def __call__(self, x: float, pos: Any = None) -> str:
                return format_steps(x, self.short)

        _FORMATTERS.update(number=NumberFormatter, logminor=LogMinorFormatter, steps=StepFormatter)
    return _FORMATTERS[kind]()


def _number_ticks(axis: Any, log_y: bool) -> None:
    if hasattr(axis, "yaxis") and axis.__class__.__name__ != "SecondaryAxis":
        axis.yaxis.set_major_formatter(_formatter("number"))
        if log_y:
            axis.yaxis.set_minor_formatter(_formatter("logminor"))
    axis.xaxis.set_major_formatter(_formatter("steps"))


# --- text that never overlaps ----------------------------------------------------------------------

_MOVABLE = ("event-label", "peak-label", "final-label")


def _overlaps(a: Any, b: Any, pad: float = 1.0) -> bool:
    return a.x0 < b.x1 + pad and b.x0 < a.x1 + pad and a.y0 < b.y1 + pad and b.y0 < a.y1 + pad


def _inside(a: Any, box: Any) -> bool:
    return a.x0 >= box.x0 - 0.5 and a.x1 <= box.x1 + 0.5 and a.y0 >= box.y0 - 0.5 and a.y1 <= box.y1 + 0.5


def place_labels(fig: Any, axes: Sequence[Any]) -> None:
    """Move the labels lrplot adds (milestones, peak and final values) so that none overlaps
    another label or a legend and none leaves its axes: greedy, milestone labels first, each tries
    its usual place, then the other side, then nudges away from the line one text height at a
    time; a label with no free place is hidden (its marker stays, the summary has the number)."""
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        engine.execute(fig)
    else:
        fig.draw_without_rendering()
    canvas = fig.canvas
    renderer = canvas.get_renderer() if hasattr(canvas, "get_renderer") else fig._get_renderer()
    for axis in axes:
        legend = axis.get_legend()
        if legend is not None:  # "best" would move once labels move: pin it where it is
            box = legend.get_window_extent(renderer).transformed(axis.transAxes.inverted())
            legend.set_loc((box.x0, box.y0))
    scale = 72.0 / fig.dpi  # display pixels -> points
    for axis in axes:
        frame = axis.get_window_extent(renderer)
        taken = [lg.get_window_extent(renderer) for lg in (axis.get_legend(),) if lg is not None]
        lines = _line_paths(axis)
        order = {kind: i for i, kind in enumerate(_MOVABLE)}
        movable = sorted((t for t in axis.texts if (t.get_gid() or "").split(":")[0] in _MOVABLE),
                         key=lambda t: order[t.get_gid().split(":")[0]])
        for text in movable:
            box = None
            candidates = list(_candidates(text, renderer, scale))
            # first a place clear of every curve, else one clear of other text only
            for avoid_lines in (True, False):
                for dx, dy, ha in candidates:
                    text.xyann = (dx, dy)
                    text.set_horizontalalignment(ha)
                    bb = text.get_window_extent(renderer)
                    if _inside(bb, frame) and not any(_overlaps(bb, t) for t in taken) and not (
                            avoid_lines and any(p.intersects_bbox(bb.shrunk(0.9, 0.9), filled=False)
                                                for p in lines)):
                        box = bb
                        break
                if box is not None:
                    break
            if box is None:
                text.set_visible(False)
            else:
                taken.append(box)


def _line_paths(axis: Any) -> list:
    """The drawn curves of ``axis`` as display-space paths (staircases as drawn)."""
    from matplotlib.path import Path as MplPath

    out = []
    for line in axis.get_lines():
        if not (line.get_gid() or "").startswith("series:"):
            continue
        xy = line.get_transform().transform(np.column_stack([line.get_xdata(), line.get_ydata()]))
        if line.get_drawstyle() == "steps-post" and len(xy) > 1:
            steps = np.empty((2 * len(xy) - 1, 2))
            steps[0::2] = xy
            steps[1::2, 0] = xy[1:, 0]
            steps[1::2, 1] = xy[:-1, 1]
            xy = steps
        for part in np.split(xy, np.flatnonzero(~np.isfinite(xy).all(axis=1))):
            part = part[np.isfinite(part).all(axis=1)]
            if len(part) > 1:
                out.append(MplPath(part))
    return out


def _candidates(text: Any, renderer: Any, scale: float) -> Iterator[tuple[float, float, str]]:
    kind = text.get_gid().split(":")[0]
    bb = text.get_window_extent(renderer)
    if kind == "event-label":  # vertical text hanging from the top: right of the line, left, then lower
        length = bb.height * scale + 3
        for k in range(0, 6):
            yield 2, -2 - k * length, "left"
            yield -2, -2 - k * length, "right"
        return
    step = bb.height * scale + 1
    sides = [(4, "left"), (-4, "right")] if kind == "peak-label" else [(-4, "right"), (4, "left")]
    for k in range(0, 7):
        for dx, ha in sides:
            yield dx, 4 + k * step, ha
            yield dx, -4 - (k + 1) * step + 2, ha


# --- notebooks -----------------------------------------------------------------------------------

_FIGURE_CLASS: Any = None
_DISPLAY_TYPES = {"image/png": "png", "image/svg+xml": "svg"}


def figure_class() -> type:
    """matplotlib's Figure plus rich display: in Jupyter a figure lrplot made shows itself (as
    PNG; SVG when the front end asks for ``image/svg+xml`` only), with no pyplot and no
    ``%matplotlib inline``. The bytes are those :func:`save_figure` writes, in the figure's theme."""
    global _FIGURE_CLASS
    if _FIGURE_CLASS is None:
        from matplotlib.figure import Figure

        class LrplotFigure(Figure):
            lrplot_theme: str = "light"

            def _repr_png_(self) -> bytes:
                return figure_bytes(self, "png")

            def _repr_svg_(self) -> str:
                return figure_bytes(self, "svg").decode("utf-8")

            def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
                wanted = [m for m in (include or ("image/png",)) if m in _DISPLAY_TYPES] or ["image/png"]
                wanted = [m for m in wanted if not exclude or m not in exclude]
                out: dict[str, Any] = {"text/plain": repr(self)}
                for mime in wanted:
                    data = figure_bytes(self, _DISPLAY_TYPES[mime])
                    out[mime] = data.decode("utf-8") if mime == "image/svg+xml" else data
                return out

        _FIGURE_CLASS = LrplotFigure
    return _FIGURE_CLASS


def figure_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """The bytes :func:`save_figure` would write for ``fig`` as ``fmt`` (png, svg, pdf)."""
    import io

    buf = io.BytesIO()
    with styled(getattr(fig, "lrplot_theme", "light")):
        write_figure(fig, buf, fmt)
    return buf.getvalue()


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

    width, height = fig.get_size_inches()
    check_raster((float(width), float(height)), dpi or fig.dpi, fmt)
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
        return save_figure(_settled(_draw(curves, None, opts)), path, dpi=opts.dpi)


def render_to_bytes(curves: Curves, fmt: str, options: RenderOptions | None = None) -> bytes:
    """Render into memory (a run writes all its outputs only once every one is ready)."""
    import io

    buffer = io.BytesIO()
    render_to_stream(curves, buffer, fmt, options)
    return buffer.getvalue()


def render_to_stream(curves: Curves, fh: IO[bytes], fmt: str, options: RenderOptions | None = None) -> None:
    """Render and write to a binary stream (``-o -``)."""
    with _themed(curves, options or RenderOptions()) as opts:
        write_figure(_settled(_draw(curves, None, opts)), fh, fmt, dpi=opts.dpi)


def _settled(fig: Any) -> Any:
    """A figure lrplot drew only to save it at once: its layout was settled while the labels
    were placed, so freeze it there. savefig then draws once instead of running constrained
    layout twice more (a dry run and the real draw): about half of the time a figure costs.
    (A Figure returned by :func:`render` keeps its layout engine: its owner may still change it.)"""
    fig.set_layout_engine("none")
    return fig
