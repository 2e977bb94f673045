"""axolotl configs: axolotl's update count and warmup, drawn `==` a REAL transformers Trainer run
(tests/helpers/hf_trainer.py) given the TrainingArguments axolotl builds from the same file; every ask and
refusal one whole line.

Published configs, unedited, in tests/data/published/axolotl/ (the repository's layout), all from
axolotl-ai-cloud/axolotl @ 067b021c8b87a9e5e380b9173c704cf7340e30f5:
* examples/llama-3/instruct-lora-8b.yml (sample_packing: false, val_set_size 0.05): drawn
* examples/falcon-h1/falcon-h1-1b-qlora.yaml (sample_packing: false): drawn
* examples/llama-3/instruct-dpo-lora-8b.yml (rl: dpo; preference RL counts the same way, common/datasets.py:121-124,
  and AxolotlDPOTrainer keeps SchedulerMixin, core/trainers/dpo/trainer.py:26-28): drawn
* examples/arcee/afm-4.5b-qlora.yaml (sample_packing: true): asked
* examples/llama-3/qlora-1b-gdpo.yaml (rl: gdpo with max_steps 100 and warmup_steps 10: the Trainer runs max_steps,
  base.py:686, with warmup_steps as given, base.py:240-241, whatever TRL's generation sampler makes of the data):
  drawn
* examples/llama-3/3b-qat-fsdp2.yaml (cosine_min_lr_ratio: axolotl's own scheduler): drawn with axolotl's own
  get_cosine_schedule_with_min_lr (axolotl 0.19.0, whose utils/schedulers.py and core/trainers/mixins/scheduler.py
  are those of that commit), == a real Trainer whose create_scheduler builds it as SchedulerMixin does

The reference TrainingArguments are what axolotl's builder passes (src/axolotl/core/builders/base.py):
``max_steps`` = total_num_steps (line 677) = ceil(examples x num_epochs / (micro_batch_size x
gradient_accumulation_steps)) (src/axolotl/utils/trainer.py:519-522, utils/config/__init__.py:202-207);
``warmup_steps`` = int(warmup_ratio x total) (base.py:242-244), 2 where that is 1 (base.py:256-257); ``per_device_train_batch_size`` =
micro_batch_size (line 668); ``lr_scheduler_type`` = lr_scheduler (lines 284-287).
"""

from __future__ import annotations

import math

import pytest
import yaml

from lrplot.errors import LrplotError
from lrplot.sources import BudgetInputs, detect, load_document, load_input
from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("transformers", "accelerate")

EXAMPLES = ROOT / "tests" / "data" / "published" / "axolotl" / "examples"
LLAMA3_LORA = EXAMPLES / "llama-3" / "instruct-lora-8b.yml"
FALCON_QLORA = EXAMPLES / "falcon-h1" / "falcon-h1-1b-qlora.yaml"
LLAMA3_DPO = EXAMPLES / "llama-3" / "instruct-dpo-lora-8b.yml"
PACKED = EXAMPLES / "arcee" / "afm-4.5b-qlora.yaml"
MIN_LR = EXAMPLES / "llama-3" / "3b-qat-fsdp2.yaml"
GDPO = EXAMPLES / "llama-3" / "qlora-1b-gdpo.yaml"


def curves(source) -> list[list[float]]:
    from lrplot.engine import simulate

    result = simulate(source.spec, allow_import=None)
    by_group = {s.group: s.values.tolist() for s in result.series() if s.field == "lr"}
    return [list(v) for v in zip(*by_group.values())]


def axolotl_training_args(path, n: int) -> dict:
    """The schedule's TrainingArguments axolotl's builder makes for ``n`` training examples (see above)."""
    cfg = yaml.safe_load(path.read_text())
    micro, accumulation = cfg.get("micro_batch_size", 1), cfg.get("gradient_accumulation_steps", 1)
    total = math.ceil(n * cfg.get("num_epochs", 1.0) / (micro * accumulation))
    warmup = int(cfg["warmup_ratio"] * total)
    warmup = 2 if warmup == 1 else warmup  # base.py:256-257
    return {"max_steps": total, "warmup_steps": warmup, "learning_rate": cfg["learning_rate"],
            "lr_scheduler_type": cfg.get("lr_scheduler", "cosine"), "per_device_train_batch_size": micro,
            "gradient_accumulation_steps": accumulation, "weight_decay": cfg.get("weight_decay", 0.0)}


@pytest.mark.slow
@pytest.mark.parametrize("path, n, updates", [(LLAMA3_LORA, 40, 20), (FALCON_QLORA, 30, 30), (LLAMA3_DPO, 24, 12)],
                         ids=["llama3_instruct_lora", "falcon_h1_qlora", "llama3_instruct_dpo"])
def test_published_configs_equal_a_real_trainer(tmp_path, path, n, updates):
    from tests.helpers.hf_trainer import run_trainer

    real = run_trainer(axolotl_training_args(path, n), n, tmp_path / "out")
    source = load_input(path, inputs=BudgetInputs(dataset_size=n))
    assert source.kind == "axolotl"
    assert source.budget.updates == real["max_steps"] == updates
    assert curves(source) == real["seen"]


@pytest.mark.slow
def test_a_published_generation_rl_config_with_max_steps_and_warmup_steps_equals_a_real_trainer(tmp_path):
    """rl: gdpo was refused whatever the config said; with max_steps and warmup_steps both set, its
    TrainingArguments are those (base.py:686, 240-241) and the Trainer runs exactly max_steps updates."""
    from tests.helpers.hf_trainer import run_trainer

    cfg = yaml.safe_load(GDPO.read_text())
    args = {"max_steps": cfg["max_steps"], "warmup_steps": cfg["warmup_steps"],
            "learning_rate": float(cfg["learning_rate"]),  # PyYAML reads 5e-5 as text, axolotl's schema a float
            "lr_scheduler_type": cfg["lr_scheduler"], "per_device_train_batch_size": cfg["micro_batch_size"],
            "gradient_accumulation_steps": cfg["gradient_accumulation_steps"], "weight_decay": cfg["weight_decay"]}
    real = run_trainer(args, 16, tmp_path / "out")
    source = load_input(GDPO)
    assert source.kind == "axolotl"
    assert source.budget.updates == real["max_steps"] == 100
    assert curves(source) == real["seen"]


def test_a_published_config_says_what_it_read_and_assumed():
    source = load_input(LLAMA3_LORA, inputs=BudgetInputs(dataset_size=40))
    assert source.budget.text == ("40 examples x 4 epochs / (micro_batch_size 2 x accumulation 4 x 1 device) = 20 "
                                  "updates; warmup 2 steps")
    world = ("world size 1 assumed (no --devices): the global batch is micro_batch_size x accumulation x the "
             "data-parallel world size; add --devices N for N processes")
    assert list(source.notes) == [
        "--dataset-size is read as the training split left after val_set_size 0.05",
        "warmup 2 updates: int(warmup_ratio 0.1 x 20)",
        "optim adamw_bnb_8bit is drawn on torch AdamW: the lr schedule is the same (a LambdaLR scales each param "
        "group's initial lr)", world]
    assert [str(a) for a in source.assumptions] == [
        "--dataset-size is read as the training split left after val_set_size 0.05", world]


def test_sample_packing_is_asked_in_one_line():
    with pytest.raises(LrplotError) as info:
        load_input(PACKED, inputs=BudgetInputs(dataset_size=1000))
    assert info.value.format() == (
        f"{PACKED}:24:17: sample_packing: true packs examples into sequence_len bins and axolotl estimates the update "
        "count from the tokenized data (utils/trainer.py calculate_total_num_steps), which lrplot does not read; set "
        "the run's update count: --set max_steps=N (axolotl logs it: 'Maximum number of steps set at N')")
    source = load_input(PACKED, overrides=["max_steps=120"])
    assert source.budget.updates == 120
    assert [str(a) for a in source.assumptions][-1] == (
        "sample_packing: read as max_steps 120 updates; axolotl trains min(its packed estimate, max_steps)")


def _mixin_scheduler(cfg: dict, warmup: int):
    """axolotl's SchedulerMixin.create_scheduler (core/trainers/mixins/scheduler.py:38-46, 82-122 at the
    commit above) for ``cfg``: its branch and arguments, axolotl's own scheduler code built by it; the
    warmup is get_warmup_steps of the warmup_steps axolotl's builder set (base.py:235-268)."""
    from axolotl.utils import schedulers as S

    lr, name = float(cfg["learning_rate"]), cfg.get("lr_scheduler", "cosine")
    ratio, constant = cfg.get("cosine_min_lr_ratio"), cfg.get("cosine_constant_lr_ratio")
    cosine = name in ("cosine", "rex")  # rex trains with lr_scheduler_type 'cosine' (base.py:281-283)
    use_min = cosine and ratio is not None

    def create(optimizer, total):
        if name == "rex":
            return S.RexLR(optimizer=optimizer, max_lr=lr, min_lr=0 if not use_min else lr * ratio,
                           total_steps=total, num_warmup_steps=warmup)
        if cosine and cfg.get("lr_quadratic_warmup") is True:
            return S.get_cosine_schedule_with_quadratic_warmup(optimizer, num_warmup_steps=warmup,
                                                               num_training_steps=total)
        if ratio and constant and use_min:
            return S.get_cosine_schedule_with_warmup_decay_constant(
                optimizer, num_warmup_steps=warmup, num_training_steps=total, min_lr_ratio=ratio,
                constant_lr_ratio=constant)
        assert ratio and use_min
        return S.get_cosine_schedule_with_min_lr(optimizer, num_warmup_steps=warmup, num_training_steps=total,
                                                 min_lr_ratio=ratio)
    return create


OWN = {  # axolotl keys -> its own scheduler; 60 examples / 2 = 30 updates, warmup_steps 5
    "min_lr": "cosine_min_lr_ratio: 0.1\n",
    "decay_constant": "cosine_min_lr_ratio: 0.1\ncosine_constant_lr_ratio: 0.5\n",
    "quadratic": "lr_quadratic_warmup: true\n",
    "rex": "lr_scheduler: rex\n",
    "rex_min_lr": "lr_scheduler: rex\ncosine_min_lr_ratio: 0.2\n",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(OWN))
def test_axolotls_own_schedulers_equal_a_real_trainer_building_them_as_its_mixin(tmp_path, name):
    require("axolotl")
    from tests.helpers.hf_trainer import run_trainer

    text = BASE + "micro_batch_size: 2\nnum_epochs: 1\nwarmup_steps: 5\n" + OWN[name]
    cfg = yaml.safe_load(text)
    args = {"max_steps": 30, "warmup_steps": 5, "learning_rate": 0.01, "lr_scheduler_type": "cosine",
            "per_device_train_batch_size": 2, "gradient_accumulation_steps": 1}
    real = run_trainer(args, 60, tmp_path / "out", create_scheduler=_mixin_scheduler(cfg, 5))
    (tmp_path / "x.yaml").write_text(text)
    source = load_input(tmp_path / "x.yaml", inputs=BudgetInputs(dataset_size=60))
    assert source.spec.scheduler.type.startswith("axolotl.utils.schedulers:")
    assert curves(source) == real["seen"] and len(real["seen"]) == 30
    assert len({v[0] for v in real["seen"]}) > 5


@pytest.mark.slow
def test_a_published_config_with_axolotls_own_scheduler_equals_a_real_trainer(tmp_path):
    require("axolotl")
    from tests.helpers.hf_trainer import run_trainer

    cfg = yaml.safe_load(MIN_LR.read_text())  # cosine_min_lr_ratio 1.0, cosine_constant_lr_ratio 0 (falsy)
    # learning_rate: 2e-5 is a string to YAML 1.1; axolotl's schema converts it (schemas/training.py:280-285)
    args = {**axolotl_training_args(MIN_LR, 320), "learning_rate": float(cfg["learning_rate"])}
    real = run_trainer(args, 320, tmp_path / "out", create_scheduler=_mixin_scheduler(cfg, args["warmup_steps"]))
    source = load_input(MIN_LR, inputs=BudgetInputs(dataset_size=320))
    assert source.spec.scheduler.type == "axolotl.utils.schedulers:get_cosine_schedule_with_min_lr"
    assert (source.budget.updates, args["warmup_steps"]) == (20, 2)
    assert curves(source) == real["seen"]


def test_without_axolotl_its_own_scheduler_says_how_to_install_it(monkeypatch, write_spec):
    from lrplot.engine import simulate

    path = write_spec(BASE + "micro_batch_size: 2\nnum_epochs: 1\nlr_scheduler: rex\n", "x.yaml")
    source = load_input(path, inputs=BudgetInputs(dataset_size=60))
    import importlib

    from lrplot.imports import loading

    real = importlib.import_module

    def absent(name, *args):  # what Python raises where axolotl is not installed
        if name.split(".")[0] == "axolotl":
            raise ModuleNotFoundError("No module named 'axolotl'", name="axolotl")
        return real(name, *args)

    monkeypatch.setattr(loading.importlib, "import_module", absent)
    with pytest.raises(LrplotError) as info:
        simulate(source.spec)
    assert info.value.format().endswith(
        "cannot import 'axolotl.utils.schedulers': no module named 'axolotl'; install it (pip install --no-deps "
        "axolotl: its pins would replace your torch, and its scheduler module needs only torch) in the environment "
        "that runs lrplot, or check the spelling")


def test_jagged_restarts_and_bad_ratios_are_refused_in_one_line(write_spec):
    path = write_spec(BASE + "micro_batch_size: 2\nnum_epochs: 1\njagged_restart_steps: 10\n", "x.yaml")
    with pytest.raises(LrplotError) as info:
        load_input(path, inputs=BudgetInputs(dataset_size=60))
    assert info.value.format() == (
        f"{path}:6:23: jagged_restart_steps makes axolotl wrap its scheduler in JaggedLRRestartScheduler "
        "(axolotl/utils/schedulers.py, core/trainers/mixins/scheduler.py:134-150), which lrplot's axolotl reader does "
        "not draw; draw it as an lrplot spec, or compare with --set jagged_restart_steps=null")
    path = write_spec(BASE + "micro_batch_size: 2\nnum_epochs: 1\ncosine_min_lr_ratio: 1.5\n", "x.yaml")
    with pytest.raises(LrplotError) as info:
        load_input(path, inputs=BudgetInputs(dataset_size=60))
    assert info.value.format() == (
        f"{path}:6:22: cosine_min_lr_ratio is 1.5; axolotl asserts it is between 0.0 and 1.0 "
        "(core/trainers/mixins/scheduler.py:84, 106-107, 116); set cosine_min_lr_ratio to a number in [0, 1]")


BASE = "base_model: x\nsequence_len: 512\nlearning_rate: 0.01\n"


@pytest.mark.parametrize("body, n, warmup", [
    ("micro_batch_size: 2\nnum_epochs: 1\nwarmup_steps: 1\n", 40, 2),        # a warmup of 1 becomes 2 (base.py:256)
    ("micro_batch_size: 1\nnum_epochs: 2\n", 500, 30),                          # default: int(0.03 x 1000)
    ("micro_batch_size: 1\nnum_epochs: 10\n", 500, 100),                        # default, at most 100
    ("micro_batch_size: 4\nnum_epochs: 1\nwarmup_ratio: 0.15\n", 10, 0),        # int(0.15 x 3) = 0
])
def test_axolotls_warmup_rules(write_spec, body, n, warmup):
    source = load_input(write_spec(BASE + body, "x.yaml"), inputs=BudgetInputs(dataset_size=n))
    assert source.spec.scheduler.num_warmup_steps == warmup


def test_max_steps_caps_the_count_and_without_a_size_is_an_assumption(write_spec):
    path = write_spec(BASE + "micro_batch_size: 2\nnum_epochs: 3\nmax_steps: 25\n", "x.yaml")
    assert load_input(path, inputs=BudgetInputs(dataset_size=10)).budget.updates == 15  # min(15, 25)
    assert load_input(path, inputs=BudgetInputs(dataset_size=100)).budget.updates == 25
    source = load_input(path)
    assert source.budget.updates == 25
    assert [str(a) for a in source.assumptions] == [
        "read as max_steps 25 updates; axolotl trains min(ceil(examples x num_epochs / batch), max_steps)"]


def test_devices_multiply_the_batch(write_spec):
    path = write_spec(BASE + "micro_batch_size: 2\ngradient_accumulation_steps: 2\nnum_epochs: 1\n", "x.yaml")
    assert load_input(path, inputs=BudgetInputs(dataset_size=100, devices=4)).budget.updates == 7  # ceil(100 / 16)


@pytest.mark.slow
def test_one_cycle_is_torchs_one_cycle_as_axolotl_builds_it(write_spec):
    """core/trainers/mixins/scheduler.py:67-82: OneCycleLR(max_lr=learning_rate, total_steps, pct_start =
    warmup / total, anneal_strategy 'cos'), stepped once per update by the Trainer."""
    import torch

    path = write_spec(BASE + "micro_batch_size: 2\nnum_epochs: 1\nlr_scheduler: one_cycle\nwarmup_ratio: 0.25\n",
                      "x.yaml")
    source = load_input(path, inputs=BudgetInputs(dataset_size=40))
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.01, total_steps=20, pct_start=5 / 20,
                                                    anneal_strategy="cos")
    seen = []
    for _ in range(20):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert [row[0] for row in curves(source)] == seen


@pytest.mark.parametrize("body, expected", [
    (BASE + "micro_batch_size: 2\nnum_epochs: 1\nwarmup_ration: 0.1\n",
     "x.yaml:6:1: 'warmup_ration' is not an axolotl key; did you mean 'warmup_ratio'?"),
    (BASE + "micro_batch_size: 2\nnum_epochs: 1\nrl: grpo\n",
     "x.yaml:6:5: rl: grpo counts its updates over TRL's generation sampler (axolotl leaves total_num_steps unset for "
     "it), which lrplot's axolotl reader does not reproduce; set max_steps and warmup_steps (what the run then uses "
     "as given), or draw it as an lrplot spec with steps: its update count"),
    (BASE + "micro_batch_size: 2\nnum_epochs: 1\nrl: ebft\nmax_steps: 20\nwarmup_ratio: 0.1\n",
     "x.yaml:6:5: rl: ebft counts its updates over TRL's generation sampler (axolotl leaves total_num_steps unset for "
     "it), which lrplot's axolotl reader does not reproduce; set max_steps and warmup_steps (what the run then uses "
     "as given), or draw it as an lrplot spec with steps: its update count"),
    (BASE + "micro_batch_size: 2\nnum_epochs: 1\nloraplus_lr_ratio: 16\n",
     "x.yaml:6:20: loraplus_lr_ratio gives some param groups their own lr, which lrplot's axolotl reader does not "
     "draw; draw it as an lrplot spec with param_groups"),
    (BASE + "micro_batch_size: 2\nnum_epochs: 1\nlr_scheduler: cosinee\n",
     "x.yaml:6:15: unknown lr_scheduler_type 'cosinee' (transformers 5.23.0); did you mean 'cosine'?"),
    (BASE + "micro_batch_size: 2\nnum_epochs: 1\nwarmup_steps: 0.1\n",
     "x.yaml:6:15: warmup_steps must be a whole number, not 0.1: axolotl's schema takes an int "
     "(src/axolotl/utils/schemas/config.py:1184); for a ratio write warmup_ratio: 0.1"),
    (BASE + "micro_batch_size: 2\nnum_epochs: 1\n",
     "x.yaml:5:13: needs the training-set size; add --dataset-size N (len(train_dataset) after axolotl's "
     "preprocessing; axolotl logs the update count it derives: 'Maximum number of steps set at N')"),
])
def test_bad_or_unreadable_configs_get_one_located_line(write_spec, body, expected):
    path = write_spec(body, "x.yaml")
    inputs = BudgetInputs() if "needs" in expected else BudgetInputs(dataset_size=10)
    with pytest.raises(LrplotError) as info:
        load_input(path, inputs=inputs)
    assert info.value.format() == str(path.parent / expected)


def test_unknown_keys_are_listed(write_spec):
    body = BASE + "micro_batch_size: 2\nnum_epochs: 1\nmy_flag: 1\nlora_r: 8\nadam_eps: 1e-9\nmy_warmup_scale: 2\n"
    source = load_input(write_spec(body, "x.yaml"), inputs=BudgetInputs(dataset_size=10))
    # adam_eps is closest to adam_epsilon: no typo; my_warmup_scale is closest to warmup_steps but only at
    # ratio 0.67, under the one typo ratio every reader uses (text.TYPO_RATIO): a project's key, listed
    assert source.notes[0] == ("keys not of axolotl's config schema (067b021c8), left to axolotl (its validation may "
                               "refuse them): my_flag, adam_eps, my_warmup_scale")


def test_detection_claims_axolotl_files_only():
    for path in (LLAMA3_LORA, FALCON_QLORA, LLAMA3_DPO, PACKED, MIN_LR):
        assert detect(load_document(path)) == "axolotl", path
    assert detect(load_document(ROOT / "tests" / "data" / "megatron" / "gpt_config.yaml")) == "megatron"
    assert detect(load_document(ROOT / "configs" / "frameworks" / "hf_sft.yaml")) == "hf"


def test_the_key_table_names_its_commit_and_defaults():
    from lrplot.sources import axolotl_keys as keys

    assert keys.COMMIT == "067b021c8b87a9e5e380b9173c704cf7340e30f5"
    assert keys.READ["lr_scheduler"] == ("cosine", "src/axolotl/utils/schemas/training.py:144")
    assert keys.READ["micro_batch_size"][0] == 1 and keys.READ["num_epochs"][0] == 1.0
    assert "model_type" in keys.KEYS  # an alias (schemas/deprecated.py)


def test_check_state_resume_and_print_spec_read_a_published_config(cli):
    common = ("--dataset-size", "40")
    budget = (f"{LLAMA3_LORA}: 40 examples x 4 epochs / (micro_batch_size 2 x accumulation 4 x 1 device) = 20 "
              "updates; warmup 2 steps")
    checked = cli("check", LLAMA3_LORA, *common)
    assert checked.exit_code == 0 and "1 schedule(s) checked: 0 error(s)" in checked.stdout
    assert budget in checked.stderr
    state = cli("state", LLAMA3_LORA, "--at", "4", "--json", *common)
    assert state.exit_code == 0 and '"at": 4' in state.stdout
    resumed = cli("resume", LLAMA3_LORA, "--at", "10", "--method", "full", *common)
    assert resumed.exit_code == 0 and "identical" in resumed.stdout, resumed.stdout + resumed.stderr
    printed = cli(LLAMA3_LORA, "--print-spec", *common)
    assert printed.exit_code == 0
    assert printed.stdout.splitlines()[:2] == [f"# lrplot spec of {LLAMA3_LORA} (read as axolotl)",
                                               f"# budget: {budget.split(': ', 1)[1]}"]


def test_from_axolotl_forces_the_kind_and_a_missing_learning_rate_is_one_line(write_spec):
    path = write_spec("learning_rate: 0.001\nnum_epochs: 2\n", "x.yaml")
    source = load_input(path, kind="axolotl", inputs=BudgetInputs(dataset_size=8))
    assert source.kind == "axolotl" and source.budget.updates == 16  # micro_batch_size defaults to 1
    path = write_spec("base_model: x\nmicro_batch_size: 2\nnum_epochs: 1\n", "y.yaml")
    with pytest.raises(LrplotError) as info:
        load_input(path, inputs=BudgetInputs(dataset_size=8))
    assert info.value.format() == f"{path}: learning_rate is required by axolotl's schema; set learning_rate"


def test_print_spec_is_the_same_schedule_for_one_cycle(cli, write_spec, tmp_path):
    path = write_spec(BASE + "micro_batch_size: 2\nnum_epochs: 1\nlr_scheduler: one_cycle\nwarmup_ratio: 0.25\n",
                      "x.yaml")
    printed = cli(path, "--dataset-size", "40", "--print-spec")
    assert printed.exit_code == 0
    spec = tmp_path / "printed.yaml"
    spec.write_text(printed.stdout)
    assert curves(load_input(spec)) == curves(load_input(path, inputs=BudgetInputs(dataset_size=40)))
