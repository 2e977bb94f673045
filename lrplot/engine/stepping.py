"""Trainers that step a scheduler their own way: Composer's training time, Accelerate's wrapper, ignite's events.

Each driver runs the framework's OWN code and reproduces only the trainer's calls, read from its source:

* Composer (mosaicml 0.32.1): a Composer scheduler is a function of the trainer's ``State``;
  ``compile_composer_scheduler`` (composer/optim/scheduler.py:160-201) binds it to the state as a
  ``LambdaLR``. ``Trainer._train_loop`` (composer/trainer/trainer.py:2490-2505) steps every scheduler
  after each batch (when ``_scheduler_step_frequency`` is BATCH) and THEN advances the timestamp
  (``to_next_batch(samples, tokens)``), so the lr of batch t+1 is computed from batch t's time; at the
  end of an epoch (:2555-2560) it steps them (frequency EPOCH) and then ``to_next_epoch()``. The
  frequency is BATCH unless a torch scheduler is among them (``_get_default_scheduler_frequency``,
  :163-177), or as ``step_schedulers_every_batch`` says (:1576-1579). The state here holds exactly what
  the schedulers read of Composer's ``State``: ``optimizers``, ``max_duration``, ``dataloader_len`` and
  ``timestamp`` (Composer's own ``Timestamp``).
* Accelerate (1.15.0): ``AcceleratedScheduler.step`` (accelerate/scheduler.py:54-82) runs as written,
  with its gradient state and process count set from the spec instead of from a launched job (a
  copy of the method whose global ``AcceleratorState`` says ``num_processes``): the loop calls it after
  every micro-batch, ``sync_gradients`` true on the last of each update.
* ignite (0.5.5): a ``ParamScheduler`` attached on ``Events.ITERATION_STARTED`` is called before every
  iteration and sets the value that iteration uses (ignite/handlers/param_scheduler.py:213-238).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable

from ..errors import first_line

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import ResolvedSchedule
    from ..spec.stepping import AccelerateStepping, ComposerStepping

# Composer's time units (composer/core/time.py:54-71) -> what the spec must say to count them.
UNIT_NEEDS = {"ep": "dataloader_len", "sp": "samples_per_batch", "tok": "tokens_per_batch"}


class ComposerState:
    """The attributes Composer's schedulers and ``compile_composer_scheduler`` read of ``composer.core.State``."""

    def __init__(self, optimizer: Any, stepping: ComposerStepping) -> None:
        from composer.core.time import Time, Timestamp, TimeUnit

        self.optimizers = [optimizer]
        self.max_duration = Time.from_timestring(stepping.max_duration)
        self.dataloader_len = (Time(stepping.dataloader_len, TimeUnit.BATCH)
                               if stepping.dataloader_len is not None else None)
        self.timestamp = Timestamp()

    def state_dict(self) -> dict[str, Any]:
        """What Composer's checkpoint holds of the state besides the schedulers: ``timestamp``."""
        return {"timestamp": self.timestamp.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.timestamp.load_state_dict(state["timestamp"])


def composer_units(stepping: ComposerStepping, options: dict[str, Any]) -> dict[str, str]:
    """Each time unit the run uses (max_duration's and the scheduler's time strings) -> the option or
    key that holds it, e.g. {"tok": "t_max"}."""
    from ..spec.stepping import TIME_STRING

    found = {}
    for key, value in [("max_duration", stepping.max_duration), *options.items()]:
        for item in value if isinstance(value, list) else [value]:
            match = TIME_STRING.match(item) if isinstance(item, str) else None
            if match:
                found.setdefault(match.group(4).lower(), key)
    if found.get("dur") and stepping.max_duration.strip().lower().endswith("ep"):
        found.setdefault("ep", found["dur"])
    return found


def check_composer(schedule: ResolvedSchedule, stepping: ComposerStepping, node: Any) -> None:
    """Refuse (located at the key) a run whose times Composer could not convert, or would count as 0."""
    where = schedule.where("stepping")
    for unit, key in composer_units(stepping, node.options).items():
        need = UNIT_NEEDS.get(unit)
        if need and getattr(stepping, need) is None:
            raise schedule.spec.error(f"{key} counts in '{unit}', which Composer measures with {need}, and "
                                      f"stepping.composer has none", where + ("composer",),
                                      hint=f"add stepping.composer.{need}: N")


def composer_calls(schedule: ResolvedSchedule, stepping: ComposerStepping, optimizer: Any, scheduler: Any,
                   is_torch: bool) -> tuple[Any, ComposerState, Callable[[int], Any], Callable[[int], Any] | None]:
    """(the stepped scheduler, the state it reads, after_update(n), after_epoch(e)) of Composer's Trainer
    for ``scheduler``."""
    state = ComposerState(optimizer, stepping)
    if not is_torch:
        from composer.optim.scheduler import compile_composer_scheduler

        try:  # a LambdaLR bound to the state (ssr 1.0); it calls the scheduler once, at time 0
            scheduler = compile_composer_scheduler(scheduler, state)
        except (ValueError, RuntimeError, AssertionError) as exc:
            node = schedule.scheduler
            raise schedule.spec.error(f"{node.type} rejected its arguments: {first_line(exc)}", node.path,
                                      hint="Composer's Trainer would fail the same way") from None
    every_batch = stepping.step_schedulers_every_batch
    if every_batch is None:
        every_batch = not is_torch  # trainer.py:163-177
    samples, tokens = stepping.samples_per_batch or 0, stepping.tokens_per_batch or 0
    step = scheduler.step

    def after_batch(n: int) -> None:
        if every_batch:
            step()
        state.timestamp = state.timestamp.to_next_batch(samples=samples, tokens=tokens)

    def after_epoch(e: int) -> None:
        if not every_batch:
            step()
        state.timestamp = state.timestamp.to_next_epoch()

    return scheduler, state, after_batch, after_epoch if stepping.dataloader_len is not None else None


def accelerate_step(scheduler: Any, optimizer: Any, stepping: AccelerateStepping,
                    step: Callable[..., Any] | None = None) -> Callable[[], None]:
    """One update's ``lr_scheduler.step()`` calls of a loop under ``accelerator.accumulate``, through
    Accelerate's own ``AcceleratedScheduler.step`` (``step``: how the wrapped scheduler is stepped,
    e.g. fed a metric; default its ``step()``)."""
    import types

    import accelerate.scheduler as module

    fake_state = SimpleNamespace(num_processes=stepping.num_processes)
    method = types.FunctionType(module.AcceleratedScheduler.step.__code__,
                                {**vars(module), "AcceleratorState": lambda: fake_state}, "step")
    wrapper = module.AcceleratedScheduler.__new__(module.AcceleratedScheduler)
    # what AcceleratedScheduler.__init__ sets (accelerate/scheduler.py:47-52), the gradient state faked
    wrapper.scheduler = scheduler if step is None else _Fed(scheduler, step)
    wrapper.optimizers = [SimpleNamespace(step_was_skipped=False)]  # AcceleratedOptimizer: no fp16 overflow
    wrapper.split_batches = stepping.split_batches
    wrapper.step_with_optimizer = True
    gradient = wrapper.gradient_state = SimpleNamespace(sync_gradients=True, adjust_scheduler=True)
    accumulating = stepping.gradient_accumulation_steps - 1

    def one_update() -> None:
        gradient.sync_gradients = False
        for _ in range(accumulating):
            method(wrapper)
        gradient.sync_gradients = True
        method(wrapper)
    return one_update


class _Fed:
    """A scheduler whose ``step()`` is ``step`` (ReduceLROnPlateau fed its metric), attributes passed through."""

    def __init__(self, scheduler: Any, step: Callable[[], Any]) -> None:
        self.__dict__["_inner"], self.__dict__["step"] = scheduler, step

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_inner"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.__dict__["_inner"], name, value)


def ignite_calls(scheduler: Any) -> Callable[[int], Any]:
    """ignite: the handler called at ``Events.ITERATION_STARTED`` (no engine: it records no history).
    The first call, before update 0, is made here."""
    scheduler(None)
    return lambda n: scheduler(None)


def accelerated(schedule: ResolvedSchedule, num_processes: int, *, split_batches: bool = False,
                gradient_accumulation_steps: int = 1) -> ResolvedSchedule:
    """``schedule`` as a loop under ``accelerate launch --num_processes N`` would step it (for ``verify``,
    testing the cause "stepped once per process": ``start_run(accelerated(plan, k), steps=n)``)."""
    from ..spec import ResolvedSchedule
    from ..spec.stepping import AccelerateStepping, Stepping

    stepping = Stepping(accelerate=AccelerateStepping(num_processes=num_processes, split_batches=split_batches,
                                                      gradient_accumulation_steps=gradient_accumulation_steps))
    update = {"stepping": stepping}
    spec = schedule.spec
    if schedule.prefix:  # a schedule of a 'schedules:' list: its own entry's stepping
        entries = list(spec.schedules or [])
        entries[schedule.prefix[1]] = entries[schedule.prefix[1]].model_copy(update=update)
        spec = spec.model_copy(update={"schedules": entries})
    else:
        spec = spec.model_copy(update=update)
    return ResolvedSchedule(spec, schedule.name, schedule.schedulers, schedule.prefix)
