"""Hugging Face ``TrainingArguments`` (YAML or JSON, e.g. an alignment-handbook recipe) -> Spec.

The schedule is built by transformers itself: the spec's scheduler is
``transformers.optimization:get_scheduler`` called exactly as ``Trainer.create_scheduler`` calls it
(``lr_scheduler_type``, ``num_warmup_steps=args.get_warmup_steps(max_steps)``,
``num_training_steps=max_steps``, ``scheduler_specific_kwargs=lr_scheduler_kwargs``), stepped after
every optimizer update as ``Trainer._run_epoch`` does. The warmup count comes from the installed
``TrainingArguments.get_warmup_steps`` and the defaults of keys the config leaves out from the
installed ``TrainingArguments`` fields.

What lrplot reproduces (read from transformers 5.23.0 and accelerate 1.15.0; see :func:`budget`):

* batches per epoch on one process: the ``DataLoader``'s length (``ceil(N / B)``, ``floor`` with
  ``dataloader_drop_last``), sharded over ``--devices`` processes as accelerate's
  ``BatchSamplerShard.__len__`` does (``even_batches`` pads the remainder to one more batch each);
* updates per epoch: ``Trainer.set_initial_training_values``:
  ``max(len // gradient_accumulation_steps + (len % gradient_accumulation_steps > 0), 1)`` (the last,
  partial accumulation window is an update of its own, ``_run_epoch``'s ``remainder``);
* total updates: ``max_steps`` when > 0, else ``ceil(num_train_epochs x updates per epoch)``; the
  Trainer stops at exactly that many updates;
* param groups: ``Trainer.create_optimizer`` always makes two groups, parameters with weight decay
  (``weight_decay``) and without (biases and norm weights, ``weight_decay: 0.0``); both follow the
  same schedule;
* the optimizer: ``optim`` mapped to the torch class ``Trainer.get_optimizer_cls_and_kwargs``
  chooses (AdamW for ``adamw_torch``/``adamw_torch_fused``, ...); for an optimizer torch does not
  ship the lr schedule is drawn on AdamW, which gives the same lr (a LambdaLR scales each group's
  ``initial_lr``), and a note says so.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from ..errors import Location, SpecError, UsageError
from ..text import did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Document, Source

KIND = "hf"
LOOKS_FOR = "Hugging Face TrainingArguments: keys such as lr_scheduler_type, or learning_rate with num_train_epochs"

SCHEDULER = "transformers.optimization:get_scheduler"
TRANSFORMERS_READ = "5.23.0"   # the version whose Trainer the stepping rules were read from
FOLLOWS = f"transformers {TRANSFORMERS_READ} (Trainer), accelerate 1.15.0"

# The TrainingArguments keys that decide the schedule; near-misses of these are errors (did you
# mean), every other key of a recipe (model, data, logging, ...) is ignored.
SCHEDULE_KEYS = (
    "learning_rate", "lr_scheduler_type", "lr_scheduler_kwargs", "warmup_steps", "warmup_ratio",
    "num_train_epochs", "max_steps", "per_device_train_batch_size", "gradient_accumulation_steps",
    "dataloader_drop_last", "optim", "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon",
    "accelerator_config",
)
_DETECT_WITH_LR = ("num_train_epochs", "max_steps", "per_device_train_batch_size", "warmup_steps",
                   "warmup_ratio", "gradient_accumulation_steps")

# Trainer.get_optimizer_cls_and_kwargs (transformers 5.23.0): optim -> (torch.optim class, adam betas/eps?)
_TORCH_OPTIMIZERS = {
    "adamw_torch": ("AdamW", True), "adamw_torch_fused": ("AdamW", True), "adamw_torch_xla": ("AdamW", True),
    "adamw_torch_npu_fused": ("AdamW", True), "sgd": ("SGD", False), "adagrad": ("Adagrad", False),
    "rmsprop": ("RMSprop", False),
}
# SchedulerTypes the Trainer does not step after every update (it steps them on evaluation metrics).
_METRIC_DRIVEN = ("reduce_lr_on_plateau", "greedy")


def detect(doc: Document) -> bool:
    data = doc.data
    if not isinstance(data, dict):
        return False
    return "lr_scheduler_type" in data or ("learning_rate" in data and any(k in data for k in _DETECT_WITH_LR))


class _Config:
    """The config's values with their locations, and the installed TrainingArguments defaults."""

    def __init__(self, doc: Document):
        import dataclasses

        from transformers.training_args import TrainingArguments

        self.doc = doc
        self.data: dict = doc.data
        self.defaults = {f.name: f.default for f in dataclasses.fields(TrainingArguments)
                         if f.default is not dataclasses.MISSING}
        self.fields = [f.name for f in dataclasses.fields(TrainingArguments)]

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def where(self, key: str) -> Location:
        return self.doc.source.value((key,)) if key in self.data else Location(str(self.doc.path))

    def error(self, key: str, message: str, hint: str | None = None) -> SpecError:
        return SpecError(message, hint=hint, location=self.where(key))

    def get(self, key: str) -> Any:
        return self.data[key] if self.has(key) else self.defaults.get(key)

    def number(self, key: str, *, integer: bool = False, positive: bool = False, low: float | None = None) -> Any:
        value = self.get(key)
        ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok or (isinstance(value, float) and not math.isfinite(value)):
            raise self.error(key, f"{key} must be {'a whole number' if integer else 'a number'}, not {value!r}")
        if positive and value <= 0:
            raise self.error(key, f"{key} must be positive, not {value!r}")
        if low is not None and value < low:
            raise self.error(key, f"{key} must be at least {low:g}, not {value!r}")
        return value

    def flag(self, key: str) -> bool:
        value = self.get(key)
        if not isinstance(value, bool):
            raise self.error(key, f"{key} must be true or false, not {value!r}")
        return value

    def check_near_misses(self) -> None:
        """A key that is not a TrainingArguments field but looks like a schedule key is a typo."""
        for key in self.data:
            if not isinstance(key, str) or key in self.fields or key in SCHEDULE_KEYS:
                continue
            hint = did_you_mean(key, SCHEDULE_KEYS)
            if hint:
                raise SpecError(f"'{key}' is not a TrainingArguments key", hint=hint,
                                location=self.doc.source.key((key,)))


def _scheduler_kwargs(cfg: _Config, name: str, notes: list[str]) -> dict[str, Any] | None:
    """``lr_scheduler_kwargs`` (a mapping, or JSON text as on a command line), checked against the
    named schedule function's signature. ``get_scheduler`` passes none to ``constant``: a note says
    they are ignored, as the Trainer ignores them."""
    import inspect

    from transformers.optimization import TYPE_TO_SCHEDULER_FUNCTION
    from transformers.trainer_utils import SchedulerType

    value = cfg.get("lr_scheduler_kwargs")
    if value is None or value == {}:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise cfg.error("lr_scheduler_kwargs", f"lr_scheduler_kwargs is not a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise cfg.error("lr_scheduler_kwargs", "lr_scheduler_kwargs must be a mapping of keyword arguments",
                        hint="e.g. lr_scheduler_kwargs: {num_cycles: 2}")
    if name == "constant":
        notes.append("lr_scheduler_kwargs are ignored: get_scheduler passes none to the constant schedule")
        return None
    fn = TYPE_TO_SCHEDULER_FUNCTION[SchedulerType(name)]
    params = inspect.signature(fn).parameters
    valid = [p for p in params if p not in ("optimizer", "num_warmup_steps", "num_training_steps", "last_epoch")]
    for key in value:
        if key not in valid and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            hint = did_you_mean(key, valid)
            raise SpecError(f"{fn.__name__} (lr_scheduler_type {name}) has no argument '{key}'",
                            hint=f"{hint + ' ' if hint else ''}valid: {', '.join(valid) or 'none'}",
                            location=cfg.doc.source.key(("lr_scheduler_kwargs", key)))
    return value


def _scheduler_name(cfg: _Config) -> str:
    from transformers.trainer_utils import SchedulerType

    name = cfg.get("lr_scheduler_type")
    names = [t.value for t in SchedulerType]
    if not isinstance(name, str) or name not in names:
        hint = did_you_mean(str(name), names)
        raise cfg.error("lr_scheduler_type", f"unknown lr_scheduler_type '{name}' (transformers "
                        f"{_version()})", hint=hint or f"known: {', '.join(names)}")
    if name in _METRIC_DRIVEN:
        raise cfg.error("lr_scheduler_type", f"lr_scheduler_type {name} is stepped by the Trainer on "
                        "evaluation metrics, which a config does not hold",
                        hint="draw it as an lrplot spec with 'metric:' (see ReduceLROnPlateau in the README)")
    return name


def _version() -> str:
    import transformers

    return transformers.__version__


def _warmup(cfg: _Config, updates: int) -> tuple[int, str | None, list[str]]:
    """(num_warmup_steps, its text for the budget line, notes) by the installed
    ``TrainingArguments.get_warmup_steps`` (a float ``warmup_steps`` < 1 is a ratio).
    ``warmup_ratio`` (removed in transformers 5) is read as transformers 4 read it: used only when
    ``warmup_steps`` is 0, as the ratio ``ceil(updates x warmup_ratio)``, which is what passing it
    as a float ``warmup_steps`` < 1 computes."""
    from types import SimpleNamespace

    from transformers.training_args import TrainingArguments

    notes = []
    steps = cfg.number("warmup_steps", low=0)
    ratio = None
    if cfg.has("warmup_ratio"):
        ratio = cfg.number("warmup_ratio", low=0)
        if not ratio < 1:
            raise cfg.error("warmup_ratio", f"warmup_ratio must be below 1, not {ratio!r}",
                            hint="write the warmup as a number of updates: warmup_steps: N")
        if "warmup_ratio" not in cfg.fields:
            notes.append(f"warmup_ratio is read as transformers 4 read it; transformers {_version()} no longer "
                         f"accepts it: write warmup_steps: {ratio!r} (a float below 1 is a ratio)")
        if steps > 0:
            notes.append(f"warmup_steps {steps!r} is used and warmup_ratio {ratio!r} ignored, as transformers 4 did")
            ratio = None
        else:
            steps = ratio
    args = SimpleNamespace(warmup_steps=steps, warmup_ratio=ratio or 0.0)
    count = TrainingArguments.get_warmup_steps(args, updates)
    if steps == 0:
        text = None
    elif steps < 1:
        text = f"warmup {steps * 100:g}% = {count}"
    else:
        text = f"warmup {count} steps"
    return count, text, notes


def _optimizer(cfg: _Config, notes: list[str]) -> dict[str, Any]:
    from transformers.training_args import OptimizerNames

    optim = cfg.get("optim")
    optim = getattr(optim, "value", optim)
    names = [o.value for o in OptimizerNames]
    if not isinstance(optim, str) or optim not in names:
        hint = did_you_mean(str(optim), names)
        raise cfg.error("optim", f"unknown optim '{optim}' (transformers {_version()})",
                        hint=hint or f"known: {', '.join(names)}")
    lr = cfg.number("learning_rate", low=0)
    torch_name, adam = _TORCH_OPTIMIZERS.get(optim, ("AdamW", True))
    if optim not in _TORCH_OPTIMIZERS:
        notes.append(f"optim {optim} is drawn on torch AdamW: the lr schedule is the same (a LambdaLR "
                     "scales each param group's initial lr)")
    out: dict[str, Any] = {"type": torch_name, "lr": float(lr)}
    if adam:
        out["betas"] = [float(cfg.number("adam_beta1")), float(cfg.number("adam_beta2"))]
        out["eps"] = float(cfg.number("adam_epsilon", low=0))
    return out


def batches_per_epoch(dataset_size: int, batch_size: int, devices: int, drop_last: bool,
                      split_batches: bool = False, even_batches: bool = True) -> int:
    """``len(train_dataloader)`` on each process: torch's ``BatchSampler`` length (``batch_size`` is
    the Trainer's per-device batch size), then accelerate's ``BatchSamplerShard.__len__``
    (accelerate 1.15.0) for ``devices`` processes (process 0; with ``even_batches`` every process
    has the same length; with ``split_batches`` each batch is split over the processes)."""
    batches = dataset_size // batch_size if drop_last else -(-dataset_size // batch_size)
    if devices == 1 or split_batches:
        return batches
    if batches % devices == 0:
        return batches // devices
    length = batches // devices
    if drop_last:
        return length
    return length + 1  # even_batches; without it too, on process 0 (the one that logs)


def updates_per_epoch(batches: int, accumulation: int) -> int:
    """``Trainer.set_initial_training_values`` (transformers 5.23.0)."""
    return max(batches // accumulation + int(batches % accumulation > 0), 1)


def _accelerator(cfg: _Config) -> tuple[bool, bool]:
    value = cfg.get("accelerator_config")
    if value is None:
        return False, True
    if isinstance(value, str):
        raise cfg.error("accelerator_config", "accelerator_config as a file path is not read by lrplot",
                        hint="write its split_batches/even_batches keys inline")
    if not isinstance(value, dict):
        raise cfg.error("accelerator_config", "accelerator_config must be a mapping")
    split, even = value.get("split_batches", False), value.get("even_batches", True)
    for key, v in (("split_batches", split), ("even_batches", even)):
        if not isinstance(v, bool):
            raise SpecError(f"accelerator_config.{key} must be true or false",
                            location=cfg.doc.source.value(("accelerator_config", key)))
    return split, even


def _budget(cfg: _Config, inputs: BudgetInputs) -> tuple[int, int | None, str, str]:
    """(total updates, updates per epoch or None, the budget text so far, the key that decides the
    total) following ``Trainer.set_initial_training_values`` (transformers 5.23.0)."""
    max_steps = cfg.number("max_steps", integer=True)
    accumulation = cfg.number("gradient_accumulation_steps", integer=True, positive=True)
    devices = inputs.devices or 1
    batch = _batch_size(cfg, inputs)
    drop_last = cfg.flag("dataloader_drop_last")
    split, even = _accelerator(cfg)
    if split and batch % devices:
        raise cfg.error("accelerator_config", f"split_batches needs a batch size ({batch}) that is a multiple of "
                        f"the {devices} devices")
    if inputs.dataset_size is None:
        if max_steps > 0:
            return max_steps, None, f"max_steps = {max_steps} updates", "max_steps"
        from . import needs

        key = "num_train_epochs" if cfg.has("num_train_epochs") else "max_steps"
        raise needs(cfg.doc, "the training-set size", "--dataset-size N", (key,) if key in cfg.data else ())
    batches = batches_per_epoch(inputs.dataset_size, batch, devices, drop_last, split, even)
    if batches == 0:
        raise cfg.error("per_device_train_batch_size", f"{inputs.dataset_size} examples make no full batch of "
                        f"{batch} with dataloader_drop_last: the Trainer has nothing to train on")
    upe = updates_per_epoch(batches, accumulation)
    global_batch = batch if split else batch * devices
    divisor = f"{batch} split over {devices}" if split else f"{batch} x {devices}"
    head = (f"{inputs.dataset_size} examples / ({divisor}) = {batches} batches per epoch"
            f"{' (last partial batch dropped)' if drop_last and inputs.dataset_size % global_batch else ''}"
            f" / accumulation {accumulation} = {upe} updates per epoch")
    if max_steps > 0:
        return max_steps, upe, f"{head}; max_steps = {max_steps} updates", "max_steps"
    epochs = cfg.number("num_train_epochs", positive=True)
    total = math.ceil(epochs * upe)
    head = head.replace(" updates per epoch", " updates")
    return total, upe, f"{head} x {epochs:g} epoch{'' if epochs == 1 else 's'} = {total} updates", "num_train_epochs"


def _batch_size(cfg: _Config, inputs: BudgetInputs) -> int:
    if cfg.has("per_device_train_batch_size"):
        value = cfg.number("per_device_train_batch_size", integer=True, positive=True)
        if inputs.batch_size is not None and inputs.batch_size != value:
            raise UsageError(f"--batch-size {inputs.batch_size}: the config holds per_device_train_batch_size: "
                             f"{value} ({cfg.where('per_device_train_batch_size')})",
                             hint=f"change it with --set per_device_train_batch_size={inputs.batch_size}")
        return value
    if inputs.batch_size is not None:
        return inputs.batch_size
    return cfg.number("per_device_train_batch_size", integer=True, positive=True)


def _source_map(cfg: _Config, total_key: str) -> Any:
    """Spec key paths -> the config's own locations, so errors about the schedule point there."""
    from ..yamlio import SourceMap

    src = cfg.doc.source
    out = SourceMap(src.path)
    links = {
        ("optimizer",): "optim", ("optimizer", "type"): "optim", ("optimizer", "lr"): "learning_rate",
        ("scheduler",): "lr_scheduler_type", ("scheduler", "type"): "lr_scheduler_type",
        ("scheduler", "name"): "lr_scheduler_type",
        ("scheduler", "num_warmup_steps"): "warmup_ratio" if cfg.has("warmup_ratio") and not cfg.get(
            "warmup_steps") else "warmup_steps",
        ("scheduler", "num_training_steps"): total_key, ("steps",): total_key,
        ("scheduler", "scheduler_specific_kwargs"): "lr_scheduler_kwargs",
        ("param_groups",): "weight_decay",
    }
    for path, key in links.items():
        if key in cfg.data:
            out.values[path] = src.value((key,))
            out.keys[path] = src.key((key,))
    for path, loc in src.values.items():
        if path[:1] == ("lr_scheduler_kwargs",) and len(path) > 1:
            out.values[("scheduler", "scheduler_specific_kwargs") + path[1:]] = loc
    return out


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from . import Budget, Source
    from ..spec import spec_from_data

    if not isinstance(doc.data, dict):
        raise SpecError("a TrainingArguments config must be a mapping of keys", location=Location(str(doc.path)))
    try:
        cfg = _Config(doc)
    except ImportError as exc:
        from ..errors import MissingLibraryError

        raise MissingLibraryError(f"reading a Hugging Face config needs transformers ({exc})",
                                  package="transformers", location=Location(str(doc.path)),
                                  hint='pip install "lrplot[hf]"') from None
    cfg.check_near_misses()
    name = _scheduler_name(cfg)
    notes: list[str] = []
    kwargs = _scheduler_kwargs(cfg, name, notes)
    total, upe, text, total_key = _budget(cfg, inputs)
    warmup, warmup_text, warmup_notes = _warmup(cfg, total)
    notes += warmup_notes
    optimizer = _optimizer(cfg, notes)
    weight_decay = cfg.number("weight_decay", low=0)
    scheduler: dict[str, Any] = {"type": SCHEDULER, "name": name, "num_warmup_steps": warmup,
                                 "num_training_steps": total}
    if kwargs is not None:
        scheduler["scheduler_specific_kwargs"] = kwargs
    data: dict[str, Any] = {
        "steps": total,
        "optimizer": optimizer,
        "param_groups": [{"name": "decay", "weight_decay": float(weight_decay)},
                         {"name": "no_decay", "weight_decay": 0.0}],
        "scheduler": scheduler,
    }
    if upe is not None:
        data["steps_per_epoch"] = upe
    if _version().split(".")[0] != TRANSFORMERS_READ.split(".")[0]:
        notes.append(f"the update count follows the Trainer of transformers {TRANSFORMERS_READ}; "
                     f"transformers {_version()} is installed")
    if cfg.has("deepspeed"):
        notes.append("a deepspeed config may define its own scheduler, which replaces lr_scheduler_type: "
                     "lrplot draws lr_scheduler_type")
    if cfg.has("auto_find_batch_size") and cfg.get("auto_find_batch_size") is True:
        notes.append("auto_find_batch_size may lower the batch size at run time, which changes the update count")
    if name != "constant" and warmup_text:
        text = f"{text}; {warmup_text}"
    spec = spec_from_data(data, _source_map(cfg, total_key), file=doc.path)
    return Source(KIND, spec, Budget(text, total, upe), tuple(notes))
