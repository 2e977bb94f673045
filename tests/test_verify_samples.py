"""A plain training loop whose TensorBoard ``lr`` tag is written at the samples seen, not the update count
(``writer.add_scalar("lr", lr, samples_seen)``): the tag records no unit for its step. Written by the real
``torch.utils.tensorboard.SummaryWriter``; the truth is the lr each update used (an optimizer step pre-hook).
On main, verify named the cause and told the user to read it 'with --global-batch 8 and a samples-counted key'
(DeepSpeed's flag and tag), and ``--global-batch 8`` was then refused as unused: no way to verify the run."""

from __future__ import annotations

import pytest

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
BATCH = 8


def _plan_loop():
    """PLAN's optimizer and scheduler as torch builds them, and the list the lr each update uses goes into."""
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [
        torch.optim.lr_scheduler.LinearLR(opt, 0.1, total_iters=5),
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, 25, eta_min=0.001)], milestones=[5])
    used: list[float] = []
    opt.register_step_pre_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    return opt, sched, used


def samples_loop(out, *, after: bool, twice: bool = False) -> list[float]:
    """30 updates of 8 samples; the lr each used logged at the samples seen before it (``after``: after it)."""
    from torch.utils.tensorboard import SummaryWriter

    opt, sched, used = _plan_loop()
    seen = 0
    with SummaryWriter(str(out)) as writer:
        for _ in range(30):
            lr = opt.param_groups[0]["lr"]
            if not after:
                writer.add_scalar("lr", lr, seen)
            opt.step()
            seen += BATCH
            if after:
                writer.add_scalar("lr", lr, seen)
            for _ in range(2 if twice else 1):
                sched.step()
    return used


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    return path


def _f32(v: float) -> str:
    import numpy as np

    return f"{float(np.float32(v)):.9g}"


@pytest.mark.slow
def test_the_hint_of_a_plain_tag_counted_in_samples_says_how_to_read_it_and_that_works(tmp_path, cli, plan):
    used = samples_loop(tmp_path / "tb", after=False)
    r = cli("verify", plan, "--log", tmp_path / "tb", "-o", "none")
    assert (r.exit_code, r.output) == (1, (
        f"lr: diverges at step 8: logged {_f32(used[1])}, plan {used[8]:.9g} (1 of 30 logged steps agree); counted "
        "in samples, not updates: the log's step is the samples seen, 8 per update (step s is update s/8); its step "
        "does not say what it counts (a plain loop): read it with --global-batch 8, or log the lr at the update "
        "count\n"))
    r = cli("verify", plan, "--log", tmp_path / "tb", "--global-batch", "8", "-o", "none")
    assert (r.exit_code, r.output) == (0, (
        "lr: follows the plan (30 of 30 logged steps); the log's steps count samples: 8 samples per update "
        "(--global-batch)\n"))


@pytest.mark.slow
def test_a_plain_tag_at_the_samples_seen_after_the_update_is_read_so(tmp_path, cli, plan):
    used = samples_loop(tmp_path / "tb", after=True)
    r = cli("verify", plan, "--log", tmp_path / "tb", "-o", "none")
    assert r.exit_code == 1 and r.output.endswith(
        "counted in samples, not updates: the log's step is the samples seen, 8 per update (step s is update "
        "(s/8) - 1); its step does not say what it counts (a plain loop): read it with --global-batch 8, or log "
        "the lr at the update count\n"), r.output
    r = cli("verify", plan, "--log", tmp_path / "tb", "--global-batch", "8", "-o", "none")
    assert (r.exit_code, r.output) == (0, (
        "lr: follows the plan (30 of 30 logged steps); read as written by a plain loop logging at the samples seen "
        "after the update: the log does not record whether its step counts the samples before the update or after "
        "it, and read as a plain loop logging at the samples seen before the update it would be shifted by -1 "
        "step(s)\n"))
    assert used


@pytest.mark.slow
def test_a_loop_calling_wandb_log_at_the_samples_seen_is_read_so_too(tmp_path, cli, plan):
    """wandb's ``_step`` is what ``wandb.log(step=...)`` was given: the hint said 'its writer (W&B's own step) logs
    at the update count', and --global-batch was refused as unused."""
    pytest.importorskip("wandb")
    import wandb

    opt, sched, used = _plan_loop()
    run = wandb.init(project="lrplot", dir=str(tmp_path), mode="offline", id="samples")
    for t in range(30):
        run.log({"lr": opt.param_groups[0]["lr"]}, step=BATCH * t)
        opt.step()
        sched.step()
    run.finish()
    r = cli("verify", plan, "--log", tmp_path, "-o", "none")
    assert (r.exit_code, r.output) == (1, (
        f"lr: diverges at step 8: logged {used[1]:.9g}, plan {used[8]:.9g} (1 of 30 logged steps agree); counted in "
        "samples, not updates: the log's step is the samples seen, 8 per update (step s is update s/8); its step "
        "does not say what it counts (W&B's own step): read it with --global-batch 8, or log the lr at the update "
        "count\n"))
    r = cli("verify", plan, "--log", tmp_path, "--global-batch", "8", "-o", "none")
    assert (r.exit_code, r.output) == (0, (
        "lr: follows the plan (30 of 30 logged steps); the log's steps count samples: 8 samples per update "
        "(--global-batch)\n"))


@pytest.mark.slow
def test_a_plain_tag_in_samples_stepped_twice_is_named_once_read_with_its_batch(tmp_path, cli, plan):
    used = samples_loop(tmp_path / "tb", after=False, twice=True)
    planned = samples_loop(tmp_path / "ok", after=False)
    r = cli("verify", plan, "--log", tmp_path / "tb", "--global-batch", "8", "-o", "none")
    assert (r.exit_code, r.output) == (1, (
        f"lr: diverges at step 8: logged {_f32(used[1])}, plan {planned[1]:.9g} (2 of 30 logged "
        "steps agree); compressed in time by k=2: the scheduler stepped 2 times per update (once per process on 2 "
        "processes, once per micro-batch with 2 accumulation steps, or an extra scheduler.step())\n"))


def test_a_global_batch_the_plain_tags_steps_are_no_multiples_of_is_refused_saying_so(tmp_path, cli):
    (tmp_path / "s.yaml").write_text("steps: 3\nscheduler: {type: StepLR, step_size: 2}\n")
    (tmp_path / "log.csv").write_text("step,lr\n0,0.1\n8,0.1\n17,0.010000000000000002\n")
    r = cli("verify", "s.yaml", "--log", "log.csv", "--global-batch", "8")
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", (
        "lrplot: --global-batch 8 does not fit the log: lr's steps (a plain loop: they do not say what they count) "
        "are not all multiples of 8 (step 17), as samples seen at 8 per update would be; give the run's samples per "
        "update, or leave --global-batch out (its steps are then read as updates)\n"))
