"""gc-pause: Python's cyclic garbage collector paused while the command line imports and draws a figure.

Importing numpy and matplotlib makes tens of thousands of objects that live as long as the process,
and CPython 3.11's collector scans each of them on its way through the generations (about 150
young collections and one full one while a re-run served by the plot memo imports and draws:
≈ 0.09 s CPU of its ≈ 1.2 s on a 2-core machine under load). None of it is garbage: everything freed
on that path is freed by reference counting, and what a figure leaves in cycles is a few MB. So the
blocks that only import and draw (the plan of the outputs, which imports numpy; the drawing and writing
of the figures, which imports matplotlib) run with the collector off, and it is switched back on as
each ends, so whatever they left in cycles is collected by the next automatic pass. Reading inputs,
simulating and reading logs, whose work grows with the input, always run with it on.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

from .switches import enabled


@contextmanager
def gc_paused(active: bool = True) -> Iterator[bool]:
    """The collector off while the block runs (yields True), and on again after it, however it ends;
    nothing changes (yields False) when not ``active``, switched off, or when the collector is off
    already (the caller's choice, kept)."""
    if not active or not enabled("gc-pause") or not gc.isenabled():
        yield False
        return
    gc.disable()
    try:
        yield True
    finally:
        gc.enable()
