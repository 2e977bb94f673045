"""Megatron-LM's two lr tags in one TensorBoard folder: ``learning-rate`` at the iteration and ``learning-rate vs
samples`` at consumed_train_samples, both read after ``opt_param_scheduler.step()`` (Megatron-LM core_v0.16.1
megatron/training/training.py:3380-3381, the step at :3223; lrplot/logs/conventions.py). The loop drives the real
``OptimizerParamScheduler`` of megatron-core 0.16.1 as train_step does (increment = the global batch) and writes
both tags with the real ``torch.utils.tensorboard.SummaryWriter``. The plan states its global batch
(``global_batch_size``, a launch script's ``--global-batch-size``), so the samples tag is read with it, no
--global-batch needed. Truth: each logged value == the lr the next update used (an optimizer step pre-hook),
float32 as TensorBoard stores it; verdicts as whole lines."""

from __future__ import annotations

import numpy as np
import pytest

from lrplot.logs import load_log
from lrplot.verify import verify_files

pytest.importorskip("tensorboard")
GBS = 16
PLAN = ("steps: 20\noptimizer: {type: SGD, lr: 0.1}\n"
        "scheduler: {type: 'megatron.core.optimizer_param_scheduler:OptimizerParamScheduler', "
        f"global_batch_size: {GBS}, init_lr: 0.0, max_lr: 0.1, min_lr: 0.01, lr_warmup_steps: {4 * GBS}, "
        f"lr_decay_steps: {20 * GBS}, lr_decay_style: cosine, start_wd: 0.01, end_wd: 0.01, "
        f"wd_incr_steps: {20 * GBS}, wd_incr_style: constant}}\n")


def write(folder, fault: str) -> list[float]:
    """20 iterations as Megatron-LM's train_step and training_log run them; the lr each update used."""
    import torch
    from megatron.core.optimizer_param_scheduler import OptimizerParamScheduler
    from torch.utils.tensorboard import SummaryWriter

    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def scheduler():  # get_optimizer_param_scheduler's arguments for --train-iters 20 --lr-warmup-iters 4
        return OptimizerParamScheduler(opt, init_lr=0.0, max_lr=0.1, min_lr=0.01, lr_warmup_steps=4 * GBS,
                                       lr_decay_steps=20 * GBS, lr_decay_style="cosine", start_wd=0.01, end_wd=0.01,
                                       wd_incr_steps=20 * GBS, wd_incr_style="constant")

    sched = scheduler()
    used: list[float] = []
    opt.register_step_pre_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    consumed = 0
    with SummaryWriter(str(folder)) as writer:
        for iteration in range(1, 21):  # the iteration after the update
            if fault == "resume" and iteration == 13:  # resumed without the scheduler's state
                sched = scheduler()
            model(torch.ones(1, 2)).sum().backward()
            opt.step()
            for _ in range(2 if fault == "twice" else 1):
                sched.step(increment=GBS)
            consumed += GBS
            lr = opt.param_groups[0]["lr"]
            writer.add_scalar("learning-rate", lr, iteration)
            writer.add_scalar("learning-rate vs samples", lr, consumed)
    return used


VERDICTS = {
    "ok": ["learning-rate: follows the plan (20 of 20 logged steps)",
           "learning-rate vs samples: follows the plan (20 of 20 logged steps); the log's steps count samples: 16 "
           "samples per update (the plan's global_batch_size)"],
    "twice": [f"{key}: diverges at step {step}: logged 0.0500000007, plan 0.025 (1 of 20 logged steps agree); "
              "compressed in time by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, "
              "once per micro-batch with 2 accumulation steps, or an extra scheduler.step())"
              for key, step in (("learning-rate", 1), ("learning-rate vs samples", 16))],
    # the samples tag names the update and its own step (192: the lr update 12 used, logged after update 11)
    "resume": [f"{key}: diverges at step {step}: logged 0.0250000004, plan 0.0462209355 (12 of 20 logged steps agree); "
               f"restarted at {at}: from there the lr starts the plan over (a resume that rebuilt the scheduler "
               "without loading its state)" for key, step, at in (
                   ("learning-rate", 13, "step n=12"), ("learning-rate vs samples", 208, "update n=12 (the log's step "
                                                                                         "192)"))],
}


@pytest.mark.slow  # megatron-core imported
@pytest.mark.parametrize("fault", list(VERDICTS))
def test_both_tags_are_read_with_the_plans_global_batch(tmp_path, fault):
    pytest.importorskip("megatron.core")
    used = np.float32(write(tmp_path / "run", fault)).astype(np.float64)
    traces = {t.name: t for t in load_log(tmp_path / "run").schedules}
    assert sorted(traces) == ["learning-rate", "learning-rate vs samples"]
    for name, steps in (("learning-rate", range(1, 21)), ("learning-rate vs samples", range(GBS, 21 * GBS, GBS))):
        at, values = traces[name].at[(0, "lr")], traces[name].values[(0, "lr")]
        assert at.tolist() == list(steps)
        # the i-th value, logged after update i-1: the lr update i used; a resumed run's 12th is what the first
        # scheduler set for update 12, which the second never ran with
        seam = [12] if fault == "resume" else []
        assert [v for i, v in enumerate(values[:-1].tolist(), 1) if i not in seam] == [
            u for i, u in enumerate(used.tolist()) if 1 <= i < 20 and i not in seam]
    (tmp_path / "plan.yaml").write_text(PLAN)
    report = verify_files(tmp_path / "plan.yaml", tmp_path / "run")
    assert sorted(v.text() for v in report.verdicts) == sorted(VERDICTS[fault])


@pytest.mark.slow  # megatron-core imported
def test_the_figures_points_of_both_tags_land_on_the_updates(tmp_path):
    """``lrplot PLAN --log LOG`` draws each logged value at its update: the samples tag divided by the plan's
    global batch (not drawn at its samples count, 16 times past the plan's end)."""
    pytest.importorskip("megatron.core")
    from lrplot.verify import load_plan, overlay

    write(tmp_path / "run", "ok")
    (tmp_path / "plan.yaml").write_text(PLAN)
    plan, schedules, _ = load_plan(tmp_path / "plan.yaml")
    points = {t.name: t for t in overlay(plan, schedules, load_log(tmp_path / "run")).schedules if t.style == "points"}
    assert sorted(points) == ["learning-rate", "learning-rate vs samples"]
    assert [p.at[(0, "lr")].tolist() for p in points.values()] == [list(range(1, 21))] * 2


def test_a_figure_of_a_samples_log_whose_batch_nothing_states_asks_for_it(tmp_path, cli):
    """``lrplot PLAN --log`` with Megatron's samples tag beside a plan that states no global batch: on main the
    points were drawn at their sample counts (16 to 320 on a 20-update plan), exit 0, nothing said; now the
    line verify gives, and ``plot --global-batch`` (which plot did not take) draws them at their updates."""
    import torch
    from torch.utils.tensorboard import SummaryWriter

    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
    with SummaryWriter(str(tmp_path / "tb")) as writer:
        for iteration in range(1, 21):  # read after the scheduler's step, at the samples consumed (as Megatron)
            opt.step()
            sched.step()
            writer.add_scalar("learning-rate vs samples", opt.param_groups[0]["lr"], GBS * iteration)
    plan = tmp_path / "plan.yaml"
    plan.write_text("steps: 20\noptimizer: {type: SGD, lr: 0.1}\nscheduler: {type: CosineAnnealingLR, T_max: 20}\n")
    r = cli("plot", plan, "--log", tmp_path / "tb", "-o", tmp_path / "x.png", "-q")
    assert (r.exit_code, r.output) == (2, "lrplot: learning-rate vs samples: the log's steps count samples seen "
                                          "(Megatron-LM); say how many samples one update takes; add --global-batch "
                                          "N (micro-batch x accumulation steps x data-parallel processes)\n")
    assert not (tmp_path / "x.png").exists()
    r = cli("plot", plan, "--log", tmp_path / "tb", "--global-batch", GBS, "-o", "none", "--data",
            tmp_path / "d.json", "-q")
    assert r.exit_code == 0, r.output
    import json

    points = json.loads((tmp_path / "d.json").read_text())["schedules"]["learning-rate vs samples"]
    (group,) = points["groups"]
    planned = json.loads((tmp_path / "d.json").read_text())["schedules"]["plan"]["groups"][0]["fields"]["lr"]
    assert group["fields"]["lr"]["steps"] == list(range(1, 21))  # at samples 16 s: the lr update s uses
    assert group["fields"]["lr"]["values"][:19] == np.float32(planned[1:]).astype(float).tolist()
