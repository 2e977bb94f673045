"""TRL configs (``trl sft|dpo|grpo|... --config x.yaml``) -> Spec, read as TRL's own config dataclass.

A TRL config is a ``TrainingArguments`` subclass (SFTConfig, DPOConfig, GRPOConfig, ...) with its own
keys and its own defaults (SFTConfig's learning_rate is 2e-5, GRPOConfig's 1e-6, TrainingArguments'
5e-5), parsed by ``TrlParser`` together with ``ScriptArguments`` and ``ModelConfig``. The trainer is
chosen by the command (``trl grpo``), not the file: lrplot tells the dataclass from the keys only one
of them has, and where several fit and their defaults give different curves it asks (``--set
trl_trainer=grpo``) instead of guessing. The schedule is then the HF Trainer's (:mod:`.hf`), with
that dataclass's defaults.

GRPO and RLOO count differently (read from trl 1.16.0): their dataloader draws from a
``RepeatSampler`` (``trl/trainer/grpo_trainer.py`` ``_get_train_sampler``, :1309-1316;
``rloo_trainer.py`` :916-923) with ``mini_repeat_count=num_generations``, ``batch_size=
generation_batch_size // num_generations`` prompts and ``repeat_count=num_iterations x
steps_per_generation``, whose ``__len__`` (``trl/trainer/utils.py`` :952-953) is
``(N // batch_size) x batch_size x mini_repeat_count x repeat_count``; the dataloader's batch is
``per_device_train_batch_size x steps_per_generation`` (``get_train_dataloader``, :1275), and
``steps_per_generation`` defaults to ``gradient_accumulation_steps`` (``grpo_config.py``
``__post_init__``, :1096-1116). The Trainer counts updates over that dataloader as for any config.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Location, SpecError
from .protocol import Note, Source, Told, assumption, budget_number, needs

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .trl_fields import ConfigFields
    from .protocol import Budget, BudgetInputs, Document

KIND = "trl"
TRL_READ = "1.16.0"
FOLLOWS = f"trl {TRL_READ} (its config dataclasses; GRPO/RLOO's RepeatSampler), then the HF Trainer"
DOCS = "docs/frameworks/huggingface.rst"  # README's table links the kind to it
LOOKS_FOR = "TRL config keys such as num_generations, beta, packing, dataset_text_field"

# trainer -> TRL's config class, a TrainingArguments subclass, by its module under trl (trl 1.16.0; ORPO
# and CPO live in trl.experimental since 1.0). Read from their source files (.trl_fields), not imported.
CONFIGS = {"sft": "trainer.sft_config.SFTConfig", "dpo": "trainer.dpo_config.DPOConfig",
           "grpo": "trainer.grpo_config.GRPOConfig", "rloo": "trainer.rloo_config.RLOOConfig",
           "kto": "trainer.kto_config.KTOConfig", "reward": "trainer.reward_config.RewardConfig",
           "distillation": "trainer.distillation_config.DistillationConfig",
           "orpo": "experimental.orpo.orpo_config.ORPOConfig", "cpo": "experimental.cpo.cpo_config.CPOConfig"}
# TrlParser's other dataclasses: a key of theirs is no training script's own
PARSED_WITH = ("scripts.utils.ScriptArguments", "trainer.model_config.ModelConfig")
REPEATED = ("GRPOConfig", "RLOOConfig")  # a RepeatSampler feeds their dataloader
CHOOSE = "trl_trainer"  # the --set key that says which trainer runs the file

# Keys of TRL's config classes that TrainingArguments lacks (trl 1.16.0; tests check this list
# against the installed trl). Detection needs one: it must stay cheap, without importing trl.
SIGNS = frozenset("""
    num_generations max_completion_length use_vllm vllm_mode vllm_gpu_memory_utilization num_iterations
    steps_per_generation generation_batch_size log_completions reward_weights scale_rewards epsilon
    loss_type beta packing packing_strategy dataset_text_field completion_only_loss assistant_only_loss
    desirable_weight undesirable_weight center_rewards_coefficient teacher_model_name_or_path
    precompute_ref_log_probs model_init_kwargs dataset_num_proc
    f_divergence_type label_smoothing use_weighting max_length
    """.split())


def detect(doc: Document) -> bool:
    data = doc.data
    return isinstance(data, dict) and any(isinstance(k, str) and k in SIGNS for k in data)


def _classes() -> dict[str, ConfigFields]:
    from .trl_fields import config_fields

    out = {}
    for path in CONFIGS.values():
        module, _, name = path.rpartition(".")
        out[name] = config_fields(module, name)
    return out


def _curve_defaults(cls: ConfigFields, unset: list[str]) -> tuple:
    """What of ``cls`` changes the curve for a file that leaves ``unset`` out: those keys'
    defaults, and whether a RepeatSampler feeds the dataloader."""
    return tuple(cls.defaults.get(k) for k in unset) + (cls.name in REPEATED,)


def which_class(doc: Document) -> tuple[ConfigFields, list[str]]:
    """The config class of ``doc`` and notes: ``trl_trainer`` when given; else the classes with
    the most of the file's TRL keys; several whose defaults give different curves: asked."""
    import dataclasses

    from transformers.training_args import TrainingArguments

    from ..text import did_you_mean
    from .hf_config import SCHEDULE_KEYS

    classes = _classes()
    data = doc.data
    if CHOOSE in data:
        chosen = data.pop(CHOOSE)
        if chosen not in CONFIGS:
            hint = did_you_mean(str(chosen), CONFIGS)
            raise SpecError(f"{CHOOSE} must be one of {', '.join(CONFIGS)}, not {chosen!r}", hint=hint,
                            location=Location(str(doc.path)))
        name = CONFIGS[chosen].rpartition(".")[2]
        return classes[name], [f"read as TRL's {name} ({CHOOSE}={chosen})"]
    base = {f.name for f in dataclasses.fields(TrainingArguments)}
    own = [k for k in data if isinstance(k, str) and k not in base]
    score = {name: sum(k in cls.fields for k in own) for name, cls in classes.items()}
    best = max(score.values())
    fits = [name for name, s in score.items() if s == best]
    unset = [k for k in SCHEDULE_KEYS if k not in data]
    if len({_curve_defaults(classes[name], unset) for name in fits}) > 1:
        trainers = [t for t, path in CONFIGS.items() if path.rpartition(".")[2] in fits]
        raise SpecError(f"this TRL config fits {', '.join(fits)}, whose defaults give different curves, and the "
                        "trainer is chosen by the command (trl <trainer>), not the file",
                        hint=f"say which with --set {CHOOSE}={trainers[0]} (one of {', '.join(trainers)})",
                        location=Location(str(doc.path)))
    name = fits[0]
    if len(fits) == 1:
        return classes[name], [assumption(f"read as TRL's {name}: the only TRL config class with its keys",
                                          settle=CHOOSE)]
    others = ", ".join(fits[1:])
    return classes[name], [assumption(f"read as TRL's {name} ({others} would give the same curve)", settle=CHOOSE)]


def _unknown_keys(doc: Document, cls: ConfigFields) -> Note | None:
    """Keys of none of TrlParser's dataclasses: read by the training script, not lrplot (a warning)."""
    from .hf_config import SCHEDULE_KEYS
    from .trl_fields import config_fields

    parsed = [config_fields(*path.rsplit(".", 1)) for path in PARSED_WITH]
    known = set(cls.fields).union(*(p.fields for p in parsed)) | set(SCHEDULE_KEYS) | {"warmup_ratio"}
    unknown = [k for k in doc.data if isinstance(k, str) and k not in known]
    if not unknown:
        return None
    return Note(f"keys not of {cls.name}, ScriptArguments or ModelConfig (trl {_version()}), left to the "
                f"training script: {', '.join(unknown)}")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trl")
    except PackageNotFoundError:  # trl's own __init__ says "unknown" then
        return "unknown"


def _int(cfg: Any, key: str, value: Any, *, positive: bool = True) -> int:
    return budget_number(value, key, cfg.where(key), integer=True, positive=positive)


def repeat_budget(cfg: Any, inputs: BudgetInputs) -> Budget:
    """GRPO/RLOO: the RepeatSampler's length, then the Trainer's count over that dataloader."""
    from copy import copy
    from dataclasses import replace

    from .hf_budget import _batch_size, budget

    devices = inputs.devices or 1
    per_device = _batch_size(cfg, inputs)
    accumulation = cfg.number("gradient_accumulation_steps", integer=True, positive=True)
    generations = cfg.number("num_generations", integer=True, positive=True)
    iterations = cfg.number("num_iterations", integer=True, positive=True)
    spg, gen_batch = cfg.get("steps_per_generation"), cfg.get("generation_batch_size")
    if spg is not None and gen_batch is not None:
        raise cfg.error("generation_batch_size", "generation_batch_size and steps_per_generation can not be both "
                        "configured at the same time (GRPOConfig)", hint="keep one of them")
    # TRL checks both with the run's processes (grpo_config.py): with no --devices, lrplot's one may be why
    fix = ("add --devices N, the run's processes" if inputs.devices is None else "check --devices") + ", or change"
    if gen_batch is not None:
        gen_batch = _int(cfg, "generation_batch_size", gen_batch)
        if gen_batch % (per_device * devices):
            raise cfg.error("generation_batch_size", f"generation_batch_size ({gen_batch}) must be divisible by the "
                            f"global batch size ({per_device} x {devices} devices)",
                            hint=f"{fix} generation_batch_size")
        spg = gen_batch // (per_device * devices)
    else:
        spg = accumulation if spg is None else _int(cfg, "steps_per_generation", spg)
        gen_batch = per_device * devices * spg
    if gen_batch % generations:
        made = "" if cfg.get("generation_batch_size") is not None else (
            f" = per_device_train_batch_size {per_device} x {devices} device{'' if devices == 1 else 's'} x "
            f"steps_per_generation {spg}")
        raise cfg.error("num_generations", f"the generation batch ({gen_batch}{made}) must be divisible by "
                        f"num_generations ({generations})", hint=f"{fix} num_generations")
    view = copy(cfg)
    view.data = {k: v for k, v in cfg.data.items() if k != "per_device_train_batch_size"}
    view.defaults = {**cfg.defaults, "per_device_train_batch_size": per_device * spg}
    max_steps = cfg.number("max_steps", integer=True)
    repeats = (f"RepeatSampler: each prompt x num_generations {generations} x num_iterations {iterations} x "
               f"steps_per_generation {spg}, in batches of {per_device} x {spg}")
    if inputs.dataset_size is None:
        if max_steps > 0:
            return budget(cfg, inputs)
        raise needs(cfg.doc, "the number of prompts in the training set", "--dataset-size N",
                    ("num_train_epochs",) if "num_train_epochs" in cfg.data else ())
    prompts = gen_batch // generations
    samples = (inputs.dataset_size // prompts) * prompts * generations * iterations * spg
    if samples == 0:
        raise cfg.error("num_generations", f"{inputs.dataset_size} prompts make no generation batch of {prompts} "
                        "prompts: the RepeatSampler yields nothing")
    inner = budget(view, replace(inputs, dataset_size=samples, batch_size=None))
    head = (f"{inputs.dataset_size} prompts -> {repeats} = {samples} samples "
            f"(whole generation batches of {prompts} prompts); ")
    told = inner.told + (Told("prompts", inputs.dataset_size, "--dataset-size"),
                         Told("num generations", generations, "num_generations"))
    return replace(inner, text=head + inner.text.replace(" examples / ", " samples / ", 1), told=told)


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from .hf import source_of
    from .hf_config import HfConfig

    if not isinstance(doc.data, dict):
        raise SpecError("a TRL config must be a mapping of keys", location=Location(str(doc.path)))
    cls, notes = which_class(doc)
    cfg = HfConfig(doc, cls)
    cfg.check_near_misses()
    unknown = _unknown_keys(doc, cls)
    if unknown:
        notes.append(unknown)
    if cls.name == "SFTConfig" and cfg.get("packing") is True and (cfg.number("max_steps", integer=True) <= 0):
        raise cfg.error("packing", "packing: true packs examples into sequences of max_length, so the update count "
                        "depends on the tokenized data, which lrplot does not read",
                        hint="count the packed sequences (len(trainer.train_dataset)) and pass --dataset-size N "
                             "with --set packing=false, or set max_steps")
    if cls.name == "SFTConfig" and cfg.get("packing") is True:
        notes.append("packing: true does not change this run's length (max_steps)")
    if cfg.get("packing") is False and cfg.has("packing") and any(o.startswith("packing=") for o in doc.overrides):
        notes.append(assumption("--dataset-size counts packed sequences (--set packing=false)", settle="packing"))
    budget_of = repeat_budget if cls.name in REPEATED else None
    return source_of(cfg, inputs, kind=KIND, budget_of=budget_of, notes=notes,
                     allow_import=allow_import)
