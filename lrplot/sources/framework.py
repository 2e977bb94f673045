"""What the LightningCLI and Hydra readers share: class names -> spec types (with the allow rule),
Lightning trainer settings -> the update budget, and the spec they both produce, whose SourceMap
points into the CONFIG file so any later error is located at the config's own lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import SpecError
from ..facts import HORIZON_ARGS
from ..yamlio import KeyPath, SourceMap, format_path
from . import lightning_loop as rules

from .protocol import Budget, Told, assumption, budget_number, needs

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Document, Source

FOLLOWS = f"Lightning {rules.LIGHTNING_VERSION} (Trainer loop)"
SCHEDULER_MODULE = "torch.optim.lr_scheduler."
# Classes that are torch's under another name: LightningCLI's ReduceLROnPlateau only adds `monitor`.
ALIASES = {
    "torch.optim.swa_utils.SWALR": "SWALR",
    "lightning.pytorch.cli.ReduceLROnPlateau": "ReduceLROnPlateau",
    "pytorch_lightning.cli.ReduceLROnPlateau": "ReduceLROnPlateau",
}
DROPPED_ARGS = {"ReduceLROnPlateau": ("monitor",)}  # Lightning's, not torch's


def error(doc: Document, message: str, path: KeyPath, hint: str | None = None, *, key: bool = False) -> SpecError:
    where = doc.source.key(path) if key else doc.source.value(path)
    return SpecError(message, hint=hint, location=where)


def text_value(doc: Document, path: KeyPath, data: Any = None) -> str:
    node: Any = doc.data if data is None else data
    for part in path:
        node = node[part]
    if not isinstance(node, str) or not node.strip():
        raise error(doc, f"'{format_path(path)}' should be a dotted class name such as torch.optim.AdamW", path)
    return node.strip()


@dataclass
class Target:
    """A class named in a config (``class_path`` or ``_target_``) with its keyword arguments."""

    name: str
    path: KeyPath            # where the name stands in the config
    args: dict[str, Any]
    args_path: KeyPath       # where the arguments stand (args[k] is at args_path + (k,))
    children: list[Target] = field(default_factory=list)  # SequentialLR/ChainedScheduler's


def scheduler_type(doc: Document, target: Target, allow_import: Allowance) -> str:
    """The spec's ``type`` for a scheduler class: a torch name, or an import path, which must pass
    lrplot's one import rule (:func:`lrplot.imports.resolve_allowed`: refused, located at the
    config's class name, unless trusted or allowed; never called here)."""
    from ..imports import resolve_allowed

    name = target.name
    if name in ALIASES:
        return ALIASES[name]
    if name.startswith(SCHEDULER_MODULE) and "." not in name[len(SCHEDULER_MODULE):]:
        return name[len(SCHEDULER_MODULE):]
    module, _, attribute = name.rpartition(".")
    if not module:
        raise error(doc, f"'{name}' is not a dotted class name", target.path,
                    hint="write the full name, e.g. torch.optim.lr_scheduler.CosineAnnealingLR")
    resolve_allowed(name, allow_import=allow_import, location=doc.source.value(target.path),
                    base_dir=doc.path.parent)
    return f"{module}:{attribute}"


def optimizer_type(doc: Document, target: Target) -> str:
    name = target.name
    prefix = "torch.optim."
    if name.startswith(prefix) and "." not in name[len(prefix):]:
        return name[len(prefix):]
    raise error(doc, f"optimizer '{name}': lrplot builds torch.optim optimizers only", target.path,
                hint="name the torch optimizer closest to it (--set on this key), e.g. torch.optim.AdamW")


class SpecBuilder:
    """Spec data plus a SourceMap whose entries point into the config file."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.data: dict[str, Any] = {}
        self.source = SourceMap(str(doc.path))

    def link(self, spec_path: KeyPath, config_path: KeyPath) -> None:
        src = self.doc.source
        self.source.keys[tuple(spec_path)] = src.key(config_path)
        self.source.values[tuple(spec_path)] = src.value(config_path)
        start = src.text_start.get(tuple(config_path))
        if start is not None:
            self.source.text_start[tuple(spec_path)] = start

    def scheduler(self, target: Target, spec_path: KeyPath, allow_import: Allowance) -> dict[str, Any]:
        type_name = scheduler_type(self.doc, target, allow_import)
        node: dict[str, Any] = {"type": type_name}
        self.link(spec_path, target.path)
        self.link(spec_path + ("type",), target.path)
        dropped = DROPPED_ARGS.get(type_name, ())
        for key, value in target.args.items():
            if key in dropped or key == "schedulers" and target.children:
                continue
            node[key] = value
            self.link(spec_path + (key,), target.args_path + (key,))
        # a finding's advice names the config's own keys (its init_args / params), also a length it leaves out
        for key in (*target.args, *HORIZON_ARGS):
            self.source.names.setdefault(spec_path + (key,), format_path(target.args_path + (key,)))
        if target.children:
            node["schedulers"] = [self.scheduler(c, spec_path + ("schedulers", i), allow_import)
                                  for i, c in enumerate(target.children)]
            self.link(spec_path + ("schedulers",), target.args_path + ("schedulers",))
        return node

    def optimizer(self, target: Target) -> dict[str, Any]:
        node: dict[str, Any] = {"type": optimizer_type(self.doc, target)}
        self.link(("optimizer",), target.path)
        self.link(("optimizer", "type"), target.path)
        for key, value in target.args.items():
            if key == "params":
                continue
            node[key] = value
            self.link(("optimizer", key), target.args_path + (key,))
        return node


def _int(doc: Document, node: dict, key: str, path: KeyPath, default: Any, minimum: int) -> Any:
    value = node.get(key, default)
    if value is None:
        return default
    return budget_number(value, f"'{format_path(path + (key,))}'", doc.source.value(path + (key,)), integer=True,
                         low=minimum)


@dataclass(frozen=True)
class LoopSettings:
    """The Lightning Trainer settings and data loader facts that decide the update budget."""

    max_epochs: int | None
    max_steps: int
    accumulate: int
    limit: int | float | None
    batch_size: int | None
    drop_last: bool
    world_size: int | None
    dataset_size: int | None
    where: dict[str, KeyPath]   # setting -> config path it came from
    flags: frozenset[str]       # settings that came from the command line

    @classmethod
    def from_trainer(cls, doc: Document, trainer: dict, tpath: KeyPath, data: dict, dpath: KeyPath,
                     inputs: BudgetInputs) -> LoopSettings:
        where: dict[str, KeyPath] = {}
        flags: set[str] = set()
        max_epochs = _int(doc, trainer, "max_epochs", tpath, None, -1)
        max_steps = _int(doc, trainer, "max_steps", tpath, -1, -1)
        accumulate = _int(doc, trainer, "accumulate_grad_batches", tpath, 1, 1)
        for key, name in (("max_epochs", "max_epochs"), ("max_steps", "max_steps"),
                          ("accumulate_grad_batches", "accumulate")):
            where[name] = tpath + (key,)
        limit = trainer.get("limit_train_batches")
        where["limit"] = tpath + ("limit_train_batches",)
        if limit is not None:
            budget_number(limit, "limit_train_batches", doc.source.value(where["limit"]), low=0)
        if limit is not None and isinstance(limit, float) and limit > 1:
            raise error(doc, f"limit_train_batches should be a whole number of batches or a fraction "
                             f"in [0, 1], not {limit!r}", where["limit"])
        if limit == 0:
            raise error(doc, "limit_train_batches is 0: Lightning skips training", where["limit"])
        batch_size = None
        for key in ("batch_size", "train_batch_size"):
            if data.get(key) is not None:
                batch_size = _int(doc, data, key, dpath, None, 1)
                where["batch_size"] = dpath + (key,)
                break
        if inputs.batch_size is not None:
            batch_size = inputs.batch_size
            flags.add("batch_size")
        drop_last = data.get("drop_last", False)
        where["drop_last"] = dpath + ("drop_last",)
        if not isinstance(drop_last, bool):
            raise error(doc, f"drop_last should be true or false, not {drop_last!r}", where["drop_last"])
        world_size = stated_world_size(doc, trainer, tpath)
        where["world_size"] = tpath + ("devices",)
        if inputs.devices is not None:
            world_size = inputs.devices
            flags.add("world_size")
        return cls(max_epochs, max_steps, accumulate, limit, batch_size, drop_last, world_size,
                   inputs.dataset_size, where, frozenset(flags))


def stated_world_size(doc: Document, trainer: dict, tpath: KeyPath) -> int | None:
    """devices x num_nodes, or None when it depends on the machine ('auto', -1)."""
    devices = trainer.get("devices", "auto")
    nodes = _int(doc, trainer, "num_nodes", tpath, 1, 1)
    if isinstance(devices, list):
        count = len(devices)
    elif isinstance(devices, int) and not isinstance(devices, bool):
        count = None if devices == -1 else devices
    elif isinstance(devices, str) and devices.strip().isdigit():
        count = int(devices)
    elif isinstance(devices, str) and "," in devices:
        count = len([d for d in devices.split(",") if d.strip()])
    elif devices in ("auto", None) and trainer.get("accelerator") == "cpu":
        count = 1
    else:
        count = None
    if count is None:
        return None
    return budget_number(count * nodes, "the world size (trainer.devices x trainer.num_nodes)",
                         doc.source.value(tpath + ("devices",)), integer=True, positive=True)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "es" if word == "batch" else "s")


def _told(doc: Document, loop: LoopSettings, *names: str) -> tuple[Told, ...]:
    flags = {"batch_size": "--batch-size", "world_size": "--devices"}
    out = []
    for name in names:
        value = loop.dataset_size if name == "dataset_size" else getattr(loop, name)
        if value is None:
            continue
        if name == "dataset_size":
            origin = "--dataset-size"
        elif name in loop.flags:
            origin = flags[name]
        else:
            origin = format_path(loop.where.get(name, ())) or "default"
        out.append(Told(name.replace("_", " "), value, origin))
    return tuple(out)


def budget(doc: Document, loop: LoopSettings, needs_epochs: bool, why: str) -> tuple[Budget, int | None]:
    """Lightning 2.6.6's update count for ``loop`` (see :mod:`.lightning_loop`), and the batches
    per epoch (None when the run never needs epochs)."""
    epochs = rules.epoch_limit(loop.max_epochs, loop.max_steps)
    if epochs == -1 and loop.max_steps == -1:
        raise error(doc, "max_epochs is -1 and max_steps is -1: the run never ends", loop.where["max_epochs"],
                    hint="set trainer.max_epochs or trainer.max_steps (--set trainer.max_steps=N)")
    if epochs == 0 or loop.max_steps == 0:
        raise error(doc, "the run makes no update (max_epochs or max_steps is 0)",
                    loop.where["max_epochs" if epochs == 0 else "max_steps"])
    if epochs == -1 and not needs_epochs:  # max_steps alone decides; epochs never matter
        return Budget(f"max_steps {loop.max_steps} = {_plural(loop.max_steps, 'update')}", loop.max_steps,
                      told=_told(doc, loop, "max_steps"), where=doc.source.value(loop.where["max_steps"])), None
    reason = why if needs_epochs else f"max_epochs is {epochs}"
    if loop.dataset_size is None:
        raise needs(doc, f"the training-set size ({reason})", "--dataset-size N", loop.where["max_epochs"])
    if loop.batch_size is None:
        raise needs(doc, f"the per-device batch size ({reason}; no data batch_size)", "--batch-size B",
                    loop.where.get("batch_size", ()))
    assert loop.batch_size is not None and loop.dataset_size is not None
    n, bs, k = loop.dataset_size, loop.batch_size, loop.world_size or 1
    length = rules.batches_per_epoch(n, bs, loop.drop_last, k, None)
    batches = rules.batches_per_epoch(n, bs, loop.drop_last, k, loop.limit)
    if batches == 0:
        where = loop.where["limit"] if length else loop.where.get("batch_size", ())
        raise error(doc, f"an epoch has no batch ({n} examples, batch size {bs}"
                         f"{', drop_last' if loop.drop_last else ''}, limit_train_batches {loop.limit})", where)
    per_epoch = rules.updates_per_epoch(batches, loop.accumulate)
    parts = [f"{n} examples"]
    if k > 1:
        parts.append(f"/ {k} devices = {-(-n // k)} per device")
    rounding = "rounded down, drop_last" if loop.drop_last else "rounded up"
    parts.append(f"/ {bs} = {_plural(length, 'batch')} per epoch ({rounding})")
    if loop.limit is not None and batches != length or isinstance(loop.limit, float) and loop.limit != 1.0:
        parts.append(f"limit_train_batches {loop.limit} -> {batches}")
    if loop.accumulate != 1:
        partial = ", last window partial" if batches % loop.accumulate else ""
        parts.append(f"/ accumulation {loop.accumulate} = {_plural(per_epoch, 'update')} per epoch{partial}")
    else:
        parts.append(f"= {_plural(per_epoch, 'update')} per epoch")
    run = per_epoch * epochs if epochs != -1 else None
    if run is not None and (loop.max_steps == -1 or run <= loop.max_steps):
        total, decides = run, "max_epochs"
        parts.append(f"x {_plural(epochs, 'epoch')} = {_plural(total, 'update')}")
    else:
        total, decides = loop.max_steps, "max_steps"
        parts.append(f"; max_steps {loop.max_steps} = {_plural(total, 'update')}")
    told = _told(doc, loop, "dataset_size", "batch_size", "world_size", "accumulate", "max_epochs", "max_steps")
    return Budget(" ".join(parts), total, per_epoch, told=told, where=doc.source.value(loop.where[decides])), batches


def lightning_source(kind: str, doc: Document, optimizer: Target, scheduler: Target, loop: LoopSettings,
                     interval: Any, frequency: Any, stepping_paths: dict[str, KeyPath],
                     allow_import: Allowance, notes: list[str]) -> Source:
    """The spec of a schedule a Lightning Trainer runs with ``loop``, stepped at ``interval``
    every ``frequency`` (Lightning's configure_optimizers dict keys)."""
    from ..spec import spec_from_data
    from .protocol import Source

    if interval not in ("step", "epoch"):
        raise error(doc, f"interval should be 'step' or 'epoch', not {interval!r}", stepping_paths["interval"])
    if isinstance(frequency, bool) or not isinstance(frequency, int) or frequency < 1:
        raise error(doc, f"frequency should be a whole number >= 1, not {frequency!r}", stepping_paths["frequency"])
    build = SpecBuilder(doc)
    build.data["optimizer"] = build.optimizer(optimizer)
    node = build.scheduler(scheduler, ("scheduler",), allow_import)
    if node["type"] == "ReduceLROnPlateau":
        monitor = scheduler.args.get("monitor")
        notes.append(assumption(f"ReduceLROnPlateau is fed lrplot's metric (default: its own lr, a staircase), not "
                                f"{repr(monitor) if monitor else 'your monitored metric'}; Lightning steps it after "
                                "validation", settle="metric:"))
    needs_epochs = interval == "epoch" or frequency != 1
    why = f"interval '{interval}'" + (f", frequency {frequency}" if frequency != 1 else "")
    result, batches = budget(doc, loop, needs_epochs, why)
    if loop.world_size is None and batches is not None:
        notes.append(assumption("trainer.devices depends on the machine ('auto'): counted as 1 device; "
                                "add --devices K for a world size of K", settle="--devices"))
    if loop.max_epochs is None and loop.max_steps == -1:
        notes.append(f"neither max_epochs nor max_steps is set: Lightning trains {rules.DEFAULT_MAX_EPOCHS} epochs")
    build.data["steps"] = result.updates
    build.link(("steps",), loop.where["max_steps" if loop.max_steps != -1 else "max_epochs"])
    last = scheduler  # no-anneal speaks of the scheduler that runs last
    while last.children:
        last = last.children[-1]
    lengths = [format_path(last.args_path + (k,)) for k in HORIZON_ARGS if k in last.args]
    run = format_path(loop.where["max_steps" if loop.max_steps != -1 else "max_epochs"]) or "max_epochs (default)"
    if lengths:
        build.source.advice[("steps",)] = f"does {' / '.join(lengths)} match the run ({run}, interval '{interval}')?"
    if result.updates_per_epoch is not None:
        build.data["steps_per_epoch"] = result.updates_per_epoch
        build.link(("steps_per_epoch",), loop.where.get("batch_size", ()))
    spec_frequency = frequency
    if interval == "step" and frequency != 1:
        assert batches is not None
        found = rules.step_frequency(frequency, batches, loop.accumulate, result.updates)
        if found is None:
            raise error(doc, f"frequency {frequency} with accumulate_grad_batches {loop.accumulate} and "
                             f"{batches} batches per epoch: Lightning {rules.LIGHTNING_VERSION} steps "
                             "when the batch index within the epoch (+1) is a multiple of the frequency, "
                             "which here is not every N-th update, and lrplot's spec cannot say that yet",
                        stepping_paths["frequency"],
                        hint="choose a frequency that divides the batches per epoch, or accumulate 1")
        if found != frequency:
            notes.append(f"Lightning counts frequency {frequency} in batches within an epoch; with "
                         f"accumulate_grad_batches {loop.accumulate} the scheduler steps every {found} updates")
        spec_frequency = found
    _stepping(build, node, interval, spec_frequency, stepping_paths)
    build.data["scheduler"] = node
    installed = _installed_lightning()
    if installed and not installed.startswith(rules.LIGHTNING_VERSION.rsplit(".", 1)[0] + "."):
        notes.append(f"the update and stepping rules are Lightning {rules.LIGHTNING_VERSION}'s; "
                     f"this environment has Lightning {installed}")
    for setting in loop.flags:
        notes.append(f"{setting.replace('_', ' ')} from the command line")
    spec = spec_from_data(build.data, build.source, file=doc.path)
    return Source(kind, spec, result, tuple(notes))


def _installed_lightning() -> str | None:
    """The installed Lightning's version, from its metadata (importing it takes seconds)."""
    from importlib import metadata

    for name in ("lightning", "pytorch-lightning"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _stepping(build: SpecBuilder, node: dict[str, Any], interval: str, frequency: int,
              paths: dict[str, KeyPath]) -> None:
    """Put interval and frequency where the spec reads them: on the (top-level) scheduler node."""
    node["interval"] = interval
    build.link(("scheduler", "interval"), paths["interval"])
    if frequency != 1:
        node["frequency"] = frequency
        build.link(("scheduler", "frequency"), paths["frequency"])
