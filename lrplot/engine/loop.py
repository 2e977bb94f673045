"""The hot loop: step a scheduler and record param-group values, flat, as fast as a bare loop.

The value recorded at step t is the param-group field read before the t-th ``scheduler.step()``,
i.e. the value optimizer update t uses. It is bit-identical to the plain training loop
``record; optimizer.step(); scheduler.step()``: the scheduler is torch's own object, and the
optimizer is a real torch optimizer over one tiny parameter per group. ``optimizer.step()`` is
never called: without gradients it changes nothing, and its only effect -- keeping torch's
step-order warning quiet -- is had by silencing that one warning (see step_order_satisfied).
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from functools import partial
from operator import getitem
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..errors import SpecError, first_line

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import ResolvedSchedule

# torch: "...`lr_scheduler.step()` before `optimizer.step()`"; MMEngine 0.10.7's _ParamScheduler:
# "Detected call of `scheduler.step()` before `optimizer.step()`".
STEP_ORDER_WARNING = r".*(lr_)?scheduler\.step\(\)` before `optimizer\.step\(\)`"


@contextmanager
def step_order_satisfied() -> Iterator[None]:
    """Step a scheduler whose optimizer never steps, without torch's 'lr_scheduler.step() before
    optimizer.step()' warning.

    That warning is the only effect of skipping ``optimizer.step()``: without gradients it changes
    no param-group value, so the curve is the one of ``record; optimizer.step(); scheduler.step()``
    (tests/test_simulate.py checks ==). Calling it would cost the import of torch._dynamo (1-3 s)
    on the first call in a process. Only this message is silenced, only while stepping: warnings
    torch gives while building the scheduler are still reported."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=STEP_ORDER_WARNING, category=UserWarning)
        yield


# --- the loop -------------------------------------------------------------------------------

Progress = Callable[[str, int, int], None]  # progress(schedule name, updates done, total)
CHUNK = 1 << 16  # updates between progress reports: the inner loops stay free of any check


def reader(dicts: list[dict], keys: list[str]) -> Callable[[], tuple]:
    """A function reading every ``dicts[i][keys[i]]`` into one tuple. For up to 4 values it is a
    tuple display over bound locals, about twice as fast per update as ``map(getitem, ...)``
    (measured: 160 vs 327 ns for 4 values), which matters next to a 2-3 µs scheduler step."""
    pairs = list(zip(dicts, keys))
    if len(pairs) == 1:
        ((d0, k0),) = pairs
        return lambda: (d0[k0],)
    if len(pairs) == 2:
        (d0, k0), (d1, k1) = pairs
        return lambda: (d0[k0], d1[k1])
    if len(pairs) == 3:
        (d0, k0), (d1, k1), (d2, k2) = pairs
        return lambda: (d0[k0], d1[k1], d2[k2])
    if len(pairs) == 4:
        (d0, k0), (d1, k1), (d2, k2), (d3, k3) = pairs
        return lambda: (d0[k0], d1[k1], d2[k2], d3[k3])
    return lambda: tuple(map(getitem, dicts, keys))


def lr_list_owner(scheduler: Any, groups: list[dict], dicts: list[dict], keys: list[str]) -> Any:
    """``scheduler`` when the values to record after each of its steps are exactly the list torch's
    own ``step()`` leaves in ``scheduler._last_lr``, else None.

    That is: every param group's "lr", in order, and nothing else; every value a Python float
    (torch clones tensors into that list); and a torch class whose ``step()`` is one that ends by
    reading every group's "lr" into a fresh ``_last_lr`` (torch 2.13 lr_scheduler.py:
    ``LRScheduler._update_lr`` (step), ``ReduceLROnPlateau.step``, ``CosineAnnealingWarmRestarts.step``,
    each ``self._last_lr = _param_groups_val_list(self.optimizer, "lr")``, a list of the very objects
    the groups hold). Extending the record by that list costs a third of reading the groups again
    (one Python call and a tuple per update), which is what several param groups cost next to a
    1-3 µs step; :func:`run_loop` still checks it after the first step and reads the groups if not."""
    if len(dicts) < 2 or any(k != "lr" for k in keys) or len(dicts) != len(groups) or \
            any(d is not g for d, g in zip(dicts, groups)) or any(type(g["lr"]) is not float for g in groups):
        return None
    from torch.optim import lr_scheduler as torch_schedulers  # loaded already: it built the scheduler

    steps = (torch_schedulers.LRScheduler.step, torch_schedulers.ReduceLROnPlateau.step,
             torch_schedulers.CosineAnnealingWarmRestarts.step)
    cls = type(scheduler)
    if cls.__module__ not in ("torch.optim.lr_scheduler", "torch.optim.swa_utils") or cls.step not in steps:
        return None
    return scheduler


def run_loop(step: Callable[[], Any], dicts: list[dict], keys: list[str], start: int, stop: int, steps: int,
             every: int, schedule: ResolvedSchedule, progress: Progress | None = None, *,
             owner: Any = None, fed: tuple[Callable[[Any], Any], Callable[[], Any]] | None = None) -> list:
    """Record ``dicts[i][keys[i]]`` for updates ``start``..``stop-1``, calling ``step()`` after
    every ``every``-th update (never after the schedule's last). The values come flat: update t's
    value of pair i is at ``(t - start) * len(dicts) + i``. Errors torch raises while stepping
    become a SpecError at the scheduler. ``progress`` is called every :data:`CHUNK` updates.
    ``owner``: see :func:`lr_list_owner`; ``fed``: ``(method, feed)`` when ``step()`` is
    ``method(feed())`` (ReduceLROnPlateau), called so without the closure's frame."""
    rows: list = []
    record, extend = rows.append, rows.extend
    single = len(dicts) == 1
    group, key = dicts[0], keys[0]
    read = reader(dicts, keys)
    method, feed = fed if fed is not None and every == 1 else (None, None)
    fed = fed if method is not None else None
    # fed its own lr (metric_feed's ``partial(getitem, group, "lr")``): the loop reads it by subscript
    # as a bare loop ``scheduler.step(group["lr"])`` does, without a call per update
    fed_dict, fed_key = feed.args if type(feed) is partial and feed.func is getitem and not feed.keywords \
        and len(feed.args) == 2 and type(feed.args[0]) is dict else (None, None)
    owner = owner if every == 1 else None
    t = start
    try:
        if single:
            record(group[key])
        else:
            extend(read())
        done = start + 1  # updates recorded so far
        if owner is not None and done < stop:  # one update the usual way, then check: a new list of the same objects
            t = done
            before = getattr(owner, "_last_lr", None)
            step()
            last = getattr(owner, "_last_lr", None)
            now = read()
            extend(now)
            if type(last) is not list or last is before or len(last) != len(now) or \
                    any(a is not b for a, b in zip(last, now)):
                owner = None
            done += 1
        for first in range(start + 1, stop, CHUNK):
            chunk = range(max(first, done), min(first + CHUNK, stop))
            if single and every == 1 and fed_dict is not None:  # ReduceLROnPlateau fed its lr, one group
                for t in chunk:
                    method(fed_dict[fed_key])
                    record(group[key])
            elif single and every == 1 and fed is not None:  # ReduceLROnPlateau, one group
                for t in chunk:
                    method(feed())
                    record(group[key])
            elif single and every == 1:  # the common case: no call at all to read the value
                for t in chunk:
                    step()
                    record(group[key])
            elif owner is not None and fed_dict is not None:  # ReduceLROnPlateau fed its lr, several groups
                for t in chunk:
                    method(fed_dict[fed_key])
                    extend(owner._last_lr)
            elif owner is not None and fed is not None:  # ReduceLROnPlateau, several groups
                for t in chunk:
                    method(feed())
                    extend(owner._last_lr)
            elif owner is not None:  # several groups' lr: the list torch's step() just read
                for t in chunk:
                    step()
                    extend(owner._last_lr)
            elif every == 1:  # several values: one tuple per update, appended flat
                for t in chunk:
                    step()
                    extend(read())
            elif single:
                for t in chunk:
                    if t % every == 0:
                        step()
                    record(group[key])
            else:
                for t in chunk:
                    if t % every == 0:
                        step()
                    extend(read())
            if progress is not None:
                progress(schedule.name, chunk.stop, steps)
        t = stop
        if stop < steps and stop % every == 0:  # the step after update stop-1: ready to go on
            step()
    except SpecError:
        raise
    except (ValueError, ZeroDivisionError, OverflowError, RuntimeError, IndexError, KeyError, TypeError) as exc:
        message = first_line(exc, type(exc).__name__)
        if isinstance(exc, OverflowError):
            message = f"numeric overflow ({message})"
        raise schedule.spec.error(f"{schedule.scheduler.type} failed at step {t}: {message}",
                                  schedule.scheduler.path,
                                  hint="check the schedule's length and arguments against 'steps'") from None
    return rows


def library_loop(after_update: Callable[[int], Any] | None, after_epoch: Callable[[int], Any] | None,
                 dicts: list[dict], keys: list[str], start: int, stop: int, steps: int, per: int,
                 schedule: ResolvedSchedule) -> list:
    """The loop of schedulers driven by their library's own protocol (see lrplot.engine.protocols):
    ``after_update(num_updates)`` after every update, ``after_epoch(epoch)`` at epoch ends."""
    rows: list = []
    extend = rows.extend
    read = reader(dicts, keys)
    t = start
    try:
        for t in range(start, stop):
            extend(read())
            if t + 1 == steps:
                break
            if after_update is not None:
                after_update(t + 1)
            if after_epoch is not None and (t + 1) % per == 0:
                after_epoch((t + 1) // per)
    except SpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - third-party code may raise anything
        message = first_line(exc)
        raise schedule.spec.error(f"{schedule.scheduler.type} failed after update {t + 1}: "
                                  f"{type(exc).__name__}{': ' + message if message else ''}",
                                  schedule.scheduler.path, hint="run with --debug for the traceback") from None
    return rows

