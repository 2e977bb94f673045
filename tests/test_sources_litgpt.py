"""litgpt finetune configs: the schedule litgpt builds in code (get_lr_scheduler), stepped per update as
fit does; every drawn curve `==` litgpt's own get_lr_scheduler driven by its own CycleIterator over a real
DataLoader (recorded by tests/data/litgpt/regenerate.py with litgpt 0.5.13; re-checked live where litgpt
imports), every refusal one whole line.

Published configs, unedited, in tests/data/published/, from Lightning-AI/litgpt
@ 26857050fe3ff627cd714fe92f5838f51a3d5efa (each last changed in 92627d71d47c24f7d3ef4d0b5721b34956819a95):
* litgpt_llama-3.2-1B_full.yaml: config_hub/finetune/llama-3.2-1B/full.yaml
* litgpt_phi-2_lora.yaml: config_hub/finetune/phi-2/lora.yaml
* litgpt_pretrain_tinyllama.yaml: config_hub/pretrain/tinyllama.yaml (refused: pretrain.py's own get_lr)
* litgpt_gemma-2b_full.yaml: config_hub/finetune/gemma-2b/full.yaml (max_steps 50 < lr_warmup_steps 100)
* litgpt_mistral-7b_qlora.yaml: config_hub/finetune/mistral-7b/qlora.yaml (the cosine rebounds: 950 vs 948)
* litgpt_llama-3.1-8b_lora.yaml: config_hub/finetune/llama-3.1-8b/lora.yaml
"""

from __future__ import annotations

import json

import pytest

from lrplot.errors import LrplotError
from lrplot.sources import BudgetInputs, detect, load_document, load_input
from tests.helpers.paths import ROOT

PUBLISHED = ROOT / "tests" / "data" / "published"
REFERENCE = json.loads((ROOT / "tests" / "data" / "litgpt" / "reference.json").read_text())
# case -> the --set overrides that make the published file that case (see regenerate.py's CASES)
OVERRIDES = {"phi-2_lora_99_3_epochs": ["train.epochs=3"], "phi-2_lora_max_steps_40": ["train.max_steps=40"],
             "gemma-2b_full_1900_1_device": ["devices=1"]}


def drawn(source) -> list[float]:
    from lrplot.engine import simulate

    result = simulate(source.spec, allow_import=None)
    (series,) = [s for s in result.series() if s.field == "lr"]
    return series.values.tolist()


@pytest.mark.parametrize("name", REFERENCE["cases"])
def test_every_update_equals_litgpts_own_schedule_driven_as_fit_drives_it(name):
    case = REFERENCE["cases"][name]
    path = PUBLISHED / case["config"]
    source = load_input(path, inputs=BudgetInputs(dataset_size=case["dataset_size"]),
                        overrides=OVERRIDES.get(name, ()))
    assert source.kind == "litgpt" and detect(load_document(path)) == "litgpt"
    assert drawn(source) == case["lrs"]


def test_the_recorded_reference_is_litgpts_current_code():
    """Where litgpt imports, its own get_lr_scheduler and CycleIterator give the recorded values now."""
    from tests.helpers.installed import installed

    if not installed("litgpt"):
        pytest.skip("litgpt is not installed (its dependencies pin other versions than lrplot's test extra)")
    import importlib.util

    spec = importlib.util.spec_from_file_location("regenerate", ROOT / "tests" / "data" / "litgpt" / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, (config, *args) in module.CASES.items():
        assert module.lrs(*args) == REFERENCE["cases"][name]["lrs"]


def test_the_budget_names_the_arithmetic_and_the_unused_min_lr():
    source = load_input(PUBLISHED / "litgpt_phi-2_lora.yaml", inputs=BudgetInputs(dataset_size=99),
                        overrides=["train.epochs=3"])
    assert source.budget.text == (
        "99 examples / micro_batch_size 4 = 25 batches per epoch; accumulation 8 // 1 // 4 = 2; 3 epochs x 25 // 2 "
        "= 37 updates; cosine over lr_max_steps = 36; warmup 10 steps")
    assert source.notes == ("train.min_lr 6e-05 is not used by litgpt's finetune schedule (CosineAnnealingLR "
                            "without eta_min: the cosine ends at 0)",)


def test_a_warmup_longer_than_the_run_is_drawn_as_litgpt_runs_it():
    # was refused ("litgpt would build CosineAnnealingLR(T_max=-50)"): torch builds it and SequentialLR never
    # reaches it, so the published run climbs to 49/100 of its lr; the reference case above is litgpt's own
    source = load_input(PUBLISHED / "litgpt_gemma-2b_full.yaml", inputs=BudgetInputs(dataset_size=1900))
    assert source.budget.updates == 50
    assert source.notes[-2] == (
        "train.lr_warmup_steps 100 is not below lr_max_steps 50: the run's 50 updates end inside the warmup, at 49/100 "
        "of the lr (the cosine, CosineAnnealingLR(T_max=-50), never starts)")


def test_devices_shard_the_dataloader_as_a_distributed_sampler_does():
    source = load_input(PUBLISHED / "litgpt_llama-3.2-1B_full.yaml", inputs=BudgetInputs(dataset_size=1901),
                        overrides=["devices=2"])
    # ceil(1901 / 2) = 951 per device / 4 = 238 batches; accumulation 64 // 2 // 4 = 8; 238 // 8 = 29
    assert source.budget.updates == 29 and source.budget.updates_per_epoch == 29
    assert source.budget.text.startswith("1901 examples over 2 devices = 951 per device / micro_batch_size 4 = 238")


@pytest.mark.parametrize("file, overrides, inputs, expected", [
    ("litgpt_pretrain_tinyllama.yaml", [], {"dataset_size": 10},
     ":50:15: train.max_tokens is set: a litgpt pretrain config; pretrain.py sets the lr at every iteration with its "
     "own get_lr (litgpt/pretrain.py:463), which lrplot does not read; describe the schedule as an lrplot spec"),
    ("litgpt_phi-2_lora.yaml", [], {},
     ":75:11: needs the number of training examples of litgpt.data.Alpaca2k (after its validation split): litgpt sizes the "
     "cosine from len(train_dataloader); add --dataset-size N"),
    ("litgpt_phi-2_lora.yaml", ["train.lr_warmup_steps=0"], {"dataset_size": 100},
     "--set train.lr_warmup_steps: train.lr_warmup_steps is 0: litgpt's get_lr_scheduler builds LambdaLR(lambda step: step / 0), which "
     "fails when it is built; set train.lr_warmup_steps to a whole number >= 1"),
    # 37 updates: the 37th runs SequentialLR into CosineAnnealingLR(T_max=0): torch raises ZeroDivisionError
    ("litgpt_phi-2_lora.yaml", ["train.epochs=3", "train.lr_warmup_steps=36"], {"dataset_size": 99},
     "--set train.lr_warmup_steps: train.lr_warmup_steps 36 is not below the cosine's length lr_max_steps 36 (99 "
     "examples / micro_batch_size 4 = 25 batches per epoch; accumulation 8 // 1 // 4 = 2; 3 epochs x 25 // 2 = 37 "
     "updates; cosine over lr_max_steps = 36): litgpt builds CosineAnnealingLR(T_max=0), and update 37 fails in it "
     "(ZeroDivisionError); lower lr_warmup_steps or train longer"),
])
def test_refusals_and_questions_are_one_located_line(file, overrides, inputs, expected):
    path = PUBLISHED / file
    with pytest.raises(LrplotError) as info:
        load_input(path, inputs=BudgetInputs(**inputs), overrides=overrides)
    assert info.value.format() == (f"{path}{expected}" if expected.startswith(":") else expected)


def check_lines(file, dataset_size, overrides=()):
    from lrplot.check import check_schedule

    path = PUBLISHED / file
    (schedule,) = load_input(path, inputs=BudgetInputs(dataset_size=dataset_size), overrides=overrides
                             ).spec.schedule_list()
    return [f.text() for f in check_schedule(schedule)]


def test_a_rebound_of_litgpts_own_cosine_is_advised_in_litgpts_keys():
    # 1900 examples / 2 = 950 batches, accumulation 4: 4 epochs make 950 updates, but fit's lr_max_steps is
    # 4 x (950 // 4) = 948 (litgpt/finetune/lora.py:202), so litgpt's real cosine climbs again after update 948
    path = PUBLISHED / "litgpt_mistral-7b_qlora.yaml"
    lines = check_lines(path.name, 1900)
    assert f"{path}:73:20: error: 'litgpt_mistral-7b_qlora' lr at step 949: CosineAnnealingLR (T_max=938) rises again " \
           "after T_max, from 0 to 5.60872e-10; litgpt sets T_max itself (lr_max_steps 948 - train.lr_warmup_steps " \
           "10): lr_max_steps counts train.epochs x (batches per epoch // accumulation), fewer than the run's 950 " \
           "updates; set train.max_steps: 948 to end the run where the cosine ends [rebound]" in lines
    assert not any("T_max to" in line for line in lines)
    # the advice, applied, ends the rebound
    assert not any("[rebound]" in line for line in check_lines(path.name, 1900, ["train.max_steps=948"]))


def test_a_cosine_cut_short_by_litgpts_warmup_names_litgpts_keys():
    path = PUBLISHED / "litgpt_llama-3.2-1B_full.yaml"
    assert check_lines(path.name, 1900)[-1] == (
        f"{path}:47:20: warning: 'litgpt_llama-3.2-1B_full' lr at step 28: CosineAnnealingLR ends at 2.92893e-05, 15% "
        "of the way from its floor 0 to its declared peak 0.0002; litgpt sets T_max itself (lr_max_steps 29 - "
        "train.lr_warmup_steps 25); the run's length is train.epochs or train.max_steps [no-anneal]")
    assert not any("[rebound]" in line for line in check_lines("litgpt_llama-3.1-8b_lora.yaml", 1900))


def test_a_plain_spec_is_still_advised_in_spec_keys():
    from lrplot.check import check_schedule
    from lrplot.spec import spec_from_data

    spec = spec_from_data({"steps": 12, "optimizer": {"type": "SGD", "lr": 1.0},
                           "scheduler": {"type": "CosineAnnealingLR", "T_max": 8}})
    (line,) = [f.text() for f in check_schedule(spec.schedule_list()[0]) if f.rule == "rebound"]
    assert line.endswith("; set T_max to the updates it drives (12) [rebound]")


def test_a_run_past_litgpts_cosine_is_advised_in_litgpts_keys():
    # micro_batch_size 1, global_batch_size 8: 2 epochs x 1900 batches make 3800 // 8 = 475 updates, but fit's
    # lr_max_steps is 2 x (1900 // 8) = 474, so the cosine (T_max 474 - 10) is driven one step past its end
    path = PUBLISHED / "litgpt_llama-3.1-8b_lora.yaml"
    (line,) = [x for x in check_lines(path.name, 1900) if x.endswith("[short-schedule]")]
    assert line == (
        f"{path}:71:20: warning: 'litgpt_llama-3.1-8b_lora' at step 474: CosineAnnealingLR defines 464 scheduler "
        "steps but drives 465; after step 474 it is past its end; litgpt sets T_max itself (lr_max_steps 474 - "
        "train.lr_warmup_steps 10): lr_max_steps counts train.epochs x (batches per epoch // accumulation), fewer "
        "than the run's 475 updates; set train.max_steps: 474 to end the run where the cosine ends [short-schedule]")
    assert not any("[short-schedule]" in x for x in check_lines(path.name, 1900, ["train.max_steps=474"]))
