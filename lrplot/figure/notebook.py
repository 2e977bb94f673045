"""The notebook figure: a matplotlib Figure that shows itself in Jupyter, as the bytes save_figure writes."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .files import write_figure
from .themes import styled

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

_DISPLAY_TYPES = {"image/png": "png", "image/svg+xml": "svg"}


@lru_cache(maxsize=None)
def figure_class() -> type:
    """matplotlib's Figure plus rich display: in Jupyter a figure lrplot made shows itself (as PNG;
    SVG when the notebook asks for it: ``InlineBackend.figure_formats``), with no pyplot and no
    ``%matplotlib inline``, and with them too (the inline backend's own rendering is not used). The
    bytes are those :func:`save_figure` writes, in the figure's theme. (Made on first use:
    matplotlib is imported lazily.)"""
    from matplotlib.figure import Figure

    class LrplotFigure(Figure):
        lrplot_theme: str = "light"

        def _ipython_display_(self) -> None:
            # IPython asks every _repr_*_ of an object beside its bundle (a PNG and an SVG drawn for each
            # display, the notebook showing the SVG), and a type formatter for Figure, which the inline
            # backend registers as soon as pyplot is used, wins over both (its own cropped PNG, not these
            # bytes): showing the bundle itself shows one image, the one save_figure writes
            from IPython.display import display

            display(self._repr_mimebundle_(include=asked_types()), raw=True)

        def _repr_png_(self) -> bytes:
            return figure_bytes(self, "png")

        def _repr_svg_(self) -> str:
            return figure_bytes(self, "svg").decode("utf-8")

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
            wanted = [m for m in (include or ("image/png",)) if m in _DISPLAY_TYPES] or ["image/png"]
            wanted = [m for m in wanted if not exclude or m not in exclude]
            out: dict[str, Any] = {"text/plain": repr(self)}
            for mime in wanted:
                data = figure_bytes(self, _DISPLAY_TYPES[mime])
                out[mime] = data.decode("utf-8") if mime == "image/svg+xml" else data
            return out

    return LrplotFigure


def asked_types() -> list[str]:
    """The image types a notebook asks figures for: ``%config InlineBackend.figure_formats = ['svg']``
    (matplotlib-inline's setting, read where it is set up), else PNG."""
    import sys

    config = sys.modules.get("matplotlib_inline.config")
    backend = getattr(config, "InlineBackend", None)
    formats = backend.instance().figure_formats if backend is not None and backend.initialized() else ("png",)
    wanted = {"png": "image/png", "retina": "image/png", "png2x": "image/png", "svg": "image/svg+xml"}
    return list(dict.fromkeys(wanted[f] for f in formats if f in wanted)) or ["image/png"]


def figure_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """The bytes :func:`save_figure` would write for ``fig`` as ``fmt`` (png, svg, pdf)."""
    buf = io.BytesIO()
    with styled(getattr(fig, "lrplot_theme", "light")):
        write_figure(fig, buf, fmt)
    return buf.getvalue()
