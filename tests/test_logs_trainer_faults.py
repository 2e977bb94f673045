"""Broken runs of the other trainers' TensorBoard keys: logs written with the real
``torch.utils.tensorboard.SummaryWriter`` by a tiny CPU loop following each writer's rule as read in its
source (lrplot/logs/conventions.py names file:line): Megatron-LM logs ``learning-rate`` after
``opt_param_scheduler.step()`` at the iteration after the update; Composer's LRMonitor logs
``lr-<Optimizer>/group<i>`` at BATCH_END, after the scheduler stepped, at the batches done; Keras's
TensorBoard callback logs ``epoch_learning_rate`` at the epoch's end, at step = epoch, the lr its
LearningRateScheduler set at the epoch's start. Each writer: a correct run and the faults (the
scheduler stepped twice per update, stepped once per 5-update epoch (Composer: at EPOCH_END, after the
batch's log, as its real Trainer does: tests/test_logs_composer.py), resumed at update 12 without the
scheduler's state; Keras: twice per epoch, resumed). Truth: every logged value == the lr the update used
(an optimizer step pre-hook), rounded to float32 as TensorBoard stores it; verdicts as whole lines.
"""

from __future__ import annotations

import numpy as np
import pytest

from lrplot.logs import load_log
from lrplot.verify import verify_files

pytest.importorskip("tensorboard")
PLAN = "steps: 20\noptimizer: {type: SGD, lr: 0.1}\nscheduler: {type: CosineAnnealingLR, T_max: 20}\n"
# Keras: LearningRateScheduler sets the lr at each epoch's start: a torch scheduler stepped once per epoch
KERAS_PLAN = ("steps: 20\nsteps_per_epoch: 4\ninterval: epoch\noptimizer: {type: SGD, lr: 0.1}\n"
              "scheduler: {type: StepLR, step_size: 1, gamma: 0.5}\n")
KEYS = {"megatron": "learning-rate", "composer": "lr-SGD/group0", "keras": "epoch_learning_rate"}


def write(folder, rule: str, fault: str = "ok") -> list[float]:
    """A 20-update loop logging as ``rule``'s writer; returns the lr each update used."""
    import torch
    from torch.utils.tensorboard import SummaryWriter

    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def scheduler():
        for group in opt.param_groups:  # a scheduler rebuilt without its state starts from the base lr
            group["lr"] = 0.1
            group.pop("initial_lr", None)
        if rule == "keras":
            return torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)

    sched = scheduler()
    used: list[float] = []
    opt.register_step_pre_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    with SummaryWriter(str(folder)) as writer:
        for update in range(20):
            if fault == "resume" and update == 12:
                sched = scheduler()
            before = opt.param_groups[0]["lr"]
            model(torch.ones(1, 2)).sum().backward()
            opt.step()
            if rule == "keras":  # per epoch of 4 updates: logged at the epoch's end, stepped for the next
                if update % 4 == 3:
                    writer.add_scalar(KEYS[rule], before, update // 4)
                    for _ in range(2 if fault == "twice" else 1):
                        sched.step()
                continue
            late = rule == "composer" and fault == "epoch"  # stepped at EPOCH_END, after BATCH_END's log
            if late:
                writer.add_scalar(KEYS[rule], opt.param_groups[0]["lr"], update + 1)
            if fault != "epoch" or update % 5 == 4:
                for _ in range(2 if fault == "twice" else 1):
                    sched.step()
            if not late:
                writer.add_scalar(KEYS[rule], opt.param_groups[0]["lr"], update + 1)  # after the step, 1-based
    return used


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plans")
    (folder / "plan.yaml").write_text(PLAN)
    (folder / "keras.yaml").write_text(KERAS_PLAN)
    return folder


CAUSES = {
    "ok": "follows the plan (20 of 20 logged steps)",
    "twice": "diverges at step 1: logged 0.0975528285, plan 0.099384417 (0 of 20 logged steps agree); compressed in "
             "time by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, once per "
             "micro-batch with 2 accumulation steps, or an extra scheduler.step())",
    "epoch": "diverges at step 1: logged 0.100000001, plan 0.099384417 (0 of 20 logged steps agree); stretched in "
             "time by k=5: the scheduler stepped once every 5 updates (once per epoch of 5 updates instead of after "
             "every update)",
    # the value logged at step 12 is what the first run's scheduler set for update 12; update 12 itself, after
    # the resume, used the plan's first lr (diagnose.py: the seam of a log read after scheduler.step())
    "resume": "diverges at step 13: logged 0.0993844196, plan 0.027300475 (12 of 20 logged steps agree); restarted "
              "at step n=12: from there the lr starts the plan over (a resume that rebuilt the scheduler without "
              "loading its state)",
}
KERAS = {
    "ok": "follows the plan (5 of 5 logged steps); the log's steps count epochs: 4 updates per epoch (the plan's)",
    "twice": "diverges at step 1: logged 0.0250000004, plan 0.05 (1 of 5 logged steps agree); compressed in time by "
             "k=2: the scheduler stepped 2 times per update (once per process on 2 processes, once per micro-batch "
             "with 2 accumulation steps, or an extra scheduler.step())",
    "resume": "diverges at step 3: logged 0.100000001, plan 0.0125 (3 of 5 logged steps agree); restarted at update "
              "n=12 (the log's step 3): from there the lr starts the plan over (a resume that rebuilt the scheduler without loading "
              "its state)",
}


@pytest.mark.slow
@pytest.mark.parametrize("rule, fault", [(r, f) for r in ("megatron", "composer") for f in CAUSES] +
                         [("keras", f) for f in KERAS])
def test_every_value_is_the_lr_its_update_used_and_the_fault_is_named(tmp_path, plans, rule, fault):
    used = write(tmp_path / "run", rule, fault)
    (trace,) = load_log(tmp_path / "run").schedules
    at, values = trace.at[(0, "lr")], trace.values[(0, "lr")]
    f32 = np.float32(used).astype(np.float64)
    if rule == "keras":  # epoch e: the lr of its first update
        assert at.tolist() == [0, 1, 2, 3, 4] and values.tolist() == f32[::4].tolist()
    elif rule == "composer" and fault == "epoch":  # the epoch's stepping comes after the log: update s-1's lr
        assert at.tolist() == list(range(1, 21)) and values.tolist() == f32.tolist()
    else:  # logged at s (1-based, after update s-1): the lr update s used; the 20th: an update never run
        assert at.tolist() == list(range(1, 21))
        seam = [12] if fault == "resume" else []  # the first run's last log: its scheduler's lr for update 12
        assert [v for s, v in zip(at[:-1], values[:-1]) if s not in seam] == [f for s, f in enumerate(f32) if
                                                                             1 <= s < 20 and s not in seam]
    (v,) = verify_files(plans / ("keras.yaml" if rule == "keras" else "plan.yaml"), tmp_path / "run").verdicts
    assert v.text() == f"{KEYS[rule]}: {(KERAS if rule == 'keras' else CAUSES)[fault]}"


# The Megatron-style log of a real 2-process Accelerate run (the fault "stepped once per process") is checked in
# tests/test_stepping.py, by the one launch that module runs for its own cases.
