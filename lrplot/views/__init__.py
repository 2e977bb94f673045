"""Curves -> views that are not matplotlib figures: an interactive HTML page and terminal text.

They draw the same curves with the same RenderOptions (title, log y, theme colours) as the figures
(an option they do not draw is refused: :func:`check_options_drawn`), and are written by the same pipeline (atomically, or to standard output). Neither imports matplotlib.
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
    from ..figure.series import check_curves

    check_curves(curves, options)
    if fmt == "html":
        from .html import render_html

        return render_html(curves, options, theme)
    from .terminal import render_text

    return render_text(curves, options, colour=colour).encode("utf-8")


# what a page and terminal text draw as a figure does: the title, a log y axis, the theme's colours (and,
# under a page, a figure's notes); every other look option, and why it is not drawn there (no marks and
# no inset, so --annotate none and --no-inset are what they draw anyway)
_NOT_DRAWN = {"layout": ("--layout", "it overlays every curve in one chart"),
              "x": ("--x", "its x axis counts steps"),
              "xlim": ("--xlim", "it shows the whole run"),
              "ylim": ("--ylim", "its y range fits the curves"),
              "legend": ("--no-legend", "it always names the curves"),
              "annotate": ("--annotate", "it draws no marks"),
              "size": ("--size", "it takes the size of the window or terminal"),
              "dpi": ("--dpi", "it takes the size of the window or terminal")}


def not_drawn(fmt: str, options: "RenderOptions") -> tuple[str, str] | None:
    """The first option a page (``fmt`` html) or terminal text does not draw, as (flag, why), or None."""
    from ..figure.options import RenderOptions

    default = RenderOptions()
    for name, (flag, why) in _NOT_DRAWN.items():
        value = getattr(options, name)
        if value != getattr(default, name) and value not in ("overlay", frozenset()):
            return flag, why
    return None


def check_options_drawn(fmt: str, options: "RenderOptions") -> None:
    """Refuse, before any work, what a target in ``fmt`` cannot draw: a figure's pixels beyond the
    limit; for a page (``.html``) or terminal text, an option it does not draw, which would be
    silently ignored (``--xlim`` on a page that shows the whole run)."""
    from ..errors import UsageError
    from ..figure.options import check_raster

    if fmt not in VIEW_FORMATS:
        return check_raster(options.size, options.dpi, fmt)
    missing = not_drawn(fmt, options)
    if missing is not None:
        flag, why = missing
        where = "a page (.html)" if fmt == "html" else "terminal text (--format term)"
        raise UsageError(f"{flag} is not drawn in {where}: {why}",
                         hint=f"leave {flag} out, or write a figure: -o NAME.png, .svg or .pdf")
    return None


__all__ = ["VIEW_FORMATS", "check_options_drawn", "not_drawn", "render_view"]
