"""What every output calls a curve and its axes: the figure, the page (``-o x.html``), terminal text and the
``--data`` exports name the same curves alike, and never two of them by one name."""

from __future__ import annotations

import csv
import json

import pytest
import torch



def torch_cosine(steps: int, lr: float) -> list[float]:
    """The lr of every update of CosineAnnealingLR(T_max=steps), as a training loop reads it."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


@pytest.fixture
def plan_and_log_named_lr(tmp_path):
    """A spec ``lr.yaml`` (its schedule is named ``lr``, after the file) and a CSV log of an ``lr`` column
    (the log's series is named ``lr`` too), leaving the plan at step 30."""
    plan = torch_cosine(60, 0.1)
    (tmp_path / "lr.yaml").write_text("steps: 60\noptimizer: {type: SGD, lr: 0.1}\n"
                                      "scheduler: {type: CosineAnnealingLR, T_max: 60}\n")
    logged = {t: plan[t] if t < 30 else plan[t] / 2 for t in range(0, 60, 3)}
    (tmp_path / "log.csv").write_text("step,lr\n" + "".join(f"{t},{v!r}\n" for t, v in logged.items()))
    return plan, logged


def test_a_plan_and_a_log_of_one_name_are_both_drawn_and_exported(cli, tmp_path, plan_and_log_named_lr):
    # before: the PNG was an internal error (exit 70: the plan drawn at the log's 20 steps), --data x.json kept
    # only the log (the plan's 'lr' overwritten by the log's 'lr'), the CSV's rows of both said schedule 'lr'
    plan, logged = plan_and_log_named_lr
    result = cli("lr.yaml", "--log", "log.csv", "-o", "x.png", "--data", "x.json", "-q")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "x.json").read_text())
    assert list(data["schedules"]) == ["lr", "lr (log)"]
    assert data["schedules"]["lr"]["groups"][0]["fields"]["lr"] == plan
    assert data["schedules"]["lr (log)"]["groups"][0]["fields"]["lr"] == {"steps": list(logged),
                                                                           "values": list(logged.values())}
    assert cli("lr.yaml", "--log", "log.csv", "-o", "none", "--data", "x.csv", "-q").exit_code == 0
    with open(tmp_path / "x.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["value"]) for r in rows if r["schedule"] == "lr"] == plan
    assert {int(r["step"]): float(r["value"]) for r in rows if r["schedule"] == "lr (log)"} == logged
    result = cli("verify", "lr.yaml", "--log", "log.csv", "-o", "v.png")
    assert result.exit_code == 1 and result.stdout.splitlines()[-1] == "v.png"
