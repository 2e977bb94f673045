"""How a Lightning ``Trainer`` counts optimizer updates and steps lr schedulers, as arithmetic.

Also which ``trainer:`` sections are a Lightning Trainer's (its ``__init__`` arguments).
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
from functools import lru_cache

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


# Lightning 2.6.6's Trainer.__init__ arguments (lightning/pytorch/trainer/trainer.py), and those of
# the PyTorch Lightning 1.x Trainer that 2.x removed (configs written for 1.x still carry them): a
# ``trainer:`` section with any other key is not Lightning's.
TRAINER_ARGS = frozenset((
    "accelerator", "accumulate_grad_batches", "barebones", "benchmark", "callbacks", "check_val_every_n_epoch",
    "default_root_dir", "detect_anomaly", "deterministic", "devices", "enable_autolog_hparams",
    "enable_checkpointing", "enable_model_summary", "enable_progress_bar", "fast_dev_run",
    "gradient_clip_algorithm", "gradient_clip_val", "inference_mode", "limit_predict_batches",
    "limit_test_batches", "limit_train_batches", "limit_val_batches", "log_every_n_steps", "logger",
    "max_epochs", "max_steps", "max_time", "min_epochs", "min_steps", "model_registry", "num_nodes",
    "num_sanity_val_steps", "overfit_batches", "plugins", "precision", "profiler",
    "reload_dataloaders_every_n_epochs", "strategy", "sync_batchnorm", "use_distributed_sampler",
    "val_check_interval"))
TRAINER_ARGS_1X = frozenset((
    "amp_backend", "amp_level", "auto_lr_find", "auto_scale_batch_size", "auto_select_gpus",
    "checkpoint_callback", "distributed_backend", "flush_logs_every_n_steps", "gpus", "ipus", "log_gpu_memory",
    "move_metrics_to_cpu", "multiple_trainloader_mode", "num_processes", "prepare_data_per_node",
    "process_position", "progress_bar_refresh_rate", "reload_dataloaders_every_epoch", "replace_sampler_ddp",
    "resume_from_checkpoint", "stochastic_weight_avg", "terminate_on_nan", "tpu_cores", "track_grad_norm",
    "truncated_bptt_steps", "weights_save_path", "weights_summary", "hpus"))
TRAINER_TARGETS = frozenset(f"{package}{module}.Trainer" for package in ("lightning.pytorch", "pytorch_lightning",
                                                                         "lightning")
                            for module in ("", ".trainer", ".trainer.trainer"))


@lru_cache(maxsize=1)
def installed_trainer_args() -> frozenset[str] | None:
    """The installed Lightning's ``Trainer.__init__`` argument names, read from its source with
    :mod:`ast` (importing Lightning takes seconds); None when it is not installed or has moved."""
    import ast
    from importlib.util import find_spec
    from pathlib import Path

    from ..errors import SpecError
    from ..astparse import parse
    from ..spec import read_text

    try:
        spec = find_spec("lightning")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "pytorch" / "trainer" / "trainer.py"
    try:
        tree = parse(read_text(path, "Lightning's trainer.py", 4_000_000, pipe_ok=False), str(path))
    except (SpecError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Trainer":
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    args = item.args
                    return frozenset(a.arg for a in args.posonlyargs + args.args + args.kwonlyargs) - {"self"}
    return None


def not_lightning_trainer(section: dict) -> str | None:
    """Why a ``trainer:`` section is not a Lightning Trainer's (its ``_target_``, or the keys no
    Lightning Trainer takes), or None: it is Lightning's, by its ``_target_`` or by all its keys."""
    target = section.get("_target_")
    if isinstance(target, str):
        return None if target.strip() in TRAINER_TARGETS else f"its _target_ is {target.strip()}"
    known = TRAINER_ARGS | TRAINER_ARGS_1X  # the installed Lightning's are read only for a key outside these
    foreign = [k for k in section if isinstance(k, str) and not (k.startswith("_") and k.endswith("_"))
               and k not in known]
    if foreign:
        foreign = [k for k in foreign if k not in (installed_trainer_args() or frozenset())]
    if not foreign:
        return None
    return f"{', '.join(foreign)} {'is not a' if len(foreign) == 1 else 'are not'} Lightning {LIGHTNING_VERSION} " \
           f"Trainer argument{'' if len(foreign) == 1 else 's'}"
