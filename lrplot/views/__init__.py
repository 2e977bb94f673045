"""Curves -> views that are not matplotlib figures: an interactive HTML page and terminal text.

They draw the same curves with the same RenderOptions (title, log y, theme colours) as the figures,
and are written by the same pipeline (atomically, or to standard output). Neither imports matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..curves import Curves
    from ..figure.options import RenderOptions

VIEW_FORMATS = ("html", "term")


def render_view(curves: "Curves", fmt: str, options: "RenderOptions", theme: str, *, colour: bool = False) -> bytes:
    """``curves`` as an HTML page (``theme`` light, dark, or both: the viewer's colour scheme) or as
    terminal text (ANSI colours when ``colour``)."""
    from ..figure.options import check_curves

    check_curves(curves, options)
    if fmt == "html":
        from .html import render_html

        return render_html(curves, options, theme)
    from .terminal import render_text

    return render_text(curves, options, colour=colour).encode("utf-8")


__all__ = ["VIEW_FORMATS", "render_view"]
