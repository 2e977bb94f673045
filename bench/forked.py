"""Run a measurement in a forked child of a process that has imported torch already.

A reader's cost is what it adds to a process that will simulate, i.e. one that imports torch anyway.
Forking after ``import torch`` gives every measurement such a process without paying torch's import
(about 1 s of CPU) again each time, and a child's imports leave the parent untouched, so every
measurement starts from the same modules. Times are the child's own CPU time (``time.process_time``
differences taken in the child), which a shared machine's load changes far less than wall time.
"""

from __future__ import annotations

import json
import os
import traceback
from typing import Callable


def in_child(fn: Callable[[], dict]) -> dict:
    """``fn()``'s dict, computed in a forked child (JSON-serialisable values); an exception in the child
    comes back as ``{"error": "<last line of its traceback>"}``."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read)
        try:
            out = fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which decides
            lines = traceback.format_exception_only(type(exc), exc)
            out = {"error": lines[-1].strip() if lines else type(exc).__name__}
        with os.fdopen(write, "w") as pipe:
            json.dump(out, pipe)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(text) if text else {"error": "the child wrote nothing"}
