"""The LightningModule a Hydra config names (``model._target_``, ``module._target_``): the interval
its ``configure_optimizers`` gives Lightning, read from the project's source (parsed, never
imported: :mod:`.project_source`, as the LightningCLI reader does).

The module is the nearest node above the scheduler with a ``_target_`` (``model`` of
``model.scheduler``, of ``model.lr_scheduler.scheduler``, ``module`` of ``module.scheduler``), its
keys the module's init arguments (``self.hparams.scheduler_interval`` is read from the config). An
interval the code reads from a config it was given (``self.cfg.train.get('scheduler_interval',
'step')``) is looked up in the init argument the module's node gives, else in the whole config (what
the project's caller passes, e.g. ``instantiate(config.task, cfg=config)``: an assumption, named).
Where nothing says (no module ``_target_``, its source not on the project tree or PYTHONPATH, an
interval computed in code), the user is asked for the interval in one line naming the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..yamlio import KeyPath, format_path
from . import framework as fw
from .protocol import Note

if TYPE_CHECKING:  # pragma: no cover
    from .protocol import Document

# lightning/pytorch/core/optimizer.py (Lightning 2.6.6) _configure_schedulers_automatic_opt: a
# scheduler returned bare, or a dict without "interval", steps at the default "epoch"
DEFAULT_RULE = "Lightning 2.6.6 core/optimizer.py _configure_schedulers_automatic_opt"


class _InitArgs:
    """The module node's keys, each resolved (OmegaConf) only when the source reads it."""

    def __init__(self, raw: dict, path: KeyPath, resolve: Callable[[KeyPath], Any]) -> None:
        self.raw, self.path, self.resolve = raw, path, resolve

    def __contains__(self, key: object) -> bool:
        return key in self.raw

    def __getitem__(self, key: str) -> Any:
        return self.resolve(self.path + (key,))


def module_path(doc: Document, sched_path: KeyPath) -> KeyPath | None:
    """The nearest node above the scheduler with a string ``_target_``."""
    nodes = [doc.data]
    for part in sched_path[:-1]:
        nodes.append(nodes[-1][part])
    for depth in range(len(nodes) - 1, 0, -1):
        node = nodes[depth]
        if isinstance(node, dict) and isinstance(node.get("_target_"), str):
            return sched_path[:depth]
    return None


def code_interval(doc: Document, sched_path: KeyPath, scheduler: str, resolve: Callable[[KeyPath], Any],
                  add: str) -> tuple[str, Note]:
    """The interval the module's configure_optimizers gives Lightning, and the note saying where it
    was read; asks (a located error) where the code does not say. The module: the node above the
    scheduler with a ``_target_``; else the one top-level ``_target_`` node (``task:``) whose class in
    the project's source defines configure_optimizers."""
    from .project_source import model_interval

    key = f"{add}{format_path(sched_path)}.interval"
    ask = f"add --set {key}=step or --set {key}=epoch, as your configure_optimizers returns it"
    path = module_path(doc, sched_path)
    candidates = [path] if path else [(k,) for k, v in doc.data.items()
                                      if isinstance(v, dict) and isinstance(v.get("_target_"), str)]
    found = None
    for candidate in candidates:
        node = doc.data
        for part in candidate:
            node = node[part]
        target = node["_target_"].strip()
        found = model_interval(target, _InitArgs(node, candidate, resolve), doc.path, scheduler)
        if found is not None:
            path = candidate
            break
    if path is None:
        raise fw.error(doc, "the scheduler's interval is decided by your LightningModule's configure_optimizers, "
                            "and no _target_ of the config names one whose source lrplot finds", sched_path,
                       key=True, hint=ask)
    if found is None:
        raise fw.error(doc, f"the scheduler's interval is decided by {target}.configure_optimizers, whose source "
                            "is not found on the config's project tree or PYTHONPATH", path + ("_target_",),
                       hint=ask)
    if found.value is None and found.read is not None:
        from .project_config import config_interval

        return config_interval(doc, path, path + ("_target_",), target, found.where, found.read, resolve, add,
                               whole=True)
    if found.value is None:
        raise fw.error(doc, f"the scheduler's interval is computed in code ({found.where}: {found.why})",
                       path + ("_target_",), hint=ask)
    if found.default:
        return "epoch", Note(f"interval 'epoch': {target}.configure_optimizers ({found.where}) returns the "
                             f"scheduler without an interval, so Lightning's default applies ({DEFAULT_RULE})")
    via = f" ({found.why})" if found.why else ""
    return found.value, Note(f"interval '{found.value}' read from {target}.configure_optimizers at "
                             f"{found.where}{via}")
