"""Files people hand lrplot that none of its readers reads, named: what the file is and what lrplot
reads instead, never YAML's parse error or an lrplot spec's "unknown key" about a file that was
never meant to be either.

Consulted by :func:`lrplot.sources.detect` after every reader declined a file, before the lrplot
spec's fallback: each row is (what the file is, a cheap test of its name and content). A row never
claims a mapping that holds a key of an lrplot spec (a misspelt spec keeps its precise errors).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from .protocol import Document

_REQUIREMENT = re.compile(r"^\s*(#.*|-[rce]\s+\S+.*|--?[a-z-]+(\s+\S+)?|[A-Za-z0-9][A-Za-z0-9._\[\],-]*\s*"
                          r"((==|>=|<=|~=|!=|>|<|===)\s*[^\s;#]+\s*,?\s*)*(;.*)?(#.*)?|)$")


def _keys(doc: Document) -> set[str]:
    return {k for k in doc.data if isinstance(k, str)} if isinstance(doc.data, dict) else set()


def _shell(doc: Document) -> bool:
    return doc.path.suffix in (".sh", ".bash", ".zsh", ".slurm", ".sbatch") or doc.text.startswith("#!")


def _requirements(doc: Document) -> bool:
    lines = [line for line in doc.text.splitlines() if line.strip()]
    named = re.fullmatch(r"requirements.*\.(txt|in)|constraints.*\.txt", doc.path.name) is not None
    return named or (doc.path.suffix in (".txt", ".in", "") and bool(lines) and not isinstance(doc.data, dict)
                     and all(_REQUIREMENT.match(line) for line in lines))


def _pyproject(doc: Document) -> bool:
    return doc.path.suffix == ".toml" and (doc.path.name == "pyproject.toml" or re.search(
        r"^\[(project|build-system|tool\.[\w.-]+)\]\s*$", doc.text, re.M) is not None)


# (what the file is, how to tell, what lrplot reads instead) in the order they are tried
KINDS: list[tuple[str, Callable[[Any], bool], str]] = [
    ("a shell script with Megatron-LM's --lr but neither --train-iters nor --train-samples (a fragment that sets "
     "options for a script that sources it, as Megatron-LM's examples/rl/model_configs do)",
     lambda d: _shell(d) and re.search(r"--lr[\s=]", d.text) is not None
     and re.search(r"--train-(iters|samples)\b", d.text) is None,
     "give lrplot the script that launches the run with its length"),
    ("a shell script without the Megatron-LM flags lrplot reads (--lr with --train-iters or --train-samples)",
     _shell, "give lrplot the training config the script passes to its program"),
    ("a pip requirements file", _requirements, "give lrplot the training config"),
    ("a Python project's pyproject.toml", _pyproject, "give lrplot the training config"),
    ("a TOML file that is not a torchtitan job config ([lr_scheduler], [training] and [optimizer] tables)",
     lambda d: d.path.suffix == ".toml", "lrplot reads torchtitan's TOML; describe another schedule as an lrplot spec"),
    ("an Accelerate config (accelerate launch --config_file, which sets processes and precision, not the schedule)",
     lambda d: {"compute_environment", "distributed_type"} <= _keys(d),
     "give lrplot the training script's own config (its TrainingArguments or hyper-parameters)"),
    ("a LLaMA-Factory inference or export config (llamafactory-cli chat or export), which trains nothing",
     lambda d: {"model_name_or_path", "template"} <= _keys(d) and bool(_keys(d) & {"infer_backend", "export_dir"})
     and not _keys(d) & {"stage", "do_train", "learning_rate"},
     "give lrplot the config llamafactory-cli train reads (examples/train_lora/, with stage and learning_rate)"),
    ("a conda environment file", lambda d: d.path.suffix in (".yml", ".yaml") and {"dependencies"} <= _keys(d)
     and bool(_keys(d) & {"channels", "name"}), "give lrplot the training config"),
    ("a JSON file that is neither a DeepSpeed config (a scheduler block with train_batch_size, zero_optimization) "
     "nor Hugging Face TrainingArguments", lambda d: d.path.suffix == ".json",
     "force a kind with --from if it is one, or describe the schedule as an lrplot spec"),
    ("a file that is neither YAML nor JSON, nor a kind lrplot reads as text",
     lambda d: not isinstance(d.data, dict) and d.path.suffix not in (".yaml", ".yml", ".json", ".py", ""),
     "lrplot reads YAML/JSON specs and training configs, torchtitan TOML, Megatron-LM launch scripts and "
     "MMEngine .py configs"),
]


def what(doc: Document) -> tuple[str, str] | None:
    """(what ``doc`` is, what to do) when it is a kind of file lrplot does not read, else None."""
    for name, test, hint in KINDS:
        if test(doc):
            return name, hint
    return None


def component_config(doc: Document, spec_keys: list[str]) -> tuple[str, str] | None:
    """A torchtune-style config (``_component_`` blocks, OmegaConf's ``${...}``) that the torchtune reader
    declined, and that holds no key of an lrplot spec: said as such, even when a key of it is near one
    (``shuffle``, ``metric_logger``), instead of the spec's "unknown key" about a file never meant to be one."""
    data = doc.data
    if not isinstance(data, dict) or any(k in spec_keys for k in data) or not any(
            isinstance(v, dict) and "_component_" in v for v in data.values()):
        return None
    if not any(isinstance(v, dict) and "optimizer" in v for v in data.values()):
        return ("a torchtune-style config (_component_ blocks) with no optimizer block: an evaluation, generation "
                "or quantization recipe's, which trains nothing", "give lrplot a training recipe's config")
    return ("a torchtune-style config (_component_ blocks) without the recipe layout lrplot's torchtune reader "
            "reads (top-level optimizer or lr_scheduler blocks beside epochs, batch_size)",
            "describe the schedule this recipe builds as an lrplot spec")



def nemo_model_section(doc: Document) -> tuple[str, str] | None:
    """A NeMo model's own config on its own (``target: nemo.collections...Model`` and ``optim.sched`` at the top,
    no ``trainer:``), as a .nemo checkpoint stores it and NeMo's conversion scripts read it (NVIDIA/NeMo's
    scripts/nlp_language_modeling/hf_t5v1_1_base_config.yaml): said as such, not as an lrplot spec's "unknown key"."""
    data = doc.data
    if not isinstance(data, dict) or "trainer" in data or not str(data.get("target", "")).startswith(
            "nemo.collections."):
        return None
    optim = data.get("optim")
    if not (isinstance(optim, dict) and isinstance(optim.get("sched"), dict)):
        return None
    return (f"a NeMo model section (target: {str(data['target']).rsplit('.', 1)[-1]}, optim.sched at the top, no "
            "trainer: block), what a training config holds under model:, without the trainer that sets max_steps",
            "give lrplot the training config (model: with optim.sched, and trainer:)")
