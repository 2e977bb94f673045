"""The words around the curves: legends, titles and axis labels, each said once where panels share it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .options import RenderOptions


def wrap(text: str, fig: Any, columns: int, size: Any, bold: bool = False) -> str:
    """``text`` broken into lines that fit the width of one of ``columns`` panels."""
    import textwrap

    from matplotlib.font_manager import FontProperties

    points = FontProperties(size=size).get_size_in_points()
    width_pt = fig.get_figwidth() * 72 / (2 if columns > 1 else 1) * 0.92
    chars = max(int(width_pt / (points * (0.62 if bold else 0.56))), 12)
    return "\n".join(textwrap.wrap(text, chars, break_on_hyphens=False)) if len(text) > chars else text


def legends(fig: Any, axes: list, layout: str, opts: RenderOptions, twin: bool, title: str | None,
            one_schedule: bool, merged: "set[str] | frozenset[str]" = frozenset(), marks: list | None = None,
            by_field: bool = False) -> None:
    """One legend per panel, or one for the figure when every panel would show the same entries
    (grid and groups layouts; ``by_field``: panels in columns of fields, one legend of every entry
    when each names one style), or none when a panel's only entry is its own title. A line that
    stands for several equal curves (``merged``: "decay = no_decay") always has its entry.
    ``marks``: entries for the marks (a user's axes, which get no caption line under them)."""
    marks = marks or []
    if not opts.legend:
        return
    import matplotlib
    from matplotlib.lines import Line2D

    def entries(a: Any) -> list:
        return [ln for ln in a.get_lines() if not ln.get_label().startswith("_")]

    if twin:  # on the twin, which is drawn over the user's axes: no curve of either runs over it
        handles = entries(axes[0]) + entries(axes[1]) + marks
        legend = axes[1].legend(handles, [h.get_label() for h in handles], loc="upper right")
        legend.set_loc(_clearest_corner(fig, axes, legend))
        return
    per_panel = [entries(a) for a in axes]
    if by_field:  # each column's panels show one field: its entries are those of every column together
        union: dict[str, Any] = {}
        for h in (h for hs in per_panel for h in hs):
            known = union.setdefault(h.get_label(), h)
            if (known.get_color(), known.get_linestyle()) != (h.get_color(), h.get_linestyle()):
                break
        else:
            if len(union) > 1:
                per_panel = [list(union.values())] * len(axes)
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
            # the figure's title is the legend's own title: matplotlib's layout keeps room over the panels
            # for the taller of a title and a legend at the top, not for both, and drew one over the other
            heading = wrap(title, fig, 1, matplotlib.rcParams["figure.titlesize"], bold=True) if title else None
            font = {"size": matplotlib.rcParams["figure.titlesize"], "weight": "bold"}
            legend = _fit_width(fig, lambda columns: fig.legend(
                handles, labels[0], loc="outside upper center", ncols=columns, title=heading,
                title_fontproperties=font), min(len(handles), 4))
            legend.set_gid("figure-legend")
            legend.get_title().set_gid("title")
            return
    for a, hs in zip(axes, per_panel):
        if marks:  # a user's axes: one panel, whose marks are named here or nowhere
            a.legend(handles=hs + marks, loc="best")
            continue
        if not hs:
            continue
        if len(hs) == 1 and hs[0].get_label() not in merged and (
                layout in ("grid", "groups", "fields") and len(axes) > 1 or hs[0].get_label() == title
                or one_schedule):
            continue
        if len(hs) > CROWDED and len(axes) == 1 and layout == "overlay":
            _beside(fig, hs)
            continue
        a.legend(loc="best")


def _fit_width(fig: Any, make: Any, columns: int, width: float | None = None) -> Any:
    """The legend ``make(columns)`` draws, in fewer columns until it fits the figure's width: entries
    in a row wider than a small figure ran off its edges ('onecycle · momentum' cut at 4x3). (A
    legend lays its entries out once, when it is made: one of fewer columns is a new legend.)"""
    from .labels import renderer_of

    legend = make(columns)
    room = fig.bbox.width * 0.98 if width is None else min(width, fig.bbox.width * 0.98)
    while columns > 1 and legend.get_window_extent(renderer_of(fig)).width > room:
        legend.remove()
        columns -= 1
        legend = make(columns)
    return legend


CROWDED = 8  # legend entries beyond which a legend inside the axes hides curves wherever it goes


def _beside(fig: Any, handles: list) -> None:
    """A legend of many entries beside the axes, not over the curves, in as many columns as the
    figure's height needs."""
    import math

    import matplotlib
    from matplotlib.font_manager import FontProperties

    points = FontProperties(size=matplotlib.rcParams["legend.fontsize"]).get_size_in_points()
    rows = max(int(fig.get_figheight() * 72 * 0.8 / (points * 1.7)), 1)
    legend = fig.legend(handles, [h.get_label() for h in handles], loc="outside right center",
                        ncols=math.ceil(len(handles) / rows))
    legend.set_gid("figure-legend")


def _clearest_corner(fig: Any, axes: list, legend: Any) -> str:
    """The place for ``legend`` that the curves of all ``axes`` cross least ("best" of one axes
    sees only its own lines)."""
    from .labels import line_paths, renderer_of

    renderer = renderer_of(fig)
    paths = [p for a in axes for p in line_paths(a)]
    best, fewest = "upper right", None
    for loc in ("upper right", "upper left", "lower left", "lower right", "center right", "center left",
                "upper center", "lower center", "center"):
        legend.set_loc(loc)
        box = legend.get_window_extent(renderer)
        crossed = sum(p.intersects_bbox(box, filled=False) for p in paths)
        if fewest is None or crossed < fewest:
            best, fewest = loc, crossed
        if crossed == 0:
            break
    return best


def clear_of_curves(fig: Any, axes: list, renderer: Any) -> bool:
    """Move each legend inside ``axes`` that covers a curve, or leaves its axes, out of them (True
    when one moved): matplotlib's "best" (and :func:`_clearest_corner`) take the place crossed
    least when no place is free, which is over the curves (two groups' lr and momentum on a twin
    axis), and a legend wider than a small panel hung over its tick labels. It goes under
    its panel's x numbers (a figure too small for it there is refused, as for a title that cannot fit)."""
    from .labels import line_paths

    moved = False
    for a in axes:
        legend = a.get_legend()
        if legend is None or not legend.get_visible() or legend.get_gid() == "legend-outside":
            continue
        box = legend.get_window_extent(renderer)
        frame = a.get_window_extent(renderer)
        paths = [p for b in axes if b.bbox.bounds == a.bbox.bounds for p in line_paths(b)]
        inside = frame.x0 - 0.5 <= box.x0 and box.x1 <= frame.x1 + 0.5 and frame.y0 - 0.5 <= box.y0 \
            and box.y1 <= frame.y1 + 0.5
        if inside and not any(p.intersects_bbox(box, filled=False) or box.contains(*p.vertices[0]) for p in paths):
            continue
        _below(fig, [b for b in axes if b.bbox.bounds == a.bbox.bounds], legend, renderer)
        moved = True
    return moved


def _below(fig: Any, axes: list, legend: Any, renderer: Any) -> None:
    """``legend`` of one of ``axes`` (a panel and its twin) anew under the panel's x numbers and
    unit, in as many columns as the panel's width holds. It stays the panel's legend (a figure's
    "outside" legend sits at the figure's bottom edge, over the footnote): the layout makes room
    for it under the panel."""
    from matplotlib.transforms import ScaledTranslation

    handles, labels = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
    legend.remove()
    host = axes[0]
    frame = host.get_window_extent(renderer)
    bottom = min(b.get_tightbbox(renderer).y0 for b in axes)
    drop = (frame.y0 - bottom) * 72 / fig.dpi + 4  # points under the axes
    anchor = host.transAxes + ScaledTranslation(0, -drop / 72, fig.dpi_scale_trans)
    below = _fit_width(fig, lambda columns: host.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0),
                                                        bbox_transform=anchor, ncols=columns), min(len(handles), 3),
                       width=max(frame.width, fig.bbox.width * 0.5))
    below.set_gid("legend-outside")


def axis_labels(fig: Any, axes: list[Axes], unit: str, ylabels: list[str], shared: bool, twin: bool) -> None:
    """The x unit under the lowest panel (``shared``: once under the figure, and the y label once
    beside it when every panel has the same one)."""
    import matplotlib

    if shared:  # the same words once, not on every panel
        fig.supxlabel(unit, fontsize=matplotlib.rcParams["axes.labelsize"]).set_gid("supxlabel")
        if len(set(ylabels)) == 1:
            for a in axes:
                a.set_ylabel("")
            fig.supylabel(ylabels[0], fontsize=matplotlib.rcParams["axes.labelsize"])
    else:
        (axes[0] if twin else axes[-1]).set_xlabel(unit)


def titles(fig: Any, ax: Axes | None, title: str | None) -> None:
    """The title over a new figure, or over the user's ``ax`` unless it has one already."""
    import matplotlib

    if title and ax is None and any(lg.get_gid() == "figure-legend" and lg.get_title().get_text()
                                    for lg in fig.legends):
        return  # the legend over the panels says it (see legends)
    if title and ax is None:
        fig.suptitle(wrap(title, fig, 1, matplotlib.rcParams["figure.titlesize"], bold=True), fontweight="bold")
    elif title and ax is not None and not ax.get_title():
        ax.set_title(wrap(title, fig, 1, matplotlib.rcParams["axes.titlesize"]))
