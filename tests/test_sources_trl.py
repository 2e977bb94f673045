"""TRL configs: read as TRL's own config dataclass (its defaults), GRPO/RLOO counted through TRL's
RepeatSampler; every drawn curve `==` the Trainer's scheduler stepped over TRL's own dataloader
(tests/helpers/trl_counts.py), every refusal one whole line.

Published configs, unedited, in tests/data/published/:
* open-r1_qwen2.5-1.5b_grpo_config_demo.yaml: huggingface/open-r1
  recipes/Qwen2.5-1.5B-Instruct/grpo/config_demo.yaml @ bd581c7e73bbd0b63b6605fc1ed4b51d231fa597
* open-r1_qwen2.5-1.5b_sft_config_demo.yaml: huggingface/open-r1
  recipes/Qwen2.5-1.5B-Instruct/sft/config_demo.yaml @ 27af68edce3b36fcd722a22dc7968240784a0a05
* alignment-handbook_llama3-8b_orpo_config_v1.0.yaml: huggingface/alignment-handbook
  recipes/llama3-8b/orpo/config_v1.0.yaml @ b63c6d3358ca6b5d7631d876ad33996f92533d22
* open-r1_qwen2.5-coder-7b_grpo_config_codeforces.yaml: huggingface/open-r1
  recipes/Qwen2.5-Coder-7B-Instruct/grpo/config_codeforces.yaml @ 1416fa0cf21595d2083b399a2a0bbddd7f6e9563
* open-r1_qwen2.5-1.5b_grpo_config_demo_code.yaml: huggingface/open-r1
  recipes/Qwen2.5-1.5B-Instruct/grpo/config_demo_code.yaml @ 1416fa0cf21595d2083b399a2a0bbddd7f6e9563
  (num_generations 14: its generation batch divides only with the run's processes, e.g. open-r1's 7)
* trl_cli_example_config.yaml: huggingface/trl examples/cli_configs/example_config.yaml
  @ 453db5cd791338d860ea6e8581c853e15b0ae702 (the config `trl sft --config` takes in TRL's CLI docs)
"""

from __future__ import annotations

import dataclasses

import pytest

from lrplot.errors import LrplotError
from lrplot.sources import BudgetInputs, detect, load_document, load_input
from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("trl", "transformers")

PUBLISHED = ROOT / "tests" / "data" / "published"
GRPO_DEMO = PUBLISHED / "open-r1_qwen2.5-1.5b_grpo_config_demo.yaml"
SFT_DEMO = PUBLISHED / "open-r1_qwen2.5-1.5b_sft_config_demo.yaml"
ORPO = PUBLISHED / "alignment-handbook_llama3-8b_orpo_config_v1.0.yaml"
CODEFORCES = PUBLISHED / "open-r1_qwen2.5-coder-7b_grpo_config_codeforces.yaml"
DEMO_CODE = PUBLISHED / "open-r1_qwen2.5-1.5b_grpo_config_demo_code.yaml"
CLI_EXAMPLE = PUBLISHED / "trl_cli_example_config.yaml"


def curves(source) -> list[list[float]]:
    from lrplot.engine import simulate

    result = simulate(source.spec, allow_import=None)
    by_group = {s.group: s.values.tolist() for s in result.series() if s.field == "lr"}
    return [list(v) for v in zip(*(by_group[g] for g in sorted(by_group)))]


# config class, its arguments, the number of prompts/examples
CASES = {
    # open-r1's GRPO demo recipe's schedule keys (its warmup_ratio 0.1 written as transformers 5 takes it)
    "open_r1_grpo_demo": ("GRPOConfig", {"num_generations": 16, "per_device_train_batch_size": 16,
                                         "gradient_accumulation_steps": 4, "learning_rate": 2e-5,
                                         "lr_scheduler_type": "cosine", "warmup_steps": 0.1,
                                         "num_train_epochs": 1}, 1000),
    # open-r1's Codeforces GRPO recipe's schedule keys (constant_with_warmup, 4 epochs)
    "open_r1_grpo_codeforces": ("GRPOConfig", {"num_generations": 16, "per_device_train_batch_size": 4,
                                               "gradient_accumulation_steps": 32, "learning_rate": 1e-6,
                                               "lr_scheduler_type": "constant_with_warmup", "warmup_steps": 0.1,
                                               "num_train_epochs": 4}, 100),
    # GRPOConfig's own lr (1e-6) and schedule (linear); num_iterations 2; prompts that leave a partial
    # generation batch (dropped by the sampler)
    "grpo_defaults_iterations": ("GRPOConfig", {"num_generations": 4, "per_device_train_batch_size": 4,
                                                "gradient_accumulation_steps": 3, "num_iterations": 2,
                                                "num_train_epochs": 2}, 23),
    # steps_per_generation differs from the accumulation
    "grpo_steps_per_generation": ("GRPOConfig", {"num_generations": 2, "per_device_train_batch_size": 2,
                                                 "gradient_accumulation_steps": 2, "steps_per_generation": 3,
                                                 "num_train_epochs": 1.5, "lr_scheduler_type": "cosine"}, 17),
    # generation_batch_size instead
    "rloo_generation_batch": ("RLOOConfig", {"num_generations": 3, "per_device_train_batch_size": 3,
                                             "generation_batch_size": 6, "num_train_epochs": 1,
                                             "lr_scheduler_type": "cosine", "warmup_steps": 2}, 20),
    # SFT: the plain Trainer's count, SFTConfig's lr 2e-5
    "sft_defaults": ("SFTConfig", {"per_device_train_batch_size": 4, "num_train_epochs": 2,
                                   "dataset_text_field": "text"}, 30),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_every_update_equals_the_trainer_over_trls_own_dataloader(tmp_path, name):
    from tests.helpers.trl_counts import trl_schedule

    config, args, n = CASES[name]
    real = trl_schedule(config, args, n, tmp_path / "out")
    trainer = {"GRPOConfig": "grpo", "RLOOConfig": "rloo", "SFTConfig": "sft"}[config]
    path = tmp_path / "recipe.yaml"
    import yaml

    path.write_text(yaml.safe_dump({"model_name_or_path": "tiny", **args}))
    source = load_input(path, inputs=BudgetInputs(dataset_size=n), overrides=[f"trl_trainer={trainer}"])
    assert source.kind == "trl"
    assert source.budget.updates == real["max_steps"]
    assert curves(source) == real["seen"]


@pytest.mark.slow
def test_the_published_grpo_recipe_equals_the_trainer_and_names_its_class(tmp_path):
    from tests.helpers.trl_counts import trl_schedule

    config, args, n = CASES["open_r1_grpo_demo"]
    real = trl_schedule(config, args, n, tmp_path / "out")
    source = load_input(GRPO_DEMO, inputs=BudgetInputs(dataset_size=n))
    assert source.kind == "trl"
    assert source.budget.updates == real["max_steps"] == 250  # read as TrainingArguments: 16
    assert curves(source) == real["seen"]
    assert source.budget.text == (
        "1000 prompts -> RepeatSampler: each prompt x num_generations 16 x num_iterations 1 x steps_per_generation "
        "4, in batches of 16 x 4 = 64000 samples (whole generation batches of 4 prompts); 64000 samples / (64 x 1) "
        "= 1000 batches per epoch / accumulation 4 = 250 updates x 1 epoch = 250 updates; warmup 10% = 25")
    assert [str(a) for a in source.assumptions] == [
        "read as TRL's GRPOConfig (RLOOConfig would give the same curve)",
        "world size 1 assumed (no --devices): accelerate shards each epoch's batches over the processes "
        "(BatchSamplerShard); add --devices N for N processes"]  # the generation batch is per device x devices too
    assert source.notes[1] == (
        "keys not of GRPOConfig, ScriptArguments or ModelConfig (trl 1.16.0), left to the training script: "
        "torch_dtype, dataset_configs, system_prompt, vllm_device, max_prompt_length, overwrite_output_dir, "
        "reward_funcs")


def test_a_script_key_sharing_words_with_a_schedule_key_is_not_a_typo():
    # code_eval_test_batch_size is open-r1's GRPOScriptArguments key; it was refused as a misspelt
    # per_device_train_batch_size. Its recipe aims at 1k updates on 8 GPUs x 16k prompts (its comment).
    source = load_input(CODEFORCES, inputs=BudgetInputs(dataset_size=16000, devices=8))
    assert source.budget.updates == 1000
    assert source.notes[1].endswith("wandb_project, code_eval_test_batch_size, code_eval_scoring_mode")


def test_trls_cli_example_asks_for_the_data_size_at_its_dataset():
    """It sets neither max_steps nor num_train_epochs: the run is the Trainer's default 3 epochs of stanfordnlp/imdb,
    asked for in one line located at the dataset (it said only the file's name)."""
    with pytest.raises(LrplotError) as info:
        load_input(CLI_EXAMPLE)
    assert info.value.format() == (
        f"{CLI_EXAMPLE}:12:3: needs the training-set size: no max_steps, so the run is num_train_epochs 3 (the "
        "Trainer's default) over the dataset's examples; add --dataset-size N, or set max_steps")


@pytest.mark.slow
def test_trls_cli_example_equals_the_trainer(tmp_path):
    """With the data size, the published CLI example `==` SFTTrainer's scheduler over TRL's own dataloader."""
    from tests.helpers.trl_counts import trl_schedule

    real = trl_schedule("SFTConfig", {"learning_rate": 0.0001, "lr_scheduler_type": "cosine"}, 50, tmp_path / "out")
    source = load_input(CLI_EXAMPLE, inputs=BudgetInputs(dataset_size=50))
    assert source.budget.updates == real["max_steps"] == 21  # 7 batches of 8 per epoch, the default 3 epochs
    assert curves(source) == real["seen"]


@pytest.mark.slow
def test_the_published_codeforces_recipe_equals_the_trainer(tmp_path):
    from tests.helpers.trl_counts import trl_schedule

    config, args, n = CASES["open_r1_grpo_codeforces"]
    real = trl_schedule(config, args, n, tmp_path / "out")
    source = load_input(CODEFORCES, inputs=BudgetInputs(dataset_size=n))
    assert source.budget.updates == real["max_steps"] == 48
    assert curves(source) == real["seen"]


def test_grpo_defaults_to_its_own_learning_rate(write_spec):
    path = write_spec("num_generations: 4\nmax_steps: 10\n", "grpo.yaml")
    source = load_input(path)
    assert source.spec.optimizer.lr == 1e-6  # GRPOConfig's, not TrainingArguments' 5e-5
    assert source.budget.text == "max_steps = 10 updates"


def test_published_sft_recipe_with_packing_is_asked(tmp_path):
    with pytest.raises(LrplotError) as info:
        load_input(SFT_DEMO, inputs=BudgetInputs(dataset_size=16710))
    assert info.value.format() == (
        f"{SFT_DEMO}:29:10: packing: true packs examples into sequences of max_length, so the update count depends "
        "on the tokenized data, which lrplot does not read; count the packed sequences (len(trainer.train_dataset)) "
        "and pass --dataset-size N with --set packing=false, or set max_steps")
    source = load_input(SFT_DEMO, inputs=BudgetInputs(dataset_size=1000), overrides=["packing=false"])
    assert source.budget.updates == 63  # 1000 sequences / 2 = 500 batches / 8 = 63 updates
    assert "--dataset-size counts packed sequences (--set packing=false)" in source.assumptions


def test_published_orpo_recipe_reads_as_a_class_with_the_same_curve():
    source = load_input(ORPO, inputs=BudgetInputs(dataset_size=1000))
    assert source.kind == "trl" and source.budget.updates == 375
    assert [str(a) for a in source.assumptions] == [
        "read as TRL's DPOConfig (KTOConfig, ORPOConfig, CPOConfig would give the same curve)",
        "world size 1 assumed (no --devices): accelerate shards each epoch's batches over the processes (BatchSamplerShard); "
        "add --devices N for N processes"]


def test_classes_whose_defaults_differ_are_asked_in_one_line(write_spec):
    path = write_spec("num_train_epochs: 1\nmax_length: 512\n", "x.yaml")
    with pytest.raises(LrplotError) as info:
        load_input(path, inputs=BudgetInputs(dataset_size=100))
    assert info.value.format() == (
        f"{path}: this TRL config fits SFTConfig, DPOConfig, KTOConfig, RewardConfig, ORPOConfig, CPOConfig, whose "
        "defaults give different curves, and the trainer is chosen by the command (trl <trainer>), not the file; "
        "say which with --set trl_trainer=sft (one of sft, dpo, kto, reward, orpo, cpo)")
    source = load_input(path, inputs=BudgetInputs(dataset_size=100), overrides=["trl_trainer=dpo"])
    assert source.spec.optimizer.lr == 1e-6 and source.notes[0] == "read as TRL's DPOConfig (trl_trainer=dpo)"


@pytest.mark.parametrize("body, expected", [
    ("num_generations: 4\nlearning_rate: 1e-3\nnum_train_epochs: 1\nwarmup_stesp: 3\n",
     "x.yaml:4:1: 'warmup_stesp' is not a GRPOConfig key; did you mean 'warmup_steps'?"),
    ("num_generations: 3\nper_device_train_batch_size: 4\nnum_train_epochs: 1\n",
     "x.yaml:1:18: the generation batch (4 = per_device_train_batch_size 4 x 1 device x steps_per_generation 1) "
     "must be divisible by num_generations (3); add --devices N, the run's processes, or change num_generations"),
    ("num_generations: 2\nper_device_train_batch_size: 3\ngeneration_batch_size: 4\nnum_train_epochs: 1\n",
     "x.yaml:3:24: generation_batch_size (4) must be divisible by the global batch size (3 x 1 devices); add "
     "--devices N, the run's processes, or change generation_batch_size"),
    ("num_generations: 2\nper_device_train_batch_size: 2\nsteps_per_generation: 2\ngeneration_batch_size: 4\n"
     "num_train_epochs: 1\n",
     "x.yaml:4:24: generation_batch_size and steps_per_generation can not be both configured at the same time "
     "(GRPOConfig); keep one of them"),
    ("num_generations: 4\nnum_train_epochs: 1\n",
     "x.yaml:2:19: needs the number of prompts in the training set; add --dataset-size N"),
])
def test_bad_trl_configs_get_one_located_line(write_spec, body, expected):
    path = write_spec(body, "x.yaml")
    inputs = BudgetInputs() if "needs" in expected else BudgetInputs(dataset_size=10)
    with pytest.raises(LrplotError) as info:
        load_input(path, inputs=inputs)
    assert info.value.format() == str(path.parent / expected)


def test_a_published_recipe_whose_generation_batch_needs_the_runs_processes_says_so():
    with pytest.raises(LrplotError) as info:
        load_input(DEMO_CODE, inputs=BudgetInputs(dataset_size=70))
    assert info.value.format() == (
        f"{DEMO_CODE}:35:18: the generation batch (64 = per_device_train_batch_size 16 x 1 device x "
        "steps_per_generation 4) must be divisible by num_generations (14); add --devices N, the run's processes, "
        "or change num_generations")
    with pytest.raises(LrplotError) as info:
        load_input(DEMO_CODE, inputs=BudgetInputs(dataset_size=70, devices=2))
    assert info.value.format() == (
        f"{DEMO_CODE}:35:18: the generation batch (128 = per_device_train_batch_size 16 x 2 devices x "
        "steps_per_generation 4) must be divisible by num_generations (14); check --devices, or change num_generations")
    assert load_input(DEMO_CODE, inputs=BudgetInputs(dataset_size=70, devices=7)).budget is not None


def test_detection_signs_are_keys_only_trl_configs_have():
    from transformers import TrainingArguments

    from lrplot.sources.trl import SIGNS, _classes

    base = {f.name for f in dataclasses.fields(TrainingArguments)}
    trl_only = set().union(*(c.fields for c in _classes().values())) - base
    assert SIGNS <= trl_only
    assert detect(load_document(GRPO_DEMO)) == "trl"
    assert detect(load_document(ROOT / "configs" / "frameworks" / "hf_sft.yaml")) == "hf"
