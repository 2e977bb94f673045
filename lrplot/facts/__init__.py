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

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from ..curves import Event
from ..families import resolve_class
from ..limits import MAX_STEPS
from . import frameworks as fw
from .types import TypeFacts, int_or_none, number, option, per_group, resumed_steps, torch_default

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import ResolvedSchedule, SchedulerNode

__all__ = ["TABLE", "TypeFacts", "Phase", "phases", "facts_of", "natural_length", "hard_limit", "overrun", "base_lr",
           "resolve_steps", "schedule_events", "declared_jumps", "spec_events", "int_or_none", "option", "per_group",
           "resumed_steps",
           "torch_default", "NESTED", "HORIZON_ARGS", "JUMP_THRESHOLD", "STEP_CHANGE", "STEP_SHARPNESS"]


def first_update(schedule: ResolvedSchedule) -> int:
    """The trainer's number of the first update a run of ``schedule`` records: 0, or for a schedule
    resumed by its spec (``last_epoch`` of its one scheduler) the updates already done. Every step
    lrplot shows for the run (figure, summary, export, ``check``, ``state``, ``resume``) counts from
    it, as the trainer's global step does."""
    if len(schedule.schedulers) != 1:
        return 0
    return resumed_steps(schedule.scheduler) * schedule.period(schedule.scheduler)


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



def _total_iters_plus_one(s: SchedulerNode) -> int | None:
    total = int_or_none(option(s, "total_iters"))
    return total + 1 if total is not None else None  # the value it settles at is shown too


def _one_cycle_length(s: SchedulerNode) -> int | None:
    total = int_or_none(option(s, "total_steps"))
    epochs, per = int_or_none(option(s, "epochs")), int_or_none(option(s, "steps_per_epoch"))
    return total if total is not None else (epochs * per if epochs and per else None)


def _one_cycle_floor(s: SchedulerNode, base: float, g: int) -> float | None:
    values = [number(per_group(option(s, "max_lr"), g)), number(option(s, "div_factor")),
              number(option(s, "final_div_factor"))]
    return values[0] / values[1] / values[2] if None not in values else None


def _linear_floor(s: SchedulerNode, base: float, g: int) -> float | None:
    start, end = number(option(s, "start_factor")), number(option(s, "end_factor"))
    return base * end if start is not None and end is not None and end < start else None


def _swa_floor(s: SchedulerNode, base: float, g: int) -> float | None:
    swa = number(per_group(option(s, "swa_lr"), g))
    return swa if swa is not None and swa < base else None


def _max_with(name: str) -> Callable[[SchedulerNode, float, int], float]:
    def peak(s: SchedulerNode, base: float, g: int) -> float:
        value = number(per_group(option(s, name), g))
        return max(base, value) if value is not None else base
    return peak


def _max_lr(s: SchedulerNode, base: float, g: int) -> float:
    value = number(per_group(option(s, "max_lr"), g))
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


def _imported_length(s: SchedulerNode) -> int | None:
    """transformers' factories: num_training_steps; pytorch-accelerated: epochs x updates per epoch."""
    o = s.options
    length = int_or_none(o.get("num_training_steps"))
    epochs = int_or_none(o.get("total_num_epochs", o.get("num_epochs")))
    per = int_or_none(o.get("num_update_steps_per_epoch"))
    return length if length is not None else (epochs * per if epochs and per else None)


def _imported_warmup(s: SchedulerNode) -> tuple[str, int] | None:
    """transformers-style factories (transformers, torchtune): ``num_warmup_steps`` steps up to the
    base lr; Composer's warmup schedulers: ``t_warmup`` in batches (``"100ba"``), one per update."""
    steps = int_or_none(s.options.get("num_warmup_steps"))
    if steps is not None and steps > 0:
        return "num_warmup_steps", steps
    return fw.composer_warmup(s)


def _linear_warmup(s: SchedulerNode) -> tuple[str, int] | None:
    """torch's LinearLR rising to the base lr (``end_factor`` 1): a warmup of ``total_iters`` steps."""
    start, end, total = number(option(s, "start_factor")), number(option(s, "end_factor")), \
        int_or_none(option(s, "total_iters"))
    return ("total_iters", total) if start is not None and end == 1.0 and start < end and total else None


_IMPORTED = TypeFacts(length=_imported_length, horizon=("num_training_steps",), warmup=_imported_warmup)
_MM_JUMPS = {"MultiStep": fw.milestone_jumps, "Step": fw.step_jumps, "Constant": fw.constant_jumps,
             "Linear": fw.at_begin, "OneCycle": fw.at_begin, "CosineRestart": fw.restart_jumps}

TABLE: dict[str, TypeFacts] = {
    # torch.optim.lr_scheduler (and SWALR)
    "SequentialLR": TypeFacts(nests="in turn"),
    "ChainedScheduler": TypeFacts(nests="together"),
    "OneCycleLR": TypeFacts(length=_one_cycle_length, horizon=("total_steps",), raises_past_length=True,
                            decays=True, peak=_max_lr, floor=_one_cycle_floor, acts=True),
    "CyclicLR": TypeFacts(peak=_max_lr, acts=True, warmup=lambda s: ("step_size_up", n) if (n := int_or_none(
        option(s, "step_size_up"))) else None),  # its first rise, base_lr -> max_lr
    "CosineAnnealingLR": TypeFacts(length=lambda s: int_or_none(option(s, "T_max")), horizon=("T_max",), decays=True,
                                   rises_after_length=True, scales_current_lr=True, peak=_max_with("eta_min"),
                                   floor=lambda s, base, g: number(option(s, "eta_min")) or 0.0, acts=True),
    "CosineAnnealingWarmRestarts": TypeFacts(peak=_max_with("eta_min"), jumps=_restarts, acts=True),
    "PolynomialLR": TypeFacts(length=lambda s: int_or_none(option(s, "total_iters")), horizon=("total_iters",),
                              decays=True, scales_current_lr=True, acts=True,
                              floor=lambda s, base, g: 0.0),
    "LinearLR": TypeFacts(length=_total_iters_plus_one, horizon=("total_iters",), floor=_linear_floor,
                          events=_warmup_end("warmup end"), scales_current_lr=True, warmup=_linear_warmup, acts=True),
    "ConstantLR": TypeFacts(length=_total_iters_plus_one, horizon=("total_iters",), jumps=_at_total_iters,
                            events=_warmup_end("ConstantLR ends"), scales_current_lr=True),
    "StepLR": TypeFacts(jumps=_every("step_size"), scales_current_lr=True, acts=True),
    "ExponentialLR": TypeFacts(scales_current_lr=True, acts=True),
    "MultiStepLR": TypeFacts(jumps=lambda s, done, driven: _milestones(s), scales_current_lr=True, acts=True,
                             events=lambda s, first: [Event(m, f"milestone {m}") for m in _milestones(s)]),
    "SWALR": TypeFacts(peak=_max_with("swa_lr"), floor=_swa_floor),
    "LambdaLR": TypeFacts(lambda_driven=True),
    "MultiplicativeLR": TypeFacts(lambda_driven=True, scales_current_lr=True),
    "ReduceLROnPlateau": TypeFacts(metric_driven=True),
    # MMEngine's parameter schedulers, each acting on [begin, end) (see .frameworks); the momentum and
    # generic variants declare only where they step, their peak and floor are not the lr's
    **fw.mmengine("CosineAnnealingLR", TypeFacts(length=fw.cosine_end, horizon=("T_max",), rises_after_length=True,
                                                 peak=fw.eta_min_peak, floor=fw.eta_min_floor, refit=fw.cosine_refit)),
    **fw.mmengine("CosineRestartLR", TypeFacts(peak=fw.restart_peak, floor=fw.eta_min_floor, jumps=fw.restart_jumps)),
    **fw.mmengine("PolyLR", TypeFacts(floor=fw.eta_min_floor)),
    **fw.mmengine("OneCycleLR", TypeFacts(peak=fw.max_lr_peak, jumps=fw.at_begin)),
    **{k: v for kind, jumps in _MM_JUMPS.items() if kind not in ("CosineRestart", "OneCycle")
       for k, v in fw.mmengine(f"{kind}LR", TypeFacts(jumps=jumps)).items()},
    **{k: v for kind, jumps in _MM_JUMPS.items() for suffix in ("Momentum", "ParamScheduler")
       if kind + suffix != "OneCycleMomentum" for k, v in fw.mmengine(kind + suffix, TypeFacts(jumps=jumps)).items()},
    # MMEngine's schedulers on the Runner's iteration clock, read at the updates of accumulative_counts
    fw.ACCUMULATED: TypeFacts(jumps=lambda s, done, driven: fw.accumulated_jumps(s, done, driven, facts_of),
                              peak=lambda s, base, g: fw.accumulated_peak(s, base, g, facts_of),
                              floor=lambda s, base, g: fw.accumulated_floor(s, base, g, facts_of)),
    # transformers' schedule functions: cosine_with_restarts restarts on purpose
    **fw.transformers("get_scheduler", replace(_IMPORTED, jumps=fw.named_jumps)),
    **fw.transformers("get_cosine_with_hard_restarts_schedule_with_warmup",
                      replace(_IMPORTED, jumps=fw.hard_restart_jumps)),
    # timm's cycle schedules restart on purpose, counting epochs or updates as t_in_epochs says
    **{k: v for name in (*fw.TIMM_CYCLES, fw.TIMM_FACTORY)
       for k, v in fw.timm(name, TypeFacts(jumps=fw.timm_restarts, jumps_in_epochs=fw.timm_in_epochs)).items()},
    # DeepSpeed's schedules (sources/deepspeed.py names them by import path): their peaks, the warmups' lengths
    **{k: v for name in fw.DEEPSPEED_WARMUPS
       for k, v in fw.deepspeed(name, TypeFacts(warmup=fw.deepspeed_warmup, peak=fw.deepspeed_peak)).items()},
    **{k: v for name in ("OneCycle", "LRRangeTest") for k, v in fw.deepspeed(name, TypeFacts(peak=fw.deepspeed_peak)).items()},
    # Megatron-LM passes lr_warmup_steps = lr_warmup_fraction x lr_decay_steps as the float it is (training.py
    # get_optimizer_param_scheduler, core_v0.16.1 :1367-1368 and :1382-1383), which optimizer_param_scheduler.py
    # keeps untruncated (:151) and compares num_steps with and divides by (:227-229, :247-249); get_lr reads a
    # group's own max_lr and min_lr (:223-224), which --decoupled-lr gives the embedding and output layers
    fw.MEGATRON: replace(_IMPORTED, float_ints=("lr_warmup_steps",), group_keys=("max_lr", "min_lr")),
    # torchtitan's linear_warmup_stable_decay (0.2.2, 0.3.0): warmup_steps updates up to the base lr
    **{f"lrplot.sources.{module}:lr_schedulers": replace(_IMPORTED, warmup=lambda s: ("warmup_steps", s.options[
        "warmup_steps"]) if (int_or_none(s.options.get("warmup_steps")) or 0) > 0 else None)
       for module in ("torchtitan", "torchtitan_registry")},
}
_UNKNOWN = TypeFacts()



# Types that hold other schedulers instead of arguments of their own.
NESTED = tuple(name for name, facts in TABLE.items() if facts.nests)
# Every argument that sets a scheduler's length, of any type (verify moves them to test a horizon).
HORIZON_ARGS = tuple(dict.fromkeys(arg for facts in (*TABLE.values(), _IMPORTED) for arg in facts.horizon))
# Two meanings of "jump", one definition each (lrplot.summary):
# - a large change (check's 'jump' rule): one update moves the value by more than JUMP_THRESHOLD of the
#   curve's peak magnitude; small absolute changes late in a run are harmless there.
# - an abrupt change (the figure's marks and the summary's "jumps at"): one update moves the value by
#   more than STEP_CHANGE of the value itself and by more than STEP_SHARPNESS times the changes of the
#   updates either side, so every x0.5 drop is marked alike and a steep ramp's steady slope is not;
#   drops back to back (milestones [30, 31]) are compared with the updates either side of all of them.
JUMP_THRESHOLD = 0.2
STEP_CHANGE = 0.2
STEP_SHARPNESS = 2.0


def facts_of(sched: SchedulerNode | str) -> TypeFacts:
    """The facts of a scheduler type (a node or its type name); an unknown type declares nothing but,
    given by import path, the length of transformers-style ``num_training_steps``."""
    from ..spec import is_import_path  # here: the figure reads this table's constants without the spec models

    name = sched if isinstance(sched, str) else sched.type
    return TABLE.get(name) or (_IMPORTED if is_import_path(name) else _UNKNOWN)


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
                from ..spec import is_import_path

                if not is_import_path(sched.type):
                    resolve_class(spec, sched)  # an unknown name is said as such, not as a missing length
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


def declared_jumps(schedule: ResolvedSchedule, placed: Iterable[Phase], steps: int) -> set[int]:
    """The updates of a run of ``steps`` updates where the spec itself asks for a discontinuity: each
    type's ``jumps`` (StepLR boundaries, milestones, restarts, ...) of every phase placed in the run
    (``placed``: start and end in updates, ``scale`` updates per scheduler step), in updates (counted in
    epochs where the type says so); every update for a metric-driven scheduler, whose drops follow the
    metric."""
    out: set[int] = set()
    for p in placed:
        facts = facts_of(p.spec)
        if facts.metric_driven:
            out.update(range(steps))
            continue
        done = resumed_steps(p.spec)
        unit = p.scale * ((schedule.steps_per_epoch or 1) if facts.jumps_in_epochs(p.spec) else 1)
        driven = (p.end - p.start) // unit if p.end is not None else steps // unit
        out.update(p.start + (n - done) * unit for n in facts.jumps(p.spec, done, driven))
    return out


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
