"""Several schedulers on one optimizer, each at its own interval and frequency: values are == to a
plain torch loop that steps them the way a hand-written training loop (or MMEngine) does."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError
from torch.optim import lr_scheduler as L

from lrplot.engine import simulate
from lrplot.errors import SpecError
from lrplot.spec import Spec, parse_spec
from tests.helpers.loops import plain_loop


def lr_of(text, name="s.yaml"):
    return simulate(parse_spec(text, name)).schedules[0]


def test_per_update_warmup_beside_per_epoch_multistep():
    trace = lr_of("""
steps: 70
steps_per_epoch: 7
optimizer: {type: SGD, lr: 0.1, momentum: 0.9}
scheduler:
  - {type: LinearLR, start_factor: 0.01, total_iters: 10}
  - {type: MultiStepLR, milestones: [3, 6], gamma: 0.1, interval: epoch}
""")
    ref = plain_loop(70, lambda o: [L.LinearLR(o, start_factor=0.01, total_iters=10),
                                    L.MultiStepLR(o, milestones=[3, 6], gamma=0.1)],
                     lambda i, n: i == 0 or n % 7 == 0)
    assert trace.values[(0, "lr")].tolist() == ref[(0, "lr")]
    assert trace.scheduler == "LinearLR + MultiStepLR"
    # the milestones are drawn at their epochs, the warmup end at its update
    assert {(e.step, e.label) for e in trace.events} >= {(21, "milestone 3"), (42, "milestone 6"),
                                                        (10, "warmup end")}


@pytest.mark.parametrize("interval,per,frequency", [("step", 1, 2), ("step", 1, 3), ("epoch", 5, 2)])
def test_frequency_steps_every_nth_interval(interval, per, frequency):
    trace = lr_of(f"""
steps: 60
steps_per_epoch: 5
scheduler: {{type: StepLR, step_size: 2, gamma: 0.5, interval: {interval}, frequency: {frequency}}}
""")
    ref = plain_loop(60, lambda o: [L.StepLR(o, step_size=2, gamma=0.5)], lambda i, n: n % (per * frequency) == 0)
    assert trace.values[(0, "lr")].tolist() == ref[(0, "lr")]


def test_plateau_in_a_list_is_fed_per_its_own_steps():
    trace = lr_of("""
steps: 40
metric: "1.0"
scheduler:
  - {type: LinearLR, start_factor: 0.5, total_iters: 4}
  - {type: ReduceLROnPlateau, patience: 1, factor: 0.5, frequency: 4}
""")
    # the plain loop feeds the same metric (1.0) at every plateau step
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))]}]
    opt = torch.optim.SGD(params, lr=0.1)
    warm, plateau = L.LinearLR(opt, start_factor=0.5, total_iters=4), L.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    expected = []
    for t in range(40):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        if t + 1 < 40:
            warm.step()
            if (t + 1) % 4 == 0:
                plateau.step(1.0)
    assert trace.values[(0, "lr")].tolist() == expected
    assert min(expected) < 0.05  # it did reduce (twice at least): the comparison is not of two flat lines


def test_length_is_the_longest_scheduler_in_updates():
    trace = lr_of("""
steps_per_epoch: 10
scheduler:
  - {type: LinearLR, total_iters: 5}
  - {type: CosineAnnealingLR, T_max: 8, interval: epoch}
""")
    assert trace.steps == 80


@pytest.mark.parametrize("text,message", [
    ("steps: 5\nscheduler: []\n", "s.yaml:2:12: scheduler: list should have at least 1 item after validation, not 0"),
    ("steps: 5\nscheduler: {type: SequentialLR, milestones: [2], schedulers: [{type: ConstantLR, interval: epoch},"
     " {type: StepLR, step_size: 1}]}\n",
     "s.yaml:2:82: 'interval' applies to a top-level scheduler, not to one nested in SequentialLR or "
     "ChainedScheduler (its parent steps it); move 'interval' to the outer scheduler"),
    ("steps: 5\nscheduler: [{type: StepLR, step_size: 1, interval: epoch}]\n",
     "s.yaml:2:52: interval: epoch needs steps_per_epoch; add 'steps_per_epoch: N' (optimizer updates per epoch)"),
    ("steps: 5\nscheduler: {type: StepLR, step_size: 1, frequency: 0}\n",
     "s.yaml:2:52: scheduler.frequency: 0 is not above 0; write a number above 0"),
    ("steps: 5\nscheduler: {type: StepLR, step_size: 1, frequency: 1.5}\n",
     "s.yaml:2:52: scheduler.frequency: expected an integer, got the number 1.5"),
])
def test_bad_forms_are_one_located_line(text, message):
    with pytest.raises(SpecError) as exc:
        parse_spec(text, "s.yaml")
    assert exc.value.format() == message


def test_cross_key_rules_hold_however_a_spec_is_made():
    both = {"scheduler": {"type": "StepLR", "step_size": 1}, "schedules": [
        {"name": "a", "scheduler": {"type": "StepLR", "step_size": 1}}]}
    with pytest.raises(ValidationError, match="give either 'scheduler' or 'schedules', not both"):
        Spec.model_validate(both)
    with pytest.raises(SpecError, match="^<spec>:schedules: give either 'scheduler' or 'schedules', not both$"):
        Spec.from_dict(both)
    spec = Spec.from_dict({"steps": 10, "scheduler": {"type": "StepLR", "step_size": 3}})
    assert simulate(spec).schedules[0].values[(0, "lr")].tolist() == \
        plain_loop(10, lambda o: [L.StepLR(o, step_size=3)], lambda i, n: True)[(0, "lr")]


def test_resume_and_state_keep_every_scheduler():
    from lrplot.resume import check_resume
    from lrplot.state import state_at

    spec = parse_spec("""
steps: 70
steps_per_epoch: 7
scheduler:
  - {type: LinearLR, start_factor: 0.01, total_iters: 10}
  - {type: MultiStepLR, milestones: [3, 6], gamma: 0.1, interval: epoch}
""", "s.yaml")
    schedule = spec.schedule_list()[0]
    report = check_resume(schedule, [5, 30], ["full", "scheduler-only"])
    full = [r for r in report.results if r.method == "full"]
    assert [r.status for r in full] == ["identical", "identical"]
    state = state_at(schedule, 30)
    assert [s["last_epoch"] for s in state["scheduler_state"]] == [30, 4]  # 30 updates, 4 epoch ends
    assert state["scheduler"] == "LinearLR + MultiStepLR"


def _epoch_then_step_loop(step_first: bool):
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))]}]
    opt = torch.optim.SGD(params, lr=0.1)
    # LambdaLR sets lr = base * f(epoch) (it overwrites); ExponentialLR multiplies: their order matters
    epochly = L.LambdaLR(opt, lr_lambda=lambda e: 0.5 ** e)
    stepwise = L.ExponentialLR(opt, gamma=0.9)
    out = []
    for t in range(30):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if t + 1 < 30:
            end = (t + 1) % 5 == 0
            if end and not step_first:
                epochly.step()
            stepwise.step()
            if end and step_first:
                epochly.step()
    return out


def test_at_an_epoch_end_per_update_schedulers_step_before_per_epoch_ones():
    # listed epoch-first: at an epoch end the order is still per-update, then per-epoch (Lightning, MMEngine)
    trace = lr_of("""
steps: 30
steps_per_epoch: 5
scheduler:
  - {type: LambdaLR, lr_lambda: "0.5 ** epoch", interval: epoch}
  - {type: ExponentialLR, gamma: 0.9}
""")
    expected = _epoch_then_step_loop(step_first=True)
    assert expected != _epoch_then_step_loop(step_first=False)  # the order is visible in the values
    assert trace.values[(0, "lr")].tolist() == expected
