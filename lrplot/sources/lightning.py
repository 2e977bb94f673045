"""LightningCLI configs (what ``fit --print_config`` writes) -> an lrplot Spec.

Read: ``optimizer`` and ``lr_scheduler`` (``class_path`` + ``init_args``; torch classes, and
others under lrplot's one import rule, :mod:`lrplot.imports`), ``trainer`` (max_epochs, max_steps,
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

from ..yamlio import KeyPath, format_path
from . import framework as fw
from .protocol import assumption

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Document, Source

KIND = "lightning"
FOLLOWS = fw.FOLLOWS
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


def _class_node(doc: Document, path: KeyPath) -> fw.Target:
    """The class_path node at ``path`` (known to hold one) as a Target."""
    node: Any = doc.data
    for part in path:
        node = node[part]
    args = node.get("init_args") or {}
    if not isinstance(args, dict):
        raise fw.error(doc, f"'{format_path(path + ('init_args',))}' should be a mapping", path + ("init_args",))
    return fw.Target(fw.text_value(doc, path + ("class_path",)), path + ("class_path",), dict(args),
                     path + ("init_args",))


def _find(doc: Document, keys: tuple[str, ...]) -> tuple[KeyPath | None, bool]:
    """Where the config names a class for one of ``keys``: at the top level (LightningCLI builds
    it), else in the model's init_args (the model's own configure_optimizers builds it)."""
    data = doc.data
    for key in keys:
        if _has_class_path(data.get(key)):
            return (key,), True
    model = data.get("model")
    args = model.get("init_args") if _has_class_path(model) else model
    base = ("model", "init_args") if _has_class_path(model) else ("model",)
    if isinstance(args, dict):
        for key in keys:
            if _has_class_path(args.get(key)):
                return base + (key,), False
    return None, True


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    data = doc.data
    if not isinstance(data, dict):
        raise fw.error(doc, "a LightningCLI config must be a mapping", ())
    opt_path, _ = _find(doc, ("optimizer",))
    if opt_path is None:
        raise fw.error(doc, "the config names no optimizer", ("optimizer",) if "optimizer" in data else (),
                       hint="add 'optimizer: {class_path: torch.optim.AdamW, init_args: {...}}'")
    sched_path, by_cli = _find(doc, ("lr_scheduler", "scheduler"))
    if sched_path is None:
        raise fw.error(doc, "the config names no lr_scheduler: LightningCLI trains at the optimizer's "
                            "constant lr", ("lr_scheduler",) if "lr_scheduler" in data else (),
                       hint="add 'lr_scheduler: {class_path: torch.optim.lr_scheduler.X, init_args: {...}}'")
    optimizer = _class_node(doc, opt_path)
    scheduler = _class_node(doc, sched_path)
    sched_node = _node(doc, sched_path)
    interval = sched_node.get("interval", "epoch")
    frequency = sched_node.get("frequency", 1)
    stepping_paths = {"interval": sched_path + ("interval",), "frequency": sched_path + ("frequency",)}
    trainer, trainer_path = _init_args(doc, "trainer")
    data_args, data_path = _init_args(doc, "data")
    loop = fw.LoopSettings.from_trainer(doc, trainer, trainer_path, data_args, data_path, inputs)
    notes = []
    if "interval" not in sched_node:
        notes.append(assumption(
            "LightningCLI steps the scheduler once per epoch (its configure_optimizers returns "
            "[optimizer], [lr_scheduler]; Lightning's default interval is 'epoch')" if by_cli else
            f"interval 'epoch' assumed: Lightning's default for a scheduler returned bare by the model's "
            f"configure_optimizers; --set {format_path(sched_path)}.interval=step if it says otherwise",
            settle=f"{format_path(sched_path)}.interval"))
    return fw.lightning_source(KIND, doc, optimizer, scheduler, loop, interval, frequency, stepping_paths,
                               allow_import, notes)


def _node(doc: Document, path: KeyPath) -> dict:
    node: Any = doc.data
    for part in path:
        node = node[part]
    return node
