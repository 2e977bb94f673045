"""The rules over one simulated schedule, each one small function registered with
:func:`~lrplot.check.context.rule` (in the order ``lrplot check`` runs and reports them)."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

import numpy as np

from .. import summary
from ..facts import JUMP_THRESHOLD, facts_of, natural_length, resumed_steps
from ..facts.frameworks import ACCUMULATED, MEGATRON, accumulated_rebounds
from ..facts.types import number
from ..summary import steps_text
from .context import TOLERANCE, Context, Finding, own_advice, rule

NO_ANNEAL_FRACTION = 0.1  # a decaying schedule should end within this fraction of its range above its floor
# the updates at lr 0 a declared warmup starts with by its framework's design: the ramp's step 0 (transformers'
# and torchtune's lr_lambda current_step / num_warmup_steps, Megatron-LM's init_lr 0 at num_steps 0); two where
# the trainer's first update comes before the ramp's step 0: Composer's Trainer steps its scheduler before the
# clock moves on, DeepSpeed's WarmupLR sets warmup_min_lr (default 0) when built, then log(1) at iteration 0
FROM_ZERO_UPDATES = 2


def _warmups(ctx: Context) -> Iterator[tuple[int, int | None]]:
    """(first update, scheduler steps until the peak, None where not counted in updates) of each warmup the
    spec declares, stepped once per update (a warmup stepped per epoch holds each value for an epoch: its
    rises are jumps, timm's per epoch)."""
    for p in ctx.phases:
        warmup = facts_of(p.spec).warmup(p.spec)
        if p.scale != 1:
            continue
        if warmup is not None:
            yield p.start, int(warmup[1])
        elif p.spec.type == MEGATRON and (number(p.spec.options.get("lr_warmup_steps")) or 0) > 0:
            yield p.start, None  # its lr_warmup_steps count samples


# --- the rules ------------------------------------------------------------------------------------

@rule("nan-inf", "error", "a value is NaN or infinite")
def _nan_inf(ctx: Context) -> Iterator[Finding]:
    for (g, f), v in ctx.curves.values.items():
        bad = np.flatnonzero(~np.isfinite(v))
        if len(bad):
            t = int(bad[0])
            yield ctx.finding("nan-inf", "error", g, f, t, (v[t],),
                              f"{f} is {float(v[t])!r} at {len(bad)} step(s): {steps_text((bad + ctx.first).tolist())}")


@rule("nonpositive-lr", "error", "the lr is zero (warning: wasted updates; not the first update or two of a "
                                 "declared warmup, which its framework starts at 0) or negative (error)")
def _nonpositive(ctx: Context) -> Iterator[Finding]:
    starts = {start: length for start, length in _warmups(ctx)}
    for g, v in ctx.lr_series():
        neg = np.flatnonzero(v < 0)
        zero = np.flatnonzero(v == 0)
        # a warmup's first update(s) at lr 0, then rising: what its framework does on purpose, not a fault; a
        # zero after that, or longer, is said whole
        lead = int(np.argmax(v[zero[0]:] != 0)) if len(zero) and zero[0] in starts else 0
        if 0 < lead <= min(FROM_ZERO_UPDATES, starts.get(int(zero[0])) or FROM_ZERO_UPDATES) and \
                v[zero[0] + lead] > 0:
            zero = zero[lead:]
        if len(neg):
            t, at = int(neg[0]), steps_text((neg + ctx.first).tolist())
            yield ctx.finding("nonpositive-lr", "error", g, "lr", t, (v[t],),
                              f"lr is negative ({v[t]:.6g}) at {len(neg)} step(s): {at}")
        if len(zero):
            t = int(zero[0])
            yield ctx.finding("nonpositive-lr", "warning", g, "lr", t, (0.0,),
                              f"lr is 0 at {len(zero)} step(s): {steps_text((zero + ctx.first).tolist())}; "
                              "those updates do nothing")


@rule("overshoot", "error", "the lr rises above the schedule's declared peak (base lr, max_lr)")
def _overshoot(ctx: Context) -> Iterator[Finding]:
    for g, v in ctx.lr_series():
        peak = ctx.declared_peak(g)
        over = np.flatnonzero(np.isfinite(v) & (v > peak * (1 + TOLERANCE)))
        if len(over):
            t = int(over[np.argmax(v[over])])
            yield ctx.finding("overshoot", "error", g, "lr", t, (v[t], peak),
                              f"lr reaches {v[t]:.6g}, above the declared peak {peak:.6g} "
                              f"(x{v[t] / peak:.3g}), at {len(over)} step(s) from step {int(over[0]) + ctx.first}")


@rule("jump", "error", f"the value changes by more than {JUMP_THRESHOLD:.0%} of its peak in one update "
                       "where the spec declares no step nor a warmup's rise (error at a SequentialLR hand-off, "
                       "else warning)")
def _jump(ctx: Context) -> Iterator[Finding]:
    declared = ctx.declared_jumps()
    handoffs = {p.start: p.spec.type for p in ctx.phases if p.handoff}
    # the rises of a warmup the spec declares, up to its peak (one update after it: Composer's), as steep as its
    # length makes them (torchtitan's debug configs: 2 updates); a fall there, or a rise past the peak, is not it
    ramps = {t for start, length in _warmups(ctx) if length for t in range(start + 1, start + length + 2)}
    for (g, f), v in ctx.curves.values.items():
        peak = ctx.declared_peak(g) * (1 + TOLERANCE) if f == "lr" else -np.inf
        steps = [int(t) for t in summary.peak_jumps(v) if int(t) not in declared
                 and not (t in ramps and t not in handoffs and v[t - 1] < v[t] <= peak)]
        if not steps:
            continue
        at_handoff = [t for t in steps if t in handoffs]
        t = at_handoff[0] if at_handoff else steps[0]
        change = (v[t] - v[t - 1]) / np.abs(v[np.isfinite(v)]).max()
        where = f", at the SequentialLR hand-off to {handoffs[t]}" if t in handoffs else ""
        yield ctx.finding("jump", "error" if at_handoff else "warning", g, f, t, (v[t - 1], v[t]),
                          f"{f} jumps from {v[t - 1]:.6g} to {v[t]:.6g} ({change:+.0%} of its peak){where}"
                          + (f"; also at {steps_text([s + ctx.first for s in steps if s != t])}"
                             if len(steps) > 1 else ""))


@rule("no-anneal", "warning", "a decaying schedule ends far above its floor (cut short, or stepped "
                              "per epoch when its length counts batches)")
def _no_anneal(ctx: Context) -> Iterator[Finding]:
    if not ctx.phases:
        return
    last = ctx.phases[-1]
    for g, v in ctx.lr_series():
        floor = ctx.floor(last.spec, g)
        finite = v[np.isfinite(v)]
        if floor is None or not len(finite):
            continue
        top, final, declared = float(finite.max()), float(v[-1]), ctx.declared_peak(g)
        if top > floor and final - floor > NO_ANNEAL_FRACTION * (top - floor):
            # said against the peak the schedule declares (max_lr, the base lr): a schedule stepped
            # per epoch may never reach it, and "100% of the way to the peak it reached" hides that
            high = max(declared, top)
            reached = f" (it reaches only {top:.6g})" if top < declared * (1 - 1e-6) else ""
            yield ctx.finding("no-anneal", "warning", g, "lr", ctx.curves.steps - 1, (final, floor),
                              f"{last.spec.type} ends at {final:.6g}, {(final - floor) / (high - floor):.0%} of "
                              f"the way from its floor {floor:.6g} to its declared peak {high:.6g}{reached}; "
                              + ctx.schedule.spec.advise(("steps",), "does it run its length (steps, interval, "
                                                         "total_steps)?"))


@rule("rebound", "error", "CosineAnnealingLR climbs again after T_max")
def _rebound(ctx: Context) -> Iterator[Finding]:
    for p in ctx.phases:
        if p.spec.type == ACCUMULATED:  # MMEngine's schedulers on the iteration clock, read at its updates
            yield from _accumulated_rebound(ctx, p.spec)
            continue
        facts = facts_of(p.spec)
        length = facts.length(p.spec) if facts.rises_after_length else None
        if not length:
            continue
        end_of_cosine = p.start + (length - resumed_steps(p.spec)) * p.scale
        if end_of_cosine >= p.end:
            continue
        key = facts.horizon[0]  # T_max, as the spec writes it (MMEngine's counts from its begin)
        for g, v in ctx.lr_series():
            seg = v[max(end_of_cosine, p.start):p.end]
            rising = np.flatnonzero(np.diff(seg) > np.abs(seg[:-1]) * TOLERANCE) + 1
            if len(rising):
                t = max(end_of_cosine, p.start) + int(rising[0])
                driven = (p.end - p.start) // p.scale + resumed_steps(p.spec)
                yield ctx.finding("rebound", "error", g, "lr", t, (v[t - 1], v[t]),
                                  f"CosineAnnealingLR ({key}={p.spec.options.get(key, length)}) rises again after "
                                  f"{key}, from {v[t - 1]:.6g} to {v[t]:.6g}; " + ctx.schedule.spec.advise(
                                      p.spec.path + (key,), facts.refit(p.spec, driven)))


def _accumulated_rebound(ctx: Context, node) -> Iterator[Finding]:
    for entry, under, floor_at, stop, driven in accumulated_rebounds(node, facts_of):
        facts = facts_of(entry)
        key = facts.horizon[0]
        for g, v in ctx.lr_series():
            start = max(floor_at - 1, 0)  # the update before uses hooks short of the floor: a rise may start there
            seg = v[start:len(v) if stop is None else stop + 1]
            rising = np.flatnonzero(np.diff(seg) > np.abs(seg[:-1]) * TOLERANCE) + 1
            if len(rising):
                t = start + int(rising[0])
                yield ctx.finding("rebound", "error", g, "lr", t, (v[t - 1], v[t]),
                                  f"CosineAnnealingLR ({key}={entry.options.get(key, facts.length(entry))}) rises again "
                                  f"after {key}, from {v[t - 1]:.6g} to {v[t]:.6g}; " + ctx.schedule.spec.advise(
                                      node.path + under + (key,), facts.refit(entry, driven)))


@rule("short-schedule", "warning", "the run is longer than the schedule's own length (error for "
                                   "OneCycleLR, which raises)")
def _short(ctx: Context) -> Iterator[Finding]:
    for p in ctx.phases:
        if not facts_of(p.spec).decays:
            continue
        n = natural_length(p.spec)
        driven = -(-(p.end - p.start) // p.scale)
        if n is not None and driven > n:
            t = p.start + n * p.scale
            # a training config's reader may say how to fix it in the config's own keys
            yield ctx.finding("short-schedule", "warning", None, None, t, (float(driven), float(n)),
                              f"{p.spec.type} defines {n} scheduler steps but drives {driven}; "
                              f"after step {t + ctx.first} it is past its end"
                              + own_advice(ctx.schedule, p.spec.path + facts_of(p.spec).horizon[:1], driven))


@rule("long-warmup", "warning", "the warmup is as long as the run or longer: the lr never reaches its peak")
def _long_warmup(ctx: Context) -> Iterator[Finding]:
    for p in ctx.phases:
        warmup = facts_of(p.spec).warmup(p.spec)
        driven = -(-(p.end - p.start) // p.scale)  # the scheduler values the run uses: 0 .. driven - 1
        # a warmup that starts the run and ends, at the earliest, at its last update (Composer's Trainer steps its
        # scheduler before the clock moves on: its peak comes one update after t_warmup); the curve decides
        if warmup is None or p.start or driven > warmup[1] + 1:
            continue
        key, length = warmup
        short = []  # (group, the highest lr of the whole run, the declared peak), where it stays below the peak
        for g, v in ctx.lr_series():
            finite = v[np.isfinite(v)]
            peak = ctx.declared_peak(g)
            if len(finite) and float(finite.max()) < peak * (1 - TOLERANCE):
                short.append((g, float(finite.max()), peak))
        if not short:
            continue
        # every group alike (the HF Trainer's decay / no-decay groups): one line for the schedule
        alike = len(short) == len(ctx.curves.groups) and len({(top, peak) for _, top, peak in short}) == 1
        unit = "updates" if p.scale == 1 else "scheduler steps"
        path, spec = p.spec.path + (key,), ctx.schedule.spec
        for g, top, peak in short[:1] if alike else short:
            finding = ctx.finding("long-warmup", "warning", None if alike else g, "lr", ctx.curves.steps - 1,
                                  (top, peak), f"the run ({driven} {unit}) ends before its warmup of {length} {unit} "
                                  f"({spec.key_name(path)}) reaches the peak: lr climbs only to {top:.6g}, "
                                  f"{top / peak:.0%} of its peak {peak:.6g}; "
                                  + spec.advise(path, "shorten {key} or lengthen the run"))
            yield replace(finding, location=str(spec.locate(path)))


@rule("constant-lambda", "warning", "an lr_lambda gives the same lr at every step (the scheduler does nothing)")
def _constant_lambda(ctx: Context) -> Iterator[Finding]:
    for p in ctx.phases:
        if not facts_of(p.spec).lambda_driven or p.end - p.start < 3:
            continue
        for g, v in ctx.lr_series():
            seg = v[p.start:p.end]
            if (seg == seg[0]).all():
                yield ctx.finding("constant-lambda", "warning", g, "lr", p.start, (float(seg[0]),),
                                  f"{p.spec.type}'s lr_lambda keeps lr at {seg[0]:.6g} for all "
                                  f"{len(seg)} steps; does it use its variable?")


@rule("idle", "warning", "a scheduler that changes the lr by design keeps it constant over every update it drives")
def _idle(ctx: Context) -> Iterator[Finding]:
    for p in ctx.phases:
        driven = -(-(p.end - p.start) // p.scale)
        if not facts_of(p.spec).acts or driven < 3:
            continue
        series = [(g, v[p.start:p.end]) for g, v in ctx.lr_series()]
        if series and all((seg == seg[0]).all() for _, seg in series):
            unit = "updates" if p.scale == 1 else "scheduler steps"
            seg = series[0][1]
            jumps = facts_of(p.spec).jumps(p.spec, 0, 2 ** 62)  # where its type declares a change: a list as given
            first = min(jumps, default=None) if isinstance(jumps, list) else next(iter(jumps), None)  # else ascending
            yield ctx.finding("idle", "warning", None, "lr", p.start, (float(seg[0]),),
                              f"{p.spec.type} keeps lr at {seg[0]:.6g} for all {driven} {unit} it drives: it never "
                              "acts within the run" + (f" (its first change is at scheduler step {first})"
                                                       if first is not None else "")
                              + "; are its arguments sized in the run's units?")


@rule("plateau-self-metric", "warning", "ReduceLROnPlateau fed its own lr: a staircase, not training")
def _plateau_self(ctx: Context) -> Iterator[Finding]:
    if any(facts_of(n).metric_driven for n in ctx.schedule.schedulers) and ctx.schedule.metric == "lr":
        yield ctx.finding("plateau-self-metric", "warning", None, None, None, (),
                          "ReduceLROnPlateau is fed its own lr, so it drops by its factor on a fixed beat; "
                          "give 'metric' a CSV of real losses or an expression")
