"""axolotl configs (``axolotl train x.yaml``) -> Spec: axolotl's update count and warmup, then the HF Trainer.

Read from axolotl at commit 067b021c8b87a9e5e380b9173c704cf7340e30f5 (files under src/axolotl/):

* the update count: ``utils/data/sft.py`` lines 114-121: ``total_num_steps`` = ``calculate_total_num_steps``,
  capped by ``max_steps`` (``min``); without sample packing that is ``ceil(len(train_dataset) x num_epochs /
  batch_size)`` (``utils/trainer.py`` lines 519-522), ``batch_size`` = ``micro_batch_size x
  gradient_accumulation_steps`` (``utils/config/__init__.py`` lines 202-207) x the data-parallel world size
  (lines 222-230: world size // context_parallel_size // tensor_parallel_size); a config giving ``batch_size``
  (with micro_batch_size) divides by it x the world size, and trains without accumulation: the schema's default
  gradient_accumulation_steps 1 (``utils/schemas/training.py`` line 71) is kept by ``normalize_config``'s
  ``gradient_accumulation_steps or batch_size // micro_batch_size``. Preference RL (dpo, kto,
  orpo, ...) counts the same, without the ``max_steps`` cap (``common/datasets.py`` lines 121-124). With
  ``sample_packing`` the count is an estimate from the tokenized data (``utils/trainer.py`` lines 444-518):
  asked for;
* the Trainer then runs exactly that many updates: ``max_steps = cfg.max_steps or total_num_steps``
  (``core/builders/base.py`` line 677), and builds its scheduler over them;
* the warmup (``core/builders/base.py`` lines 235-268): ``warmup_steps`` if given, else ``int(warmup_ratio x
  total)``, else ``min(int(0.03 x total), 100)``; a warmup of 1 becomes 2;
* the schedule (``core/builders/base.py`` lines 280-290, ``core/trainers/mixins/scheduler.py`` lines 38-150):
  ``lr_scheduler`` (default cosine) is the HF ``lr_scheduler_type``; ``one_cycle`` is torch's OneCycleLR
  (``max_lr=learning_rate``, ``pct_start = warmup / total``, ``anneal_strategy="cos"``); ``rex``, cosine with
  ``lr_quadratic_warmup`` or a non-zero ``cosine_min_lr_ratio`` (with ``cosine_constant_lr_ratio``) are
  axolotl's own scheduler code, built as ``SchedulerMixin.create_scheduler`` builds them (lines 82-122) and
  run from ``axolotl.utils.schedulers`` itself (a module that needs only torch: ``pip install --no-deps
  axolotl`` keeps lrplot's torch; axolotl's pins do not install beside it). ``jagged_restart_steps`` (a
  wrapper of another scheduler, lines 134-150) is refused.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..errors import Location, SpecError
from .axolotl_keys import COMMIT, KEYS, READ
from .protocol import Budget, Document, Note, Told, assumption, budget_number, world_size

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Source

KIND = "axolotl"
FOLLOWS = f"axolotl {COMMIT[:9]} (calculate_total_num_steps, its warmup and scheduler choice), then the HF Trainer"
DOCS = "docs/frameworks/axolotl.rst"  # README's table links the kind to it
LOOKS_FOR = "axolotl keys such as micro_batch_size, num_epochs, sequence_len, base_model"

# the keys whose near-misses are typos (a misspelt schedule key would silently change the curve)
SCHEDULE = ("micro_batch_size", "gradient_accumulation_steps", "num_epochs", "learning_rate", "lr_scheduler",
            "lr_scheduler_kwargs", "warmup_steps", "warmup_ratio", "max_steps", "sample_packing",
            "cosine_min_lr_ratio", "cosine_constant_lr_ratio", "lr_quadratic_warmup", "optimizer", "weight_decay")
OWN_CODE = {"rex": "RexLR", "lr_quadratic_warmup": "get_cosine_schedule_with_quadratic_warmup",
            "cosine_min_lr_ratio": "get_cosine_schedule_with_min_lr",
            "cosine_constant_lr_ratio": "get_cosine_schedule_with_warmup_decay_constant",
            "jagged_restart_steps": "JaggedLRRestartScheduler"}
OWN_LR = ("lr_groups", "embedding_lr", "embedding_lr_scale", "loraplus_lr_ratio")  # groups with their own lr


def detect(doc: Document) -> bool:
    data = doc.data
    if not isinstance(data, dict):
        return False
    signs = sum(k in data for k in ("micro_batch_size", "num_epochs", "sequence_len", "base_model", "sample_packing"))
    return signs >= 2  # Megatron's YAML has micro_batch_size too, but none of the others


def _get(doc: Document, key: str) -> Any:
    value = doc.data.get(key)
    return READ[key][0] if value is None and key in READ else value


def _where(doc: Document, key: str) -> Location:
    return doc.source.value((key,)) if key in doc.data else Location(str(doc.path))


def _error(doc: Document, key: str, message: str, hint: str | None = None) -> SpecError:
    return SpecError(message, hint=hint, location=_where(doc, key))


def _number(doc: Document, key: str, *, integer: bool = False, positive: bool = False, low: float | None = None):
    value = _get(doc, key)
    if key == "learning_rate" and isinstance(value, str):  # the schema converts it (schemas/training.py:280-285)
        try:
            value = float(value)
        except ValueError:
            pass
    if value is ...:
        raise _error(doc, key, f"{key} is required by axolotl's schema", hint=f"set {key}")
    return budget_number(value, key, _where(doc, key), integer=integer, positive=positive, low=low)


def _check_keys(doc: Document, notes: list) -> None:
    """A key of none of axolotl's models is a typo when the axolotl key it is closest to is a schedule key
    (``warmup_ration``); otherwise (``adam_eps``, closest to adam_epsilon) it is listed in a note."""
    import difflib

    from ..text import TYPO_RATIO, did_you_mean

    unknown = []
    for key in doc.data:
        if not isinstance(key, str) or key in KEYS:
            continue
        closest = difflib.get_close_matches(key, sorted(KEYS), n=1, cutoff=TYPO_RATIO)
        if closest and closest[0] in SCHEDULE:
            raise SpecError(f"'{key}' is not an axolotl key", hint=did_you_mean(key, closest),
                            location=doc.source.key((key,)))
        unknown.append(key)
    if unknown:
        notes.append(Note(f"keys not of axolotl's config schema ({COMMIT[:9]}), left to axolotl (its validation may "
                          f"refuse them): {', '.join(unknown)}"))


def _refusals(doc: Document) -> None:
    rl = doc.data.get("rl")
    # axolotl leaves total_num_steps unset for these: the Trainer runs max_steps (core/builders/base.py:686) and
    # warmup_steps is passed as given (:240-241); a warmup_ratio would go to transformers' own rounding instead
    if rl in ("grpo", "gdpo", "ebft") and (_get(doc, "max_steps") is None or _get(doc, "warmup_steps") is None):
        raise _error(doc, "rl", f"rl: {rl} counts its updates over TRL's generation sampler (axolotl leaves "
                     "total_num_steps unset for it), which lrplot's axolotl reader does not reproduce",
                     hint="set max_steps and warmup_steps (what the run then uses as given), or draw it as an lrplot "
                          "spec with steps: its update count")
    for key in OWN_LR:
        if doc.data.get(key) is not None:
            raise _error(doc, key, f"{key} gives some param groups their own lr, which lrplot's axolotl reader does "
                         "not draw", hint="draw it as an lrplot spec with param_groups")
    if doc.data.get("batch_size") and doc.data.get("gradient_accumulation_steps"):  # validation.py:272-279
        raise _error(doc, "batch_size", "axolotl refuses batch_size beside gradient_accumulation_steps: 'please set "
                     "only one of gradient_accumulation_steps or batch_size'", hint="remove one of the two")
    if doc.data.get("batch_size") and not doc.data.get("micro_batch_size"):  # validation.py:218-226
        raise _error(doc, "batch_size", "axolotl refuses batch_size without micro_batch_size: 'At least two of "
                     "micro_batch_size, gradient_accumulation_steps, batch_size must be set'",
                     hint="set micro_batch_size")
    if doc.data.get("optimizer") == "dion":
        raise _error(doc, "optimizer", "optimizer dion gives its groups dion_lr besides learning_rate, which lrplot's "
                     "axolotl reader does not draw", hint="draw it as an lrplot spec with param_groups")


def _own_scheduler(doc: Document) -> str | None:
    """The key that makes axolotl build its own scheduler (SchedulerMixin.create_scheduler), if any."""
    name = _get(doc, "lr_scheduler") or "cosine"
    if name == "rex":
        return "rex"
    if name == "cosine" and _get(doc, "lr_quadratic_warmup") is True:
        return "lr_quadratic_warmup"
    if name == "cosine" and _get(doc, "cosine_min_lr_ratio"):
        return "cosine_constant_lr_ratio" if _get(doc, "cosine_constant_lr_ratio") else "cosine_min_lr_ratio"
    if _get(doc, "jagged_restart_steps"):
        return "jagged_restart_steps"
    return None


def count(doc: Document, inputs: BudgetInputs, notes: list) -> Budget:
    """total_num_steps as axolotl computes it (see the module docstring)."""
    max_steps = _get(doc, "max_steps")
    if max_steps is not None:
        max_steps = _number(doc, "max_steps", integer=True, positive=True)
    micro = _number(doc, "micro_batch_size", integer=True, positive=True)
    accumulation = _number(doc, "gradient_accumulation_steps", integer=True, positive=True)
    epochs = _number(doc, "num_epochs", positive=True)
    devices, told_devices = world_size(inputs)
    if devices > 1 and doc.data.get("ddp") is False and not (doc.data.get("fsdp") or doc.data.get("fsdp_config")):
        notes.append(Note(f"ddp: false without fsdp: axolotl counts the updates with one process's batch, not "
                          f"x {devices} processes (utils/config/__init__.py:224)"))
        devices = 1
    if devices > 1:
        for key in ("context_parallel_size", "tensor_parallel_size"):
            if doc.data.get(key):
                devices //= _number(doc, key, integer=True, positive=True)
    given = doc.data.get("batch_size")  # 0 or null: micro_batch_size x accumulation (utils/config/__init__.py:205-207)
    if given:
        given = _number(doc, "batch_size", integer=True, positive=True)
        notes.append(Note(f"batch_size {given} counts the updates; the Trainer steps after every micro-batch: "
                          f"axolotl's schema fills gradient_accumulation_steps with its default 1 "
                          f"({READ['gradient_accumulation_steps'][1]}), which normalize_config keeps"))
    batch = (given or micro * accumulation) * devices
    told = (Told("batch size", micro, "micro_batch_size"), Told("accumulation", accumulation,
                                                                 "gradient_accumulation_steps"),
            Told("devices", devices, told_devices.origin))
    rl = doc.data.get("rl") is not None
    streams = doc.data.get("streaming") or doc.data.get("pretraining_dataset")
    if streams or _get(doc, "sample_packing") and not rl:
        key = "sample_packing" if not streams else "streaming" if doc.data.get("streaming") else "pretraining_dataset"
        if max_steps is None:
            why = ("sample_packing: true packs examples into sequence_len bins and axolotl estimates the update count "
                   "from the tokenized data (utils/trainer.py calculate_total_num_steps), which lrplot does not read"
                   if key == "sample_packing" else f"{key}: a streamed dataset has no length; axolotl needs max_steps")
            raise _error(doc, key, why, hint="set the run's update count: --set max_steps=N (axolotl logs it: "
                                             "'Maximum number of steps set at N')")
        if key == "sample_packing":
            notes.append(assumption(f"sample_packing: read as max_steps {max_steps} updates; axolotl trains "
                                    "min(its packed estimate, max_steps)", settle="max_steps"))
        return Budget(f"max_steps = {max_steps} updates", max_steps, told=told, decided_by="max_steps",
                      where=_where(doc, "max_steps"))
    if inputs.dataset_size is None:
        if max_steps is not None and not rl:
            notes.append(assumption(f"read as max_steps {max_steps} updates; axolotl trains min(ceil(examples x "
                                    "num_epochs / batch), max_steps)", settle="--dataset-size"))
            return Budget(f"max_steps = {max_steps} updates", max_steps, told=told, decided_by="max_steps",
                          where=_where(doc, "max_steps"))
        if max_steps is not None:  # preference RL: max_steps is the count (core/builders/base.py:677)
            return Budget(f"max_steps = {max_steps} updates", max_steps, told=told, decided_by="max_steps",
                          where=_where(doc, "max_steps"))
        raise _error(doc, "num_epochs", "needs the training-set size",
                     hint="add --dataset-size N (len(train_dataset) after axolotl's preprocessing; axolotl logs the "
                          "update count it derives: 'Maximum number of steps set at N')")
    if isinstance(_get(doc, "val_set_size"), (int, float)) and _get(doc, "val_set_size") > 0:
        notes.append(assumption(f"--dataset-size is read as the training split left after val_set_size "
                                f"{_get(doc, 'val_set_size'):g}", settle="--dataset-size"))
    n = inputs.dataset_size
    computed = math.ceil(n * epochs / batch)
    per_device = f"batch_size {given}" if given else f"micro_batch_size {micro} x accumulation {accumulation}"
    text = (f"{n} examples x {epochs:g} epoch{'' if epochs == 1 else 's'} / ({per_device} x {devices} "
            f"device{'' if devices == 1 else 's'}) = {computed} update{'' if computed == 1 else 's'}")
    told += (Told("dataset size", n, "--dataset-size"),)
    if max_steps is not None and rl:
        return Budget(f"{text}; max_steps = {max_steps} updates", max_steps, told=told, decided_by="max_steps",
                      where=_where(doc, "max_steps"))
    # the global batch is micro x accumulation x world size (utils/config/__init__.py lines 202-230)
    world = (f"the global batch is {'batch_size' if given else 'micro_batch_size x accumulation'} x the "
             "data-parallel world size")
    if max_steps is not None and max_steps < computed:
        return Budget(f"{text}; max_steps = {max_steps} updates", max_steps, told=told, decided_by="max_steps",
                      where=_where(doc, "max_steps"), world=world + ", and fewer updates than max_steps can result")
    return Budget(text, computed, told=told, decided_by="num_epochs", where=_where(doc, "num_epochs"), world=world)


def warmup(doc: Document, total: int) -> tuple[int, str]:
    """``_configure_warmup_and_logging`` (core/builders/base.py lines 238-257), with the total known."""
    if _get(doc, "warmup_steps") is not None:
        value = _get(doc, "warmup_steps")
        if isinstance(value, float) and not value.is_integer():
            raise _error(doc, "warmup_steps", f"warmup_steps must be a whole number, not {value!r}: axolotl's schema "
                         f"takes an int ({READ['warmup_steps'][1]})", hint=f"for a ratio write warmup_ratio: {value!r}")
        steps, text = _number(doc, "warmup_steps", integer=True, low=0), "warmup_steps"
    elif _get(doc, "warmup_ratio") is not None:
        ratio = _number(doc, "warmup_ratio", low=0)
        steps, text = max(int(ratio * total), 0), f"int(warmup_ratio {ratio:g} x {total})"
    else:
        steps, text = min(int(0.03 * total), 100), f"axolotl's default min(int(0.03 x {total}), 100)"
    if steps == 1:
        steps, text = 2, f"{text} = 1, which axolotl makes 2"
    return steps, f"warmup {steps} updates: {text}"


def _translated(doc: Document, total: int, warm: int) -> Document:
    """The TrainingArguments axolotl builds (core/builders/base.py lines 612-690), as a document the HF
    reader reads, its keys located at the axolotl keys they come from."""
    from transformers.training_args import OptimizerNames

    from ..yamlio import SourceMap

    name = _get(doc, "lr_scheduler") or "cosine"
    data: dict[str, Any] = {
        "learning_rate": _number(doc, "learning_rate", low=0), "max_steps": total, "warmup_steps": warm,
        "lr_scheduler_type": "cosine" if name in ("one_cycle", "rex") else name,  # base.py:281-283
        "lr_scheduler_kwargs": _get(doc, "lr_scheduler_kwargs") or {},
        "per_device_train_batch_size": _get(doc, "micro_batch_size"),
        "gradient_accumulation_steps": _get(doc, "gradient_accumulation_steps"),
        "weight_decay": _get(doc, "weight_decay") or 0.0,
        "optim": _get(doc, "optimizer") if _get(doc, "optimizer") in {o.value for o in OptimizerNames} else "adamw_torch",
    }
    for key in ("adam_beta1", "adam_beta2", "adam_epsilon", "deepspeed"):
        if doc.data.get(key) is not None:
            data[key] = doc.data[key]
    links = {"learning_rate": "learning_rate", "max_steps": "max_steps" if "max_steps" in doc.data else "num_epochs",
             "warmup_steps": "warmup_steps" if "warmup_steps" in doc.data else "warmup_ratio",
             "lr_scheduler_type": "lr_scheduler", "lr_scheduler_kwargs": "lr_scheduler_kwargs",
             "per_device_train_batch_size": "micro_batch_size", "optim": "optimizer",
             "gradient_accumulation_steps": "gradient_accumulation_steps", "weight_decay": "weight_decay",
             "adam_beta1": "adam_beta1", "adam_beta2": "adam_beta2", "adam_epsilon": "adam_epsilon",
             "deepspeed": "deepspeed"}
    source = SourceMap(doc.source.path)
    for hf_key, key in links.items():
        if key in doc.data:
            source.values[(hf_key,)] = doc.source.value((key,))
            source.keys[(hf_key,)] = doc.source.key((key,))
    return Document(doc.path, doc.text, data, source, doc.overrides)


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from dataclasses import replace

    from .hf import source_of
    from .hf_config import HfConfig
    from .hf_deepspeed import run_folder_path

    if not isinstance(doc.data, dict):
        raise SpecError("an axolotl config must be a mapping of keys", location=Location(str(doc.path)))
    notes: list[str] = []
    _check_keys(doc, notes)
    _refusals(doc)
    own = _own_scheduler(doc)
    if own == "jagged_restart_steps":
        raise _error(doc, own if own in doc.data else "lr_scheduler",
                     f"{own} makes axolotl wrap its scheduler in {OWN_CODE[own]} (axolotl/utils/schedulers.py, "
                     "core/trainers/mixins/scheduler.py:134-150), which lrplot's axolotl reader does not draw",
                     hint=f"draw it as an lrplot spec, or compare with --set {own}=null")
    if doc.data.get("plugins"):
        notes.append(assumption("plugins: assumed not to create the lr scheduler (axolotl asks each plugin first, "
                                "PluginManager.create_lr_scheduler)", settle="plugins"))
    if _get(doc, "optimizer") not in (None, "adamw_torch_fused"):
        from transformers.training_args import OptimizerNames

        if _get(doc, "optimizer") not in {o.value for o in OptimizerNames}:
            notes.append(f"optimizer {_get(doc, 'optimizer')} is axolotl's own; its groups are assumed to start at "
                         "learning_rate, drawn on torch AdamW")
    budget = count(doc, inputs, notes)
    warm, warm_text = warmup(doc, budget.updates)
    hf_doc = _translated(doc, budget.updates, warm)
    found = run_folder_path(doc, hf_doc.data.get("deepspeed"))
    if found is not None:
        notes.append(assumption(f"deepspeed: {hf_doc.data['deepspeed']} is read from {found} (axolotl opens it "
                                "relative to the folder it runs in)", settle="deepspeed"))
        hf_doc.data["deepspeed"] = str(found)
    cfg = HfConfig(hf_doc)
    notes.append(warm_text)
    source = source_of(cfg, inputs, kind=KIND, budget_of=lambda _cfg, _inputs: budget, notes=notes,
                       allow_import=allow_import)
    if (_get(doc, "lr_scheduler") or "cosine") == "one_cycle" and source.spec.scheduler.type.endswith("get_scheduler"):
        source = replace(source, spec=_one_cycle(doc, source.spec, budget.updates, warm))
    if own is not None:
        if not source.spec.scheduler.type.endswith("get_scheduler"):  # DeepSpeed's config built the scheduler
            source = replace(source, notes=(*source.notes, f"{own} is not used: the scheduler is the deepspeed "
                                            "config's (axolotl builds its own only where none exists, "
                                            "core/trainers/mixins/scheduler.py:56)"))
        else:
            source = replace(source, spec=_own(doc, own, source.spec, budget.updates, warm))
    return replace(source, kind=KIND)


def _own(doc: Document, own: str, spec: Any, total: int, warm: int) -> Any:
    """axolotl's own scheduler as SchedulerMixin.create_scheduler builds it (core/trainers/mixins/scheduler.py
    lines 38-46 and 82-122; get_warmup_steps gives the warmup axolotl set as warmup_steps)."""
    from ..spec.models import SchedulerNode

    lr = float(_number(doc, "learning_rate", low=0))
    ratios = {}
    for key in ("cosine_min_lr_ratio", "cosine_constant_lr_ratio"):
        value = _get(doc, key)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if value is not None and not (number and 0 <= value <= 1):
            raise _error(doc, key, f"{key} is {value!r}; axolotl asserts it is between 0.0 and 1.0 "
                         "(core/trainers/mixins/scheduler.py:84, 106-107, 116)",
                         hint=f"set {key} to a number in [0, 1]")
        ratios[key] = value
    where = "axolotl.utils.schedulers:"
    if own == "rex":  # use_cosine_min_lr: lr_scheduler_type is 'cosine' for rex (core/builders/base.py:281-283)
        ratio = ratios["cosine_min_lr_ratio"]
        node = {"type": where + "RexLR", "max_lr": lr, "min_lr": 0 if ratio is None else lr * ratio,
                "total_steps": total, "num_warmup_steps": warm}
    elif own == "lr_quadratic_warmup":
        node = {"type": where + "get_cosine_schedule_with_quadratic_warmup", "num_warmup_steps": warm,
                "num_training_steps": total}
    elif own == "cosine_constant_lr_ratio":
        node = {"type": where + "get_cosine_schedule_with_warmup_decay_constant", "num_warmup_steps": warm,
                "num_training_steps": total, "min_lr_ratio": ratios["cosine_min_lr_ratio"],
                "constant_lr_ratio": ratios["cosine_constant_lr_ratio"]}
    else:
        node = {"type": where + "get_cosine_schedule_with_min_lr", "num_warmup_steps": warm,
                "num_training_steps": total, "min_lr_ratio": ratios["cosine_min_lr_ratio"]}
    return spec.model_copy(update={"scheduler": SchedulerNode.model_validate(node)})


def _one_cycle(doc: Document, spec: Any, total: int, warm: int) -> Any:
    """torch's OneCycleLR as SchedulerMixin builds it (core/trainers/mixins/scheduler.py lines 67-82)."""
    from ..spec.models import SchedulerNode

    kwargs = dict(_get(doc, "lr_scheduler_kwargs") or {})
    node = {"type": "OneCycleLR", "max_lr": float(_number(doc, "learning_rate", low=0)), "total_steps": total}
    if "pct_start" not in kwargs:
        node["pct_start"] = warm / total
    if "anneal_strategy" not in kwargs:
        node["anneal_strategy"] = "cos"
    return spec.model_copy(update={"scheduler": SchedulerNode.model_validate({**node, **kwargs})})
