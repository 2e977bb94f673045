"""Saving: a Figure written as PNG, SVG or PDF, atomically, with the same bytes on every run."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable

from ..errors import UsageError
from ..output import FIGURE_SUFFIXES, write_atomic
from .options import check_raster

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

# no date, id or software stamp in any format
_METADATA = {
    ".png": {"Software": None},
    ".svg": {"Date": None, "Creator": None},
    ".pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}
_SAVE_RC = {"svg.hashsalt": "lrplot", "path.simplify": False, "svg.fonttype": "path", "pdf.fonttype": 42}


def write_figure(fig: Figure, fh: IO[bytes], fmt: str, *, dpi: int | None = None) -> None:
    """Write ``fig`` as ``fmt`` (png, svg, pdf) to a binary stream, with no date, id or software
    stamp, so the bytes are the same on every run."""
    import matplotlib

    width, height = fig.get_size_inches()
    check_raster((float(width), float(height)), dpi or fig.dpi, fmt)
    laid_out = _layout_state(fig) if fig.get_layout_engine() is not None else None
    try:
        with matplotlib.rc_context(_SAVE_RC):
            fig.savefig(fh, format=fmt, dpi=dpi or fig.dpi, metadata=_METADATA[f".{fmt}"])
    finally:
        if laid_out is not None:
            laid_out()


def _layout_state(fig: Figure) -> Callable[[], None]:
    """What a layout engine moves when a figure is saved (each axes' position, the figure's super
    title and labels), and a function that puts it back. Constrained layout runs again at every save
    (at the saving renderer's dpi: 72 for SVG and PDF) from where the last left the axes, and moves
    them by up to 1e-4 px: the same figure saved twice, or shown in a notebook and then saved, gave
    other SVG and PDF bytes. Put back after each save, every save starts from the layout lrplot left,
    and later changes of the figure's owner are still laid out. (``Axes._set_position``: the public
    ``set_position`` also takes the axes out of the layout; tests/test_figure_files.py checks both.)"""
    axes = [(ax, ax.get_position(original=True).frozen(), ax.get_position().frozen()) for ax in fig.get_axes()]
    texts = [(t, t.get_position()) for t in (getattr(fig, n, None) for n in ("_suptitle", "_supxlabel", "_supylabel"))
             if t is not None]

    def put_back() -> None:
        for ax, original, active in axes:
            ax._set_position(original, which="original")
            ax._set_position(active, which="active")
        for text, xy in texts:
            text.set_position(xy)
    return put_back


def save_figure(fig: Figure, path: str | Path, *, dpi: int | None = None) -> Path:
    """Save ``fig`` to ``path`` (format from the suffix) atomically and deterministically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FIGURE_SUFFIXES:
        raise UsageError(f"{path}: unknown figure format '{path.suffix or '(none)'}'",
                         hint=f"use one of {', '.join(FIGURE_SUFFIXES)}")
    write_atomic(path, lambda fh: write_figure(fig, fh, suffix[1:], dpi=dpi))
    return path
