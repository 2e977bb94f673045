"""What a scheduler keeps: its ``state_dict()`` and the optimizer's param-group fields after K
updates, as plain JSON-able data. Values that cannot be shown (functions, objects, tensors with
many elements) are shown as ``<type name>``; nothing here can crash on an odd value."""

from __future__ import annotations

import math
from typing import Any

from .errors import UsageError
from .imports import AllowImport, allowed_imports
from .limits import MAX_STATE_ITEMS
from .spec import ResolvedSchedule


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON data: numbers, strings, bools, None, lists and dicts; anything else
    becomes ``"<TypeName>"`` (a 1-element tensor becomes its number)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if depth > 20:
        return f"<{type(value).__name__}>"
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in list(value.items())[:MAX_STATE_ITEMS]}
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value[:MAX_STATE_ITEMS]]
    numel = getattr(value, "numel", None)
    if callable(numel) and hasattr(value, "item"):
        try:
            if numel() == 1:
                return plain(value.item(), depth + 1)
        except Exception:  # noqa: BLE001 - show the type instead
            pass
    return f"<{type(value).__qualname__}>"


def state_at(schedule: ResolvedSchedule, at: int, *, allow_import: AllowImport = None) -> dict[str, Any]:
    """The scheduler's state_dict and the param groups (without ``params``) after ``at`` updates,
    i.e. what a checkpoint written just before update ``at`` would hold; ``at`` may be the
    schedule's length: the state after its last update, once the trainer stepped the scheduler.
    ``at`` is the trainer's update number, as the figure's x axis: a schedule resumed by its spec
    (``last_epoch``) counts from its first update (:func:`lrplot.facts.first_update`)."""
    from .engine import start_run
    from .facts import first_update, resolve_steps, resumed_steps

    allowance = allowed_imports(allow_import)
    steps = resolve_steps(schedule)
    first = first_update(schedule)
    if not first <= at <= first + steps:
        raise UsageError(f"--at {at}: schedule '{schedule.name}' has {steps} updates"
                         + (f", numbered from {first} (it is resumed by its last_epoch)" if first else ""),
                         hint=f"use a value between {first} and {first + steps}")
    local = at - first
    # After the last update the trainer still steps the scheduler: a run one update longer takes
    # that step (the loop never steps after a run's own last update).
    run = start_run(schedule, allow_import=allowance, steps=steps + 1 if local == steps else None)
    run.advance(0, local)
    states = run.state_dicts()
    groups = [{k: plain(v) for k, v in g.items() if k != "params"} for g in run.optimizer.param_groups]
    done = resumed_steps(schedule.scheduler) if first else 0
    return {
        "schedule": schedule.name,
        "scheduler": schedule.scheduler_label,
        "at": at,
        "scheduler_steps": done + run.calls_before(local),
        # one state_dict, or one per scheduler when the schedule lists several
        "scheduler_state": plain(states[0]) if len(states) == 1 else [plain(s) for s in states],
        "param_groups": [{"name": name, **g} for name, g in zip(schedule.group_names, groups)],
    }
