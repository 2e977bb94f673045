"""A log folder holding several files of one format (Lightning's ``version_0``, ``version_1`` after a resume
with ``ckpt_path``; torchtune's ``log_<time>.txt`` and MMEngine's ``<timestamp>/`` of each launch): every file is read as its own run, as
TensorBoard's run folders are, each verdict starting with its run, and ``--log-run`` reads one (as W&B's and
MLflow's runs are chosen). A resume's segments are not joined: each is verified at the steps it logged.


:class:`ByteAllowance` reads the binary files of one log (TensorBoard event files, W&B run files) whole, all
its runs together within one limit.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Callable

from ..errors import Location
from ..text import did_you_mean
from . import LogError


def one_or_folder(folder: Path, found: list[Path]) -> Path | None:
    """What ``find`` returns for the logs of one format found in ``folder``: the file when there is
    one, the folder when there are several (each is then a run: :func:`runs_in`)."""
    return None if not found else found[0] if len(found) == 1 else folder


def _natural(name: str) -> list:
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name)]


def runs_in(path: Path, found: list[Path], name: Callable[[Path], str], run: str | None,
            what: str) -> list[tuple[str, Path]]:
    """The runs of a log folder holding several files of one format (Lightning's ``version_0``,
    ``version_1`` after a resume; torchtune's ``log_<time>.txt`` of each launch): (run name, file),
    in natural order (version_2 before version_10), each read as its own run as TensorBoard's run
    folders are; or the one ``--log-run`` names (its name or its last part). A file: itself."""
    if not path.is_dir():
        if run is not None and run not in (path.name, path.stem, path.parent.name):
            raise LogError(f"--log-run {run}: this {what} is one run ({path.name})", location=Location(str(path)),
                           hint="name the folder holding the runs, or drop --log-run")
        return [("", path)]
    runs = sorted(((name(f), f) for f in found), key=lambda r: _natural(r[0]))
    if run is None:
        _within_limit(path, runs, what)
        return runs
    chosen = [(n, f) for n, f in runs if run in (n, n.rsplit("/", 1)[-1])]
    if len(chosen) > 1:
        raise LogError(f"--log-run {run}: {len(chosen)} runs match ({', '.join(n for n, _ in chosen[:8])})",
                       location=Location(str(path)), hint="name the run by its path in this folder")
    if not chosen:
        names = [n for n, _ in runs]
        raise LogError(f"--log-run {run}: no such run in this folder ({len(runs)} {what}s: "
                       f"{', '.join(names[:8])}{', ...' if len(names) > 8 else ''})", location=Location(str(path)),
                       hint=did_you_mean(run, names) or "name one of them")
    return [("", chosen[0][1])]


def _within_limit(path: Path, runs: list[tuple[str, Path]], what: str) -> None:
    """The files of one --log together are bounded as one file is (MAX_LOG_BYTES)."""
    from ..limits import MAX_LOG_BYTES

    total = 0
    for _, f in runs:
        try:
            total += f.stat().st_size
        except OSError:
            continue  # read_log_text says what is wrong with it
    if total > MAX_LOG_BYTES:
        raise LogError(f"the {len(runs)} {what}s of this folder are {total / 1e6:.3g} MB together; a log is read with "
                       f"at most {MAX_LOG_BYTES / 1e6:.3g} MB", location=Location(str(path)),
                       hint="choose one with --log-run")


class ByteAllowance:
    """The bytes of binary log files one --log may read, all its runs together: ``limit`` from
    :mod:`lrplot.limits`; ``one``/``many`` name the files ("a W&B run file", "the W&B run files")."""

    def __init__(self, limit: int, one: str, many: str, hint: str) -> None:
        self.left = self.limit = limit
        self.one, self.many, self.hint = one, many, hint

    def read(self, path: Path) -> bytes:
        """The bytes of one file (a regular file, within what is left), recorded as read (no output may
        replace it)."""
        from ..reads import record

        where = Location(str(path))
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise LogError(f"cannot read: {exc.strerror or exc}", location=where) from None
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise LogError(f"is not a regular file, not {self.one}", location=where)
            self.left -= info.st_size
            if self.left < 0:
                mb = f"{self.limit / 1e6:.3g} MB"
                raise LogError(f"{self.many} of this log are more than {mb}; a log is read with at most {mb} of them",
                               location=where, hint=self.hint)
            record(path, self.one, info)
            return fh.read(info.st_size)
