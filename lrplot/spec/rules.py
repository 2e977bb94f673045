"""Rules between a spec's keys that pydantic's per-field types do not express, and the position of
each scheduler node in the spec."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from ..yamlio import KeyPath

if TYPE_CHECKING:  # pragma: no cover
    from .models import SchedulerNode, Spec


class RuleBroken(Exception):
    """A cross-key rule the spec breaks, with where (a key path) and how to fix it."""

    def __init__(self, message: str, path: KeyPath, hint: str | None = None, key: bool = False):
        super().__init__(message)
        self.message, self.path, self.hint, self.key = message, tuple(path), hint, key


def check(spec: Spec) -> None:
    """Rules between keys that pydantic's per-field types do not express."""
    if spec.scheduler is None and spec.schedules is None:
        raise RuleBroken("the spec names no scheduler", (),
                         hint="add 'scheduler: {type: ...}' or a 'schedules:' list")
    if spec.scheduler is not None and spec.schedules is not None:
        raise RuleBroken("give either 'scheduler' or 'schedules', not both", ("schedules",), key=True)
    if spec.schedules is not None:
        seen: dict[str, int] = {}
        for i, s in enumerate(spec.schedules):
            if s.name in seen:
                raise RuleBroken(f"two schedules are named '{s.name}' (also schedules[{seen[s.name]}])",
                                 ("schedules", i, "name"), hint="give each schedule its own name")
            seen[s.name] = i
    for schedule in spec.schedule_list():
        for node in schedule.schedulers:
            for child in _descendants(node):
                for key in ("interval", "frequency"):
                    if getattr(child, key) is not None:
                        raise RuleBroken(f"'{key}' applies to a top-level scheduler, not to one nested in "
                                         "SequentialLR or ChainedScheduler (its parent steps it)",
                                         child.path + (key,), hint=f"move '{key}' to the outer scheduler",
                                         key=True)
            if schedule.interval_of(node) == "epoch" and schedule.steps_per_epoch is None:
                where = node.path + ("interval",) if node.interval else schedule.where("interval")
                raise RuleBroken("interval: epoch needs steps_per_epoch", where,
                                 hint="add 'steps_per_epoch: N' (optimizer updates per epoch)")
        groups = schedule.param_groups or []
        names = [g.name for g in groups if g.name is not None]
        if len(set(names)) != len(names):
            raise RuleBroken("two param groups have the same name", schedule.where("param_groups"))
        for j, name in enumerate(schedule.fields):
            if schedule.fields.index(name) != j:
                raise RuleBroken(f"field '{name}' is listed twice", schedule.where("fields") + (j,))
    for i, name in enumerate(spec.fields):
        if spec.fields.index(name) != i:
            raise RuleBroken(f"field '{name}' is listed twice", ("fields", i))


def _descendants(node: SchedulerNode) -> Iterator[SchedulerNode]:
    for child in node.schedulers or []:
        yield child
        yield from _descendants(child)


def assign_positions(spec: Spec) -> None:
    """Tell each scheduler node of ``spec`` where it stands (``('scheduler', 'schedulers', 1)``):
    done once, as the Spec is built (a node copied into a changed schedule keeps its place)."""
    for schedule in spec.schedule_list():
        listed = len(schedule.schedulers) > 1 or isinstance(
            spec.scheduler if not schedule.prefix else spec.schedules[schedule.prefix[1]].scheduler, list)
        for i, node in enumerate(schedule.schedulers):
            _place(node, schedule.prefix + (("scheduler", i) if listed else ("scheduler",)))


def _place(sched: SchedulerNode, path: KeyPath) -> None:
    sched._path = path
    for i, child in enumerate(sched.schedulers or []):
        _place(child, path + ("schedulers", i))
