"""A resumed run whose log writer starts a new file per launch (transformers' Trainer: a TensorBoard run folder
per launch, its global_step going on): the later launch's file, read as a run of its own, starts at the update the
run resumed at. Resumed without the scheduler's state, its lr starts the plan over there. Written by the REAL
transformers Trainer (tests/helpers/logruns.hf_run: checkpoint at 8, its scheduler.pt deleted, resumed); the truth
is the lr each update used (an optimizer step pre-hook)."""

from __future__ import annotations

import textwrap

import pytest

PLAN = """
    steps: 20
    optimizer: {type: AdamW, lr: 1e-3}
    scheduler: {type: "transformers:get_scheduler", name: cosine, num_warmup_steps: 3, num_training_steps: 20}
"""


@pytest.mark.slow
def test_a_later_launchs_tensorboard_folder_that_starts_the_plan_over_is_called_restarted(tmp_path, cli):
    """On main its verdict was 'shifted by n=-8 steps: the log is 8 step(s) behind the plan (the scheduler started
    8 update(s) late)', where trainer_state.json of the same run reads 'restarted at step n=8'."""
    pytest.importorskip("transformers")
    from tests.helpers.logruns import hf_run

    used = [lrs[0] for lrs in hf_run(tmp_path / "run", save_steps=8, resume_without_scheduler=True)]
    plan = tmp_path / "plan.yaml"
    plan.write_text(textwrap.dedent(PLAN).lstrip())
    first, second = sorted(p.name for p in (tmp_path / "run" / "runs").iterdir())
    r = cli("verify", plan, "--log", tmp_path / "run" / "runs", "--allow-import", "transformers", "-o", "none")
    # update 8 is the Trainer's step 9: both named ('diverges at step 9' then 'restarted at step n=8' read as two)
    restarted = ("restarted at update n=8 (the log's step 9): from there the lr starts the plan over (a resume that "
                 "rebuilt the scheduler without loading its state)")
    assert used[8] == used[0] == 0.0  # the warmup from 0 again
    assert (r.exit_code, r.output) == (1, (
        f"{first} · train/learning_rate: follows the plan (8 of 8 logged steps); the log ends at step 8, the plan at "
        "step 20\n"
        f"{second} · train/learning_rate: diverges at step 9: logged 0, plan {_plan8():.9g} (0 of 12 "
        f"logged steps agree); {restarted}; the log starts at that update, as a resumed run's later part does\n"))
    r = cli("verify", plan, "--log", tmp_path / "run" / "trainer_state.json", "--allow-import", "transformers",
            "-o", "none")
    assert r.exit_code == 1 and f"; {restarted}\n" in r.output, r.output


def _plan8() -> float:
    """The plan's lr of update 8: transformers' own cosine schedule (its lambda, as the Trainer builds it)."""
    import torch
    from transformers import get_scheduler

    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    sched = get_scheduler("cosine", opt, num_warmup_steps=3, num_training_steps=20)
    for _ in range(8):
        opt.step()
        sched.step()
    return opt.param_groups[0]["lr"]
