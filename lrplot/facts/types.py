"""The pieces every row of the scheduler-type table is written with: :class:`TypeFacts` (what one
type declares) and the readers of a node's arguments (:func:`option`, with torch's defaults read
from its signatures). The table itself is :data:`lrplot.facts.TABLE`."""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..curves import Event
from ..families import NOT_LITERAL, builtin_schedulers, source_defaults

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import SchedulerNode


def int_or_none(value: Any) -> int | None:
    """``value`` if it is an int (not a bool), else None: spec values read without trusting them."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def resumed_steps(sched: SchedulerNode) -> int:
    """How many scheduler steps ``last_epoch`` says have already happened."""
    last_epoch = int_or_none(sched.options.get("last_epoch", -1))
    return max(last_epoch, -1) + 1 if last_epoch is not None else 0


_MISSING = object()


@lru_cache(maxsize=None)
def torch_default(type_name: str, name: str) -> Any:
    """The default of argument ``name`` of torch scheduler ``type_name``, from its signature (None
    when it has none, or the type is not torch's). Read from torch's source while torch is not yet
    imported (``lrplot plot`` whose curves are cached checks the schedule without paying ~1 s for
    torch); imports torch where the source does not say (a default that is not a literal)."""
    if "torch" not in sys.modules:
        default = source_defaults().get(type_name, {}).get(name, _MISSING)
        if default is inspect.Parameter.empty:
            return None
        if default is not _MISSING and default is not NOT_LITERAL:
            return default
    cls = builtin_schedulers().get(type_name)
    try:
        param = inspect.signature(cls).parameters.get(name) if cls else None
    except (TypeError, ValueError):
        param = None
    return None if param is None or param.default is param.empty else param.default


def option(sched: SchedulerNode, name: str) -> Any:
    """The spec's value of ``name``, else torch's default for the scheduler's type."""
    if name in sched.options:
        return sched.options[name]
    return torch_default(sched.type, name)


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def per_group(value: Any, g: int) -> Any:
    """A per-group argument (``max_lr: [0.1, 0.01]``) for group ``g``, or the single value."""
    return value[g] if isinstance(value, (list, tuple)) and g < len(value) else value


@dataclass(frozen=True)
class TypeFacts:
    """What one scheduler type declares. Lengths and steps count scheduler steps (not updates)."""

    # scheduler values it defines by itself (None: it goes on)
    length: Callable[[SchedulerNode], int | None] = lambda s: None
    # the arguments that set that length (what a run with another horizon changes)
    horizon: tuple[str, ...] = ()
    # it holds other schedulers (``schedulers:``): they take turns at its milestones ("in turn",
    # SequentialLR) or all drive the same steps ("together", ChainedScheduler)
    nests: str | None = None
    raises_past_length: bool = False  # torch raises when stepped past its length (OneCycleLR)
    decays: bool = False              # it ends at a floor: a run longer than its length is suspicious
    rises_after_length: bool = False  # CosineAnnealingLR is periodic past T_max
    lambda_driven: bool = False       # its values come from lr_lambda
    metric_driven: bool = False       # its steps follow a metric (ReduceLROnPlateau)
    acts: bool = False                # it changes the lr by design: one that keeps it constant never acts
    # its get_lr scales the group's current lr (torch has a closed form beside it for step(epoch)), so
    # built with last_epoch it continues from whatever lr the optimizer holds, and from the lr a
    # checkpoint saved exactly as the uninterrupted run does (tests/test_check_resumed.py measures both)
    scales_current_lr: bool = False
    # the highest lr it declares for a group whose base lr is ``base``
    peak: Callable[[SchedulerNode, float, int], float] = lambda s, base, g: base
    # where it declares it ends, or None
    floor: Callable[[SchedulerNode, float, int], float | None] = lambda s, base, g: None
    # scheduler steps in [done, done + driven] where it changes the value on purpose
    jumps: Callable[[SchedulerNode, int, int], Iterable[int]] = lambda s, done, driven: ()
    # its jumps count epochs, not scheduler steps (timm's ``t_in_epochs``: train.py calls ``step(epoch)``
    # at each epoch end while ``step_update`` after each update changes nothing)
    jumps_in_epochs: Callable[[SchedulerNode], bool] = lambda s: False
    # marks for a figure, in scheduler steps from the scheduler's start (``first``: it starts the run)
    events: Callable[[SchedulerNode, bool], Iterable[Event]] = lambda s, first: ()
    # arguments its signature annotates ``int`` that its own trainer passes a float: accepted as any number
    # (Megatron-LM's lr_warmup_steps = lr_warmup_fraction x lr_decay_steps, untruncated)
    float_ints: tuple[str, ...] = ()
    # param-group keys its step reads besides the optimizer's options (Megatron's per-group max_lr, min_lr)
    group_keys: tuple[str, ...] = ()
    # its warmup: (the argument that sets it, the scheduler steps until its lr reaches the peak), where it
    # has one (check's warmup-past-end: a run no longer than it never reaches the peak)
    warmup: Callable[[SchedulerNode], tuple[str, int] | None] = lambda s: None
    # how to make its length cover the ``driven`` scheduler steps it drives, ``{key}`` naming its
    # horizon argument (check's advice when it rises again past its length)
    refit: Callable[[SchedulerNode, int], str] = lambda s, driven: f"set {{key}} to the updates it drives ({driven})"

