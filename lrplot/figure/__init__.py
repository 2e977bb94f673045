"""Curves -> matplotlib Figure -> PNG/SVG/PDF. Never simulates.

Figures are built with matplotlib's object API (``matplotlib.figure.Figure``), never pyplot
state, so rendering is safe in notebooks, doc builds and threads. Long curves are reduced to a
per-pixel-column envelope (first, min, max, last of each column) aligned to the axes' pixels:
no peak or trough is lost, and a 1,000,000-step curve draws as fast and as small as a short one.
Saved files are byte-identical run to run (no dates, ids or software stamps).

The modules, each importing only those before it: ``themes`` (styles applied while drawing),
``options`` (RenderOptions and the checks before drawing), ``ticks`` (number formats), ``files``
(deterministic saving), ``notebook`` (the Figure that displays itself), ``layout`` (panels and
axes), ``series`` (one curve, and which curves are equal), ``marks`` (peak, final, jumps,
milestones, divergence), ``labels`` (label placement), ``legend`` (legends, titles, axis labels),
``footnote`` (the caption of the marks, check's findings, the readers' assumptions), ``inset``
(a zoomed inset of a short phase), and ``plotter`` (the phases of a drawing, in order, and the
render entry points). matplotlib is imported only inside
functions: importing this package costs numpy alone.
"""

from __future__ import annotations

from .files import save_figure, write_figure
from .labels import place_labels
from .layout import check_ax_layout
from .notebook import figure_bytes, figure_class
from .options import (ANNOTATIONS, LAYOUTS, MAX_PIXELS, MAX_TEXT, RenderOptions, check_option_names,
                      check_raster, parse_annotate, parse_size)
from .plotter import Plotter, render, render_themed, render_to_bytes, render_to_file, render_to_stream
from .series import FIELD_LABELS, MAX_DRAWABLE, column_envelope
from .themes import STYLES_DIR, THEMES, style_path, styled
from .ticks import format_number, format_steps

__all__ = [
    "ANNOTATIONS", "FIELD_LABELS", "LAYOUTS", "MAX_DRAWABLE", "MAX_PIXELS", "MAX_TEXT", "STYLES_DIR", "THEMES",
    "Plotter", "RenderOptions", "check_ax_layout", "check_option_names", "check_raster", "column_envelope",
    "figure_bytes", "figure_class", "format_number", "format_steps", "parse_annotate", "parse_size", "place_labels",
    "render", "render_themed", "render_to_bytes", "render_to_file", "render_to_stream", "save_figure", "style_path", "styled",
    "write_figure"
]
