"""LightningCLI configs (what ``fit --print_config`` writes) -> an lrplot Spec.

Read: ``optimizer`` and ``lr_scheduler`` (``class_path`` + ``init_args``; torch classes, and
others under lrplot's one import rule, :mod:`lrplot.imports`), ``trainer`` (max_epochs, max_steps,
accumulate_grad_batches, limit_train_batches, devices x num_nodes), and the batch size and
drop_last of ``data`` (its init_args, or its keys when the CLI was given a fixed DataModule class).
The stepping rules are Lightning 2.6.6's (see :mod:`.lightning_loop`). The interval lives in code,
so it is read from the project's source, parsed and never imported (:mod:`.project_source`): for a
top-level ``lr_scheduler`` (LightningCLI replaces the model's configure_optimizers with its own), a
LightningCLI subclass of the project that overrides ``configure_optimizers``, else LightningCLI's
own, which returns ``[optimizer], [lr_scheduler]``: Lightning's default ``interval="epoch"``,
``frequency=1``; for a scheduler in the model's init_args, the ``model.class_path`` class's
configure_optimizers, following a read of the model's own config (``self.hparams.scheduler_interval``,
``self.cfg.train.get('scheduler_interval', 'step')``: looked up in its init_args, as the Hydra reader
does, :mod:`.project_config`; an init argument the project's LightningCLI subclass links from another
key with ``parser.link_arguments`` is read from that key, :mod:`.project_links`). Where the code does not say (source not found, interval computed), the user
is asked for ``--set lr_scheduler.interval=step|epoch`` (read next to ``class_path`` as Lightning
reads it in its dict, as is ``frequency``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..yamlio import KeyPath, format_path
from . import framework as fw
from . import lightning_loop as rules
from .lightning_config import (SECTIONS, fit_section, full_name, looks_fixed, resolve_short, section_args,
                               subcommand_view)
from .protocol import Note, assumption

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Document, Source

# Lightning 2.6.6, where LightningCLI's configure_optimizers returns the scheduler bare, and the
# default interval of a bare scheduler
_CLI_RULE = "lightning/pytorch/cli.py:682, Lightning 2.6.6"
_DEFAULT_RULE = "LRSchedulerConfig.interval, lightning/pytorch/utilities/types.py:86"

KIND = "lightning"
FOLLOWS = fw.FOLLOWS
DOCS = "docs/frameworks/lightning.rst"  # README's table links the kind to it
LOOKS_FOR = ("a LightningCLI config (or its fit: section): 'optimizer'/'lr_scheduler'/'model'/'data' with "
             "'class_path', or a fixed class's arguments beside a Lightning 'trainer'")
_CLI_KEYS = {"seed_everything", "trainer", "model", "data", "optimizer", "lr_scheduler", "ckpt_path",
             "weights_only", "config", "fit", "validate", "test", "predict"}


def _has_class_path(node: Any) -> bool:
    return isinstance(node, dict) and "class_path" in node


def detect(doc: Document) -> bool:
    data = doc.data
    if fit_section(data):  # LightningCLI's subcommands config: its fit section says what trains
        fit = data["fit"]
        return any(isinstance(fit.get(k), dict) for k in ("trainer", "model", "data")) or any(
            _has_class_path(fit.get(k)) for k in SECTIONS)
    if not isinstance(data, dict):
        return False
    if any(_has_class_path(data.get(k)) for k in ("optimizer", "lr_scheduler", "model", "data")):
        return True
    if looks_fixed(data):
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
    """The class_path node at ``path`` (known to hold one) as a Target; without ``init_args`` (a
    class_path given with --set beside a fixed class's arguments) its other keys are the arguments."""
    node = _node(doc, path)
    if "init_args" not in node:
        return fw.Target(fw.text_value(doc, path + ("class_path",)), path + ("class_path",), section_args(node), path)
    args = node.get("init_args") or {}
    if not isinstance(args, dict):
        raise fw.error(doc, f"'{format_path(path + ('init_args',))}' should be a mapping", path + ("init_args",))
    return fw.Target(fw.text_value(doc, path + ("class_path",)), path + ("class_path",), dict(args),
                     path + ("init_args",))


def _target(doc: Document, path: KeyPath, section: str, prefix: KeyPath, notes: list[str]) -> fw.Target:
    """The class of ``section`` at ``path``: its class_path (a short name resolved as LightningCLI
    does), or, for a top-level section without one, the class the project's CLI fixes."""
    node = _node(doc, path)
    if "class_path" in node:
        target = _class_node(doc, path)
        resolve_short(doc, target, section, prefix)
        return target
    from .project_cli import METHODS, fixed_class

    key = format_path(prefix + path)
    method = METHODS[section]
    found = fixed_class(doc.path, section)
    if found is None or found.name is None:
        why = (found.why if found is not None else
               "no such call is in the project's source (the config's folder and its parents)")
        example = "torch.optim.SGD" if section == "optimizer" else "torch.optim.lr_scheduler.StepLR"
        raise fw.error(doc, f"'{key}' has no class_path: a LightningCLI subclass fixes its class with "
                            f"parser.{method}(...), and {why}", path, key=True,
                       hint=f"add --set {key}.class_path=CLASS, the class your CLI passes to {method} "
                            f"(e.g. {example})")
    name = full_name(section, found.name) or found.name
    notes.append(Note(f"{section} class {name}: fixed by parser.{method} at {found.where}"))
    return fw.Target(name, path, section_args(node), path)


def _find(doc: Document, keys: tuple[str, ...]) -> tuple[KeyPath | None, bool]:
    """Where the config names a class for one of ``keys``: at the top level (LightningCLI builds
    it; a mapping without class_path is a fixed class's arguments), else in the model's init_args
    (the model's own configure_optimizers builds it)."""
    data = doc.data
    for key in keys:
        if _has_class_path(data.get(key)) or key in SECTIONS and isinstance(data.get(key), dict):
            return (key,), True
    model = data.get("model")
    args = model.get("init_args") if _has_class_path(model) else model
    base = ("model", "init_args") if _has_class_path(model) else ("model",)
    if isinstance(args, dict):
        for key in keys:
            if _has_class_path(args.get(key)):
                return base + (key,), False
    return None, True


def _check_trainer(doc: Document) -> None:
    """Refuse a ``trainer:`` section that is not a Lightning Trainer's: keys it does not take, or
    another class (a subclass may run its own loop around Lightning's, or none of it)."""
    trainer = doc.data.get("trainer")
    cls = trainer.get("class_path") if _has_class_path(trainer) else None
    if cls is not None:
        trainer = trainer.get("init_args") if isinstance(trainer.get("init_args"), dict) else {}
    why = rules.not_lightning_trainer(trainer) if isinstance(trainer, dict) else None
    if why is None and cls is not None and str(cls).strip() not in rules.TRAINER_TARGETS:
        raise fw.error(doc, f"this 'trainer' is {str(cls).strip()}, not Lightning's Trainer, and lrplot counts a "
                            "LightningCLI config's updates as Lightning's Trainer does", ("trainer", "class_path"),
                       hint="if that class keeps Lightning's loop as it is, read it so with "
                            "--set trainer.class_path=lightning.pytorch.Trainer")
    if why is not None:
        named = f" ({str(cls).strip()})" if cls is not None else ""
        raise fw.error(doc, f"this 'trainer'{named} is not Lightning's Trainer ({why}), and lrplot counts a "
                            "LightningCLI config's updates as Lightning's Trainer does", ("trainer",), key=True,
                       hint="the run's loop is the project's own: describe its schedule as an lrplot spec "
                            "(optimizer, scheduler, steps: the run's update count)")


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    if not isinstance(doc.data, dict):
        raise fw.error(doc, "a LightningCLI config must be a mapping", ())
    doc, prefix = subcommand_view(doc)
    data = doc.data
    notes: list[str] = []
    if prefix:
        notes.append(Note("read the 'fit' section: the fit subcommand's config (--config FILE fit)"))
    _check_trainer(doc)
    opt_path, _ = _find(doc, ("optimizer",))
    if opt_path is None and _find(doc, ("lr_scheduler", "scheduler"))[0] is None:
        raise fw.error(doc, "the config names no optimizer and no lr_scheduler (no class_path in 'optimizer', "
                            "'lr_scheduler' or the model's init_args): the project's own code builds them",
                       (), hint="describe the schedule that code builds as an lrplot spec (optimizer, scheduler, "
                                "steps: the run's update count)")
    if opt_path is None:
        raise fw.error(doc, "the config names no optimizer", ("optimizer",) if "optimizer" in data else (),
                       hint="add 'optimizer: {class_path: torch.optim.AdamW, init_args: {...}}'")
    sched_path, by_cli = _find(doc, ("lr_scheduler", "scheduler"))
    if sched_path is None:
        raise fw.error(doc, "the config names no lr_scheduler: LightningCLI trains at the optimizer's "
                            "constant lr", ("lr_scheduler",) if "lr_scheduler" in data else (),
                       hint="add 'lr_scheduler: {class_path: torch.optim.lr_scheduler.X, init_args: {...}}'")
    optimizer = _target(doc, opt_path, "optimizer", prefix, notes)
    scheduler = _target(doc, sched_path, "lr_scheduler", prefix, notes)
    sched_node = _node(doc, sched_path)
    if "interval" in sched_node:
        interval = sched_node["interval"]
    else:
        interval, note = _code_interval(doc, sched_path, by_cli, scheduler.name, prefix)
        notes.append(note)
    frequency = sched_node.get("frequency", 1)
    stepping_paths = {"interval": sched_path + ("interval",), "frequency": sched_path + ("frequency",)}
    trainer, trainer_path = _init_args(doc, "trainer")
    data_args, data_path = _init_args(doc, "data")
    loop = fw.LoopSettings.from_trainer(doc, trainer, trainer_path, data_args, data_path, inputs)
    return fw.lightning_source(KIND, doc, optimizer, scheduler, loop, interval, frequency, stepping_paths,
                               allow_import, notes)


def _code_interval(doc: Document, sched_path: KeyPath, by_cli: bool, scheduler: str,
                   prefix: KeyPath = ()) -> tuple[str, Note]:
    """The interval the project's code gives Lightning, read from its source (never imported):
    a LightningCLI subclass's configure_optimizers for a top-level ``lr_scheduler`` (else
    LightningCLI's own, which returns the scheduler bare: ``epoch``), the model class's for one in
    the model's init_args. Where the code does not say, the user is asked."""
    from .project_source import cli_interval, model_interval

    key = f"{format_path(prefix + sched_path)}.interval"
    ask = f"add --set {key}=step or --set {key}=epoch, as your configure_optimizers returns it"
    if by_cli:
        found = cli_interval(doc.path, scheduler)
        if found is None:
            return "epoch", assumption(
                f"LightningCLI steps the scheduler once per epoch: no LightningCLI subclass in the project "
                f"overrides configure_optimizers, and LightningCLI's own returns [optimizer], [lr_scheduler] "
                f"({_CLI_RULE}), stepped at Lightning's default interval 'epoch' ({_DEFAULT_RULE})", settle=key)
        what = "the project's LightningCLI subclass's configure_optimizers"
    else:
        model = doc.data.get("model")
        class_path = model.get("class_path") if isinstance(model, dict) else None
        if not isinstance(class_path, str):
            raise fw.error(doc, "the model's configure_optimizers decides the scheduler's interval, and the "
                                "config names no model class_path to read it from", sched_path, hint=ask)
        init_args = model.get("init_args") if isinstance(model.get("init_args"), dict) else {}
        found = model_interval(class_path.strip(), init_args, doc.path, scheduler)
        if found is None:
            raise fw.error(doc, f"the interval of this scheduler is decided by {class_path.strip()}'s "
                                "configure_optimizers, whose source is not found on the config's project tree "
                                "or PYTHONPATH", ("model", "class_path"), hint=ask)
        linked = _linked(doc, found, init_args, prefix)
        if linked is not None:
            return linked
        if found.value is None and found.read is not None:  # a config the model was given: its init_args
            from .project_config import config_interval

            add = "".join(f"{part}." for part in prefix)
            return config_interval(doc, ("model", "init_args"), ("model", "class_path"), class_path.strip(),
                                   found.where, found.read, lambda path: _node(doc, path), add, whole=False)
        what = f"{class_path.strip()}.configure_optimizers"
    if found.value is None:
        raise fw.error(doc, f"the scheduler's interval is computed in code ({found.where}: {found.why})",
                       sched_path, hint=ask)
    if found.default:
        return "epoch", Note(f"interval 'epoch': {what} ({found.where}) returns the scheduler without an "
                             f"interval, so Lightning's default applies ({_DEFAULT_RULE})")
    via = f" ({found.why})" if found.why else ""
    return found.value, Note(f"interval '{found.value}' read from {what} at {found.where}{via}")


def _linked(doc: Document, found: Any, init_args: dict, prefix: KeyPath) -> tuple[str, Note] | None:
    """The interval when the model's init argument it is read from is set by a
    ``parser.link_arguments`` of the project's LightningCLI subclass (:mod:`.project_links`) and not
    by the config itself: followed to the source key the config sets, else asked for."""
    from dataclasses import replace

    from .project_config import config_interval, has_path
    from .project_links import model_links

    name = found.arg if found.read is None else found.read.param
    if name is None or name in init_args or found.why.startswith("the scheduler's "):
        return None  # not read from the model's init arguments, or the config sets it itself
    link = model_links(doc.path).get(name)
    if link is None:
        return None
    add = "".join(f"{part}." for part in prefix)
    below = f".{found.read.key}" if found.read is not None else ""
    said = (f"the scheduler's interval is read from the model's init argument '{name}' ({found.where}), which "
            f"parser.link_arguments at {link.where} sets")
    if link.source is None:
        key = f"{add}model.init_args.{name}{below}"
        raise fw.error(doc, f"{said}, and lrplot cannot follow that link: {link.why}", ("model", "class_path"),
                       hint=f"add --set {key}=step or --set {key}=epoch, as the link sets it")
    if not has_path(doc.data, link.source):
        key = f"{add}{link.source_key}{below}"
        raise fw.error(doc, f"{said} from '{link.source_key}', which the config does not set",
                       ("model", "class_path"), hint=f"add --set {key}=step or --set {key}=epoch")
    via = f"; model.init_args.{name} is linked from {link.source_key} by parser.link_arguments at {link.where}"
    class_path = doc.data["model"]["class_path"].strip()
    if found.read is not None:
        value, note = config_interval(doc, link.source[:-1], ("model", "class_path"), class_path, found.where,
                                      replace(found.read, param=link.source[-1]), lambda path: _node(doc, path),
                                      add, whole=False)
        return value, Note(note + via)
    given = _node(doc, link.source)
    if given not in ("step", "epoch"):
        raise fw.error(doc, f"'{link.source_key}' is {given!r}, which {class_path}.configure_optimizers "
                            f"({found.where}) returns as the scheduler's interval through '{name}'{via[1:]}; "
                            "Lightning takes 'step' or 'epoch'", link.source, hint="set it to step or epoch")
    return given, Note(f"interval '{given}' read from {link.source_key} ({class_path}.configure_optimizers at "
                       f"{found.where} returns init argument '{name}'){via}")


def _node(doc: Document, path: KeyPath) -> Any:
    node: Any = doc.data
    for part in path:
        node = node[part]
    return node
