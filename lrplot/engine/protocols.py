"""How each scheduler family is driven: what its own trainer calls after every optimizer update and
at every epoch end. The protocol is chosen by what the built object is, never by its name in the spec.

========================  ==========================================  ===============================
protocol                  after optimizer update n (n = 1, 2, ...)    after epoch e (e = 1, 2, ...)
========================  ==========================================  ===============================
torch                     ``step()`` (``interval: step``)             ``step()`` (``interval: epoch``)
torch-plateau             ``step(metric)`` (``interval: step``)       ``step(metric)`` (``interval: epoch``)
accelerated               ``step()`` (pytorch-accelerated's Trainer:  --
                          ``optimizer.step(); scheduler.step()``)
accelerated-stateless     ``step_update(n)``                          --
timm                      ``step_update(n)``                          ``step(e, metric)``
megatron                  ``step(increment=<update n's global batch>)``  --
composer                  ``step()``, then the timestamp advances     as the Trainer's flag says
ignite                    ``scheduler(engine)`` (also before update 0) --
========================  ==========================================  ===============================

* torch: ``torch.optim.lr_scheduler.LRScheduler`` subclasses, which includes every transformers
  schedule factory (they return ``LambdaLR``), and MMEngine's ``_ParamScheduler`` subclasses.
* torch-plateau: ``ReduceLROnPlateau`` and its subclasses (fed the spec's ``metric``).
* accelerated: subclasses of pytorch-accelerated's ``StatefulSchedulerBase`` (e.g.
  ``CosineLrScheduler``). Its counter starts at -1, so the first ``step()`` computes update 0's value
  again: the first value appears twice. lrplot shows that, because the Trainer does it.
* accelerated-stateless: other subclasses of pytorch-accelerated's ``SchedulerBase``, driven as its
  docstring loop does.
* timm: subclasses of ``timm.scheduler.Scheduler`` (they have ``step_update`` and ``t_in_epochs``), driven as
  timm's ``train.py`` does: ``step_update(num_updates)`` after every update, counting updates across
  epochs, then ``step(epoch + 1, metric)`` at the end of each epoch, ``metric`` being the spec's
  metric (one value per epoch end, the same feed as ReduceLROnPlateau's; timm's PlateauLRScheduler
  reduces on it). ``t_in_epochs`` decides which of the two calls changes the value; both are always
  made. train.py also passes its running training loss to ``step_update``; timm 1.0.31's schedulers
  never read it there (``Scheduler.step_update`` stores it in ``self.metric``, which the next
  ``step()`` overwrites; ``PlateauLRScheduler.step_update`` does nothing), so lrplot passes none.
  Needs ``steps_per_epoch``.
* megatron: Megatron-Core's ``OptimizerParamScheduler``, which counts samples, driven as Megatron-LM
  core_v0.16.1 does (megatron/training/training.py:1728-1730, ``train_step``: after a successful
  update, ``step(increment=get_num_microbatches() * micro_batch_size * data_parallel_size)``, the
  global batch; :2711 ``update_num_microbatches(consumed_train_samples)`` before each iteration and
  :2869 ``consumed_train_samples +=`` it after). The batch is the scheduler node's
  ``global_batch_size``, or, with ``rampup_batch_size``, what Megatron's own
  ``RampupBatchsizeNumMicroBatchesCalculator`` gives for the samples consumed so far (built with a
  micro batch times data-parallel size of 1: Megatron asserts the batch is a multiple of it, so
  the increment is the current global batch). The scheduler sets ``lr`` and ``weight_decay``.

* composer: a ``ComposerScheduler`` (a function of Composer's training time), compiled and driven by
  :func:`lrplot.engine.stepping.composer_calls` as Composer's Trainer does; needs ``stepping.composer``.
* ignite: a ``ParamScheduler`` handler on ``Events.ITERATION_STARTED``: it sets the value an
  iteration uses before that iteration (:func:`lrplot.engine.stepping.ignite_calls`).

The value recorded at update t is the param-group field read before the calls that follow update t.
"""

from __future__ import annotations

from typing import Any, Callable

from ..families import is_scheduler_class

TORCH = "torch"
PLATEAU = "torch-plateau"
ACCELERATED = "accelerated"
ACCELERATED_STATELESS = "accelerated-stateless"
TIMM = "timm"
MEGATRON = "megatron"
COMPOSER = "composer"
IGNITE = "ignite"

# Protocols whose calls are fixed by the library: the spec's ``interval`` does not apply.
LIBRARY_DRIVEN = (ACCELERATED, ACCELERATED_STATELESS, TIMM, MEGATRON, COMPOSER, IGNITE)


def _bases(obj: Any) -> set[tuple[str, str]]:
    return {(c.__module__.split(".")[0], c.__name__) for c in type(obj).__mro__}


def is_scheduler(obj: Any) -> bool:
    """A built scheduler lrplot knows how to step (as opposed to a factory that still needs the
    optimizer): an instance of a scheduler class."""
    return is_scheduler_class(type(obj))


def protocol_of(obj: Any) -> str | None:
    """The protocol of a built scheduler object, or None if it has none lrplot knows."""
    from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

    if isinstance(obj, ReduceLROnPlateau):
        return PLATEAU
    if isinstance(obj, LRScheduler):
        return TORCH
    bases = _bases(obj)
    if ("megatron", "OptimizerParamScheduler") in bases:
        return MEGATRON
    if ("pytorch_accelerated", "StatefulSchedulerBase") in bases:
        return ACCELERATED
    if ("composer", "ComposerScheduler") in bases:
        return COMPOSER
    if ("ignite", "ParamScheduler") in bases:
        return IGNITE
    if ("pytorch_accelerated", "SchedulerBase") in bases:
        return ACCELERATED_STATELESS
    if callable(getattr(obj, "step_update", None)):
        return TIMM if hasattr(obj, "t_in_epochs") else ACCELERATED_STATELESS
    if callable(getattr(obj, "step", None)):
        return TORCH
    return None


def library_calls(kind: str, scheduler: Any, metric: Callable[[], Any] | None = None, node: Any = None,
                  ) -> tuple[Callable[[int], Any] | None, Callable[[int], Any] | None]:
    """(after_update(n), after_epoch(e)) for a library-driven protocol. ``metric()`` gives the
    next value of the spec's metric: timm's ``step(epoch, metric)`` gets one per epoch end;
    ``node`` is the scheduler's spec node (Megatron's batch sizes)."""
    if kind == MEGATRON:
        return _megatron_steps(scheduler, node), None
    if kind == ACCELERATED:
        step = scheduler.step
        return (lambda n: step()), None
    if kind == ACCELERATED_STATELESS:
        return scheduler.step_update, None
    if kind == TIMM:
        step = scheduler.step
        if metric is None:
            return scheduler.step_update, step
        return scheduler.step_update, (lambda e: step(e, metric()))
    if kind == IGNITE:
        from .stepping import ignite_calls

        return ignite_calls(scheduler), None
    raise ValueError(kind)


def _megatron_steps(scheduler: Any, node: Any) -> Callable[[int], Any]:
    """``after_update(n)``: Megatron's ``step(increment=batch)`` with the batch of the iteration just done."""
    step = scheduler.step
    ramp = getattr(node, "rampup_batch_size", None)
    batch = getattr(node, "global_batch_size", None)
    if batch is None:
        raise ValueError("Megatron's OptimizerParamScheduler needs the scheduler's global_batch_size")
    if ramp is None:
        return lambda n: step(increment=batch)
    from megatron.core.num_microbatches_calculator import RampupBatchsizeNumMicroBatchesCalculator

    return MegatronRampup(step, RampupBatchsizeNumMicroBatchesCalculator(batch, 1, 1, False, 1, *ramp))


class MegatronRampup:
    """``after_update(n)`` of a ramped-up global batch: the batch follows the samples consumed so far,
    ``args.consumed_train_samples``, which a Megatron checkpoint holds and a resumed run restores
    (checkpointing.py ``load_checkpoint``, then ``update_num_microbatches``), hence its state_dict."""

    def __init__(self, step: Callable[..., Any], calculator: Any) -> None:
        self.step, self.calculator, self.consumed = step, calculator, 0

    def __call__(self, n: int) -> None:
        self.calculator.update(self.consumed, False)  # training.py:2711, before the iteration
        increment = self.calculator.get()             # num_microbatches x 1 x 1 (training.py:1729)
        self.step(increment=increment)
        self.consumed += increment                    # training.py:2869

    def state_dict(self) -> dict[str, int]:
        return {"consumed_train_samples": self.consumed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.consumed = state["consumed_train_samples"]


def describe(kind: str) -> str:
    return {
        ACCELERATED: "pytorch-accelerated schedulers step after every optimizer update",
        ACCELERATED_STATELESS: "pytorch-accelerated schedulers step after every optimizer update",
        TIMM: "timm schedulers are called after every update and at every epoch end",
        MEGATRON: "Megatron's OptimizerParamScheduler steps by the global batch after every update",
        COMPOSER: "Composer schedulers follow Composer's training time (stepping.composer)",
        IGNITE: "ignite schedulers are called before every iteration",
    }.get(kind, kind)
