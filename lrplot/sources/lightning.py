"""LightningCLI configs (what ``fit --print_config`` writes) -> an lrplot Spec.

Read: ``optimizer`` and ``lr_scheduler`` (``class_path`` + ``init_args``; torch classes by
default, other packages need --allow-import), ``trainer`` (max_epochs, max_steps,
accumulate_grad_batches, limit_train_batches, devices x num_nodes), and the batch size and
drop_last of ``data`` (its init_args, or its keys when the CLI was given a fixed DataModule class).
The stepping rules are Lightning 2.6.6's (see :mod:`.lightning_loop`). LightningCLI's own
``configure_optimizers`` (lightning/pytorch/cli.py, 2.6.6) returns ``[optimizer], [lr_scheduler]``,
so Lightning's defaults apply: the scheduler steps once per EPOCH (``interval="epoch"``,
``frequency=1``), whatever the scheduler is. A config cannot say otherwise (jsonargparse rejects
extra keys); a LightningCLI subclass whose configure_optimizers returns a dict can be described
with ``--set lr_scheduler.interval=step`` / ``--set lr_scheduler.frequency=N``, which lrplot reads
next to ``class_path`` as Lightning reads them in that dict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import framework as fw

if TYPE_CHECKING:  # pragma: no cover
    from . import BudgetInputs, Document, Source

KIND = "lightning"
LOOKS_FOR = "a LightningCLI config: 'optimizer'/'lr_scheduler'/'model'/'data' with 'class_path', and 'trainer'"
_CLI_KEYS = {"seed_everything", "trainer", "model", "data", "optimizer", "lr_scheduler", "ckpt_path",
             "weights_only", "config", "fit", "validate", "test", "predict"}


def _has_class_path(node: Any) -> bool:
    return isinstance(node, dict) and "class_path" in node


def detect(doc: Document) -> bool:
    data = doc.data
    if not isinstance(data, dict):
        return False
    if any(_has_class_path(data.get(k)) for k in ("optimizer", "lr_scheduler", "model", "data")):
        return True
    return isinstance(data.get("trainer"), dict) and "seed_everything" in data and set(data) <= _CLI_KEYS


def _init_args(doc: Document, key: str) -> tuple[dict, tuple]:
    """A class_path node's arguments and their key path (a fixed class's node is its arguments)."""
    node = doc.data.get(key)
    if node is None:
        return {}, (key,)
    if not isinstance(node, dict):
        raise fw.error(doc, f"'{key}' should be a mapping", (key,))
    if "class_path" in node:
        args = node.get("init_args") or {}
        if not isinstance(args, dict):
            raise fw.error(doc, f"'{key}.init_args' should be a mapping", (key, "init_args"))
        return args, (key, "init_args")
    return node, (key,)


def _class_node(doc: Document, key: str, allow: frozenset[str], what: str) -> fw.Target:
    node = doc.data.get(key)
    if not _has_class_path(node):
        raise fw.error(doc, f"the config names no {key}", (key,) if key in doc.data else (),
                       hint=f"add '{key}: {{class_path: {what}, init_args: {{...}}}}'")
    path = (key, "class_path")
    args = node.get("init_args") or {}
    if not isinstance(args, dict):
        raise fw.error(doc, f"'{key}.init_args' should be a mapping", (key, "init_args"))
    return fw.Target(fw.text_value(doc, path), path, dict(args), (key, "init_args"))


def read(doc: Document, inputs: BudgetInputs, allow: frozenset[str]) -> Source:
    data = doc.data
    if not isinstance(data, dict):
        raise fw.error(doc, "a LightningCLI config must be a mapping", ())
    optimizer = _class_node(doc, "optimizer", allow, "torch.optim.AdamW")
    if data.get("lr_scheduler") is None:
        raise fw.error(doc, "the config names no lr_scheduler: LightningCLI trains at the optimizer's "
                            "constant lr", ("lr_scheduler",) if "lr_scheduler" in data else (),
                       hint="add 'lr_scheduler: {class_path: torch.optim.lr_scheduler.X, init_args: {...}}'")
    scheduler = _class_node(doc, "lr_scheduler", allow, "torch.optim.lr_scheduler.CosineAnnealingLR")
    sched_node = data["lr_scheduler"]
    interval = sched_node.get("interval", "epoch")
    frequency = sched_node.get("frequency", 1)
    extra = (("interval", ("lr_scheduler", "interval")), ("frequency", ("lr_scheduler", "frequency")))
    trainer, trainer_path = _init_args(doc, "trainer")
    data_args, data_path = _init_args(doc, "data")
    loop = fw.LoopSettings.from_trainer(doc, trainer, trainer_path, data_args, data_path, inputs)
    notes = [] if "interval" in sched_node else [
        "LightningCLI steps the scheduler once per epoch (its configure_optimizers returns "
        "[optimizer], [lr_scheduler]; Lightning's default interval is 'epoch')"]
    return fw.lightning_source(KIND, doc, optimizer, scheduler, loop, interval, frequency, dict(extra),
                               allow, notes)
