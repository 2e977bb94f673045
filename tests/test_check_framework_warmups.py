"""check on published configs whose declared warmup is steep or starts at lr 0 by its framework's design: the
rises of torchtitan's 2-update debug warmup are not jumps, and the first update(s) at lr 0 of a warmup from 0
(torchtune, Composer, Megatron-LM, DeepSpeed, transformers) are not 'updates that do nothing'; a zero or a jump
that is not the warmup's is still said. Each case first shows, with the framework's own scheduler stepped as
its trainer steps it, that the curve does what the rule would have said (so the test fails if the exemption
does not apply), then compares check's whole output.

Published configs, unedited (cited in the tests that read them with the framework):
tests/data/torchtitan/debug_model.toml (pytorch/torchtitan at 73a0e6979dd10b6b1904098eb3c8f62c18ab87ce,
torchtitan/models/llama3/train_configs/debug_model.toml; tests/test_sources_torchtitan.py);
tests/data/torchtune/1B_lora_single_device.yaml (pytorch/torchtune at bd2a0fc7c31430972728494fa01aaeeb0ebf1ba1,
recipes/configs/llama3_2/1B_lora_single_device.yaml; tests/test_sources_torchtune.py);
tests/data/composer/mpt-125m.yaml (mosaicml/llm-foundry at b91e01f8b56afea613e32b693981e38d496281bb,
scripts/train/yamls/pretrain/mpt-125m.yaml; tests/test_sources_composer.py);
tests/data/megatron/gpt_config.yaml (NVIDIA/Megatron-LM examples/gpt3/gpt_config.yaml; tests/test_sources_megatron.py,
whose recorded loop of megatron-core 0.16.1 gives its first iterations' lr);
tests/data/deepspeed/t5_base_pretraining.json (deepspeedai/DeepSpeedExamples at
d6b8036ecce3a70dea35476d74e09e5b43976b51; tests/test_check_warmup.py).
"""

from __future__ import annotations

import json

import pytest

from lrplot.check import check_schedule
from lrplot.sources import BudgetInputs, load_input
from lrplot.spec import parse_spec
from tests.helpers.paths import ROOT

DATA = ROOT / "tests" / "data"


def check_lines(source) -> list[str]:
    return [f.text() for s in source.spec.schedule_list() for f in check_schedule(s)]


def stepped(scheduler_of, lr: float, updates: int) -> list[float]:
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


@pytest.mark.slow
def test_torchtitan_debug_warmup_of_two_updates_is_not_a_jump():
    from tests.helpers.framework_stub import torchtitan_schedulers

    module = torchtitan_schedulers()
    if module is None:
        pytest.skip("torchtitan is not installed")
    from torchtitan.config import ConfigManager

    path = DATA / "torchtitan" / "debug_model.toml"
    job = ConfigManager().parse_args(["--job.config_file", str(path)])
    lrs = stepped(lambda opt: module.build_lr_schedulers([opt], job.lr_scheduler, job.training.steps),
                  job.optimizer.lr, job.training.steps)
    assert job.lr_scheduler.warmup_steps == 2 and lrs[:2] == [job.optimizer.lr / 2, job.optimizer.lr]
    # before: "debug_model.toml:32:1: warning: 'debug_model' lr at step 1: lr jumps from 0.0004 to 0.0008
    # (+50% of its peak) [jump]"
    assert check_lines(load_input(path)) == []


@pytest.mark.slow
def test_torchtune_warmup_from_zero_is_its_design():
    from tests.helpers.framework_stub import torchtune_schedulers

    module = torchtune_schedulers()
    if module is None:
        pytest.skip("torchtune is not installed")
    path = DATA / "torchtune" / "1B_lora_single_device.yaml"
    source = load_input(path, inputs=BudgetInputs(dataset_size=10000))
    assert source.budget.updates == 312
    lrs = stepped(lambda opt: module.get_cosine_schedule_with_warmup(opt, 100, 312), 3e-4, 312)
    assert lrs[0] == 0.0 < lrs[1]
    # before: "1B_lora_single_device.yaml:62:3: warning: '1B_lora_single_device' lr at step 0: lr is 0 at 1
    # step(s): 0; those updates do nothing [nonpositive-lr]"
    assert check_lines(source) == []


@pytest.mark.slow
def test_composer_warmup_from_zero_is_its_design():
    from tests.helpers.composer_stub import batch_stepped, install_composer_stub

    if not install_composer_stub():
        pytest.skip("mosaicml is not installed (pip install --no-deps mosaicml==0.32.1)")
    from composer.optim.scheduler import CosineAnnealingWithWarmupScheduler

    compiled = batch_stepped(CosineAnnealingWithWarmupScheduler(t_warmup="100ba", alpha_f=0.1), "4800ba")

    path = DATA / "composer" / "mpt-125m.yaml"
    lrs = stepped(compiled, 6.0e-4, 3)
    assert lrs[:2] == [0.0, 0.0] < lrs[2:]  # its first two updates
    # before: "mpt-125m.yaml:59:3: warning: 'mpt-125m' lr at step 0: lr is 0 at 2 step(s): 0, 1; those updates
    # do nothing [nonpositive-lr]"
    assert check_lines(load_input(path)) == []


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_megatron_warmup_from_init_lr_zero_is_its_design():
    record = json.loads((DATA / "megatron" / "gpt_config.loop.json").read_text())
    assert record["sample"]["0"][1] == 0.0 < record["sample"]["1"][1]  # megatron-core's own loop
    source = load_input(DATA / "megatron" / "gpt_config.yaml", overrides=record["overrides"])
    assert check_lines(source) == []


@pytest.mark.slow
def test_deepspeed_log_warmup_from_min_lr_zero_is_its_design():
    from tests.helpers.deepspeed_engine import engine_loop

    path = DATA / "deepspeed" / "t5_base_pretraining.json"
    lrs = engine_loop(json.loads(path.read_text()), 3)
    assert lrs[:2] == [0.0, 0.0] < lrs[2:]  # set when built, then log(1) at iteration 0
    assert check_lines(load_input(path)) == []


# --- what is not the warmup's is still said -----------------------------------------------------------------

def test_a_zero_after_a_warmup_from_zero_is_still_said():
    pytest.importorskip("transformers")
    from transformers import get_scheduler

    # transformers' linear schedule reaches 0 at num_training_steps and stays there: 50 updates do nothing
    text = ('steps: 100\noptimizer: {lr: 0.001}\nscheduler: {type: "transformers:get_scheduler", name: linear, '
            'num_warmup_steps: 10, num_training_steps: 50}\n')
    lrs = stepped(lambda opt: get_scheduler("linear", opt, num_warmup_steps=10, num_training_steps=50), 0.001, 100)
    zeros = [t for t, lr in enumerate(lrs) if lr == 0]
    assert zeros == [0] + list(range(50, 100))
    lines = [f.text() for s in parse_spec(text, "s.yaml").schedule_list() for f in check_schedule(s)]
    assert lines == ["s.yaml:3:12: warning: 's' lr at step 50: lr is 0 at 50 step(s): 50, 51, 52, 53, 54 (+45 more); "
                     "those updates do nothing [nonpositive-lr]"]


def test_a_fall_inside_a_steep_warmup_is_still_a_jump():
    # LinearLR's 2-update warmup rises 50% a step (not said); its hand-off at 2 to a ConstantLR at a quarter falls
    text = ("steps: 10\nscheduler:\n  type: SequentialLR\n  milestones: [2]\n  schedulers:\n"
            "    - {type: LinearLR, start_factor: 0.5, total_iters: 2}\n"
            "    - {type: ConstantLR, factor: 0.25, total_iters: 100}\n")
    lines = [f.text() for s in parse_spec(text, "s.yaml").schedule_list() for f in check_schedule(s)]
    assert [line for line in lines if "[jump]" in line] == [
        "s.yaml:3:3: error: 's' lr at step 2: lr jumps from 0.075 to 0.025 (-67% of its peak), at the SequentialLR "
        "hand-off to ConstantLR [jump]"]
