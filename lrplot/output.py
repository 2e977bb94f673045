"""Writing output files atomically: a temporary file in the target folder, then a rename.

An interrupted or failed run never leaves a truncated file, and never replaces a good file with
a broken one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Callable

from .errors import OutputError, UsageError

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
DATA_SUFFIXES = (".csv", ".json")


def check_target(path: Path, suffixes: tuple[str, ...], what: str, protected: tuple[Path, ...] = ()) -> None:
    """Refuse an output path lrplot cannot or must not write, before any work is done."""
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{path}: unknown {what} format '{path.suffix or '(none)'}'",
                         hint=f"use one of {', '.join(suffixes)}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{path}: the folder {folder} does not exist", hint="create it first")
    if path.is_dir():
        raise OutputError(f"{path}: is a directory")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{path}: the folder {folder} is not writable")
    resolved = path.resolve()
    for other in protected:
        if other.resolve() == resolved:
            raise UsageError(f"{path}: refusing to overwrite an input file", hint="choose another output name")


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(fh)`` on a temporary file beside ``path``, then rename it over ``path``."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))
