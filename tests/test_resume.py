"""Resume checks against an independent plain-torch reference, and the known failure modes."""

from __future__ import annotations

import json

import pytest
import torch

from lrplot.resume import check_resume
from lrplot.spec import load_spec, parse_spec

from tests.helpers.paths import CONFIGS
from tests.helpers.schedulers import NESTED, SIMPLE

AT = 17


def spec_text(name, args):
    import yaml

    sched = args if name in NESTED else {"type": name, **args}
    steps = 40
    return yaml.safe_dump({"steps": steps, "optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9},
                           "scheduler": sched})


ALL = {**{n: a for n, (a, _) in SIMPLE.items()}, **NESTED}


# torch warns while building SequentialLR over a ChainedScheduler (see test_simulate).
@pytest.mark.filterwarnings("ignore:Detected call of")
@pytest.mark.parametrize("name", sorted(ALL))
def test_full_state_round_trip_is_identical_for_every_scheduler(name):
    schedule = parse_spec(spec_text(name, ALL[name])).schedule_list()[0]
    report = check_resume(schedule, [AT, 33], ["full"])
    assert [r.status for r in report.results] == ["identical", "identical"]


def test_plain_torch_resume_matches_the_reference():
    # Independent check of what "differs" means: a hand-written resume that loads only the
    # scheduler state of an ExponentialLR restarts from the base lr.
    from torch.optim.lr_scheduler import ExponentialLR

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = ExponentialLR(opt, gamma=0.9)
    ref = []
    for _ in range(20):
        ref.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    schedule = parse_spec("steps: 20\nscheduler: {type: ExponentialLR, gamma: 0.9}\n").schedule_list()[0]
    report = check_resume(schedule, [5])
    by = {r.method: r for r in report.results}
    assert list(report.reference.values[(0, "lr")]) == ref
    assert by["full"].identical
    assert (by["scheduler-only"].step, by["scheduler-only"].expected, by["scheduler-only"].got) == (5, ref[5], 0.1)
    assert by["last_epoch"].status == "differs" and by["last_epoch"].step == 5


@pytest.mark.filterwarnings("ignore:Detected call of")
@pytest.mark.parametrize("name, method, status", [
    ("LambdaLR", "last_epoch", "identical"),
    ("StepLR", "last_epoch", "differs"),  # recursive: reads the fresh optimizer's lr
    ("CosineAnnealingWarmRestarts", "last_epoch", "differs"),  # T_cur = last_epoch ignores restarts
    ("CyclicLR", "last_epoch", "differs"),  # measured: only update K differs here
    ("LambdaLR", "scheduler-only", "differs"),  # only update K: the optimizer still holds step 0's lr
    ("ExponentialLR", "last_epoch", "differs"),
    ("CosineAnnealingLR", "scheduler-only", "differs"),
    ("OneCycleLR", "last_epoch", "failed"),
    ("ReduceLROnPlateau", "last_epoch", "failed"),
    ("ChainedScheduler", "last_epoch", "failed"),
])
def test_known_failure_modes_are_reported(name, method, status):
    schedule = parse_spec(spec_text(name, ALL[name])).schedule_list()[0]
    [r] = check_resume(schedule, [AT], [method]).results
    assert r.status == status, r.describe()
    if status == "failed":
        assert r.error and "Traceback" not in r.error


def test_cli_resume_exit_codes_json_and_figure(cli, tmp_path):
    step = CONFIGS / "step.yaml"
    assert cli("resume", step, "--at", "50", "--method", "full").exit_code == 0
    r = cli("resume", step, "--at", "50", "--at", "100", "--json", "-o", "resume.svg")
    assert r.exit_code == 1
    data = json.loads(r.stdout[:r.stdout.rindex("]") + 1])
    results = {(x["at"], x["method"]): x for x in data[0]["results"]}
    assert results[(50, "full")]["status"] == "identical"
    assert results[(50, "scheduler-only")]["step"] == 50 and results[(50, "scheduler-only")]["got"] == 0.1
    assert (tmp_path / "resume.svg").read_text().count("differs") >= 1


def test_cli_resume_bad_input(cli):
    r = cli("resume", CONFIGS / "step.yaml", "--at", "500")
    assert r.exit_code == 2 and r.stderr.startswith("lrplot: --at 500: schedule 'step' has 120 updates")
    r = cli("resume", CONFIGS / "step.yaml", "--at", "5", "--method", "ful")
    assert r.exit_code == 2 and "did you mean 'full'?" in r.stderr


def test_state_shows_state_dict_and_groups(cli):
    r = cli("state", CONFIGS / "lambda.yaml", "--at", "50", "--json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["scheduler_state"]["last_epoch"] == 50
    assert data["scheduler_state"]["lr_lambdas"][0]["_fn"] == "<function>"  # shown as its type
    spec = load_spec(CONFIGS / "lambda.yaml")
    from lrplot.engine import simulate

    assert data["param_groups"][0]["lr"] == simulate(spec).schedules[0].values[(0, "lr")][50]
    text = cli("state", CONFIGS / "chained.yaml", "--at", "3").stdout
    assert "scheduler.state_dict()" in text and "_schedulers" in text
