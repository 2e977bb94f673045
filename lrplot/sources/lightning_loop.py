"""How a Lightning ``Trainer`` counts optimizer updates and steps lr schedulers, as arithmetic.

Shared by the LightningCLI and the Hydra reader (lightning-hydra-template configs train with a
Lightning Trainer). Nothing here imports Lightning: the rules were read from the source of
Lightning **2.6.6** (``lightning.pytorch``), file by file as named below, and the tests compare them
with real Trainer runs.

- Batches per epoch, ``FitLoop.setup_data`` + ``_parse_num_batches`` (trainer/connectors/
  data_connector.py): ``len(train_dataloader)`` per rank, then ``limit_train_batches``: an int caps
  it (``min(len, limit)``; note that ``1`` is one batch), a float takes ``int(len * limit)``
  (0 for a positive fraction is an error). With more than one process, Lightning's
  ``DistributedSampler`` (``drop_last=False``) gives each rank ``ceil(n / world_size)`` examples.
- Updates per epoch, ``_TrainingEpochLoop._should_accumulate``: an update after every
  ``accumulate_grad_batches`` batches AND on the epoch's final batch (the last partial window is
  stepped), so ``ceil(batches / accumulate)``; ``Trainer.estimated_stepping_batches`` uses the same.
- Limits, ``_parse_loop_limits`` (loops/utilities.py): ``max_epochs`` None becomes 1000 when
  ``max_steps`` is -1, else -1 (no epoch limit); training stops when ``global_step`` (updates)
  reaches ``max_steps``.
- When schedulers step, ``_TrainingEpochLoop.advance`` / ``update_lr_schedulers`` /
  ``_update_learning_rates`` (loops/training_epoch_loop.py): after each batch that made an
  update, every ``interval: "step"`` scheduler whose ``(batch_idx + 1) % frequency == 0`` steps,
  where ``batch_idx`` is the batch index *within the epoch* (not the update count); after the
  epoch's last batch, every ``interval: "epoch"`` scheduler whose ``(current_epoch + 1) %
  frequency == 0`` steps (step-interval schedulers first, then epoch-interval ones, each in
  configuration order). ``ReduceLROnPlateau`` steps later, after validation.
- The default when ``configure_optimizers`` returns a bare scheduler (as LightningCLI's does):
  ``LRSchedulerConfig(interval="epoch", frequency=1)`` (utilities/types.py).
"""

from __future__ import annotations

import math

LIGHTNING_VERSION = "2.6.6"
DEFAULT_MAX_EPOCHS = 1000  # _parse_loop_limits, when neither max_epochs nor max_steps is set


def batches_per_epoch(dataset_size: int, batch_size: int, drop_last: bool, world_size: int,
                      limit: int | float | None) -> int:
    """``num_training_batches`` of one rank (may be 0; the caller says why that is a problem)."""
    per_rank = dataset_size if world_size == 1 else math.ceil(dataset_size / world_size)
    length = per_rank // batch_size if drop_last else math.ceil(per_rank / batch_size)
    if limit is None:
        return length
    if isinstance(limit, int):
        return min(length, limit)
    return int(length * limit)


def updates_per_epoch(batches: int, accumulate: int) -> int:
    return math.ceil(batches / accumulate)


def epoch_limit(max_epochs: int | None, max_steps: int) -> int:
    """Lightning's effective max_epochs (-1: no epoch limit)."""
    if max_epochs is None:
        return DEFAULT_MAX_EPOCHS if max_steps == -1 else -1
    return max_epochs


def step_frequency(frequency: int, batches: int, accumulate: int, total: int) -> int | None:
    """The N for which "step after every N-th update of the run" is exactly Lightning's
    ``(batch_idx + 1) % frequency == 0`` rule (checked after updates, batch_idx per epoch) over a
    run of ``total`` updates with ``batches`` batches per epoch; None when no N matches."""
    per_epoch = updates_per_epoch(batches, accumulate)

    def lightning_steps(update: int) -> bool:  # update: 1-based over the whole run
        k = (update - 1) % per_epoch + 1        # 1-based within its epoch
        return min(k * accumulate, batches) % frequency == 0

    first = next((u for u in range(1, min(total, per_epoch) + 1) if lightning_steps(u)), None)
    candidate = first if first is not None else total + 1  # never steps inside the run
    # Lightning's pattern repeats every epoch and the candidate's every `candidate` updates, so
    # both agree everywhere once they agree over one common period.
    span = min(total, per_epoch * candidate // math.gcd(per_epoch, candidate))
    if all(lightning_steps(u) == (u % candidate == 0) for u in range(1, span + 1)):
        return candidate
    return None
