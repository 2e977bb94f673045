"""How each trainer writes its learning rate into a log: the one table of log conventions.

lrplot's step t is update t counted from 0, and the value at t is the lr that update used. A
convention says how a writer's logged step s relates to that: what its step counts (``axis``:
updates, samples or epochs), the step it logs the first update at (``first``: 0 or 1), and whether
the value is the lr the update used (read before ``scheduler.step()``) or the next one's (read after
it). :attr:`Convention.offset` is then the log's step minus lrplot's step, in the log's own unit: a
log counted in samples or epochs is moved to updates by :mod:`.axes` with the samples per update
(``--global-batch``) or the plan's updates per epoch. The readers of
:mod:`lrplot.logs` take the offset from here (:func:`convention`), the README's table is
:func:`markdown_table` (a test checks it), and each row was measured with a real run of the writer
(tests/test_logs.py compares every logged value with the lr each update used, recorded by an
optimizer step pre-hook).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Iterable


@dataclass(frozen=True)
class Convention:
    writer: str                 # who writes it, with the version it was measured on
    formats: tuple[str, ...]    # the log formats of lrplot.logs it appears in
    key: str                    # the tag or column (a glob: "lr-*"; "*": any lr key)
    step: str                   # the step column or field the log's step comes from
    axis: str                   # what the step counts: updates | samples | epochs
    first: int                  # the logged step of the first update: 0 or 1
    lr: str                     # "used": the lr the update used | "next": the next update's (after scheduler.step())
    unrecorded: str = ""        # a second reading's: what the log does not record that would pick it


    @property
    def offset(self) -> int:
        """The log's step minus lrplot's step."""
        return self.first if self.lr == "used" else self.first - 1


# transformers before PR #36973 (first released in 4.51.0): the lr read after scheduler.step(). The hf reader
# picks it when the run folder records an older transformers_version (never by lookup: "hf" finds the 5.23 row first).
HF_BEFORE_4_51 = Convention("transformers before 4.51 Trainer (log_history: global_step after the update, lr read "
                            "after scheduler.step(); changed by PR #36973)", ("hf",), "*", "step", "updates", 1, "next",
                            "which version wrote it")

# transformers' MLflowCallback (integrations/integration_utils.py, on_log) logs the Trainer's logs dict, log_history's
# entry, with log_metrics(step=state.global_step); the mlflow reader picks these rows for a run whose params are a
# TrainingArguments' (MLflowCallback.setup logs them), and the older one from its transformers_version param.
HF_MLFLOW = Convention("transformers 5.23 Trainer (MLflowCallback: the logs of log_history at step=global_step; "
                       "the run's params are its TrainingArguments)", ("mlflow",), "*", "global_step", "updates", 1,
                       "used")
HF_MLFLOW_BEFORE_4_51 = Convention("transformers before 4.51 Trainer (MLflowCallback; the lr read after "
                                   "scheduler.step(), changed by PR #36973)", ("mlflow",), "*", "global_step",
                                   "updates", 1, "next", "which version wrote it (the run has no "
                                   "transformers_version param)")

# pytorch-ignite 0.5.5 OptimizerParamsHandler (handlers/tensorboard_logger.py:396-408; MLflowLogger's,
# mlflow_logger.py:356-367, writes "{tag }lr group_{i}") writes {tag/}lr/group_{i} at
# engine.state.get_event_attrib_value(event): the iteration, 1-based (engine/engine.py:1265-1270: iteration += 1,
# ITERATION_STARTED, the update, ITERATION_COMPLETED). Logged at ITERATION_STARTED after the scheduler (ignite's
# documented use, both on ITERATION_STARTED) or at ITERATION_COMPLETED after a scheduler on ITERATION_STARTED, it is
# the lr update i-1 used; logged at ITERATION_COMPLETED after a scheduler attached there too (LRScheduler's
# use_legacy), the next update's. The log does not record the events: both readings are kept (IGNITE_AFTER).
IGNITE = Convention("pytorch-ignite 0.5.5 OptimizerParamsHandler (tensorboard_logger.py:396-408: lr/group_N at the "
                    "event's iteration, 1-based, the lr the update used: logged at ITERATION_STARTED after the "
                    "scheduler, or at ITERATION_COMPLETED)", ("tensorboard", "mlflow"), "*lr[/ ]group_[0-9]*", "step",
                    "updates", 1, "used")
IGNITE_AFTER = Convention("pytorch-ignite 0.5.5 OptimizerParamsHandler at ITERATION_COMPLETED after a scheduler "
                          "attached there (the next update's lr, at the iteration just done)", ("tensorboard", "mlflow"),
                          "*lr[/ ]group_[0-9]*", "step", "updates", 1, "next",
                          "which events its handlers were attached to (a loop logging the lr of update s at step s "
                          "writes the same log)")
IGNITE_BEFORE = Convention("pytorch-ignite 0.5.5 OptimizerParamsHandler at ITERATION_STARTED attached before the "
                           "scheduler (the lr the previous iteration used; at step 1 the lr before the scheduler's "
                           "first call)", ("tensorboard", "mlflow"), "*lr[/ ]group_[0-9]*", "step", "updates", 2,
                           "used", "which events its handlers were attached to, nor in which order (a scheduler "
                           "attached at ITERATION_COMPLETED, not ignite's documented use, leaves the same log with "
                           "every update one step late)")
# its WandBLogger (wandb_logger.py:362-372) logs the same keys with wandb.log(step=iteration): W&B's _step
IGNITE_WANDB = Convention("pytorch-ignite 0.5.5 WandBLogger OptimizerParamsHandler (wandb_logger.py:362-372: "
                          "_step = the event's iteration, 1-based, the lr the update used)", ("wandb", "wandb-csv"),
                          "*lr/group_[0-9]*", "_step", "updates", 1, "used")
IGNITE_WANDB_AFTER = Convention("pytorch-ignite 0.5.5 WandBLogger OptimizerParamsHandler at ITERATION_COMPLETED after "
                                "a scheduler attached there (the next update's lr)", ("wandb", "wandb-csv"),
                                "*lr/group_[0-9]*", "_step", "updates", 1, "next",
                                IGNITE_AFTER.unrecorded)
IGNITE_WANDB_BEFORE = Convention("pytorch-ignite 0.5.5 WandBLogger OptimizerParamsHandler at ITERATION_STARTED "
                                 "attached before the scheduler (the lr the previous iteration used)",
                                 ("wandb", "wandb-csv"), "*lr/group_[0-9]*", "_step", "updates", 2, "used",
                                 IGNITE_BEFORE.unrecorded)

# A plain loop's tag (or wandb's _step) records no unit for its step: read by lookup as the update count; with
# --global-batch N as the samples seen, N per update (verify: lrplot.logs.axes.as_samples), before the update or,
# the second reading, after it. The samples rows are never found by lookup (PLAIN, WANDB_OWN match first).
PLAIN = Convention("a plain loop (the lr of update s logged at step s); also self.log in a LightningModule's "
                   "training_step, as NeMo logs lr (megatron_gpt_model.py:1019)",
                   ("tensorboard", "lightning-csv", "csv", "mlflow"), "*", "step", "updates", 0, "used")
PLAIN_SAMPLES = Convention("a plain loop logging at the samples seen before the update (with --global-batch N, its "
                           "samples per update)", PLAIN.formats, "*", "step", "samples", 0, "used",
                           "whether its step counts the samples before the update or after it")
PLAIN_SAMPLES_AFTER = Convention("a plain loop logging at the samples seen after the update (with --global-batch N)",
                                 PLAIN.formats, "*", "step", "samples", 1, "used", PLAIN_SAMPLES.unrecorded)
# wandb's _step is what wandb.log(step=...) was given, or its own count of calls: no unit either
WANDB_OWN = Convention("W&B's own step (one wandb.log call per update)", ("wandb", "wandb-csv"), "*", "_step", "updates",
                       0, "used")
WANDB_SAMPLES = Convention("a loop calling wandb.log at the samples seen before the update (with --global-batch N, "
                           "its samples per update)", WANDB_OWN.formats, "*", "_step", "samples", 0, "used",
                           PLAIN_SAMPLES.unrecorded)
WANDB_SAMPLES_AFTER = Convention("a loop calling wandb.log at the samples seen after the update (with --global-batch "
                                 "N)", WANDB_OWN.formats, "*", "_step", "samples", 1, "used", PLAIN_SAMPLES.unrecorded)
# torchtitan 0.2.2 (the last release with TOML configs) logs its lr under the plain key "lr", with every metric of
# MetricsProcessor.log (components/metrics.py:425-457, TensorBoardLogger.log :125-128: add_scalar(tag, v, step)):
# never found by lookup (PLAIN matches "lr" first); the tensorboard reader picks it for a run that also logged
# torchtitan's loss_metrics/global_avg_loss and no lr/<Optimizer> tag
TORCHTITAN_0_2 = Convention("torchtitan 0.2.2 (train.py:552 lr = get_last_lr() before optimizers.step() :600, logged "
                            "as lr with loss_metrics/global_avg_loss; self.step += 1 before train_step :672)",
                            ("tensorboard",), "lr", "step", "updates", 1, "used")
TORCHTITAN_0_2_WANDB = Convention("torchtitan 0.2.2 (train.py:552 lr = get_last_lr() before optimizers.step() :600, "
                                  "logged as lr with loss_metrics/global_avg_loss by WandBLogger.log: wandb.log(metrics, "
                                  "step=step), components/metrics.py:163-168; self.step += 1 before train_step :672)",
                                  ("wandb",), "lr", "_step", "updates", 1, "used")
TORCHTITAN_0_2_SIGN = "loss_metrics/global_avg_loss"  # a tag only torchtitan's MetricsProcessor writes


def written_by(tags: Iterable[str], fmt: str) -> Convention | None:
    """The convention of a run whose other tags name its writer where its lr tag does not: torchtitan 0.2.2's
    plain ``lr`` (1-based steps) beside its ``loss_metrics/global_avg_loss`` (each under the logger's tag prefix,
    if any), with no ``lr/<Optimizer>`` tag; else None (looked up by key)."""
    tags = list(tags)
    names = {TORCHTITAN_0_2_SIGN if t.endswith(TORCHTITAN_0_2_SIGN) else t.rsplit("/", 1)[-1] for t in tags}
    if {TORCHTITAN_0_2_SIGN, "lr"} <= names and not any(t.startswith("lr/") or "/lr/" in t for t in tags):
        return {"tensorboard": TORCHTITAN_0_2, "wandb": TORCHTITAN_0_2_WANDB}.get(fmt)
    return None

SAMPLES_READING: dict[str, tuple[Convention, Convention]] = {PLAIN.writer: (PLAIN_SAMPLES, PLAIN_SAMPLES_AFTER),
                                                             WANDB_OWN.writer: (WANDB_SAMPLES, WANDB_SAMPLES_AFTER)}

# First match wins: the specific writers before the generic rows. A writer's file:line is where it
# reads the lr and picks the step (read in the version named). torchtitan's key names the optimizer's
# class (lr/AdamW, lr/AdamW/1): a plain loop's per-group tags (lr/0, lr/pg1, lr/unet) are not its.
CONVENTIONS: tuple[Convention, ...] = (
    Convention("transformers 5.23 Trainer (log_history: global_step after the update, lr read before "
               "optimizer.step())", ("hf",), "*", "step", "updates", 1, "used"),
    HF_BEFORE_4_51,
    Convention("transformers 5.23 Trainer (TensorBoardCallback)", ("tensorboard",), "train/learning_rate", "step",
               "updates", 1, "used"),
    Convention("transformers 5.23 Trainer (WandbCallback)", ("wandb", "wandb-csv"), "*", "train/global_step",
               "updates", 1, "used"),
    HF_MLFLOW,
    HF_MLFLOW_BEFORE_4_51,
    Convention("MMEngine 0.10 LocalVisBackend (vis_data/scalars.json, LoggerHook)", ("mmengine",), "*", "step",
               "updates", 1, "used"),
    Convention("MMEngine 0.10 text log (LogProcessor, lr printed with 5 significant digits)", ("mmengine-text",),
               "*", "step", "updates", 1, "used"),
    Convention("torchtune DiskLogger (recipes/full_finetune_single_device.py:638-662: get_lr after "
               "lr_scheduler.step(), at global_step after the update)", ("torchtune",), "*", "step", "updates", 1,
               "next"),
    IGNITE,
    IGNITE_AFTER,
    IGNITE_BEFORE,
    Convention("torchtitan (trainer.py:847 lr_schedulers.get_metrics() before optimizers.step() :956; "
               "self.step += 1 before the update :1030; key lr/<optimizer class>)", ("tensorboard",), "lr/[A-Z]*",
               "step", "updates", 1, "used"),
    Convention("Megatron-LM (training.py:3380: the lr after opt_param_scheduler.step() :3223, at iteration "
               "after the update)", ("tensorboard",), "learning-rate", "step", "updates", 1, "next"),
    Convention("Megatron-LM (training.py:3381: at consumed_train_samples after the update)", ("tensorboard",),
               "learning-rate vs samples", "step", "samples", 1, "next"),
    Convention("DeepSpeed monitor (runtime/engine.py:3483: get_lr() after the scheduler stepped in "
               "_take_model_step, at global_samples after the update)", ("tensorboard",), "Train/Samples/lr",
               "step", "samples", 1, "next"),
    # its loggers all take the step Logger.log_metrics gives them, state.timestamp.batch (loggers/logger.py:75-79):
    # TensorboardLogger and MLFlowLogger as step (the MLflow one skips a value equal to the last logged, so a flat
    # stretch is logged once), WandBLogger as wandb.log(step=): W&B's _step (wandb_logger.py:142)
    Convention("Composer 0.32 LRMonitor (callbacks/lr_monitor.py:53 at BATCH_END, after scheduler.step(), "
               "trainer.py:2492-2507; step = batches done)", ("tensorboard", "mlflow"), "lr-*/group*", "step",
               "updates", 1, "next"),
    Convention("Composer 0.32 LRMonitor through its WandBLogger (wandb.log(step=batches done), "
               "loggers/wandb_logger.py:142)", ("wandb", "wandb-csv"), "lr-*/group*", "_step", "updates", 1, "next"),
    Convention("Keras 3 TensorBoard callback (callbacks/tensorboard.py:495-567: at epoch end, step = epoch; "
               "the lr a LearningRateScheduler set at the epoch's start)", ("tensorboard",), "epoch_learning_rate",
               "step", "epochs", 0, "used"),
    Convention("Lightning 2.6 LearningRateMonitor (on_train_batch_start, step = updates done)",
               ("lightning-csv", "tensorboard"), "lr-*", "step", "updates", 0, "used"),
    Convention("Lightning 2.6 WandbLogger (LearningRateMonitor)", ("wandb", "wandb-csv"), "*", "trainer/global_step",
               "updates", 0, "used"),
    IGNITE_WANDB,
    IGNITE_WANDB_AFTER,
    IGNITE_WANDB_BEFORE,
    WANDB_OWN,
    WANDB_SAMPLES,
    WANDB_SAMPLES_AFTER,
    PLAIN,
    PLAIN_SAMPLES,
    PLAIN_SAMPLES_AFTER,
    TORCHTITAN_0_2,
    TORCHTITAN_0_2_WANDB,
)


# a convention -> the other readings verify also tries, in order, when the log does not say which wrote it
OTHER_READING: dict[Convention, tuple[Convention, ...]] = {IGNITE: (IGNITE_AFTER, IGNITE_BEFORE),
                                                          IGNITE_WANDB: (IGNITE_WANDB_AFTER, IGNITE_WANDB_BEFORE)}


def convention(fmt: str, key: str, step: str = "step") -> Convention:
    """The convention of a key logged in ``fmt`` with its step taken from ``step``."""
    for row in CONVENTIONS:
        if fmt in row.formats and step == row.step and fnmatchcase(key, row.key):
            return row
    raise LookupError(f"no log convention for {key!r} in a {fmt} log with step {step!r}")


def unrecorded(writer: str) -> str:
    """What a log read by ``writer``'s convention as its second reading does not record."""
    return next((c.unrecorded for c in (*CONVENTIONS, HF_BEFORE_4_51) if c.writer == writer and c.unrecorded),
                "which writer wrote it")


def markdown_table() -> str:
    """The table README shows: one row per convention."""
    lines = ["| writer | format | key | step | counts | first update at | value | lrplot step |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for c in CONVENTIONS:
        value = "the lr the update used" if c.lr == "used" else "the next update's lr"
        shift = "s" if c.offset == 0 else f"s − {c.offset}" if c.offset > 0 else f"s + {-c.offset}"
        lines.append(f"| {c.writer} | {', '.join(f'`{f}`' for f in c.formats)} | `{c.key}` | `{c.step}` | {c.axis} "
                     f"| {c.first} | {value} | {shift} |")
    return "\n".join(lines) + "\n"
