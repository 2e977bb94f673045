"""The lines under a figure: what its marks mean, what ``lrplot check`` found, what a reader assumed."""

from __future__ import annotations

from typing import Any, Sequence

from .legend import wrap

# what each kind of mark means, in the order the caption says them (gid prefix -> words)
MARKS = (
    (("peak:", "final:"), "\u25cf peak and final value"),
    (("drops:",), "\u25bc drop of more than {threshold} of the peak in one update"),
    (("rises:",), "\u25b2 rise of more than {threshold}"),
    (("diverges:",), "red band: where the log leaves the plan"),
)


def caption(axes: Sequence[Any], threshold: float) -> str | None:
    """One line naming the marks drawn on ``axes`` (dots, triangles, shaded spans), or None."""
    gids = [a.get_gid() or "" for ax in axes for a in (*ax.get_lines(), *ax.patches, *ax.collections)]
    said = [words.format(threshold=f"{threshold:.0%}") for prefixes, words in MARKS
            if any(g.startswith(prefixes) for g in gids)]
    return "   ".join(said) if said else None


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
