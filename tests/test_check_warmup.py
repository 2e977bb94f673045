"""check's long-warmup: a run that ends before its warmup does never reaches the peak lr. One line naming the
warmup, the run's length and the lr it reaches, located at the warmup's key; the figure's footnote says it too.

The values in each expected line come from the framework's own scheduler stepped as its trainer steps it:

* torchtune's ``get_cosine_schedule_with_warmup`` (torchtune 0.6.1, through tests/helpers/framework_stub.py),
  stepped after every update by the PPO recipe (recipes/ppo_full_finetune_single_device.py at
  bd2a0fc7c31430972728494fa01aaeeb0ebf1ba1, :939-1070) and by the LoRA recipes (lora_finetune_distributed.py,
  same commit: ``optimizer.step(); lr_scheduler.step()``);
* Composer's ``CosineAnnealingWithWarmupScheduler`` compiled by ``compile_composer_scheduler`` and stepped
  per batch before the timestamp moves on (composer/trainer/trainer.py of mosaicml 0.32.1, :2416-2560);
* transformers' ``get_scheduler`` stepped after every update (Trainer ``_inner_training_loop``).

Published configs, unedited: tests/data/torchtune/7B_full_ppo_low_memory.yaml
(recipes/configs/mistral/7B_full_ppo_low_memory.yaml) and tests/data/torchtune/11B_lora_multi_dataset.yaml
(recipes/configs/dev/11B_lora_multi_dataset.yaml), pytorch/torchtune at bd2a0fc7c31430972728494fa01aaeeb0ebf1ba1;
tests/data/composer/hf-llama-3.1-8B.yaml: scripts/train/yamls/pretrain/hf-llama-3.1-8B.yaml of
mosaicml/llm-foundry at b91e01f8b56afea613e32b693981e38d496281bb (max_duration 50ba, t_warmup 100ba).

DeepSpeed's WarmupLR / WarmupDecayLR / WarmupCosineLR (deepspeed 0.19.8), driven by its engine's loop
(tests/helpers/deepspeed_engine.py: built once, ``lr_scheduler.step()`` after every applied update): the
published tests/data/deepspeed/gpt2_baseline.json (claude_tutorials/model_configs/gpt/gpt2_baseline.json at
a56a7261e8412f1a734af7cdf8d087a34f29b130) and t5_base_pretraining.json (claude_tutorials/model_configs/t5/
t5_base_pretraining.json at d6b8036ecce3a70dea35476d74e09e5b43976b51), deepspeedai/DeepSpeedExamples.
"""

from __future__ import annotations


import pytest

from lrplot.check import check_schedule
from lrplot.sources import BudgetInputs, load_input
from tests.helpers.paths import ROOT

DATA = ROOT / "tests" / "data"
PPO = DATA / "torchtune" / "7B_full_ppo_low_memory.yaml"
MULTI = DATA / "torchtune" / "11B_lora_multi_dataset.yaml"
LLAMA = DATA / "composer" / "hf-llama-3.1-8B.yaml"


def warmup_lines(source) -> list[str]:
    return [f.text() for s in source.spec.schedule_list() for f in check_schedule(s) if f.rule == "long-warmup"]


def recorded(scheduler_of, lr: float, updates: int, step_first: bool = False) -> list[float]:
    """The lr of every update of a real torch optimizer, its scheduler stepped after each update."""
    import torch

    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    seen: list[float] = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: seen.append(opt.param_groups[0]["lr"]))
    scheduler = scheduler_of(optimizer)
    for _ in range(updates):
        optimizer.step()
        scheduler.step()
    return seen


def line(path, name: str, where: str, run: int, warmup: int, key: str, top: float, peak: float) -> str:
    return (f"{path}:{where}: warning: '{name}' lr at step {run - 1}: the run ({run} updates) ends before its warmup "
            f"of {warmup} updates ({key}) reaches the peak: lr climbs only to {top:.6g}, {top / peak:.0%} of its peak "
            f"{peak:.6g}; shorten {key} or lengthen the run [long-warmup]")


@pytest.fixture(scope="module")
def torchtune_module():
    from tests.helpers.framework_stub import torchtune_schedulers

    module = torchtune_schedulers()
    if module is None:
        pytest.skip("torchtune is not installed")
    return module


@pytest.mark.slow
@pytest.mark.parametrize("path, inputs, run, lr, where", [
    (PPO, {}, 78, 3e-6, "213:21"),                     # num_steps 10000 // batch_size 128 = 78 updates
    (MULTI, {"dataset_size": 1000}, 50, 1e-4, "105:21"),  # max_steps_per_epoch 50 x 1 epoch
])
def test_published_torchtune_configs_never_reach_their_peak(torchtune_module, path, inputs, run, lr, where):
    source = load_input(path, inputs=BudgetInputs(**inputs))
    assert source.budget.updates == run and source.budget.warmup == 100
    lrs = recorded(lambda opt: torchtune_module.get_cosine_schedule_with_warmup(opt, 100, run), lr, run)
    assert max(lrs) < lr
    assert warmup_lines(source) == [line(path, path.stem, where, run, 100, "num_warmup_steps", max(lrs), lr)]
    # with a warmup the run outlasts, nothing is said
    shorter = load_input(path, inputs=BudgetInputs(**inputs), overrides=["lr_scheduler.num_warmup_steps=10"])
    assert warmup_lines(shorter) == []


@pytest.mark.slow
def test_published_llm_foundry_config_never_reaches_its_peak():
    from tests.helpers.composer_stub import batch_stepped, install_composer_stub

    if not install_composer_stub():
        pytest.skip("mosaicml is not installed (pip install --no-deps mosaicml==0.32.1)")
    from composer.optim.scheduler import CosineAnnealingWithWarmupScheduler

    compiled = batch_stepped(CosineAnnealingWithWarmupScheduler(t_warmup="100ba", alpha_f=0.1), "50ba")

    source = load_input(LLAMA, inputs=BudgetInputs())
    assert source.budget.updates == 50
    lrs = recorded(compiled, 6.0e-4, 50)
    assert warmup_lines(source) == [line(LLAMA, LLAMA.stem, "53:13", 50, 100, "t_warmup", max(lrs), 6.0e-4)]


HF = "learning_rate: 1e-3\nnum_train_epochs: 2\nper_device_train_batch_size: 4\nlr_scheduler_type: {kind}\n{warmup}\n"


def test_hf_warmup_longer_than_the_run_is_said_and_drawn(write_spec):
    from transformers import get_scheduler

    from lrplot.engine import simulate
    from lrplot.findings import figure_facts

    path = write_spec(HF.format(kind="cosine", warmup="warmup_steps: 100"), "sft.yaml")
    source = load_input(path, inputs=BudgetInputs(dataset_size=100, devices=1))  # 25 batches x 2 epochs
    lrs = recorded(lambda opt: get_scheduler("cosine", opt, num_warmup_steps=100, num_training_steps=50), 1e-3, 50)
    expected = line(path, "sft", "5:15", 50, 100, "warmup_steps", max(lrs), 1e-3)
    assert warmup_lines(source) == [expected]  # one line for the Trainer's two param groups
    _, _, notes = figure_facts([source.spec], simulate(source.spec), [source])
    assert notes == (f"\u26a0 {expected.split(': warning: ', 1)[1]}",)


@pytest.mark.parametrize("kind, warmup", [
    ("cosine", "warmup_steps: 49"),          # the peak at the last update
    ("constant", "warmup_steps: 100"),       # get_scheduler's constant ignores num_warmup_steps
    ("cosine", "warmup_steps: 0.5"),         # a ratio below 1 is shorter than the run
])
def test_hf_no_line_where_the_peak_is_reached(write_spec, kind, warmup):
    source = load_input(write_spec(HF.format(kind=kind, warmup=warmup), "sft.yaml"),
                        inputs=BudgetInputs(dataset_size=100, devices=1))
    assert warmup_lines(source) == []


DS = DATA / "deepspeed"
TOTAL = "scheduler.params.total_num_steps"


def ds_line(path, where: str, run: int, warmup: int, top: float, peak: float) -> str:
    return line(path, path.stem, where, run, warmup, "scheduler.params.warmup_num_steps", top, peak)


@pytest.mark.slow
@pytest.mark.parametrize("name, where, run, peak", [
    ("gpt2_baseline", "38:27", 300, 5e-05),           # WarmupLR: warmup_num_steps 500, log warmup to warmup_max_lr
    ("t5_base_pretraining", "36:27", 5000, 1e-4),     # WarmupDecayLR: warmup_num_steps 10000, total set to 5000
])
def test_published_deepspeed_configs_cut_short_never_reach_their_peak(name, where, run, peak):
    import json

    from tests.helpers.deepspeed_engine import engine_loop

    path = DS / f"{name}.json"

    def run_for(updates: int) -> list[float]:  # the lr of each update of a run of ``updates``
        config = json.loads(path.read_text())
        if "total_num_steps" in config["scheduler"]["params"]:  # WarmupDecayLR's total is the run's length
            config["scheduler"]["params"]["total_num_steps"] = updates
        return engine_loop(config, updates)

    config, lrs = json.loads(path.read_text()), run_for(run)
    warmup = config["scheduler"]["params"]["warmup_num_steps"]
    assert max(lrs) < peak == config["scheduler"]["params"]["warmup_max_lr"]
    source = load_input(path, overrides=[f"{TOTAL}={run}"])
    assert warmup_lines(source) == [ds_line(path, where, run, warmup, max(lrs), peak)]
    # the log warmup's peak is the lr of update warmup_num_steps (iteration warmup_num_steps - 1): a run one
    # update longer reaches it, and nothing is said
    assert run_for(warmup + 1)[-1] == pytest.approx(peak, rel=1e-12)  # log(W) / log(W), to the float
    assert warmup_lines(load_input(path, overrides=[f"{TOTAL}={warmup + 1}"])) == []


@pytest.mark.slow
@pytest.mark.parametrize("extra, run, said", [
    (', "warmup_type": "linear"', 21, True),   # linear: iteration 20 (update 21) is the peak, a 21-update run ends before
    (', "warmup_type": "linear"', 22, False),  # past the warmup: its cosine starts below 1 (never exactly the peak)
    ('', 20, True),                            # log: iteration 19 (update 20) is the peak
    ('', 21, False),
])
def test_deepspeed_warmup_cosine_is_said_exactly_when_its_peak_is_not_reached(tmp_path, extra, run, said):
    import json

    from tests.helpers.deepspeed_engine import engine_loop

    text = ('{"train_batch_size": 8, "optimizer": {"type": "AdamW", "params": {"lr": 0.001}},\n'
            ' "scheduler": {"type": "WarmupCosineLR", "params": {"total_num_steps": %d, "warmup_num_steps": 20%s}}}\n'
            % (run, extra))
    path = tmp_path / "ds.json"
    path.write_text(text)
    lrs = engine_loop(json.loads(text), run)
    assert max(lrs) < 0.001 if said else lrs[run - 1] < lrs[run - 2] or lrs[-1] == pytest.approx(0.001, rel=1e-12)
    key = '"warmup_num_steps": '
    where = f"2:{text.splitlines()[1].index(key) + len(key) + 1}"  # the value's line:column
    expected = [ds_line(path, where, run, 20, max(lrs), 0.001)] if said else []
    assert warmup_lines(load_input(path)) == expected
