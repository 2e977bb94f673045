"""An HF TrainingArguments config whose ``deepspeed:`` JSON has a scheduler block: DeepSpeed's schedule, with
the values HF's DeepSpeed integration fills.

Read from transformers 5.23.0, src/transformers/integrations/deepspeed.py:

* ``deepspeed_optim_sched`` (lines 559-610): with a ``scheduler`` block in the DeepSpeed config, the Trainer
  makes a ``DummyScheduler`` and DeepSpeed's engine builds the block's scheduler (lines 592-593);
  without one, HF's own ``lr_scheduler_type`` applies (lines 594-608), as lrplot's HF reader draws it.
* ``HfTrainerDeepSpeedConfig.trainer_config_process`` (lines 136-192) fills ``"auto"``:
  ``optimizer.params.lr`` = ``learning_rate``, ``betas`` = ``[adam_beta1, adam_beta2]``, ``weight_decay``,
  ``scheduler.params.warmup_min_lr`` = 0 (line 172), ``warmup_max_lr`` = ``learning_rate`` (line 173);
* ``trainer_config_finalize`` (lines 194-262): ``scheduler.params.total_num_steps`` = the Trainer's
  ``num_training_steps`` (lines 245-249) and ``warmup_num_steps`` = ``max(1,
  args.get_warmup_steps(num_training_steps))`` (lines 252-256). A value given (not ``"auto"``) that differs
  from the Trainer's is a mismatch, and the Trainer refuses to start (``fill_match``, lines 108-133,
  raised at lines 258-262); ``warmup_min_lr`` is filled without that check (``fill_only``).

The engine then steps the scheduler once per applied update (see :mod:`lrplot.sources.deepspeed`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..budget import SAMPLES_PER_UPDATE
from ..errors import SpecError
from .protocol import Budget, Document, Source, Told

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs


def deepspeed_document(doc: Document, value: Any, where: Any) -> Document | None:
    """The DeepSpeed config the ``deepspeed:`` key names (a path, relative to the HF config's folder, or an
    inline mapping), or None when it has no scheduler block (HF's scheduler then applies)."""
    from ..spec import read_text
    from ..yamlio import SourceMap, load_yaml

    if isinstance(value, dict):  # an inline DeepSpeed config: its errors point at the HF config
        data, source, path = value, None, doc.path
    elif isinstance(value, str):
        path = Path(value) if Path(value).is_absolute() else doc.path.parent / value
        if not path.is_file():
            raise SpecError(f"deepspeed: no such file {value} (looked in {path.parent})", location=where,
                            hint="the DeepSpeed config's path, relative to this config's folder")
        data, source = load_yaml(read_text(path), str(path))
    else:
        raise SpecError(f"deepspeed must name a DeepSpeed JSON config, not {value!r}", location=where,
                        hint="e.g. deepspeed: ds_z3_config.json")
    if not isinstance(data, dict) or not isinstance(data.get("scheduler"), dict):
        return None
    return Document(path, "", data, source if isinstance(source, SourceMap) else SourceMap(str(path)))


def run_folder_path(doc: Document, value: Any) -> Path | None:
    """A relative ``deepspeed:`` path that is not in the config's folder, as a launcher that opens it
    relative to the folder it runs in (llamafactory-cli, axolotl's CLI: the project root) finds it: the
    nearest folder above the config (then the current one) that holds it; None when the path needs no
    search or no folder holds it."""
    if not isinstance(value, str) or Path(value).is_absolute() or (doc.path.parent / value).is_file():
        return None
    return next((folder / value for folder in [*doc.path.resolve().parents, Path.cwd()]
                 if (folder / value).is_file()), None)


def _fill(ds: Document, key: str, hf_value: Any, hf_key: str, must_match: bool, filled: list[str]) -> None:
    """``fill_match`` of transformers' integration: "auto" becomes the Trainer's value; a value given
    that differs is the Trainer's refusal."""
    *parents, last = key.split(".")
    node: Any = ds.data
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or last not in node:
        return
    if node[last] == "auto":
        node[last] = hf_value
        shown = f"{hf_value:g}" if isinstance(hf_value, (int, float)) and not isinstance(hf_value, bool) else hf_value
        filled.append(f"{key}={shown}")
    elif must_match and node[last] is not None and node[last] != hf_value:
        raise SpecError(f"{key} {node[last]!r} differs from the Trainer's {hf_key} {hf_value!r}: HF's Trainer "
                        "refuses to start ('Please correct the following DeepSpeed config values that mismatch "
                        "TrainingArguments values')", location=ds.source.value(tuple(key.split("."))),
                        hint=f"set it to \"auto\", or to {hf_value!r}")


def read(doc: Document, ds: Document, args: dict[str, Any], budget: Budget, warmup: int, inputs: BudgetInputs,
         *, allow_import: Allowance, notes: list[str]) -> Source:
    """The Source of an HF config whose DeepSpeed config ``ds`` has a scheduler block. ``args``: the
    TrainingArguments values HF fills from (``learning_rate``, ``adam_beta1``, ``adam_beta2``,
    ``adam_epsilon``, ``weight_decay``, ``fp16``, ``bf16``)."""
    from . import deepspeed

    filled: list[str] = []
    total = budget.updates
    for key, value, hf_key, match in (
            ("optimizer.params.lr", args["learning_rate"], "learning_rate", True),
            ("optimizer.params.betas", [args["adam_beta1"], args["adam_beta2"]], "adam_beta1+adam_beta2", True),
            ("optimizer.params.eps", args["adam_epsilon"], "adam_epsilon", True),
            ("optimizer.params.weight_decay", args["weight_decay"], "weight_decay", True),
            ("fp16.enabled", args["fp16"], "fp16|fp16_full_eval", True),
            ("bf16.enabled", args["bf16"], "bf16|bf16_full_eval", True),
            ("scheduler.params.warmup_min_lr", 0, "", False),
            ("scheduler.params.warmup_max_lr", args["learning_rate"], "learning_rate", True),
            ("scheduler.params.total_num_steps", total, "num_training_steps (calculated)", True),
            ("scheduler.params.warmup_num_steps", max(1, warmup), "warmup_steps", True)):
        _fill(ds, key, value, hf_key, match, filled)
    params = ds.data["scheduler"].get("params") or {}
    name = ds.data["scheduler"].get("type")
    if name not in deepspeed.TAKES_TOTAL and "total_num_steps" not in params and isinstance(params, dict):
        params["total_num_steps"] = total  # the length to draw: the Trainer's run (the class does not take it)
        ds.overrides = (f"{deepspeed.TOTAL}={total}",)
    source = deepspeed.read(ds, inputs, allow_import=allow_import)
    note = (f"the schedule is {ds.path.name}'s scheduler block ({name}), which HF's DeepSpeed integration runs "
            "instead of lr_scheduler_type" + (f"; \"auto\" filled as the Trainer fills it: {', '.join(filled)}"
                                               if filled else ""))
    return Source("hf", source.spec, _with_global_batch(budget, source.budget, inputs), (*notes, note, *source.notes))


def _with_global_batch(budget: Budget, ds_budget: Budget | None, inputs: BudgetInputs) -> Budget:
    """HF's budget, stating the samples per update of the engine's ``Train/Samples/*`` logs where they are known:
    the DeepSpeed config's own number, else what the Trainer fills ``train_batch_size: "auto"`` with
    (``world_size x per_device_train_batch_size x gradient_accumulation_steps``, transformers 5.23.0
    integrations/deepspeed.py ``trainer_config_process``) where ``--devices`` gives the world size."""
    stated = ds_budget.samples_per_update if ds_budget is not None else None
    batch, accumulation = budget.told_value("batch size"), budget.told_value("accumulation")
    if stated is None and inputs.devices is not None and batch and accumulation:
        stated = Told(SAMPLES_PER_UPDATE, inputs.devices * batch * accumulation,
                      "per_device_train_batch_size x gradient_accumulation_steps x --devices")
    return budget if stated is None else replace(budget, told=(*budget.told, stated))
