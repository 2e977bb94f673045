"""Bounds on what a call may cost, in place of a stopwatch: the memory it holds at its peak, and a
deadline after which a hang fails the test.

A wall-clock assertion measures the machine as much as the code (on a shared two-core CI runner a
0.1 s limit fails for no reason), so no test times anything. What a fast path really promises is
that some work is never done: a huge integer never built, an alias bomb never expanded, a file never
read. Memory shows that work (a 10**(10**8) integer is 40 MB; ten thousand YAML values a few MB),
the same on every machine. A loop that allocates nothing but never ends is caught by the deadline,
set far above the normal time: a slow machine passes, only a hang fails.
"""

from __future__ import annotations

import faulthandler
import signal
import threading
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

MB = 2**20


@dataclass
class Peak:
    """The most memory (bytes, Python allocations) held at once inside a ``peak_memory()`` block."""

    bytes: int = 0


@contextmanager
def peak_memory():
    """``with peak_memory() as peak: ...`` then ``peak.bytes``: the peak of the block alone (what was
    allocated before it does not count, what the block allocated and freed does)."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    peak = Peak()
    try:
        yield peak
    finally:
        peak.bytes = tracemalloc.get_traced_memory()[1] - base
        if started:
            tracemalloc.stop()


@contextmanager
def deadline(seconds: float):
    """Fail the test when the block has not ended after ``seconds`` (a hang guard, never a speed target:
    choose ten times what a busy machine needs). SIGALRM interrupts Python code with a test failure;
    if C code holds on past twice the deadline, faulthandler prints every thread's stack and ends the
    process (pytest-xdist then reports this test as the one that crashed its worker)."""
    in_main = threading.current_thread() is threading.main_thread()

    def expire(signum, frame):
        pytest.fail(f"still running after {seconds:g} s: a hang (the limit is far above the normal time)")

    if in_main:
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(seconds * 2, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        if in_main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def interruptible() -> None:
    """``preexec_fn`` of a child a test will send Ctrl-C (SIGINT): SIGINT as a terminal's foreground
    job has it. A shell's background job (``cmd &`` without job control, as CI runners may start the
    suite) inherits SIGINT ignored, and Python then never installs KeyboardInterrupt: the child would
    go on past the signal, as it rightly does for a user who started it in the background."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
