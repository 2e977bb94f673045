"""Megatron-LM launch scripts and YAML: lrplot's curves (lr AND weight decay) equal Megatron-Core's OWN
``OptimizerParamScheduler`` driven as Megatron-LM's training loop drives it, ``==`` at every iteration.

Megatron's trainer needs GPUs; the reference drives the real classes of megatron-core 0.16.1 with the loop
arithmetic of Megatron-LM core_v0.16.1 (commit 55ac7082517c3878ae653c07c09c534b8aed49f6), written out from
megatron/training/training.py in tests/helpers/megatron_loop.py. The two runs of a million iterations are recorded
by tests/data/megatron/regenerate.py (that loop, every value through a sha256) and their samples re-checked here
against the installed Megatron, so the records cannot go stale.

The reference uses each config's real micro batch and a data-parallel size of 8 (lrplot uses 1 x 1: the
increments are the same whenever Megatron's divisibility check passes, which this compares).

Published configs in tests/data/megatron/, unedited:
  NVIDIA/Megatron-LM @ 55ac7082517c3878ae653c07c09c534b8aed49f6 (tag core_v0.16.1):
    examples/bert/train_bert_340m_distributed.sh, examples/gpt3/gpt_config.yaml,
    examples/gpt3/train_gpt3_175b_distributed.sh (refused: ramp-up with --train-iters, as Megatron refuses it)
  NVIDIA/Megatron-LM @ d98e8a64ddf34856e74b24714e3bedb2f5a39553:
    examples/mamba/train.sh as mamba_train.sh (GLOBAL_BATCH_SIZE set by a case on MODEL_SCALE: asked)
    examples/gptoss/02_train.sh as gptoss_02_train.sh (a fractional warmup: 97460937.4 samples)
  deepspeedai/Megatron-DeepSpeed @ 4efb479d5317ce9b86096b9d8e3e8030b0b5263b:
    examples_deepspeed/universal_checkpointing/megatron_gpt/run_bf16.sh (Megatron-DeepSpeed's fork keeps
    Megatron's flags; lrplot draws Megatron-Core's scheduler for them)
"""

from __future__ import annotations

import json

import pytest

from lrplot.errors import SpecError
from lrplot.sources import load_input

from tests.helpers.installed import require
from tests.helpers.megatron_loop import digest, megatron_at, megatron_loop, references
from tests.helpers.paths import ROOT

require("megatron")

DATA = ROOT / "tests" / "data" / "megatron"
BERT = DATA / "train_bert_340m_distributed.sh"
GPT_YAML = DATA / "gpt_config.yaml"
GPT_175B = DATA / "train_gpt3_175b_distributed.sh"
DS_BF16 = DATA / "run_bf16.sh"
MAMBA = DATA / "mamba_train.sh"
GPTOSS = DATA / "gptoss_02_train.sh"


def drawn(path, overrides=(), kind=None):
    from lrplot.engine import simulate

    source = load_input(path, overrides=overrides, kind=kind)
    trace = simulate(source.spec).schedules[0]
    return source, trace.values[(0, "lr")].tolist(), trace.values[(0, "weight_decay")].tolist()


def record_of(name: str) -> dict:
    return json.loads((DATA / f"{name}.loop.json").read_text())  # regenerate.py


def assert_equals_record(record: dict, lr: list, wd: list) -> None:
    assert len(lr) == len(wd) == record["iterations"]
    sample = {int(i): row[1:] for i, row in record["sample"].items()}
    assert {i: [lr[i], wd[i]] for i in sample} == sample  # shows where a curve differs
    assert (digest(lr), digest(wd)) == (record["lr_sha256"], record["wd_sha256"])  # and equal at every iteration


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_published_bert_script_equals_megatrons_loop():
    source, lr, wd = drawn(BERT)
    assert source.kind == "megatron" and source.budget.updates == 1000000
    assert_equals_record(record_of("train_bert_340m_distributed"), lr, wd)
    assert lr[9900] == 0.0001 and lr[-1] == 1.0e-5 and set(wd) == {0.01}
    assert [n.settle for n in source.assumptions] == ["--fp16"]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_published_yaml_with_batch_rampup_equals_megatrons_loop():
    # the ramp-up (32 -> 128 by 32 over 65324160 samples) and a part of the constant phase
    source, lr, wd = drawn(GPT_YAML, ["train_samples=70000000"])
    assert source.budget.updates == record_of("gpt_config")["iterations"] > 70000000 // 128
    assert_equals_record(record_of("gpt_config"), lr, wd)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["train_bert_340m_distributed", "gpt_config"])
def test_the_recorded_loops_are_the_installed_megatrons(name):
    """The records cannot go stale: their samples are what Megatron gives now, the first iterations through the
    loop itself (the warmup, and the ramp-up's first batch sizes), the rest from Megatron's own scheduler stepped
    by the samples consumed before that iteration (its state is that count), and each recorded count followed by
    the next iteration's as Megatron's num-microbatches calculator gives it."""
    import megatron.core

    record = record_of(name)
    config, overrides, args, dp = references(DATA)[name]
    assert (record["config"], record["overrides"], record["data_parallel"]) == (config.name, overrides, dp)
    assert record["megatron_core"] == megatron.core.__version__
    sample = {int(i): row for i, row in record["sample"].items()}
    consumed: list[int] = []
    assert record["iterations"] > 12_000  # the warmup ends at 9900 and 2544
    head = megatron_loop(args, dp, consumed, iterations=12_000)
    assert {i: [consumed[i], head[0][i], head[1][i]] for i in sample if i < 12_000} == \
        {i: row for i, row in sample.items() if i < 12_000}
    later = sorted(i for i in sample if i >= 12_000)
    live = dict(zip(later, megatron_at(args, [sample[i][0] for i in later], dp)))
    assert {i: [sample[i][0], lr, wd] for i, (lr, wd, _) in live.items()} == {i: sample[i] for i in later}
    pairs = [i for i in later if i + 1 in sample]
    assert len(pairs) > 500 and {i: sample[i][0] + live[i][2] for i in pairs} == {i: sample[i + 1][0] for i in pairs}


@pytest.mark.slow
def test_third_party_script_reads_its_variables_and_equals_megatrons_loop():
    source, lr, wd = drawn(DS_BF16)  # TRAIN_ITERS=100000, LR=6.0e-3, MIN_LR=6.0e-4, GLOBAL_BATCH=16
    args = {"micro_batch_size": 2, "global_batch_size": 16, "train_iters": 100000, "lr": 6.0e-3, "min_lr": 6.0e-4,
            "lr_decay_style": "cosine", "weight_decay": 0.1}
    assert lr == megatron_loop(args, dp=1)[0][:len(lr)] and len(lr) == 100000
    assert lr[0] == 6.0e-3 and set(wd) == {0.1}


@pytest.mark.slow
def test_weight_decay_increment_and_wsd_equal_megatrons_scheduler(tmp_path):
    script = tmp_path / "train.sh"
    script.write_text("LR=3e-4\nITERS=400\n"
                      "python pretrain_gpt.py --micro-batch-size 2 --global-batch-size 8 \\\n"
                      "  --train-iters $ITERS --lr $LR --lr-decay-style WSD --lr-wsd-decay-style cosine \\\n"
                      "  --lr-wsd-decay-iters 100 --lr-warmup-iters 50 --min-lr 3e-5 \\\n"
                      "  --weight-decay-incr-style linear --start-weight-decay 0.01 --end-weight-decay 0.1\n")
    _, lr, wd = drawn(script)
    import torch
    from megatron.core.optimizer_param_scheduler import OptimizerParamScheduler

    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=3e-4)
    s = OptimizerParamScheduler(opt, 0.0, 3e-4, 3e-5, 50 * 8, 400 * 8, "WSD", 0.01, 0.1, 400 * 8, "linear",
                                wsd_decay_steps=100 * 8, lr_wsd_decay_style="cosine")  # training.py:1357-1368
    ref_lr, ref_wd = [], []
    for _ in range(400):
        ref_lr.append(opt.param_groups[0]["lr"])
        ref_wd.append(opt.param_groups[0]["weight_decay"])
        s.step(increment=8)
    assert lr == ref_lr and wd == ref_wd
    assert lr[50:300] == [3e-4] * 250 and wd[0] == 0.01 and wd[-1] < 0.1


def test_ramp_up_with_train_iters_is_refused_as_megatron_refuses_it():
    with pytest.raises(SpecError) as info:
        load_input(GPT_175B)
    assert str(info.value) == (
        f"{GPT_175B}:40:5: --rampup-batch-size: is for sample-based training, and this run is iteration-based "
        "(--train-iters): Megatron refuses it (arguments.py:755-766); use --train-samples, or drop it with "
        "--set ~rampup-batch-size")


def test_a_variable_the_script_does_not_set_is_asked_for_by_name(tmp_path):
    script = tmp_path / "train.sh"
    script.write_text("torchrun pretrain_gpt.py \\\n    --global-batch-size 8 \\\n    --train-iters $TRAIN_STEPS \\\n"
                      "    --lr 1e-4\n")
    with pytest.raises(SpecError) as info:
        load_input(script)
    assert str(info.value) == (
        f"{script}:3:5: --train-iters $TRAIN_STEPS: the script does not set TRAIN_STEPS to a value lrplot can read "
        "(it is an argument, an environment variable or computed by the shell); give it with "
        "--set train-iters=VALUE")
    source = load_input(script, overrides=["train-iters=300"])
    assert source.budget.updates == 300


def test_a_variable_set_in_case_branches_is_asked_for_not_taken_from_the_last_branch():
    # was drawn with the "8B" branch's GLOBAL_BATCH_SIZE=8 while MODEL_SCALE="800M" picks 32: 4x the iterations
    with pytest.raises(SpecError) as info:
        load_input(MAMBA)
    assert str(info.value) == (
        f"{MAMBA}:81:8: --global-batch-size ${{GLOBAL_BATCH_SIZE}}: the script sets GLOBAL_BATCH_SIZE inside an if, "
        "case or loop (lines 13, 20), and which value holds depends on the shell running it, which lrplot does not; "
        "give it with --set global-batch-size=VALUE")


def test_flags_appended_in_a_branch_are_asked_for_unless_lrplot_does_not_read_them(tmp_path):
    base = "OPTS=\"--micro-batch-size 2 --global-batch-size 8 --train-iters 100 --lr 1e-4\"\nif [ -n \"$X\" ]; then\n"
    script = tmp_path / "train.sh"
    script.write_text(base + "OPTS=\"$OPTS --no-pipeline-parallel\"\nfi\npython pretrain_gpt.py $OPTS\n")
    assert load_input(script).budget.updates == 100
    script.write_text(base + "OPTS=\"$OPTS --lr-decay-style cosine\"\nfi\npython pretrain_gpt.py $OPTS\n")
    with pytest.raises(SpecError) as info:
        load_input(script)
    assert str(info.value) == (
        f"{script}:3: the script sets OPTS with Megatron's training flags inside an if, case or loop (line 3), and "
        "which flags the run gets depends on the shell running it, which lrplot does not; keep the branch the run "
        "takes in a copy of the script")


@pytest.mark.slow
def test_published_mamba_script_with_its_batch_given_equals_megatrons_loop():
    # the first 200000 samples of the run (its decay and warmup as published), global batch 32 as MODEL_SCALE picks
    source, lr, wd = drawn(MAMBA, ["global-batch-size=32", "train-samples=200000"])
    args = {"micro_batch_size": 4, "global_batch_size": 32, "train_samples": 200000, "lr": 2.5e-4, "min_lr": 2.5e-5,
            "lr_decay_style": "cosine", "weight_decay": 0.1, "lr_decay_samples": 73192188,
            "lr_warmup_samples": 50000}
    ref_lr, ref_wd = megatron_loop(args, dp=1)
    assert source.budget.updates == 6250 == len(ref_lr)
    assert lr == ref_lr and wd == ref_wd


def test_print_spec_names_the_sample_arithmetic_and_the_scheduler():
    from lrplot.sources import spec_text

    text = spec_text([load_input(BERT)], [BERT.name])
    assert "# budget: --train-iters 1000000 = 1000000 iterations; the scheduler counts samples: decay 3.168e+07, " \
           "warmup 316800, step(increment=global batch) per update" in text
    assert "megatron.core.optimizer_param_scheduler:OptimizerParamScheduler" in text
    assert "global_batch_size: 32" in text and "lr_decay_steps: 31680000" in text


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_published_fractional_warmup_is_the_float_megatron_passes_and_equals_its_loop():
    """examples/gptoss/02_train.sh (NVIDIA/Megatron-LM @ d98e8a64ddf34856e74b24714e3bedb2f5a39553, unedited):
    --lr-warmup-fraction 0.05 of --lr-decay-samples 1949218748 is 97460937.4 samples, which Megatron passes to
    OptimizerParamScheduler untruncated (training.py:2566-2584 there, :1367-1383 at core_v0.16.1) although its
    signature says int; it was refused. Compared through the warmup's end (iteration 761414) and into the decay;
    the script's data-parallel size is 1 (pipeline-parallel over all 8 GPUs)."""
    from lrplot.engine.run import start_run

    source = load_input(GPTOSS)
    sched = source.spec.scheduler
    assert sched.options["lr_warmup_steps"] == 0.05 * 1949218748 == 97460937.4
    assert source.budget.updates == 1953125000 // 128
    assert source.budget.text == ("--train-samples 1953125000 / global batch 128 = 15258789 iterations; the scheduler "
                                  "counts samples: decay 1949218748, warmup 97460937.4, step(increment=global batch) "
                                  "per update")
    n = 765_000
    (schedule,) = source.spec.schedule_list()
    run = start_run(schedule, steps=n)
    values = run.values(run.advance(0, n))
    lr, wd = values[(0, "lr")].tolist(), values[(0, "weight_decay")].tolist()
    args = {"micro_batch_size": 1, "global_batch_size": 128, "train_samples": 1953125000, "lr": 1.0e-5,
            "lr_decay_samples": 1949218748, "lr_decay_style": "cosine", "min_lr": 1.0e-6, "weight_decay": 0.1,
            "lr_warmup_fraction": 0.05}  # TRAINING_ARGS of the script
    ref_lr, ref_wd = megatron_loop(args, dp=1, iterations=n)
    assert lr == ref_lr and wd == ref_wd
    assert max(lr) == lr[761414] < 1.0e-5 and lr[761413] < lr[761414]  # the warmup ends between two iterations


def test_only_the_warmup_megatron_computes_as_a_float_takes_one_in_a_spec(tmp_path):
    import torch
    from megatron.core.optimizer_param_scheduler import OptimizerParamScheduler

    from lrplot.engine import simulate
    from lrplot.spec import parse_spec

    text = ("steps: 10\noptimizer: {type: AdamW, lr: 1.0e-3, weight_decay: 0.1}\n"
            "scheduler: {type: 'megatron.core.optimizer_param_scheduler:OptimizerParamScheduler', global_batch_size: 8,"
            " init_lr: 0.0, max_lr: 1.0e-3, min_lr: 0.0, lr_warmup_steps: 20.5, lr_decay_steps: 80,"
            " lr_decay_style: cosine, start_wd: 0.1, end_wd: 0.1, wd_incr_steps: 80, wd_incr_style: constant}\n")
    lr = simulate(parse_spec(text, "m.yaml")).schedules[0].values[(0, "lr")].tolist()
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    s = OptimizerParamScheduler(opt, 0.0, 1e-3, 0.0, 20.5, 80, "cosine", 0.1, 0.1, 80, "constant")
    ref = []
    for _ in range(10):
        ref.append(opt.param_groups[0]["lr"])
        s.step(increment=8)
    assert lr == ref
    with pytest.raises(SpecError) as info:
        simulate(parse_spec(text.replace("lr_decay_steps: 80,", "lr_decay_steps: 80.5,"), "m.yaml"))
    assert str(info.value) == "m.yaml:3:190: OptimizerParamScheduler lr_decay_steps: expected an integer, got the number 80.5"


@pytest.mark.slow
def test_an_array_appended_with_plus_equals_keeps_its_flags(tmp_path):
    """``ARGS+=(...)`` appends to the array (bash); it was taken for a second command carrying Megatron's flags."""
    script = tmp_path / "train.sh"
    script.write_text("ARGS=(\n  --train-iters 1000\n  --global-batch-size 8\n  --lr 1e-3\n)\n"
                      "ARGS+=(--lr-decay-style cosine --lr-warmup-iters 100)\ntorchrun pretrain_gpt.py ${ARGS[@]}\n")
    sched = load_input(script).spec.scheduler
    assert (sched.options["lr_decay_style"], sched.options["lr_warmup_steps"]) == ("cosine", 100 * 8)


def test_flags_a_branch_appends_to_an_array_the_command_uses_are_asked_for(tmp_path):
    """A branch adding flags lrplot reads to an array the command expands is asked for by name, even when
    another variable of the command holds flags too (it read the command without the array's flags and
    refused it for lacking --train-iters)."""
    script = tmp_path / "train.sh"
    script.write_text("ARGS=(\n  --train-iters 1000\n  --global-batch-size 8\n  --lr 1e-3\n)\nif [ \"$X\" = 1 ]; then\n"
                      "  ARGS+=(--lr 5e-4)\nfi\nOPTS=\"--lr-decay-style cosine\"\nOPTS+=\" --lr-warmup-iters 100\"\n"
                      "torchrun pretrain_gpt.py ${ARGS[@]} $OPTS\n")
    with pytest.raises(SpecError) as info:
        load_input(script)
    assert str(info.value) == (
        f"{script}:7: the script sets ARGS with Megatron's training flags inside an if, case or loop (line 7), and "
        "which flags the run gets depends on the shell running it, which lrplot does not; keep the branch the run "
        "takes in a copy of the script")


@pytest.mark.slow
def test_the_no_weight_decay_groups_are_said_and_are_what_megatron_makes_of_them():
    """Megatron puts biases and 1-dim weights in param groups with wd_mult 0 (get_standard_config_overrides), whose
    weight decay its scheduler multiplies by it (optimizer_param_scheduler.py ``step``): said beside the curve drawn
    (the other parameters' group), and checked here with Megatron's own code: the same lr, weight decay 0."""
    import torch
    from megatron.core.optimizer import OptimizerConfig, get_standard_config_overrides
    from megatron.core.optimizer_param_scheduler import OptimizerParamScheduler

    source, lr, wd = drawn(BERT)
    assert ("biases and 1-dim weights (norms) are in param groups with wd_mult 0 (megatron/core/optimizer/__init__.py:"
            "80-96, megatron-core 0.16.1): the same lr, weight_decay 0 throughout") in source.notes
    overrides = get_standard_config_overrides(OptimizerConfig(lr=1e-4))
    (key,) = [k for k, v in overrides.items() if v.get("wd_mult") == 0.0]
    assert key.name == "*.bias" and key.predicate.fn(torch.zeros(4)) and not key.predicate.fn(torch.zeros(4, 4))
    node = source.spec.scheduler
    params = [torch.zeros(2, 2, requires_grad=True), torch.zeros(2, requires_grad=True)]
    optimizer = torch.optim.AdamW([{"params": [params[0]], "wd_mult": 1.0}, {"params": [params[1]], "wd_mult": 0.0}])
    scheduler = OptimizerParamScheduler(optimizer, node.init_lr, node.max_lr, node.min_lr, node.lr_warmup_steps,
                                        node.lr_decay_steps, node.lr_decay_style, node.start_wd, node.end_wd,
                                        node.wd_incr_steps, node.wd_incr_style)
    for i in range(200):  # into the decay (warmup ends at iteration 9900: the lr's first 200 values suffice)
        default, no_wd = optimizer.param_groups
        assert (default["lr"], default["weight_decay"]) == (lr[i], wd[i]) and (no_wd["lr"], no_wd["weight_decay"]) \
            == (lr[i], 0.0)
        scheduler.step(increment=node.global_batch_size)
