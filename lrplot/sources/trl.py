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
    from .protocol import Budget, BudgetInputs, Document

KIND = "trl"
TRL_READ = "1.16.0"
FOLLOWS = f"trl {TRL_READ} (its config dataclasses; GRPO/RLOO's RepeatSampler), then the HF Trainer"
DOCS = "docs/frameworks/huggingface.rst"  # README's table links the kind to it
LOOKS_FOR = "TRL config keys such as num_generations, beta, packing, dataset_text_field"

# trainer -> TRL's config class, a TrainingArguments subclass (trl 1.16.0 exports the first seven;
# ORPO and CPO live in trl.experimental since 1.0).
CONFIGS = {"sft": "SFTConfig", "dpo": "DPOConfig", "grpo": "GRPOConfig", "rloo": "RLOOConfig",
           "kto": "KTOConfig", "reward": "RewardConfig", "distillation": "DistillationConfig",
           "orpo": "experimental.orpo.orpo_config.ORPOConfig", "cpo": "experimental.cpo.cpo_config.CPOConfig"}
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


def _config_module(module: str) -> Any:
    """``module``, imported; an experimental trainer's config file without its package's ``__init__``,
    which imports the trainer too (``trl.experimental.orpo``: 2.6 s of CPU for a dataclass). The file
    imports only ``trl.trainer.base_config``; tests/test_dependency_shapes.py checks the class so loaded
    has the fields and defaults of the one ``import trl.experimental.orpo`` gives."""
    import importlib
    import importlib.util
    import sys
    from pathlib import Path

    package, _, leaf = module.rpartition(".")
    if module in sys.modules or package in sys.modules or not package.startswith("trl.experimental."):
        return importlib.import_module(module)
    experimental = importlib.import_module("trl.experimental")  # a light __init__ (a warning filter)
    spec = importlib.util.spec_from_file_location(
        module, Path(experimental.__file__).parent / package.rpartition(".")[2] / f"{leaf}.py")
    if spec is None or spec.loader is None or not Path(spec.origin or "").is_file():
        return importlib.import_module(module)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[module] = loaded
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        del sys.modules[module]
        raise
    return loaded


def _classes() -> dict[str, type]:
    import warnings

    out = {}
    with warnings.catch_warnings():  # trl.experimental warns on import that its APIs may change
        warnings.simplefilter("ignore")
        for path in CONFIGS.values():
            module, _, name = f"trl.{path}".rpartition(".")
            out[name] = getattr(_config_module(module), name)
    return out


def _fields(cls: type) -> set[str]:
    import dataclasses

    return {f.name for f in dataclasses.fields(cls)}


def _curve_defaults(cls: type, unset: list[str]) -> tuple:
    """What of ``cls`` changes the curve for a file that leaves ``unset`` out: those keys'
    defaults, and whether a RepeatSampler feeds the dataloader."""
    import dataclasses

    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    return tuple(defaults.get(k) for k in unset) + (cls.__name__ in REPEATED,)


def which_class(doc: Document) -> tuple[type, list[str]]:
    """The config class of ``doc`` and notes: ``trl_trainer`` when given; else the classes with
    the most of the file's TRL keys; several whose defaults give different curves: asked."""
    from transformers.training_args import TrainingArguments

    from ..text import did_you_mean
    from .hf import SCHEDULE_KEYS

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
    base = _fields(TrainingArguments)
    own = [k for k in data if isinstance(k, str) and k not in base]
    score = {name: sum(k in _fields(cls) for k in own) for name, cls in classes.items()}
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


def _unknown_keys(doc: Document, cls: type) -> Note | None:
    """Keys of none of TrlParser's dataclasses: read by the training script, not lrplot (a warning)."""
    import trl

    from .hf import SCHEDULE_KEYS

    known = _fields(cls) | _fields(trl.ScriptArguments) | _fields(trl.ModelConfig) | set(SCHEDULE_KEYS) | {"warmup_ratio"}
    unknown = [k for k in doc.data if isinstance(k, str) and k not in known]
    if not unknown:
        return None
    return Note(f"keys not of {cls.__name__}, ScriptArguments or ModelConfig (trl {_version()}), left to the "
                f"training script: {', '.join(unknown)}")


def _version() -> str:
    import trl

    return trl.__version__


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
    if gen_batch is not None:
        gen_batch = _int(cfg, "generation_batch_size", gen_batch)
        if gen_batch % (per_device * devices):
            raise cfg.error("generation_batch_size", f"generation_batch_size ({gen_batch}) must be divisible by the "
                            f"global batch size ({per_device} x {devices} devices)")
        spg = gen_batch // (per_device * devices)
    else:
        spg = accumulation if spg is None else _int(cfg, "steps_per_generation", spg)
        gen_batch = per_device * devices * spg
    if gen_batch % generations:
        raise cfg.error("num_generations", f"the generation batch ({gen_batch}) must be divisible by num_generations "
                        f"({generations})")
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
    from .hf import _Config, source_of

    if not isinstance(doc.data, dict):
        raise SpecError("a TRL config must be a mapping of keys", location=Location(str(doc.path)))
    cls, notes = which_class(doc)
    cfg = _Config(doc, cls)
    cfg.check_near_misses()
    unknown = _unknown_keys(doc, cls)
    if unknown:
        notes.append(unknown)
    if cls.__name__ == "SFTConfig" and cfg.get("packing") is True and (cfg.number("max_steps", integer=True) <= 0):
        raise cfg.error("packing", "packing: true packs examples into sequences of max_length, so the update count "
                        "depends on the tokenized data, which lrplot does not read",
                        hint="count the packed sequences (len(trainer.train_dataset)) and pass --dataset-size N "
                             "with --set packing=false, or set max_steps")
    if cls.__name__ == "SFTConfig" and cfg.get("packing") is True:
        notes.append("packing: true does not change this run's length (max_steps)")
    if cfg.get("packing") is False and cfg.has("packing") and any(o.startswith("packing=") for o in doc.overrides):
        notes.append(assumption("--dataset-size counts packed sequences (--set packing=false)", settle="packing"))
    budget_of = repeat_budget if cls.__name__ in REPEATED else None
    return source_of(cfg, inputs, kind=KIND, budget_of=budget_of, notes=notes,
                     allow_import=allow_import)
