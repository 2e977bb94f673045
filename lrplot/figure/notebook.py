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
    """matplotlib's Figure plus rich display: in Jupyter a figure lrplot made shows itself (as
    PNG; SVG when the front end asks for ``image/svg+xml`` only), with no pyplot and no
    ``%matplotlib inline``. The bytes are those :func:`save_figure` writes, in the figure's theme.
    (Made on first use: matplotlib is imported lazily.)"""
    from matplotlib.figure import Figure

    class LrplotFigure(Figure):
        lrplot_theme: str = "light"

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


def figure_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """The bytes :func:`save_figure` would write for ``fig`` as ``fmt`` (png, svg, pdf)."""
    buf = io.BytesIO()
    with styled(getattr(fig, "lrplot_theme", "light")):
        write_figure(fig, buf, fmt)
    return buf.getvalue()
