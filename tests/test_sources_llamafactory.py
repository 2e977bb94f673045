"""LLaMA-Factory train configs: read as LLaMA-Factory parses them, drawn `==` a REAL transformers Trainer run
(tests/helpers/hf_trainer.py) with the TrainingArguments LLaMA-Factory builds from the same file; every ask and
refusal one whole line.

Published configs, unedited, in tests/data/published/llamafactory/ (the repository's own layout, so the
``deepspeed: examples/deepspeed/...`` path resolves as llamafactory-cli resolves it from the repository root),
all from hiyouga/LLaMA-Factory @ ff6d4d12eeb035d6ce06805a5733dd7b29f2ac30:
* examples/train_lora/qwen3_lora_sft.yaml
* examples/train_full/qwen3_full_sft.yaml (+ examples/deepspeed/ds_z3_config.json, which it names)
* examples/train_lora/qwen3_lora_dpo.yaml
* examples/train_lora/qwen3_lora_pretrain.yaml
* examples/v1/train_lora/train_lora_sft.yaml (a "v1" config: another trainer, refused; before this reader it was
  read as a TrainingArguments file and drawn with a linear decay where v1 keeps the lr constant)
* examples/megatron/qwen2_vl_full.yaml and examples/megatron/qwen3_moe_full.yaml (MCA configs, USE_MCA=1: MCA's
  own trainer with Megatron-Core's scheduler, refused; they were drawn as the HF Trainer's schedule)
* examples/extras/nlg_eval/llama3_lora_predict.yaml (do_predict without do_train: no training, refused; it was
  drawn as a 3-epoch linear decay on TrainingArguments' defaults)

The reference for a LLaMA-Factory stage is the HF Trainer: sft/pt/rm train with Trainer subclasses, and the DPO
and KTO trainers call ``Trainer.__init__`` with LLaMA-Factory's TrainingArguments (LLaMA-Factory
src/llamafactory/train/dpo/trainer.py:87, train/kto/trainer.py:89); the DeepSpeed config has no scheduler
block, so HF's scheduler applies (transformers integrations/deepspeed.py ``deepspeed_optim_sched``).
"""

from __future__ import annotations

import pytest
import yaml

from lrplot.errors import LrplotError
from lrplot.sources import BudgetInputs, detect, load_document, load_input
from lrplot.sources.llamafactory import MCA_KEYS
from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("transformers", "accelerate")

EXAMPLES = ROOT / "tests" / "data" / "published" / "llamafactory" / "examples"
LORA_SFT = EXAMPLES / "train_lora" / "qwen3_lora_sft.yaml"
FULL_SFT = EXAMPLES / "train_full" / "qwen3_full_sft.yaml"
LORA_DPO = EXAMPLES / "train_lora" / "qwen3_lora_dpo.yaml"
PRETRAIN = EXAMPLES / "train_lora" / "qwen3_lora_pretrain.yaml"
V1_SFT = EXAMPLES / "v1" / "train_lora" / "train_lora_sft.yaml"
MCA_VL = EXAMPLES / "megatron" / "qwen2_vl_full.yaml"
MCA_MOE = EXAMPLES / "megatron" / "qwen3_moe_full.yaml"


def curves(source) -> list[list[float]]:
    from lrplot.engine import simulate

    result = simulate(source.spec, allow_import=None)
    by_group = {s.group: s.values.tolist() for s in result.series() if s.field == "lr"}
    return [list(v) for v in zip(*by_group.values())]  # the groups in the optimizer's order


def trainer_args(path) -> dict:
    """The schedule keys of the file as TrainingArguments takes them (transformers 5.23 writes
    warmup_ratio as a float warmup_steps < 1, the same ratio: TrainingArguments.get_warmup_steps)."""
    from lrplot.sources.hf_config import SCHEDULE_KEYS

    data = yaml.safe_load(path.read_text())
    args = {k: v for k, v in data.items() if k in SCHEDULE_KEYS and k != "warmup_ratio"}
    if "warmup_ratio" in data:
        args["warmup_steps"] = data["warmup_ratio"]
    return args


@pytest.mark.slow
@pytest.mark.parametrize("path, n, updates", [(LORA_SFT, 100, 39), (FULL_SFT, 60, 90), (LORA_DPO, 40, 15)],
                         ids=["lora_sft", "full_sft_deepspeed", "lora_dpo"])
def test_published_configs_equal_a_real_trainer(tmp_path, path, n, updates):
    from tests.helpers.hf_trainer import run_trainer

    real = run_trainer(trainer_args(path), n, tmp_path / "out")
    source = load_input(path, inputs=BudgetInputs(dataset_size=n))
    assert source.kind == "llamafactory"
    assert source.budget.updates == real["max_steps"] == updates
    assert curves(source) == real["seen"]


def test_a_published_sft_config_says_what_it_read():
    source = load_input(LORA_SFT, inputs=BudgetInputs(dataset_size=100))
    assert source.budget.text == ("100 examples / (1 x 1) = 100 batches per epoch / accumulation 8 = 13 updates x 3 "
                                  "epochs = 39 updates; warmup 10% = 4")
    assert source.notes[0] == ("read as LLaMA-Factory 0.9.6.dev0 (commit ff6d4d12ee) stage sft: the HF Trainer on "
                               "Seq2SeqTrainingArguments' defaults (transformers 5.23.0)")
    assert source.spec.optimizer.lr == 1e-4


def test_the_deepspeed_path_is_found_where_llamafactory_cli_runs():
    source = load_input(FULL_SFT, inputs=BudgetInputs(dataset_size=60))
    assert [str(a) for a in source.assumptions] == [
        "deepspeed: examples/deepspeed/ds_z3_config.json is read from ../../, qwen3_full_sft.yaml's nearest folder "
        "that holds it (llamafactory-cli opens it relative to the folder it runs in)",
        "world size 1 assumed (no --devices): accelerate shards each epoch's batches over the processes (BatchSamplerShard); "
        "add --devices N for N processes"]


def test_dpo_uses_training_arguments_defaults_not_dpo_configs(write_spec):
    path = write_spec("stage: dpo\nfinetuning_type: lora\nnum_train_epochs: 1\n", "dpo.yaml")
    source = load_input(path, inputs=BudgetInputs(dataset_size=16))
    assert source.spec.optimizer.lr == 5e-5  # TrainingArguments' default; TRL's DPOConfig has 1e-6
    assert source.notes[1] == ("stage dpo: LLaMA-Factory's trainer calls Trainer.__init__ with its own "
                               "TrainingArguments, so the defaults are TrainingArguments', not TRL's DPOConfig's")


def test_max_samples_caps_so_the_size_is_asked_in_one_line():
    with pytest.raises(LrplotError) as info:
        load_input(LORA_SFT)
    assert info.value.format() == (
        f"{LORA_SFT}:16:14: needs the training-set size: max_samples 1000 caps each of the 2 datasets (identity, "
        "alpaca_en_demo) at 1000 examples, it does not fix the count; add --dataset-size N (len(train_dataset) after "
        "LLaMA-Factory's preprocessing, at most 2000)")
    with pytest.raises(LrplotError) as info:
        load_input(LORA_DPO, inputs=BudgetInputs(dataset_size=1001))
    assert info.value.format() == (
        f"{LORA_DPO}:18:14: --dataset-size 1001 is more than max_samples 1000 leaves of 1 dataset (1000 examples at "
        "most); give the examples left after max_samples: --dataset-size N with N <= 1000")


def test_pretraining_packs_by_default_so_the_count_is_asked():
    with pytest.raises(LrplotError) as info:
        load_input(PRETRAIN)
    assert info.value.format() == (
        f"{PRETRAIN}:6:8: stage: pt (packing defaults to true for pt) packs the examples into sequences of cutoff_len "
        "2048 tokens, so the update count depends on the tokenized data, which lrplot does not read; count the packed "
        "sequences (len(trainer.train_dataset)) and add --dataset-size N, or set max_steps")
    source = load_input(PRETRAIN, inputs=BudgetInputs(dataset_size=300))
    assert source.budget.updates == 114  # 300 sequences / 8 = 38 updates x 3 epochs
    assert "--dataset-size 300 is read as the number of packed sequences of cutoff_len 2048 tokens (stage: pt " \
           "(packing defaults to true for pt))" in source.assumptions
    assert load_input(PRETRAIN, overrides=["max_steps=50"]).budget.updates == 50


@pytest.mark.parametrize("body, expected", [
    ("finetuning_type: lora\nstage: ppo\nmax_steps: 10\n",
     "x.yaml:2:8: stage: ppo runs LLaMA-Factory's own PPO loop and update count (train/ppo/trainer.py), which lrplot "
     "does not reproduce; draw its schedule as an lrplot spec (steps: its PPO steps)"),
    ("finetuning_type: lora\nstage: sfft\nmax_steps: 10\n",
     "x.yaml:2:8: stage must be one of pt, sft, rm, ppo, dpo, kto, not 'sfft'; did you mean 'sft'?"),
    ("finetuning_type: lora\nmax_steps: 10\nwarmup_ration: 0.1\n",
     "x.yaml:3:1: 'warmup_ration' is not a LLaMA-Factory key; did you mean 'warmup_ratio'?"),
    ("finetuning_type: lora\nstreaming: true\nnum_train_epochs: 1\n",
     "x.yaml:2:12: streaming needs max_steps: LLaMA-Factory refuses it without ('Please specify `max_steps` in "
     "streaming mode.', hparams/parser.py); set max_steps"),
    ("finetuning_type: lora\nneat_packing: true\nnum_train_epochs: 1\n",
     "x.yaml:2:15: neat_packing: true packs the examples into sequences of cutoff_len 2048 tokens, so the update "
     "count depends on the tokenized data, which lrplot does not read; count the packed sequences "
     "(len(trainer.train_dataset)) and add --dataset-size N, or set max_steps"),
])
def test_bad_or_unreadable_configs_get_one_located_line(write_spec, body, expected):
    path = write_spec(body, "x.yaml")
    with pytest.raises(LrplotError) as info:
        load_input(path)
    assert info.value.format() == str(path.parent / expected)


def test_a_predict_only_config_trains_nothing_and_is_one_line(write_spec):
    """LLaMA-Factory's workflows train only ``if training_args.do_train`` (train/sft/workflow.py:120 at the
    commit above; TrainingArguments' do_train defaults to false)."""
    predict = EXAMPLES / "extras" / "nlg_eval" / "llama3_lora_predict.yaml"
    with pytest.raises(LrplotError) as info:
        load_input(predict, inputs=BudgetInputs(dataset_size=50))
    assert info.value.format() == (
        f"{predict}:11:1: do_predict: true: LLaMA-Factory's sft workflow trains only with do_train: true "
        "(train/sft/workflow.py), so this run has no lr schedule; nothing to draw; for the training run, set "
        "do_train: true (--set do_train=true)")
    path = write_spec("stage: dpo\nfinetuning_type: lora\ndo_train: false\nnum_train_epochs: 1\n", "x.yaml")
    with pytest.raises(LrplotError) as info:
        load_input(path, inputs=BudgetInputs(dataset_size=50))
    assert info.value.format().startswith(f"{path}:3:1: do_train: false: LLaMA-Factory's dpo workflow trains only ")


def test_unknown_keys_are_listed_and_own_keys_are_not(write_spec):
    path = write_spec("finetuning_type: lora\nlora_target: all\nmax_steps: 10\nmy_flag: 1\n",
                      "x.yaml")
    source = load_input(path)
    assert source.notes[1] == (
        "keys not of LLaMA-Factory 0.9.6.dev0's argument classes or transformers 5.23.0's Seq2SeqTrainingArguments "
        "(llamafactory-cli refuses them unless ALLOW_EXTRA_ARGS=1): my_flag")


def test_detection_keeps_hf_and_trl_configs_where_they_were():
    published = ROOT / "tests" / "data" / "published"
    for path, kind in [(LORA_SFT, "llamafactory"), (FULL_SFT, "llamafactory"), (LORA_DPO, "llamafactory"),
                       (PRETRAIN, "llamafactory"),
                       (published / "open-r1_qwen2.5-1.5b_grpo_config_demo.yaml", "trl"),
                       (published / "open-r1_qwen2.5-1.5b_sft_config_demo.yaml", "trl"),
                       (published / "alignment-handbook_llama3-8b_orpo_config_v1.0.yaml", "trl"),
                       (ROOT / "configs" / "frameworks" / "hf_sft.yaml", "hf")]:
        assert detect(load_document(path)) == kind, path


def test_the_key_table_is_what_the_generator_writes():
    """The table's header names the LLaMA-Factory version and commit it was generated from."""
    from lrplot.sources import llamafactory_keys as keys

    assert keys.VERSION == "0.9.6.dev0" and keys.COMMIT == "ff6d4d12eeb035d6ce06805a5733dd7b29f2ac30"
    assert keys.KEYS["FinetuningArguments"]["stage"] == "sft"
    assert keys.KEYS["DataArguments"]["packing"] is None and keys.KEYS["DataArguments"]["max_samples"] is None
    assert keys.WHERE["FinetuningArguments"] == "src/llamafactory/hparams/finetuning_args.py:444"


@pytest.mark.slow
def test_loraplus_groups_equal_the_trainers_scheduler_over_its_four_groups(tmp_path, write_spec):
    """LLaMA-Factory's LoRA+ optimizer (trainer_utils.py:401-406: lora_a at lr, lora_b and lora_b_nodecay at
    lr x ratio, embedding at loraplus_lr_embedding), given to a real Trainer's create_scheduler."""
    import torch
    from transformers import Seq2SeqTrainingArguments, Trainer

    from tests.helpers.hf_trainer import _Data, _model

    keys = {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 2, "learning_rate": 2e-4,
            "num_train_epochs": 2, "lr_scheduler_type": "cosine", "warmup_steps": 3, "weight_decay": 0.01}
    path = write_spec(yaml.safe_dump({"finetuning_type": "lora", "loraplus_lr_ratio": 16.0, **keys}), "x.yaml")
    source = load_input(path, inputs=BudgetInputs(dataset_size=30))
    args = Seq2SeqTrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True, **keys)
    trainer = Trainer(model=_model(), args=args, train_dataset=_Data(30))
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(4)]
    lr = keys["learning_rate"]
    optimizer = torch.optim.AdamW([{"params": [params[0]], "lr": lr}, {"params": [params[1]], "lr": lr * 16.0},
                                   {"params": [params[2]], "lr": lr * 16.0, "weight_decay": 0.0},
                                   {"params": [params[3]], "lr": 1e-6}], lr=lr)
    total = trainer.set_initial_training_values(args, trainer.get_train_dataloader())[-1]
    scheduler = trainer.create_scheduler(num_training_steps=total, optimizer=optimizer)
    seen = []
    for _ in range(total):
        seen.append([g["lr"] for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    assert source.budget.updates == total == 16
    assert [g.name for g in source.spec.param_groups] == ["lora_a", "lora_b", "lora_b_nodecay", "embedding"]
    assert curves(source) == seen


@pytest.mark.slow
def test_warmup_stable_decay_gets_llamafactorys_thirds(tmp_path, write_spec):
    """create_custom_scheduler (trainer_utils.py:556-570): num_stable_steps (total - warmup) // 3, the rest
    decays; the reference is the real Trainer given those kwargs."""
    from tests.helpers.hf_trainer import run_trainer

    keys = {"per_device_train_batch_size": 2, "learning_rate": 1e-3, "num_train_epochs": 1,
            "lr_scheduler_type": "warmup_stable_decay", "warmup_steps": 2}
    path = write_spec(yaml.safe_dump({"finetuning_type": "full", **keys}), "x.yaml")
    source = load_input(path, inputs=BudgetInputs(dataset_size=24))
    real = run_trainer({**keys, "lr_scheduler_kwargs": {"num_stable_steps": 3, "num_decay_steps": 7}}, 24,
                       tmp_path / "out")
    assert source.budget.updates == real["max_steps"] == 12  # (12 - 2) // 3 = 3 stable, 7 decaying
    assert curves(source) == real["seen"]


def test_check_state_resume_and_print_spec_read_a_published_config(cli):
    common = ("--dataset-size", "100")
    budget = (f"{LORA_SFT}: 100 examples / (1 x 1) = 100 batches per epoch / accumulation 8 = 13 updates x 3 epochs "
              "= 39 updates; warmup 10% = 4")
    checked = cli("check", LORA_SFT, *common)
    assert checked.exit_code == 0 and "1 schedule(s) checked: 0 error(s)" in checked.stdout
    assert budget in checked.stderr
    state = cli("state", LORA_SFT, "--at", "4", "--json", *common)
    assert state.exit_code == 0 and '"at": 4' in state.stdout
    resumed = cli("resume", LORA_SFT, "--at", "20", "--method", "full", *common)
    assert resumed.exit_code == 0 and "identical" in resumed.stdout, resumed.stdout + resumed.stderr
    printed = cli(LORA_SFT, "--print-spec", *common)
    assert printed.exit_code == 0
    assert printed.stdout.splitlines()[:2] == [f"# lrplot spec of {LORA_SFT} (read as llamafactory)",
                                               f"# budget: {budget.split(': ', 1)[1]}"]


def test_from_llamafactory_forces_the_kind(write_spec):
    path = write_spec("learning_rate: 1e-4\nnum_train_epochs: 1\nlr_scheduler_type: linear\n", "x.yaml")
    assert detect(load_document(path)) == "hf"
    source = load_input(path, kind="llamafactory", inputs=BudgetInputs(dataset_size=8))
    assert source.kind == "llamafactory" and source.budget.updates == 1


def test_a_v1_config_is_refused_instead_of_drawn_as_trainingarguments():
    """LLaMA-Factory v1 (src/llamafactory/v1/core/base_trainer.py:215-223 @ ff6d4d12): LambdaLR(lambda x: 1.0)
    without lr_scheduler_config; its learning_rate + max_steps made the HF reader claim the file."""
    assert detect(load_document(V1_SFT)) == "llamafactory"
    with pytest.raises(LrplotError) as info:
        load_input(V1_SFT)
    assert info.value.format() == (
        f"{V1_SFT}:2:1: a LLaMA-Factory v1 config: its own trainer (src/llamafactory/v1/core/base_trainer.py), whose "
        "lr stays constant unless lr_scheduler_config names a scheduler plugin; lrplot does not read v1 configs; draw "
        "its schedule as an lrplot spec (no lr_scheduler_config: a constant lr)")


@pytest.mark.parametrize("path, more", [(MCA_VL, 5), (MCA_MOE, 11)])
def test_an_mca_config_is_refused_instead_of_drawn_as_the_hf_trainer(path, more):
    """LLaMA-Factory reads mcore_adapter's keys only with USE_MCA=1 (hparams/parser.py:73-79, :396-398 @ ff6d4d12)
    and trains on MCA's trainer (train/mca/workflow.py), whose scheduler is Megatron-Core's OptimizerParamScheduler
    (alibaba/ROLL mcore_adapter/src/mcore_adapter/trainer/utils.py:149-189 @ 8eb27cc2dc34c4d1310b169d9b86d339004d811a),
    stepped once per successful update over MCA's own count (trainer/trainer.py:452-454, :633-671)."""
    assert detect(load_document(path)) == "llamafactory"
    with pytest.raises(LrplotError) as info:
        load_input(path, inputs=BudgetInputs(dataset_size=1000))
    assert info.value.format() == (
        f"{path}:24:1: tensor_model_parallel_size (and {more} more): mcore_adapter's keys, which LLaMA-Factory reads "
        "only with USE_MCA=1 and then trains on MCA's own trainer: Megatron-Core's OptimizerParamScheduler over MCA's "
        "update count (mcore_adapter trainer/utils.py get_megatron_lr_scheduler), which lrplot does not model; draw "
        "the run as an lrplot spec with that scheduler type; or, for the HF Trainer run LLaMA-Factory makes without "
        "USE_MCA, drop each with --set '~KEY'")
    keys = [k for k in yaml.safe_load(path.read_text()) if k in MCA_KEYS]
    assert len(keys) == more + 1
    dropped = load_input(path, overrides=[f"~{k}" for k in keys], inputs=BudgetInputs(dataset_size=1000))
    assert dropped.kind == "llamafactory" and not any("ALLOW_EXTRA_ARGS" in n for n in dropped.notes)


def test_print_spec_is_the_same_schedule_with_loraplus_groups(cli, write_spec, tmp_path):
    path = write_spec("finetuning_type: lora\nloraplus_lr_ratio: 8\nnum_train_epochs: 2\nlearning_rate: 1e-4\n"
                      "lr_scheduler_type: cosine\nwarmup_steps: 2\n", "x.yaml")
    printed = cli(path, "--dataset-size", "20", "--print-spec")
    assert printed.exit_code == 0
    spec = tmp_path / "printed.yaml"
    spec.write_text(printed.stdout)
    assert curves(load_input(spec)) == curves(load_input(path, inputs=BudgetInputs(dataset_size=20)))
