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
    assert by["last_epoch"].identical  # the optimizer's state is loaded: its lr is the checkpoint's


@pytest.mark.filterwarnings("ignore:Detected call of")
@pytest.mark.parametrize("name, method, status", [
    ("LambdaLR", "last_epoch", "identical"),
    ("StepLR", "last_epoch", "identical"),  # recursive, and reads the loaded optimizer's lr
    ("CosineAnnealingWarmRestarts", "last_epoch", "differs"),  # T_cur = last_epoch ignores restarts
    ("CyclicLR", "last_epoch", "identical"),
    ("LambdaLR", "scheduler-only", "differs"),  # only update K: the optimizer still holds step 0's lr
    ("ExponentialLR", "last_epoch", "identical"),
    ("CosineAnnealingLR", "scheduler-only", "differs"),
    ("OneCycleLR", "last_epoch", "identical"),  # max_lr, min_lr, momenta come with the optimizer's state
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


@pytest.mark.parametrize("sched, build", [
    ("{type: CosineAnnealingLR, T_max: 200}", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=200)),
    ("{type: OneCycleLR, max_lr: 1.0, total_steps: 200}",
     lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=200)),
])
def test_state_after_the_last_update_is_torchs_after_as_many_steps(cli, tmp_path, sched, build):
    """--at == steps: the state a checkpoint written after the run's last update holds, i.e. after
    the trainer's 200 optimizer.step(); scheduler.step() pairs."""
    from lrplot.state import plain, state_at

    text = f"steps: 200\noptimizer: {{type: SGD, lr: 0.1, momentum: 0.9}}\nscheduler: {sched}\n"
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    torch_sched = build(opt)
    for _ in range(200):
        opt.step()
        torch_sched.step()
    state = state_at(parse_spec(text).schedule_list()[0], 200)
    assert (state["at"], state["scheduler_steps"]) == (200, 200)
    assert state["scheduler_state"] == plain(torch_sched.state_dict())
    assert state["param_groups"][0]["lr"] == opt.param_groups[0]["lr"]
    (tmp_path / "s.yaml").write_text(text)
    assert cli("state", tmp_path / "s.yaml", "--at", "200").exit_code == 0
    past = cli("state", tmp_path / "s.yaml", "--at", "201")
    assert past.exit_code == 2 and past.stderr == "lrplot: --at 201: schedule 's' has 200 updates; use a value between 0 and 200\n"


RESUMED = {  # spec scheduler, the same scheduler built by torch with a given last_epoch
    "OneCycleLR": ("{type: OneCycleLR, max_lr: 1.0, total_steps: 40}",
                   lambda o, e: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=40, last_epoch=e)),
    "CosineAnnealingLR": ("{type: CosineAnnealingLR, T_max: 30, eta_min: 0.001}",
                          lambda o, e: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=30, eta_min=0.001,
                                                                                  last_epoch=e)),
    "StepLR": ("{type: StepLR, step_size: 5, gamma: 0.5}",
               lambda o, e: torch.optim.lr_scheduler.StepLR(o, step_size=5, gamma=0.5, last_epoch=e)),
    "LambdaLR": ("{type: LambdaLR, lr_lambda: '0.95 ** epoch'}",
                 lambda o, e: torch.optim.lr_scheduler.LambdaLR(o, lambda epoch: 0.95 ** epoch, last_epoch=e)),
}


def _torch_resumed(build, steps, k, method):
    """torch alone, as a training script resumes: k updates, a checkpoint, a fresh optimizer and
    scheduler restored by ``method``, then the rest; the lr and momentum of updates k..steps-1."""
    import copy

    def fresh():
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)

    opt = fresh()
    sched = build(opt, -1)
    for _ in range(k):
        opt.step()
        sched.step()
    saved_opt, saved_sched = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    opt = fresh()
    if method == "last_epoch":  # torch's own test_lr_scheduler_checkpoint: optimizer state, then last_epoch
        opt.load_state_dict(saved_opt)
        sched = build(opt, k - 1)
    else:
        sched = build(opt, -1)
        if method == "full":
            opt.load_state_dict(saved_opt)
        sched.load_state_dict(saved_sched)
    values = {"lr": [], "momentum": []}
    for t in range(k, steps):
        for f in values:
            values[f].append(opt.param_groups[0][f])
        if t + 1 < steps:
            opt.step()
            sched.step()
    return values


@pytest.mark.parametrize("name", sorted(RESUMED))
@pytest.mark.parametrize("method", ["full", "scheduler-only", "last_epoch"])
def test_every_resume_method_continues_as_torchs_own_resumed_run(name, method):
    sched, build = RESUMED[name]
    text = f"steps: 40\noptimizer: {{type: SGD, lr: 0.1, momentum: 0.9}}\nfields: [lr, momentum]\nscheduler: {sched}\n"
    schedule = parse_spec(text).schedule_list()[0]
    for k in (17, 33):
        [result] = check_resume(schedule, [k], [method]).results
        expected = _torch_resumed(build, 40, k, method)
        assert result.status != "failed", result.describe()
        assert {f: result.values[(0, f)].tolist() for f in expected} == expected, (k, result.describe())


def test_a_spec_resumed_with_last_epoch_names_what_torch_reads_from_the_groups():
    from lrplot.engine import simulate
    from lrplot.errors import SpecError

    text = ("steps: 20\noptimizer: {type: SGD, lr: 0.1, initial_lr: 0.1}\n"
            "scheduler: {type: OneCycleLR, max_lr: 1.0, total_steps: 40, last_epoch: 10}\n")
    with pytest.raises(SpecError) as e:
        simulate(parse_spec(text, "s.yaml"))
    assert e.value.format() == (
        "s.yaml:3:12: OneCycleLR could not be built: last_epoch is set, so torch reads 'max_lr' from every param "
        "group, and the optimizer's groups have none; a resumed run loads the optimizer's saved state (it holds "
        "them) before building the scheduler")
