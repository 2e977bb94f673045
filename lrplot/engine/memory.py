"""Refuse, before any work, a run whose recording would not fit in memory."""

from __future__ import annotations

from ..spec import ResolvedSchedule

# Peak bytes while recording, per value: the float object (24), its list slot (8), the column it
# is sliced into (8), the final float64 (8), and 8 of slack per update (list over-allocation).
# tracemalloc on torch 2.13, 500k updates: actual peak 0.72x the estimate for one value, 0.75x for
# 4 groups x 2 fields: a slight overestimate, on purpose.
BYTES_PER_VALUE = 48
BYTES_PER_STEP = 8
MEMORY_SHARE = 0.8  # of the memory available when the run starts


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


def memory_needed(steps: int, values_per_step: int) -> int:
    """Peak bytes to record ``steps`` updates of ``values_per_step`` values (groups x fields)."""
    return steps * (BYTES_PER_STEP + BYTES_PER_VALUE * values_per_step)


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
    needed = memory_needed(steps, groups * fields)
    available = available_memory()
    if available is None or needed <= MEMORY_SHARE * available:
        return
    where = schedule.where("steps") if schedule.steps is not None else schedule.scheduler.path
    raise schedule.spec.error(
        f"{steps} steps x {groups} param group{'s' * (groups != 1)} x {fields} field{'s' * (fields != 1)} "
        f"need about {_size(needed)} of memory to record, but only {_size(available)} is available",
        where, hint=f"lower steps (lrplot keeps every value; about {int(MEMORY_SHARE * available // (needed / steps))}"
                    " steps fit), or record fewer fields or param groups")

