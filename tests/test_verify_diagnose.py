"""Causes verify names, against tiny real torch loops (the lr each update used recorded by an optimizer step
pre-hook, logged before the update at the update's own step, as a CSV a loop writes with ``repr``)."""

from __future__ import annotations

import json

import pytest

from lrplot.logs import load_log
from lrplot.verify import verify_files

PLAN = """
steps: 30
optimizer: {type: SGD, lr: 0.1}
scheduler:
  type: SequentialLR
  milestones: [5]
  schedulers:
    - {type: LinearLR, start_factor: 0.1, total_iters: 5}
    - {type: CosineAnnealingLR, T_max: 25, eta_min: 0.001}
"""


def loop(out, *, resume_at: int, scheduler_state: bool, every: int = 1) -> list[float]:
    """The plan's 30 updates; a checkpoint of the optimizer and the scheduler at ``resume_at``, and the run
    resumed from it as loops (and transformers' Trainer._load_optimizer_and_scheduler) do: optimizer and
    scheduler built anew, then the optimizer's state loaded (and the scheduler's, with ``scheduler_state``)."""
    import torch

    def build():
        param = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([param], lr=0.1)
        sched = torch.optim.lr_scheduler.SequentialLR(opt, [
            torch.optim.lr_scheduler.LinearLR(opt, 0.1, total_iters=5),
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, 25, eta_min=0.001)], milestones=[5])
        opt.register_step_pre_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
        return opt, sched

    used: list[float] = []
    rows = ["step,lr"]
    opt, sched = build()
    for t in range(30):
        if t == resume_at:
            checkpoint = opt.state_dict(), sched.state_dict()
            opt, sched = build()
            opt.load_state_dict(checkpoint[0])
            if scheduler_state:
                sched.load_state_dict(checkpoint[1])
        if t % every == 0:
            rows.append(f"{t},{opt.param_groups[0]['lr']!r}")
        opt.step()
        sched.step()
    out.write_text("\n".join(rows) + "\n")
    return used


def test_a_resume_that_lost_the_schedulers_state_is_named_where_it_went_on_from_the_restored_lr(tmp_path):
    """Built anew, the scheduler's constructor sets the warmup's first lr; loading the optimizer's state puts
    back the lr update 12 uses; the chainable LinearLR then multiplies THAT lr by its warmup factors. Not a
    restart of the plan (plan at t - 12): the plan re-simulated from the restored lr. A log written every 5th
    update names the same step; a resume that loaded both states follows the plan."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    planned = loop(tmp_path / "ok.csv", resume_at=12, scheduler_state=True)
    assert verify_files(plan, tmp_path / "ok.csv").ok
    log = tmp_path / "lost.csv"
    used = loop(log, resume_at=12, scheduler_state=False)
    (trace,) = load_log(log).schedules
    assert trace.values[(0, "lr")].tolist() == used and used[:13] == planned[:13] and used[13] != planned[13]
    cause = ("restarted at step n=12 from the lr it had there: the scheduler was built anew without its state and "
             "stepped on from the lr the optimizer's checkpoint restored (a resume that loaded the optimizer's "
             "state but not the scheduler's)")
    (v,) = verify_files(plan, log).verdicts
    assert v.text() == (f"lr: diverges at step 13: logged {used[13]:.9g}, plan {planned[13]:.9g} (13 of 30 logged "
                        f"steps agree); {cause}")
    assert (v.cause.kind, v.cause.n) == ("restarted", 12)
    sparse = tmp_path / "sparse.csv"
    loop(sparse, resume_at=12, scheduler_state=False, every=5)
    (v,) = verify_files(plan, sparse).verdicts
    assert v.text() == (f"lr: diverges at step 15: logged {used[15]:.9g}, plan {planned[15]:.9g} (3 of 6 logged "
                        f"steps agree); {cause}")


def test_the_cli_exits_1_and_its_json_names_the_restart(tmp_path, cli):
    (tmp_path / "plan.yaml").write_text(PLAN)
    loop(tmp_path / "lost.csv", resume_at=12, scheduler_state=False)
    r = cli("verify", "plan.yaml", "--log", "lost.csv", "--json")
    (v,) = json.loads(r.stdout)["verdicts"]
    assert r.exit_code == 1 and (v["cause"]["kind"], v["cause"]["n"]) == ("restarted", 12)
    assert v["first_divergence"]["step"] == 13
