"""Why a logged series leaves the plan: each cause a transformation of the plan, named only when the
transformed plan, recomputed by the real scheduler, agrees with every logged value (see :mod:`lrplot.verify`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..curves import ScheduleTrace
from ..limits import MAX_VERIFY_MULTIPLE as MAX_K
from ..limits import MAX_VERIFY_SHIFTS as MAX_SHIFTS
from ..logs import LogInfo, log_info
from ..logs.conventions import unrecorded
from .plan import Plan, agree
from .verdict import Cause, Divergence, Verdict, spans_of


class _Series:
    """One logged series and the rule to test a transformed plan against it."""

    def __init__(self, at: np.ndarray, y: np.ndarray, plan: Plan, g: int, f: str, dtype: str, rtol: float,
                 after: bool = False, writer: str = ""):
        self.at, self.y, self.plan, self.g, self.f, self.dtype, self.rtol = at, y, plan, g, f, dtype, rtol
        self.after = after  # the log reads the lr after scheduler.step(): the next update's
        self.writer = writer  # whose convention its steps follow (lrplot.logs.conventions)

    def holds(self, index: np.ndarray) -> bool:
        """Does the plan at ``index`` (one plan step per logged value) agree with every value?"""
        if len(index) and index.min() < 0:
            return False
        values = self.plan.values(self.g, self.f, int(index.max()) + 1 if len(index) else 0)
        return values is not None and bool(agree(values[index], self.y, self.dtype, self.rtol).all())

    def matches(self, values: np.ndarray, value: float) -> np.ndarray:
        """Plan steps whose value agrees with ``value``."""
        return np.flatnonzero(agree(values, np.full(len(values), value), self.dtype, self.rtol))


def _diagnose(s: _Series, i0: int) -> Cause | None:
    at, y, plan = s.at, s.y, s.plan
    base = plan.values(s.g, s.f)
    T = len(base)
    # frozen
    if np.all(agree(np.full(len(y), y[0]), y, s.dtype, s.rtol)):
        if s.holds(np.zeros(len(y), dtype=np.int64)):
            return Cause("frozen", f"frozen: every logged value is the plan's first ({base[0]:.6g}): the scheduler "
                                   "never stepped")
        lr0 = plan.base_lr(s.g)
        if agree(np.array([lr0]), y[:1], s.dtype, s.rtol)[0]:
            return Cause("unscheduled", f"frozen at the base lr {lr0:.6g}: no scheduler changed it (none attached, "
                                        "or its lr was overwritten)", lr=lr0)
    t0 = int(at[i0])
    samples = _samples(s, T)  # tested before "stretched", which also fits such a log when it starts at step 0
    if samples is not None:
        return samples
    # compressed by k: the scheduler stepped k times per update; once per process (Accelerate) when
    # only Accelerate's stepping explains it (OneCycleLR, not stepped past total_steps), or --devices is k
    # stepped before each update (an ignite handler on ITERATION_STARTED attached twice), update t used the
    # value of the k*(t+1)-th call: plan step k*t + k-1
    # stepped once more after a log read after scheduler.step() (DeepSpeed's monitor logs inside engine.step(), a
    # script's own lr_scheduler.step() follows it): the log holds the plan's step k*t - (k-1)
    leads = lambda k: ((0, k - 1) if t0 > 0 else (k - 1,)) + ((1 - k,) if s.after and t0 > 0 else ())  # noqa: E731
    ks = [(k, lead) for k in range(2, MAX_K + 1) for lead in leads(k)
          if k * t0 + lead < T and agree(base[k * t0 + lead: k * t0 + lead + 1], y[i0:i0 + 1], s.dtype, s.rtol)[0]]
    if ks:
        for k, lead in ks:
            plain = s.holds(at * k + lead)
            if lead == 0 and (not plain or plan.devices == k):
                accelerate = plan.per_process(s.g, s.f, k, int(at.max()) + 1)
                if accelerate is not None and agree(accelerate[at], y, s.dtype, s.rtol).all():
                    return Cause("per-process", f"stepped once per process (Accelerate, {k} processes): the "
                                                f"scheduler stepped {k} times per update, as Accelerate's prepared "
                                                "scheduler does unless split_batches=True or "
                                                "step_scheduler_with_optimizer=False (the plan re-simulated so "
                                                "matches every logged value)", k=k)
            if plain:
                return Cause("compressed", f"compressed in time by k={k}: the scheduler stepped {k} times per update "
                                           f"(once per process on {k} processes, once per micro-batch with {k} "
                                           "accumulation steps, or an extra scheduler.step())", k=k)
    # compressed by k in an accumulating MMEngine plan: its schedulers step at every iteration, k times there
    # (a second ParamSchedulerHook), no plan update's lr (the plan re-simulated so, its first diverging value
    # tested on a short run first)
    acc = plan.accumulated
    for k in range(2, MAX_K + 1) if acc else ():
        short = plan.per_iteration(s.g, s.f, k, t0 + 1)
        if short is None or not agree(short[t0:t0 + 1], y[i0:i0 + 1], s.dtype, s.rtol)[0]:
            continue
        values = plan.per_iteration(s.g, s.f, k, int(at.max()) + 1)
        if values is not None and agree(values[at], y, s.dtype, s.rtol).all():
            return Cause("compressed", f"compressed in time by k={k}: the scheduler stepped {k} times per iteration, "
                                       f"{k * acc} times per update of {acc} iterations (accumulative_counts={acc}) "
                                       f"where the plan steps it {acc} times (a second ParamSchedulerHook, or an "
                                       "extra scheduler.step())", k=k)
    # stretched by k: stepped once every k updates. A log read after scheduler.step() at the batch's end
    # (Composer's LRMonitor at BATCH_END) reads an epoch's stepping, done after it (EPOCH_END), one batch
    # late: its step s holds the lr of update s - 1, so the lr changes there one logged step later
    # The log's first change is the plan's first (at plan step c: a warmup from 0 may hold its first
    # values, DeepSpeed's WarmupCosineLR starts 0, 0), stepped at update c*k
    changed = np.flatnonzero(~agree(np.full(len(y), y[0]), y, s.dtype, s.rtol))
    moves = np.flatnonzero(~agree(np.full(T, base[0]), base, s.dtype, s.rtol))
    c = max(int(moves[0]), 1) if len(moves) else 1
    for late in ((0, 1) if s.after else (0,)) if len(changed) else ():
        j = int(changed[0])
        lo = (int(at[j - 1]) - late) // c + 1 if j > 0 else 2
        candidates = list(range(max(lo, 2), (int(at[j]) - late) // c + 1))
        if plan.trace.steps_per_epoch and plan.trace.steps_per_epoch in candidates:
            candidates.remove(plan.trace.steps_per_epoch)
            candidates.insert(0, plan.trace.steps_per_epoch)
        for k in candidates[:4096]:
            if s.holds((at - late) // k):
                if not late and k > 1 and T > 1 and -(-(int(at[-1]) + 1) // k) == T:
                    # k times the plan's length to the update: the updates were stepped right, the log's step
                    # counts micro-batches (a loop logging inside its accumulation, at the micro-batch index)
                    return Cause("micro-batches", f"counted in micro-batches, not updates: the log's step counts "
                                                  f"micro-batches, {k} per update (step s is update s/{k}; the log "
                                                  f"runs {k} times the plan's length), the lr of each update as "
                                                  "planned; log once per update (when sync_gradients), at the "
                                                  "update count", k=k)
                return Cause("stretched", f"stretched in time by k={k}: the scheduler stepped once every {k} updates "
                                          f"(once per epoch of {k} updates instead of after every update)", k=k)
    # shifted by n, restarted at n
    hits = s.matches(base, float(y[i0]))
    shifts = sorted({int(j) - t0 for j in hits} - {0}, key=lambda n: (abs(n), n))[:MAX_SHIFTS]
    restart = ("restarted at step n={}: from there the lr starts the plan over (a resume that rebuilt the scheduler "
               "without loading its state)")
    for n in shifts:
        if s.holds(at + n):
            # the log starts where the plan starts over and ends inside the plan: a resumed run's later file (a whole
            # run counted from 1, or started late, goes on past the plan's end). Read after scheduler.step(), it
            # starts one update later (the lr update -n used, the plan's first, is logged by no one) and may end one
            # past the plan's end (torchtune's DiskLogger file of a second launch)
            if n < 0 and int(at[0]) == -n + s.after and int(at[-1]) < T + s.after:
                where = ("just after that update (read after scheduler.step())" if s.after else "at that update")
                return Cause("restarted", f"{restart.format(-n)}; the log starts {where}, as a resumed run's later "
                                          "part does", n=-n)
            ahead = (f"the log is {n} step(s) ahead of the plan (the lr logged after scheduler.step(), or a "
                     f"scheduler that started {n} step(s) in)" if n > 0 else
                     "the log is 1 step behind the plan (its steps counted from 1: the lr of update s logged at "
                     "step s + 1, a step counter incremented before logging; or the scheduler started 1 update "
                     "late)" if n == -1 else
                     f"the log is {-n} step(s) behind the plan (the scheduler started {-n} update(s) late)")
            return Cause("shifted", f"shifted by n={n} steps: {ahead}", n=n)
    prev = int(at[i0 - 1]) if i0 > 0 else -1
    for j in hits:
        n = t0 - int(j)
        # a log read after scheduler.step() shows at the seam (step n) what the old scheduler set for update n
        # before the run stopped, not the lr update n used after the resume (Megatron, Composer, torchtune)
        if (prev < n <= t0 and s.holds(np.where(at < n, at, at - n))) or (
                s.after and n == prev and s.holds(np.where(at <= n, at, at - n))):
            return Cause("restarted", restart.format(n), n=n)
    # restarted at n from the lr the optimizer's checkpoint restored: update n used the plan's lr (it agrees),
    # the next ones a scheduler built anew, stepped on from that lr (a chainable one does not start over)
    # (n: from t0 - 1 back to the last agreeing logged step, which a sparse log leaves apart). A scheduler
    # stepped before each update (ignite's at ITERATION_STARTED) restores the lr update n used and steps it
    # before update n + 1, the first of the resumed run: its first value there is the rebuilt plan's value 0
    after = at >= t0
    for n in range(t0 - 1, max(prev - 1, 0), -1)[:8] if t0 < T and s.f == "lr" else ():
        rebuilt = plan.rebuilt(s.g, s.f, n, int(at[-1]) - n + 1)
        late = next((late for late in (0, 1) if rebuilt is not None and
                     agree(rebuilt[at[after] - n - late], y[after], s.dtype, s.rtol).all()), None)
        if late is not None:
            n += late
            return Cause("restarted", f"restarted at step n={n} from the lr it had there: the scheduler was built "
                                      "anew without its state and stepped on from the lr the optimizer's checkpoint "
                                      "restored (a resume that loaded the optimizer's state but not the scheduler's)",
                         n=n)
    # scaled: the plan with another base lr, re-simulated
    if base[t0 if t0 < T else -1] != 0 and t0 < T:
        c = float(y[i0]) / float(base[t0])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a value near float max
            ratios = y[at < T] / base[at[at < T]]
        finite = np.isfinite(ratios)
        if c > 0 and finite.any() and np.allclose(ratios[finite], c, rtol=1e-5, atol=0):
            lr0 = plan.base_lr(s.g)
            lr1 = c * lr0
            tried = list(dict.fromkeys([float(f"{lr1:.{d}g}") for d in range(1, 8)] + [lr1]))
            for lr in tried:
                values = plan.with_lr(s.g, s.f, lr, int(at.max()) + 1)
                if values is not None and agree(values[at], y, s.dtype, s.rtol).all():
                    return Cause("scaled", f"scaled by {lr / lr0:.6g}: the run's base lr is {lr:.6g} where the plan's "
                                           f"is {lr0:.6g}", factor=lr / lr0, lr=lr)
    # ended early (or later): the plan re-simulated with the run's own horizon, where its log ends
    last = int(at[-1])
    if last + 1 != T:
        gap = max(_median_gap(at), 1) if len(at) > 1 else 1
        for horizon in range(last + 1, last + 1 + min(gap, 8)):
            values = plan.with_horizon(s.g, s.f, horizon)
            if values is not None and len(values) > last and agree(values[at], y, s.dtype, s.rtol).all():
                kind, how = ("ended-early", "ended early") if horizon < T else ("longer", "ran longer")
                return Cause(kind, f"{how}: the run's schedule spans {horizon} updates, the plan's {T} (the plan "
                                   f"with its length set to {horizon} matches every logged value: a different "
                                   "max_steps, epochs, dataset size, batch size or device count)", n=horizon)
    return None


def _samples(s: _Series, T: int) -> Cause | None:
    """Counted in samples: the log's step is samples seen, B per update, so it runs far past the plan's end.
    How to read it depends on its writer: a plain loop's tag (which does not say what its step counts) is
    read so with --global-batch; a trainer's says it counts updates, so its step was given another count."""
    from ..logs.conventions import SAMPLES_READING

    at = s.at
    pos = at[at > 0]
    if len(pos) >= 2 and int(at[-1]) >= T:
        g = int(np.gcd.reduce(pos))
        for b in dict.fromkeys(g // m for m in range(1, MAX_K + 1) if g % m == 0 and g // m > 1):
            for first in (0, 1):  # step s = samples before the update, or after it (the lr it used)
                if s.holds(at // b - first):
                    how = (f"its step does not say what it counts ({s.writer.split(' (')[0]}): read it with "
                           f"--global-batch {b}, or log the lr at the update count" if s.writer in SAMPLES_READING else
                           f"its writer ({s.writer.split(' (')[0]}) logs at the update count: the step it was given "
                           "counted samples; log the update count")
                    return Cause("samples", f"counted in samples, not updates: the log's step is the samples seen, "
                                            f"{b} per update (step s is update {'s/' if not first else '(s/'}{b}"
                                            f"{'' if not first else ') - 1'}); {how}", k=b, n=first)
    return None


def _median_gap(at: np.ndarray) -> int:
    """The median distance between logged steps; at once where every distance is the same (a log
    written every k updates), which spares a partition of a million distances."""
    gaps = np.diff(at)
    return int(gaps[0]) if gaps.min() == gaps.max() else int(np.median(gaps))


def compare_series(plan: Plan, trace: ScheduleTrace, g: int, f: str, *, rtol: float = 0.0, diagnose: bool = True,
             schedule_name: str = "") -> Verdict:
    info: LogInfo = log_info(trace)
    at = trace.at[(g, f)]
    y = trace.values[(g, f)]
    key = info.keys.get((g, f), trace.name)
    common = dict(log=trace.name, key=key, group=trace.groups[g], field=f, schedule=schedule_name,
                  compared=len(y), dtype=info.dtype, damaged=info.damaged, start=trace.first_update)
    base = plan.values(g, f)
    T = len(base)
    past = None  # a log of the lr after scheduler.step() whose writer lrplot cannot tell: its last value
    if len(at) and int(at[-1]) == T:
        # read after scheduler.step(): a run's last value is the lr the scheduler set after its last update,
        # the plan's one step past its end (re-simulated by the real scheduler)
        longer = plan.values(g, f, T + 1)
        if info.after:
            base = base if longer is None else longer
        elif len(at) > 1 and int(at[-2]) < T:
            past = longer
    inside = (at >= 0) & (at < len(base))
    if inside.all():  # the common case, without copies of a million-point log
        ok = agree(base[at], y, info.dtype, rtol)
    else:
        ok = np.zeros(len(y), dtype=bool)
        ok[inside] = agree(base[at[inside]], y[inside], info.dtype, rtol)
    agreed = int(ok.sum())
    note = None
    if len(at) > 1:
        gap = _median_gap(at)
        if int(at[-1]) + gap < T - 1:
            note = f"the log ends at step {info.log_step(int(at[-1]))}, the plan at step {info.log_step(T - 1)}"
    reading = None
    if info.axis != "updates":
        reading = f"the log's steps count {info.axis}: {info.writer.split('; read with ', 1)[-1]}"
        note = reading if note is None else f"{reading}; {note}"
    for reading in ([info.other, *info.more] if info.other is not None and not ok.all() else ()):
        # the log does not record which writer's convention it follows, and only another one fits
        before = _other_reading(plan, at, y, g, f, info, rtol, reading)
        if before is None:
            continue
        ok[:] = True
        here, there = info.writer.split(" (")[0], reading[0].split(" (")[0]
        note = (f"read as written by {there}: the log does not record {unrecorded(reading[0])}, and read as "
                f"{here} it would be shifted by {info.step_offset - reading[1]} step(s)")
        if before:  # its first value is the lr before the scheduler's first call: no update's lr to compare with
            common["compared"] = len(y) - before
            note += f"; its step {info.log_step(int(at[0]))} holds the lr before the scheduler's first call, not compared"
        # drawn as read: the points stand where this reading puts them, and the figure says which it is
        placed = (f"is read as written by {there}, under which it follows the plan: the log does not record "
                  f"{unrecorded(reading[0])}")
        return Verdict(**common, agreed=len(y) - before, note=note, moved=info.step_offset - reading[1],
                       placed=placed)
    if ok.all():
        return Verdict(**common, agreed=len(y), note=note)
    if past is not None and ok[:-1].all() and agree(past[T:T + 1], y[-1:], info.dtype, rtol)[0]:
        # a loop logging after scheduler.step() at the update count (the lr of update s at step s): its last
        # value is the lr the scheduler set after the plan's last update, one step past its end
        note = (f"its last value, at step {info.log_step(T)}, is the lr the scheduler set after the plan's last "
                "update, the plan's one step past its end (a log read after scheduler.step(), or one update more)")
        return Verdict(**common, agreed=len(y), note=note)
    i0 = int(np.flatnonzero(~ok)[0])
    t0 = int(at[i0])
    first = Divergence(info.log_step(t0), t0, float(y[i0]), float(base[t0]) if 0 <= t0 < T else None)
    cause = None
    if diagnose:
        bad = ~ok
        if inside[bad].all() and not np.isfinite(y[bad]).any() and np.isfinite(base[at[bad]]).all():
            # every value that disagrees is nan or inf where the plan is a number, every other agrees
            shown = ", ".join(f"{float(v)!r} at step {info.log_step(int(t))}" for t, v in zip(at[bad][:3], y[bad][:3]))
            cause = Cause("nonfinite", f"not a number where the plan is: {int(bad.sum())} logged value(s) are nan or "
                                       f"inf ({shown}{', ...' if bad.sum() > 3 else ''}) and every other logged "
                                       "value follows the plan", n=int(bad.sum()))
        elif info.unended and len(y) > 1 and ok[:-1].all():
            cause = Cause("unended", f"cut short: the log's last line (step {info.log_step(int(at[-1]))}) has no line "
                                     "end, a record the run was still writing, and every other logged value follows "
                                     "the plan; read the log again once the run has written it")
        elif ok[inside].all() and not inside[at >= 0].all() and (at >= 0).all():
            # a log counted in samples agrees inside the plan too (at step 0, where it starts): not a longer run
            cause = _samples(_Series(at, y, plan, g, f, info.dtype, rtol, writer=info.writer), T) or Cause("longer", f"the run goes on past the plan's end: logged to step {info.log_step(int(at[-1]))}, "
                                    f"the plan ends at step {info.log_step(T - 1)} (their horizons differ)",
                          n=int(at[-1]) + 1)
        else:
            cause = _diagnose(_Series(at, y, plan, g, f, info.dtype, rtol, info.after, info.writer), i0)
        if cause is not None and cause.kind != "longer":
            # a cause says what went wrong; how the steps were read stays said where nothing but the log gave it
            note = reading if info.assumed else None
        if cause is not None and cause.n is not None and (info.axis != "updates" or (
                not trace.first_update and info.log_step(cause.n) != cause.n)):
            # n counts updates; the log's steps count samples, epochs or iterations, or updates from 1 (a trainer's
            # step s is update s - 1: 'diverges at step 9' then 'restarted at step n=8' named one update twice)
            n = cause.n
            text = cause.text.replace(f"restarted at step n={n}", f"restarted at update n={n} (the log's step "
                                                                  f"{info.log_step(n)})")
            cause = replace(cause, text=text if info.axis == "updates" else
                            text.replace(f"shifted by n={n} steps", f"shifted by n={n} updates"))
    return Verdict(**common, agreed=agreed, first=first, cause=cause, spans=spans_of(at, ~ok), note=note)


def _other_reading(plan: Plan, at: np.ndarray, y: np.ndarray, g: int, f: str, info: LogInfo, rtol: float,
                   reading: tuple[str, int]) -> int | None:
    """Does every logged value agree with the plan read by another convention (``reading``: writer, offset)?
    None if not; else how many values it puts before update 0 (at most one: the lr a handler logged
    before the scheduler's first call, ignite's handler attached before it), which are not compared."""
    moved = at + info.step_offset - reading[1]
    before = int((moved < 0).sum())
    if not len(moved) or moved.min() < -1 or before == len(moved):
        return None
    base = plan.values(g, f, int(moved.max()) + 1)
    if base is None or not agree(base[moved[before:]], y[before:], info.dtype, rtol).all():
        return None
    return before

