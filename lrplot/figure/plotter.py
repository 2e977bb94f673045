"""The Plotter: Curves drawn into a Figure as a list of named phases; the render entry points around it."""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator

from ..curves import Curves, Series
from . import layout as layouts
from .files import save_figure, write_figure
from .footnote import caption, footnote, log_assumed, log_hidden, mark_handles
from .inset import draw_inset
from .metric import draw_metric
from .labels import place_labels
from .legend import axis_labels, clear_of_curves, legends, titles, wrap
from .marks import annotate, events, spans
from .options import RenderOptions, short, y_range
from .series import (FIELD_LABELS, LINESTYLES, check_curves, draw_series, field_label, same_curves, series_label,
                     shown_label, x_of, x_padded, x_values)
from .themes import styled
from .ticks import number_ticks, secondary_axis

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class Plotter:
    """One figure in the making. :meth:`plot` runs the phases in order; each phase is one method
    and leaves what the next needs on ``self``. Runs inside the theme (:func:`styled`)."""

    # set by the phases, in this order
    fig: Figure
    layout: str                      # the resolved layout: overlay, grid, fields or groups
    panels: layouts.Panels           # (panel title, its series) for each axes
    axes: list[Axes]                 # one per panel (the user's ax, and its twin for a second field)
    twin: bool                       # drawing into the user's ax with a twin y axis
    cycle: list[Any]                 # the theme's colours
    colors: dict[tuple[str, int], Any]
    xs: dict[str, Any]               # x of every step of each schedule, in the x unit
    x_range: tuple[float, float]
    title: str | None
    ylabels: list[str]               # each panel's y label, said once when all panels share it
    merged: set[str]                 # legend labels of lines that stand for several equal curves
    inset_notes: list[str]           # footnote lines for short phases no inset could show

    def __init__(self, curves: Curves, opts: RenderOptions, ax: Axes | None = None) -> None:
        self.curves, self.opts, self.ax = curves, opts, ax
        self.schedules = {s.name: s for s in curves.schedules}
        self.multi_schedule = len(curves.schedules) > 1
        self.multi_group = any(len(s.groups) > 1 for s in curves.schedules)

    def plot(self) -> Figure:
        self._make_axes()        # layout, panels, and a new figure's axes or the user's (plus a twin)
        self._pick_colors()      # one colour per schedule, or per param group of a single schedule
        self._set_x_range()      # before drawing: long curves are reduced to the final pixel columns
        self._resolve_title()    # the options', else the curves', else the one schedule's name
        self._draw_panels()      # curves, their marks, milestones, divergence, y label, panel title
        self._legends()          # per panel, or once for the figure when every panel says the same
        self._metrics()          # what drives a plateau schedule, on a secondary y axis
        self._insets()           # a zoomed inset of a phase too short to see, where no curve runs
        self._axis_labels()      # the x unit (and a shared y label) once, secondary step/epoch axis
        self._titles()           # over the figure, or over the user's axes unless it has one
        self._footnote()         # a new figure's last lines: its marks, check's findings, assumptions
        self._place_labels()     # last: value and milestone labels move once all else has its place
        return self.fig

    # --- phases ---------------------------------------------------------------------------------

    def _make_axes(self) -> None:
        if self.ax is not None:
            self.fig = self.ax.figure
            self.layout, self.panels, self.axes = layouts.into_axes(self.curves, self.ax, self.opts.layout)
        else:
            self.layout = layouts.resolve_layout(self.curves, self.opts.layout)
            self.panels = layouts.panels_of(self.curves, self.layout)
            self.fig, self.axes = layouts.new_figure(self.layout, self.panels, self.opts)
            if self.layout == "overlay" and len({s.field for s in self.curves.series()}) == 2 and not any(
                    "metric" in sc.meta for sc in self.curves.schedules):  # a metric has the right-hand axis
                # lr and momentum on one axis squashed the lr near 0: a twin y axis, as in the user's axes
                self.layout, self.panels, self.axes = layouts.into_axes(self.curves, self.axes[0], "overlay")
        self.twin = len(self.axes) == 2 and self.layout == "fields" and self.axes[1].get_gid() == "twin-y"

    def _pick_colors(self) -> None:
        import matplotlib

        self.cycle = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
        self.colors = {}
        for s in self.curves.series():
            key = self._color_key(s)
            if key not in self.colors:
                self.colors[key] = self.cycle[len(self.colors) % len(self.cycle)]

    def _set_x_range(self) -> None:
        opts = self.opts
        self.xs = {name: x_values(sc, opts.x) for name, sc in self.schedules.items()}
        x_max = max((float(x[-1]) for x in self.xs.values() if len(x)), default=1.0)
        x_min = min((float(x[0]) for x in self.xs.values() if len(x)), default=0.0)  # > 0: a resumed run
        self.x_range = x_padded(x_min, x_max, opts.x)
        if opts.xlim is not None:
            self.x_range = opts.xlim

    def _resolve_title(self) -> None:
        title = self.opts.title if self.opts.title is not None else self.curves.title
        if title is None and len(self.curves.schedules) == 1:
            title = self.curves.schedules[0].name
        self.title = short(title) if title else title

    def _draw_panels(self) -> None:
        self.ylabels = []
        self.merged = set()
        for n, (axis, (panel_title, series)) in enumerate(zip(self.axes, self.panels)):
            self._draw_panel(n, axis, panel_title, series)
        if self._shared_y():  # once every panel has its curves: a y axis fixed after the first panel cut
            for axis, (_, series) in zip(self.axes, self.panels):  # off a later panel's higher curves
                fields = {s.field for s in series}
                y_range(axis, [s for _, panel in self.panels for s in panel if s.field in fields], self.opts)

    def _legends(self) -> None:
        marks = mark_handles(self.axes, self.opts.jump_threshold) if self.ax is not None else None
        legends(self.fig, self.axes, self.layout, self.opts, self.twin, self.title, len(self.schedules) == 1,
                self.merged, marks, by_field=self.ax is None and layouts.field_columns(self.layout, self.panels) > 1)

    def _metrics(self) -> None:
        if self.ax is not None:  # the user's axes keep at most the one twin of a second field
            return
        for axis, (_, series) in zip(self.axes, self.panels):
            draw_metric(axis, series, self.schedules, self.opts.x)

    def _insets(self) -> None:
        self.inset_notes = []  # a short phase no inset could show without hiding a curve: said in the footnote
        if not self.opts.inset or self.opts.xlim is not None:
            return
        for n, (axis, (_, series)) in enumerate(zip(self.axes, self.panels)):
            if not (self.twin and n):
                draw_inset(axis, series, self.schedules, self.opts.x, self.inset_notes)

    def _axis_labels(self) -> None:
        axis_labels(self.fig, self.axes, "epoch" if self.opts.x == "epoch" else "step", self.ylabels,
                    self.layout in ("grid", "groups") and len(self.axes) > 1, self.twin)
        secondary_axis(self.axes[0], self.curves, self.opts)

    def _titles(self) -> None:
        titles(self.fig, self.ax, self.title)

    def _footnote(self) -> None:
        if self.ax is not None:  # the user's figure is theirs: nothing is written outside their axes
            return
        marks = caption(self.axes, self.opts.jump_threshold)
        hidden = log_hidden(self.curves) if self.opts.log_y else []
        footnote(self.fig, ([marks] if marks else []) + list(self.opts.notes) + log_assumed(self.curves) + hidden
                 + self.inset_notes)

    def _place_labels(self) -> None:
        own = self.ax is None  # the user's figure is theirs: nothing outside their axes
        clear = (lambda renderer: clear_of_curves(self.fig, self.axes, renderer)) if own and self.opts.legend else None
        place_labels(self.fig, self.axes, clear, own=own)

    # --- drawing one panel ----------------------------------------------------------------------

    def _draw_panel(self, n: int, axis: Axes, panel_title: str | None, series: list[Series]) -> None:
        opts = self.opts
        fields_here = {s.field for s in series}
        said: set[tuple[float, str]] = set()  # (x, number) already labelled in this panel
        axis.set_xlim(*self.x_range)
        axis.set_axisbelow(True)  # grid lines behind every line and band
        if opts.log_y:
            axis.set_yscale("log")
        number_ticks(axis, opts.log_y, steps=opts.x == "step")
        columns = max(int(axis.bbox.width), 100)  # one per pixel column of the axes
        drawn = same_curves(series, self.schedules, opts.x)
        for same in drawn:
            s = same[0]
            sc = self.schedules[s.schedule]
            color, linestyle, label = self._style(n, s, fields_here)
            if len(same) > 1:  # equal at every step: one line, named after all of them
                label = short(" = ".join(dict.fromkeys(self._style(n, o, fields_here)[2] for o in same)))
                self.merged.add(label)
            x = self.xs[s.schedule] if s.at is None else x_of(s.at, sc, opts.x)
            draw_series(axis, s, sc, x, self.x_range, columns, color, linestyle, label)
            if sc.style != "points":
                annotate(axis, s, sc, self.xs[s.schedule], color, opts, said, numbers=len(drawn) <= 2)
        if not (self.twin and n):
            events(axis, series, self.schedules, opts)
        spans(axis, series, self.schedules, opts)
        if not self._shared_y():  # a y axis shared by the panels of a field is set once all are drawn
            y_range(axis, [s for same in drawn for s in same[:1]], opts)
        names = {field_label(self.schedules[s.schedule], s.field) for s in series}
        ylabel = (FIELD_LABELS.get(next(iter(names)), next(iter(names))) if len(names) == 1 else "value") \
            if series else ""
        self.ylabels.append(ylabel)
        axis.set_ylabel(ylabel)
        if not series and self.layout in ("grid", "groups"):
            self._missing(n, axis)
        if panel_title and self.layout != "fields":
            columns_of = len(self.axes) if self.layout in ("grid", "groups") and len(self.axes) > 3 else 1
            axis.set_title(wrap(short(panel_title), self.fig, columns_of, "medium"),
                           fontsize="medium", fontweight="normal")

    # --- helpers --------------------------------------------------------------------------------

    def _missing(self, n: int, axis: Axes) -> None:
        """The note of panel ``n``, a field its row does not record (named as its column's panels name it)."""
        fields = layouts.column_fields(self.curves)
        field = fields[n % len(fields)]
        column = [s for _, series in self.panels[n % len(fields)::len(fields)] for s in series]
        name = field_label(self.schedules[column[0].schedule], field) if column else field
        schedule = self.curves.schedules[n // len(fields)].name if self.layout == "grid" else None
        layouts.missing_note(axis, FIELD_LABELS.get(name, name), schedule)

    def _shared_y(self) -> bool:
        return self.ax is None and self.layout in ("grid", "groups") and len(self.axes) > 1

    def _color_key(self, s: Series) -> tuple[str, int]:
        return (s.schedule, s.group) if not self.multi_schedule else (s.schedule, 0)

    def _style(self, n: int, s: Series, fields_here: set[str]) -> tuple[Any, str, str]:
        """Colour, line style and legend label of ``s`` in panel ``n``."""
        layout, key = self.layout, self._color_key(s)
        color = self.colors[key]
        if self.twin and n:  # the twin axis's field: the next colour after the schedules'
            color = self.cycle[(len(self.colors) + n - 1) % len(self.cycle)]
        linestyle = LINESTYLES[s.group % len(LINESTYLES)] if self.multi_schedule and self.multi_group else "-"
        if linestyle == "-":  # more curves than colours: each round of the colours in its own line style
            linestyle = LINESTYLES[list(self.colors).index(key) // len(self.cycle) % len(LINESTYLES)]
        if len(fields_here) > 1 and layout != "fields":  # a line style per field, and per group of one colour
            groups = sorted({t.group for t in self.panels[n][1] if self._color_key(t) == key})
            linestyle = LINESTYLES[(sorted(fields_here).index(s.field) * len(groups) + groups.index(s.group))
                                   % len(LINESTYLES)]
        show_schedule = self.multi_schedule and layout != "grid"
        label = series_label(s, show_schedule or (not self.multi_group and len(fields_here) == 1
                                                  and layout == "overlay"),
                             self.multi_group and layout != "groups", len(fields_here) > 1 or self.twin)
        return color, linestyle, shown_label(label, s, self.curves, len(fields_here) > 1 or self.twin)


# --- entry points --------------------------------------------------------------------------------

def render(curves: Curves, ax: Axes | None = None, options: RenderOptions | None = None,
           **overrides: Any) -> Figure:
    """Draw ``curves`` and return the Figure. With ``ax``, draw everything into that one Axes
    (overlaid; a second field on a twin y axis; ``grid`` and ``groups`` are refused) and return its
    figure; otherwise build a new Figure with the layout's panels.
    Keyword arguments override fields of ``options`` (e.g. ``render(curves, log_y=True)``)."""
    with _themed(curves, (options or RenderOptions()).replace(**overrides), own=ax is None) as opts:
        return Plotter(curves, opts, ax).plot()


def render_to_file(curves: Curves, path: str | Path, options: RenderOptions | None = None) -> Path:
    """Render and save in one go, with the theme applied to both."""
    with _themed(curves, options or RenderOptions()) as opts:
        return save_figure(_settled(Plotter(curves, opts).plot()), path, dpi=opts.dpi)


def render_to_bytes(curves: Curves, fmt: str, options: RenderOptions | None = None) -> bytes:
    """Render into memory (a run writes all its outputs only once every one is ready)."""
    buffer = io.BytesIO()
    render_to_stream(curves, buffer, fmt, options)
    return buffer.getvalue()


def render_themed(curves: Curves, figures: list[tuple[str, str]], options: RenderOptions) -> dict[tuple[str, str], bytes]:
    """Each (theme, format) of ``figures`` in memory, each theme's figure drawn once and written in
    each of its formats: the same bytes as one :func:`render_to_bytes` per figure (saving a settled
    figure leaves it as it was), for a fraction of the time (drawing and placing the labels is most
    of a figure's cost)."""
    blobs: dict[tuple[str, str], bytes] = {}
    for theme in dict.fromkeys(theme for theme, _ in figures):
        with _themed(curves, options.replace(theme=theme)) as opts:
            fig = _settled(Plotter(curves, opts).plot())
            for fmt in dict.fromkeys(fmt for t, fmt in figures if t == theme):
                buffer = io.BytesIO()
                write_figure(fig, buffer, fmt, dpi=opts.dpi)
                blobs[theme, fmt] = buffer.getvalue()
    return blobs


def render_to_stream(curves: Curves, fh: IO[bytes], fmt: str, options: RenderOptions | None = None) -> None:
    """Render and write to a binary stream (``-o -``)."""
    with _themed(curves, options or RenderOptions()) as opts:
        write_figure(_settled(Plotter(curves, opts).plot()), fh, fmt, dpi=opts.dpi)


@contextmanager
def _themed(curves: Curves, opts: RenderOptions, own: bool = True) -> Iterator[RenderOptions]:
    """Check the options against the curves, then apply the theme while drawing (and saving): over
    matplotlib's defaults in a figure of lrplot's ``own``, over the session's settings in the user's."""
    check_curves(curves, opts)
    with styled(opts.theme, defaults=own):
        yield opts


def _settled(fig: Any) -> Any:
    """A figure lrplot drew only to save it at once: its layout was settled while the labels
    were placed, so freeze it there. savefig then draws once instead of running constrained
    layout twice more (a dry run and the real draw): about half of the time a figure costs.
    The engine is removed, not left as matplotlib's ``"none"`` placeholder: savefig still makes
    a dry draw (every artist walked, nothing painted) for a figure with any engine, placeholder
    included, to let a layout run first; with none to run it draws only what it writes. The rc
    settings that would give the figure a new engine are off for that one call (a style may set them).
    (A Figure returned by :func:`render` keeps its layout engine: its owner may still change it.)"""
    import matplotlib

    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)
    return fig
