"""How each trainer writes its learning rate into a log: the one table of log conventions.

lrplot's step t is update t counted from 0, and the value at t is the lr that update used. A
convention says how a writer's logged step s relates to that: what its step counts (``axis``:
updates, samples or epochs), the step it logs the first update at (``first``: 0 or 1), and whether
the value is the lr the update used (read before ``scheduler.step()``) or the next one's (read after
it). :attr:`Convention.offset` is then the log's step minus lrplot's step. The readers of
:mod:`lrplot.logs` take the offset from here (:func:`convention`), the README's table is
:func:`markdown_table` (a test checks it), and each row was measured with a real run of the writer
(tests/test_logs.py compares every logged value with the lr each update used, recorded by an
optimizer step pre-hook).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class Convention:
    writer: str                 # who writes it, with the version it was measured on
    formats: tuple[str, ...]    # the log formats of lrplot.logs it appears in
    key: str                    # the tag or column (a glob: "lr-*"; "*": any lr key)
    step: str                   # the step column or field the log's step comes from
    axis: str                   # what the step counts: updates | samples | epochs
    first: int                  # the logged step of the first update: 0 or 1
    lr: str                     # "used": the lr the update used | "next": the next update's (after scheduler.step())

    @property
    def offset(self) -> int:
        """The log's step minus lrplot's step."""
        return self.first if self.lr == "used" else self.first - 1


# First match wins: the specific writers before the generic rows.
CONVENTIONS: tuple[Convention, ...] = (
    Convention("transformers 5.23 Trainer (log_history: global_step after the update, lr read before "
               "optimizer.step())", ("hf",), "*", "step", "updates", 1, "used"),
    Convention("transformers 5.23 Trainer (TensorBoardCallback)", ("tensorboard",), "train/learning_rate", "step",
               "updates", 1, "used"),
    Convention("transformers 5.23 Trainer (WandbCallback)", ("wandb", "wandb-csv"), "*", "train/global_step",
               "updates", 1, "used"),
    Convention("Lightning 2.6 LearningRateMonitor (on_train_batch_start, step = updates done)",
               ("lightning-csv", "tensorboard"), "lr-*", "step", "updates", 0, "used"),
    Convention("Lightning 2.6 WandbLogger (LearningRateMonitor)", ("wandb", "wandb-csv"), "*", "trainer/global_step",
               "updates", 0, "used"),
    Convention("W&B's own step (one wandb.log call per update)", ("wandb", "wandb-csv"), "*", "_step", "updates", 0, "used"),
    Convention("a plain loop (the lr of update s logged at step s)",
               ("tensorboard", "lightning-csv", "csv", "mlflow"), "*", "step", "updates", 0, "used"),
)


def convention(fmt: str, key: str, step: str = "step") -> Convention:
    """The convention of a key logged in ``fmt`` with its step taken from ``step``."""
    for row in CONVENTIONS:
        if fmt in row.formats and step == row.step and fnmatchcase(key, row.key):
            return row
    raise LookupError(f"no log convention for {key!r} in a {fmt} log with step {step!r}")


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
