"""A schedule resumed by its spec (``last_epoch``) against the run it stands for.

A spec that sets ``last_epoch: K-1`` gets what torch builds that way on a fresh optimizer: the
scheduler starts at update K from the lr the optimizer holds, which is the spec's ``lr``. A real run
resumed from a checkpoint holds the lr it saved instead (it loads the optimizer's state, then the
scheduler's, or builds the scheduler with ``last_epoch`` on the loaded optimizer), and continues
exactly as the uninterrupted run (torch 2.13: both round trips are bit-identical; ``lrplot resume``
shows it for any spec). For the schedulers whose ``get_lr`` scales the group's current lr
(:attr:`~lrplot.facts.TypeFacts.scales_current_lr`: CosineAnnealingLR, ExponentialLR, StepLR, ...)
the two curves differ from update K on; for CosineAnnealingLR T_max 20 resumed at 10 from lr 0.1,
the figure draws 0.1 where the resumed run holds 0.05.

The rule runs the same schedule from update 0 with torch (its scheduler without ``last_epoch``, each
group starting from its base lr: ``initial_lr``, else ``lr``) for K + the drawn updates, and says where
the drawn curve leaves it, naming the lr that makes the spec draw the resumed run.

``last_epoch`` anywhere else (on one scheduler of a list of top-level schedulers, or on a child of
SequentialLR or ChainedScheduler) is said in one line: lrplot cannot tell which resumed run it stands for.
torch 2.13 builds each such scheduler mid-way on the optimizer the others already changed and the
curve differs from the checkpointed run in every case measured (tests/test_check_resumed.py): a list
or a ChainedScheduler with it on every member still scales the optimizer's lr, on one member only it
also starts the others from update 0, and SequentialLR restarts a later child at its milestone
(``step(0)``) but runs a first child from where ``last_epoch`` put it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

import numpy as np

from ..facts import base_lr, facts_of, first_update
from ..imports import allowed_imports
from ..limits import MAX_STEPS
from ..spec import SchedulerNode
from .context import Context, Finding, rule

RESUME_TOLERANCE = 1e-5  # relative: an lr typed as lrplot prints it (6 significant digits) is the same curve


def uninterrupted(ctx: Context) -> dict[tuple[int, str], np.ndarray] | None:
    """The values of the schedule run from update 0 at the updates drawn (the trainer's numbers
    ``first`` on), or None when the schedule is not resumed by its spec or cannot be run so."""
    schedule = ctx.schedule
    first = first_update(schedule)
    if not first or first + ctx.curves.steps > MAX_STEPS or facts_of(schedule.scheduler).metric_driven:
        return None
    from ..engine import start_run
    from ..errors import LrplotError

    node = schedule.scheduler.model_copy(update={"last_epoch": -1})
    fresh = replace(schedule, schedulers=(node,))
    groups = range(len(schedule.group_names))
    try:
        run = start_run(fresh, allow_import=allowed_imports(ctx.allow_import),
                        base_lrs={g: base_lr(schedule, g) for g in groups}, steps=first + ctx.curves.steps)
        values = run.values(run.advance(0, first + ctx.curves.steps))
    except (LrplotError, MemoryError, ArithmeticError, ValueError, TypeError, KeyError):
        return None  # a run lrplot refuses (memory, an import) or torch cannot make: it says nothing of this one
    return {key: v[first:] for key, v in values.items()}


def _differs(drawn: np.ndarray, ref: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        close = np.abs(drawn - ref) <= RESUME_TOLERANCE * np.maximum(np.abs(drawn), np.abs(ref))
    return ~(close | (np.isnan(drawn) & np.isnan(ref)))


def _nested_resumes(schedule) -> Iterator[tuple[SchedulerNode, str]]:
    """Every scheduler that sets ``last_epoch`` other than the one top-level scheduler, with where it is."""
    def walk(node: SchedulerNode, where: str) -> Iterator[tuple[SchedulerNode, str]]:
        if where and node.options.get("last_epoch", -1) != -1:
            yield node, where
        for child in node.schedulers or ():
            yield from walk(child, f"inside a {node.type}")

    alone = len(schedule.schedulers) == 1
    for node in schedule.schedulers:
        yield from walk(node, "" if alone else "in a list of schedulers")


@rule("last-epoch", "error", "a schedule resumed by last_epoch differs from the same schedule run from "
                             "update 0 (what a run resumed from its checkpoint continues with)")
def _last_epoch(ctx: Context) -> Iterator[Finding]:
    for node, where in _nested_resumes(ctx.schedule):
        found = ctx.finding("last-epoch", "warning", None, None, None, (), (
            f"{node.type} with last_epoch: {node.options['last_epoch']} {where}: lrplot cannot tell whether this "
            "draws a run resumed from its checkpoint (it checks last_epoch only on one top-level scheduler); "
            "to draw the resumed run, draw it from update 0 without last_epoch and --xlim the part after the resume"))
        yield replace(found, location=str(ctx.schedule.spec.locate(node.path + ("last_epoch",))))
    reference = uninterrupted(ctx)
    if reference is None:
        return
    node = ctx.schedule.scheduler
    spec = ctx.schedule.spec
    first, steps = ctx.curves.first_update, ctx.curves.steps
    for (g, f), drawn in ctx.curves.values.items():
        ref = reference.get((g, f))
        if ref is None or not _differs(drawn, ref).any():
            continue
        bad = np.flatnonzero(_differs(drawn, ref))
        t = int(bad[0])
        last_epoch = node.options.get("last_epoch")
        said = (f"{node.type} built with last_epoch: {last_epoch} draws {drawn[t]:.6g}; a run resumed from its "
                f"checkpoint holds {ref[t]:.6g} here (the schedule run from update 0); "
                f"{len(bad)} of {steps} drawn steps differ")
        fix = (f"draw the run from update 0 (no last_epoch, lr {base_lr(ctx.schedule, g):.6g}, steps: {first + steps}, "
               f"--xlim {first},{first + steps})")
        if facts_of(node).scales_current_lr and f == "lr" and t == 0:
            said = (f"{node.type} built with last_epoch: {last_epoch} starts from the optimizer's lr {drawn[0]:.6g} "
                    f"(it scales the group's current lr); a run resumed from its checkpoint holds {ref[0]:.6g} "
                    f"here (the schedule run from update 0); {len(bad)} of {steps} drawn steps differ")
            path = (ctx.schedule.where("param_groups") + (g, "lr") if ctx.schedule.param_groups
                    else ctx.schedule.where("optimizer") + ("lr",))
            key = ".".join(str(k) for k in path)
            fix = spec.advise(path, f"set {key}: {float(ref[0])!r} (what the saved optimizer holds), or {fix}")
        found = ctx.finding("last-epoch", "error", g, f, t, (float(drawn[t]), float(ref[t])), f"{said}; {fix}")
        yield replace(found, location=str(spec.locate(node.path + ("last_epoch",))))
