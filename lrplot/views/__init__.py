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
# the plot command's flag of each look option (RenderOptions field)
LOOK_FLAGS = {"layout": "--layout", "x": "--x", "log_y": "--log-y", "title": "--title", "size": "--size",
              "dpi": "--dpi", "legend": "--no-legend", "annotate": "--annotate", "xlim": "--xlim", "ylim": "--ylim",
              "inset": "--no-inset"}
_NOT_DRAWN = {"layout": (LOOK_FLAGS["layout"], "it overlays every curve in one chart"),
              "x": (LOOK_FLAGS["x"], "its x axis counts steps"),
              "xlim": (LOOK_FLAGS["xlim"], "it shows the whole run"),
              "ylim": (LOOK_FLAGS["ylim"], "its y range fits the curves"),
              "legend": (LOOK_FLAGS["legend"], "it always names the curves"),
              "annotate": (LOOK_FLAGS["annotate"], "it draws no marks"),
              "size": (LOOK_FLAGS["size"], "it takes the size of the window or terminal"),
              "dpi": (LOOK_FLAGS["dpi"], "it takes the size of the window or terminal")}


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


def check_targets_drawn(formats: list[str], options: "RenderOptions", theme: str, style: str | None, how: str) -> None:
    """:func:`check_options_drawn` for each target's format; with none (``how``: ``--no-figure`` or
    ``-o none``), :func:`check_nothing_drawn`."""
    for fmt in formats:
        check_options_drawn(fmt, options)
    if not formats:
        check_nothing_drawn(options, theme, style, how)


def check_nothing_drawn(options: "RenderOptions", theme: str, style: str | None, how: str) -> None:
    """Refuse, before any work, a look option of a run that draws no figure (``how``: ``--no-figure``
    or ``-o none``): ``--theme both`` was accepted and nothing written, as if the option did something."""
    from ..errors import UsageError
    from ..figure.options import RenderOptions

    default = RenderOptions()
    given = [f"--theme {theme}"] if theme != default.theme else []
    given += [f"--style {style}"] if style is not None else []
    given += [flag for name, flag in LOOK_FLAGS.items() if getattr(options, name) != getattr(default, name)]
    if given:
        raise UsageError(f"{given[0]} changes the figure, but no figure is drawn ({how})",
                         hint=f"leave {given[0].split()[0]} out, or drop {how} to draw one")


__all__ = ["LOOK_FLAGS", "VIEW_FORMATS", "check_nothing_drawn", "check_options_drawn", "check_targets_drawn", "not_drawn", "render_view"]
