"""LLaMA-Factory train configs (``llamafactory-cli train x.yaml``) -> Spec, read as LLaMA-Factory parses them.

Read from LLaMA-Factory 0.9.6.dev0 (commit ff6d4d12eeb035d6ce06805a5733dd7b29f2ac30):

* keys: ``hparams/parser.py`` ``_TRAIN_ARGS`` (lines 60-66) parses the file into ModelArguments,
  DataArguments, TrainingArguments, FinetuningArguments and GeneratingArguments with HfArgumentParser,
  refusing any other key unless ``ALLOW_EXTRA_ARGS=1`` (lines 309-312). Its TrainingArguments is
  transformers' Seq2SeqTrainingArguments plus Ray, profiler and FP8 keys (``hparams/training_args.py``
  line 143); the key list of LLaMA-Factory's own classes is :mod:`.llamafactory_keys` (generated from
  the source by tests/data/llamafactory/regenerate.py), the transformers part is the installed one;
* the trainer: every stage but ``ppo`` trains with the HF Trainer's loop on those TrainingArguments:
  ``CustomSeq2SeqTrainer`` (sft, ``train/sft/trainer.py``), ``CustomTrainer`` (pt), ``PairwiseTrainer``
  (rm); ``CustomDPOTrainer`` and ``CustomKTOTrainer`` subclass TRL's trainers but call
  ``Trainer.__init__`` with LLaMA-Factory's TrainingArguments (``train/dpo/trainer.py`` line 87,
  ``train/kto/trainer.py`` line 89), so the defaults are TrainingArguments', not DPOConfig's. ``ppo``
  runs its own loop and update count (``train/ppo/trainer.py`` lines 129-139): refused;
* the schedule: ``create_custom_scheduler`` (``train/trainer_utils.py`` lines 551-570) fills
  ``warmup_stable_decay``'s ``num_stable_steps`` = (total - warmup) // 3 and ``num_decay_steps`` = the
  rest unless ``lr_scheduler_kwargs`` gives them, then the HF Trainer's ``create_scheduler`` runs;
  ``loraplus_lr_ratio`` makes four param groups, LoRA B (and 1-d) weights at ``learning_rate x ratio``,
  LoRA embeddings at ``loraplus_lr_embedding`` (lines 372-409);
* the data: ``max_samples`` truncates EACH dataset of ``dataset`` (``data/loader.py`` lines 157-159)
  before they are mixed, so it caps the count without fixing it; ``packing`` defaults to true for
  ``stage: pt`` (``hparams/parser.py`` line 645) and packs texts into ``cutoff_len`` sequences, as
  ``neat_packing`` does for sft: the count then depends on the tokenized data.

The update count, warmup and DeepSpeed handling are then the HF reader's (:mod:`.hf`, :mod:`.hf_budget`,
:mod:`.hf_deepspeed`), so the curve is the HF Trainer's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Location, SpecError
from .llamafactory_keys import COMMIT, KEYS, VERSION
from .protocol import Note, assumption

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import Budget, BudgetInputs, Document, Source

KIND = "llamafactory"
FOLLOWS = f"LLaMA-Factory {VERSION} (its argument dataclasses, max_samples, packing), then the HF Trainer"
DOCS = "docs/frameworks/llamafactory.rst"  # README's table links the kind to it
LOOKS_FOR = "LLaMA-Factory keys such as finetuning_type, stage, template, cutoff_len"

OWN = frozenset().union(*KEYS.values())  # every key of LLaMA-Factory's own argument classes
# Keys that only LLaMA-Factory configs have (not TrainingArguments', not TRL's): two of them, or
# finetuning_type, make a file LLaMA-Factory's.
SIGNS = frozenset({"finetuning_type", "stage", "template", "cutoff_len", "lora_target", "max_samples",
                   "neat_packing", "pref_beta", "pref_loss", "lora_rank", "preprocessing_num_workers",
                   "plot_loss", "use_badam", "use_galore", "loraplus_lr_ratio"}) & OWN
STAGES = ("pt", "sft", "rm", "ppo", "dpo", "kto")
# FinetuningArguments switches that build another optimizer class on the same lr (trainer_utils.py
# create_custom_optimizer, lines 527-548)
OPTIMIZERS = {"use_galore": "GaLore", "use_apollo": "APOLLO", "use_badam": "BAdam", "use_adam_mini": "Adam-mini",
              "use_muon": "Muon"}


# LLaMA-Factory's "v1" configs (``llamafactory v1``, src/llamafactory/v1/config/*_args.py) are another trainer:
# keys only they have
V1_SIGNS = frozenset({"lr_scheduler_config", "optim_config", "dist_config", "peft_config", "kernel_config",
                      "model_class", "batching_strategy"})


# Keys of mcore_adapter's TrainingArguments (alibaba/ROLL mcore_adapter/src/mcore_adapter/training_args.py,
# DistributingParallelArguments and MegatronArguments, at 8eb27cc2dc34c4d1310b169d9b86d339004d811a): LLaMA-Factory
# parses them only with USE_MCA=1 (hparams/parser.py lines 73-79, 396-398) and then trains on MCA's own trainer
# (train/mca/workflow.py), whose schedule is Megatron-Core's OptimizerParamScheduler stepped once per successful
# update (mcore_adapter trainer/utils.py get_megatron_lr_scheduler, lines 149-189; trainer/trainer.py lines 452-454)
# over a count of its own (trainer.py lines 633-671: batches of the data-parallel rank // accumulation).
MCA_KEYS = frozenset({
    "tensor_model_parallel_size", "pipeline_model_parallel_size", "virtual_pipeline_model_parallel_size",
    "context_parallel_size", "expert_model_parallel_size", "expert_tensor_parallel_size", "sequence_parallel",
    "pipeline_model_parallel_layout", "use_distributed_optimizer", "overlap_grad_reduce", "overlap_param_gather",
    "overlap_p2p_comm", "recompute_granularity", "recompute_method", "recompute_modules", "recompute_num_layers",
    "bias_activation_fusion", "apply_rope_fusion", "cross_entropy_loss_fusion", "moe_grouped_gemm",
    "moe_token_dispatcher_type", "moe_router_dtype", "moe_aux_loss_coeff", "moe_layer_recompute",
    "moe_shared_expert_overlap", "moe_token_drop_policy", "moe_expert_capacity_factor", "transformer_impl",
    "accumulate_allreduce_grads_in_fp32", "ddp_bucket_size", "optimizer_cpu_offload", "mtp_num_layers"})


def detect(doc: Document) -> bool:
    data = doc.data
    if not isinstance(data, dict):
        return False
    return ("finetuning_type" in data or sum(isinstance(k, str) and k in SIGNS for k in data) >= 2
            or _v1(data))


def _v1(data: dict) -> bool:
    return any(isinstance(k, str) and k in V1_SIGNS for k in data) and "train_dataset" in data


def _own(doc: Document, key: str) -> Any:
    """A key of LLaMA-Factory's own classes: the file's value, else its default."""
    value = doc.data.get(key)
    if value is None:
        for fields in KEYS.values():
            if key in fields and fields[key] is not ...:
                return fields[key]
    return value


def _where(doc: Document, key: str) -> Location:
    return doc.source.value((key,)) if key in doc.data else Location(str(doc.path))


def _datasets(doc: Document) -> list[str]:
    value = doc.data.get("dataset")
    if isinstance(value, list):
        return [str(v) for v in value]
    return [d.strip() for d in str(value).split(",") if d.strip()] if value else []


def _flag(doc: Document, key: str) -> bool:
    value = _own(doc, key)
    if value is not None and not isinstance(value, bool):
        raise SpecError(f"{key} must be true or false, not {value!r}", location=_where(doc, key))
    return bool(value)


def _stage(doc: Document) -> str:
    from ..text import did_you_mean

    stage = _own(doc, "stage")
    if stage not in STAGES:
        raise SpecError(f"stage must be one of {', '.join(STAGES)}, not {stage!r}", location=_where(doc, "stage"),
                        hint=did_you_mean(str(stage), STAGES))
    if stage == "ppo":
        raise SpecError("stage: ppo runs LLaMA-Factory's own PPO loop and update count (train/ppo/trainer.py), "
                        "which lrplot does not reproduce", location=_where(doc, "stage"),
                        hint="draw its schedule as an lrplot spec (steps: its PPO steps)")
    return stage


def _budget(cfg: Any, doc: Document, inputs: BudgetInputs, stage: str, notes: list) -> Budget:
    """The HF Trainer's count, once LLaMA-Factory's data keys say whether ``--dataset-size`` can be read."""
    from .hf_budget import budget

    max_steps = cfg.number("max_steps", integer=True)
    if _flag(doc, "streaming") and max_steps <= 0:
        raise cfg.error("streaming", "streaming needs max_steps: LLaMA-Factory refuses it without ('Please "
                        "specify `max_steps` in streaming mode.', hparams/parser.py)", hint="set max_steps")
    packing = _own(doc, "packing")
    packs = (packing if packing is not None else stage == "pt") or _flag(doc, "neat_packing")
    why = ("neat_packing: true" if _flag(doc, "neat_packing") else "packing: true" if packing
           else "stage: pt (packing defaults to true for pt)")
    if max_steps > 0:
        return budget(cfg, inputs)
    cutoff = _own(doc, "cutoff_len")
    if packs and inputs.dataset_size is None:
        key = "neat_packing" if _flag(doc, "neat_packing") else "packing" if packing else "stage"
        raise SpecError(f"{why} packs the examples into sequences of cutoff_len {cutoff} tokens, so the update "
                        "count depends on the tokenized data, which lrplot does not read",
                        hint="count the packed sequences (len(trainer.train_dataset)) and add --dataset-size N, "
                             "or set max_steps", location=_where(doc, key))
    if packs:
        notes.append(assumption(f"--dataset-size {inputs.dataset_size} is read as the number of packed sequences "
                                f"of cutoff_len {cutoff} tokens ({why})", settle="--dataset-size"))
    cap, names = _own(doc, "max_samples"), _datasets(doc)
    concat = _own(doc, "mix_strategy") == "concat"
    if inputs.dataset_size is None:
        where = _where(doc, "max_samples" if cap is not None else "num_train_epochs")
        if cap is not None:
            bound = f", at most {cap * len(names)}" if concat and names else ""
            which = (f"each of the {len(names)} datasets ({', '.join(names)})" if len(names) > 1
                     else f"the dataset ({names[0]})" if names else "each dataset")
            raise SpecError(f"needs the training-set size: max_samples {cap} caps {which} at {cap} examples, it does "
                            "not fix the count", location=where,
                            hint=f"add --dataset-size N (len(train_dataset) after LLaMA-Factory's preprocessing"
                                 f"{bound})")
        raise SpecError("needs the training-set size", location=where,
                        hint="add --dataset-size N (len(train_dataset) after LLaMA-Factory's preprocessing)")
    if cap is not None and concat and names and not packs and inputs.dataset_size > cap * len(names):
        raise SpecError(f"--dataset-size {inputs.dataset_size} is more than max_samples {cap} leaves of "
                        f"{len(names)} dataset{'' if len(names) == 1 else 's'} ({cap * len(names)} examples at most)",
                        location=_where(doc, "max_samples"),
                        hint=f"give the examples left after max_samples: --dataset-size N with N <= {cap * len(names)}")
    val = _own(doc, "val_size")
    if isinstance(val, (int, float)) and val > 0 and not doc.data.get("eval_dataset"):
        notes.append(assumption(f"--dataset-size is read as the training split left after val_size {val:g}",
                                settle="--dataset-size"))
    return budget(cfg, inputs)


def _wsd(cfg: Any, total: int) -> None:
    """``create_custom_scheduler``'s defaults for warmup_stable_decay (trainer_utils.py lines 556-570)."""
    from .hf_budget import warmup

    kwargs = cfg.get("lr_scheduler_kwargs") or {}
    if isinstance(kwargs, str):
        kwargs = json.loads(kwargs)
    if not isinstance(kwargs, dict):
        return  # the HF reader refuses it, located
    warm, _, _ = warmup(cfg, total)
    stable = (total - warm) // 3
    cfg.data["lr_scheduler_kwargs"] = {"num_stable_steps": stable, "num_decay_steps": total - warm - stable,
                                       **kwargs}


def _loraplus(doc: Document, lr: float, weight_decay: float) -> list[dict]:
    """LoRA+'s four param groups (trainer_utils.py ``_create_loraplus_optimizer``, lines 401-406)."""
    from .protocol import budget_number

    ratio = budget_number(_own(doc, "loraplus_lr_ratio"), "loraplus_lr_ratio", _where(doc, "loraplus_lr_ratio"),
                          low=0)
    embedding = budget_number(_own(doc, "loraplus_lr_embedding"), "loraplus_lr_embedding",
                              _where(doc, "loraplus_lr_embedding"), low=0)
    return [{"name": "lora_a", "lr": lr, "weight_decay": weight_decay},
            {"name": "lora_b", "lr": lr * ratio, "weight_decay": weight_decay},
            {"name": "lora_b_nodecay", "lr": lr * ratio, "weight_decay": 0.0},
            {"name": "embedding", "lr": float(embedding), "weight_decay": weight_decay}]


def _deepspeed_path(cfg: Any, doc: Document, notes: list) -> None:
    """``deepspeed:`` as llamafactory-cli opens it: relative to the folder it runs in (the project root,
    as in its README's ``llamafactory-cli train examples/...``)."""
    from .hf_deepspeed import run_folder_path

    value = doc.data.get("deepspeed")
    found = run_folder_path(doc, value)
    if found is not None:
        cfg.data["deepspeed"] = str(found)
        shown = os.path.relpath(found.parents[len(Path(value).parts) - 1], doc.path.parent)
        notes.append(assumption(f"deepspeed: {value} is read from {shown}/, {doc.path.name}'s nearest "
                                "folder that holds it (llamafactory-cli opens it relative to the folder it runs in)",
                                settle="deepspeed"))


def _unknown(cfg: Any, doc: Document) -> Note | None:
    from .hf_config import SCHEDULE_KEYS
    from .hf_budget import installed_version

    unknown = [k for k in doc.data if isinstance(k, str) and k not in cfg.fields and k not in SCHEDULE_KEYS]
    if not unknown:
        return None
    return Note(f"keys not of LLaMA-Factory {VERSION}'s argument classes or transformers {installed_version()}'s "
                f"Seq2SeqTrainingArguments (llamafactory-cli refuses them unless ALLOW_EXTRA_ARGS=1): "
                f"{', '.join(unknown)}")


def _trains(doc: Document, stage: str) -> None:
    """Every workflow trains only ``if training_args.do_train`` (train/{stage}/workflow.py; TrainingArguments'
    default is false): a file that says do_train: false, or asks only to evaluate or predict, trains nothing."""
    asks = [k for k in ("do_train", "do_predict", "do_eval") if k in doc.data]
    if doc.data.get("do_train") is True or not (
            "do_train" in doc.data or doc.data.get("do_predict") is True or doc.data.get("do_eval") is True):
        return
    said = ", ".join(f"{k}: {str(doc.data[k]).lower()}" for k in asks)
    raise SpecError(f"{said}: LLaMA-Factory's {stage} workflow trains only with do_train: true "
                    f"(train/{stage}/workflow.py), so this run has no lr schedule", location=doc.source.key((asks[0],)),
                    hint="nothing to draw; for the training run, set do_train: true (--set do_train=true)")


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from dataclasses import replace

    from transformers.training_args_seq2seq import Seq2SeqTrainingArguments

    from .hf import source_of
    from .hf_config import HfConfig
    from .hf_budget import installed_version

    if not isinstance(doc.data, dict):
        raise SpecError("a LLaMA-Factory config must be a mapping of keys", location=Location(str(doc.path)))
    if _v1(doc.data):
        key = next(k for k in doc.data if k in V1_SIGNS)
        raise SpecError("a LLaMA-Factory v1 config: its own trainer (src/llamafactory/v1/core/base_trainer.py), whose "
                        "lr stays constant unless lr_scheduler_config names a scheduler plugin; lrplot does not read "
                        "v1 configs", location=doc.source.key((key,)),
                        hint="draw its schedule as an lrplot spec (no lr_scheduler_config: a constant lr)")
    cfg = HfConfig(doc, Seq2SeqTrainingArguments)
    cfg.args_name = "LLaMA-Factory"
    cfg.fields = [*cfg.fields, *sorted(OWN)]  # a key of its own classes is never a typo
    mca = [k for k in doc.data if isinstance(k, str) and k in MCA_KEYS and k not in cfg.fields]
    if mca:
        more = f" (and {len(mca) - 1} more)" if len(mca) > 1 else ""
        raise SpecError(f"{mca[0]}{more}: mcore_adapter's keys, which LLaMA-Factory reads only with USE_MCA=1 and then "
                        "trains on MCA's own trainer: Megatron-Core's OptimizerParamScheduler over MCA's update count "
                        "(mcore_adapter trainer/utils.py get_megatron_lr_scheduler), which lrplot does not model",
                        location=doc.source.key((mca[0],)),
                        hint="draw the run as an lrplot spec with that scheduler type; or, for the HF Trainer run "
                             "LLaMA-Factory makes without USE_MCA, drop each with --set '~KEY'")
    cfg.check_near_misses()
    stage = _stage(doc)
    _trains(doc, stage)
    notes: list[str] = [f"read as LLaMA-Factory {VERSION} (commit {COMMIT[:10]}) stage {stage}: the HF Trainer on "
                        f"Seq2SeqTrainingArguments' defaults (transformers {installed_version()})"]
    if stage in ("dpo", "kto"):
        notes.append(f"stage {stage}: LLaMA-Factory's trainer calls Trainer.__init__ with its own TrainingArguments, so "
                     f"the defaults are TrainingArguments', not TRL's {stage.upper()}Config's")
    unknown = _unknown(cfg, doc)
    if unknown:
        notes.append(unknown)
    for key, name in OPTIMIZERS.items():
        if _flag(doc, key):
            notes.append(f"{key}: LLaMA-Factory builds a {name} optimizer; its groups start at learning_rate and "
                         "follow the same schedule, drawn on torch AdamW")
    _deepspeed_path(cfg, doc, notes)
    counted = _budget(cfg, doc, inputs, stage, notes)
    if cfg.get("lr_scheduler_type") == "warmup_stable_decay":
        _wsd(cfg, counted.updates)
    source = source_of(cfg, inputs, kind=KIND, budget_of=lambda _cfg, _inputs: counted, notes=notes,
                       allow_import=allow_import)
    if _own(doc, "loraplus_lr_ratio") is not None:
        from ..spec.models import ParamGroupSpec

        from .hf import SCHEDULER

        if source.spec.scheduler.type != SCHEDULER:  # a DeepSpeed scheduler block replaced the HF one
            raise cfg.error("loraplus_lr_ratio", "loraplus_lr_ratio with a DeepSpeed scheduler block is not drawn")
        groups = _loraplus(doc, float(cfg.number("learning_rate", low=0)), float(cfg.number("weight_decay", low=0)))
        spec = source.spec.model_copy(update={"param_groups": [ParamGroupSpec.model_validate(g) for g in groups]})
        source = replace(source, spec=spec, notes=(*source.notes, f"loraplus_lr_ratio: LoRA+'s four param groups "
                                                   f"(LoRA B at learning_rate x {_own(doc, 'loraplus_lr_ratio')})"))
    return replace(source, kind=KIND)
