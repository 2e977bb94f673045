"""Causes verify names, against tiny real torch loops (the lr each update used recorded by an optimizer step
pre-hook, logged before the update at the update's own step, as a CSV a loop writes with ``repr``)."""

from __future__ import annotations

import json

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


def axes(out, mode: str) -> list[float]:
    """The plan's 30 updates, each logged as a loop might: ``samples`` (the lr update t used, at the samples
    seen before it, 32 per update), ``from-one`` (the lr update t used, at t + 1), ``after`` (the lr
    ``scheduler.step()`` set after update t, at the update count t + 1)."""
    import torch

    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=0.1)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [
        torch.optim.lr_scheduler.LinearLR(opt, 0.1, total_iters=5),
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, 25, eta_min=0.001)], milestones=[5])
    used: list[float] = []
    opt.register_step_pre_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    rows = ["step,lr"]
    for t in range(30):
        if mode != "after":
            rows.append(f"{t * 32 if mode == 'samples' else t + 1},{opt.param_groups[0]['lr']!r}")
        opt.step()
        sched.step()
        if mode == "after":
            rows.append(f"{t + 1},{sched.get_last_lr()[0]!r}")
    out.write_text("\n".join(rows) + "\n")
    return used


def test_a_log_counted_in_samples_is_named_so_not_a_longer_run(tmp_path):
    """Its only value inside the plan, at step 0, agrees: verify called it 'the run goes on past the plan's
    end: logged to step 928', a horizon the run never had."""
    (tmp_path / "plan.yaml").write_text(PLAN)
    used = axes(tmp_path / "log.csv", "samples")
    (v,) = verify_files(tmp_path / "plan.yaml", tmp_path / "log.csv").verdicts
    assert v.text() == (f"lr: diverges at step 32: logged {used[1]:.9g}, past the plan's end (1 of 30 logged steps "
                        "agree); counted in samples, not updates: the log's step is the samples seen, 32 per update "
                        "(step s is update s/32); its step does not say what it counts (a plain loop): read it with "
                        "--global-batch 32, or log the lr at the update count")
    (v,) = verify_files(tmp_path / "plan.yaml", tmp_path / "log.csv", global_batch=32).verdicts  # as the hint says
    assert v.text() == ("lr: follows the plan (30 of 30 logged steps); the log's steps count samples: 32 samples per "
                        "update (--global-batch)")


def test_a_loop_logging_after_scheduler_step_at_the_update_count_follows_the_plan(tmp_path):
    """Every value is the lr of the update at its step; the last, at step 30, the lr scheduler.step() set after the
    plan's last update: verify called the healthy run longer ('the run goes on past the plan's end')."""
    (tmp_path / "plan.yaml").write_text(PLAN)
    used = axes(tmp_path / "log.csv", "after")
    (trace,) = load_log(tmp_path / "log.csv").schedules
    assert trace.values[(0, "lr")].tolist()[:29] == used[1:]  # ==, no tolerance
    (v,) = verify_files(tmp_path / "plan.yaml", tmp_path / "log.csv").verdicts
    assert v.ok and v.text() == (
        "lr: follows the plan (30 of 30 logged steps); its last value, at step 30, is the lr the scheduler set "
        "after the plan's last update, the plan's one step past its end (a log read after scheduler.step(), or "
        "one update more)")
    rows = (tmp_path / "log.csv").read_text().splitlines()
    (tmp_path / "bent.csv").write_text("\n".join([*rows[:-1], rows[-1].replace(",", ",1")]) + "\n")  # not the plan's
    (v,) = verify_files(tmp_path / "plan.yaml", tmp_path / "bent.csv").verdicts
    assert not v.ok and v.cause.kind == "longer"


def test_a_log_counting_from_1_is_named_as_one(tmp_path):
    (tmp_path / "plan.yaml").write_text(PLAN)
    used = axes(tmp_path / "log.csv", "from-one")
    (v,) = verify_files(tmp_path / "plan.yaml", tmp_path / "log.csv").verdicts
    assert v.text() == (f"lr: diverges at step 1: logged {used[0]:.9g}, plan {used[1]:.9g} (0 of 30 logged steps "
                        "agree); shifted by n=-1 steps: the log is 1 step behind the plan (its steps counted from 1: "
                        "the lr of update s logged at step s + 1, a step counter incremented before logging; or the "
                        "scheduler started 1 update late)")


def test_a_csv_cut_short_in_its_last_line_is_named_so(tmp_path):
    """A loop's CSV read while the run writes it: its last row cut inside a number ('0.0013903222' of
    0.0013903222849333506) parses, and verify said 'no single cause explains every logged value'."""
    (tmp_path / "plan.yaml").write_text(PLAN)
    log = tmp_path / "lr.csv"
    used = loop(log, resume_at=99, scheduler_state=True)
    text = log.read_text()
    cut = text[:len(text) - 8]
    log.write_text(cut)
    logged = float(cut.rsplit(",", 1)[1])
    assert logged != used[29]
    (v,) = verify_files(tmp_path / "plan.yaml", log).verdicts
    assert v.text() == (f"lr: diverges at step 29: logged {logged!r}, plan {used[29]!r} (29 of 30 logged steps "
                        "agree); cut short: the log's last line (step 29) has no line end, a record the run was still "
                        "writing, and every other logged value follows the plan; read the log again once the run has "
                        "written it")
    log.write_text(cut + "\n")  # the same row ended: a value the run wrote so
    (v,) = verify_files(tmp_path / "plan.yaml", log).verdicts
    assert not v.ok and v.cause is None
