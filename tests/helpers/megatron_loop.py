"""Megatron-LM's training loop with no lrplot code, shared by tests/test_sources_megatron.py and the script that
records its long references (tests/data/megatron/regenerate.py).

The reference drives the real classes of megatron-core 0.16.1 with the loop arithmetic of Megatron-LM core_v0.16.1
(commit 55ac7082517c3878ae653c07c09c534b8aed49f6), written out below from megatron/training/training.py:

* :1354-1404 ``get_optimizer_param_scheduler``: iteration-based ``lr_decay_steps = lr_decay_iters x
  global_batch_size`` (``lr_decay_iters`` defaulting to ``train_iters``), warmup ``lr_warmup_fraction x
  lr_decay_steps`` or ``lr_warmup_iters x global_batch_size``, ``wd_incr_steps = train_iters x
  global_batch_size``; sample-based: the ``*_samples`` as given, ``train_iters`` from :1128-1157
  ``update_train_iters`` (the ramp-up counted with the num-microbatches calculator);
* :2711 / :2736 ``update_num_microbatches(consumed_train_samples)`` before each iteration;
* :1728-1730 ``train_step``: ``opt_param_scheduler.step(increment=get_num_microbatches() *
  micro_batch_size * data_parallel_size)``; :2869 ``consumed_train_samples += batch_size``.
"""

from __future__ import annotations

DP = 8


def megatron_scheduler(args: dict, dp: int = DP, count: bool = True):
    """(optimizer, OptimizerParamScheduler, a new num-microbatches calculator, train_iters) as
    get_optimizer_param_scheduler builds them (quoted above); ``args`` as Megatron's namespace holds them.
    Not ``count``: train_iters of a sample-based run is not counted (None; the scheduler does not use it)."""
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
        if not count:
            iterations = None
        elif ramp:  # update_train_iters
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
    return optimizer, scheduler, calculator(), train_iters


def megatron_loop(args: dict, dp: int = DP, consumed_at: list | None = None,
                  iterations: int | None = None) -> tuple[list[float], list[float]]:
    """(lr, weight decay) of every iteration (the first ``iterations`` if given: at most the run's), as quoted above.
    ``consumed_at``, if given, receives the samples consumed before each iteration (the scheduler's count)."""
    optimizer, scheduler, calc, train_iters = megatron_scheduler(args, dp, count=iterations is None)
    mbs, consumed, group = args["micro_batch_size"], 0, optimizer.param_groups[0]
    lrs, wds = [], []
    for _ in range(train_iters if iterations is None else iterations):
        calc.update(consumed, consistency_check=True)          # training.py:2736
        if consumed_at is not None:
            consumed_at.append(consumed)
        lrs.append(group["lr"])
        wds.append(group["weight_decay"])
        increment = calc.get() * mbs * dp                        # training.py:1729
        scheduler.step(increment=increment)                      # training.py:1730
        consumed += increment                                    # training.py:2869
    return lrs, wds


def megatron_at(args: dict, consumed: list[int], dp: int = DP) -> list[tuple[float, float, int]]:
    """For each count in ``consumed`` (ascending), the iteration that begins after that many samples: its (lr,
    weight decay) from Megatron's own scheduler stepped up to that count (its state is the count alone,
    optimizer_param_scheduler.py ``step``: ``num_steps += increment``, then ``get_lr``/``get_wd`` of it), and
    the samples it consumes from Megatron's num-microbatches calculator updated to it (training.py:2736, :1729)."""
    optimizer, scheduler, calc, _ = megatron_scheduler(args, dp, count=False)
    group, done, out = optimizer.param_groups[0], 0, []
    for count in consumed:
        scheduler.step(increment=count - done)
        done = count
        calc.update(count, consistency_check=True)
        out.append((group["lr"], group["weight_decay"], calc.get() * args["micro_batch_size"] * dp))
    return out

# The two long references (a million iterations each; the loop takes seconds), recorded by
# tests/data/megatron/regenerate.py: (config file, lrplot overrides, Megatron's args for it, data-parallel size).
BERT_ARGS = {"micro_batch_size": 4, "global_batch_size": 32, "train_iters": 1000000, "weight_decay": 1e-2,
             "lr": 0.0001, "lr_decay_iters": 990000, "lr_decay_style": "linear", "min_lr": 1.0e-5,
             "lr_warmup_fraction": .01}  # train_bert_340m_distributed.sh's TRAINING_ARGS; 4 x 1 divides 32
GPT_KEYS = ("micro_batch_size", "global_batch_size", "rampup_batch_size", "lr", "lr_decay_style", "lr_decay_samples",
            "lr_warmup_samples", "lr_warmup_init", "min_lr", "weight_decay", "weight_decay_incr_style")


def references(data) -> dict:
    """name -> (config path, overrides, args, dp) of the recorded references; ``data`` is tests/data/megatron."""
    import yaml

    gpt = yaml.safe_load((data / "gpt_config.yaml").read_text())
    return {  # the ramp-up (32 -> 128 by 32 over 65324160 samples) and a part of the constant phase
        "train_bert_340m_distributed": (data / "train_bert_340m_distributed.sh", [], BERT_ARGS, 1),
        "gpt_config": (data / "gpt_config.yaml", ["train_samples=70000000"],
                       {**{k: gpt[k] for k in GPT_KEYS}, "train_samples": 70000000}, DP)}


def digest(values) -> str:
    """sha256 of the values as little-endian float64: equal digests, equal values at every iteration."""
    import hashlib

    import numpy as np

    return hashlib.sha256(np.asarray(values, dtype="<f8").tobytes()).hexdigest()
