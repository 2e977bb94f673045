"""What a spec declares about a schedule, from the spec alone: one table of facts per scheduler type.

Every fact lrplot knows about a scheduler type -- the length it defines by itself and the
arguments that set it, whether it nests other schedulers, whether torch raises past it, where it
steps on purpose, the peak and floor it declares, the marks drawn on a figure -- is one entry of
:data:`TABLE`, read by the engine (lengths, limits, nesting), the figures (events), ``lrplot check``
(peaks, floors, declared jumps) and ``lrplot verify`` (horizons). Beside it, written once: what a
scheduler is (:mod:`lrplot.families`), the over-run check (:func:`overrun`), a group's base lr
(:func:`base_lr`) and what counts as a jump (:data:`JUMP_THRESHOLD`, :data:`STEP_CHANGE`). Defaults the spec leaves out (``total_iters``
of LinearLR is 5) are read from torch's own signatures, once, never written here.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from .curves import Event
from .families import NOT_LITERAL, builtin_schedulers, source_defaults
from .limits import MAX_STEPS

if TYPE_CHECKING:  # pragma: no cover
    from .spec import ResolvedSchedule, SchedulerNode


def int_or_none(value: Any) -> int | None:
    """``value`` if it is an int (not a bool), else None: spec values read without trusting them."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def resumed_steps(sched: SchedulerNode) -> int:
    """How many scheduler steps ``last_epoch`` says have already happened."""
    last_epoch = int_or_none(sched.options.get("last_epoch", -1))
    return max(last_epoch, -1) + 1 if last_epoch is not None else 0


@dataclass(frozen=True)
class Phase:
    """A leaf scheduler and the scheduler steps [start, end) it drives: SequentialLR children take
    turns at the milestones, ChainedScheduler children all drive the same steps. ``end`` None: to
    the end of the run. ``handoff``: the phase starts at a SequentialLR milestone."""

    spec: SchedulerNode
    start: int
    end: int | None
    handoff: bool = False
    scale: int = 1  # optimizer updates per scheduler step, once placed in a run (see check.Context)


def phases(sched: SchedulerNode, start: int = 0, end: int | None = None, handoff: bool = False) -> Iterator[Phase]:
    """The leaf schedulers of ``sched`` with the scheduler steps each drives (from the spec alone)."""
    nests = facts_of(sched).nests if sched.schedulers else None
    if nests == "in turn":
        milestones = [m for m in (sched.options.get("milestones") or []) if int_or_none(m) is not None]
        bounds: list[int | None] = [start] + [start + m for m in milestones] + [end]
        for i, child in enumerate(sched.schedulers):
            if i + 1 >= len(bounds):
                break
            first, stop = bounds[i], bounds[i + 1]
            if end is not None and stop is not None:
                stop = min(stop, end)
            yield from phases(child, first, stop, i > 0)
    elif nests == "together":
        for child in sched.schedulers:
            yield from phases(child, start, end, handoff)
    else:
        yield Phase(sched, start, end, handoff)


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


def _number(value: Any) -> float | None:
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
    # the highest lr it declares for a group whose base lr is ``base``
    peak: Callable[[SchedulerNode, float, int], float] = lambda s, base, g: base
    # where it declares it ends, or None
    floor: Callable[[SchedulerNode, float, int], float | None] = lambda s, base, g: None
    # scheduler steps in [done, done + driven] where it changes the value on purpose
    jumps: Callable[[SchedulerNode, int, int], Iterable[int]] = lambda s, done, driven: ()
    # marks for a figure, in scheduler steps from the scheduler's start (``first``: it starts the run)
    events: Callable[[SchedulerNode, bool], Iterable[Event]] = lambda s, first: ()


def _total_iters_plus_one(s: SchedulerNode) -> int | None:
    total = int_or_none(option(s, "total_iters"))
    return total + 1 if total is not None else None  # the value it settles at is shown too


def _one_cycle_length(s: SchedulerNode) -> int | None:
    total = int_or_none(option(s, "total_steps"))
    epochs, per = int_or_none(option(s, "epochs")), int_or_none(option(s, "steps_per_epoch"))
    return total if total is not None else (epochs * per if epochs and per else None)


def _one_cycle_floor(s: SchedulerNode, base: float, g: int) -> float | None:
    values = [_number(per_group(option(s, "max_lr"), g)), _number(option(s, "div_factor")),
              _number(option(s, "final_div_factor"))]
    return values[0] / values[1] / values[2] if None not in values else None


def _linear_floor(s: SchedulerNode, base: float, g: int) -> float | None:
    start, end = _number(option(s, "start_factor")), _number(option(s, "end_factor"))
    return base * end if start is not None and end is not None and end < start else None


def _swa_floor(s: SchedulerNode, base: float, g: int) -> float | None:
    swa = _number(per_group(option(s, "swa_lr"), g))
    return swa if swa is not None and swa < base else None


def _max_with(name: str) -> Callable[[SchedulerNode, float, int], float]:
    def peak(s: SchedulerNode, base: float, g: int) -> float:
        value = _number(per_group(option(s, name), g))
        return max(base, value) if value is not None else base
    return peak


def _max_lr(s: SchedulerNode, base: float, g: int) -> float:
    value = _number(per_group(option(s, "max_lr"), g))
    return value if value is not None else base


def _every(name: str) -> Callable[[SchedulerNode, int, int], Iterable[int]]:
    def jumps(s: SchedulerNode, done: int, driven: int) -> Iterable[int]:
        size = int_or_none(option(s, name))
        return range(size, done + driven + 1, size) if size and size > 0 else ()
    return jumps


def _milestones(s: SchedulerNode) -> list[int]:
    return [m for m in (option(s, "milestones") or []) if int_or_none(m) is not None]


def _restarts(s: SchedulerNode, done: int, driven: int) -> Iterable[int]:
    period, mult = int_or_none(option(s, "T_0")), int_or_none(option(s, "T_mult")) or 1
    n = 0
    while period and period > 0 and n + period < done + driven + 1:
        n += period
        yield n
        period *= mult


def _at_total_iters(s: SchedulerNode, done: int, driven: int) -> Iterable[int]:
    total = int_or_none(option(s, "total_iters"))
    return (total,) if total is not None else ()


def _warmup_end(label: str) -> Callable[[SchedulerNode, bool], Iterable[Event]]:
    def events(s: SchedulerNode, first: bool) -> Iterable[Event]:
        total = int_or_none(option(s, "total_iters"))
        return (Event(total, label, "phase"),) if first and total is not None else ()
    return events


TABLE: dict[str, TypeFacts] = {
    "SequentialLR": TypeFacts(nests="in turn"),
    "ChainedScheduler": TypeFacts(nests="together"),
    "OneCycleLR": TypeFacts(length=_one_cycle_length, horizon=("total_steps",), raises_past_length=True,
                            decays=True, peak=_max_lr, floor=_one_cycle_floor),
    "CyclicLR": TypeFacts(peak=_max_lr),
    "CosineAnnealingLR": TypeFacts(length=lambda s: int_or_none(option(s, "T_max")), horizon=("T_max",), decays=True,
                                   rises_after_length=True, peak=_max_with("eta_min"),
                                   floor=lambda s, base, g: _number(option(s, "eta_min")) or 0.0),
    "CosineAnnealingWarmRestarts": TypeFacts(peak=_max_with("eta_min"), jumps=_restarts),
    "PolynomialLR": TypeFacts(length=lambda s: int_or_none(option(s, "total_iters")), horizon=("total_iters",),
                              decays=True,
                              floor=lambda s, base, g: 0.0),
    "LinearLR": TypeFacts(length=_total_iters_plus_one, horizon=("total_iters",), floor=_linear_floor, events=_warmup_end("warmup end")),
    "ConstantLR": TypeFacts(length=_total_iters_plus_one, horizon=("total_iters",), jumps=_at_total_iters,
                            events=_warmup_end("ConstantLR ends")),
    "StepLR": TypeFacts(jumps=_every("step_size")),
    "MultiStepLR": TypeFacts(jumps=lambda s, done, driven: _milestones(s),
                             events=lambda s, first: [Event(m, f"milestone {m}") for m in _milestones(s)]),
    "SWALR": TypeFacts(peak=_max_with("swa_lr"), floor=_swa_floor),
    "LambdaLR": TypeFacts(lambda_driven=True),
    "MultiplicativeLR": TypeFacts(lambda_driven=True),
    "ReduceLROnPlateau": TypeFacts(metric_driven=True),
}
_UNKNOWN = TypeFacts()


def _imported_length(s: SchedulerNode) -> int | None:
    """transformers' factories: num_training_steps; pytorch-accelerated: epochs x updates per epoch."""
    o = s.options
    length = int_or_none(o.get("num_training_steps"))
    epochs = int_or_none(o.get("total_num_epochs", o.get("num_epochs")))
    per = int_or_none(o.get("num_update_steps_per_epoch"))
    return length if length is not None else (epochs * per if epochs and per else None)


_IMPORTED = TypeFacts(length=_imported_length, horizon=("num_training_steps",))

# Types that hold other schedulers instead of arguments of their own.
NESTED = tuple(name for name, facts in TABLE.items() if facts.nests)
# Every argument that sets a scheduler's length, of any type (verify moves them to test a horizon).
HORIZON_ARGS = tuple(dict.fromkeys(arg for facts in (*TABLE.values(), _IMPORTED) for arg in facts.horizon))
# Two meanings of "jump", one definition each (lrplot.summary):
# - a large change (check's 'jump' rule): one update moves the value by more than JUMP_THRESHOLD of the
#   curve's peak magnitude; small absolute changes late in a run are harmless there.
# - an abrupt change (the figure's marks and the summary's "jumps at"): one update moves the value by
#   more than STEP_CHANGE of the value itself and by more than STEP_SHARPNESS times the changes of the
#   updates either side, so every x0.5 drop is marked alike and a steep ramp's steady slope is not.
JUMP_THRESHOLD = 0.2
STEP_CHANGE = 0.2
STEP_SHARPNESS = 2.0


def facts_of(sched: SchedulerNode | str) -> TypeFacts:
    """The facts of a scheduler type (a node or its type name); an unknown type declares nothing."""
    from .spec import is_import_path  # here: the figure reads this table's constants without the spec models

    name = sched if isinstance(sched, str) else sched.type
    return _IMPORTED if is_import_path(name) else TABLE.get(name, _UNKNOWN)


def natural_length(sched: SchedulerNode) -> int | None:
    """How many scheduler values the schedule defines by itself, or None if it goes on forever:
    the table's length for a leaf; SequentialLR: last milestone + its last scheduler's length;
    ChainedScheduler: the longest. A ``last_epoch`` already counts as steps done."""
    o = sched.options
    length: int | None
    nests = facts_of(sched).nests if sched.schedulers else None
    if nests == "in turn":
        milestones = o.get("milestones")
        last = natural_length(sched.schedulers[-1])
        length = None
        if isinstance(milestones, list) and milestones and int_or_none(milestones[-1]) is not None and last:
            length = milestones[-1] + last
    elif nests == "together":
        lengths = [n for n in (natural_length(c) for c in sched.schedulers) if n]
        length = max(lengths) if lengths else None
    else:
        length = facts_of(sched).length(sched)
    if length is None or length <= 0:
        return None
    return max(length - resumed_steps(sched), 1)


def hard_limit(sched: SchedulerNode) -> int | None:
    """How many scheduler values torch can produce before it raises (OneCycleLR's total_steps)."""
    return natural_length(sched) if facts_of(sched).raises_past_length else None


def overrun(schedule: ResolvedSchedule, sched: SchedulerNode, steps: int) -> tuple[int, int] | None:
    """(scheduler steps ``steps`` updates need, the most torch can give) when a run of ``steps``
    updates drives ``sched`` past its hard limit (OneCycleLR's total_steps: torch raises), else None."""
    limit = hard_limit(sched)
    used = -(-steps // schedule.period(sched))
    return (used, limit) if limit is not None and used > limit else None


def base_lr(schedule: ResolvedSchedule, g: int) -> float:
    """The lr group ``g`` starts from before any scheduler: its initial_lr if given, else its lr
    (each the group's own, else the optimizer's), as torch's schedulers read it."""
    groups = schedule.param_groups
    opt = schedule.optimizer
    own = groups[g].options if groups and g < len(groups) else {}
    for value in (own.get("initial_lr"), opt.initial_lr, own.get("lr"), opt.lr):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return float(opt.lr)


def resolve_steps(schedule: ResolvedSchedule) -> int:
    """The number of optimizer updates to simulate, given or derived (the longest of the
    schedule's schedulers, each scaled by its period), checked against each scheduler's limit."""
    spec = schedule.spec
    steps = schedule.steps
    if steps is None:
        lengths = []
        for sched in schedule.schedulers:
            length = natural_length(sched)
            if length is None:
                raise spec.error(
                    f"'steps' is required: {sched.type} does not define its own length", sched.path,
                    hint="add 'steps: N' (the number of optimizer updates to draw)")
            lengths.append(length * schedule.period(sched))
        steps = max(lengths)
        if steps > MAX_STEPS:
            sched = schedule.schedulers[lengths.index(steps)]
            raise spec.error(f"{sched.type} defines {steps:,} steps, more than lrplot simulates ({MAX_STEPS:,})",
                             sched.path, hint="set 'steps' to the part you want to see")
        return steps
    for sched in schedule.schedulers:
        over = overrun(schedule, sched, steps)
        if over is not None:
            used, limit = over
            period = schedule.period(sched)
            unit = "epochs" if schedule.interval_of(sched) == "epoch" else "steps"
            unit = unit if (sched.frequency or 1) == 1 else "scheduler steps"
            raise spec.error(
                f"steps: {steps} runs past {sched.type}'s total_steps ({limit} {unit}); torch raises "
                f"at scheduler step {limit + 1}", schedule.where("steps"),
                hint=f"set steps: {limit * period} or raise total_steps to {used}")
    return steps


def schedule_events(schedule: ResolvedSchedule, steps: int) -> tuple[Event, ...]:
    """The events of every scheduler of ``schedule`` in optimizer updates of this run, inside it (a
    scheduler resumed with ``last_epoch`` has done some of its steps before the run)."""
    events = []
    for sched in schedule.schedulers:
        period, done = schedule.period(sched), resumed_steps(sched)
        events.extend(Event((e.step - done) * period, e.label, e.kind) for e in spec_events(sched)
                      if 0 < (e.step - done) * period < steps)
    return tuple(events)


# --- events (from the spec, for annotations) --------------------------------------------------

def spec_events(sched: SchedulerNode) -> list[Event]:
    """Steps the spec declares worth marking, in scheduler steps: SequentialLR hand-offs and what
    each scheduler type marks (the end of a warmup that starts the run, MultiStepLR milestones)."""
    events: list[Event] = []
    for phase in phases(sched):
        if phase.handoff:
            events.append(Event(phase.start, f"→ {phase.spec.type}", "phase"))
        # a scheduler that starts later counts from its start (a SequentialLR phase): the label says
        # so, since "milestone 25" drawn at 30 is exactly the surprise people hit
        events.extend(Event(phase.start + e.step, e.label + (f" (counted from {phase.start})" if phase.start and
                                                              e.kind == "milestone" else ""), e.kind)
                      for e in facts_of(phase.spec).events(phase.spec, phase.start == 0))
    seen: set[tuple[int, str]] = set()  # dedupe, keep order
    return [e for e in events if (e.step, e.label) not in seen and not seen.add((e.step, e.label))]
