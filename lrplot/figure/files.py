"""Saving: a Figure written as PNG, SVG or PDF, atomically, with the same bytes on every run."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING

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
    with matplotlib.rc_context(_SAVE_RC):
        fig.savefig(fh, format=fmt, dpi=dpi or fig.dpi, metadata=_METADATA[f".{fmt}"])


def save_figure(fig: Figure, path: str | Path, *, dpi: int | None = None) -> Path:
    """Save ``fig`` to ``path`` (format from the suffix) atomically and deterministically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FIGURE_SUFFIXES:
        raise UsageError(f"{path}: unknown figure format '{path.suffix or '(none)'}'",
                         hint=f"use one of {', '.join(FIGURE_SUFFIXES)}")
    write_atomic(path, lambda fh: write_figure(fig, fh, suffix[1:], dpi=dpi))
    return path
