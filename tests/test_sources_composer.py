"""LLM Foundry / Composer configs: lrplot's curve equals Composer's OWN scheduler, compiled and stepped as
Composer's Trainer does, ``==`` at every update.

Composer's Trainer does not run here (mosaicml 0.32.1 pins torch < 2.7.1 and needs torchvision), so the
reference runs Composer's real ``composer/optim/scheduler.py`` and ``composer/core/time.py`` (through a
stub parent package: tests/helpers/composer_stub.py) with the Trainer's loop, read from
composer/trainer/trainer.py of that release:

* :1570 ``_compile_schedulers``: a Composer scheduler becomes ``compile_composer_scheduler(scheduler,
  state, ssr)`` (composer/optim/scheduler.py:160-201), a LambdaLR calling the scheduler on the state;
* :1576-1579 and :163-177: schedulers step every batch unless a torch scheduler is among them (then every
  epoch), or as ``step_schedulers_every_batch`` says;
* :2416-2560 ``_train_loop``: while ``timestamp < max_duration``: per batch, (every batch) ``scheduler.step()``,
  then ``timestamp = timestamp.to_next_batch(samples, tokens)``, leaving the epoch when ``timestamp >=
  max_duration``; at an exhausted dataloader, (every epoch) ``scheduler.step()``, then ``to_next_epoch()``.

The lr each update uses is recorded with ``optimizer.register_step_pre_hook``. The published configs in
tests/data/composer/ are taken unedited from mosaicml/llm-foundry at
8c8dd48f72168c5d51e2f7b151595892a8fba43d: scripts/train/yamls/pretrain/mpt-125m.yaml,
scripts/train/yamls/pretrain/gpt2-small.yaml, scripts/train/yamls/finetune/mpt-7b_dolly_sft.yaml,
scripts/train/yamls/finetune/1b_local_data_sft.yaml.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml

from lrplot.errors import SpecError
from lrplot.sources import BudgetInputs, load_input

from tests.helpers.composer_stub import install_composer_stub
from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("composer")

DATA = ROOT / "tests" / "data" / "composer"
MPT = DATA / "mpt-125m.yaml"
GPT2 = DATA / "gpt2-small.yaml"
DOLLY = DATA / "mpt-7b_dolly_sft.yaml"
LOCAL = DATA / "1b_local_data_sft.yaml"
REGISTRY = {"cosine_with_warmup": "CosineAnnealingWithWarmupScheduler",
            "linear_decay_with_warmup": "LinearWithWarmupScheduler",
            "constant_with_warmup": "ConstantWithWarmupScheduler"}  # llmfoundry/optim/__init__.py:23-31


@pytest.fixture(scope="module", autouse=True)
def composer_code():
    if not install_composer_stub():
        pytest.skip("mosaicml is not installed (pip install --no-deps mosaicml==0.32.1)")


def trainer_loop(scheduler, lr, max_duration, dataloader_len=None, samples=0, tokens=0, every_batch=True, **kwargs):
    """Composer's Trainer loop as quoted above, on a real torch optimizer: the lr of every update."""
    import torch
    from composer.core.time import Time, Timestamp, TimeUnit
    from composer.optim.scheduler import compile_composer_scheduler

    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    seen = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: seen.append(opt.param_groups[0]["lr"]))
    state = SimpleNamespace(optimizers=[optimizer], max_duration=Time.from_timestring(max_duration),
                            dataloader_len=Time(dataloader_len, TimeUnit.BATCH) if dataloader_len else None,
                            timestamp=Timestamp())
    if isinstance(scheduler, type):  # a torch scheduler class with its arguments: (cls, kwargs)
        compiled = scheduler(optimizer, **kwargs)
    else:
        compiled = compile_composer_scheduler(scheduler, state)
    while state.timestamp < state.max_duration:
        finished_early = False
        for _ in range(dataloader_len or 10**9):
            optimizer.step()
            if every_batch:
                compiled.step()
            state.timestamp = state.timestamp.to_next_batch(samples=samples, tokens=tokens)
            if state.timestamp >= state.max_duration:
                finished_early = True
                break
        if not finished_early or dataloader_len == state.timestamp.batch_in_epoch:
            if not every_batch:
                compiled.step()
            state.timestamp = state.timestamp.to_next_epoch()
    return seen


def foundry_scheduler(path):
    """The config's scheduler as LLM Foundry's build_scheduler makes it (registry name -> class, keys as kwargs)."""
    import composer.optim.scheduler as schedulers

    config = yaml.safe_load(path.read_text())
    block = dict(config["scheduler"])
    return getattr(schedulers, REGISTRY[block.pop("name")])(**block), config


def drawn(path, overrides=(), dataset_size=None):
    from lrplot.engine import simulate

    source = load_input(path, overrides=overrides, inputs=BudgetInputs(dataset_size=dataset_size))
    return source, simulate(source.spec).schedules[0].values[(0, "lr")].tolist()


@pytest.mark.slow
def test_published_pretrain_config_equals_composers_trainer_loop():
    scheduler, config = foundry_scheduler(MPT)
    source, lr = drawn(MPT)
    assert source.kind == "composer" and source.budget.updates == 4800
    assert lr == trainer_loop(scheduler, 6.0e-4, "4800ba", samples=256)
    assert lr[0] == lr[1] == 0.0 and lr[101] == 6.0e-4  # the Trainer steps before the timestamp moves on
    assert lr[-1] == pytest.approx(6.0e-5, rel=1e-3)


@pytest.mark.slow
def test_published_pretrain_config_counted_in_tokens_equals_composers_trainer_loop():
    import composer.optim.scheduler as schedulers

    source, lr = drawn(MPT, ["max_duration=52428800tok", "scheduler.t_warmup=5242880tok"])
    assert source.budget.updates == 100 and len(lr) == 100
    scheduler = schedulers.CosineAnnealingWithWarmupScheduler(t_warmup="5242880tok", alpha_f=0.1)
    assert lr == trainer_loop(scheduler, 6.0e-4, "52428800tok", samples=256, tokens=256 * 2048)
    assert lr[11] == 6.0e-4
    assert source.assumptions[0] == ("tokens per batch = global_train_batch_size 256 x max_seq_len 2048 = 524288 "
                                     "(every sequence full, as concatenated text is; padding counts fewer)")


@pytest.mark.slow
def test_second_published_pretrain_config_equals_composers_trainer_loop():
    scheduler, _ = foundry_scheduler(GPT2)
    assert load_input(GPT2).budget.updates == 33696
    source, lr = drawn(GPT2, ["max_duration=3000ba"])  # Composer's time objects cost ~0.2 ms an update
    assert lr == trainer_loop(scheduler, 6.0e-4, "3000ba", samples=256)


@pytest.mark.slow
@pytest.mark.parametrize("path, lr0, epochs", [(DOLLY, 5.0e-6, 2), (LOCAL, 1.0e-5, 1)])
def test_published_finetune_configs_in_epochs_equal_composers_trainer_loop(path, lr0, epochs):
    scheduler, config = foundry_scheduler(path)
    source, lr = drawn(path, dataset_size=10000)
    per_epoch = 10000 // config["global_train_batch_size"]  # train_loader.drop_last: true
    assert source.budget.updates == epochs * per_epoch == len(lr)
    assert lr == trainer_loop(scheduler, lr0, f"{epochs}ep", dataloader_len=per_epoch,
                              samples=config["global_train_batch_size"])


@pytest.mark.slow
def test_a_torch_scheduler_under_composer_steps_per_epoch_by_default():
    import torch

    from lrplot.engine import simulate
    from lrplot.spec import parse_spec

    spec = {"optimizer": {"type": "AdamW", "lr": 0.1}, "steps": 30, "steps_per_epoch": 10,
            "scheduler": {"type": "StepLR", "step_size": 1, "gamma": 0.5},
            "stepping": {"composer": {"max_duration": "3ep", "dataloader_len": 10}}}
    lr = simulate(parse_spec(spec)).schedules[0].values[(0, "lr")].tolist()
    reference = trainer_loop(torch.optim.lr_scheduler.StepLR, 0.1, "3ep", 10, every_batch=False, step_size=1,
                             gamma=0.5)
    assert lr == reference == [0.1] * 10 + [0.05] * 10 + [0.025] * 10
    spec["stepping"]["composer"]["step_schedulers_every_batch"] = True
    lr = simulate(parse_spec(spec)).schedules[0].values[(0, "lr")].tolist()
    assert lr == trainer_loop(torch.optim.lr_scheduler.StepLR, 0.1, "3ep", 10, step_size=1, gamma=0.5)


def test_is_recognised_by_content():
    from lrplot.sources import detect, load_document

    assert [detect(load_document(p)) for p in (MPT, GPT2, DOLLY, LOCAL)] == ["composer"] * 4


def test_the_dataset_size_an_epoch_needs_is_asked_for_at_max_duration():
    with pytest.raises(SpecError) as err:
        load_input(DOLLY)
    assert err.value.format() == (f"{DOLLY}:93:15: needs the training-set size (Composer counts epochs in batches of "
                                  "the train dataloader); add --dataset-size N")


@pytest.mark.parametrize("text, message", [
    ("max_duration: 100ba\nglobal_train_batch_size: 8\noptimizer: {name: decoupled_adamw, lr: 1.0e-4}\n"
     "scheduler:\n  name: cosine_warmup\n",
     "foundry.yaml:5:9: scheduler.name 'cosine_warmup' is not in LLM Foundry's scheduler registry; did you mean "
     "'cosine_with_warmup'?"),
    ("max_duration: 4800dur\nglobal_train_batch_size: 8\noptimizer: {name: decoupled_adamw, lr: 1.0e-4}\n"
     "scheduler: {name: cosine_with_warmup, t_warmup: 10ba}\n",
     "foundry.yaml:1:15: max_duration should be a Composer time in ep, ba, sp or tok (4800ba, 2ep), not '4800dur'; "
     "e.g. max_duration: 4800ba"),
    ("max_duration: 1000000tok\nglobal_train_batch_size: 8\noptimizer: {name: decoupled_adamw, lr: 1.0e-4}\n"
     "scheduler: {name: cosine_with_warmup, t_warmup: 1000tok}\n",
     "foundry.yaml:1:15: needs the tokens per batch (max_duration or the scheduler counts in tok; no max_seq_len); "
     "add --set max_seq_len=N"),
    ("max_duration: 100ba\nglobal_train_batch_size: 8\noptimizer: {name: decoupled_adamw}\n"
     "scheduler: {name: cosine_with_warmup, t_warmup: 10ba}\n",
     "foundry.yaml:3:12: needs the optimizer's lr (the schedule multiplies it; optimizer.lr is missing); add --set "
     "optimizer.lr=LR"),
])
def test_what_the_config_lacks_or_gets_wrong_is_one_line(tmp_path, text, message):
    path = tmp_path / "foundry.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_input(path)
    assert err.value.format() == f"{tmp_path}/{message}"


def test_units_composer_refuses_are_refused_with_its_words():
    from lrplot.engine import simulate

    source = load_input(MPT, overrides=["max_duration=52428800tok"])
    with pytest.raises(SpecError) as err:
        simulate(source.spec)
    assert err.value.format() == (
        f"{MPT}:59:3: composer.optim.scheduler:CosineAnnealingWithWarmupScheduler rejected its arguments: Cannot use "
        "warmup scheduler with t_max 52428800tok with units TimeUnit.TOKEN and t_warmup 100ba with units "
        "TimeUnit.BATCH. t_warmup and t_max must use the same units.; Composer's Trainer would fail the same way")


def test_a_composer_scheduler_without_composer_time_is_refused_in_one_line():
    from lrplot.engine import simulate
    from lrplot.spec import parse_spec

    spec = parse_spec({"steps": 10, "scheduler": {"type": "composer.optim.scheduler:CosineAnnealingScheduler"}})
    with pytest.raises(SpecError) as err:
        simulate(spec)
    assert err.value.format() == (
        "<spec>:scheduler: composer.optim.scheduler:CosineAnnealingScheduler is a Composer scheduler: it reads Composer's "
        "training time, which the spec gives in stepping.composer; add 'stepping: {composer: {max_duration: "
        "4800ba}}' (the Trainer's max_duration)")
    spec = parse_spec({"steps": 10, "stepping": {"composer": {"max_duration": "10ba"}},
                       "scheduler": {"type": "composer.optim.scheduler:LinearWithWarmupScheduler", "t_warmup": "1ep"}})
    with pytest.raises(SpecError) as err:
        simulate(spec)
    assert err.value.format() == ("<spec>:stepping.composer: t_warmup counts in 'ep', which Composer measures with dataloader_len, and "
                                  "stepping.composer has none; add stepping.composer.dataloader_len: N")


def torch_len(n, world, batch, drop_last, streaming=False):
    """len(train_dataloader) on rank 0, from torch's own classes: LLM Foundry's device batch
    (global / world, llmfoundry/utils/config_utils.py:444), a DistributedSampler with the loader's drop_last
    (llmfoundry/data/finetuning/dataloader.py:334-351) or a streaming dataset of ceil(n / world) per rank."""
    import torch.utils.data as tud

    if streaming:
        class Shard(tud.IterableDataset):
            def __len__(self):
                return -(-n // world)  # mosaicml-streaming StreamingDataset: ceil(epoch_size / world.num_ranks)

            def __iter__(self):
                return iter(())
        return len(tud.DataLoader(Shard(), batch_size=batch // world, drop_last=drop_last))
    sampler = tud.DistributedSampler(range(n), num_replicas=world, rank=0, shuffle=False, drop_last=drop_last)
    return len(tud.DataLoader(range(n), batch_size=batch // world, drop_last=drop_last, sampler=sampler))


@pytest.mark.parametrize("name, path", [("finetuning", DOLLY), ("text", MPT)])
def test_devices_split_each_epoch_as_llm_foundrys_dataloader_does(name, path):
    streaming = name == "text"
    for drop_last in (True, False):
        for n in (64, 1020, 1023, 4097):
            for world in (1, 2, 8):
                inputs = BudgetInputs(dataset_size=n, devices=world)
                source = load_input(path, overrides=["max_duration=1ep", "global_train_batch_size=64",
                                                     f"train_loader.drop_last={str(drop_last).lower()}"], inputs=inputs)
                assert source.budget.updates_per_epoch == torch_len(n, world, 64, drop_last, streaming), (n, world, drop_last)


def test_a_streaming_dataset_over_8_devices_gains_the_batch_a_single_device_drops():
    source = load_input(MPT, overrides=["max_duration=2ep", "global_train_batch_size=64"],
                        inputs=BudgetInputs(dataset_size=1020, devices=8))
    assert source.budget.updates_per_epoch == torch_len(1020, 8, 64, True, streaming=True) == 16 != 1020 // 64
    assert source.budget.updates == 32
    assert ("dataloader length: 1020 examples / 8 devices = 128 per device (a streaming dataset rounds up); / 8 "
            "per device batch = 16 batches per epoch (rounded down, train_loader.drop_last); a packing ratio can "
            "change it") in source.assumptions
    single = load_input(MPT, overrides=["max_duration=2ep", "global_train_batch_size=64"],
                        inputs=BudgetInputs(dataset_size=1020))
    assert ("world size 1: a streaming dataset rounds each device's share up, so the device count can add a "
            "batch per epoch; add --devices N for N processes") in single.assumptions and single.budget.updates_per_epoch == 15


def test_a_global_batch_that_does_not_split_over_the_devices_is_refused_as_llm_foundry_does():
    with pytest.raises(SpecError) as caught:
        load_input(DOLLY, inputs=BudgetInputs(dataset_size=1000, devices=7))
    assert str(caught.value) == (f"{DOLLY}:97:26: global_train_batch_size 48 does not split over --devices 7: LLM "
                                 "Foundry refuses a per-device batch that would be truncated; use --devices K with "
                                 "K dividing 48")


@pytest.mark.slow
def test_the_curve_over_8_devices_equals_composers_trainer_loop_with_torchs_dataloader_length():
    scheduler, config = foundry_scheduler(MPT)
    from lrplot.engine import simulate

    source = load_input(MPT, overrides=["max_duration=3ep", "global_train_batch_size=64"],
                        inputs=BudgetInputs(dataset_size=1020, devices=8))
    lr = simulate(source.spec).schedules[0].values[(0, "lr")].tolist()
    length = torch_len(1020, 8, 64, True, streaming=True)
    assert lr == trainer_loop(scheduler, 6.0e-4, "3ep", dataloader_len=length, samples=64) and len(lr) == 48
