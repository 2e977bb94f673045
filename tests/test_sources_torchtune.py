"""torchtune recipe configs: lrplot's curve equals torchtune's OWN scheduler function driven as its recipes
drive it, ``==`` at every update.

The reference below builds torchtune's real ``get_cosine_schedule_with_warmup`` (torchtune 0.6.1,
``torchtune/training/lr_schedulers.py``; loaded through a stub parent package: tests/helpers/framework_stub.py)
and steps it with the recipe's loop, read from torchtune 0.6.1's ``recipes/lora_finetune_single_device.py``:

* :546-572 ``_setup_data``: ``StatefulDistributedSampler(ds, num_replicas=1, rank=0)`` and
  ``StatefulDataLoader(batch_size=batch_size, sampler=sampler, drop_last=True)`` (the distributed recipes:
  ``num_replicas=self.dp_size``, full_finetune_distributed.py:719); the reference measures ``len()`` of
  torchdata's real loader over a dataset of N items;
* :328-334 ``self._steps_per_epoch = len(self._dataloader) // self._gradient_accumulation_steps``, capped by
  ``max_steps_per_epoch``; :340-344 ``num_training_steps=self.total_epochs * self._steps_per_epoch``,
  ``last_epoch=self.global_step - 1``;
* :680-718 ``for idx, batch in enumerate(self._dataloader): ... if (idx + 1) % accum == 0:
  self._optimizer.step(); ...; self._lr_scheduler.step()`` and :772-775 ``if ((idx + 1) // accum) ==
  self.max_steps_per_epoch: break``.

The published configs in tests/data/torchtune/ are taken unedited from pytorch/torchtune at
bd2a0fc7c31430972728494fa01aaeeb0ebf1ba1: recipes/configs/llama3_2/1B_lora_single_device.yaml,
recipes/configs/dev/11B_lora_multi_dataset.yaml and recipes/configs/llama3_2/1B_full_single_device.yaml;
3B_full_grpo.yaml: recipes/configs/dev/3B_full_grpo.yaml, same repository and commit, for the GRPO recipe
(recipes/dev/grpo_full_finetune_distributed.py, same commit: :201 ``len(self._dataloader)`` batches per epoch,
no accumulation; :205-209 the horizon; :839-857 ``ppo_epochs`` updates per batch, each stepping the scheduler;
:902-904 the stop after ``num_steps`` batches).
7B_full_ppo_low_memory.yaml: recipes/configs/mistral/7B_full_ppo_low_memory.yaml, same repository and commit, for
the PPO recipe (recipes/ppo_full_finetune_single_device.py, same commit: :442 ``self._total_steps = cfg.num_steps
// self.batch_size``; :260-271 ``num_training_steps=lr_steps``, the run's updates; :939-1070 the loop: per batch
``for _ in range(ppo_epochs): for i in range(0, batch_size, ppo_batch_size): ... optimizer.step();
lr_scheduler.step()``, stopping when ``self._steps_run == self._total_steps``).
8B_full_single_device.yaml: recipes/configs/llama3/8B_full_single_device.yaml, same repository and commit
(optimizer_in_bwd: True with an lr_scheduler), for the full recipe's refusals beside optimizer_in_bwd (torchtune 0.6.1
recipes/full_finetune_single_device.py:146-157: ``if self._optimizer_in_bwd: if self._clip_grad_norm is not None:
raise RuntimeError(...)``; ``if self._gradient_accumulation_steps > 1: raise RuntimeError(...)``).
"""

from __future__ import annotations

import pytest

from lrplot.errors import SpecError
from lrplot.sources import BudgetInputs, load_input
from lrplot.yamlio import load_yaml

from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("torchtune", "torchdata")

DATA = ROOT / "tests" / "data" / "torchtune"
LORA = DATA / "1B_lora_single_device.yaml"
MULTI = DATA / "11B_lora_multi_dataset.yaml"
FULL = DATA / "1B_full_single_device.yaml"
GRPO = DATA / "3B_full_grpo.yaml"
PPO = DATA / "7B_full_ppo_low_memory.yaml"
IN_BWD = DATA / "8B_full_single_device.yaml"


@pytest.fixture(scope="module")
def torchtune_schedulers():
    from tests.helpers.framework_stub import torchtune_schedulers

    module = torchtune_schedulers()
    if module is None:
        pytest.skip("torchtune is not installed")
    return module


def recipe_loop(module, cfg: dict, examples: int, world: int = 1) -> list[float]:
    """The recipe's calls, as quoted above, on torch's AdamW with the config's lr."""
    import warnings

    import torch
    from torchdata.stateful_dataloader import StatefulDataLoader
    from torchdata.stateful_dataloader.sampler import StatefulDistributedSampler

    ds = list(range(examples))
    sampler = StatefulDistributedSampler(ds, num_replicas=world, rank=0, shuffle=True, seed=0)
    with warnings.catch_warnings():  # torchdata 0.11 calls torch.set_vital, which torch 2.13 deprecates
        warnings.simplefilter("ignore", UserWarning)
        loader_len = len(StatefulDataLoader(ds, batch_size=cfg["batch_size"], sampler=sampler, drop_last=True))
    accum, cap = cfg["gradient_accumulation_steps"], cfg["max_steps_per_epoch"]
    steps_per_epoch = loader_len // accum
    if cap is not None and cap < steps_per_epoch:
        steps_per_epoch = cap
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=float(cfg["optimizer"]["lr"]))
    block = {k: v for k, v in cfg["lr_scheduler"].items() if k != "_component_"}
    scheduler = module.get_cosine_schedule_with_warmup(
        optimizer, **block, num_training_steps=cfg["epochs"] * steps_per_epoch, last_epoch=-1)
    lrs = []
    for _ in range(cfg["epochs"]):
        for idx in range(loader_len):
            if (idx + 1) % accum == 0:
                lrs.append(optimizer.param_groups[0]["lr"])   # the lr this update uses
                optimizer.step()
                scheduler.step()
            if (idx + 1) // accum == cap:
                break
    return lrs


def grpo_loop(module, cfg: dict, prompts: int, world: int) -> list[float]:
    """The GRPO recipe's calls, as quoted above, on torch's AdamW with the config's lr."""
    import warnings

    import torch
    from torchdata.stateful_dataloader import StatefulDataLoader
    from torchdata.stateful_dataloader.sampler import StatefulDistributedSampler

    ds = list(range(prompts))
    sampler = StatefulDistributedSampler(ds, num_replicas=world, rank=0, shuffle=True, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        steps_per_epoch = len(StatefulDataLoader(ds, batch_size=cfg["batch_size"], sampler=sampler, drop_last=True))
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=float(cfg["optimizer"]["lr"]))
    block = {k: v for k, v in cfg["lr_scheduler"].items() if k != "_component_"}
    scheduler = module.get_cosine_schedule_with_warmup(
        optimizer, **block, num_training_steps=cfg["epochs"] * steps_per_epoch, last_epoch=-1)
    lrs, steps_run = [], 0
    for _ in range(cfg["epochs"]):
        for _ in range(steps_per_epoch):
            for _ in range(cfg["ppo_epochs"]):
                lrs.append(optimizer.param_groups[0]["lr"])
                optimizer.step()
                scheduler.step()
            steps_run += 1
            if steps_run == cfg["num_steps"]:
                return lrs
    return lrs


def ppo_loop(module, cfg: dict, batches_per_epoch: int) -> list[float]:
    """The PPO recipe's calls, as quoted above, on torch's AdamW with the config's lr: its epochs over a
    data loader of ``batches_per_epoch`` batches, until ``num_steps // batch_size`` batches have run."""
    import math

    import torch

    batch, ppo_batch = cfg["batch_size"], cfg["ppo_batch_size"]
    total_steps = cfg["num_steps"] // batch
    lr_steps = total_steps * cfg["ppo_epochs"] * (batch // ppo_batch)
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=float(cfg["optimizer"]["lr"]))
    block = {k: v for k, v in cfg["lr_scheduler"].items() if k != "_component_"}
    scheduler = module.get_cosine_schedule_with_warmup(optimizer, **block, num_training_steps=lr_steps, last_epoch=-1)
    lrs, steps_run = [], 0
    for _ in range(math.ceil(total_steps / batches_per_epoch)):
        for _ in range(batches_per_epoch):
            for _ in range(cfg["ppo_epochs"]):
                for _ in range(0, batch, ppo_batch):
                    lrs.append(optimizer.param_groups[0]["lr"])
                    optimizer.step()
                    scheduler.step()
            steps_run += 1
            if steps_run == total_steps:
                return lrs
    return lrs


def drawn(path, inputs: BudgetInputs, overrides=()):
    from lrplot.engine import simulate

    source = load_input(path, inputs=inputs, overrides=overrides)
    return source, simulate(source.spec).schedules[0].values[(0, "lr")].tolist()


def config(path) -> dict:
    return load_yaml(path.read_text(), str(path))[0]


@pytest.mark.slow
def test_published_lora_config_equals_the_recipe(torchtune_schedulers):
    source, lr = drawn(LORA, BudgetInputs(dataset_size=51760))  # alpaca-cleaned's size
    assert source.kind == "torchtune" and source.budget.updates == 1617 == len(lr)
    assert source.budget.text == ("51760 examples / (4) = 12940 batches per epoch (drop_last) / accumulation 8 = "
                                  "1617 updates x 1 epochs = 1617 updates (num_training_steps); num_warmup_steps 100")
    assert lr == recipe_loop(torchtune_schedulers, config(LORA), 51760)
    assert lr[0] == 0.0 and lr[100] == 3e-4


@pytest.mark.slow
def test_published_capped_config_never_reaches_its_peak(torchtune_schedulers):
    """max_steps_per_epoch 50 with num_warmup_steps 100: the run ends half-way up its warmup."""
    source, lr = drawn(MULTI, BudgetInputs(dataset_size=20000))
    assert lr == recipe_loop(torchtune_schedulers, config(MULTI), 20000) and len(lr) == 50
    assert max(lr) == lr[-1] < 1e-4 / 2


@pytest.mark.slow
@pytest.mark.parametrize("prompts, devices, overrides, updates", [
    (7473, 4, [], 200),                                 # gsm8k's train split on the 4 GPUs its header names
    (50, 3, ["ppo_epochs=2", "epochs=3"], 102),         # 17 batches x 3 epochs, 2 updates each, under num_steps
])
def test_published_grpo_config_equals_the_grpo_recipe(torchtune_schedulers, prompts, devices, overrides, updates):
    # read before as the fine-tuning recipes count: refused for gradient_accumulation_steps, which this
    # recipe never reads, and with it set, 10 epochs x 1869 updates drawn for a run that stops after 200
    source, lr = drawn(GRPO, BudgetInputs(dataset_size=prompts, devices=devices), overrides)
    cfg = config(GRPO)
    for item in overrides:
        key, value = item.split("=")
        cfg[key] = int(value)
    assert lr == grpo_loop(torchtune_schedulers, cfg, prompts, devices)
    assert source.budget.updates == len(lr) == updates
    if not overrides:
        assert source.budget.text == (
            "7473 prompts / (1 x 4) = 1869 batches per epoch (drop_last) x 10 epochs = 18690 (num_training_steps); "
            "the run stops at num_steps 200 batches; x ppo_epochs 1 = 200 updates; num_warmup_steps 50")


@pytest.mark.slow
@pytest.mark.parametrize("overrides, batches_per_epoch, updates", [
    ((), 1000, 78),   # as published: 10000 // 128 = 78 batches of one update; warmup 100 never ends
    (("ppo_epochs=2", "ppo_batch_size=32", "num_steps=40000", "lr_scheduler.num_warmup_steps=50"), 7, 2496),
])
def test_published_ppo_config_equals_the_ppo_recipe(torchtune_schedulers, overrides, batches_per_epoch, updates):
    """The PPO recipe reads no epochs and no dataset size: lrplot asked for cfg.epochs, and with it drew
    epochs x len(dataloader) updates. The data loader's length only sets how many epochs the run takes."""
    source, lr = drawn(PPO, BudgetInputs(), overrides)
    cfg = config(PPO)
    for item in overrides:
        key, _, value = item.partition("=")
        *parents, last = key.split(".")
        node = cfg
        for part in parents:
            node = node[part]
        node[last] = int(value)
    assert source.budget.updates == updates == len(lr) and source.assumptions[0].startswith(
        "read as torchtune's PPO recipe at bd2a0fc (main), which steps lr_scheduler after every PPO update")
    assert lr == ppo_loop(torchtune_schedulers, cfg, batches_per_epoch)
    assert lr[0] == 0.0 and (max(lr) < 3e-6 if not overrides else max(lr) == 3e-6)


@pytest.mark.slow
@pytest.mark.parametrize("examples, devices, overrides", [
    (1001, 3, ["gradient_accumulation_steps=3", "epochs=3"]),   # padding to the world size, leftover batches
    (5000, None, ["max_steps_per_epoch=20", "epochs=2", "lr_scheduler.num_warmup_steps=7"]),
])
def test_epochs_devices_and_caps_equal_the_recipe(torchtune_schedulers, examples, devices, overrides):
    source, lr = drawn(LORA, BudgetInputs(dataset_size=examples, devices=devices), overrides)
    cfg = config(LORA)
    for item in overrides:
        key, value = item.split("=")
        *parents, last = key.split(".")
        (cfg[parents[0]] if parents else cfg)[last] = int(value)
    assert lr == recipe_loop(torchtune_schedulers, cfg, examples, devices or 1)
    assert source.budget.updates == len(lr) == (3 * (334 // 4 // 3) if devices else 40)


def test_is_recognised_by_content_and_by_from(tmp_path):
    from lrplot.sources import detect, load_document

    assert detect(load_document(LORA)) == "torchtune"
    assert detect(load_document(MULTI)) == "torchtune"


def test_published_config_without_a_scheduler_is_refused_in_one_line():
    with pytest.raises(SpecError) as err:
        load_input(FULL, inputs=BudgetInputs(dataset_size=1000))
    assert err.value.format() == (
        f"{FULL}:22:1: no lr_scheduler: torchtune's recipe runs no scheduler and the lr stays at 2e-05 "
        "(_setup_lr_scheduler: 'Using constant learning rate'); nothing to draw; add lr_scheduler: {_component_: "
        "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup, num_warmup_steps: N}")


@pytest.mark.slow
def test_published_optimizer_in_backward_config_equals_the_recipe(torchtune_schedulers):
    source, lr = drawn(IN_BWD, BudgetInputs(dataset_size=1000))
    assert source.budget.updates == 500 and lr == recipe_loop(torchtune_schedulers, config(IN_BWD), 1000)


@pytest.mark.parametrize("override, message", [
    ("gradient_accumulation_steps=4",
     "--set gradient_accumulation_steps: gradient_accumulation_steps 4 with optimizer_in_bwd: True: torchtune's recipe "
     "refuses to start ('Gradient accumulation is not supported with optimizer in bwd'); set "
     "gradient_accumulation_steps: 1, or optimizer_in_bwd: False"),
    ("clip_grad_norm=1.0",
     "--set clip_grad_norm: clip_grad_norm with optimizer_in_bwd: True: torchtune's recipe refuses to start "
     "('Gradient clipping is not supported with optimizer in bwd'); set clip_grad_norm: null, or optimizer_in_bwd: "
     "False"),
])
def test_what_the_recipe_refuses_beside_optimizer_in_backward_is_refused(override, message):
    """It drew 125 updates of accumulated batches for a run torchtune refuses to start."""
    with pytest.raises(SpecError) as err:
        load_input(IN_BWD, inputs=BudgetInputs(dataset_size=1000), overrides=[override])
    assert err.value.format() == message


@pytest.mark.parametrize("text, message", [
    ("optimizer: {_component_: torch.optim.AdamW, lr: 2e-5}\nlr_scheduler:\n  _component_: "
     "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup\n  num_warmup_steps: 10\nbatch_size: 4\n"
     "epochs: 1\ngradient_accumulation_steps: 1\ndataset: {_component_: torchtune.datasets.alpaca_dataset}\n",
     "tune.yaml:8:10: needs the training-set size (the dataset component builds it; the recipe's updates per "
     "epoch are its data loader's length); add --dataset-size N"),
    ("optimizer: {_component_: torch.optim.AdamW, lr: 2e-5}\nlr_scheduler:\n  _component_: "
     "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup\n  num_training_steps: 10\nbatch_size: 4\n"
     "epochs: 1\ngradient_accumulation_steps: 1\n",
     "tune.yaml:4:3: lr_scheduler.num_training_steps: the recipe passes num_training_steps itself (torchtune "
     "would fail: got multiple values for keyword argument 'num_training_steps'); --set "
     "'~lr_scheduler.num_training_steps'"),
    ("optimizer: {_component_: torch.optim.AdamW, lr: 2e-5}\nlr_scheduler:\n  _component_: "
     "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup\n  num_warmup_steps: 10\nbatch_size: 4\n"
     "epochs: one\ngradient_accumulation_steps: 1\n",
     "tune.yaml:6:9: epochs must be a whole number >= 1, not 'one'; fix it, or --set epochs=N"),
    ("optimizer: {_component_: torch.optim.AdamW, lr: 2e-5}\nlr_scheduler:\n  _component_: "
     "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup\n  num_warmup_steps: 10\nbatch_size: 64\n"
     "epochs: 1\ngradient_accumulation_steps: 4\n",
     "tune.yaml:5:13: 100 examples give 1 full batches of 64, fewer than one update of 4 accumulated batches "
     "(torchtune drops the last partial batch); check --dataset-size, batch_size and gradient_accumulation_steps"),
    ("optimizer: {_component_: torch.optim.AdamW, lr: 2e-5}\nlr_scheduler:\n  _component_: "
     "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup\n  num_warmup_steps: 10\nbatch_size: 64\n"
     "num_steps: 1000\nppo_epochs: 1\nppo_batch_size: 48\ngradient_accumulation_steps: 1\n",
     "tune.yaml:8:17: batch_size 64 is not a multiple of ppo_batch_size 48 (the PPO recipe refuses it); make "
     "ppo_batch_size divide batch_size"),
    ("optimizer: {_component_: torch.optim.AdamW, lr: 2e-5}\nlr_scheduler:\n  _component_: "
     "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup\n  num_warmup_steps: 10\nbatch_size: 64\n"
     "num_steps: 32\nppo_epochs: 1\nppo_batch_size: 32\ngradient_accumulation_steps: 1\n",
     "tune.yaml:6:12: num_steps 32 is less than batch_size 64: no batch to train on (the PPO recipe refuses it); "
     "num_steps counts samples: make it at least batch_size"),
])
def test_bad_configs_are_refused_in_one_located_line(tmp_path, text, message):
    path = tmp_path / "tune.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_input(path, inputs=BudgetInputs(dataset_size=100) if "dataset:" not in text else BudgetInputs())
    assert err.value.format() == f"{tmp_path}/{message}"


@pytest.mark.slow
def test_print_spec_is_the_same_schedule(torchtune_schedulers, cli, tmp_path):
    from lrplot.engine import simulate
    from lrplot.spec import load_spec

    printed = cli(LORA, "--dataset-size", "2000", "--print-spec")
    assert printed.exit_code == 0, printed.output
    assert "type: 'torchtune.training.lr_schedulers:get_cosine_schedule_with_warmup'" in printed.stdout
    (tmp_path / "spec.yaml").write_text(printed.stdout)
    again = simulate(load_spec(tmp_path / "spec.yaml")).schedules[0].values[(0, "lr")].tolist()
    assert again == drawn(LORA, BudgetInputs(dataset_size=2000))[1]
