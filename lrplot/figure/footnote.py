"""The lines under a figure: what its marks mean, what ``lrplot check`` found, what a reader assumed."""

from __future__ import annotations

from typing import Any, Sequence

from .legend import wrap

# what each kind of mark means, in the order the caption says them: gid prefixes, the symbol the
# caption shows it by (a legend draws the mark itself), the words, and the mark (a marker, or "band")
MARKS = (
    (("peak:", "final:"), "\u25cf", "peak and final value", "o"),
    (("drops:",), "\u25bc", "abrupt drop (more than {threshold} of the value in one update)", "v"),
    (("rises:",), "\u25b2", "abrupt rise after a fall", "^"),
    (("diverges:",), "red band:", "where the log leaves the plan", "band"),
)


def _marks_drawn(axes: Sequence[Any]) -> list[tuple[str, str, str]]:
    gids = [a.get_gid() or "" for ax in axes for a in (*ax.get_lines(), *ax.patches, *ax.collections)]
    return [(symbol, words, mark) for prefixes, symbol, words, mark in MARKS if any(g.startswith(prefixes) for g in gids)]


def caption(axes: Sequence[Any], threshold: float) -> str | None:
    """One line naming the marks drawn on ``axes`` (dots, triangles, shaded spans), or None."""
    said = [f"{symbol} {words.format(threshold=f'{threshold:.0%}')}" for symbol, words, _ in _marks_drawn(axes)]
    return "   ".join(said) if said else None


def mark_handles(axes: Sequence[Any], threshold: float) -> list[Any]:
    """Legend entries for the marks drawn on ``axes``, in a neutral colour (the caption's words, for
    a user's axes, where lrplot writes nothing outside them)."""
    import matplotlib
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    neutral = matplotlib.rcParams["text.color"]
    handles = []
    for _, words, mark in _marks_drawn(axes):
        label = words.format(threshold=f"{threshold:.0%}")
        handle = (Patch(color="tab:red", alpha=0.15, linewidth=0, label=label) if mark == "band" else
                  Line2D([], [], marker=mark, markersize=5 if mark != "o" else 3.5, color=neutral, linestyle="none",
                         label=label))
        handle.set_gid(f"mark-entry:{mark}")
        handles.append(handle)
    return handles


def footnote(fig: Any, lines: Sequence[str]) -> None:
    """``lines`` under the figure, small, left-aligned, each wrapped to the figure's width; the
    layout keeps every axes, label and title above them."""
    if not lines:
        return
    import matplotlib
    from matplotlib.font_manager import FontProperties

    size = "x-small"
    text = "\n".join(wrap(line, fig, 1, size) for line in lines)
    note = fig.text(0.01, 0.008, text, ha="left", va="bottom", fontsize=size, linespacing=1.3,
                    color=matplotlib.rcParams["text.color"], alpha=0.85, wrap=False)
    note.set_gid("footnote")
    note.set_in_layout(False)
    points = FontProperties(size=size).get_size_in_points()
    height = ((text.count("\n") + 1) * points * 1.3 + 6) / 72 / fig.get_figheight()
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, min(height, 0.5), 1, 1 - min(height, 0.5)))
        # constrained layout puts a figure-wide x label at the figure's bottom edge, whatever the rect
        # (on these lines): the unit goes under each panel of the lowest row instead
        for label in [t for t in fig.texts if t.get_gid() == "supxlabel"]:
            label.set_visible(False)
            label.set_in_layout(False)
            for ax in fig.axes:
                spec = ax.get_subplotspec()
                if spec is not None and spec.is_last_row() and ax.get_visible() and not ax.get_xlabel():
                    ax.set_xlabel(label.get_text(), fontsize=label.get_fontsize())


def log_hidden(curves: Any) -> list[str]:
    """A line per curve a log y axis cannot show all of: its values at or below 0 fall off the axis,
    a zero lr reading as merely small (a training log's points named as the legend names them)."""
    from .series import logged_name

    return [f"\u26a0 '{logged_name(curves[s.schedule], curves)}' {s.field} of group {s.group_name} is 0 or below at "
            f"{count} step(s), first at step {first}: not on this log axis; draw without --log-y to see it"
            for s, first, count in curves.nonpositive()]


def log_assumed(curves: Any) -> list[str]:
    """A line per training log whose points stand where lrplot assumed something no file or flag said (the
    samples per update of a log counted in samples, taken from its own step spacing; the writer's convention
    of a log that does not record it, taken as the one under which it follows the plan), named as the legend
    names them: the points move if the assumption is wrong."""
    from .series import logged_name

    lines = []
    for sc in curves.schedules:
        info = sc.meta.get("log") if sc.style == "points" else None
        if info is not None and getattr(info, "assumed", ""):
            lines.append(f"assumed: '{logged_name(sc, curves)}' {info.assumed}")
    return lines
