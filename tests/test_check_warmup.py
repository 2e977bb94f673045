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
"""

from __future__ import annotations

from types import SimpleNamespace

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
    from tests.helpers.composer_stub import install_composer_stub

    if not install_composer_stub():
        pytest.skip("mosaicml is not installed (pip install --no-deps mosaicml==0.32.1)")
    from composer.core.time import Time, Timestamp
    from composer.optim.scheduler import CosineAnnealingWithWarmupScheduler, compile_composer_scheduler

    def compiled(optimizer):
        state = SimpleNamespace(optimizers=[optimizer], max_duration=Time.from_timestring("50ba"),
                                dataloader_len=None, timestamp=Timestamp())
        scheduler = compile_composer_scheduler(CosineAnnealingWithWarmupScheduler(t_warmup="100ba", alpha_f=0.1),
                                               state)

        class Stepped:  # the Trainer: scheduler.step(), then the timestamp moves to the next batch
            def step(self):
                scheduler.step()
                state.timestamp = state.timestamp.to_next_batch()
        return Stepped()

    source = load_input(LLAMA, inputs=BudgetInputs())
    assert source.budget.updates == 50
    lrs = recorded(compiled, 6.0e-4, 50)
    assert warmup_lines(source) == [line(LLAMA, LLAMA.stem, "53:13", 50, 100, "t_warmup", max(lrs), 6.0e-4)]


HF = "learning_rate: 1e-3\nnum_train_epochs: 2\nper_device_train_batch_size: 4\nlr_scheduler_type: {kind}\n{warmup}\n"


def test_hf_warmup_longer_than_the_run_is_said_and_drawn(write_spec):
    from transformers import get_scheduler

    from lrplot.engine import simulate
    from lrplot.pipeline import figure_facts

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
