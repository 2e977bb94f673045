"""Panels and axes: which series share a panel, and the new Figure or the user's Axes that holds them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..curves import Curves, Series
from ..errors import UsageError
from .notebook import figure_class

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .options import RenderOptions

Panels = list[tuple[str | None, list[Series]]]


def resolve_layout(curves: Curves, layout: str) -> str:
    """``auto``: one panel per field when there are several fields, else one panel for all."""
    if layout == "auto":
        fields = {f for s in curves.schedules for f in s.fields}
        return "fields" if len(fields) > 1 else "overlay"
    return layout


def panels_of(curves: Curves, layout: str) -> Panels:
    """(panel title, its series) for each panel of ``layout``. A grid or groups layout of several
    fields has a column per field (:func:`field_columns`): lr and momentum in one panel squashed the
    lr near 0 on the momentum's scale."""
    series = list(curves.series())
    fields = column_fields(curves)
    if layout == "overlay":
        return [(None, series)]
    if layout == "fields":
        return [(f, [s for s in series if s.field == f]) for f in fields]
    if layout == "grid":
        panels = [(s.name, list(s.series())) for s in curves.schedules]
    else:  # groups: one panel per group index
        count = max(len(s.groups) for s in curves.schedules)
        panels = []
        for g in range(count):
            # an unnamed group is called by its index ("0"): "group 0: 0" said it twice
            names = dict.fromkeys(s.groups[g] for s in curves.schedules if g < len(s.groups) and s.groups[g] != str(g))
            title = f"group {g}: {' / '.join(names)}" if names else f"group {g}"
            panels.append((title, [s for s in series if s.group == g]))
    if len(fields) < 2:
        return panels
    return [(title, [s for s in panel if s.field == f]) for title, panel in panels for f in fields]


def column_fields(curves: Curves) -> list[str]:
    """Every field the curves record, in the order of the columns of a grid or groups layout."""
    return list(dict.fromkeys(s.field for s in curves.series()))


def missing_note(axis: Axes, field: str, schedule: str | None) -> None:
    """Say in ``axis`` why it has no curve: the panel of a field that ``schedule`` (a grid's row)
    or no schedule (a groups row) records. A blank hole in the grid looked like a curve that failed
    to draw; and the axes stays, with its x numbers, which a lowest-row panel holds for its column.
    (Asking for a field the optimizer has none of is refused when the spec is read: a field is
    missing here because it was not asked for, whatever the optimizer.)"""
    from .options import short

    text = (f"no {field}: '{short(schedule)}' does not record it" if schedule is not None
            else f"no {field}: no schedule records it for this group")
    note = axis.text(0.5, 0.5, text, transform=axis.transAxes, ha="center", va="center", fontsize="small",
                     alpha=0.85)
    note.set_in_layout(False)  # in its axes: lines broken to the panel's width once laid out (place_labels)
    note.set_gid("missing-field")
    axis.tick_params(axis="y", left=False, labelleft=False)  # the column's numbers, for no curve here
    axis.yaxis.grid(False)


def field_columns(layout: str, panels: Panels) -> int:
    """How many columns of fields a grid or groups layout has (1: one field, panels as they come)."""
    if layout not in ("grid", "groups"):
        return 1
    return len(dict.fromkeys(s.field for _, series in panels for s in series))


def check_ax_layout(layout: str) -> None:
    """Refuse a layout of several panels (``grid``, ``groups``) for a drawing into one Axes, rather
    than silently overlaying the curves."""
    if layout in ("grid", "groups"):
        raise UsageError(f"layout '{layout}' draws one panel per {'schedule' if layout == 'grid' else 'param group'}"
                         ", and render(ax=...) draws into one Axes",
                         hint="leave ax out for the panels, or leave layout out to overlay the curves in ax")


def into_axes(curves: Curves, ax: Axes, layout: str) -> tuple[str, Panels, list[Axes]]:
    """The layout, panels and axes of a drawing into the user's ``ax``: one panel, with a twin y
    axis for a second field (each field keeps its own y scale)."""
    check_ax_layout(layout)
    fields = list(dict.fromkeys(s.field for s in curves.series()))
    if len(fields) > 2:
        raise UsageError(f"render(ax=...) draws at most two fields (on twin y axes), these curves have "
                         f"{len(fields)}: {', '.join(fields)}", hint="leave ax out: each field gets its own axes")
    if len(fields) < 2:
        return "overlay", panels_of(curves, "overlay"), [ax]
    twin = ax.twinx()
    twin.set_gid("twin-y")
    twin.grid(False)  # the lr axis's grid is the grid: the twin's own lines would cut across the lr curve
    return "fields", panels_of(curves, "fields"), [ax, twin]


def new_figure(layout: str, panels: Panels, opts: RenderOptions) -> tuple[Any, list[Axes]]:
    """A new figure with one axes per panel (two columns beyond three grid or group panels; a column
    per field, each with its own y axis, when there are several)."""
    rows, cols = len(panels), field_columns(layout, panels)
    if cols > 1:
        rows = len(panels) // cols
    elif layout in ("grid", "groups") and len(panels) > 3:
        cols = 2
        rows = math.ceil(len(panels) / cols)
    width, height = opts.size
    fig = figure_class()(figsize=(width, height * (1 if rows == 1 else max(0.55 * rows, 1.0))),
                         dpi=opts.dpi, layout="constrained")
    fig.lrplot_theme = opts.theme
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)  # a renderer to measure text with (place_labels), and the canvas savefig uses
    share_y: bool | str = layout in ("grid", "groups") and ("col" if field_columns(layout, panels) > 1 else True)
    grid = fig.subplots(rows, cols, sharex=True, sharey=share_y, squeeze=False)
    axes = list(grid.ravel())
    for extra in axes[len(panels):]:
        extra.set_visible(False)
    return fig, axes[: len(panels)]
