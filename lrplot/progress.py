"""A progress bar on stderr for long simulations, only when stderr is a terminal.

The stepping loop reports every ``lrplot.engine.loop.CHUNK`` updates (never per step); the bar
(rich) is created on the first report of a schedule of at least :data:`MIN_STEPS` updates, so short runs do
not even import it. It is transient: once done (or interrupted) it leaves nothing behind.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any, Iterator

MIN_STEPS = 1_000_000


class TerminalProgress:
    def __init__(self) -> None:
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __call__(self, name: str, done: int, total: int) -> None:
        if total < MIN_STEPS:
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self._bar.start()
        task = self._tasks.get(name)
        if task is None:
            task = self._tasks[name] = self._bar.add_task(f"simulating {name}", total=total)
        self._bar.update(task, completed=done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


@contextmanager
def terminal_progress(stream: Any = None) -> Iterator[TerminalProgress | None]:
    """A progress callback when ``stream`` (stderr) is a terminal, else None."""
    stream = sys.stderr if stream is None else stream
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        yield None
        return
    progress = TerminalProgress()
    try:
        yield progress
    finally:
        progress.close()
