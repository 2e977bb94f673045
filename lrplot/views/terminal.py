"""Curves -> text for a terminal (``lrplot SPEC -o -`` on a terminal, ``--format term``).

Over SSH there is no image viewer. Each series is drawn in Unicode braille (a character cell holds
2 x 4 dots), one colour per series where colours are allowed (a terminal, no ``NO_COLOR``). Long
curves are reduced as the figures reduce them: every dot column covers a range of steps and draws
that range's minimum to maximum (the same per-column envelope as the PNG's), so no drop, spike or
cycle between two columns is lost. The y axis is linear from 0 (log with ``--log-y``); labels
name the top, middle and bottom values and the first and last step.
"""

from __future__ import annotations

import math
import os
import shutil
from typing import Any

import numpy as np

from ..curves import Curves
from ..figure.options import RenderOptions
from ..figure.ticks import format_number
from .naming import diverging, extent, named
from .palette import palette

_BRAILLE = 0x2800
# dot bit of (column in cell 0..1, row in cell 0..3)
_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def colours_allowed(stream: Any) -> bool:
    """ANSI colours on a terminal, unless NO_COLOR is set (https://no-color.org); FORCE_COLOR forces them."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def _ansi(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"\x1b[38;2;{r};{g};{b}m"


def _column_ranges(x: np.ndarray, y: np.ndarray, columns: int, x0: float, x1: float) -> list[tuple[int, float, float]]:
    """(column, min, max) of the finite values nearest each of ``columns`` dot columns. Not the
    figures' :func:`~lrplot.figure.series.column_envelope`: that one slices [x0, x1] into pixel-wide
    ranges, while a dot column stands for a point, so the first and last steps land on the edge
    columns under the axis labels 0 and n-1 (and unsorted points, a line's interpolated ones, are
    taken as they come)."""
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if not len(x):
        return []
    span = (x1 - x0) or 1.0
    col = np.minimum(((x - x0) / span * (columns - 1) + 0.5).astype(np.int64), columns - 1)
    order = np.argsort(col, kind="stable")
    col, y = col[order], y[order]
    starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
    lows, highs = np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)
    return [(int(c), float(lo), float(hi)) for c, lo, hi in zip(col[starts], lows, highs)]


def render_text(curves: Curves, options: RenderOptions, *, width: int | None = None, height: int | None = None,
                colour: bool = False) -> str:
    """The curves as braille text ``width`` characters wide (the terminal's, at most 160); a chart
    per field, each on its own scale, when there are several (lr and momentum on one 0..0.95 axis
    laid the lr flat along the bottom row)."""
    fields = list(dict.fromkeys(s.field for s in curves.series()))
    if len(fields) > 1:
        return _per_field(curves, fields, options, width, height, colour)
    cols = width or min(shutil.get_terminal_size((100, 30)).columns, 160)
    labelled = named(curves)
    parts = [s for s, _ in labelled]
    finite = [s.values[np.isfinite(s.values)] for s in parts]
    values = np.concatenate(finite) if finite else np.zeros(0)
    log = options.log_y and len(values) and (values > 0).all()
    if not len(values):
        return "lrplot: nothing finite to draw\n"
    top = float(values.max())
    # from 0 for an lr axis, as the figures' (a drop to 9e-4 from 1e-3 is a tenth, not the whole height);
    # another field's from its lowest value (momentum 0.85..0.95 on a 0..0.95 axis was one flat row)
    lr_only = all(s.field == "lr" for s in parts)
    bottom = float(values.min()) if log or not lr_only else min(0.0, float(values.min()))
    if top == bottom:
        top = bottom + (abs(bottom) or 1.0)
    labels = [format_number(v) for v in (top, (top + bottom) / 2 if not log else math.sqrt(top * bottom), bottom)]
    gutter = max(len(t) for t in labels) + 1
    plot_cols = max(cols - gutter - 1, 10)
    rows = height or 12
    dots_x, dots_y = plot_cols * 2, rows * 4
    start, n = extent(parts)
    x0, x1 = float(start), float(start + max(n - 1, 1))

    def to_row(v: float) -> int:
        if log:
            frac = (math.log(v) - math.log(bottom)) / ((math.log(top) - math.log(bottom)) or 1.0)
        else:
            frac = (v - bottom) / (top - bottom)
        return min(max(int(round((1 - frac) * (dots_y - 1))), 0), dots_y - 1)

    grid = [[0] * plot_cols for _ in range(rows)]
    owner: list[list[int]] = [[-1] * plot_cols for _ in range(rows)]
    traces = {sc.name: sc for sc in curves.schedules}
    for index, s in enumerate(parts):
        x, y = s.positions().astype(float), np.asarray(s.values, dtype=float)
        line = traces[s.schedule].style != "points"
        if line and len(x) < dots_x:  # fewer points than dot columns: the line between them, as a figure draws it
            ok = np.isfinite(y)
            grid_x = x0 + (x1 - x0) * np.arange(dots_x) / (dots_x - 1)
            inside = (grid_x >= x[ok].min()) & (grid_x <= x[ok].max()) if ok.any() else grid_x < x0
            x, y = np.r_[x, grid_x[inside]], np.r_[y, np.interp(grid_x[inside], x[ok], y[ok]) if ok.any() else []]
        previous = None
        for column, lo, hi in _column_ranges(x, y, dots_x, x0, x1):
            r_hi, r_lo = to_row(hi), to_row(lo)
            if line and previous is not None and previous[0] == column - 1:  # joined to the column before
                r_hi, r_lo = min(r_hi, previous[1] + 1), max(r_lo, previous[2] - 1)
            for r in range(r_hi, r_lo + 1):
                cell_r, cell_c = r // 4, column // 2
                grid[cell_r][cell_c] |= _BITS[column % 2][r % 4]
                owner[cell_r][cell_c] = index
            previous = (column, to_row(hi), to_row(lo))
    cycle = palette(options.theme).cycle
    reset = "\x1b[0m" if colour else ""
    lines = []
    title = options.title if options.title is not None else curves.title
    if title:
        lines.append(title)
    for r in range(rows):
        label = labels[0] if r == 0 else labels[1] if r == rows // 2 else labels[2] if r == rows - 1 else ""
        text, current = [], None
        for c in range(plot_cols):
            want = owner[r][c] if colour and grid[r][c] else None
            if want != current:  # one escape per run of one colour
                text.append(reset if want is None else _ansi(cycle[want % len(cycle)]))
                current = want
            text.append(chr(_BRAILLE + grid[r][c]) if grid[r][c] else " ")
        if current is not None:
            text.append(reset)
        lines.append(f"{label:>{gutter - 1}} \u2502{''.join(text)}".rstrip())
    lines.append(" " * gutter + "\u2514" + "\u2500" * plot_cols)
    if n > 1:
        first, last = str(start), f"{start + n - 1} steps"
        lines.append(" " * (gutter + 1) + first + last.rjust(plot_cols - len(first)))
    else:  # one update: its step, with its unit, under its one dot ("0 ... 0" said neither)
        lines.append(" " * (gutter + 1) + f"step {start}")
    if len(parts) > 1 or len({s.field for s in parts}) > 1:
        keys, shown = [""], 0  # the legend's keys, as many on a line as the width holds
        for index, (s, label) in enumerate(labelled):
            mark = f"{_ansi(cycle[index % len(cycle)])}\u2588{reset}" if colour else "-"
            if shown and shown + 3 + 2 + len(label) > cols - gutter - 1:
                keys, shown = [*keys, ""], 0
            keys[-1] += ("   " if shown else "") + f"{mark} {label}"
            shown += (3 if shown else 0) + 2 + len(label)
        lines.extend(" " * (gutter + 1) + line for line in keys)
        if not colour:
            lines.extend(_wrapped("(no colours here, so the curves look alike: FORCE_COLOR=1\u00a0colours\u00a0them)",
                                  gutter + 1, cols))  # the way out on one line
    from ..figure.footnote import log_assumed

    for line in (*log_assumed(curves), *diverging(curves)):  # as under a figure (which shades the diverging steps)
        lines.extend(_wrapped(line, gutter + 1, cols))
    if options.log_y and not log:  # a log axis cannot show 0 or below: say why this one is linear
        lines.extend(_wrapped("(--log-y: a curve reaches 0 or below, which a log axis cannot show, so this axis is "
                              "linear)", gutter + 1, cols))
    return "\n".join(lines) + "\n"


def _wrapped(text: str, indent: int, cols: int) -> list[str]:
    """``text`` under the chart, indented by ``indent``, in lines of at most ``cols`` characters (a line the
    terminal wrapped began at its left edge, under the axis labels)."""
    import textwrap

    return [" " * indent + line.replace("\u00a0", " ")  # a no-break space keeps words together
            for line in textwrap.wrap(text, max(cols - indent, 20), break_long_words=False, break_on_hyphens=False)]


def _per_field(curves: Curves, fields: list[str], options: RenderOptions, width: int | None, height: int | None,
               colour: bool) -> str:
    """The title, then for each field its name and its chart (of the schedules that record it)."""
    from dataclasses import replace

    from ..figure.series import axis_label

    title = options.title if options.title is not None else curves.title
    out = [f"{title}\n"] if title else []
    for f in fields:
        traces = tuple(replace(sc, fields=(f,), values={k: v for k, v in sc.values.items() if k[1] == f},
                               at=None if sc.at is None else {k: v for k, v in sc.at.items() if k[1] == f})
                       for sc in curves.schedules if f in sc.fields)
        out.append(f"{axis_label(f, traces)}\n")
        out.append(render_text(Curves(traces), options.replace(title=""), width=width, height=height or 8,
                               colour=colour))
    return "".join(out)
