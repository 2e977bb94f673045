"""lrplot: see exactly what a PyTorch learning-rate schedule does before training.

The library API (each imported on first use, so ``import lrplot`` stays cheap)::

    import lrplot
    fig = lrplot.plot("configs/cosine.yaml", log_y=True)   # one call: load, simulate, draw
    spec = lrplot.load_spec("configs/cosine.yaml")   # a spec, or any training config lrplot reads
    curves = lrplot.simulate(spec)          # torch runs here
    fig = lrplot.render(curves)             # a matplotlib Figure; pass ax=... to draw into yours
    rows = curves.to_records()              # or curves.to_pandas(): a tidy table
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

_API = {
    "plot": "lrplot.api",
    "load_spec": "lrplot.pipeline",
    "parse_spec": "lrplot.spec",
    "Spec": "lrplot.spec",
    "simulate": "lrplot.engine",
    "Curves": "lrplot.curves",
    "render": "lrplot.figure",
    "save_figure": "lrplot.figure",
    "RenderOptions": "lrplot.figure",
    "LrplotError": "lrplot.errors",
    "SpecError": "lrplot.errors",
    "LrplotWarning": "lrplot.errors",
}

__all__ = ["__version__", *_API]

if TYPE_CHECKING:  # pragma: no cover
    from .curves import Curves
    from .errors import LrplotError, LrplotWarning, SpecError
    from .figure import RenderOptions, render, save_figure
    from .engine import simulate
    from .pipeline import load_spec
    from .spec import Spec, parse_spec
    from .api import plot


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'lrplot' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
