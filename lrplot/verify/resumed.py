"""A resumed run's later W&B folder, which counts its steps from 0 again and records no offset: one logged
series compared as it is (:func:`lrplot.verify.diagnose.compare_series`) and, where it does not follow the plan,
again from the update it resumed at; the plan re-simulated by the real scheduler each time."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..curves import ScheduleTrace
from ..limits import MAX_VERIFY_SHIFTS as MAX_SHIFTS
from ..logs import LogInfo, log_info
from .diagnose import _Series, compare_series
from .plan import Plan, agree
from .verdict import Verdict


def compare(plan: Plan, trace: ScheduleTrace, g: int, f: str, *, rtol: float = 0.0, diagnose: bool = True,
            schedule_name: str = "") -> Verdict:
    """One logged series (group ``g``, field ``f`` of ``trace``) against the plan; and what the reader
    says of how it placed the log's steps (:attr:`LogInfo.placed`). A resumed run's later folder that
    counts its steps from 0 again and records no offset (:attr:`LogInfo.resumes`: wandb resumed offline
    without ``resume="allow"``) is compared again from where the earlier folder ends: where every value
    then agrees with the plan, re-simulated by the real scheduler, that is the verdict, and says so. One
    whose earlier folders were not read (its record asked to resume) is placed where it follows the plan
    (:func:`_resumed_alone`), if it does not from update 0."""
    info: LogInfo = log_info(trace)
    v = compare_series(plan, trace, g, f, rtol=rtol, diagnose=diagnose, schedule_name=schedule_name)
    if info.resumes is not None and info.resumes[1] is None:  # its earlier folders not read
        if v.ok:
            return v
        said = ("its run record says it resumed the run and wandb offline counts its _step from 0 again: no update "
                "it could have resumed at makes every value follow the plan; give the earlier folders too")
        alone = _resumed_alone(plan, trace, g, f, rtol, schedule_name)
        if alone is not None and alone.moved == 1 and v.cause is not None and v.cause.kind == "shifted":
            # a first run asking resume="allow" (a common idiom) that logged after scheduler.step() and stopped
            # before the plan's end reads the same as a later folder resumed at update 1: the first is named
            said = ("its run record asks to resume (as resume=\"allow\" records for a first run too): were it a "
                    "resumed run's later folder given alone, it would follow the plan from update n=1; give the "
                    "earlier folders too if it has any")
            return _placed(replace(v, note=said if v.note is None else f"{said}; {v.note}"), info)
        return alone or _placed(
            v if v.cause is not None else replace(v, note=said if v.note is None else f"{said}; {v.note}"), info)
    if info.resumes is not None:
        earlier, n = info.resumes
        w = compare_series(plan, _moved(trace, g, f, n), g, f, rtol=rtol, diagnose=False, schedule_name=schedule_name)
        if not v.ok and w.ok:
            said = (f"a resumed run's later folder counts _step from 0 again (wandb resumed it offline, where it "
                    f"records no starting step): its steps start at update {n}, where {earlier} ends, and from "
                    "there every logged value follows the plan")
            return replace(w, note=said if w.note is None else f"{said}; {w.note}", moved=n,
                           placed=f"is placed at update {n}, where {earlier} ends: wandb offline counts a resumed "
                                  "run's _step from 0 again")
        if v.ok and not w.ok:  # a run started anew under the id, or a resume that started the plan over
            said = (f"its run record does not say it resumed {earlier} (wandb offline records no starting step); "
                    f"had it, its lr started the plan over at update {n}, where {earlier} ends: a resume that "
                    "rebuilt the scheduler without its state")
            return replace(v, note=said if v.note is None else f"{said}; {v.note}")
    return _placed(v, info)


def _placed(v: Verdict, info: LogInfo) -> Verdict:
    return replace(v, note=info.placed if v.note is None else f"{info.placed}; {v.note}") if info.placed else v


def _moved(trace: ScheduleTrace, g: int, f: str, n: int) -> ScheduleTrace:
    """``trace`` with its steps moved ``n`` updates on, each message still saying the log's own step."""
    info = log_info(trace)
    return replace(trace, at={**trace.at, (g, f): trace.at[(g, f)] + n},
                   meta={**trace.meta, "log": replace(info, step_offset=info.step_offset - n, resumes=None)})


def _resumed_alone(plan: Plan, trace: ScheduleTrace, g: int, f: str, rtol: float, schedule_name: str) -> Verdict | None:
    """A resumed run's later folder read without its earlier ones (its run record asked to resume, its steps
    counted from 0 again): the update n it resumed at, where every logged value agrees with the plan moved by
    n, the plan re-simulated by the real scheduler; n from the plan's steps where the first logged value and
    the first that differs from it agree (the smallest n that holds), None where no n does. Moved, the folder
    ends inside the plan: a run's later part never logs past its end (a whole run logging the lr after
    ``scheduler.step()`` does, its last value one step past the plan's end: shifted, not resumed at 1)."""
    info: LogInfo = log_info(trace)
    at, y = trace.at[(g, f)], trace.values[(g, f)]
    base = plan.values(g, f)
    if not len(at):
        return None
    s = _Series(at, y, plan, g, f, info.dtype, rtol)
    ns = {int(j) - int(at[0]) for j in s.matches(base, float(y[0]))}
    changed = np.flatnonzero(~agree(np.full(len(y), y[0]), y, info.dtype, rtol))
    if len(changed):
        j = int(changed[0])
        ns &= {int(h) - int(at[j]) for h in s.matches(base, float(y[j]))}
    for n in sorted(k for k in ns if 0 < k < len(base) - int(at[-1]))[:MAX_SHIFTS]:
        w = compare_series(plan, _moved(trace, g, f, n), g, f, rtol=rtol, diagnose=False, schedule_name=schedule_name)
        if w.ok:
            said = (f"a resumed run's later folder alone: its run record says it resumed the run "
                    f"(wandb.init(resume=\"allow\" or \"must\")) and wandb offline counts its _step from 0 "
                    f"again, so it follows the "
                    f"plan from update n={n} (its _step s is update s + {n}: the plan, re-simulated by the real "
                    "scheduler, matches every logged value there); give the earlier folders too to verify the "
                    "updates before it")
            return _placed(replace(w, note=said if w.note is None else f"{said}; {w.note}", moved=n,
                                   placed=f"is placed at update {n}, where every value follows the plan: a resumed "
                                          "run's later folder read alone, its _step counted from 0 again"), info)
    return None
