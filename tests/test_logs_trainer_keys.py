"""Other trainers' tags and step rules in TensorBoard logs, written with the real
``torch.utils.tensorboard.SummaryWriter`` in a tiny CPU loop that follows each writer's rule as read in
its source (lrplot/logs/conventions.py names file:line): DeepSpeed's monitor logs ``Train/Samples/lr``
after the scheduler stepped at the samples seen after the update (deepspeed engine.py:3483); torchtitan
logs ``lr/<Optimizer>`` read before the update at the 1-based step (trainer.py:847, :1030). Values are
float32 in TensorBoard, so equal to the pre-hook lr rounded to float32."""

from __future__ import annotations

import numpy as np
import pytest

from lrplot.logs import load_log, log_info
from lrplot.verify import verify_files

pytest.importorskip("tensorboard")
PLAN = """
steps: 20
optimizer: {type: SGD, lr: 0.1}
scheduler: {type: CosineAnnealingLR, T_max: 20}
"""
BATCH = 16


def run(folder, rule: str, *, twice: bool = False, restart_at: int | None = None) -> list[float]:
    """``restart_at``: the scheduler built anew without its state before that 1-based step (a resume that did
    not load it: torchtitan's ``checkpoint.exclude_from_loading: ["lr_scheduler"]``), from the base lr."""
    import torch
    from torch.utils.tensorboard import SummaryWriter

    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
    used: list[float] = []
    opt.register_step_pre_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    writer = SummaryWriter(str(folder))
    samples = 0
    for step in range(1, 21):
        if step == restart_at:
            for group in opt.param_groups:
                group["lr"] = 0.1
                group.pop("initial_lr", None)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
        before = sched.get_last_lr()[0]
        model(torch.ones(1, 2)).sum().backward()
        opt.step()
        sched.step()
        if twice:
            sched.step()
        samples += BATCH
        if rule == "deepspeed":
            writer.add_scalar("Train/Samples/lr", opt.param_groups[0]["lr"], samples)
        else:
            writer.add_scalar("lr/SGD", before, step)
    writer.close()
    return used


@pytest.mark.slow
def test_deepspeed_samples_and_torchtitan_steps(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    used = run(tmp_path / "ds", "deepspeed")
    (trace,) = load_log(tmp_path / "ds").schedules
    assert (log_info(trace).axis, trace.at[(0, "lr")][:2].tolist()) == ("samples", [16, 32])
    (v,) = verify_files(plan, tmp_path / "ds").verdicts
    assert v.text() == ("Train/Samples/lr: follows the plan (20 of 20 logged steps); the log's steps count samples: "
                        "16 samples per update: the log's step spacing (it logs every update); --global-batch says "
                        "otherwise")
    (v,) = verify_files(plan, tmp_path / "ds", global_batch=8).verdicts
    assert not v.ok
    used = run(tmp_path / "titan", "torchtitan")
    (trace,) = load_log(tmp_path / "titan").schedules
    assert trace.values[(0, "lr")].tolist() == np.float32(used).astype(np.float64).tolist()
    (v,) = verify_files(plan, tmp_path / "titan").verdicts
    assert v.text() == "lr/SGD: follows the plan (20 of 20 logged steps)"


TITAN_FAULTS = {
    "twice": "lr/SGD: diverges at step 2: logged 0.0975528285, plan 0.099384417 (1 of 20 logged steps agree); "
             "compressed in time by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, "
             "once per micro-batch with 2 accumulation steps, or an extra scheduler.step())",
    # named in updates and in the log's own 1-based step
    "resume": "lr/SGD: diverges at step 13: logged 0.100000001, plan 0.0345491503 (12 of 20 logged steps agree); "
              "restarted at update n=12 (the log's step 13): from there the lr starts the plan over (a resume that "
              "rebuilt the scheduler without loading its state)",
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", list(TITAN_FAULTS))
def test_torchtitans_optimizer_tag_of_a_broken_run_is_named(tmp_path, fault):
    """torchtitan's ``lr/<Optimizer>`` at the 1-based step: the scheduler stepped twice per update, or built anew
    at step 13 without its state. Each logged value == the lr its update used (float32), the cause named."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    used = run(tmp_path / "titan", "torchtitan", twice=fault == "twice", restart_at=13 if fault == "resume" else None)
    (trace,) = load_log(tmp_path / "titan").schedules
    assert trace.at[(0, "lr")].tolist() == list(range(20))
    assert trace.values[(0, "lr")].tolist() == np.float32(used).astype(np.float64).tolist()
    (v,) = verify_files(plan, tmp_path / "titan").verdicts
    assert v.text() == TITAN_FAULTS[fault]


GROUPS_PLAN = """
steps: 20
optimizer: {type: SGD, lr: 0.1}
param_groups: [{name: head}, {name: body, lr: 0.01}]
scheduler: {type: CosineAnnealingLR, T_max: 20}
"""


@pytest.mark.slow
@pytest.mark.parametrize("names", [("0", "1"), ("pg0", "pg1"), ("head", "body")])
def test_a_plain_loops_per_group_tags_are_not_torchtitans(tmp_path, names):
    """A plain loop logging each group's lr under ``lr/<index or name>`` (``lr/{idx}``, ``lr/{group['name']}``, as
    loops in the wild do) at its 0-based iteration, before the update: not torchtitan's ``lr/<Optimizer class>``
    read at the 1-based step, so each logged step s is update s."""
    import torch
    from torch.utils.tensorboard import SummaryWriter

    plan = tmp_path / "plan.yaml"
    plan.write_text(GROUPS_PLAN)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD([{"params": [model.weight]}, {"params": [model.bias], "lr": 0.01}], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
    used: list[list[float]] = []
    opt.register_step_pre_hook(lambda o, a, k: used.append([g["lr"] for g in o.param_groups]))
    with SummaryWriter(str(tmp_path / "run")) as writer:
        for step in range(20):
            for name, group in zip(names, opt.param_groups):
                writer.add_scalar(f"lr/{name}", group["lr"], step)
            model(torch.ones(1, 2)).sum().backward()
            opt.step()
            sched.step()
    (trace,) = load_log(tmp_path / "run").schedules
    assert (log_info(trace).step_offset, trace.at[(0, "lr")].tolist()) == (0, list(range(20)))
    for g in (0, 1):
        assert trace.values[(g, "lr")].tolist() == np.float32([u[g] for u in used]).astype(np.float64).tolist()
    report = verify_files(plan, tmp_path / "run")
    assert [v.text() for v in report.verdicts] == [f"lr/{n}: follows the plan (20 of 20 logged steps)" for n in names]
