"""Hugging Face ``TrainingArguments`` (YAML or JSON, e.g. an alignment-handbook recipe) -> Spec.

The schedule is built by transformers itself: the spec's scheduler is
``transformers.optimization:get_scheduler`` called exactly as ``Trainer.create_scheduler`` calls it
(``lr_scheduler_type``, ``num_warmup_steps=args.get_warmup_steps(max_steps)``,
``num_training_steps=max_steps``, ``scheduler_specific_kwargs=lr_scheduler_kwargs``), stepped after
every optimizer update as ``Trainer._run_epoch`` does. The warmup count comes from the installed
``TrainingArguments.get_warmup_steps`` and the defaults of keys the config leaves out from the
installed ``TrainingArguments`` fields.

What lrplot reproduces (read from transformers 5.23.0): the update count and the warmup
(:mod:`.hf_budget`), and

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
from typing import TYPE_CHECKING, Any

from ..errors import Location, SpecError
from ..text import did_you_mean

from .hf_budget import budget as _budget_of, installed_version as _version, warmup as _warmup
from .hf_config import HfConfig
from .protocol import Source, assumption

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Document

KIND = "hf"
LOOKS_FOR = "Hugging Face TrainingArguments: keys such as lr_scheduler_type, or learning_rate with num_train_epochs"

SCHEDULER = "transformers.optimization:get_scheduler"
TRANSFORMERS_READ = "5.23.0"   # the version whose Trainer the stepping rules were read from
FOLLOWS = f"transformers {TRANSFORMERS_READ} (Trainer), accelerate 1.15.0"
DOCS = "docs/frameworks/huggingface.rst"  # README's table links the kind to it

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


def _scheduler_kwargs(cfg: HfConfig, name: str, notes: list[str]) -> dict[str, Any] | None:
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
        from ..limits import MAX_YAML_DEPTH
        from ..yamlio import nesting_depth

        if nesting_depth(value) > MAX_YAML_DEPTH:  # json.loads recurses per level
            raise cfg.error("lr_scheduler_kwargs", f"lr_scheduler_kwargs is nested too deeply; at most {MAX_YAML_DEPTH} "
                                                   "levels")
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


# Fields whose null TrainingArguments(...) itself refuses (transformers 5.23.0), with what it says.
_NULL_REFUSED = {"lr_scheduler_type": "'None is not a valid SchedulerType'",
                 "optim": "'None is not a valid OptimizerNames'",
                 "warmup_steps": "TypeError: '<' not supported between instances of 'NoneType' and 'int'"}


# Fields whose null TrainingArguments(...) keeps and the Trainer then fails on (transformers 5.23.0, torch 2.13),
# with where; read as the default they drew a run that never happens. lr_scheduler_kwargs and accelerator_config
# null train as their defaults.
_TYPE_ERROR = "TypeError: '<=' not supported between instances of 'float' and 'NoneType'"
_NULL_FAILS = {
    "max_steps": "Trainer(...) fails: trainer.py:726, TypeError: '>' not supported between instances of 'NoneType' "
                 "and 'int'",
    "num_train_epochs": "train() fails: trainer.py:2521, TypeError: unsupported operand type(s) for *: 'NoneType' "
                        "and 'int' (Trainer(...) at :726 with max_steps set)",
    "per_device_train_batch_size": "train() fails: training_args.py:1824 (train_batch_size), TypeError: unsupported "
                                   "operand type(s) for *: 'NoneType' and 'int'",
    "gradient_accumulation_steps": "train() fails: trainer.py:2573, TypeError: unsupported operand type(s) for *: "
                                   "'int' and 'NoneType'",
    "dataloader_drop_last": "train() fails: torch's BatchSampler, 'drop_last should be a boolean value, but got "
                            "drop_last=None'",
    "learning_rate": f"train() fails building the optimizer: torch's, {_TYPE_ERROR}",
    "weight_decay": "train() fails at the optimizer's first step: torch's, TypeError",
}
_ADAM_NULL_FAILS = {key: f"train() fails building an Adam optimizer: torch's, {_TYPE_ERROR}"
                    for key in ("adam_beta1", "adam_beta2", "adam_epsilon")}


def _refuse_null(cfg: HfConfig, said: dict[str, str], accepted: bool) -> None:
    for key, what in said.items():  # null is not the default there
        if key in cfg.data and cfg.data[key] is None:
            how = (f"is accepted by TrainingArguments but {what}" if accepted
                   else f"is refused by TrainingArguments ({what})")
            raise cfg.error(key, f"{key}: null {how}",
                            hint=f"leave the key out for the default, {cfg.defaults.get(key)}, or give one")


def _scheduler_name(cfg: HfConfig) -> str:
    from transformers.trainer_utils import SchedulerType

    name = cfg.get("lr_scheduler_type")
    names = [t.value for t in SchedulerType]
    _refuse_null(cfg, _NULL_REFUSED, accepted=False)
    _refuse_null(cfg, _NULL_FAILS, accepted=True)
    if not isinstance(name, str):  # the Trainer's field holds one name
        kind = {list: "list", dict: "mapping", bool: "boolean"}.get(type(name), "number")
        raise cfg.error("lr_scheduler_type", f"lr_scheduler_type must be one scheduler name, not a {kind}",
                        hint=f"e.g. lr_scheduler_type: cosine (known: {', '.join(names)})")
    if name not in names:
        hint = did_you_mean(str(name), names)
        raise cfg.error("lr_scheduler_type", f"unknown lr_scheduler_type '{name}' (transformers "
                        f"{_version()})", hint=hint or f"known: {', '.join(names)}")
    if name in _METRIC_DRIVEN:
        raise cfg.error("lr_scheduler_type", f"lr_scheduler_type {name} is stepped by the Trainer on "
                        "evaluation metrics, which a config does not hold",
                        hint="draw it as an lrplot spec with 'metric:' (see ReduceLROnPlateau in the README)")
    return name


def _optimizer(cfg: HfConfig, notes: list[str]) -> dict[str, Any]:
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
    if adam and optim in _TORCH_OPTIMIZERS:  # the Trainer passes no betas to others (adafactor)
        _refuse_null(cfg, _ADAM_NULL_FAILS, accepted=True)
    if adam:
        out["betas"] = [float(cfg.number("adam_beta1")), float(cfg.number("adam_beta2"))]
        out["eps"] = float(cfg.number("adam_epsilon", low=0))
    return out


def _source_map(cfg: HfConfig, total_key: str) -> Any:
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
            if path == ("scheduler", "num_warmup_steps"):
                out.names[path] = key  # check's long-warmup names the warmup by the config's key
    for path, loc in src.values.items():
        if path[:1] == ("lr_scheduler_kwargs",) and len(path) > 1:
            out.values[("scheduler", "scheduler_specific_kwargs") + path[1:]] = loc
    return out


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    if not isinstance(doc.data, dict):
        raise SpecError("a TrainingArguments config must be a mapping of keys", location=Location(str(doc.path)))
    try:
        cfg = HfConfig(doc)
    except ImportError as exc:
        from ..errors import MissingLibraryError

        raise MissingLibraryError(f"reading a Hugging Face config needs transformers ({exc})",
                                  package="transformers", location=Location(str(doc.path)),
                                  hint='pip install ".[hf]" in the lrplot checkout') from None
    cfg.check_near_misses()
    return source_of(cfg, inputs, allow_import=allow_import)


def source_of(cfg: HfConfig, inputs: BudgetInputs, *, kind: str = KIND, budget_of: Any = None,
              notes: list[str] | None = None, allow_import: Allowance = None) -> Source:
    """The Source of a config read as the HF Trainer reads it; a neighbour (TRL, LLaMA-Factory)
    passes its own ``HfConfig`` (its dataclass's defaults), ``kind``, an update-count function in
    place of the Trainer's and its notes (first in the summary)."""
    from dataclasses import replace

    from ..spec import spec_from_data

    name = _scheduler_name(cfg)
    notes = list(notes or [])
    kwargs = _scheduler_kwargs(cfg, name, notes)
    budget = (budget_of or _budget_of)(cfg, inputs)
    total, upe, text = budget.updates, budget.updates_per_epoch, budget.text
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
    ds = None
    if cfg.has("deepspeed"):  # its scheduler block, if any, replaces lr_scheduler_type (see hf_deepspeed)
        from .hf_deepspeed import deepspeed_document

        ds = deepspeed_document(cfg.doc, cfg.get("deepspeed"), cfg.where("deepspeed"))
    if cfg.has("auto_find_batch_size") and cfg.get("auto_find_batch_size") is True:
        notes.append(assumption("auto_find_batch_size may lower the batch size at run time, which changes the "
                                "update count", settle="auto_find_batch_size"))
    if name != "constant" and warmup_text:
        text = f"{text}; {warmup_text}"
    if ds is not None:
        from . import hf_deepspeed

        args = {k: cfg.number(k, low=0) for k in ("learning_rate", "adam_beta1", "adam_beta2", "adam_epsilon",
                                                   "weight_decay")}
        args.update(fp16=cfg.flag("fp16") or cfg.flag("fp16_full_eval"), bf16=cfg.flag("bf16") or cfg.flag("bf16_full_eval"))
        return hf_deepspeed.read(cfg.doc, ds, args, replace(budget, text=text, warmup=warmup), warmup, inputs,
                                 allow_import=allow_import, notes=notes)
    spec = spec_from_data(data, _source_map(cfg, budget.decided_by), file=cfg.doc.path)
    return Source(kind, spec, replace(budget, text=text, warmup=warmup), tuple(notes))
