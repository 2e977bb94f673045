"""Megatron-LM's ``--decoupled-lr``: the embedding and output layers train in a param group of their own, with
their own peak and floor, and lrplot draws that group ``==`` Megatron-Core's own scheduler stepped on the groups
Megatron builds.

Megatron-LM (NVIDIA/Megatron-LM @ d98e8a64ddf34856e74b24714e3bedb2f5a39553) builds its optimizer with
``config_overrides = get_standard_config_overrides(config=config)`` (megatron/training/training.py:2618-2620);
megatron-core 0.16.1's ``get_standard_config_overrides`` gives parameters marked
``is_embedding_or_output_parameter`` ``{"max_lr": decoupled_lr, "min_lr": decoupled_min_lr}``
(megatron/core/optimizer/__init__.py:98-103), merged over each group's ``max_lr=config.lr, min_lr=config.min_lr``
(:204-224); ``OptimizerParamScheduler.step`` sets every group's lr from its own ``max_lr``/``min_lr``
(optimizer_param_scheduler.py:223-224, :280-293). The reference below builds those two groups with megatron-core's
own override table and steps the real scheduler as train_step does (``step(increment=global batch)`` per
iteration, training.py; the loop of tests/helpers/megatron_loop.py).

Published config, unedited: tests/data/megatron/train_llama3_8b_h100_fp8.sh is
examples/llama/train_llama3_8b_h100_fp8.sh of NVIDIA/Megatron-LM @ d98e8a64ddf34856e74b24714e3bedb2f5a39553
(--lr 0.00015 --min-lr 0.00001 --decoupled-lr 5.0e-4 --decoupled-min-lr 4.5e-5, cosine over samples). lrplot drew
one group at --lr: the embedding and output layers' 3.3x higher peak was missing.
"""

from __future__ import annotations

import pytest

from lrplot.sources import load_input

from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("megatron")

LLAMA_FP8 = ROOT / "tests" / "data" / "megatron" / "train_llama3_8b_h100_fp8.sh"
GBS = 128  # --global-batch-size of the script


def megatron_groups(lr, min_lr, decoupled_lr, decoupled_min_lr, warmup, decay, train_samples, iterations):
    """(default group's lrs, embedding/output group's lrs, weight decays) of the first ``iterations``."""
    import torch
    from megatron.core.optimizer import OptimizerConfig, ParamKey, get_standard_config_overrides
    from megatron.core.optimizer_param_scheduler import OptimizerParamScheduler

    config = OptimizerConfig(lr=lr, min_lr=min_lr, decoupled_lr=decoupled_lr, decoupled_min_lr=decoupled_min_lr,
                             weight_decay=0.1)
    override = get_standard_config_overrides(config)[ParamKey(attr="is_embedding_or_output_parameter")]
    default = {"wd_mult": 1.0, "lr_mult": 1.0, "max_lr": config.lr, "min_lr": config.min_lr}  # _get_param_groups
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], **default},
              {"params": [torch.nn.Parameter(torch.zeros(1))], **default, **override}]
    optimizer = torch.optim.AdamW(groups, lr=lr, weight_decay=0.1)
    scheduler = OptimizerParamScheduler(
        optimizer, init_lr=0.0, max_lr=lr, min_lr=min_lr, lr_warmup_steps=warmup, lr_decay_steps=decay,
        lr_decay_style="cosine", start_wd=0.1, end_wd=0.1, wd_incr_steps=train_samples, wd_incr_style="constant")
    out = ([], [], [])
    for _ in range(iterations):
        out[0].append(optimizer.param_groups[0]["lr"])
        out[1].append(optimizer.param_groups[1]["lr"])
        out[2].append(optimizer.param_groups[1]["weight_decay"])
        scheduler.step(increment=GBS)
    return out


def curves(source, iterations):
    from lrplot.engine.run import start_run

    (schedule,) = source.spec.schedule_list()
    run = start_run(schedule, steps=iterations)
    values = run.values(run.advance(0, iterations))
    return values[(0, "lr")].tolist(), values[(1, "lr")].tolist(), values[(1, "weight_decay")].tolist()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_published_decoupled_lr_draws_the_embedding_and_output_group_as_megatron_steps_it():
    """The script as published: through the warmup (30518 iterations of 128 samples to 3906252) into the decay."""
    source = load_input(LLAMA_FP8)
    assert source.spec.schedule_list()[0].group_names == ["default", "embedding, output (--decoupled-lr)"]
    n = 40_000
    got = curves(source, n)
    assert got == megatron_groups(1.5e-4, 1e-5, 5.0e-4, 4.5e-5, 3906252, 1949218748, 1953125000, n)
    # the warmup ends between iterations 30517 and 30518 (3906252 / 128 = 30517.6): both groups peak there
    assert max(got[1]) == got[1][30518] > 4.99e-4 and max(got[0]) == got[0][30518] > 1.49e-4


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_decoupled_group_ends_at_decoupled_min_lr_as_megatron_ends_it():
    """The same script with a run short enough to finish its decay (--set on the flags): the default group ends
    at --min-lr, the embedding and output group at --decoupled-min-lr."""
    sets = ["train-samples=1280000", "lr-decay-samples=1024000", "lr-warmup-samples=128000"]
    source = load_input(LLAMA_FP8, overrides=sets)
    n = source.budget.updates
    assert n == 10_000
    got = curves(source, n)
    assert got == megatron_groups(1.5e-4, 1e-5, 5.0e-4, 4.5e-5, 128000, 1024000, 1280000, n)
    assert (got[0][-1], got[1][-1]) == (1e-5, 4.5e-5)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_flags_an_if_appends_to_the_array_itself_keep_the_arrays_flags():
    """examples/megatron_fsdp/train_llama3_8b_fsdp_h100_fp8.sh (NVIDIA/Megatron-LM @
    d98e8a64ddf34856e74b24714e3bedb2f5a39553, unedited) extends its array inside ``if [ "${USE_MEGATRON_FSDP}" = 1 ]``
    with ``TRAINING_ARGS=("${TRAINING_ARGS[@]}" --use-megatron-fsdp ...)``, flags lrplot does not read: the array
    keeps the flags it held before either way. lrplot lost the whole array ('found no command with Megatron's
    training flags'); its schedule is the llama3 fp8 script's, drawn == Megatron-Core's (through the warmup)."""
    source = load_input(ROOT / "tests" / "data" / "megatron" / "train_llama3_8b_fsdp_h100_fp8.sh")
    assert source.budget.updates == 1953125000 // GBS
    n = 31_000
    assert curves(source, n) == megatron_groups(1.5e-4, 1e-5, 5.0e-4, 4.5e-5, 3906252, 1949218748, 1953125000, n)
