"""Label placement: lrplot's value and milestone labels overlap no other label or legend, and stay in their axes."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

_MOVABLE = ("event-label", "peak-label", "final-label")


def _overlaps(a: Any, b: Any, pad: float = 1.0) -> bool:
    return a.x0 < b.x1 + pad and b.x0 < a.x1 + pad and a.y0 < b.y1 + pad and b.y0 < a.y1 + pad


def _inside(a: Any, box: Any, margin: float = 2.0) -> bool:
    """``a`` inside ``box`` and ``margin`` pixels clear of its edges: a label never sits on a spine."""
    return (a.x0 >= box.x0 + margin and a.x1 <= box.x1 - margin and a.y0 >= box.y0 + margin
            and a.y1 <= box.y1 - margin)


def _execute(engine: Any, fig: Any) -> None:
    """Run the layout (twice: the second pass sees the first's sizes); a figure too small for its
    text is refused, where matplotlib would only warn and draw the title and labels over the curves."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="constrained_layout not applied", category=UserWarning)
        try:
            engine.execute(fig)
            engine.execute(fig)
        except UserWarning:
            raise _too_small(fig) from None


def _squashed(axis: Any) -> bool:
    """A panel the layout left shorter than three of its y numbers: no two ticks fit apart (a 4x3
    grid of three rows; a legend moved under its panel, which took the room)."""
    from matplotlib.font_manager import FontProperties

    labels = axis.yaxis.get_ticklabels()
    size = labels[0].get_fontsize() if labels else FontProperties(size=None).get_size_in_points()
    return axis.get_visible() and axis.bbox.height * 72 / axis.figure.dpi < 3 * size


def _too_small(fig: Any) -> Exception:
    from ..errors import UsageError

    import math

    width, height = fig.get_size_inches()  # a size larger than this one, not one it may already exceed
    return UsageError("the figure is too small at this --size for its title, labels and legend: they would "
                      "be drawn over the curves", hint=f"give a larger --size, e.g. {max(4, math.ceil(width * 1.5))}"
                                                        f"x{max(3, math.ceil(height * 1.5))}")


def place_labels(fig: Any, axes: Sequence[Any], clear: Callable[[Any], bool] | None = None,
                 own: bool = False) -> None:
    """Move the labels lrplot adds (milestones, peak and final values) so that none overlaps
    another label or a legend and none leaves its axes: greedy, milestone labels first, each tries
    its usual place, then the other side, then nudges away from the line one text height at a
    time; a label with no free place is hidden (its marker stays, the summary has the number).
    ``clear(renderer)``, once the layout has placed the axes: moves a legend over curves out of
    them (True when it moved one, and the layout runs again to make room for it). ``own``: lrplot's
    figure, refused when the layout leaves a panel too short for its numbers (not a user's)."""
    engine = fig.get_layout_engine()
    if engine is not None:
        _execute(engine, fig)
    else:
        fig.draw_without_rendering()
    renderer = renderer_of(fig)
    if clear is not None and clear(renderer):
        if engine is not None:
            _execute(engine, fig)
        else:
            fig.draw_without_rendering()
    if own and engine is not None and any(_squashed(a) for a in axes):
        raise _too_small(fig)
    for axis in axes:
        legend = axis.get_legend()
        if legend is not None and legend.get_gid() != "legend-outside":  # "best" would move once labels move: pin it
            box = legend.get_window_extent(renderer).transformed(axis.transAxes.inverted())
            legend.set_loc((box.x0, box.y0))
    scale = 72.0 / fig.dpi  # display pixels -> points
    for axis in axes:
        frame = axis.get_window_extent(renderer)
        for note in (t for t in axis.texts if t.get_gid() == "missing-field"):
            _fit_lines(note, frame, renderer)
        taken = [lg.get_window_extent(renderer) for lg in (axis.get_legend(),) if lg is not None]
        taken += [c.get_tightbbox(renderer) for c in axis.child_axes if c.get_gid() == "inset"]
        lines = line_paths(axis)
        marks = _marks(axis)
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
                                                for p in lines)) and not _nearer_another(text, bb, marks):
                        box = bb
                        break
                if box is not None:
                    break
            if box is None:
                text.set_visible(False)
            else:
                taken.append(box)


def _marks(axis: Any) -> list[Any]:
    """The display points of the peak and final markers of ``axis``."""
    points = [axis.transData.transform(np.column_stack([ln.get_xdata(), ln.get_ydata()]))[0]
              for ln in axis.get_lines() if (ln.get_gid() or "").startswith(("peak:", "final:")) and len(ln.get_xdata())]
    return [p for p in points if np.isfinite(p).all()]


def _nearer_another(text: Any, box: Any, marks: list[Any]) -> bool:
    """A value label at ``box`` nearer another marker than its own: read as that marker's value
    ('0.01' beside the 0.1 peak of a small panel, pushed up past it by the curves)."""
    if not text.get_gid().startswith(("peak-label", "final-label")):
        return False
    own = text.axes.transData.transform(text.xy)

    def gap(p: Any) -> float:
        return float(np.hypot(max(box.x0 - p[0], 0.0, p[0] - box.x1), max(box.y0 - p[1], 0.0, p[1] - box.y1)))

    near = gap(own)
    return any(gap(p) < near for p in marks if np.hypot(*(p - own)) > 3)


def _fit_lines(text: Any, frame: Any, renderer: Any) -> None:
    """``text`` in as few lines as fit inside ``frame`` (display pixels), the lines about equally
    long; smaller, then only its first words (up to the colon), in a panel too small for it."""
    import textwrap

    words = " ".join(text.get_text().split())
    for size, said in (("small", words), ("x-small", words), ("x-small", words.split(":")[0])):
        text.set_fontsize(size)
        for lines in range(1, len(said.split()) + 1):
            chars = -(-len(said) // lines)
            while len(wrapped := textwrap.wrap(said, chars, break_on_hyphens=False)) > lines:
                chars += 1
            text.set_text("\n".join(wrapped))
            box = text.get_window_extent(renderer)
            if box.width <= frame.width * 0.9 and box.height <= frame.height * 0.9:
                return


def renderer_of(fig: Any) -> Any:
    """A renderer to measure text and legends with (the Agg canvas's; a bare Figure's own)."""
    canvas = fig.canvas
    return canvas.get_renderer() if hasattr(canvas, "get_renderer") else fig._get_renderer()


def line_paths(axis: Any) -> list:
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
