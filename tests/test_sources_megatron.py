"""Megatron-LM launch scripts and YAML: lrplot's curves (lr AND weight decay) equal Megatron-Core's OWN
``OptimizerParamScheduler`` driven as Megatron-LM's training loop drives it, ``==`` at every iteration.

Megatron's trainer needs GPUs; the reference drives the real classes of megatron-core 0.16.1 with the loop
arithmetic of Megatron-LM core_v0.16.1 (commit 55ac7082517c3878ae653c07c09c534b8aed49f6), written out below
from megatron/training/training.py:

* :1354-1404 ``get_optimizer_param_scheduler``: iteration-based ``lr_decay_steps = lr_decay_iters x
  global_batch_size`` (``lr_decay_iters`` defaulting to ``train_iters``), warmup ``lr_warmup_fraction x
  lr_decay_steps`` or ``lr_warmup_iters x global_batch_size``, ``wd_incr_steps = train_iters x
  global_batch_size``; sample-based: the ``*_samples`` as given, ``train_iters`` from :1128-1157
  ``update_train_iters`` (the ramp-up counted with the num-microbatches calculator);
* :2711 / :2736 ``update_num_microbatches(consumed_train_samples)`` before each iteration;
* :1728-1730 ``train_step``: ``opt_param_scheduler.step(increment=get_num_microbatches() *
  micro_batch_size * data_parallel_size)``; :2869 ``consumed_train_samples += batch_size``.

The reference uses each config's real micro batch and a data-parallel size of 8 (lrplot uses 1 x 1: the
increments are the same whenever Megatron's divisibility check passes, which this compares).

Published configs in tests/data/megatron/, unedited:
  NVIDIA/Megatron-LM @ 55ac7082517c3878ae653c07c09c534b8aed49f6 (tag core_v0.16.1):
    examples/bert/train_bert_340m_distributed.sh, examples/gpt3/gpt_config.yaml,
    examples/gpt3/train_gpt3_175b_distributed.sh (refused: ramp-up with --train-iters, as Megatron refuses it)
  NVIDIA/Megatron-LM @ d98e8a64ddf34856e74b24714e3bedb2f5a39553:
    examples/mamba/train.sh as mamba_train.sh (GLOBAL_BATCH_SIZE set by a case on MODEL_SCALE: asked)
  deepspeedai/Megatron-DeepSpeed @ 4efb479d5317ce9b86096b9d8e3e8030b0b5263b:
    examples_deepspeed/universal_checkpointing/megatron_gpt/run_bf16.sh (Megatron-DeepSpeed's fork keeps
    Megatron's flags; lrplot draws Megatron-Core's scheduler for them)
"""

from __future__ import annotations

import pytest
import yaml

from lrplot.errors import SpecError
from lrplot.sources import load_input

from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("megatron")

DATA = ROOT / "tests" / "data" / "megatron"
BERT = DATA / "train_bert_340m_distributed.sh"
GPT_YAML = DATA / "gpt_config.yaml"
GPT_175B = DATA / "train_gpt3_175b_distributed.sh"
DS_BF16 = DATA / "run_bf16.sh"
MAMBA = DATA / "mamba_train.sh"
DP = 8


def megatron_loop(args: dict, dp: int = DP) -> tuple[list[float], list[float]]:
    """(lr, weight decay) of every iteration, as quoted above; ``args`` as Megatron's namespace holds them."""
    import torch
    from megatron.core.num_microbatches_calculator import (ConstantNumMicroBatchesCalculator,
                                                           RampupBatchsizeNumMicroBatchesCalculator)
    from megatron.core.optimizer_param_scheduler import OptimizerParamScheduler

    gbs, mbs, ramp = args["global_batch_size"], args["micro_batch_size"], args.get("rampup_batch_size")

    def calculator():
        if ramp:
            return RampupBatchsizeNumMicroBatchesCalculator(gbs, mbs, dp, False, 0, *ramp)
        return ConstantNumMicroBatchesCalculator(gbs, mbs, dp, False, 0)

    wd = args.get("weight_decay", 0.01)
    if args.get("train_iters"):
        train_iters = args["train_iters"]
        decay = (args.get("lr_decay_iters") or train_iters) * gbs
        wd_steps = train_iters * gbs
        warmup = (args["lr_warmup_fraction"] * decay if args.get("lr_warmup_fraction") is not None
                  else args.get("lr_warmup_iters", 0) * gbs)
    else:
        samples = args["train_samples"]
        calc, iterations, consumed = calculator(), 0, 0
        if ramp:  # update_train_iters
            while consumed <= int(ramp[2]) and consumed <= samples:
                calc.update(consumed, consistency_check=False)
                consumed += calc.get_current_global_batch_size()
                iterations += 1
            if samples > consumed:
                iterations += (samples - consumed) // gbs
        else:
            iterations = samples // gbs
        train_iters = iterations
        decay = args.get("lr_decay_samples") or samples
        wd_steps = samples
        warmup = (args["lr_warmup_fraction"] * decay if args.get("lr_warmup_fraction") is not None
                  else args.get("lr_warmup_samples", 0))
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=args["lr"], weight_decay=wd)
    scheduler = OptimizerParamScheduler(
        optimizer, init_lr=args.get("lr_warmup_init", 0.0), max_lr=args["lr"], min_lr=args.get("min_lr", 0.0),
        lr_warmup_steps=warmup, lr_decay_steps=decay, lr_decay_style=args.get("lr_decay_style", "linear"),
        start_wd=wd, end_wd=wd, wd_incr_steps=wd_steps, wd_incr_style=args.get("weight_decay_incr_style", "constant"),
        wsd_decay_steps=None, lr_wsd_decay_style=args.get("lr_wsd_decay_style", "exponential"))
    calc, consumed, group = calculator(), 0, optimizer.param_groups[0]
    lrs, wds = [], []
    for _ in range(train_iters):
        calc.update(consumed, consistency_check=True)          # training.py:2736
        lrs.append(group["lr"])
        wds.append(group["weight_decay"])
        increment = calc.get() * mbs * dp                        # training.py:1729
        scheduler.step(increment=increment)                      # training.py:1730
        consumed += increment                                    # training.py:2869
    return lrs, wds


def drawn(path, overrides=(), kind=None):
    from lrplot.engine import simulate

    source = load_input(path, overrides=overrides, kind=kind)
    trace = simulate(source.spec).schedules[0]
    return source, trace.values[(0, "lr")].tolist(), trace.values[(0, "weight_decay")].tolist()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_published_bert_script_equals_megatrons_loop():
    source, lr, wd = drawn(BERT)
    args = {"micro_batch_size": 4, "global_batch_size": 32, "train_iters": 1000000, "weight_decay": 1e-2,
            "lr": 0.0001, "lr_decay_iters": 990000, "lr_decay_style": "linear", "min_lr": 1.0e-5,
            "lr_warmup_fraction": .01}  # the script's TRAINING_ARGS
    ref_lr, ref_wd = megatron_loop(args, dp=1)  # 4 x 1 divides 32
    assert source.kind == "megatron" and source.budget.updates == 1000000
    assert lr == ref_lr and wd == ref_wd
    assert lr[9900] == 0.0001 and lr[-1] == 1.0e-5 and set(wd) == {0.01}
    assert [n.settle for n in source.assumptions] == ["--fp16"]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_published_yaml_with_batch_rampup_equals_megatrons_loop():
    # the ramp-up (32 -> 128 by 32 over 65324160 samples) and a part of the constant phase
    config = yaml.safe_load(GPT_YAML.read_text())
    source, lr, wd = drawn(GPT_YAML, ["train_samples=70000000"])
    args = {k: config[k] for k in ("micro_batch_size", "global_batch_size", "rampup_batch_size", "lr",
                                   "lr_decay_style", "lr_decay_samples", "lr_warmup_samples", "lr_warmup_init",
                                   "min_lr", "weight_decay", "weight_decay_incr_style")}
    ref_lr, ref_wd = megatron_loop({**args, "train_samples": 70000000})
    assert source.budget.updates == len(ref_lr) > 70000000 // 128
    assert lr == ref_lr and wd == ref_wd


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
