"""The Hugging Face Trainer's update count and warmup for a TrainingArguments config.

Read from transformers 5.23.0 and accelerate 1.15.0; the counting itself is :mod:`lrplot.budget`'s, which a
plain spec's ``budget:`` shares:

* batches per epoch on one process: the ``DataLoader``'s length (``ceil(N / B)``, ``floor`` with
  ``dataloader_drop_last``), sharded over ``--devices`` processes as accelerate's
  ``BatchSamplerShard.__len__`` does on process 0, the one whose scheduler is drawn (it has one batch
  more when the batches do not divide evenly, with ``even_batches`` or without: that key changes the
  other processes' lengths only, so it is not read);
* updates per epoch: ``Trainer.set_initial_training_values``:
  ``max(len // gradient_accumulation_steps + (len % gradient_accumulation_steps > 0), 1)`` (the last,
  partial accumulation window is an update of its own, ``_run_epoch``'s ``remainder``);
* total updates: ``max_steps`` when > 0, else ``ceil(num_train_epochs x updates per epoch)``; the
  Trainer stops at exactly that many updates;
* warmup: the installed ``TrainingArguments.get_warmup_steps`` (see :func:`warmup`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import SpecError, UsageError
from ..budget import per_epoch_text, total_updates
from .protocol import Budget, Told, needs, world_size

if TYPE_CHECKING:  # pragma: no cover
    from .hf_config import HfConfig
    from .protocol import BudgetInputs


def installed_version() -> str:
    import transformers

    return transformers.__version__


def warmup(cfg: HfConfig, updates: int) -> tuple[int, str | None, list[str]]:
    """(num_warmup_steps, its text for the budget line, notes) by the installed
    ``TrainingArguments.get_warmup_steps`` (a float ``warmup_steps`` < 1 is a ratio).
    ``warmup_ratio`` (removed in transformers 5) is read as transformers 4 read it: used only when
    ``warmup_steps`` is 0, as the ratio ``ceil(updates x warmup_ratio)``, which is what passing it
    as a float ``warmup_steps`` < 1 computes."""
    from types import SimpleNamespace

    from transformers.training_args import TrainingArguments

    notes = []
    steps = cfg.number("warmup_steps", low=0)
    ratio = None
    if cfg.has("warmup_ratio"):
        ratio = cfg.number("warmup_ratio", low=0)
        if not ratio < 1:
            raise cfg.error("warmup_ratio", f"warmup_ratio must be below 1, not {ratio!r}",
                            hint="write the warmup as a number of updates: warmup_steps: N")
        if "warmup_ratio" not in cfg.fields:
            notes.append(f"warmup_ratio is read as transformers 4 read it; transformers {installed_version()} no longer "
                         f"accepts it: write warmup_steps: {ratio!r} (a float below 1 is a ratio)")
        if steps > 0:
            notes.append(f"warmup_steps {steps!r} is used and warmup_ratio {ratio!r} ignored, as transformers 4 did")
            ratio = None
        else:
            steps = ratio
    args = SimpleNamespace(warmup_steps=steps, warmup_ratio=ratio or 0.0)
    count = TrainingArguments.get_warmup_steps(args, updates)
    if steps == 0:
        text = None
    elif steps < 1:
        text = f"warmup {steps * 100:g}% = {count}"
    else:
        text = f"warmup {count} steps"
    return count, text, notes


def _split_batches(cfg: HfConfig) -> bool:
    """``accelerator_config.split_batches``, the one key of it that changes process 0's count."""
    value = cfg.get("accelerator_config")
    if value is None:
        return False
    if isinstance(value, str):
        raise cfg.error("accelerator_config", "accelerator_config as a file path is not read by lrplot",
                        hint="write its split_batches key inline")
    if not isinstance(value, dict):
        raise cfg.error("accelerator_config", "accelerator_config must be a mapping")
    split = value.get("split_batches", False)
    if not isinstance(split, bool):
        raise SpecError("accelerator_config.split_batches must be true or false",
                        location=cfg.doc.source.value(("accelerator_config", "split_batches")))
    return split


def budget(cfg: HfConfig, inputs: BudgetInputs) -> Budget:
    """The update count (the warmup comes later, from it) following
    ``Trainer.set_initial_training_values`` (transformers 5.23.0)."""
    max_steps = cfg.number("max_steps", integer=True)
    accumulation = cfg.number("gradient_accumulation_steps", integer=True, positive=True)
    devices, told_devices = world_size(inputs)
    batch = _batch_size(cfg, inputs)
    drop_last = cfg.flag("dataloader_drop_last")
    split = _split_batches(cfg)
    told = [Told("dataset size", inputs.dataset_size, "--dataset-size")] if inputs.dataset_size else []
    told += [told_devices,
             Told("batch size", batch, "per_device_train_batch_size" if cfg.has("per_device_train_batch_size")
                  else "--batch-size" if inputs.batch_size else "default"),
             Told("accumulation", accumulation, "gradient_accumulation_steps")]

    def made(text: str, total: int, upe: int | None, key: str, world: str | None = None) -> Budget:
        return Budget(text, total, upe, told=tuple(told + [Told(key.replace("_", " "), cfg.get(key), key)]),
                      decided_by=key, where=cfg.where(key), world=world)

    if split and batch % devices:
        raise cfg.error("accelerator_config", f"split_batches needs a batch size ({batch}) that is a multiple of "
                        f"the {devices} devices")
    if inputs.dataset_size is None:
        if max_steps > 0:
            return made(f"max_steps = {max_steps} updates", max_steps, None, "max_steps")
        key = "num_train_epochs" if cfg.has("num_train_epochs") else "max_steps"
        if key in cfg.data:
            raise needs(cfg.doc, "the training-set size", "--dataset-size N", (key,))
        # neither key: the Trainer's default epochs over the dataset, located at the dataset's key (or the document)
        at = next(((k,) for k in ("dataset_name", "dataset_mixer", "datasets", "dataset") if k in cfg.data), ())
        raise SpecError(f"needs the training-set size: no max_steps, so the run is num_train_epochs "
                        f"{cfg.get('num_train_epochs'):g} (the Trainer's default) over the dataset's examples",
                        hint="add --dataset-size N, or set max_steps", location=cfg.doc.source.value(at))
    batches, upe, head = per_epoch_text(inputs.dataset_size, batch, devices, drop_last, accumulation, split)
    if batches == 0:
        raise cfg.error("per_device_train_batch_size", f"{inputs.dataset_size} examples make no full batch of "
                        f"{batch} with dataloader_drop_last: the Trainer has nothing to train on")
    if max_steps > 0:
        return made(f"{head}; max_steps = {max_steps} updates", max_steps, upe, "max_steps")
    epochs = cfg.number("num_train_epochs", positive=True)
    total = total_updates(epochs, upe)  # an infinite total: Budget refuses it
    head = head.replace(" updates per epoch", " updates")
    # accelerate's BatchSamplerShard gives process 0 about 1/world of the batches (split_batches: all of them)
    sharded = None if split else "accelerate shards each epoch's batches over the processes (BatchSamplerShard)"
    return made(f"{head} x {epochs:g} epoch{'' if epochs == 1 else 's'} = {total} updates", total, upe,
                "num_train_epochs", sharded)


def _batch_size(cfg: HfConfig, inputs: BudgetInputs) -> int:
    if cfg.has("per_device_train_batch_size"):
        value = cfg.number("per_device_train_batch_size", integer=True, positive=True)
        if inputs.batch_size is not None and inputs.batch_size != value:
            raise UsageError(f"--batch-size {inputs.batch_size}: the config holds per_device_train_batch_size: "
                             f"{value} ({cfg.where('per_device_train_batch_size')})",
                             hint=f"change it with --set per_device_train_batch_size={inputs.batch_size}")
        return value
    if inputs.batch_size is not None:
        return inputs.batch_size
    return cfg.number("per_device_train_batch_size", integer=True, positive=True)
