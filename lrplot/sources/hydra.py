"""Hydra/OmegaConf configs (``_target_`` optimizer and scheduler) -> an lrplot Spec.

The layout read is lightning-hydra-template's, as composed (a run's ``.hydra/config.yaml`` or
``python train.py --cfg job``): ``model.optimizer`` (``_target_: torch.optim.X``,
usually ``_partial_: true``), ``model.scheduler`` (``_target_: torch.optim.lr_scheduler.Y``, SequentialLR
and ChainedScheduler with a list of partial schedulers), ``trainer`` (a Lightning Trainer's
arguments: max_epochs, max_steps, accumulate_grad_batches, limit_train_batches, devices, num_nodes)
and ``data.batch_size`` / ``data.drop_last``. Any node with a torch optimizer or scheduler
``_target_`` is found, wherever it stands; a node named ``optimizer``/``scheduler``/``lr_scheduler``
with another ``_target_`` is one too (an import path: lrplot's one import rule applies).

Nothing in the config is executed: it is never passed to ``hydra.utils.instantiate``. Interpolations
(``${trainer.max_steps}``) are resolved by OmegaConf's own resolver (its built-in ``oc.*`` resolvers,
and ``eval`` answered by lrplot's evaluator; no resolver that runs code is registered), and only in the keys lrplot reads, so an unrelated
``${hydra:runtime.output_dir}`` does not matter; one that cannot be resolved is reported at its line.

Whose loop: ``trainer`` is read as a Lightning Trainer's only when its ``_target_`` is Lightning's
Trainer or all its keys are Lightning Trainer arguments (:func:`.lightning_loop.not_lightning_trainer`).
Any other is the script's own loop (:mod:`.hydra_own_loop`): drawn only where the config says it in
updates, with the assumption named, else refused naming the keys that would answer it.

The stepping: the trainer is a Lightning Trainer, so Lightning 2.6.6's rules apply (see
:mod:`.lightning_loop`). The interval and frequency live in the module's configure_optimizers, not in
the config: read from the module's source (the node above the scheduler with a ``_target_``, parsed
and never imported, :mod:`.hydra_module`), unless the config holds Lightning's dict form
``{scheduler: {_target_: ...}, interval: step, frequency: N}``, or ``interval`` / ``frequency`` are set
next to the scheduler's ``_target_`` (``--set model.scheduler.interval=step``); where the source does
not say, the user is asked. The data section is ``data`` or ``datamodule`` (the template's older name).

Custom resolvers: ``${eval:'...'}`` (registered as Python's eval by many of the template's
descendants) is computed by lrplot's own expression evaluator (:mod:`lrplot.expr`, never Python's
eval); any other resolver the project's code registers is asked for, naming the key. A logging
plugin the tree names but this environment lacks (hydra-colorlog) is composed without
(:mod:`.hydra_plugins`), and a note says so.

A primary config (a ``defaults:`` list in Hydra's form, e.g. the template's ``configs/train.yaml``) is
composed first by Hydra's own ``initialize_config_dir`` + ``compose`` (:mod:`.hydra_compose`, hydra-core
needed), with ``--set`` items as Hydra overrides (``model=other`` picks a group option,
``model.optimizer.lr=0.01`` sets a value, ``+key=value`` adds one), then read as above with every key
located in the file it came from. Refused: a ``hydra.searchpath`` entry ``pkg://package`` (importing
runs code) unless the package is allowed with ``--allow-import``; ConfigStore entries (registered by
user code, never run) are missing configs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..errors import MissingLibraryError, SpecError
from ..yamlio import KeyPath, format_path
from . import framework as fw
from . import lightning_loop as rules
from .protocol import assumption
from .hydra_compose import is_primary
from .hydra_guard import ResolutionTooLarge, omegaconf_guarded

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Document, Source

KIND = "hydra"
FOLLOWS = f"{fw.FOLLOWS}, composed by Hydra"
DOCS = "docs/frameworks/hydra.rst"  # README's table links the kind to it
LOOKS_FOR = "a Hydra/OmegaConf config: '_target_: torch.optim.lr_scheduler.X' and '_target_: torch.optim.X'"
HYDRA_KEYS = ("_target_", "_partial_", "_recursive_", "_convert_")
STEPPING_KEYS = ("interval", "frequency")  # Lightning's configure_optimizers dict keys
_TRAINER_KEYS = ("max_epochs", "max_steps", "accumulate_grad_batches", "limit_train_batches", "devices",
                 "num_nodes", "accelerator")
_DATA_KEYS = ("batch_size", "train_batch_size", "drop_last")
DATA_SECTIONS = ("data", "datamodule")  # the template's name, and its older one

def _walk(node: Any, path: KeyPath = ()):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, path + (i,))


def detect(doc: Document) -> bool:
    return isinstance(doc.data, dict) and (is_primary(doc.data) or any(
        isinstance(n, dict) and "_target_" in n for _, n in _walk(doc.data)))


def own_overrides(doc: Document) -> bool:
    """A primary config takes ``--set`` items as Hydra overrides, applied by Hydra's composition."""
    return is_primary(doc.data)


def _is_scheduler(path: KeyPath, node: dict) -> bool:
    target = node.get("_target_")
    if not isinstance(target, str):
        return False
    return (target.startswith(fw.SCHEDULER_MODULE) or target in fw.ALIASES
            or bool(path) and path[-1] in ("scheduler", "lr_scheduler"))


def _is_optimizer(path: KeyPath, node: dict) -> bool:
    target = node.get("_target_")
    if not isinstance(target, str) or _is_scheduler(path, node):
        return False
    torch_optimizer = re.fullmatch(r"torch\.optim\.[A-Za-z_]\w*", target) is not None
    return torch_optimizer or bool(path) and path[-1] == "optimizer"


def _find(doc: Document, test: Any, what: str, example: str) -> KeyPath:
    found: list[KeyPath] = []
    for path, node in _walk(doc.data):
        if isinstance(node, dict) and test(path, node) and not any(path[:len(f)] == f for f in found):
            found.append(path)
    if not found:
        if "defaults" in doc.data:
            raise fw.error(doc, f"the config names no {what}; its 'defaults' is not a Hydra defaults list "
                                "(entries '_self_', 'group: option'), so it is not composed", ("defaults",), key=True,
                           hint="fix the defaults list, or give lrplot the composed config: a run's "
                                ".hydra/config.yaml, or 'python train.py --cfg job > composed.yaml'")
        _by_name(doc, what)
        raise fw.error(doc, f"the config names no {what}", (), hint=f"add one, e.g. '_target_: {example}'")
    if len(found) > 1:
        raise fw.error(doc, f"the config names more than one {what}: {format_path(found[0])} and "
                            f"{format_path(found[1])}", found[1] + ("_target_",),
                       hint="lrplot reads one; remove the other, or draw them from two files")
    return found[0]


def _by_name(doc: Document, what: str) -> None:
    """A section named like the scheduler (optimizer) that names its class by the project's own registry key
    (``scheduler: {_name_: cosine_warmup}``, state-spaces/s4's src/utils/registry.py) instead of Hydra's
    ``_target_``: said as that, with the overrides that give lrplot the class."""
    keys = ("scheduler", "lr_scheduler") if what == "scheduler" else ("optimizer",)
    for path, node in _walk(doc.data):
        if path and path[-1] in keys and isinstance(node, dict) and isinstance(node.get("_name_"), str):
            at = format_path(path)
            raise fw.error(doc, f"'{at}' names its class by '_name_: {node['_name_']}', a key of the project's own "
                                "registry, not by Hydra's '_target_', which lrplot reads", path + ("_name_",),
                           hint=f"give the class the registry maps '{node['_name_']}' to: --set "
                                f"'+{at}._target_=CLASS' --set '~{at}._name_'")


def _key_path(full_key: str) -> KeyPath:
    """'model.schedulers[1].T_max' -> ('model', 'schedulers', 1, 'T_max')."""
    return tuple(int(index) if index else name
                 for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", full_key))


def _omegaconf_error(doc: Document, exc: Exception, fallback: KeyPath) -> SpecError:
    """An OmegaConf error, located at the key it names (``full_key``, e.g. 'model.scheduler.T_max').
    A resolver the project's code registers (``${my_resolver:...}``), which lrplot never runs: the
    user is asked for the key's value."""
    from omegaconf.errors import UnsupportedInterpolationType

    full_key = getattr(exc, "full_key", None) or ""
    path = _key_path(full_key)
    key = full_key or format_path(fallback)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    unknown = re.match(r"Unsupported interpolation type (\S+)", message)
    missing = re.search(r"Missing mandatory value: (\S+)", message)
    if missing:  # a '???' read, itself or through an interpolation: a value the config leaves to the command line
        name = missing.group(1)
        via = f", and '{key}' takes it by interpolation" if name != key else ""
        return fw.error(doc, f"'{name}' is ??? (a value the config leaves to the command line){via}",
                        _key_path(name) or tuple(path) or fallback, hint=f"give it: --set {name}=VALUE")
    if isinstance(exc, UnsupportedInterpolationType) and unknown:
        return fw.error(doc, f"'{key}' is computed by the resolver '{unknown.group(1)}', which your code registers "
                             "and lrplot does not run", tuple(path) or fallback,
                        hint=f"give its value: --set {key}=VALUE")
    return fw.error(doc, f"cannot resolve '{key}': {message}", tuple(path) or fallback,
                    hint="fix the interpolation, or give the value with --set KEY=VALUE")


class _Resolver:
    """Resolves the keys lrplot reads with OmegaConf, errors located in the file."""

    def __init__(self, doc: Document) -> None:
        try:
            from omegaconf import OmegaConf
        except ModuleNotFoundError:
            raise MissingLibraryError("reading Hydra configs needs omegaconf", package="omegaconf",
                                      hint="pip install '.[hydra]' in the lrplot checkout") from None
        self.doc = doc
        self.omegaconf = OmegaConf
        try:
            self.cfg = OmegaConf.create(doc.data)
        except Exception as exc:  # noqa: BLE001 - OmegaConf rejects some YAML (non-string keys, ...)
            raise _omegaconf_error(doc, exc, ()) from None

    def node(self, path: KeyPath) -> Any:
        from omegaconf.errors import OmegaConfBaseException

        sub: Any = self.cfg
        with omegaconf_guarded() as spent:
            try:
                for part in path:
                    sub = sub[part]  # resolves a leaf interpolation; containers stay lazy
                return self.omegaconf.to_container(sub, resolve=True) if self.omegaconf.is_config(sub) else sub
            except (OmegaConfBaseException, ResolutionTooLarge) as exc:
                if spent.over is not None:  # (OmegaConf may have wrapped it)
                    raise fw.error(self.doc, f"'{format_path(path)}': {spent.over.message}", path,
                                   hint=spent.over.hint) from None
                if spent.refused is not None:  # an ${eval:...} lrplot's evaluator does not compute
                    key = getattr(exc, "full_key", None) or format_path(path)
                    raise fw.error(self.doc, f"'{key}': ${{eval:...}} is computed by lrplot's own expression "
                                             f"evaluator (numbers and arithmetic), which refuses it: "
                                             f"{spent.refused.message}", _key_path(key) or path,
                                   hint=f"give its value: --set {key}=VALUE") from None
                raise _omegaconf_error(self.doc, exc, path) from None

    def keys(self, path: KeyPath, keys: tuple[str, ...]) -> dict[str, Any]:
        """The resolved values of ``keys`` present in the mapping at ``path`` (others untouched)."""
        raw = self.doc.data
        for part in path:
            raw = raw.get(part) if isinstance(raw, dict) else None
        if not isinstance(raw, dict):
            return {}
        return {k: self.node(path + (k,)) for k in keys if k in raw}


def _target(doc: Document, path: KeyPath, node: dict) -> fw.Target:
    """The class a resolved ``_target_`` node names, with its arguments (and nested schedulers)."""
    if "_args_" in node:
        raise fw.error(doc, "positional arguments (_args_) are not read", path + ("_args_",),
                       hint="give the arguments by name")
    name = node.get("_target_")
    if not isinstance(name, str) or not name.strip():
        raise fw.error(doc, "'_target_' should be a dotted class name", path + ("_target_",))
    args = {k: v for k, v in node.items() if k not in HYDRA_KEYS}
    children = []
    nested = args.get("schedulers")
    if isinstance(nested, list) and all(isinstance(c, dict) and "_target_" in c for c in nested):
        children = [_target(doc, path + ("schedulers", i), c) for i, c in enumerate(nested)]
    return fw.Target(name.strip(), path + ("_target_",), args, path, children)


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    if not isinstance(doc.data, dict):
        raise fw.error(doc, "a Hydra config must be a mapping", ())
    composed = is_primary(doc.data)
    notes: list[str] = []
    if composed:
        from .hydra_compose import compose

        doc, composition_notes = compose(doc, allow_import)
        notes += composition_notes
    add = "+" if composed else ""  # a key the composed config lacks is added with Hydra's '+key=value'
    resolver = _Resolver(doc)
    sched_path = _find(doc, _is_scheduler, "scheduler", "torch.optim.lr_scheduler.CosineAnnealingLR")
    opt_path = _find(doc, _is_optimizer, "optimizer", "torch.optim.AdamW")
    sched_node = resolver.node(sched_path)
    stepping: dict[str, Any] = {}
    stepping_paths = {k: sched_path + (k,) for k in STEPPING_KEYS}
    for key in STEPPING_KEYS:
        if key in sched_node:
            stepping[key] = sched_node.pop(key)
    parent = sched_path[:-1]
    parent_raw = resolver.keys(parent, ("scheduler",) + STEPPING_KEYS) if sched_path[-1:] == ("scheduler",) else {}
    if "scheduler" in parent_raw:  # Lightning's dict form {scheduler: ..., interval: ..., frequency: ...}
        for key in STEPPING_KEYS:
            if key in parent_raw:
                stepping[key] = parent_raw[key]
                stepping_paths[key] = parent + (key,)
    scheduler = _target(doc, sched_path, sched_node)
    optimizer = _target(doc, opt_path, resolver.node(opt_path))
    if "trainer" in doc.data and isinstance(doc.data["trainer"], dict):
        foreign = rules.not_lightning_trainer(doc.data["trainer"])
        if foreign:
            from . import hydra_own_loop

            return hydra_own_loop.read(doc, resolver, optimizer, scheduler, sched_path, stepping, foreign,
                                       allow_import, add, notes, STEPPING_KEYS)
    if "trainer" not in doc.data:
        raise fw.error(doc, "the config has no 'trainer' section, so the run length is unknown", (),
                       hint=f"add --set {add}trainer.max_steps=N (or {add}trainer.max_epochs=E with --dataset-size N)")
    trainer = resolver.keys(("trainer",), _TRAINER_KEYS)
    data_key = next((k for k in DATA_SECTIONS if isinstance(doc.data.get(k), dict)), "data")
    data = resolver.keys((data_key,), _DATA_KEYS)
    loop = fw.LoopSettings.from_trainer(doc, trainer, ("trainer",), data, (data_key,), inputs)
    if "interval" not in stepping:  # asked last: what is wrong in the config is said first
        from .hydra_module import code_interval

        stepping["interval"], note = code_interval(doc, sched_path, scheduler.name, resolver.node, add)
        notes.append(note)
    if loop.world_size and loop.world_size > 1 and "batch_size" not in loop.flags:
        notes.append(assumption(f"{data_key}.batch_size is read as the per-device batch size "
                                "(lightning-hydra-template's MNISTDataModule divides it by the world size: then pass "
                                "--batch-size)", settle="--batch-size"))
    return fw.lightning_source(KIND, doc, optimizer, scheduler, loop, stepping["interval"],
                               stepping.get("frequency", 1), stepping_paths, allow_import,
                               notes)
