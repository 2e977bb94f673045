"""Files of kinds lrplot does not read (lrplot/sources/unread.py) are named, with what lrplot reads
instead: never YAML's parse error or an lrplot spec's complaint about a file that is neither.
Each file is taken unedited from a public repository (tests/data/published/unread/SOURCE.md) and
laid out under its original name."""

from __future__ import annotations

import shutil

import pytest

from lrplot.errors import SpecError
from lrplot.sources import load_input
from tests.helpers.paths import ROOT

DATA = ROOT / "tests" / "data" / "published" / "unread"
ACCELERATE = ("an Accelerate config (accelerate launch --config_file, which sets processes and precision, not the "
              "schedule): lrplot does not read this kind of file")
SHELL = ("a shell script without the Megatron-LM flags lrplot reads (--lr with --train-iters or --train-samples): "
         "lrplot does not read this kind of file")
REQUIREMENTS = "a pip requirements file: lrplot does not read this kind of file"
PYPROJECT = "a Python project's pyproject.toml: lrplot does not read this kind of file"
LLAMAFACTORY = ("a LLaMA-Factory inference or export config (llamafactory-cli chat or export), which trains nothing: "
                "lrplot does not read this kind of file")


@pytest.mark.parametrize("file, name, message", [
    # huggingface/alignment-handbook recipes/accelerate_configs/multi_gpu.yaml @ e4f98e7d8fb7c13e5e894c71b340cb509c93b1a7
    ("alignment-handbook_multi_gpu.yaml", "multi_gpu.yaml", ACCELERATE),
    # angelahzyuan/SPPO recipes/accelerate_configs/multi_gpu.yaml @ a167cb0c675ffb5dca4e05fe50b4ed51e3265861
    ("SPPO_multi_gpu.yaml", "multi_gpu.yaml", ACCELERATE),
    # IBM/terratorch examples/scripts/sen1floods11_vit_fit.sh @ 85467a9fbbaf567e7ce4541758c09a548a7bace5
    ("terratorch_sen1floods11_vit_fit.sh", "sen1floods11_vit_fit.sh", SHELL),
    # IBM/terratorch run_tests_container.sh @ 85467a9fbbaf567e7ce4541758c09a548a7bace5
    ("terratorch_run_tests_container.sh", "run_tests_container.sh", SHELL),
    # mamintoosi/TGCN-GSL-PyTorch requirements.txt @ dac89785f47968d4aaf1d728b6ec6556d9874e1e
    ("TGCN_requirements.txt", "requirements.txt", REQUIREMENTS),
    # IBM/terratorch release/requirements_release.txt @ 85467a9fbbaf567e7ce4541758c09a548a7bace5 (its three names
    # parse as one YAML string: it was "a spec must be a mapping of keys")
    ("terratorch_requirements_release.txt", "requirements_release.txt", REQUIREMENTS),
    # mamintoosi/TGCN-GSL-PyTorch pyproject.toml @ dac89785f47968d4aaf1d728b6ec6556d9874e1e (was "not valid YAML")
    ("TGCN_pyproject.toml", "pyproject.toml", PYPROJECT),
    # ENSTA-U2IS-AI/torch-uncertainty pyproject.toml @ 0d0df2b2e553139edeb2cdd1b99a88efb68f1945
    ("torch-uncertainty_pyproject.toml", "pyproject.toml", PYPROJECT),
    # ML4GW/aframe projects/data/environment.yaml @ 6a45a6e9cef86c4542acb27e3e3b7db65051eb82
    ("aframe_environment.yaml", "environment.yaml", "a conda environment file: lrplot does not read this kind of file"),
    # hiyouga/LLaMA-Factory examples/inference/qwen3.yaml and examples/merge_lora/qwen3_lora_sft.yaml
    # @ ff6d4d12eeb035d6ce06805a5733dd7b29f2ac30 (were "not a kind of file lrplot reads")
    ("LLaMA-Factory_inference_qwen3.yaml", "qwen3.yaml", LLAMAFACTORY),
    ("LLaMA-Factory_merge_lora_qwen3_lora_sft.yaml", "qwen3_lora_sft.yaml", LLAMAFACTORY),
    # NVIDIA/Megatron-LM examples/rl/model_configs/qwen3_8b.sh @ d98e8a64ddf34856e74b24714e3bedb2f5a39553 (has --lr:
    # was "a shell script without the Megatron-LM flags lrplot reads (--lr with ...)")
    ("Megatron-LM_rl_qwen3_8b.sh", "qwen3_8b.sh",
     "a shell script with Megatron-LM's --lr but neither --train-iters nor --train-samples (a fragment that sets "
     "options for a script that sources it, as Megatron-LM's examples/rl/model_configs do): lrplot does not read "
     "this kind of file"),
])
def test_published_files_of_kinds_lrplot_does_not_read_are_named(tmp_path, file, name, message):
    path = tmp_path / name
    shutil.copyfile(DATA / file, path)
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert exc.value.message == message
    assert exc.value.location.path == str(path) and exc.value.location.line is None


def test_other_json_and_text_files_say_what_lrplot_reads(tmp_path):
    package = tmp_path / "package.json"
    package.write_text('{"name": "x", "version": "1.0", "dependencies": {"a": "1"}}\n')
    with pytest.raises(SpecError) as exc:
        load_input(package)
    assert exc.value.message == ("a JSON file that is neither a DeepSpeed config (a scheduler block with "
                                 "train_batch_size, zero_optimization) nor Hugging Face TrainingArguments: lrplot "
                                 "does not read this kind of file")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello world\n")
    with pytest.raises(SpecError) as exc:
        load_input(notes)
    assert exc.value.hint == ("lrplot reads YAML/JSON specs and training configs, torchtitan TOML, Megatron-LM "
                              "launch scripts and MMEngine .py configs")


def test_a_misspelt_spec_keeps_its_own_errors(tmp_path):
    """A mapping with a key of an lrplot spec is never claimed as another kind (here: a .json spec)."""
    path = tmp_path / "spec.json"
    path.write_text('{"schedulr": {"type": "StepLR", "step_size": 2}, "steps": 10}\n')
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert "did you mean 'scheduler'" in (exc.value.hint or "") + exc.value.message


# pytorch/torchtune at bd2a0fc7c31430972728494fa01aaeeb0ebf1ba1, unedited, in tests/data/torchtune/:
# recipes/configs/dev/qwen3B_async_grpo.yaml (its optimizer under training:, no lr_scheduler; its keys shuffle and
# metric_logger are near the spec's schedules and metric, so it fell to the spec, whose first complaint was
# "'/tmp/checkpoints/${name}': a budget name is a whole value" about OmegaConf's own interpolation in output_dir)
# and recipes/configs/eleuther_evaluation.yaml (an evaluation recipe's: "not a kind of file lrplot reads").
TORCHTUNE = ROOT / "tests" / "data" / "torchtune"


@pytest.mark.parametrize("file, line, message, hint", [
    ("qwen3B_async_grpo.yaml", 18,
     "a torchtune-style config (_component_ blocks) without the recipe layout lrplot's torchtune reader reads "
     "(top-level optimizer or lr_scheduler blocks beside epochs, batch_size): lrplot does not read this kind of file",
     "describe the schedule this recipe builds as an lrplot spec"),
    ("eleuther_evaluation.yaml", 6,
     "a torchtune-style config (_component_ blocks) with no optimizer block: an evaluation, generation or "
     "quantization recipe's, which trains nothing: lrplot does not read this kind of file",
     "give lrplot a training recipe's config"),
])
def test_torchtune_configs_of_recipes_the_reader_does_not_read_are_named(file, line, message, hint):
    with pytest.raises(SpecError) as exc:
        load_input(TORCHTUNE / file)
    assert (exc.value.message, exc.value.hint, exc.value.location.line) == (message, hint, line)


def test_a_spec_key_beside_component_blocks_keeps_the_spec_errors(tmp_path):
    """A file holding a key of an lrplot spec is read as one, _component_ blocks or not."""
    path = tmp_path / "spec.yaml"
    path.write_text("steps: 10\nscheduler: {type: StepLR, step_size: 2}\nmodel: {_component_: m.M}\n")
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert exc.value.format() == (f"{path}:3:1: unknown key 'model'; known keys: title, steps, optimizer, "
                                  "param_groups, scheduler, schedules, steps_per_epoch, budget, interval, fields, "
                                  "metric, stepping")


def test_an_unknown_key_is_named_before_a_budget_reference_in_its_value(tmp_path):
    """Only the spec's own keys are searched for ${...}: an unknown key is refused by name."""
    path = tmp_path / "spec.yaml"
    path.write_text("steps: 10\nscheduler: {type: StepLR, step_size: 2}\noutput_dir: /tmp/${name}\n")
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert exc.value.format().startswith(f"{path}:3:1: unknown key 'output_dir'; ")


def test_a_nemo_model_section_on_its_own_is_named():
    """NVIDIA/NeMo scripts/nlp_language_modeling/hf_t5v1_1_base_config.yaml @ 8cfedd7203462cb251a914e700e5605444277561:
    the model: part of a config (target, optim.sched at the top), read by a conversion script. Its 'optim' is near
    the spec's 'optimizer', so it fell to the spec: "unknown key 'encoder'; known keys: title, steps, ..."."""
    path = DATA / "NeMo_hf_t5v1_1_base_config.yaml"
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert exc.value.format() == (
        f"{path}:1:1: a NeMo model section (target: MegatronT5Model, optim.sched at the top, no trainer: block), what "
        "a training config holds under model:, without the trainer that sets max_steps: lrplot does not read this "
        "kind of file; give lrplot the training config (model: with optim.sched, and trainer:)")
