"""The step budget: the one record of the update-count arithmetic, and the one place it is done the
Hugging Face Trainer's way.

:class:`Budget` is what every training-config reader (``lrplot.sources``) and a plain spec's
``budget:`` section (``lrplot.spec``) give back: what was told (:class:`Told`: a config key or a
command-line flag, and the value), what it computed (total updates, updates per epoch, warmup
updates) and the line that explains it. Its numbers are checked here, once: whole, positive, within
what lrplot simulates. :func:`budget_number` is the one check of a number such arithmetic takes;
:class:`BudgetInputs` is what the command line adds (``--dataset-size``, ``--devices``,
``--batch-size``); :class:`Note` and :func:`assumption` are what a reader (or a spec's budget) tells
the user beside it, some of them assumptions that change the curve.

The Trainer's counting (transformers 5.23.0, accelerate 1.15.0), used by the HF/TRL readers and by
a plain spec's ``budget:`` (:data:`CONVENTION` names it):

* batches per epoch on one process: the ``DataLoader``'s length (``ceil(N / B)``, ``floor`` with
  drop_last), sharded over the devices as accelerate's ``BatchSamplerShard.__len__`` does on process 0
  (one batch more when they do not divide evenly, ``floor`` with drop_last): :func:`batches_per_epoch`;
* updates per epoch: ``Trainer.set_initial_training_values`` (trainer.py:2514):
  ``max(len // accumulation + (len % accumulation > 0), 1)``, the last partial accumulation window is
  an update of its own, with drop_last or without: :func:`updates_per_epoch`;
* total updates: ``ceil(epochs x updates per epoch)`` (trainer.py:2521): :func:`total_updates`;
* warmup: ``TrainingArguments.get_warmup_steps`` (training_args.py:2154), a ratio below 1 gives
  ``ceil(total x ratio)``: :func:`warmup_updates`.

This module knows no spec and imports nothing heavy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .errors import Location, SpecError
from .limits import MAX_STEPS

# What a plain spec's budget says on its line and in --print-spec: whose counting it is.
CONVENTION = ("counted as the Hugging Face Trainer counts, transformers 5.23.0: a last partial batch per device is "
              "a batch unless drop_last, and a last partial accumulation window is an update")
WARMUP_CONVENTION = "a warmup ratio rounded up, as the Hugging Face Trainer rounds it (transformers 5.23.0)"
# The name of the Told that states the global batch (samples one optimizer update takes) where a config fixes it
# (DeepSpeed's train_batch_size): verify reads a log counted in samples seen with it (Budget.samples_per_update).
SAMPLES_PER_UPDATE = "samples per update"


def budget_number(value: Any, what: str, location: Location | None, *, integer: bool = False,
                  low: float | None = None, positive: bool = False, hint: str | None = None,
                  error: type[SpecError] = SpecError) -> Any:
    """The one check of a number that a reader's budget or lr arithmetic takes (a dataset size, a
    batch size, epochs, a base lr): a real number (not a bool, not text), finite, whole where
    ``integer``, ``> 0`` where ``positive``, ``>= low``, and at most MAX_BUDGET_NUMBER (exact as a
    float; what the arithmetic then gives is checked against the step limit by :class:`Budget`).
    Refused: ``what must be a whole number >= 1, not 'ten'`` at ``location``."""
    from .limits import MAX_BUDGET_NUMBER

    kind = "a whole number" if integer else "a number"
    bound = " > 0" if positive else f" >= {low:g}" if low is not None else ""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        shown = f"a number of {len(str(abs(value)))} digits"
    elif isinstance(value, str) and len(value) > 40:
        shown = repr(value[:40] + "...")
    else:
        shown = repr(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    if (not number or isinstance(value, float) and (not math.isfinite(value) or integer and not value.is_integer())
            or positive and value <= 0 or low is not None and value < low):
        raise error(f"{what} must be {kind}{bound}, not {shown}", location=location, hint=hint)
    if abs(value) > MAX_BUDGET_NUMBER:
        raise error(f"{what} must be at most {MAX_BUDGET_NUMBER:,}, not {shown}", location=location, hint=hint)
    return int(value) if integer else value


class Note(str):
    """A line a reader wants the user to read, as text (a ``str``), and whether it is an assumption
    that changes the curve (``assumed``) with the key or flag that would settle it (``settle``)."""

    assumed: bool
    settle: str | None

    def __new__(cls, text: str, *, assumed: bool = False, settle: str | None = None) -> Note:
        note = super().__new__(cls, text)
        note.assumed = assumed
        note.settle = settle
        return note


def assumption(text: str, settle: str | None = None) -> Note:
    """A note naming an assumption that changes the curve (``settle``: the key or flag that would
    make it a fact instead)."""
    return Note(text, assumed=True, settle=settle)


@dataclass(frozen=True)
class Told:
    """One number a reader was told: its name (``dataset size``), value, and where it came from (a
    config key such as ``per_device_train_batch_size``, or a flag such as ``--dataset-size``)."""

    name: str
    value: Any
    origin: str


@dataclass(frozen=True)
class Budget:
    """The update-count arithmetic a reader did, shown in the summary and by ``--print-spec``.

    ``where`` locates ``decided_by`` in the file (errors about these numbers point there)."""

    text: str                       # one line: "207865 examples / (16 x 8) = 1624 batches per epoch / ..."
    updates: int                    # optimizer updates of the whole run
    updates_per_epoch: int | None = None
    warmup: int | None = None       # warmup updates, where the reader computed them
    told: tuple[Told, ...] = ()
    decided_by: str | None = None   # the config key (or flag) that decides the total: "max_steps"
    where: Location | None = field(default=None, compare=False)
    world: str | None = None        # how the world size enters the count, where it does: see world_note

    def __post_init__(self) -> None:
        for name, value, low in (("updates", self.updates, 1), ("updates per epoch", self.updates_per_epoch, 1),
                                 ("warmup updates", self.warmup, 0)):
            if value is None and name != "updates":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                shown = value if not isinstance(value, float) or math.isfinite(value) else str(value)
                raise SpecError(f"the budget gives {shown!r} {name} ({self.text}): expected a whole number >= {low}",
                                location=self.where, hint="check the run length, batch size and --dataset-size")
            if value > MAX_STEPS:
                raise SpecError(f"the budget gives {value:,} {name}, more than lrplot simulates ({MAX_STEPS:,}): "
                                f"{self.text}", location=self.where,
                                hint="check the run length, batch size and --dataset-size")

    def told_value(self, name: str) -> Any:
        return next((t.value for t in self.told if t.name == name), None)

    @property
    def samples_per_update(self) -> Told | None:
        """The global batch the config states (:data:`SAMPLES_PER_UPDATE`, with the key or flags it came
        from), or None where it does not fix it."""
        return next((t for t in self.told if t.name == SAMPLES_PER_UPDATE), None)


@dataclass(frozen=True)
class BudgetInputs:
    """What the command line adds to a training config: ``--dataset-size`` (training examples),
    ``--devices`` (world size: devices x nodes) and ``--batch-size`` (per device, where the
    config does not hold it)."""

    dataset_size: int | None = None
    devices: int | None = None
    batch_size: int | None = None

    def __post_init__(self) -> None:
        from .errors import UsageError

        for flag, value in (("--dataset-size", self.dataset_size), ("--devices", self.devices),
                            ("--batch-size", self.batch_size)):
            if value is not None:
                budget_number(value, flag, None, integer=True, positive=True, error=UsageError)


WORLD_DEFAULT = "default"  # the origin of a devices Told that is lrplot's own 1, no --devices given


def world_size(inputs: BudgetInputs, name: str = "devices") -> tuple[int, Told]:
    """The world size a reader counts with, and its :class:`Told`: ``--devices``, or lrplot's own
    default of one process (origin :data:`WORLD_DEFAULT`). Where the count then depends on it, the
    reader says how in :attr:`Budget.world`, and :func:`world_note` names the assumption."""
    world = inputs.devices or 1
    return world, Told(name, world, "--devices" if inputs.devices else WORLD_DEFAULT)


def world_note(budget: Budget) -> Note | None:
    """The one note for a count made for one process because no ``--devices`` was given, where the
    world size changes it (``budget.world``: how); None where ``--devices`` was given or the count
    does not depend on it (a ``max_steps`` decides it)."""
    told = next((t for t in budget.told if t.name == "devices"), None)
    if budget.world is None or told is None or told.origin != WORLD_DEFAULT:
        return None
    return world_assumption(f"world size 1 assumed (no --devices): {budget.world}")


def world_assumption(text: str) -> Note:
    """An assumed world size, ``text``, with the flag that settles it said on the line itself (the
    summary shows the text alone): :func:`world_note`'s, or a reader's own richer one."""
    return assumption(f"{text}; add --devices N for N processes", settle="--devices N")


def batches_per_epoch(dataset_size: int, batch_size: int, devices: int, drop_last: bool,
                      split_batches: bool = False) -> int:
    """``len(train_dataloader)`` on process 0: torch's ``BatchSampler`` length (``batch_size`` is
    the per-device batch size), then accelerate's ``BatchSamplerShard.__len__`` (accelerate 1.15.0)
    for ``devices`` processes (with ``split_batches`` each batch is split over the processes)."""
    batches = dataset_size // batch_size if drop_last else -(-dataset_size // batch_size)
    if devices == 1 or split_batches:
        return batches
    if batches % devices == 0:
        return batches // devices
    length = batches // devices
    if drop_last:
        return length
    return length + 1  # process 0 has one batch more, with even_batches or without


def updates_per_epoch(batches: int, accumulation: int) -> int:
    """``Trainer.set_initial_training_values`` (transformers 5.23.0, trainer.py:2514)."""
    return max(batches // accumulation + int(batches % accumulation > 0), 1)


def total_updates(epochs: float, per_epoch: int) -> int | float:
    """``math.ceil(num_train_epochs * num_update_steps_per_epoch)`` (trainer.py:2521); an infinite
    product is returned as it is, for :class:`Budget` to refuse."""
    product = epochs * per_epoch
    return math.ceil(product) if math.isfinite(product) else product


def warmup_updates(warmup: float, total: int) -> int:
    """``TrainingArguments.get_warmup_steps`` (transformers 5.23.0, training_args.py:2154): a number
    >= 1 is a count, one below 1 a ratio of the total, rounded up."""
    return int(warmup) if warmup >= 1 else math.ceil(total * warmup)


def per_epoch_text(dataset_size: int, batch_size: int, devices: int, drop_last: bool, accumulation: int,
                   split_batches: bool = False) -> tuple[int, int, str]:
    """(batches per epoch on process 0, updates per epoch, the line that says so):
    ``50000 examples / (32 x 8) = 196 batches per epoch / accumulation 4 = 49 updates per epoch``."""
    batches = batches_per_epoch(dataset_size, batch_size, devices, drop_last, split_batches)
    upe = updates_per_epoch(batches, accumulation)
    global_batch = batch_size if split_batches else batch_size * devices
    divisor = f"{batch_size} split over {devices}" if split_batches else f"{batch_size} x {devices}"
    text = (f"{dataset_size} examples / ({divisor}) = {batches} batches per epoch"
            f"{' (last partial batch dropped)' if drop_last and dataset_size % global_batch else ''}"
            f" / accumulation {accumulation} = {upe} updates per epoch")
    return batches, upe, text
