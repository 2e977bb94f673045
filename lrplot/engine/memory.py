"""Refuse, before any work, a run whose recording would not fit in memory."""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Any, Iterator

from ..spec import ResolvedSchedule

# Peak bytes while recording, per value: the float object (24), its list slot (8), the column it
# is sliced into (8), the final float64 (8), and 8 of slack per update (list over-allocation).
# tracemalloc on torch 2.13, 500k updates: actual peak 0.72x the estimate for one value, 0.75x for
# 4 groups x 2 fields: a slight overestimate, on purpose.
BYTES_PER_VALUE = 48
BYTES_PER_STEP = 8
MEMORY_SHARE = 0.8  # of the memory available when the run starts
# The --data export, on top of the recording. JSON is built whole (json.dumps of nested lists,
# then encoded): tracemalloc, 200k values, to_json_text + encode: peak 145.7 bytes per value; 160
# here, an overestimate on purpose. CSV is streamed (curves.write_csv, CSV_CHUNK values at a
# time): peak 3.5 MB for 200k and for 1M values, so it adds nothing per value. (Before streaming,
# the CSV text peaked at 156 bytes per value: 50M steps with --data took 6.7 GB.)
JSON_EXPORT_BYTES_PER_VALUE = 160
_export: ContextVar[str | None] = ContextVar("lrplot_export", default=None)


@contextlib.contextmanager
def exporting(suffix: str | None) -> Iterator[None]:
    """Within this block, the memory guard counts a ``--data`` export of ``suffix`` (.csv/.json)."""
    token = _export.set(suffix.lower() if suffix else None)
    try:
        yield
    finally:
        _export.reset(token)


def export_bytes_per_value(suffix: str | None) -> int:
    return JSON_EXPORT_BYTES_PER_VALUE if suffix == ".json" else 0


def available_memory() -> int | None:
    """Bytes of memory available now (Linux: MemAvailable), or None when unknown."""
    import os

    try:
        with open("/proc/meminfo", "rb") as fh:
            for line in fh:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def memory_needed(steps: int, values_per_step: int, export: str | None = None) -> int:
    """Peak bytes to record ``steps`` updates of ``values_per_step`` values (groups x fields),
    and to export them as ``export`` (.csv, .json or None)."""
    return steps * (BYTES_PER_STEP + (BYTES_PER_VALUE + export_bytes_per_value(export)) * values_per_step)


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError  # pragma: no cover


def check_memory(schedule: ResolvedSchedule, steps: int) -> None:
    """Refuse, before any work, a schedule whose recording would not fit in memory."""
    groups = len(schedule.param_groups or [None])
    fields = len(schedule.fields) + sum(f == "betas" for f in schedule.fields)  # betas records two
    export = _export.get()
    needed = memory_needed(steps, groups * fields, export)
    available = available_memory()
    if available is None or needed <= MEMORY_SHARE * available:
        return
    where = schedule.where("steps") if schedule.steps is not None else schedule.scheduler.path
    raise schedule.spec.error(
        f"{steps} steps x {groups} param group{'s' * (groups != 1)} x {fields} field{'s' * (fields != 1)} "
        f"need about {_size(needed)} of memory to record{' and export as JSON' if export == '.json' else ''}, "
        f"but only {_size(available)} is available",
        where, hint=f"lower steps (lrplot keeps every value; about {int(MEMORY_SHARE * available // (needed / steps))}"
                    " steps fit), or record fewer fields or param groups"
                    + (", or export --data as .csv (streamed)" if export == ".json" else ""))


def check_export_memory(curves: Any, suffix: str) -> None:
    """Refuse, before writing, a ``--data`` export that would not fit (curves read from the cache
    were not simulated, so :func:`check_memory` did not see them)."""
    from ..errors import OutputError

    values = sum(len(s.values) for s in curves.series())
    needed = values * export_bytes_per_value(suffix.lower())
    available = available_memory()
    if needed == 0 or available is None or needed <= MEMORY_SHARE * available:
        return
    raise OutputError(f"exporting {values} values as JSON needs about {_size(needed)} of memory, but only "
                      f"{_size(available)} is available", hint="export --data as .csv (streamed)")

