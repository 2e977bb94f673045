"""Did the run follow the plan? Every logged value against the plan, and the cause when it did not.

The analysis above the readers: :mod:`lrplot.logs` reads the log, :mod:`lrplot.sources` and the
engine make the plan, and this package compares them (:mod:`.plan`: the plan re-simulated on
demand; :mod:`.diagnose`: one series against the plan and its cause; :mod:`.resumed`: a resumed W&B
run's later folder, compared again from where it resumed; :mod:`.verdict`: what is
reported; here: the files and series put together).

The plan is simulated by the engine (the real scheduler); the log is read by :mod:`lrplot.logs`
with its steps already in lrplot's convention (the value at step t is the lr of update t).
A logged value agrees with the plan when it is what the log would hold had the run followed the
plan: ``np.float32(plan) == logged`` for logs that store float32 (TensorBoard, or a log whose every value
is a float32 number: :func:`lrplot.logs.stored_as`), ``plan == logged`` otherwise; ``rtol`` loosens both to ``|logged - plan| <= rtol * |plan|``.

When a series leaves the plan, each cause below is a transformation of the plan, and it is named
only if the transformed plan, computed by the real scheduler again (re-simulated past the plan's
end, or with another base lr, where needed), agrees with EVERY logged value under the same rule:

- frozen: every value is the plan's first (the scheduler never stepped), or the base lr (none attached);
- compressed by k: value at t == plan at k*t (the scheduler stepped k times per update: once per
  process, once per micro-batch, an extra ``scheduler.step()``); in an MMEngine plan with ``accumulative_counts``,
  whose schedulers step at every iteration, the plan re-simulated with them stepped k times per iteration;
- stretched by k: value at t == plan at floor(t / k) (stepped once every k updates: per epoch);
- counted in micro-batches: stretched by k, the log running k times the plan's length (its step
  counts micro-batches, k per update: logged inside a gradient-accumulation loop);
- shifted by n: value at t == plan at t + n (logged after ``scheduler.step()``; started late/early);
- restarted at n: plan at t before n, plan at t - n from n on (a resume that rebuilt the scheduler
  without its state);
- restarted at n from the lr it had there: the plan to n, then its schedulers built anew on the
  optimizer's restored lr (the plan's at n) and re-simulated (the optimizer's state loaded, not the
  scheduler's: a chainable scheduler goes on from that lr);
- scaled by c: the plan re-simulated with base lr c * lr (another learning rate in the config);
- stepped once per process: the plan re-simulated with the real scheduler stepped k times per update
  the way Accelerate's ``AcceleratedScheduler.step`` does (named when only that explains the log, as
  with OneCycleLR, which Accelerate stops stepping at ``total_steps``, or when ``--devices`` is k);
- counted in samples: value at step s == plan at s / B (the log's step counts samples, B per update);
- ended early / ran longer: the plan re-simulated with the run's length (where its log ends) as its
  horizon (the scheduler length arguments spanning the plan moved by the difference);
- longer: every value agrees and the run goes on past the plan's last step (the horizons differ).
- not a number: every value that disagrees is nan or inf where the plan is a number.

Candidates for k and n come from the first diverging value; each is then tested on all values.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Iterable, Sequence

import numpy as np

from ..budget import SAMPLES_PER_UPDATE, Told
from ..curves import Curves, ScheduleTrace
from ..errors import UsageError
from ..imports import AllowImport, allowed_imports
from ..logs import log_info
from ..spec import ResolvedSchedule
from .resumed import compare
from .plan import Plan, agree
from .verdict import Cause, Divergence, Report, Verdict

__all__ = ["Cause", "Divergence", "Plan", "Report", "Verdict", "agree", "compare", "load_plan", "overlay",
           "stated_batches", "verify", "verify_files"]


def _pick(plan: Curves, name: str | None, trace: ScheduleTrace) -> int:
    names = plan.names
    if name is not None:
        if name not in names:
            from ..text import did_you_mean

            raise UsageError(f"--schedule {name}: no such schedule in the plan",
                             hint=did_you_mean(name, names) or f"use one of {', '.join(names)}")
        return names.index(name)
    if len(names) == 1:
        return 0
    if trace.name in names:
        return names.index(trace.name)
    raise _NotNamed(f"the plan has {len(names)} schedules ({', '.join(names)}); say which the run followed",
                    hint="add --schedule NAME")


class _NotNamed(UsageError):
    """A plan of several schedules, none named like the run: verify asks; a figure draws the points alone."""


def _plan_batch(schedule: ResolvedSchedule, stated: Told | None) -> Told | None:
    """The samples per update the plan itself states: its config's (``stated``: the reader's
    :attr:`~lrplot.budget.Budget.samples_per_update`, DeepSpeed's ``train_batch_size``), else a Megatron
    scheduler's ``global_batch_size`` (the ``--global-batch-size`` of its launch script), unless a batch-size
    ramp-up changes it."""
    if stated is not None:
        return stated
    batches = {n.global_batch_size for n in schedule.schedulers if getattr(n, "global_batch_size", None)}
    ramped = any(getattr(n, "rampup_batch_size", None) for n in schedule.schedulers)
    return Told(SAMPLES_PER_UPDATE, batches.pop(), "global_batch_size") if len(batches) == 1 and not ramped else None


def stated_batches(sources: Iterable[Any]) -> list[Told | None]:
    """The samples per update each source's config states (:attr:`~lrplot.budget.Budget.samples_per_update`),
    one per schedule, in the order of ``[s for source in sources for s in source.spec.schedule_list()]``."""
    return [source.budget.samples_per_update if source.budget is not None else None
            for source in sources for _ in source.spec.schedule_list()]


def _in_updates(trace: ScheduleTrace, plan: ScheduleTrace, global_batch: int | None,
                plan_batch: Told | None = None) -> ScheduleTrace:
    """A log counted in samples or epochs, its steps moved to updates (:mod:`lrplot.logs.axes`): samples
    per update from --global-batch, else the plan's own (``plan_batch``), else the log's spacing."""
    from ..logs.axes import as_samples, not_samples, samples_per_update, to_updates

    info = log_info(trace)
    if info.axis == "updates" and global_batch is not None:  # a plain loop's tag: its steps the samples seen
        trace = as_samples(trace) or trace
        info = log_info(trace)
    if info.axis == "updates" or info.per:
        return trace
    key = next(iter(info.keys.values()), trace.name)
    if info.axis == "samples":
        if global_batch is not None:
            return to_updates(trace, global_batch, f"{global_batch} samples per update (--global-batch)")
        if plan_batch is not None:
            bad = not_samples(trace, plan_batch.value)
            if bad is not None:  # the run was not the plan's batch (another world size): said, not compared
                raise UsageError(f"{key}: the log's step {bad} is not a count of samples seen at {plan_batch.value} "
                                 f"per update, the plan's {plan_batch.origin}: the run took another number of "
                                 "samples per update", hint="set --global-batch to the run's (micro-batch x "
                                                            "accumulation steps x data-parallel processes)")
            return to_updates(trace, plan_batch.value, f"{plan_batch.value} samples per update (the plan's "
                                                        f"{plan_batch.origin})")
        b = samples_per_update(trace)
        if b is None:
            raise UsageError(f"{key}: the log's steps count samples seen ({info.writer.split(' (')[0]}); say how "
                             "many samples one update takes", hint="add --global-batch N (micro-batch x "
                                                                  "accumulation steps x data-parallel processes)")
        spacing = "the log's step spacing (it logs every update)"  # the guess, said in the verdict and the figure
        moved = to_updates(trace, b, f"{b} samples per update: {spacing}; --global-batch says otherwise")
        assumed = f"counts its steps in samples, {b} samples per update, {spacing} (set --global-batch to change it)"
        return replace(moved, meta={**moved.meta, "log": replace(log_info(moved), assumed=assumed)})
    if not plan.steps_per_epoch:
        raise UsageError(f"{key}: the log's steps count epochs and the plan does not say how many updates an "
                         "epoch has", hint="set steps_per_epoch in the plan (--set steps_per_epoch=N)")
    return to_updates(trace, plan.steps_per_epoch, f"{plan.steps_per_epoch} updates per epoch (the plan's)")


def _at_updates(trace: ScheduleTrace, schedule: ResolvedSchedule) -> ScheduleTrace:
    """An MMEngine log of a plan with ``accumulative_counts`` k: its steps count iterations, the optimizer
    updating at every k-th and the last (:func:`lrplot.facts.frameworks.update_iterations`), the lr logged
    at each iteration. The lr at each update's iteration is that update's; the others no update used."""
    from ..facts.frameworks import ACCUMULATED, update_iterations
    from ..facts.types import int_or_none

    info = log_info(trace)
    node = next((n for n in schedule.schedulers if n.type == ACCUMULATED), None)
    if info.format not in ("mmengine", "mmengine-text") or info.axis != "updates" or node is None:
        return trace
    k, iters = int_or_none(node.options.get("accumulative_counts")), int_or_none(node.options.get("max_iters"))
    if not k or k < 2 or not iters:
        return trace
    update = {it - info.step_offset: u for u, it in enumerate(update_iterations(iters, k))}  # lrplot's step: update
    at, values = {}, {}
    for key, steps in trace.at.items():
        kept = np.flatnonzero([int(s) in update for s in steps.tolist()])
        at[key] = np.array([update[int(s)] for s in steps[kept].tolist()], dtype=np.int64)
        values[key] = trace.values[key][kept]
    moved = replace(info, axis="iterations", per=k, step_offset=0,
                    writer=f"{info.writer}; read with {k} iterations per update (accumulative_counts), the lr at "
                           "each update's iteration compared")
    end = max((int(a[-1]) + 1 for a in at.values() if len(a)), default=0)
    return replace(trace, at=at, values=values, steps=end, meta={**trace.meta, "log": moved})


def _global_batch_used(log: Curves, global_batch: int | None) -> None:
    """Refuse --global-batch for a log whose steps count no samples: it would be accepted and
    ignored, the user believing the run was compared at that batch."""
    from ..logs.axes import as_samples, not_samples

    infos = [log_info(trace) for trace in log.schedules]
    if global_batch is None or not infos or any(i.axis == "samples" and not i.per for i in infos):
        return
    plain = [as_samples(trace) for trace in log.schedules]
    if all(plain):  # plain loops' tags, which do not say what their steps count: samples seen, if they can be
        bad = next((b for b in (not_samples(t, global_batch) for t in plain if t is not None) if b is not None), None)
        if bad is None:
            return
        key = next(iter(infos[0].keys.values()), log.schedules[0].name)
        raise UsageError(f"--global-batch {global_batch} does not fit the log: {key}'s steps "
                         f"({infos[0].writer.split(' (')[0]}: they do not say what they count) are not all multiples "
                         f"of {global_batch} (step {bad}), as "
                         f"samples seen at {global_batch} per update would be",
                         hint="give the run's samples per update, or leave --global-batch out (its steps are then "
                              "read as updates)")
    writer = infos[0].writer.split(" (")[0]
    raise UsageError(f"--global-batch {global_batch} is unused: the log's steps count {infos[0].axis}"
                     f"{f' ({writer})' if writer else ''}, not samples seen",
                     hint="leave --global-batch out (it is for logs counted in samples)")


def _from_first(trace: ScheduleTrace, plan: ScheduleTrace) -> ScheduleTrace:
    """A log compared with a plan resumed by its spec (``first_update`` F > 0): its steps counted
    from F as the plan's values are (the trainer's update F is the plan's index 0), and the log's
    own step of each kept in its :class:`~lrplot.logs.LogInfo` offset, so every message still says
    the log's step and the figure and exports still draw and write the trainer's."""
    first = plan.first_update
    if not first or trace.at is None:
        return trace
    info = log_info(trace)
    if info.axis == "epochs":
        if first % max(info.per, 1):
            key = next(iter(info.keys.values()), trace.name)
            raise UsageError(f"{key}: the log's steps count epochs of {info.per} updates and the plan resumes at "
                             f"update {first}, inside an epoch", hint="log the lr per update, or resume the plan "
                                                                       "at an epoch's start (last_epoch)")
        moved = replace(info, step_offset=info.step_offset + first // info.per)
    else:
        moved = replace(info, step_offset=info.step_offset + first)
    at = {key: steps - first for key, steps in trace.at.items()}
    return replace(trace, at=at, steps=max(trace.steps - first, 0),
                   meta={**trace.meta, "log": moved, "first_update": first})


def verify(plan: Curves, schedules: list[ResolvedSchedule], log: Curves, *, rtol: float = 0.0,
           schedule: str | None = None, allow_import: AllowImport = None, diagnose: bool = True,
           global_batch: int | None = None, devices: int | None = None,
           batches: Sequence[Told | None] = ()) -> Report:
    """Compare every logged series of ``log`` with the plan (``schedules`` are the plan's, to
    re-simulate it when testing causes). The report's curves are the plan and the logged points,
    with the diverging spans shaded. ``global_batch``: samples per update, for logs counted in
    samples (``--global-batch``); ``batches``: what the plan's configs state of it, per schedule
    (:func:`stated_batches`); ``devices``: the run's process count (names "stepped once per process")."""
    if rtol < 0 or not math.isfinite(rtol):
        raise UsageError(f"--rtol {rtol}: must be a finite number >= 0")
    _global_batch_used(log, global_batch)
    allow = allowed_imports(allow_import)
    report = Report()
    plans: dict[int, Plan] = {}
    logged: list[ScheduleTrace] = []
    for trace in log.schedules:
        p = _pick(plan, schedule, trace)
        model = plans.setdefault(p, Plan(schedules[p], plan.schedules[p], allow, devices))
        trace = _in_updates(trace, model.trace, global_batch, _plan_batch(schedules[p], batches[p] if p < len(batches)
                                                                         else None))
        trace = _from_first(_at_updates(trace, schedules[p]), model.trace)
        spans: list[tuple[int, int]] = []
        moved: set[int] = set()
        placed: set[str] = set()
        for g, group in enumerate(trace.groups):
            for f in trace.fields:
                if (g, f) not in trace.values:
                    continue
                key = log_info(trace).keys.get((g, f), trace.name)
                if g >= len(model.trace.groups):
                    report.skipped.append(f"{key}: the plan has {len(model.trace.groups)} param group(s), "
                                          f"not a group {group}")
                    continue
                if (g, f) not in model.trace.values:
                    report.skipped.append(f"{key}: the plan does not record {f} (add it to 'fields:')")
                    continue
                v = compare(model, trace, g, f, rtol=rtol, diagnose=diagnose, schedule_name=model.trace.name)
                report.verdicts.append(v)
                moved.add(v.moved)
                placed.add(v.placed)
                spans.extend(v.spans)
        if len(moved) == 1 and moved != {0}:  # drawn where it follows the plan: a resumed run's later folder,
            n = moved.pop()                   # a log read by another writer's convention (said under the figure)
            trace = replace(trace, at={key: steps + n for key, steps in trace.at.items()}, steps=trace.steps + n)
            said = "; ".join(sorted(p for p in placed if p))
            if said:
                info = log_info(trace)
                assumed = f"{info.assumed}; {said}" if info.assumed else said
                trace = replace(trace, meta={**trace.meta, "log": replace(info, assumed=assumed)})
        # the plan's steps_per_epoch, so that --x epoch and the epoch axis work for the points too
        logged.append(replace(trace, spans=tuple(sorted(set(spans))), steps_per_epoch=model.trace.steps_per_epoch))
    used = [plan.schedules[p] for p in sorted(plans)]
    report.curves = Curves(tuple(used) + apart(used, logged), title=plan.title)
    return report


def apart(plan: Iterable[ScheduleTrace], logged: Iterable[ScheduleTrace]) -> tuple[ScheduleTrace, ...]:
    """The logged traces, each renamed ``NAME (log)`` where a schedule of the plan has its name (a spec
    ``lr.yaml`` beside a log of ``lr``): figures, pages and exports tell curves apart by name, and two of
    one name drew the plan at the log's steps (an internal error) and wrote one of them to ``--data``."""
    taken = {t.name for t in plan}
    out = []
    for trace in logged:
        name, n = trace.name, 1
        while name in taken:
            name = f"{trace.name} (log{f' {n}' if n > 1 else ''})"
            n += 1
        taken.add(name)
        out.append(trace if name == trace.name else replace(trace, name=name))
    return tuple(out)


def overlay(plan: Curves, schedules: list[ResolvedSchedule], log: Curves, **kwargs: Any) -> Curves:
    """The plan with the logged points (and diverging spans), for ``lrplot PLAN --log LOG``."""
    try:
        report = verify(plan, schedules, log, diagnose=False, **kwargs)
    except _NotNamed:  # several schedules and none named like the run: draw the points, shade nothing
        # (any other refusal, a log counted in samples with no batch to convert it, is said: drawn at its
        # own steps, its points would sit at sample counts on an axis of updates)
        return Curves(plan.schedules + apart(plan.schedules, log.schedules), plan.title)
    return Curves(plan.schedules + apart(plan.schedules, (t for t in report.curves.schedules if t.style == "points")),
                  plan.title)


def load_plan(path: Any, *, overrides: Iterable[str] = (), allow_import: AllowImport = None,
              inputs: Any = None, kind: str | None = None,
              use_cache: bool = True) -> tuple[Curves, list[ResolvedSchedule], list[Told | None]]:
    """PLAN: anything lrplot draws (an lrplot spec or a training config), simulated; with the samples per
    update its config states, per schedule (:func:`stated_batches`)."""
    from ..engine import simulate
    from ..sources import BudgetInputs, load_input

    allow = allowed_imports(allow_import)
    source = load_input(path, kind=kind, overrides=overrides, inputs=inputs or BudgetInputs(), allow_import=allow)
    curves = simulate([source.spec], allow_import=allow, cache=use_cache)
    return curves, source.spec.schedule_list(), stated_batches([source])


def verify_files(plan_path: Any, log_path: Any, *, log_format: str | None = None, log_key: str | None = None,
                 log_run: str | None = None, rtol: float = 0.0, schedule: str | None = None, overrides: Iterable[str] = (),
                 allow_import: AllowImport = None, inputs: Any = None, kind: str | None = None,
                 diagnose: bool = True, skip_corrupt: bool = False, global_batch: int | None = None) -> Report:
    """``lrplot verify PLAN --log LOG``: the log is read first (cheap), then the plan simulated."""
    from ..logs import load_log

    log = load_log(log_path, fmt=log_format, key=log_key, skip_corrupt=skip_corrupt, run=log_run)
    allow = allowed_imports(allow_import)
    plan, schedules, batches = load_plan(plan_path, overrides=overrides, allow_import=allow, inputs=inputs, kind=kind)
    return verify(plan, schedules, log, rtol=rtol, schedule=schedule, allow_import=allow, diagnose=diagnose,
                  global_batch=global_batch, devices=getattr(inputs, "devices", None), batches=batches)
