"""``lrplot watch``: re-simulate and redraw whenever a file the run reads changes.

The files are the specs themselves and what they read (their metric CSVs, the local modules their
import paths name: :func:`lrplot.walk.input_files`), found again after every run, so a spec that
starts importing a new module is watched on its next save. Changes are found by polling each file's
modification time and size (no extra dependency, and it works on network file systems where change
notifications do not), and a change is acted on once the files have held still for one interval, so
an editor that writes in several steps causes one redraw. A save that breaks the spec prints its one
error line and the watch goes on with the last good figure left in place (outputs are written only
when a run succeeds).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterable

from ..errors import LrplotError
from ..text import printable

Signature = dict[Path, "tuple[int, int] | None"]


def signature(paths: Iterable[Path]) -> Signature:
    out: Signature = {}
    for path in paths:
        try:
            st = os.stat(path)
            out[path] = (st.st_mtime_ns, st.st_size)
        except OSError:
            out[path] = None  # missing for now (an editor's save renames over it): a change when it returns
    return out


def watch_loop(run_once: Callable[[], Iterable[Path]], inputs: list[Path], *, say: Callable[[str], None],
               interval: float = 0.5, stop: Callable[[], bool] = lambda: False,
               sleep: Callable[[float], None] = time.sleep) -> None:
    """Run ``run_once`` (it returns the files that run read), then again after each change to
    those files or ``inputs``, until ``stop()`` is true (or Ctrl-C)."""
    watched = list(inputs)
    while not stop():
        # taken before the run: a save while it reads and draws (seconds, with torch's import) is a
        # change after it, not a figure silently older than the file
        started = signature(watched)
        try:
            watched = list(dict.fromkeys([*inputs, *run_once()]))
        except LrplotError as exc:
            line = f"lrplot: {exc.format()}" if exc.location is None else exc.format()
            say(printable(line))
        except Exception as exc:  # noqa: BLE001  a bug must not end the watch either
            say(printable(f"lrplot: internal error: {type(exc).__name__}: {exc}"))
        before = {**signature(watched), **{p: v for p, v in started.items() if p in watched}}
        say(f"lrplot: watching {len(watched)} file(s); Ctrl-C stops")
        while not stop():
            sleep(interval)
            now = signature(watched)
            if now != before:
                while not stop():  # let the save finish: the files hold still for one interval
                    sleep(interval)
                    settled = signature(watched)
                    if settled == now:
                        break
                    now = settled
                break
