"""The files this run read: each reader records a file as it opens it; no output may replace one.

One list, filled where files are read (the bounded reader :func:`lrplot.spec.read_input` records
every spec, config, metric CSV and log it opens; the TensorBoard reader its event files; and where a
framework reads files itself (Hydra its group files, MMEngine ``_base_`` files, Python a local
module and what it imports), :func:`recording` records every file opened for reading meanwhile,
through Python's ``open`` audit event) and
consulted where files are written (:class:`lrplot.output.Staged`, through which every output goes,
and the early checks before any work). A file is known by its identity (device and inode, so a
hard link or a symbolic link to it is the same file) and by its resolved path (so a file replaced
under the same name since it was read is still refused).

The list lives as long as the process: a command-line run is one process; a library user (a
notebook, a doc build) only ever gains refusals of outputs over files it read, never loses one.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

# (st_dev, st_ino) -> (mtime_ns, size, what); resolved path -> what
_BY_ID: dict[tuple[int, int], tuple[int, int, str]] = {}
_BY_PATH: dict[str, str] = {}


def _resolved(path: str | Path) -> str | None:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return None


def record(path: str | Path, what: str, info: os.stat_result | None = None) -> None:
    """Remember that the run read ``path`` (``what``: "the training log", "a spec file", ...).
    ``info``: the ``fstat`` of the open file, when the reader has it."""
    if info is None:
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            info = None
    if info is not None:
        _BY_ID.setdefault((info.st_dev, info.st_ino), (info.st_mtime_ns, info.st_size, what))
    resolved = _resolved(path)
    if resolved is not None:
        _BY_PATH.setdefault(resolved, what)


def read_as(path: str | Path) -> str | None:
    """What ``path`` was read as in this run (through symlinks, ``..`` and hard links), or None."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        info = None
    if info is not None:
        found = _BY_ID.get((info.st_dev, info.st_ino))
        # the same inode, unchanged: not a number the system reused for a file made since
        if found is not None and found[:2] == (info.st_mtime_ns, info.st_size):
            return found[2]
    resolved = _resolved(path)
    return _BY_PATH.get(resolved) if resolved is not None else None


def forget() -> None:
    """Start a new list (a long-lived process between independent runs; tests)."""
    _BY_ID.clear()
    _BY_PATH.clear()


_recording: list[str] = []  # what the files opened now are (innermost last); empty: not recording
_hooked = False


def _on_audit(event: str, args: tuple[Any, ...]) -> None:
    if not _recording or event != "open":
        return
    path, mode, flags = args
    if not isinstance(path, (str, bytes, os.PathLike)):
        return  # a descriptor
    reading = ("r" in mode and "+" not in mode) if isinstance(mode, str) else (flags & os.O_ACCMODE) == os.O_RDONLY
    if reading:
        record(os.fsdecode(path), _recording[-1])  # opens nothing itself (stat, realpath)


@contextmanager
def recording(what: str) -> Iterator[None]:
    """Record every file opened for reading in this block (a framework reading a config's files
    itself) as ``what``."""
    global _hooked
    if not _hooked:
        sys.addaudithook(_on_audit)  # cannot be removed: it does nothing outside this block
        _hooked = True
    _recording.append(what)
    try:
        yield
    finally:
        _recording.pop()
