"""A NeMo model config (``model.optim: {name, lr, sched: {name, ...}}`` plus ``trainer:``) as an lrplot spec.

The schedule is NeMo's own: the spec names ``nemo.core.optim.lr_scheduler:<sched.name>`` (CosineAnnealing,
NoamAnnealing, WarmupHoldPolicy, ...) with the ``sched`` block's other keys, exactly as nemo_toolkit 3.0.0
builds it: ``ModelPT.setup_optimization`` (nemo/core/classes/modelPT.py:626-691) copies the trainer's
numbers into ``sched`` and ``prepare_lr_scheduler`` (nemo/core/optim/lr_scheduler.py:759-1016) drops
``name``, ``t_*``, ``monitor`` and ``reduce_on_plateau``, injects ``max_steps`` and calls
``scheduler_cls(optimizer, **scheduler_args)`` (:987-995), returned to Lightning as ``interval: 'step'``,
``frequency: 1`` (:1007-1016): one ``step()`` per optimizer update, the spec's ``interval: step``.

``max_steps`` is ``trainer.max_steps`` when it is >= 0 (setup_optimization writes it over the block's own,
modelPT.py:675, :690-691), else ``sched.max_steps`` when the block sets it (lr_scheduler.py:915-921), else
NeMo's own ``compute_max_steps`` (lr_scheduler.py:1019-1041) from ``trainer.max_epochs`` (Lightning's 1000 when
unset), ``accumulate_grad_batches``, ``limit_train_batches``, the world size (``num_devices * num_nodes``,
modelPT.py:685: ``trainer.devices`` as stated, or ``--devices``), the training-set size (``--dataset-size``: NeMo
reads ``len(train_dataloader.dataset)``), ``model.train_ds.batch_size`` and the loader's ``drop_last``.
lrplot calls that function itself (importing ``nemo.core.optim.lr_scheduler``), so it needs
nemo_toolkit installed with its dependencies (``pip install 'lrplot[nemo]'``).

torch's schedulers NeMo's registry names (``StepLR``, ``ExponentialLR``, ``CyclicLR``,
``ReduceLROnPlateau``) are torch's classes with the block's keys (``max_steps`` dropped by
``get_scheduler``), stepped at the interval ``prepare_lr_scheduler`` gives Lightning: once per epoch for
``EPOCH_SCHEDULERS`` (``ExponentialLR``, ``ReduceLROnPlateau``: the updates of an epoch are then needed,
asked as ``--dataset-size`` where the trainer gives max_steps), else per update.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import MissingLibraryError, SpecError
from . import lightning_loop as rules
from .framework import stated_world_size
from .nemo_models import part_optims, refuse, sched_block
from .protocol import Budget, Source, Told, assumption, budget_number, needs

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from ..yamlio import SourceMap
    from .protocol import BudgetInputs, Document

KIND = "nemo"
LOOKS_FOR = "a NeMo model config: model.optim.sched with a name, and a trainer block"
FOLLOWS = "nemo_toolkit 3.0.0 (ModelPT.setup_optimization, prepare_lr_scheduler)"
DOCS = "docs/frameworks/nemo.rst"  # README's table links the kind to it
MODULE = "nemo.core.optim.lr_scheduler"
# NeMo's own classes in AVAILABLE_SCHEDULERS (lr_scheduler.py:1044-1063), all stepped per update.
SCHEDULES = ("WarmupPolicy", "WarmupHoldPolicy", "SquareAnnealing", "CosineAnnealing", "NoamAnnealing",
             "NoamHoldAnnealing", "WarmupHoldAnnealOneMinusSquareRoot", "WarmupHoldAnnealLinear", "WarmupAnnealing",
             "InverseSquareRootAnnealing", "T5InverseSquareRootAnnealing", "SquareRootAnnealing",
             "PolynomialDecayAnnealing", "PolynomialHoldDecayAnnealing")
# torch's schedulers its registry also maps by name (:1058-1061), with the interval prepare_lr_scheduler gives
# Lightning: 'epoch' for a name in EPOCH_SCHEDULERS (:1064-1067, :839-840), else 'step'; frequency 1 (:1012).
# Their signatures have no max_steps, so get_scheduler drops it (:752-754). tests/test_sources_nemo.py checks
# both tables against the installed NeMo's.
TORCH_SCHEDULES = {"StepLR": "step", "ExponentialLR": "epoch", "ReduceLROnPlateau": "epoch", "CyclicLR": "step"}
# Keys prepare_lr_scheduler pops before calling the class (:810-817); max_steps it sets itself (:987).
DROPPED = ("name", "t_max_epochs", "t_accumulate_grad_batches", "t_limit_train_batches", "t_num_workers",
           "monitor", "reduce_on_plateau", "max_steps")
# NeMo optimizer names -> the torch optimizer lrplot steps (NeMo's schedulers scale base_lrs alone).
OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop",
              "adadelta": "Adadelta", "adamax": "Adamax"}


def detect(doc: Document) -> bool:
    sched = sched_block(doc.data)
    return ((isinstance(sched, dict) and "name" in sched or bool(part_optims(doc.data)))
            and isinstance(doc.data.get("trainer"), dict))


def _get(data: Any, path: tuple) -> Any:
    if isinstance(data, _Node):
        return data.at(path)
    for part in path:
        data = data.get(part) if isinstance(data, dict) else None
    return data


class _Node:
    """The mapping at ``path`` of the config with each value read resolved by OmegaConf, as NeMo reads the
    trainer's numbers (``trainer.max_steps: ${max_steps}`` is the top-level key's value), one key at a time:
    a mandatory ``???`` the reading does not need stays unread."""

    def __init__(self, resolver: Any, raw: Any, path: tuple = ()) -> None:
        self.resolver, self.raw, self.path = resolver, raw, path

    def __contains__(self, key: str) -> bool:
        return isinstance(self.raw, dict) and key in self.raw

    def get(self, key: str, default: Any = None) -> Any:
        return self.at((key,)) if key in self and self.raw[key] is not None else default

    def __getitem__(self, key: str) -> Any:
        if key not in self:
            raise KeyError(key)
        return self.get(key)

    def at(self, path: tuple) -> Any:
        raw = self.raw
        for part in path:
            if not isinstance(raw, dict) or part not in raw:
                return None
            raw = raw[part]
        if isinstance(raw, dict):  # a table: its keys are resolved when read
            return _Node(self.resolver, raw, self.path + path)
        return self.resolver.node(self.path + path)


def _int(doc: Document, value: Any, path: tuple, *, low: int = 0) -> int:
    key = ".".join(path)
    return budget_number(value, key, doc.source.value(path), integer=True, low=low, hint=f"fix it, or --set {key}=N")


def _optimizer(doc: Document, optim: dict, lr: Any, notes: list[str]) -> dict:
    name = optim.get("name") or "adam"  # modelPT.py:704-714: 'adam' when the config names none
    torch_name = OPTIMIZERS.get(str(name).lower())
    if torch_name is None:
        notes.append(f"optimizer {name} is drawn on torch AdamW: the lr schedule is the same (NeMo's schedulers "
                     "scale each param group's initial lr)")
    out: dict[str, Any] = {"type": torch_name or "AdamW",
                           "lr": budget_number(lr, "model.optim.lr", doc.source.value(("model", "optim", "lr")),
                                               low=0, hint="fix it, or --set model.optim.lr=LR")}
    if torch_name is not None:
        for key in ("weight_decay", "betas", "momentum"):
            if optim.get(key) is not None:
                out[key] = optim[key]
    return out


def _nemo() -> Any:
    """NeMo's scheduler module (its compute_max_steps), or a one-line error saying what to install."""
    import importlib.util

    if importlib.util.find_spec("nemo") is None:
        raise MissingLibraryError("reading a NeMo config needs nemo_toolkit (NeMo's own compute_max_steps and "
                                  "schedulers)", package="nemo", hint="pip install 'lrplot[nemo]'")
    from .hydra_plugins import store_kept

    try:
        with store_kept():  # NeMo's imports register configs in Hydra's process-wide ConfigStore
            import nemo.core.optim.lr_scheduler as module
    except Exception as exc:  # noqa: BLE001 - NeMo's package __init__ imports onnx, lightning, ...
        raise MissingLibraryError(f"importing {MODULE} failed: {type(exc).__name__}: {exc}".splitlines()[0],
                                  package="nemo", hint="install the module it names in the environment that "
                                                       "runs lrplot (NeMo's import needs it)") from None
    return module


def _source_map(doc: Document, kwargs: dict) -> SourceMap:
    from ..yamlio import SourceMap

    src = doc.source
    out = SourceMap(src.path)
    out.values[()] = src.value(())
    sched = ("model", "optim", "sched")
    for spec_path, path in ((("scheduler",), sched), (("scheduler", "type"), sched + ("name",)),
                            (("optimizer",), ("model", "optim")), (("optimizer", "type"), ("model", "optim", "name")),
                            (("optimizer", "lr"), ("model", "optim", "lr")), (("steps",), ("trainer",))):
        if path in src.values:
            out.values[spec_path] = src.value(path)
            if path in src.keys:
                out.keys[spec_path] = src.key(path)
    for key in kwargs:
        if sched + (key,) in src.values:
            out.values[("scheduler", key)] = src.value(sched + (key,))
            out.keys[("scheduler", key)] = src.key(sched + (key,))
    return out


def _max_steps(doc: Document, data: dict, sched: dict, inputs: BudgetInputs, notes: list[str],
               epoch_interval: str | None) -> tuple[int, int | None, str, tuple, str]:
    """(max_steps, updates per epoch, the arithmetic, what was told, the deciding key); ``epoch_interval``:
    why the updates per epoch are needed too (a scheduler NeMo steps per epoch), else None."""
    trainer = data["trainer"]
    fixed = None
    max_steps = trainer.get("max_steps")
    if max_steps is not None and _int(doc, max_steps, ("trainer", "max_steps"), low=-1) >= 0:
        # setup_optimization writes it over the sched block's own (modelPT.py:690-691)
        fixed = max_steps, f"trainer.max_steps {max_steps}", "trainer.max_steps"
    elif sched.get("max_steps") is not None:  # prepare_lr_scheduler:915-921, ahead of t_max_epochs
        steps = _int(doc, sched["max_steps"], ("model", "optim", "sched", "max_steps"))  # -1: refused before
        fixed = steps, f"model.optim.sched.max_steps {steps}", "model.optim.sched.max_steps"
        epochs = trainer.get("max_epochs")
        notes.append(assumption(  # Lightning stops at trainer.max_epochs then, not at the scheduler's max_steps
            f"model.optim.sched.max_steps {steps} is the schedule's length, not the run's: with trainer.max_steps "
            f"{max_steps if max_steps is not None else 'unset'} Lightning trains trainer.max_epochs "
            f"({epochs if epochs is not None else 'unset: 1000'}) epochs; drawn for {steps} updates",
            settle="--set trainer.max_steps=N"))
    if fixed is not None:
        if epoch_interval is None:
            return fixed[0], None, fixed[1], (), fixed[2]
        per_epoch, text, told = _per_epoch(doc, data, inputs, notes, epoch_interval, 1)
        return fixed[0], per_epoch, f"{fixed[1]}; {text}", told, fixed[2]
    # trainer.max_steps < 0 (null or -1: Lightning's "no limit"): modelPT.py:675-688 -> compute_max_steps of
    # the trainer's max_epochs, which Lightning has made 1000 when unset (_parse_loop_limits runs in Trainer._run,
    # before configure_optimizers calls setup_optimization)
    given = trainer.get("max_epochs")
    if given == -1:
        raise SpecError("trainer.max_epochs and trainer.max_steps are both -1: Lightning trains until stopped, and "
                        "NeMo's compute_max_steps gives the schedule no length", hint="add --set trainer.max_steps=N",
                        location=doc.source.value(("trainer", "max_epochs")))
    epochs = rules.epoch_limit(None if given is None else _int(doc, given, ("trainer", "max_epochs"), low=1), -1)
    if given is None:
        notes.append(f"trainer.max_epochs unset: Lightning trains {epochs} epochs (its default when max_steps is -1)")
    per_epoch, text, told = _per_epoch(doc, data, inputs, notes, None, epochs, epoch_interval is not None)
    total = per_epoch * epochs
    return (total, per_epoch, f"compute_max_steps: {text} x {epochs} epochs = {total} updates (max_steps)",
            told + (Told("epochs", epochs, "trainer.max_epochs" if given is not None else "Lightning's default"),),
            "trainer.max_epochs")


def _per_epoch(doc: Document, data: dict, inputs: BudgetInputs, notes: list[str], why: str | None,
               epochs: int, per_epoch_sched: bool = False) -> tuple[int, str, tuple]:
    """(updates per epoch, the arithmetic, what was told) by NeMo's compute_max_steps for ``epochs`` epochs
    (divided by them: it multiplies the updates of one epoch); ``why``: why they are needed, when
    max_steps is given (asked then with it); ``per_epoch_sched``: the scheduler steps once per epoch."""
    trainer = data["trainer"]
    accum = trainer.get("accumulate_grad_batches", 1)
    if accum is None:
        accum = 1
    accum = _int(doc, accum, ("trainer", "accumulate_grad_batches"), low=1)
    limit = trainer.get("limit_train_batches")
    limit = 1.0 if limit is None else budget_number(limit, "trainer.limit_train_batches", doc.source.value(
        ("trainer", "limit_train_batches")), low=0, hint="fix it, or --set trainer.limit_train_batches=X")
    loader = _loader(doc, data)
    batch_path = loader + ("batch_size",)
    tokens = _get(data, ("model", "train_ds", "tokens_in_batch")) if _get(data, batch_path) is None else None
    # TransformerLMModel's DataLoader: batch_size=1 over a dataset of batches of tokens_in_batch tokens
    # (nemo/collections/nlp/models/language_modeling/transformer_lm_model.py:306-333 at
    # 8cfedd7203462cb251a914e700e5605444277561)
    what = f"batches of model.train_ds.tokens_in_batch {tokens} tokens" if tokens is not None else "examples"
    if _get(data, batch_path) is None and tokens is None:
        _no_batch_size(doc, data, ".".join(batch_path), why or per_epoch_sched)
    batch = 1 if tokens is not None else _int(doc, _get(data, batch_path), batch_path, low=1)
    size = "the training-set size" if tokens is None else f"the number of training {what}"
    read = "" if tokens is None else "the model's DataLoader takes one a step, and "
    if inputs.dataset_size is None and why is not None:
        raise needs(doc, f"{size}: {why}, so the updates of an epoch matter ({read}Lightning's len(train_dataloader))",
                    "--dataset-size N", ("model", "optim", "sched", "name"))
    if inputs.dataset_size is None:
        raise needs(doc, f"{size} ({read}NeMo reads len(train_dataloader.dataset) to compute max_steps, "
                         "trainer.max_steps being unset)", "--dataset-size N (or --set trainer.max_steps=N)",
                    ("trainer", "max_steps") if "max_steps" in trainer else ("trainer",))
    drop_last = _get(data, loader + ("drop_last",))
    if drop_last is None:
        drop_last = False
        notes.append(assumption("drop_last false: NeMo's dataloaders default to it (the partial batch is an update)",
                                settle=f"--set {'.'.join(loader)}.drop_last=true"))
    nodes = trainer.get("num_nodes") or 1
    nodes = _int(doc, nodes, ("trainer", "num_nodes"), low=1)
    # NeMo divides the dataset over num_devices x num_nodes ranks (modelPT.py:685): --devices is that world size, as
    # for every reader; else trainer.devices x num_nodes as the config states them; -1 and 'auto' depend on the machine
    world = inputs.devices if inputs.devices is not None else stated_world_size(doc, trainer, ("trainer",))
    origin = "--devices" if inputs.devices is not None else "trainer.devices"
    if world is None:
        world, origin = nodes, "default"
        notes.append(assumption(f"1 device per node ({nodes} node{'s' if nodes > 1 else ''}): NeMo divides the dataset "
                                "over num_devices x num_nodes ranks (modelPT.py:685), and trainer.devices depends on the "
                                "machine; add --devices K for the world size (devices x nodes)", settle="--devices K"))
    n = inputs.dataset_size
    total = _nemo().compute_max_steps(max_epochs=epochs, accumulate_grad_batches=accum, limit_train_batches=limit,
                                      num_workers=world, num_samples=n, batch_size=batch, drop_last=bool(drop_last))
    per_epoch = total // epochs
    text = (f"{n} {what} / {world} ranks / batch {batch} ({'drop_last' if drop_last else 'ceil'}"
            f"{f', limit_train_batches {limit}' if limit != 1.0 else ''}) / accumulation {accum} = {per_epoch} updates"
            + (" per epoch" if why else ""))
    told = (Told("dataset size", n, "--dataset-size"), Told("devices", world, origin),
            Told("batch size", batch, ".".join(batch_path) if tokens is None else "the model's DataLoader"),
            Told("accumulation", accum, "trainer.accumulate_grad_batches"))
    return per_epoch, text, told


def _no_batch_size(doc: Document, data: Any, key: str, per_epoch_sched: Any) -> None:
    """The one line for a config whose training DataLoader has no batch size to read."""
    if _get(data, ("model", "train_ds")) is not None:
        raise needs(doc, f"{key} (NeMo divides the dataset by it)", f"--set {key}=N", ("model", "train_ds"))
    raise SpecError("model.train_ds is missing: the config sets up no training DataLoader (a test or inference "
                    "config trains nothing), and NeMo counts an epoch's updates from its batches",
                    location=doc.source.key(("model",)), hint="give lrplot the training config" + (
                        "" if per_epoch_sched else ", or --set trainer.max_steps=N"))


def _loader(doc: Document, data: Any) -> tuple:
    """Where the training DataLoader's ``batch_size`` and ``drop_last`` are: ``model.train_ds``, or its
    ``dataloader_params`` where it has them (NeMo's TTS models build ``DataLoader(dataset, **cfg.dataloader_params)``:
    nemo/collections/tts/models/tacotron2.py:381, fastpitch.py:613-616 at 8cfedd7203462cb251a914e700e5605444277561;
    prepare_lr_scheduler reads that loader's batch_size and drop_last, lr_scheduler.py:945-962)."""
    plain, nested = ("model", "train_ds"), ("model", "train_ds", "dataloader_params")
    if not isinstance(_get(data, nested), _Node) or _get(data, nested + ("batch_size",)) is None:
        return plain
    both = _get(data, plain + ("batch_size",))
    if both is not None and both != _get(data, nested + ("batch_size",)):
        raise SpecError("model.train_ds.batch_size and model.train_ds.dataloader_params.batch_size differ: which one "
                        "the training DataLoader takes is the model's code", location=doc.source.value(
                            plain + ("batch_size",)), hint="--set the one the model does not read to the other's value")
    return nested


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from ..spec import spec_from_data
    from .hydra import _Resolver

    sched_path = ("model", "optim", "sched")
    resolver = _Resolver(doc)
    data = _Node(resolver, doc.data)  # the trainer's numbers and model.train_ds, resolved as they are read
    refuse(doc, data)
    sched = resolver.node(sched_path)
    name = sched.get("name")
    if name not in SCHEDULES and name not in TORCH_SCHEDULES:
        from ..text import did_you_mean

        names = (*SCHEDULES, *TORCH_SCHEDULES)
        hint = did_you_mean(str(name), names) or f"one of {', '.join(names)}"
        raise SpecError(f"model.optim.sched.name {name!r} is not a scheduler NeMo's registry names "
                        "(AVAILABLE_SCHEDULERS of nemo.core.optim.lr_scheduler)",
                        location=doc.source.value(sched_path + ("name",)), hint=hint)
    interval = TORCH_SCHEDULES.get(name, "step")
    optim = resolver.node(("model", "optim"))
    if optim.get("lr") is None:
        raise needs(doc, "model.optim.lr (the schedule scales it)", "--set model.optim.lr=LR", ("model", "optim"))
    notes: list[str] = []
    optimizer = _optimizer(doc, optim, optim["lr"], notes)
    why = f"NeMo steps {name} once per epoch (EPOCH_SCHEDULERS)" if interval == "epoch" else None
    total, per_epoch, text, told, decided_by = _max_steps(doc, data, sched, inputs, notes, why)
    kwargs = {k: v for k, v in sched.items() if k not in DROPPED}
    node = ({"type": name, **kwargs} if name in TORCH_SCHEDULES  # get_scheduler drops max_steps (:752-754)
            else {"type": f"{MODULE}:{name}", **kwargs, "max_steps": total})
    spec_data: dict[str, Any] = {"title": f"NeMo {name}: {doc.path.name}", "steps": total, "optimizer": optimizer,
                                 "scheduler": node, "interval": interval}
    if name == "ReduceLROnPlateau":
        monitor = sched.get("monitor") or "loss"  # prepare_lr_scheduler:899-904
        notes.append(assumption(f"ReduceLROnPlateau is fed lrplot's metric (default: its own lr, a staircase), not "
                                f"{monitor!r}; Lightning steps it at each epoch end", settle="metric:"))
    if per_epoch:
        spec_data["steps_per_epoch"] = per_epoch
    spec = spec_from_data(spec_data, _source_map(doc, kwargs), file=doc.path)
    warmup = kwargs.get("warmup_steps")
    warmup = warmup if isinstance(warmup, int) and not isinstance(warmup, bool) and warmup >= 0 else None
    budget = Budget(text, total, per_epoch, warmup=warmup, told=told, decided_by=decided_by,
                    where=doc.source.value(tuple(decided_by.split("."))) if tuple(decided_by.split("."))
                    in doc.source.values else None)
    return Source(KIND, spec, budget, tuple(notes))
