"""A schedule resumed by its spec (``last_epoch``) is checked against the run it stands for
(lrplot/check/resumed.py, rule ``last-epoch``), and torch's schedulers that continue from the
optimizer's current lr are exactly those the fact table says (``scales_current_lr``).

The reference is a real torch run checkpointed and resumed as the PyTorch reference scripts resume:
``done`` updates, ``optimizer.state_dict()`` and ``scheduler.state_dict()`` through ``torch.save``,
a fresh optimizer and scheduler built as for a fresh run, both states loaded (optimizer first, as
torch's LRScheduler docstring says: torch/optim/lr_scheduler.py:108-113), then the rest of the run;
every update's lr recorded by ``optimizer.register_step_pre_hook``.
"""

from __future__ import annotations

import io

import pytest
import torch
from torch.optim import lr_scheduler as L
from torch.optim.swa_utils import SWALR

from lrplot.check import check_schedule
from lrplot.engine import simulate
from lrplot.facts import TABLE
from lrplot.findings import figure_facts
from lrplot.spec import parse_spec

DONE, TOTAL = 10, 25  # updates before the checkpoint, updates of the whole run


def fresh_optimizer(lr=0.1, initial_lr=None):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)
    if initial_lr is not None:
        opt.param_groups[0]["initial_lr"] = initial_lr
    return opt


def record(opt, lrs):
    return opt.register_step_pre_hook(lambda o, args, kwargs: lrs.append(o.param_groups[0]["lr"]))


def checkpointed_run(make, done=DONE, total=TOTAL):
    """The lr of every update 0..total-1 of a run checkpointed after ``done`` updates and resumed
    from the checkpoint, and the checkpoint's optimizer state."""
    lrs: list[float] = []
    opt = fresh_optimizer()
    sched = make(opt)
    record(opt, lrs)
    for _ in range(done):
        opt.step()
        sched.step()
    buf = io.BytesIO()
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, buf)
    buf.seek(0)
    saved = torch.load(buf, weights_only=False)
    opt = fresh_optimizer()
    sched = make(opt)
    opt.load_state_dict(saved["optimizer"])
    sched.load_state_dict(saved["scheduler"])
    record(opt, lrs)
    for _ in range(done, total):
        opt.step()
        sched.step()
    return lrs, saved["optimizer"]


def built_with_last_epoch(make, lr, saved_groups, done=DONE, total=TOTAL):
    """The lrs of updates done..total-1 of a scheduler built with ``last_epoch=done-1`` on a fresh
    optimizer holding ``lr`` and ``initial_lr`` 0.1, as a spec with last_epoch has it, and the saved
    group keys lrplot asks such a spec for (OneCycleLR's max_lr/min_lr/momenta)."""
    opt = fresh_optimizer(lr, initial_lr=0.1)
    for group, saved in zip(opt.param_groups, saved_groups):
        group.update({k: v for k, v in saved.items() if k not in ("lr", "params", "momentum", "initial_lr")})
    sched = make(opt, last_epoch=done - 1)
    lrs: list[float] = []
    record(opt, lrs)
    for _ in range(done, total):
        opt.step()
        sched.step()
    return lrs


# every torch scheduler that takes last_epoch and holds no other scheduler (SequentialLR and
# ChainedScheduler are checked by the rule itself, below)
TORCH = {
    "LambdaLR": lambda o, **k: L.LambdaLR(o, lambda e: 0.9 ** e, **k),
    "MultiplicativeLR": lambda o, **k: L.MultiplicativeLR(o, lambda e: 0.9, **k),
    "StepLR": lambda o, **k: L.StepLR(o, step_size=4, gamma=0.5, **k),
    "MultiStepLR": lambda o, **k: L.MultiStepLR(o, milestones=[5, 12], gamma=0.5, **k),
    "ConstantLR": lambda o, **k: L.ConstantLR(o, factor=0.5, total_iters=12, **k),
    "LinearLR": lambda o, **k: L.LinearLR(o, start_factor=0.1, total_iters=15, **k),
    "ExponentialLR": lambda o, **k: L.ExponentialLR(o, gamma=0.9, **k),
    "PolynomialLR": lambda o, **k: L.PolynomialLR(o, total_iters=20, power=2.0, **k),
    "CosineAnnealingLR": lambda o, **k: L.CosineAnnealingLR(o, T_max=20, **k),
    "CosineAnnealingWarmRestarts": lambda o, **k: L.CosineAnnealingWarmRestarts(o, T_0=7, **k),
    "CyclicLR": lambda o, **k: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6, **k),
    "OneCycleLR": lambda o, **k: L.OneCycleLR(o, max_lr=0.1, total_steps=TOTAL, **k),
    "SWALR": lambda o, **k: SWALR(o, swa_lr=0.01, anneal_epochs=15, **k),
}


@pytest.fixture(scope="module")
def measured():
    """For each type: (the resumed run's lrs from update DONE, built with last_epoch on lr 0.1,
    built with last_epoch on the lr the checkpoint saved)."""
    out = {}
    for name, make in TORCH.items():
        lrs, saved = checkpointed_run(make)
        uninterrupted = []
        opt = fresh_optimizer()
        sched = make(opt)
        record(opt, uninterrupted)
        for _ in range(TOTAL):
            opt.step()
            sched.step()
        assert lrs == uninterrupted, name  # the checkpoint round trip continues the run exactly
        groups = saved["param_groups"]
        out[name] = (lrs[DONE:], built_with_last_epoch(make, 0.1, groups),
                     built_with_last_epoch(make, groups[0]["lr"], groups))
    return out


def test_the_schedulers_that_continue_from_the_current_lr_are_those_of_the_fact_table(measured):
    # built with last_epoch, it starts at whatever lr the optimizer holds, and from the lr the
    # checkpoint saved it draws the resumed run exactly
    scaling = {name for name, (resumed, from_base, from_saved) in measured.items()
               if from_base[0] == 0.1 != resumed[0] and from_saved == resumed}
    assert scaling == {"MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
                       "PolynomialLR", "CosineAnnealingLR"}
    assert scaling == {name for name, facts in TABLE.items() if facts.scales_current_lr}
    # the others start from their base lrs: the same either way, right (LambdaLR, the warm restarts,
    # OneCycleLR given its saved group keys) or not (CyclicLR's first value, SWALR: the rule runs them)
    rest = {name: resumed == from_base == from_saved for name, (resumed, from_base, from_saved) in measured.items()
            if name not in scaling}
    assert rest == {"LambdaLR": True, "CosineAnnealingWarmRestarts": True, "OneCycleLR": True, "CyclicLR": False,
                    "SWALR": False}


def one(text):
    return parse_spec(text, "s.yaml").schedule_list()[0]


def last_epoch_findings(schedule):
    return [f for f in check_schedule(schedule) if f.rule == "last-epoch"]


COSINE = "{type: CosineAnnealingLR, T_max: 20, last_epoch: 9}"


def test_a_cosine_resumed_from_the_base_lr_is_found_and_the_fix_draws_the_resumed_run():
    lrs, _ = checkpointed_run(TORCH["CosineAnnealingLR"])
    resumed = lrs[DONE:]
    schedule = one(f"steps: 15\noptimizer: {{type: SGD, lr: 0.1, momentum: 0.9, initial_lr: 0.1}}\n"
                   f"scheduler: {COSINE}\n")
    (finding,) = last_epoch_findings(schedule)
    assert finding.values == (0.1, resumed[0]) and resumed[0] == 0.05000000000000001
    assert finding.text() == (
        "s.yaml:3:61: error: 's' lr at step 10: CosineAnnealingLR built with last_epoch: 9 starts from the "
        "optimizer's lr 0.1 (it scales the group's current lr); a run resumed from its checkpoint holds 0.05 here "
        "(the schedule run from update 0); 10 of 15 drawn steps differ; set optimizer.lr: 0.05000000000000001 "
        "(what the saved optimizer holds), or draw the run from update 0 (no last_epoch, lr 0.1, steps: 25, "
        "--xlim 10,25) [last-epoch]")
    drawn = next(simulate(schedule.spec).series()).values.tolist()
    assert drawn[0] == 0.1 and drawn[1] / resumed[1] == pytest.approx(2, rel=1e-12)  # twice the resumed lr at 11
    fixed = one(f"steps: 15\noptimizer: {{type: SGD, lr: {resumed[0]!r}, momentum: 0.9, initial_lr: 0.1}}\n"
                f"scheduler: {COSINE}\n")
    assert next(simulate(fixed.spec).series()).values.tolist() == resumed
    assert last_epoch_findings(fixed) == []
    whole = one("steps: 25\noptimizer: {type: SGD, lr: 0.1, momentum: 0.9}\n"
                "scheduler: {type: CosineAnnealingLR, T_max: 20}\n")
    assert next(simulate(whole.spec).series()).values.tolist() == lrs


def test_an_lr_typed_as_lrplot_prints_it_is_the_resumed_run():
    schedule = one("steps: 15\noptimizer: {lr: 0.0348678, initial_lr: 0.1}\n"
                   "scheduler: {type: ExponentialLR, gamma: 0.9, last_epoch: 9}\n")
    assert last_epoch_findings(schedule) == []
    lambda_lr = one("steps: 15\noptimizer: {lr: 0.1, initial_lr: 0.1}\n"
                    "scheduler: {type: LambdaLR, lr_lambda: '0.9 ** epoch', last_epoch: 9}\n")
    assert last_epoch_findings(lambda_lr) == []


def test_a_scheduler_that_differs_otherwise_is_found_with_the_uninterrupted_value():
    lrs, _ = checkpointed_run(TORCH["CyclicLR"])
    schedule = one("steps: 15\noptimizer: {type: SGD, lr: 0.1, momentum: 0.9, initial_lr: 0.1}\n"
                   "scheduler: {type: CyclicLR, base_lr: 0.01, max_lr: 0.1, step_size_up: 6, last_epoch: 9}\n")
    (finding,) = last_epoch_findings(schedule)
    assert finding.values == (0.1, lrs[DONE])
    assert finding.text() == (
        "s.yaml:3:86: error: 's' lr at step 10: CyclicLR built with last_epoch: 9 draws 0.1; a run resumed from its "
        f"checkpoint holds {lrs[DONE]:.6g} here (the schedule run from update 0); 1 of 15 drawn steps differ; "
        "draw the run from update 0 (no last_epoch, lr 0.1, steps: 25, --xlim 10,25) [last-epoch]")


def test_a_resumed_sequential_lr_is_checked_as_a_whole():
    def make(o, **k):
        return L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=5), L.CosineAnnealingLR(o, T_max=20)],
                              milestones=[5], **k)

    lrs, _ = checkpointed_run(make)
    schedule = one("steps: 15\noptimizer: {type: SGD, lr: 0.1, momentum: 0.9, initial_lr: 0.1}\nscheduler:\n"
                   "  type: SequentialLR\n  milestones: [5]\n  last_epoch: 9\n  schedulers:\n"
                   "    - {type: LinearLR, start_factor: 0.1, total_iters: 5}\n"
                   "    - {type: CosineAnnealingLR, T_max: 20}\n")
    (finding,) = last_epoch_findings(schedule)
    assert finding.values[1] == lrs[DONE] and finding.step == DONE and finding.location == "s.yaml:6:15"


def test_the_figure_says_it_under_the_curve():
    from lrplot.figure import RenderOptions, render

    spec = parse_spec(f"steps: 10\noptimizer: {{lr: 0.1, initial_lr: 0.1}}\nscheduler: {COSINE}\n", "s.yaml")
    curves, findings, notes = figure_facts([spec], simulate(spec))
    assert [f.rule for f in findings] == ["last-epoch"]
    assert notes == (f"\u26a0 {findings[0].message} [last-epoch]",)
    fig = render(curves, options=RenderOptions(notes=notes))
    (footnote,) = [t for t in fig.texts if t.get_gid() == "footnote"]
    assert " ".join(footnote.get_text().split("\n")[1:]).startswith(
        "\u26a0 's' lr at step 10: CosineAnnealingLR built with last_epoch: 9 starts from the optimizer's lr 0.1 "
        "(it scales the group's current lr); a run resumed from its checkpoint holds 0.05 here")


def test_a_per_epoch_schedule_of_two_groups_names_each_groups_lr():
    # StepLR per epoch (3 updates an epoch), resumed after epoch 6 (update 18); two groups
    per, epochs_done, epochs = 3, 6, 16

    def run(lrs_out, opt, sched, first, last):
        hook = opt.register_step_pre_hook(lambda o, a, k: lrs_out.append([g["lr"] for g in o.param_groups]))
        for update in range(first, last):
            opt.step()
            if (update + 1) % per == 0:
                sched.step()
        hook.remove()

    def fresh():
        opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]},
                               {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.01}], lr=0.1)
        return opt, L.StepLR(opt, step_size=4, gamma=0.5)

    lrs: list[list[float]] = []
    opt, sched = fresh()
    run(lrs, opt, sched, 0, epochs_done * per)
    saved = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}
    opt, sched = fresh()
    opt.load_state_dict(saved["optimizer"])
    sched.load_state_dict(saved["scheduler"])
    run(lrs, opt, sched, epochs_done * per, epochs * per)
    resumed = lrs[epochs_done * per:]
    text = ("steps: 30\nsteps_per_epoch: 3\ninterval: epoch\noptimizer: {{lr: 0.1, initial_lr: 0.1}}\n"
            "param_groups: [{{name: a, lr: {a}}}, {{name: b, lr: {b}, initial_lr: 0.01}}]\n"
            "scheduler: {{type: StepLR, step_size: 4, gamma: 0.5, last_epoch: 5}}\n")
    found = last_epoch_findings(one(text.format(a=0.1, b=0.01)))
    assert [(f.group, f.step, f.values) for f in found] == [("a", 18, (0.1, resumed[0][0])),
                                                            ("b", 18, (0.01, resumed[0][1]))]
    assert [f.message.split("; ")[-1] for f in found] == [
        f"set param_groups.{g}.lr: {resumed[0][g]!r} (what the saved optimizer holds), or draw the run from update 0 "
        f"(no last_epoch, lr {(0.1, 0.01)[g]:g}, steps: 48, --xlim 18,48)" for g in (0, 1)]
    fixed = one(text.format(a=repr(resumed[0][0]), b=repr(resumed[0][1])))
    values = simulate(fixed.spec).schedules[0].values
    assert [[values[(0, "lr")][t], values[(1, "lr")][t]] for t in range(30)] == resumed
    assert last_epoch_findings(fixed) == []


def checkpointed_many(make, done=DONE, total=TOTAL):
    """:func:`checkpointed_run` for ``make`` returning several schedulers stepped in turn after each update."""
    class Many:
        def __init__(self, o):
            self.all = make(o)

        def step(self):
            for s in self.all:
                s.step()

        def state_dict(self):
            return [s.state_dict() for s in self.all]

        def load_state_dict(self, states):
            for s, state in zip(self.all, states):
                s.load_state_dict(state)

    return checkpointed_run(Many, done, total)[0]


def drawn_by_torch(make, updates):
    """What torch gives for schedulers built as the spec says (last_epoch and all) on a fresh optimizer
    holding lr 0.1 and initial_lr 0.1: what lrplot draws."""
    opt = fresh_optimizer(0.1, initial_lr=0.1)
    scheds = make(opt)
    lrs: list[float] = []
    record(opt, lrs)
    for _ in range(updates):
        opt.step()
        for s in scheds:
            s.step()
    return lrs


NESTED = {  # spec, the same built by torch, the uninterrupted run it would resume, the warned lines
    "list": ("scheduler:\n  - {type: LinearLR, start_factor: 0.1, total_iters: 5}\n"
             "  - {type: CosineAnnealingLR, T_max: 20, last_epoch: 9}\n",
             lambda o: [L.LinearLR(o, start_factor=0.1, total_iters=5), L.CosineAnnealingLR(o, T_max=20, last_epoch=9)],
             lambda o: [L.LinearLR(o, start_factor=0.1, total_iters=5), L.CosineAnnealingLR(o, T_max=20)],
             [("s.yaml:5:54", "CosineAnnealingLR with last_epoch: 9 in a list of schedulers")]),
    "list, every one resumed": (
        "scheduler:\n  - {type: LinearLR, start_factor: 0.1, total_iters: 5, last_epoch: 9}\n"
        "  - {type: CosineAnnealingLR, T_max: 20, last_epoch: 9}\n",
        lambda o: [L.LinearLR(o, start_factor=0.1, total_iters=5, last_epoch=9),
                   L.CosineAnnealingLR(o, T_max=20, last_epoch=9)],
        lambda o: [L.LinearLR(o, start_factor=0.1, total_iters=5), L.CosineAnnealingLR(o, T_max=20)],
        [("s.yaml:4:69", "LinearLR with last_epoch: 9 in a list of schedulers"),
         ("s.yaml:5:54", "CosineAnnealingLR with last_epoch: 9 in a list of schedulers")]),
    "chained": ("scheduler:\n  type: ChainedScheduler\n  schedulers:\n"
                "    - {type: LinearLR, start_factor: 0.1, total_iters: 5, last_epoch: 9}\n"
                "    - {type: ExponentialLR, gamma: 0.9, last_epoch: 9}\n",
                lambda o: [L.ChainedScheduler([L.LinearLR(o, start_factor=0.1, total_iters=5, last_epoch=9),
                                               L.ExponentialLR(o, gamma=0.9, last_epoch=9)])],
                lambda o: [L.ChainedScheduler([L.LinearLR(o, start_factor=0.1, total_iters=5),
                                               L.ExponentialLR(o, gamma=0.9)])],
                [("s.yaml:6:71", "LinearLR with last_epoch: 9 inside a ChainedScheduler"),
                 ("s.yaml:7:53", "ExponentialLR with last_epoch: 9 inside a ChainedScheduler")]),
    "sequential": ("scheduler:\n  type: SequentialLR\n  milestones: [5]\n  schedulers:\n"
                   "    - {type: LinearLR, start_factor: 0.1, total_iters: 5, last_epoch: 2}\n"
                   "    - {type: CosineAnnealingLR, T_max: 20}\n",
                   lambda o: [L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=5, last_epoch=2),
                                                 L.CosineAnnealingLR(o, T_max=20)], milestones=[5])],
                   lambda o: [L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=5),
                                                 L.CosineAnnealingLR(o, T_max=20)], milestones=[5])],
                   [("s.yaml:7:71", "LinearLR with last_epoch: 2 inside a SequentialLR")]),
}


@pytest.mark.parametrize("case", NESTED)
def test_last_epoch_off_the_one_top_level_scheduler_is_said_to_be_beyond_the_rule(case):
    text, built, whole, said = NESTED[case]
    schedule = one(f"steps: 15\noptimizer: {{type: SGD, lr: 0.1, momentum: 0.9, initial_lr: 0.1}}\n{text}")
    drawn = next(simulate(schedule.spec).series()).values.tolist()
    assert drawn == drawn_by_torch(built, 15)  # lrplot draws what torch builds from this spec
    assert drawn != checkpointed_many(whole)[DONE:]  # and that is not the run resumed at update 10
    assert [(f.location, f.level, f.text()) for f in last_epoch_findings(schedule)] == [
        (where, "warning", f"{where}: warning: 's': {what}: lrplot cannot tell whether this draws a run resumed from "
         "its checkpoint (it checks last_epoch only on one top-level scheduler); to draw the resumed run, draw it from "
         "update 0 without last_epoch and --xlim the part after the resume [last-epoch]") for where, what in said]
    _, findings, notes = figure_facts([schedule.spec], simulate(schedule.spec))
    assert [n for n in notes if "[last-epoch]" in n] == [f"\u26a0 {f.message} [last-epoch]"
                                                       for f in findings if f.rule == "last-epoch"]
    assert len([n for n in notes if "[last-epoch]" in n]) == len(said)
