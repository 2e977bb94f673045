"""Which param-group values a schedule records: the spec's ``fields`` against a real param group."""

from __future__ import annotations

import re
from typing import Any

from ..spec import ResolvedSchedule
from ..text import did_you_mean

_INDEXED = re.compile(r"^(\w+)\[(\d+)\]$")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def resolve_fields(schedule: ResolvedSchedule, group: dict) -> list[tuple[str, str, int | None]]:
    """[(label, key, index)]: what to read from each param group for the spec's ``fields``."""
    spec = schedule.spec
    where = schedule.where("fields")  # the schedule's own list, or the spec's
    out: list[tuple[str, str, int | None]] = []
    numeric = sorted(k for k, v in group.items() if k != "params" and (
        _is_number(v) or (isinstance(v, (tuple, list)) and v and all(_is_number(x) for x in v))))
    if "momentum" not in numeric and isinstance(group.get("betas"), (tuple, list)):
        numeric = sorted(numeric + ["momentum"])  # the documented alias of betas[0]
    for i, name in enumerate(schedule.fields):
        m = _INDEXED.match(name)
        if m:
            key, index = m.group(1), int(m.group(2))
            value = group.get(key)
            if not isinstance(value, (tuple, list)) or index >= len(value):
                raise spec.error(f"field '{name}': the param group's '{key}' has no element {index}",
                                 where + (i,), hint=f"numeric fields: {', '.join(numeric)}")
            out.append((name, key, index))
            continue
        if name == "momentum" and "momentum" not in group and isinstance(group.get("betas"), (tuple, list)):
            out.append(("momentum", "betas", 0))  # what CyclicLR/OneCycleLR cycle for Adam-style optimizers
            continue
        if name not in group or name == "params":
            hint = did_you_mean(name, numeric)
            raise spec.error(f"the param groups have no field '{name}'", where + (i,),
                             hint=hint or f"numeric fields: {', '.join(numeric)}")
        value = group[name]
        if isinstance(value, (tuple, list)) and value and all(_is_number(x) for x in value):
            out.extend((f"{name}[{j}]", name, j) for j in range(len(value)))
        elif _is_number(value) or hasattr(value, "item"):
            out.append((name, name, None))
        else:
            raise spec.error(f"field '{name}' is not a number (it is {value!r})", where + (i,),
                             hint=f"numeric fields: {', '.join(numeric)}")
    return out



def field_labels(readers: list[tuple[str, str, int | None]]) -> dict:
    """What figures call the recorded fields, where it differs from the spec's name: ``momentum``
    read from Adam's ``betas[0]`` is beta1 (the ``meta`` of a ScheduleTrace; empty when none)."""
    labels = {label: "beta1" for label, key, index in readers if label == "momentum" and key == "betas"}
    return {"field_labels": labels} if labels else {}
