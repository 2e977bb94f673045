"""A DeepSpeed JSON config (``scheduler: {type, params}``, ``optimizer: {type, params}``) as an lrplot spec.

The schedule is DeepSpeed's own: the spec names ``deepspeed.runtime.lr_schedules:<type>``
(LRRangeTest, OneCycle, WarmupLR, WarmupDecayLR, WarmupCosineLR) or, for any other name, torch's
scheduler of that name, with the block's ``params`` as its keyword arguments, exactly as
``DeepSpeedEngine._scheduler_from_config`` builds it (deepspeed 0.19.8, runtime/engine.py:1921-1937:
``scheduler(optimizer, **scheduler_params)``, a DeepSpeed name first, else
``torch.optim.lr_scheduler``). The engine calls ``lr_scheduler.step()`` once per applied optimizer
update (``_take_model_step``, runtime/engine.py:3536-3545; an fp16 overflow skips both the update
and the step), which is the spec's ``interval: step``.

A DeepSpeed config does not hold the run length: ``total_num_steps`` of WarmupDecayLR and
WarmupCosineLR is it; for the other schedules it is asked for (``--set
scheduler.params.total_num_steps=N``, used as the length to draw and not passed to a class that does
not take it). ``"auto"`` values are HF Trainer's to fill (see :mod:`lrplot.sources.hf_deepspeed`):
standalone, each is asked for by name.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from ..errors import SpecError
from ..budget import SAMPLES_PER_UPDATE
from .protocol import Budget, Source, Told, assumption, budget_number, needs

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from ..yamlio import SourceMap
    from .protocol import BudgetInputs, Document

KIND = "deepspeed"
LOOKS_FOR = "a DeepSpeed JSON: a scheduler block with keys such as train_batch_size, zero_optimization, fp16"
FOLLOWS = "deepspeed 0.19.8 (DeepSpeedEngine)"
DOCS = "docs/frameworks/deepspeed.rst"  # README's table links the kind to it
MODULE = "deepspeed.runtime.lr_schedules"
DEEPSPEED_SCHEDULES = ("LRRangeTest", "OneCycle", "WarmupLR", "WarmupDecayLR", "WarmupCosineLR")
TAKES_TOTAL = ("WarmupDecayLR", "WarmupCosineLR")
# Keys only a DeepSpeed config has at its top level (an lrplot spec has none of them).
DS_KEYS = ("train_batch_size", "train_micro_batch_size_per_gpu", "zero_optimization", "fp16", "bf16",
           "gradient_accumulation_steps", "gradient_clipping", "steps_per_print", "zero_allow_untested_optimizer",
           "wall_clock_breakdown", "amp", "activation_checkpointing")
TOTAL = "scheduler.params.total_num_steps"
# DeepSpeed optimizer names -> the torch optimizer lrplot steps (DeepSpeed's Adam is AdamW unless
# adam_w_mode is false: FusedAdam/DeepSpeedCPUAdam default adam_w_mode=True).
OPTIMIZERS = {"adam": "AdamW", "adamw": "AdamW", "sgd": "SGD", "adagrad": "Adagrad"}


# Keys of DeepSpeed's JSON that no TrainingArguments, timm or Hydra file has: one of them in a JSON is DeepSpeed's,
# scheduler block or not (DeepSpeedExamples' training/MoQ/test.json has only fp16, gradient_clipping, steps_per_print).
DS_ONLY = ("steps_per_print", "gradient_clipping", "zero_allow_untested_optimizer", "wall_clock_breakdown",
           "train_micro_batch_size_per_gpu", "zero_optimization")


def detect(doc: Document) -> bool:
    data = doc.data
    return isinstance(data, dict) and any(k in data for k in DS_KEYS) and (
        isinstance(data.get("scheduler"), dict) or "optimizer" in data or "zero_optimization" in data
        or doc.path.suffix == ".json" and any(k in data for k in DS_ONLY))


def _auto(doc: Document, path: tuple, what: str) -> SpecError:
    key = ".".join(path)
    return SpecError(f"{key} is \"auto\": HF's Trainer fills it ({what}), and a DeepSpeed config read alone has no "
                     "value for it", location=doc.source.value(path),
                     hint=f"read the HF config that names this file (its deepspeed: key), or --set {key}=VALUE")


def scheduler_class(doc: Document, name: Any) -> str:
    """The spec's type for the block's ``type``: DeepSpeed's class, else torch's of that name."""
    from ..families import builtin_schedulers
    from ..text import did_you_mean

    if name in DEEPSPEED_SCHEDULES:
        return f"{MODULE}:{name}"
    if isinstance(name, str) and name in builtin_schedulers():
        return name
    known = [*DEEPSPEED_SCHEDULES, *builtin_schedulers()]
    hint = did_you_mean(str(name), known)
    raise SpecError(f"scheduler.type {name!r} is neither a DeepSpeed schedule nor a torch scheduler (DeepSpeed "
                    "would fail: 'DeepSpeed does not recognize LR scheduler')", location=doc.source.value(("scheduler", "type")),
                    hint=hint or f"use one of {', '.join(DEEPSPEED_SCHEDULES)}")


def _optimizer(doc: Document, data: dict, reads_lr: bool) -> tuple[dict, list[str]]:
    block = data.get("optimizer")
    notes: list[str] = []
    if not isinstance(block, dict):
        if reads_lr:
            raise needs(doc, "the optimizer's lr (the schedule starts from it; with no optimizer block the training "
                             "script's optimizer sets it)", "--set optimizer.params.lr=LR", ("scheduler", "type"))
        notes.append("no optimizer block: the script's optimizer is stepped as an AdamW (this schedule sets the lr "
                     "itself, so its curve does not depend on it)")
        return {"type": "AdamW", "lr": 1e-3}, notes
    params = block.get("params") if isinstance(block.get("params"), dict) else {}
    name = str(block.get("type", "Adam"))
    torch_name = OPTIMIZERS.get(name.lower())
    if name.lower() == "adam" and params.get("adam_w_mode") is False:
        torch_name = "Adam"
    if torch_name is None:
        notes.append(f"optimizer {name} is DeepSpeed's own; lrplot steps the schedule on a torch AdamW "
                     "(DeepSpeed's schedules read only the lr, betas and momentum of its param groups)")
        torch_name = "AdamW"
    out: dict[str, Any] = {"type": torch_name}
    for key in ("lr", "weight_decay", "betas", "momentum", "eps"):
        if key not in params:
            continue
        if params[key] == "auto":
            raise _auto(doc, ("optimizer", "params", key), "from TrainingArguments")
        if key == "betas" and torch_name in ("Adam", "AdamW"):
            out[key] = list(params[key])
        elif key == "momentum" and torch_name == "SGD":
            out[key] = budget_number(params[key], "optimizer.params.momentum", doc.source.value(("optimizer", "params", key)), low=0)
        elif key in ("lr", "weight_decay"):
            out[key] = budget_number(params[key], f"optimizer.params.{key}",
                                     doc.source.value(("optimizer", "params", key)), low=0)
    if "lr" not in out:
        if reads_lr:
            raise needs(doc, "the optimizer's lr (optimizer.params has none)", "--set optimizer.params.lr=LR",
                        ("optimizer",))
        out["lr"] = 1e-3
    return out, notes


def _reads_lr(name: str, params: dict) -> bool:
    """The schedule starts from the optimizer's lr (rather than setting every lr itself)."""
    if name == "WarmupLR":
        return params.get("warmup_max_lr") is None
    return name not in ("WarmupDecayLR", "OneCycle", "LRRangeTest")


def _source_map(doc: Document) -> SourceMap:
    """Where each key of the generated spec comes from in the JSON."""
    from ..yamlio import SourceMap

    src = doc.source
    out = SourceMap(src.path)
    moves = {("scheduler", "params"): ("scheduler",), ("optimizer", "params"): ("optimizer",)}
    for table_in, table_out in ((src.values, out.values), (src.keys, out.keys), (src.text_start, out.text_start)):
        for path, loc in table_in.items():
            if path[:2] in moves:
                table_out[moves[path[:2]] + path[2:]] = loc
            elif path[:1] in (("scheduler",), ("optimizer",), ()):
                table_out.setdefault(path, loc)
    out.values[("steps",)] = src.value(("scheduler", "params", "total_num_steps"))
    # a finding's advice names the JSON's own keys: the scheduler's arguments are its params
    params = doc.data["scheduler"].get("params") or {}
    out.names.update({("scheduler", key): f"scheduler.params.{key}" for key in params})
    out.advice[("steps",)] = (f"the run is {TOTAL} updates: does the scheduler's own length (its params) "
                              "match it?")
    return out


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from ..spec import spec_from_data

    data = doc.data
    block = data.get("scheduler") if isinstance(data, dict) else None
    if not isinstance(block, dict):
        raise SpecError("this DeepSpeed config has no scheduler block: the training script passes its own scheduler "
                        "to deepspeed.initialize (or HF's Trainer builds its own)", location=doc.source.value(()),
                        hint="draw that scheduler instead, or add a scheduler: {type, params} block")
    name = block.get("type")
    params = dict(block.get("params") or {})
    if not isinstance(block.get("params", {}), dict):
        raise SpecError("scheduler.params must be a mapping of the schedule's arguments",
                        location=doc.source.value(("scheduler", "params")), hint="e.g. {\"warmup_num_steps\": 1000}")
    sched_type = scheduler_class(doc, name)
    for key, value in params.items():
        if value == "auto":
            raise _auto(doc, ("scheduler", "params", key), "num_training_steps and warmup steps, learning_rate")
    set_total = any(o.partition("=")[0].strip() == TOTAL for o in doc.overrides)
    if "total_num_steps" not in params:
        raise needs(doc, f"the number of updates to draw ({name} has no total_num_steps: the training script decides "
                         "the run length)", f"--set {TOTAL}=N", ("scheduler", "type"))
    where = doc.source.value(("scheduler", "params", "total_num_steps"))
    total = budget_number(params["total_num_steps"], TOTAL, where, integer=True, positive=True,
                          hint=f"--set {TOTAL}=N")
    if name not in TAKES_TOTAL:
        if not set_total:
            raise SpecError(f"{name} takes no total_num_steps (DeepSpeed would fail: {name}() got an unexpected "
                            "keyword argument 'total_num_steps')", location=doc.source.key(("scheduler", "params",
                                                                                           "total_num_steps")),
                            hint=f"remove it from the file, and give the length to draw with --set {TOTAL}=N")
        del params["total_num_steps"]  # the length to draw, not an argument of this class
    optimizer, notes = _optimizer(doc, data, _reads_lr(str(name), params))
    fp16 = data.get("fp16")
    if isinstance(fp16, dict) and fp16.get("enabled") in (True, "auto"):
        dynamic = fp16.get("loss_scale", 0) == 0
        notes.append(assumption(
            f"fp16{' dynamic loss scaling' if dynamic else ''}: DeepSpeed's engine skips lr_scheduler.step() on every "
            "update whose gradients overflow; lrplot assumes none does (each skipped update shifts the rest of the "
            "curve one update later)", settle="fp16.enabled"))
    notes += _what_deepspeed_says(str(name), params, optimizer)
    if name in DEEPSPEED_SCHEDULES:
        _import_quietly()
    spec_data: dict[str, Any] = {
        "title": f"DeepSpeed {name}: {doc.path.name}",
        "steps": total,
        "optimizer": optimizer,
        "scheduler": {"type": sched_type, **params},
    }
    spec = spec_from_data(spec_data, _source_map(doc), file=doc.path)
    warmup = params.get("warmup_num_steps")
    text = (f"{TOTAL} {total} = {total} updates (one lr_scheduler.step() per applied update)"
            + (f"; warmup_num_steps {warmup}" if isinstance(warmup, int) else ""))
    told = (Told("total updates", total, "--set " + TOTAL if set_total else TOTAL), *_global_batch(data, inputs))
    budget = Budget(text, total, told=told, decided_by=TOTAL, where=where)
    return Source(KIND, spec, budget, tuple(notes))


def _global_batch(data: dict, inputs: BudgetInputs) -> tuple[Told, ...]:
    """The samples one update takes, where the config fixes it: the step of the monitor's ``Train/Samples/*``
    logs (``global_samples += train_batch_size()`` per update, runtime/engine.py:3565), which verify reads
    with it. ``train_batch_size`` where given (DeepSpeed asserts it is micro-batch x accumulation x world size,
    runtime/config.py:602), else ``train_micro_batch_size_per_gpu x gradient_accumulation_steps`` (1 when
    absent) x the world size (runtime/config.py:632-645), known only with ``--devices``. A value that is not
    a whole number >= 1 fixes nothing (DeepSpeed refuses it; the curve does not depend on it)."""
    def whole(key: str) -> int | None:
        value = data.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None

    if whole("train_batch_size") is not None:
        return (Told(SAMPLES_PER_UPDATE, whole("train_batch_size"), "train_batch_size"),)
    micro, accumulation = whole("train_micro_batch_size_per_gpu"), whole("gradient_accumulation_steps")
    if micro is None or inputs.devices is None or "train_batch_size" in data or (
            "gradient_accumulation_steps" in data and accumulation is None):
        return ()
    return (Told(SAMPLES_PER_UPDATE, micro * (accumulation or 1) * inputs.devices,
                 "train_micro_batch_size_per_gpu x gradient_accumulation_steps x --devices"),)


def _what_deepspeed_says(name: str, params: dict, optimizer: dict) -> list[str]:
    """What DeepSpeed's schedules log from their constructors about this config (on stdout, which
    :func:`_said_otherwise` keeps clean), said as the config's notes instead."""
    notes = []
    warmup_type = params.get("warmup_type")
    if name in ("WarmupLR", "WarmupDecayLR", "WarmupCosineLR") and warmup_type is not None \
            and warmup_type not in ("log", "linear"):  # lr_schedules.py:745-749, :883-887
        notes.append(f"warmup_type {warmup_type!r}: DeepSpeed knows log and linear; it warns and warms up as log, "
                     "as drawn here")
    if name == "OneCycle" and params.get("cycle_momentum", True) and optimizer["type"] not in ("Adam", "AdamW"):
        notes.append(f"OneCycle cycles momentum only for an optimizer with betas (lr_schedules.py:563-569): "
                     f"with {optimizer['type']} DeepSpeed turns cycle_momentum off")
    return notes


def _import_quietly() -> None:
    """Import DeepSpeed's schedules without its accelerator-detection warning on stderr (lrplot uses
    only the schedule classes, which need torch alone); the environment is left as it was."""
    import sys

    if MODULE in sys.modules:
        return
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)  # its loggers are made (with their levels) by the import itself
    try:
        from deepspeed.utils import logger
    finally:
        logging.disable(previous)
    logger.addFilter(_said_otherwise)


def _said_otherwise(record: logging.LogRecord) -> bool:
    """Keep DeepSpeed's log off stdout (its logger prints there, where ``--json``, ``--print-spec`` and
    ``-o -`` write). Dropped: the warning every schedule logs (its ``get_lr`` runs before any ``step()``:
    lr_schedules.py, WarmupLR.get_lr), which says nothing about the run; WarmupDecayLR's and
    WarmupCosineLR's ``total_num_steps N is less than warmup_num_steps M`` (:826-828, :893-895), which
    check's long-warmup says as one located line; an unknown warmup_type and OneCycle's momentum left
    alone, which the config's notes say. Any other warning is a Python warning (stderr); info is dropped."""
    message = str(record.msg)
    if (message.startswith(("Attempting to get learning rate from scheduler before it has started",
                            "Using unknown warmup_type: ", "cycle_momentum is disabled because optimizer "))
            or re.fullmatch(r"total_num_steps \S+ is less than warmup_num_steps \S+", message) is not None):
        return False  # said otherwise: check's long-warmup, or the config's notes (_what_deepspeed_says)
    if record.levelno >= logging.WARNING:  # any other: a warning line on stderr, never on stdout
        import warnings

        warnings.warn(f"DeepSpeed: {record.getMessage()}", RuntimeWarning, stacklevel=2)
    return False
