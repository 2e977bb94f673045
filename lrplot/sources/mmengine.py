"""OpenMMLab configs (mmdet, mmpretrain, mmseg, ...: MMEngine Python configs with ``_base_``) as lrplot specs.

An MMEngine config is a Python file: reading it with MMEngine's own ``Config.fromfile`` runs its
code (and its ``_base_`` files'), so it is read only when the user passed ``--allow-import
mmengine``. What is read: ``param_scheduler`` (a dict or a list), ``train_cfg`` (the loop and its
length), ``optim_wrapper.optimizer`` and ``train_dataloader.batch_size``, and ``auto_scale_lr``.

Each entry of ``param_scheduler`` becomes one node of a list of schedulers on one optimizer, built
by MMEngine's OWN class (``mmengine.optim.scheduler:MultiStepLR``, ...; ``convert_to_iter_based``
through the class's own ``build_iter_from_epoch``), with ``interval: step`` for ``by_epoch=False``
and ``interval: epoch`` for ``by_epoch=True``. Rules reproduced, read from MMEngine 0.10.7:

* ``ParamSchedulerHook`` (hooks/param_scheduler_hook.py): ``after_train_iter`` steps every scheduler
  whose ``by_epoch`` is False, in list order; ``after_train_epoch`` then steps every ``by_epoch`` one.
  At an epoch end every per-iteration scheduler therefore steps before any per-epoch one: the
  engine steps a schedule's list that way, and the nodes are also written in that order
  (per-iteration ones first, each group in the config's order), so ``--print-spec`` reads as it runs.
* ``Runner._build_param_scheduler`` (runner/runner.py): a scheduler without ``end`` ends at
  ``max_epochs`` (``by_epoch``) or ``max_iters``; ``convert_to_iter_based`` gets
  ``epoch_length=len(train_dataloader)`` (registry/build_functions.py ``build_scheduler_from_cfg``).
* ``EpochBasedTrainLoop`` (runner/loops.py): ``max_iters = max_epochs * len(dataloader)``; an
  ``IterBasedTrainLoop`` runs ``max_iters`` and never calls ``after_train_epoch``.
* ``len(train_dataloader)``: MMEngine's ``DefaultSampler`` gives each rank ``ceil(N / world)``
  samples (``round_up=True``, its default; rank 0 also with ``round_up=False``), and torch's
  DataLoader makes ``ceil(samples / batch)`` batches, or ``samples // batch`` with ``drop_last=True``
  (torch's default is False; mmdet's AspectRatioBatchSampler has the same ``__len__``).
* ``Runner.scale_lr``: with ``auto_scale_lr.enable``, every group's lr is multiplied by
  ``world_size * batch_size / base_batch_size``.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from ..errors import Location, SpecError

from .mmengine_files import check_bases, refuse_mmcv1
from .mmengine_optim import SCHEDULERS_MODULE
from .mmengine_optim import plain as _plain
from .protocol import Budget, Note, Source, Told, assumption, budget_number, needs, world_assumption

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Document

KIND = "mmengine"
LOOKS_FOR = "an MMEngine Python config (.py) with param_scheduler, train_cfg or _base_"
FOLLOWS = "MMEngine 0.10.7 (Runner, ParamSchedulerHook)"
DOCS = "docs/frameworks/mmengine.rst"  # README's table links the kind to it
_MARKERS = re.compile(r"^(param_scheduler|train_cfg|optim_wrapper|_base_|lr_config)\s*=|^with read_base\(\):", re.M)


def detect(doc: Document) -> bool:
    return doc.path.suffix == ".py" and _MARKERS.search(doc.text) is not None


def _line_of(doc: Document, name: str) -> Location:
    """Where ``name = ...`` is assigned in the config file itself (else the file)."""
    m = re.search(rf"^{re.escape(name)}\s*=", doc.text, re.M)
    if m is None:
        return Location(str(doc.path))
    return Location(str(doc.path), doc.text.count("\n", 0, m.start()) + 1, 1)


def _load(doc: Document, allow_import: Allowance) -> Any:
    from ..imports import check_config_code
    from ..reads import recording

    with recording(f"a file MMEngine read for {doc.path.name}"):
        refuse_mmcv1(doc.path, doc.text)  # before asking to allow what would not read it anyway
    check_config_code("mmengine", "this is an MMEngine config, a Python file: reading it with MMEngine's Config "
                                  "runs the config's code (and its _base_ files')",
                      allow_import=allow_import, location=Location(str(doc.path)))
    try:
        from mmengine.config import Config
    except ImportError:
        from ..errors import MissingLibraryError

        raise MissingLibraryError("reading an MMEngine config needs mmengine", package="mmengine",
                                  location=Location(str(doc.path)),
                                  hint='pip install ".[mmengine]" in the lrplot checkout') from None
    with recording(f"a file MMEngine read for {doc.path.name}"):  # (as MMEngine's own reads below)
        check_bases(doc.path, doc.text, [], set())
    try:
        with recording(f"a file MMEngine read for {doc.path.name}"):  # its _base_ files: no output replaces them
            # custom_imports (a project's own modules) are not imported: no schedule needs them
            return Config.fromfile(str(doc.path), import_custom_modules=False)
    except SyntaxError as exc:
        raise SpecError(f"syntax error: {exc.msg}", location=Location(str(exc.filename or doc.path), exc.lineno,
                                                                      exc.offset)) from None
    except Exception as exc:  # noqa: BLE001 - the config's own code may raise anything
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError(f"MMEngine could not read the config: {type(exc).__name__}: {message}",
                        location=Location(str(doc.path)), hint="run with --debug for the traceback") from None


def _apply_overrides(cfg: Any, overrides: tuple[str, ...]) -> None:
    """``--set key.path=value`` on a Python config: MMEngine's own ``merge_from_dict`` (what its
    tools' ``--cfg-options`` do), the value parsed with the YAML rules of every --set;
    ``param_scheduler[1].end`` and ``param_scheduler.1.end`` both name a list item. ``--set
    '~key.path'`` deletes the key, as for every other input."""
    from ..errors import UsageError
    from ..spec import SET_FORMS, delete_key
    from ..yamlio import parse_scalar

    for item in overrides:
        key, sep, text = item.partition("=")
        deleting = key.strip().startswith("~")
        key = re.sub(r"\[(\d+)\]", r".\1", key.strip().lstrip("~"))
        if bool(sep) == deleting or not key or ".." in key or key.startswith(".") or key.endswith("."):
            raise UsageError(f"--set {item!r}: expected {SET_FORMS}")
        if deleting:
            delete_key(cfg, tuple(int(p) if p.isdigit() else p for p in key.split(".")),
                       Location(f"--set ~{key}"))
            continue
        try:
            cfg.merge_from_dict({key: parse_scalar(text)})
        except SpecError:
            raise
        except Exception as exc:  # noqa: BLE001 - MMEngine raises KeyError/TypeError/... for bad paths
            raise SpecError(f"MMEngine cannot set {key}: {type(exc).__name__}: {exc}",
                            location=Location(f"--set {key}")) from None


def _scheduler_type(name: Any, where: Location, scope: Any = None) -> str:
    """The import path of the MMEngine class a config's ``type`` names. A class only a downstream
    package registers (mmpose's QuadraticWarmupLR) the Runner finds in the registry of the config's
    ``default_scope`` (or the entry's ``_scope_``): ``Registry.switch_scope_and_registry`` imports
    ``{scope}.registry`` (mmengine/registry/registry.py), which lrplot does not do."""
    import mmengine.optim.scheduler as schedulers

    if not isinstance(name, str):
        raise SpecError(f"param_scheduler type must be a class name, not {name!r}", location=where)
    if name.startswith("mmengine."):  # a class (or lazy import) of a new-style config: MMEngine's own, by name
        name = name.rpartition(".")[2]
    if isinstance(getattr(schedulers, name, None), type):
        return f"{SCHEDULERS_MODULE}:{name}"
    from mmengine.registry import PARAM_SCHEDULERS

    cls = PARAM_SCHEDULERS.get(name)
    if cls is None:
        from ..text import did_you_mean

        hint = did_you_mean(name, [n for n in dir(schedulers) if not n.startswith("_")])
        if hint is None and isinstance(scope, str) and scope != "mmengine":
            from mmengine.config.utils import MODULE2PACKAGE

            raise SpecError(f"'{name}' is not an MMEngine parameter scheduler: the Runner builds it from the "
                            f"registry of scope '{scope}' (package {MODULE2PACKAGE.get(scope, scope)}), which "
                            "lrplot's MMEngine reader does not read", location=where,
                            hint="draw the schedule as an lrplot spec, the scheduler's type its import path")
        raise SpecError(f"'{name}' is not an MMEngine parameter scheduler", location=where,
                        hint=hint or "lrplot does not import custom_imports (a project's registered classes): "
                                     "draw the schedule as an lrplot spec, the scheduler's type its import path")
    return f"{cls.__module__}:{cls.__qualname__}"


def _check_hook(doc: Document, cfg: Any) -> None:
    """``param_scheduler`` is stepped by the hook ``default_hooks.param_scheduler`` names, MMEngine's
    ``ParamSchedulerHook`` unless the config names another (``Runner.register_default_hooks``, runner.py:1948-
    1963, merges the config's entry over that default). Another hook (mmyolo's YOLOv5ParamSchedulerHook,
    PPYOLOEParamSchedulerHook) sets the lr in its own code, which lrplot does not run."""
    hooks = _plain(cfg.get("default_hooks") or {})
    hook = hooks.get("param_scheduler") if isinstance(hooks, dict) else None
    if not isinstance(hook, dict):
        return
    name = hook.get("type")
    name = (name if isinstance(name, str) else getattr(name, "__name__", repr(name))).rpartition(".")[2]
    if name != "ParamSchedulerHook":
        raise SpecError(f"default_hooks.param_scheduler is {name}, not MMEngine's ParamSchedulerHook: that hook "
                        "sets the lr in its own code, which lrplot does not run (it draws param_scheduler as "
                        "ParamSchedulerHook steps it)", location=_line_of(doc, "default_hooks"),
                        hint="write the hook's schedule as an lrplot spec")


def _loop(cfg: Any, where: Location) -> tuple[str, int]:
    train_cfg = _plain(cfg.get("train_cfg") or {})
    if not train_cfg:
        raise SpecError("the config has no train_cfg (the training loop and its length)", location=where,
                        hint="add train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12)")
    kind = train_cfg.get("type")
    if isinstance(kind, str):  # a new-style config's class: mmengine.runner.EpochBasedTrainLoop
        kind = kind.rpartition(".")[2]
    if kind is None and "by_epoch" in train_cfg:  # Runner.build_train_loop's older form
        kind = "EpochBasedTrainLoop" if train_cfg["by_epoch"] else "IterBasedTrainLoop"
    if kind in ("EpochBasedTrainLoop", None) and "max_epochs" in train_cfg:
        return "epoch", budget_number(train_cfg["max_epochs"], "train_cfg.max_epochs", where, integer=True,
                                      positive=True)
    if kind in ("IterBasedTrainLoop", None) and "max_iters" in train_cfg:
        return "iter", budget_number(train_cfg["max_iters"], "train_cfg.max_iters", where, integer=True,
                                     positive=True)
    raise SpecError(f"train_cfg: lrplot reads EpochBasedTrainLoop (max_epochs) and IterBasedTrainLoop "
                    f"(max_iters), not {kind or train_cfg}", location=where)


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from .mmengine_optim import lazy_values

    cfg = _load(doc, allow_import)
    _apply_overrides(cfg, doc.overrides)
    with lazy_values():  # a new-style config's lazy imports (mmpretrain's datasets, ...) stay unimported
        return _read(doc, inputs, cfg)


def _read(doc: Document, inputs: BudgetInputs, cfg: Any) -> Source:
    from ..spec import spec_from_data
    from ..yamlio import SourceMap
    from . import mmengine_optim

    sched_at = _line_of(doc, "param_scheduler")
    _check_hook(doc, cfg)  # before asking for anything: no number would make lrplot run that hook
    loop, length = _loop(cfg, _line_of(doc, "train_cfg"))
    notes: list[str] = []
    custom = _plain(cfg.get("custom_imports") or {})
    if custom.get("imports"):
        names = custom["imports"] if isinstance(custom["imports"], list) else [custom["imports"]]
        notes.append(Note(f"custom_imports ({', '.join(map(str, names))}) not imported: the schedule needs only "
                          "MMEngine's schedulers and the optimizer's settings"))

    # optimizer
    wrapper = _plain(cfg.get("optim_wrapper") or {})
    opt_cfg = dict(wrapper.get("optimizer") or _plain(cfg.get("optimizer") or {}))
    opt_at = _line_of(doc, "optim_wrapper")
    if not opt_cfg or "type" not in opt_cfg:
        raise SpecError("the config has no optim_wrapper.optimizer with a type", location=opt_at,
                        hint="add optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01))")
    opt_cfg.pop("_scope_", None)
    opt_cfg = mmengine_optim.optimizer(opt_cfg, opt_at, notes)
    counts = mmengine_optim.accumulative_counts(wrapper, opt_at)
    if wrapper.get("paramwise_cfg"):
        notes.append(assumption("paramwise_cfg is not modelled: one param group with the optimizer's own lr and "
                                "weight_decay (every group follows the same schedule, scaled)",
                                settle="optim_wrapper.paramwise_cfg"))

    # iterations per epoch (len(train_dataloader)), and the batch size
    loader = _plain(cfg.get("train_dataloader") or {})
    batch = loader.get("batch_size", inputs.batch_size)
    if batch is not None:
        batch = budget_number(batch, "train_dataloader.batch_size", _line_of(doc, "train_dataloader"), integer=True,
                              positive=True)
    world = inputs.devices or 1
    scale = _plain(cfg.get("auto_scale_lr") or {})
    if inputs.devices is None and (loop == "epoch" or scale.get("enable")):
        named = re.search(r"(\d+)xb(\d+)", doc.path.name)  # OpenMMLab's name: devices x batch per device
        notes.append(world_assumption("world size 1: each rank's DefaultSampler takes ceil(N / world size) examples"
                                      + (", and auto_scale_lr multiplies by the world size" if scale.get("enable")
                                         else "")
                                      + (f" (the file's name says {named.group(0)}: {named.group(1)} devices of "
                                         f"{named.group(2)})" if named else "")))
    per_epoch = None
    budget_text = ""
    if loop == "epoch":
        if batch is None:
            raise needs(doc, "the per-device batch size (train_dataloader has none)", "--batch-size B")
        if inputs.dataset_size is None:
            raise needs(doc, "the training-set size (an epoch is len(train_dataloader) iterations)",
                        "--dataset-size N")
        n = inputs.dataset_size
        drop_last = bool(loader.get("drop_last", False))
        samples = math.ceil(n / world)                    # DefaultSampler, rank 0
        per_epoch = samples // batch if drop_last else math.ceil(samples / batch)
        if per_epoch == 0:
            raise SpecError(f"{n} examples give no full batch of {batch}", location=_line_of(doc, "train_dataloader"),
                            hint="check --dataset-size and the batch size")
        steps = length * per_epoch
        devices = f" x {world}" if world > 1 else ""
        budget_text = (f"{n} examples / ({batch}{devices}) = {per_epoch} iterations per epoch"
                       f"{' (drop_last)' if drop_last else ''} x {length} epochs = {steps} iterations")
    else:
        steps = length
        budget_text = f"IterBasedTrainLoop: {steps} iterations"
    lr = opt_cfg.get("lr", 0.001)
    if scale.get("enable"):
        if batch is None:
            raise needs(doc, "the per-device batch size for auto_scale_lr", "--batch-size B")
        base = budget_number(scale.get("base_batch_size"), "auto_scale_lr.base_batch_size",
                             _line_of(doc, "auto_scale_lr"), integer=True, positive=True)
        lr = budget_number(lr, "optim_wrapper.optimizer.lr", opt_at, low=0) * float(world * batch) / float(base)
        budget_text += f"; auto_scale_lr: lr {opt_cfg.get('lr')} x {world * batch}/{scale['base_batch_size']} = {lr:g}"
    opt_cfg["lr"] = lr

    # param_scheduler -> a list of MMEngine schedulers on one optimizer
    raw = cfg.get("param_scheduler")
    if raw is None:
        raise SpecError("the config has no param_scheduler", location=Location(str(doc.path)),
                        hint="nothing to draw: the lr stays at the optimizer's")
    entries = [raw] if isinstance(raw, dict) else list(raw)
    per_iter, per_ep = [], []
    in_order: list[tuple[str, dict, bool]] = []  # the config's order, for accumulative_counts
    scheduled: set[str] = set()
    for i, entry in enumerate(entries):
        node = _plain(entry)
        if not isinstance(node, dict) or "type" not in node:
            raise SpecError(f"param_scheduler[{i}] is not a dict with a type", location=sched_at)
        scope = node.pop("_scope_", None) or cfg.get("default_scope")
        kind = _scheduler_type(node.pop("type"), sched_at, scope)
        name = kind.rpartition(":")[2]
        if "ReduceOnPlateau" in name:
            raise SpecError(f"param_scheduler[{i}] ({name}) steps on validation metrics (MMEngine's "
                            "after_val_epoch), which lrplot does not feed to MMEngine schedulers",
                            location=sched_at, hint="draw the other schedulers without it, or write an lrplot "
                                                    "spec with ReduceLROnPlateau and a metric")
        scheduled.add("momentum" if name.endswith("Momentum") else node.get("param_name", "lr"))
        by_epoch = node.get("by_epoch", True)
        convert = node.pop("convert_to_iter_based", False)
        if loop == "iter" and by_epoch and not convert:
            raise SpecError(f"param_scheduler[{i}] ({kind.rpartition(':')[2]}) has by_epoch=True in an "
                            "IterBasedTrainLoop, which never calls after_train_epoch: it would never step",
                            location=sched_at, hint="set by_epoch=False and give begin/end in iterations")
        node.setdefault("end", length if loop == "epoch" and by_epoch else steps)
        in_order.append((kind, dict(node), convert))
        if convert:
            if per_epoch is None:
                raise SpecError(f"param_scheduler[{i}]: convert_to_iter_based needs an EpochBasedTrainLoop",
                                location=sched_at)
            kind += ".build_iter_from_epoch"
            node["epoch_length"] = per_epoch
            per_iter.append({"type": kind, "interval": "step", **node})
        elif by_epoch:
            per_ep.append({"type": kind, "interval": "epoch", **node})
        else:
            per_iter.append({"type": kind, "interval": "step", **node})

    # Record what the schedulers change: lr, and momentum / weight decay when one schedules them.
    fields = ["lr"] + [f for f in ("momentum", "weight_decay") if f in scheduled]
    spec_data: dict[str, Any] = {
        "title": f"{doc.path.name} (MMEngine)",
        "steps": steps,
        "optimizer": opt_cfg,
        "fields": fields,
        "scheduler": per_iter + per_ep,
    }
    updates, updates_per_epoch = steps, per_epoch
    if counts > 1:  # the schedulers step every iteration, the optimizer every counts-th one and at the last
        updates, updates_per_epoch = mmengine_optim.updates(steps, counts), None
        spec_data.update(steps=updates, scheduler=[mmengine_optim.accumulated_node(
            in_order, counts, steps, per_epoch, sched_at)])
        budget_text += (f"; accumulative_counts {counts}: {updates} optimizer updates (after every {counts} iterations"
                        f"{' and at the last' if steps % counts else ''}), each drawn at the lr it used")
    elif per_epoch is not None:
        spec_data["steps_per_epoch"] = per_epoch
    source = SourceMap(str(doc.path))
    for key in ("scheduler", "steps", "steps_per_epoch", "fields"):
        source.values[(key,)] = sched_at
    source.values[("optimizer",)] = opt_at
    spec = spec_from_data(spec_data, source, file=doc.path)
    told = [Told("max_epochs" if loop == "epoch" else "max_iters", length, "train_cfg")]
    if per_epoch is not None:
        told += [Told("dataset size", inputs.dataset_size, "--dataset-size"),
                 Told("batch size", batch, "train_dataloader.batch_size" if "batch_size" in loader else "--batch-size"),
                 Told("devices", world, "--devices" if inputs.devices else "default")]
    if counts > 1:
        told.append(Told("accumulation", counts, "optim_wrapper.accumulative_counts"))
    budget = Budget(budget_text, updates, updates_per_epoch, told=tuple(told), decided_by="train_cfg",
                    where=_line_of(doc, "train_cfg"))
    return Source(KIND, spec, budget, tuple(notes))
