"""MMEngine's parameter schedulers stepped by the Runner's ITERATION clock, read at its optimizer UPDATES.

With ``optim_wrapper.accumulative_counts = k`` an MMEngine Runner runs ``max_iters`` iterations but
steps the optimizer only at some of them, while the parameter schedulers keep stepping every
iteration. lrplot's engine records one value per optimizer update, so the reader hands it this one
scheduler object, which owns the iteration clock: built on the optimizer, it builds MMEngine's OWN
scheduler classes (``mmengine.optim.scheduler``, by name, as the config's ``param_scheduler`` lists
them) and steps them iteration by iteration exactly as the Runner's hooks do; each ``step()`` (after
optimizer update n) advances the clock to just before update n + 1. The value the engine records at
update n is therefore the value the real optimizer read at its n-th ``step()``. Read from MMEngine
0.10.7:

* ``BaseModel.train_step`` (model/base_model/base_model.py:116) calls
  ``optim_wrapper.update_params(loss)`` in every iteration; ``OptimWrapper.backward``
  (optim/optimizer/optimizer_wrapper.py:221) counts it (``_inner_count += 1``) and ``update_params``
  (:197-202) steps the optimizer only when ``should_update()`` (:335-346):
  ``_inner_count % accumulative_counts == 0 or _inner_count == _max_counts``.
* ``Runner.train`` (runner/runner.py:1768) sets ``_max_counts`` to the loop's ``max_iters``: the
  accumulation windows run across epochs, and the last (partial) window is an update of its own.
* ``EpochBasedTrainLoop.run_iter`` (runner/loops.py:131-139) calls ``after_train_iter`` after
  ``train_step``, and ``run_epoch`` (:116) ``after_train_epoch`` after its last iteration;
  ``ParamSchedulerHook.after_train_iter`` (hooks/param_scheduler_hook.py:19-44) steps every scheduler
  whose ``by_epoch`` is False, in list order, and ``after_train_epoch`` (:57-70) every ``by_epoch`` one.
* ``Runner._build_param_scheduler``: the schedulers are built in the config's order, each on the
  optimizer as the ones before it left it; ``convert_to_iter_based`` builds through the class's
  ``build_iter_from_epoch`` with ``epoch_length = len(train_dataloader)``.

Only MMEngine's own public scheduler classes are built here (the reader refuses other types next to
``accumulative_counts``). This module imports torch at its top: it is imported only when a spec
names this class, i.e. when the engine builds it.
"""

from __future__ import annotations

import warnings
from typing import Any

from torch.optim.lr_scheduler import LRScheduler

from ..facts.frameworks import update_iterations  # OptimWrapper.should_update, written once

# MMEngine 0.10.7's _ParamScheduler warns once when it steps before the optimizer ever did: the
# optimizer here never steps (see engine/loop.py), which changes no value.
_STEP_ORDER = r"Detected call of `scheduler\.step\(\)` before `optimizer\.step\(\)`"


class AccumulatedIterations(LRScheduler):
    """MMEngine schedulers on the Runner's iteration clock, one ``step()`` per optimizer update.

    ``param_scheduler``: the config's entries (``type`` a class name of ``mmengine.optim.scheduler``,
    its arguments, ``by_epoch``, ``convert_to_iter_based``); ``max_iters``: the loop's iterations;
    ``epoch_length``: ``len(train_dataloader)`` for an ``EpochBasedTrainLoop`` (None: an
    ``IterBasedTrainLoop``, which never ends an epoch); ``hooks``: how many ParamSchedulerHooks step the
    schedulers (1, as the Runner has; verify re-simulates a run given a second one with 2)."""

    def __init__(self, optimizer: Any, param_scheduler: list, accumulative_counts: int, max_iters: int,
                 epoch_length: int | None = None, hooks: int = 1) -> None:
        # LRScheduler.__init__ is not called: it would step once, and this object has no formula of its own.
        import mmengine.optim.scheduler as schedulers
        from mmengine.optim.scheduler.param_scheduler import _ParamScheduler

        if accumulative_counts < 1 or max_iters < 1 or epoch_length is not None and epoch_length < 1 or hooks < 1:
            raise ValueError("accumulative_counts, max_iters, epoch_length and hooks must be whole numbers >= 1")
        self.optimizer = optimizer
        self.hooks = hooks
        self.accumulative_counts = accumulative_counts
        self.max_iters = max_iters
        self.epoch_length = epoch_length
        self.schedulers = []
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_STEP_ORDER, category=UserWarning)
            for entry in param_scheduler:
                kwargs = dict(entry)
                name = kwargs.pop("type")
                cls = getattr(schedulers, name, None) if not str(name).startswith("_") else None
                if not (isinstance(cls, type) and issubclass(cls, _ParamScheduler)):
                    raise ValueError(f"'{name}' is not a scheduler class of mmengine.optim.scheduler")
                if kwargs.pop("convert_to_iter_based", False):
                    self.schedulers.append(cls.build_iter_from_epoch(optimizer, epoch_length=epoch_length, **kwargs))
                else:
                    self.schedulers.append(cls(optimizer, **kwargs))
        self.updates = update_iterations(max_iters, accumulative_counts)
        self.done = 0      # iterations whose after_train_iter (and epoch end) hooks have run
        self.last_epoch = 0  # optimizer updates stepped past
        self._advance(self.updates[0] - 1)
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def _advance(self, to: int) -> None:
        """Run the Runner's hooks of iterations ``done + 1 .. to``."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_STEP_ORDER, category=UserWarning)
            while self.done < to:
                self.done += 1
                for _ in range(self.hooks):  # each hook's after_train_iter in turn, then each after_train_epoch
                    for scheduler in self.schedulers:       # ParamSchedulerHook.after_train_iter
                        if not scheduler.by_epoch:
                            scheduler.step()
                if self.epoch_length is not None and self.done % self.epoch_length == 0:
                    for _ in range(self.hooks):
                        for scheduler in self.schedulers:   # ParamSchedulerHook.after_train_epoch
                            if scheduler.by_epoch:
                                scheduler.step()

    def step(self, epoch: Any = None) -> None:
        """After optimizer update ``last_epoch + 1``: run that iteration's hooks and those of the
        iterations before the next update."""
        self.last_epoch += 1
        n = self.last_epoch
        self._advance(self.updates[n] - 1 if n < len(self.updates) else self.max_iters)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {"done": self.done, "last_epoch": self.last_epoch,
                "schedulers": [s.state_dict() for s in self.schedulers]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.done = state_dict["done"]
        self.last_epoch = state_dict["last_epoch"]
        for scheduler, state in zip(self.schedulers, state_dict["schedulers"]):
            scheduler.load_state_dict(state)
