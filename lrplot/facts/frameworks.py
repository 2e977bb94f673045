"""What framework scheduler types declare, as rows of :data:`lrplot.facts.TABLE` keyed by their import
paths (``mmengine.optim.scheduler:CosineAnnealingLR``, ``transformers.optimization:get_scheduler``).
Each row is written where the table is; the functions here read a node's arguments the way its
framework does, without importing it.

MMEngine (read from mmengine 0.10.7, ``optim/scheduler/param_scheduler.py``): a scheduler acts only
on the scheduler steps ``[begin, end)`` (``_ParamScheduler.step``, :180-222: ``last_step`` counts the
steps inside, the value holds outside), so its milestones, step sizes, periods and ``T_max`` count
from ``begin``; ``T_max`` defaults to ``end - begin`` (:638); ConstantLR and LinearLR apply their
factor at ``begin`` and ConstantLR restores the value at ``end - 1`` (``total_iters = end - begin - 1``,
:440); ``build_iter_from_epoch`` multiplies ``begin``, ``end`` and the lengths it names by
``epoch_length`` (:271-296, :359-385, :651-677, :1080-1110, :1203-1230).

MMEngine with ``optim_wrapper.accumulative_counts = k`` (the reader's one node,
``lrplot.sources.mmengine_updates:AccumulatedIterations``, see that module for the Runner's loop read
from mmengine 0.10.7): the schedulers step by ITERATION (``ParamSchedulerHook.after_train_iter`` after
every ``train_step``, hooks/param_scheduler_hook.py:19-44; ``after_train_epoch``, :57-70, after an
epoch's last iteration) while the optimizer steps only where ``OptimWrapper.should_update``
(optim/optimizer/optimizer_wrapper.py:335-346) is true: every k-th iteration and the last
(:func:`update_iterations`). A scheduler's change after ``m`` iterations' hooks is therefore first
used by the first update whose iteration comes after them (:func:`first_update_after`).
A CosineAnnealingLR inside rises again from the first update past ``begin + T_max``'s hooks
(:func:`accumulated_rebounds`, read by ``check``'s ``rebound``).

transformers (read from 5.23.0, ``optimization.py`` :177-185): ``cosine_with_restarts`` restarts
at ``num_warmup_steps + k (num_training_steps - num_warmup_steps) / num_cycles``.

timm (read from 1.0.31, ``timm/scheduler/cosine_lr.py`` :81-107, ``tanh_lr.py`` :79-105, ``poly_lr.py``
:77-103, the same cycle arithmetic in each): at ``t`` (epochs with ``t_in_epochs``, else updates; less
``warmup_t`` with ``warmup_prefix``) cycle ``i`` starts at ``t_initial (1 - cycle_mul**i) / (1 - cycle_mul)``
(``i * t_initial`` when ``cycle_mul`` is 1) and restarts at ``lr_max * cycle_decay**i`` while
``i < cycle_limit``; ``create_scheduler_v2`` (``scheduler_factory.py`` :133-145) passes ``num_epochs`` as
``t_initial`` and ``warmup_epochs`` as ``warmup_t``, both times ``updates_per_epoch`` unless
``step_on_epochs``.
"""

from __future__ import annotations

import inspect
import math
import re
import sys
from typing import TYPE_CHECKING, Any, Iterable

from .types import TypeFacts, int_or_none, number, per_group

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import SchedulerNode

MMENGINE_MODULES = ("mmengine.optim.scheduler",)  # where the reader names them from (all of them are there)
TRANSFORMERS_MODULES = ("transformers.optimization", "transformers")
BUILD_ITER = ".build_iter_from_epoch"
MEGATRON = "megatron.core.optimizer_param_scheduler:OptimizerParamScheduler"


def composer_warmup(s: SchedulerNode) -> tuple[str, int] | None:
    """Composer's ``*WithWarmupScheduler``: ``t_warmup`` as batches (``"100ba"``; a Composer batch is
    one optimizer update), the time its lr reaches the peak (composer/optim/scheduler.py
    ``_convert_time``); other units are not counted here."""
    value = s.options.get("t_warmup")
    match = re.fullmatch(r"\s*(\d+)\s*ba\s*", value) if s.type.startswith("composer.") and isinstance(value, str) \
        else None
    return ("t_warmup", int(match.group(1))) if match and int(match.group(1)) > 0 else None


def mmengine(name: str, facts: TypeFacts) -> dict[str, TypeFacts]:
    """Rows for MMEngine's ``name`` under each import path a spec may give it, epoch-built too."""
    return {f"{module}:{name}{suffix}": facts for module in MMENGINE_MODULES for suffix in ("", BUILD_ITER)}


def transformers(name: str, facts: TypeFacts) -> dict[str, TypeFacts]:
    return {f"{module}:{name}": facts for module in TRANSFORMERS_MODULES}


TIMM_CYCLES = {"CosineLRScheduler": "cosine_lr", "TanhLRScheduler": "tanh_lr", "PolyLRScheduler": "poly_lr"}
TIMM_FACTORY = "create_scheduler_v2"


def timm(name: str, facts: TypeFacts) -> dict[str, TypeFacts]:
    """Rows for timm's ``name`` under ``timm.scheduler`` and the module that defines it."""
    module = TIMM_CYCLES.get(name, "scheduler_factory")
    return {f"timm.scheduler:{name}": facts, f"timm.scheduler.{module}:{name}": facts}


# --- DeepSpeed -----------------------------------------------------------------------------------

DEEPSPEED_MODULE = "deepspeed.runtime.lr_schedules"
DEEPSPEED_WARMUPS = ("WarmupLR", "WarmupDecayLR", "WarmupCosineLR")


def _deepspeed_option(s: SchedulerNode, name: str) -> Any:
    """The node's ``name``, else the default of DeepSpeed's class signature (its module is loaded once the
    reader read the config or the engine built the class; None before, or when it has none)."""
    if name in s.options:
        return s.options[name]
    cls = getattr(sys.modules.get(DEEPSPEED_MODULE), s.type.rpartition(":")[2], None)
    param = inspect.signature(cls).parameters.get(name) if cls is not None else None
    return None if param is None or param.default is param.empty else param.default


def deepspeed_warmup(s: SchedulerNode) -> tuple[str, int] | None:
    """DeepSpeed 0.19.8's warmups (runtime/lr_schedules.py): ``warmup_num_steps = max(2, warmup_num_steps)``
    (:744, :890); the log warmup reaches the peak at ``last_batch_iteration = warmup_num_steps - 1``
    (:783-785, :909-911), the linear one at ``warmup_num_steps`` (:786-788, :912-913), and the engine's
    lr after k ``step()`` calls is iteration k - 1 (the constructor sets iteration -1's lr, :754-755)."""
    steps = int_or_none(_deepspeed_option(s, "warmup_num_steps"))
    return ("warmup_num_steps", max(2, steps)) if steps is not None and steps > 0 else None


def deepspeed_peak(s: SchedulerNode, base: float, g: int) -> float:
    """WarmupLR and WarmupDecayLR rise to ``warmup_max_lr`` (per group, :741-742; WarmupLR's None is the
    group's lr, :738-739, WarmupDecayLR's default 0.001, :818), WarmupCosineLR to the group's lr (:896-898),
    OneCycle to ``cycle_max_lr`` (per group, :547-549, :620-628); LRRangeTest rises without a bound (:313-)."""
    kind = s.type.rpartition(":")[2]
    if kind == "LRRangeTest":
        return math.inf
    key = {"WarmupLR": "warmup_max_lr", "WarmupDecayLR": "warmup_max_lr", "OneCycle": "cycle_max_lr"}.get(kind)
    value = number(per_group(_deepspeed_option(s, key), g)) if key else None
    return value if value is not None else base


def deepspeed(name: str, facts: TypeFacts) -> dict[str, TypeFacts]:
    return {f"{DEEPSPEED_MODULE}:{name}": facts}


# --- MMEngine ------------------------------------------------------------------------------------

ACCUMULATED = "lrplot.sources.mmengine_updates:AccumulatedIterations"


def update_iterations(max_iters: int, accumulative_counts: int) -> list[int]:
    """The iterations (1-based) at which ``OptimWrapper.should_update`` is true: every
    ``accumulative_counts``-th and the last (``_inner_count == _max_counts``, ``_max_counts`` the loop's
    ``max_iters``: runner/runner.py:1768)."""
    return [t for t in range(1, max_iters + 1) if t % accumulative_counts == 0 or t == max_iters]


def first_update_after(hooks: int, accumulative_counts: int, max_iters: int) -> int | None:
    """The first optimizer update (0-based) whose iteration comes after the hooks of iterations
    ``1 .. hooks`` ran, i.e. the first to use what a scheduler set there; None: none does."""
    if hooks + 1 > max_iters:
        return None
    return min(-(-(hooks + 1) // accumulative_counts), len(update_iterations(max_iters, accumulative_counts))) - 1

def _scale(s: SchedulerNode) -> int | None:
    """Scheduler steps per unit of its arguments: epoch_length once built from epochs, else 1."""
    return int_or_none(s.options.get("epoch_length")) if s.type.endswith(BUILD_ITER) else 1


def _range(s: SchedulerNode) -> tuple[int, float] | None:
    """[begin, end) in scheduler steps (end: inf when not given), or None when unreadable."""
    k, begin, end = _scale(s), number(s.options.get("begin", 0)), s.options.get("end")
    end = math.inf if end is None else number(end)
    if k is None or begin is None or end is None:
        return None
    if s.type.endswith(BUILD_ITER):
        return int(begin * k), end if end == math.inf else int(end * k)
    return math.ceil(begin), end


def _inside(s: SchedulerNode, steps: Iterable[float]) -> list[int]:
    span = _range(s)
    return [] if span is None else [int(n) for n in steps if span[0] <= n < span[1] and n == int(n)]


def _scaled(s: SchedulerNode, name: str) -> float | None:
    value, k = number(s.options.get(name)), _scale(s)
    return None if value is None or k is None else value * k


def cosine_end(s: SchedulerNode) -> int | None:
    """begin + T_max: where CosineAnnealingLR reaches its floor (it rises after, until end)."""
    span, t_max = _range(s), _scaled(s, "T_max")
    if span is None:
        return None
    if not t_max:  # MMEngine: T_max or (end - begin)
        return None if span[1] == math.inf else int(span[1])
    return int(span[0] + t_max)


def cosine_refit(s: SchedulerNode, driven: int) -> str:
    span, k = _range(s), _scale(s) or 1
    stop = driven if span is None else min(span[1], driven)
    begin = 0 if span is None else span[0]
    unit = "epochs" if s.options.get("by_epoch", True) else "iterations"
    return (f"set {{key}} to the {unit} it anneals over ({int(stop - begin) // k}), or leave it out "
            "(MMEngine then anneals from begin to end)")


def eta_min_peak(s: SchedulerNode, base: float, g: int) -> float:
    eta_min, ratio = number(per_group(s.options.get("eta_min"), g)), number(s.options.get("eta_min_ratio"))
    return max(base, eta_min if eta_min is not None else base * (ratio or 0.0))


def eta_min_floor(s: SchedulerNode, base: float, g: int) -> float | None:
    eta_min, ratio = number(per_group(s.options.get("eta_min"), g)), number(s.options.get("eta_min_ratio"))
    return eta_min if eta_min is not None else base * (ratio or 0.0)


def restart_peak(s: SchedulerNode, base: float, g: int) -> float:
    weights = [w for w in (number(v) for v in s.options.get("restart_weights") or [1]) if w is not None]
    return max([base] + [base * w for w in weights])


def max_lr_peak(s: SchedulerNode, base: float, g: int) -> float:
    value = number(per_group(s.options.get("max_lr"), g))
    return value if value is not None else base


def at_begin(s: SchedulerNode, done: int, driven: int) -> list[int]:
    """A factor applied when it starts (LinearLR's start_factor, OneCycleLR's initial value)."""
    span = _range(s)
    return [span[0]] if span is not None and span[0] > 0 else []


def constant_jumps(s: SchedulerNode, done: int, driven: int) -> list[int]:
    span = _range(s)
    return at_begin(s, done, driven) + ([int(span[1]) - 1] if span is not None and span[1] != math.inf else [])


def milestone_jumps(s: SchedulerNode, done: int, driven: int) -> list[int]:
    span, k = _range(s), _scale(s)
    milestones = [number(m) for m in s.options.get("milestones") or []]
    return [] if span is None or k is None else _inside(s, (span[0] + m * k for m in milestones if m is not None))


def step_jumps(s: SchedulerNode, done: int, driven: int) -> list[int]:
    span, size = _range(s), _scaled(s, "step_size")
    if span is None or not size or size < 1:
        return []
    return _inside(s, (span[0] + size * i for i in range(1, int((done + driven - span[0]) // size) + 1)))


def restart_jumps(s: SchedulerNode, done: int, driven: int) -> list[int]:
    span, k = _range(s), _scale(s)
    periods = [number(p) for p in s.options.get("periods") or []]
    if span is None or k is None or None in periods:
        return []
    ends = [sum(periods[:i + 1]) * k for i in range(len(periods) - 1)]  # a new period starts at each
    return _inside(s, (span[0] + e for e in ends))


# --- transformers --------------------------------------------------------------------------------

def _hard_restarts(options: dict[str, Any]) -> list[int]:
    """The updates where ``cosine_with_restarts`` starts a new cycle; each restart lands on the first
    update past its point, which float rounding may move by one, so both are given."""
    warmup, total = int_or_none(options.get("num_warmup_steps")) or 0, int_or_none(options.get("num_training_steps"))
    cycles = number(options.get("num_cycles"))
    if total is None or cycles is None or cycles <= 1:
        return []
    points = (warmup + i * (total - warmup) / cycles for i in range(1, math.ceil(cycles)))
    return sorted({n for p in points for n in (math.floor(p), math.floor(p) + 1) if warmup < n < total})


def hard_restart_jumps(s: SchedulerNode, done: int, driven: int) -> list[int]:
    return _hard_restarts(s.options)


def named_jumps(s: SchedulerNode, done: int, driven: int) -> list[int]:
    """``get_scheduler``: the named schedule's jumps (``scheduler_specific_kwargs`` hold num_cycles)."""
    if s.options.get("name") != "cosine_with_restarts":
        return []
    extra = s.options.get("scheduler_specific_kwargs")
    return _hard_restarts({**s.options, **(extra if isinstance(extra, dict) else {})})


# --- timm ----------------------------------------------------------------------------------------

def _timm_option(s: SchedulerNode, name: str) -> Any:
    """The spec's value of ``name``, else the default in the signature of the timm class or factory
    the node names, read only when timm is already loaded (the engine loaded it to draw the curve);
    None otherwise (a fact that needs it is then not declared)."""
    if name in s.options:
        return s.options[name]
    module = sys.modules.get("timm.scheduler")
    target = getattr(module, s.type.rpartition(":")[2], None) if module is not None else None
    if target is None:
        return None
    import inspect

    try:
        param = inspect.signature(target).parameters.get(name)
    except (TypeError, ValueError):
        return None
    return None if param is None or param.default is param.empty else param.default


def timm_in_epochs(s: SchedulerNode) -> bool:
    """Whether the node's ``t`` counts epochs (timm's ``t_in_epochs``; the factory's ``step_on_epochs``)."""
    factory = s.type.endswith(":" + TIMM_FACTORY)
    return _timm_option(s, "step_on_epochs" if factory else "t_in_epochs") is True


def timm_restarts(s: SchedulerNode, done: int, driven: int) -> list[int]:
    """The ``t`` where a cosine, tanh or poly schedule of timm starts cycle 1 .. cycle_limit - 1 (its
    restarts); a point that lands on a whole ``t`` may fall either side of it in floats, so both."""
    factory = s.type.endswith(":" + TIMM_FACTORY)
    if factory and _timm_option(s, "sched") not in ("cosine", "tanh", "poly"):
        return []
    names = ("num_epochs", "warmup_epochs") if factory else ("t_initial", "warmup_t")
    t_initial, warmup = number(_timm_option(s, names[0])), number(_timm_option(s, names[1]))
    mul, limit = number(_timm_option(s, "cycle_mul")), int_or_none(_timm_option(s, "cycle_limit"))
    prefix = _timm_option(s, "warmup_prefix")
    if factory and not timm_in_epochs(s):  # scheduler_factory.py :139-143
        per = int_or_none(_timm_option(s, "updates_per_epoch"))
        t_initial, warmup = (None, None) if not per or t_initial is None or warmup is None else (
            t_initial * per, warmup * per)
    if None in (t_initial, warmup, mul, limit, prefix) or not t_initial or t_initial <= 0 or limit <= 1 or mul <= 0:
        return []
    shift = warmup if prefix else 0
    out: set[int] = set()
    for i in range(1, limit):
        point = i * t_initial if mul == 1 else t_initial * (1 - mul ** i) / (1 - mul)
        near = round(point)
        candidates = (near, near + 1) if abs(point - near) < 1e-6 else (math.ceil(point),)
        out.update(int(c + shift) for c in candidates)
    return sorted(n for n in out if n >= max(done, warmup))


# --- MMEngine with accumulative_counts -----------------------------------------------------------

class AccumulatedEntry:
    """One scheduler of an accumulated node's ``param_scheduler``, shaped as a spec node (``type``,
    ``options``) so MMEngine's own rows read it: the import path lrplot's rows use, epoch-built where
    ``convert_to_iter_based``."""

    def __init__(self, entry: dict[str, Any], epoch_length: int | None) -> None:
        options = {k: v for k, v in entry.items() if k not in ("type", "convert_to_iter_based")}
        convert = entry.get("convert_to_iter_based") is True
        self.type = f"{MMENGINE_MODULES[0]}:{entry.get('type')}{BUILD_ITER if convert else ''}"
        self.options = {**options, **({"epoch_length": epoch_length} if convert else {})}
        # its scheduler steps are epochs: stepped at each epoch end, not after every iteration
        self.per_epoch = options.get("by_epoch", True) is True and not convert


def accumulated_entries(s: SchedulerNode) -> list[AccumulatedEntry]:
    entries, length = s.options.get("param_scheduler"), int_or_none(s.options.get("epoch_length"))
    return [AccumulatedEntry(e, length) for e in entries or [] if isinstance(e, dict)]


def accumulated_jumps(s: SchedulerNode, done: int, driven: int, facts_of: Any) -> list[int]:
    """The updates where the accumulated node's schedulers change the value on purpose: each
    scheduler's own jumps (its row), counted in iterations (epochs x epoch_length for a per-epoch one),
    moved to the first update that uses them."""
    counts, iters = int_or_none(s.options.get("accumulative_counts")), int_or_none(s.options.get("max_iters"))
    length = int_or_none(s.options.get("epoch_length"))
    if not counts or not iters or counts < 1:
        return []
    out: set[int] = set()
    for entry in accumulated_entries(s):
        per = length if entry.per_epoch else 1
        if not per:  # per-epoch in an IterBasedTrainLoop: never stepped
            continue
        for n in facts_of(entry.type).jumps(entry, 0, iters // per):
            update = first_update_after(int(n) * per, counts, iters)
            if update is not None:
                out.add(update)
    return sorted(out)


def accumulated_peak(s: SchedulerNode, base: float, g: int, facts_of: Any) -> float:
    return max([base] + [facts_of(e.type).peak(e, base, g) for e in accumulated_entries(s)])


def accumulated_floor(s: SchedulerNode, base: float, g: int, facts_of: Any) -> float | None:
    """The floor of the last scheduler (the one that ends the run), as for schedulers listed apart."""
    entries = accumulated_entries(s)
    return facts_of(entries[-1].type).floor(entries[-1], base, g) if entries else None


def accumulated_rebounds(s: SchedulerNode, facts_of: Any) -> list[tuple[Any, tuple, int, int | None, int]]:
    """Each scheduler of the accumulated node that rises again past its length (CosineAnnealingLR
    past ``begin + T_max``) with: its key path under the node, the first update that uses its floor
    (:func:`first_update_after` the hooks that reach it), the last update that uses a value it set
    (None: to the run's end; past ``end`` MMEngine holds the value) and the scheduler steps the run
    drives it (epochs for a per-epoch one), as ``rebound`` reads a CosineAnnealingLR phase."""
    counts, iters = int_or_none(s.options.get("accumulative_counts")), int_or_none(s.options.get("max_iters"))
    length = int_or_none(s.options.get("epoch_length"))
    if not counts or not iters or counts < 1:
        return []
    out = []
    for i, entry in enumerate(accumulated_entries(s)):
        facts, per = facts_of(entry.type), length if entry.per_epoch else 1
        end = facts.length(entry) if facts.rises_after_length and per else None
        floor_at = first_update_after(end * per, counts, iters) if end else None
        if floor_at is None:
            continue
        span = _range(entry)
        stop = None if span is None or span[1] == math.inf else first_update_after(int(span[1]) * per, counts, iters)
        out.append((entry, ("param_scheduler", i), floor_at, stop, iters // per))
    return out
