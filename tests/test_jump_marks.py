"""The figure's jump marks and the summary's "jumps at" mark every abrupt change alike (issue 23):
each x0.5 drop of a StepLR, early or late; every MultiStepLR milestone; every ReduceLROnPlateau
halving; each warm restart; and never the steady slope of a steep OneCycle or a CyclicLR triangle.
The references are the steps where torch's own scheduler, stepped like lrplot's loop (optimizer.step
then scheduler.step, lr read before each update), changes the lr."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as L

from lrplot.engine import simulate
from lrplot.figure import render
from lrplot.spec import parse_spec
from lrplot.summary import jump_steps, peak_jumps, summarize


def torch_lr(make, steps, metric=False):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = make(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step(out[-1]) if metric else sched.step()
    return np.array(out)


def marks(text):
    curves = simulate(parse_spec(text, "s.yaml"))
    ax = render(curves).axes[0]
    drawn = {kind: [] for kind in ("drops", "rises")}
    for line in ax.lines:
        kind = (line.get_gid() or "").split(":")[0]
        if kind in drawn:
            drawn[kind].extend(int(x) for x in line.get_xdata())
    (row,) = [r for r in summarize(curves) if r.field == "lr"]
    return drawn["drops"], drawn["rises"], list(row.jumps)


def changes(lr):
    return [int(t) for t in np.flatnonzero(np.diff(lr)) + 1]


CASES = [  # spec, torch's scheduler, steps, fed its own lr as the metric
    ("scheduler: {type: StepLR, step_size: 30, gamma: 0.5}", lambda o: L.StepLR(o, 30, gamma=0.5), 120, False),
    ("scheduler: {type: MultiStepLR, milestones: [20, 50, 80], gamma: 0.1}",
     lambda o: L.MultiStepLR(o, [20, 50, 80], gamma=0.1), 100, False),
    ("metric: lr\nscheduler: {type: ReduceLROnPlateau, mode: min, factor: 0.5, patience: 5}",
     lambda o: L.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=5), 60, True),
]


@pytest.mark.parametrize("spec, make, steps, metric", CASES, ids=["step", "multistep", "plateau"])
def test_every_drop_is_marked_alike(spec, make, steps, metric):
    lr = torch_lr(make, steps, metric)
    drops, rises, table = marks(f"steps: {steps}\noptimizer: {{type: SGD, lr: 0.1, momentum: 0.9}}\n{spec}\n")
    assert drops == table == changes(lr) and rises == []
    assert len(drops) >= 3  # the late drops too, which are small next to the peak


def test_step_lr_marks_its_three_halvings():
    drops, rises, table = marks("steps: 120\nscheduler: {type: StepLR, step_size: 30, gamma: 0.5}\n")
    assert drops == table == [30, 60, 90] and rises == []


def test_warm_restarts_are_rises_and_the_cosines_between_are_not_marked():
    lr = torch_lr(lambda o: L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2), 70)
    drops, rises, table = marks("steps: 70\nscheduler: {type: CosineAnnealingWarmRestarts, T_0: 10, T_mult: 2}\n")
    restarts = [int(t) for t in np.flatnonzero(np.diff(lr) > 0) + 1]
    assert rises == table == restarts == [10, 30] and drops == []


@pytest.mark.parametrize("spec", [
    # 20 updates: the warmup rises 6x in 6 steps and the anneal falls 25000x in 14; no step is abrupt
    "steps: 20\nscheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 20}",
    "steps: 20\nscheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 20, anneal_strategy: linear}",
    "steps: 40\nscheduler: {type: CyclicLR, base_lr: 0.001, max_lr: 0.1, step_size_up: 5, mode: triangular}",
])
def test_a_steep_slope_is_not_marked(spec):
    drops, rises, table = marks("optimizer: {type: SGD, lr: 0.1, momentum: 0.9}\n" + spec + "\n")
    assert (drops, rises, table) == ([], [], [])


def test_a_warmup_staircase_is_the_schedules_shape():
    # per epoch: 0.01 -> 0.028 -> ... -> 0.1, then x0.1 at epoch 6 and 12 (steps 30 and 60)
    drops, rises, table = marks("steps: 80\nsteps_per_epoch: 5\ninterval: epoch\nscheduler: {type: SequentialLR, "
                                "milestones: [3], schedulers: [{type: LinearLR, start_factor: 0.1, total_iters: 3},"
                                " {type: MultiStepLR, milestones: [3, 9], gamma: 0.1}]}\n")
    assert drops == table == [30, 60] and rises == []


def test_a_per_epoch_cosine_is_a_staircase_not_jumps():
    # stepped per epoch, each stair is one scheduler step; near its end each stair is more than 20%
    # of the value, yet it is the cosine's slope (torch: a change at every epoch, none marked)
    lr = torch_lr(lambda o: L.CosineAnnealingLR(o, T_max=30), 30)
    drops, rises, table = marks("steps: 300\nsteps_per_epoch: 10\ninterval: epoch\n"
                                "scheduler: {type: CosineAnnealingLR, T_max: 30}\n")
    assert len(changes(lr)) == 29 and (drops, rises, table) == ([], [], [])


def test_an_epoch_staircase_stepped_per_update_is_taken_per_stair():
    # timm's t_in_epochs: stepped every update, the lr changes only at epoch starts (torch's cosine
    # per epoch, each value held for 10 updates); the trace is per step, yet its stairs are a slope
    from lrplot.curves import Curves, ScheduleTrace

    lr = np.repeat(torch_lr(lambda o: L.CosineAnnealingLR(o, T_max=30), 30), 10)
    sc = ScheduleTrace("t", "X", len(lr), "step", 10, ("0",), ("lr",), {(0, "lr"): lr})
    ax = render(Curves((sc,))).axes[0]
    assert not [ln for ln in ax.lines if (ln.get_gid() or "").startswith(("drops:", "rises:"))]
    assert summarize(Curves((sc,)))[0].jumps == ()
    assert jump_steps(lr).tolist() != []  # update by update, the last stairs would look abrupt


def test_check_keeps_the_peak_relative_rule():
    lr = torch_lr(lambda o: L.StepLR(o, 30, gamma=0.5), 120)
    assert peak_jumps(lr).tolist() == [30, 60]  # 0.1 -> 0.05 -> 0.025: more than 20% of the peak (0.02)
    assert jump_steps(lr).tolist() == [30, 60, 90]  # the figure: 0.025 -> 0.0125 is as abrupt


def test_jump_steps_ignore_nan_and_need_a_discontinuity():
    assert jump_steps(np.array([1.0, 1.0, np.nan, 1.0, 1.0, 0.1, 0.1])).tolist() == [5]
    assert jump_steps(np.array([1.0, 0.5, 0.25, 0.125])).tolist() == []  # a steady x0.5 slope
    assert jump_steps(np.array([1.0, 1.0, 0.5, 0.5])).tolist() == [2]


def test_a_resumed_run_is_drawn_from_where_it_resumes():
    # last_epoch 99: the run's first update is update 100, and torch drops at milestone 150, i.e.
    # 50 updates into the run; the x axis, the milestone line and the drop mark all say 150
    def make(o):
        o.param_groups[0]["initial_lr"] = 0.1
        return L.MultiStepLR(o, [150], gamma=0.1, last_epoch=99)
    lr = torch_lr(make, 100)
    curves = simulate(parse_spec("steps: 100\noptimizer: {type: SGD, lr: 0.1, initial_lr: 0.1}\n"
                                 "scheduler: {type: MultiStepLR, milestones: [150], gamma: 0.1, last_epoch: 99}\n",
                                 "s.yaml"))
    ax = render(curves).axes[0]
    (line,) = [ln for ln in ax.lines if ln.get_gid() == "series:s:0:lr"]
    assert (line.get_xdata() == np.arange(100, 200)).all() and (line.get_ydata() == lr).all()
    assert ax.get_xlim()[0] > 90 and ax.get_xlim()[1] < 210
    (event,) = [ln for ln in ax.lines if (ln.get_gid() or "").startswith("event:")]
    (drop,) = [ln for ln in ax.lines if (ln.get_gid() or "").startswith("drops:")]
    assert changes(lr) == [50] and event.get_xdata()[0] == 150 and list(drop.get_xdata()) == [150]


def sequential_cooldown(o):
    # the lr held 20 updates, then a StepLR that halves it at every update: three drops in a row to the end
    return L.SequentialLR(o, [L.ConstantLR(o, factor=1.0, total_iters=0), L.StepLR(o, step_size=1, gamma=0.5)],
                          milestones=[20])


@pytest.mark.filterwarnings("ignore:The epoch parameter")
@pytest.mark.parametrize("spec, make, steps", [
    ("scheduler: {type: MultiStepLR, milestones: [30, 31], gamma: 0.5}",
     lambda o: L.MultiStepLR(o, [30, 31], gamma=0.5), 60),
    ("scheduler: {type: MultiStepLR, milestones: [30, 31, 32], gamma: 0.1}",
     lambda o: L.MultiStepLR(o, [30, 31, 32], gamma=0.1), 60),
    ("scheduler: {type: MultiStepLR, milestones: [20, 21, 22, 23, 40], gamma: 0.5}",
     lambda o: L.MultiStepLR(o, [20, 21, 22, 23, 40], gamma=0.5), 60),
    ("scheduler: {type: SequentialLR, milestones: [20], schedulers: [{type: ConstantLR, factor: 1.0, total_iters: 0},"
     " {type: StepLR, step_size: 1, gamma: 0.5}]}", sequential_cooldown, 24),
], ids=["two-milestones", "three-milestones", "four-and-one", "every-update-to-the-end"])
def test_drops_back_to_back_are_each_marked(spec, make, steps):
    """Before, a drop followed at once by another was compared with that other (as big) and neither
    was marked: MultiStepLR [30, 31] quartered the lr in two updates with no mark and no table entry."""
    lr = torch_lr(make, steps)
    drops, rises, table = marks(f"steps: {steps}\noptimizer: {{type: SGD, lr: 0.1, momentum: 0.9}}\n{spec}\n")
    assert drops == table == changes(lr) and rises == []
    assert all(b == a + 1 for a, b in zip(drops, drops[1:])) or drops == [20, 21, 22, 23, 40]


def test_a_run_of_changes_with_nothing_beside_it_is_the_curves_slope():
    assert jump_steps(np.array([1.0, 0.5, 0.25, 0.125])).tolist() == []  # ExponentialLR(gamma=0.5) all along
    assert jump_steps(np.array([1.0, 0.5, 0.25, 0.25])).tolist() == [1, 2]  # a cliff, then flat
    # a linear cooldown over 10 updates: its last changes are above 20% of the value, but no bigger
    # than the ones before them: a slope, not a cliff; over 3 updates after a flat stretch it is one
    assert jump_steps(np.r_[np.full(5, 1.0), np.linspace(1.0, 0.0, 11)[1:]]).tolist() == []
    assert jump_steps(np.r_[np.full(5, 1.0), np.linspace(1.0, 0.0, 4)[1:]]).tolist() == [5, 6, 7]


def drop_then_restart(drops, restart_at):
    # MultiStepLR drops at ``drops``; SequentialLR hands off at ``restart_at`` to a cosine that starts
    # again from the base lr (torch steps the new scheduler with step(0): its closed form, the base lr)
    def make(o):
        return L.SequentialLR(o, [L.MultiStepLR(o, drops, gamma=0.3), L.CosineAnnealingLR(o, T_max=80 - restart_at)],
                              milestones=[restart_at])
    spec = (f"scheduler: {{type: SequentialLR, milestones: [{restart_at}], schedulers: [{{type: MultiStepLR, "
            f"milestones: {drops}, gamma: 0.3}}, {{type: CosineAnnealingLR, T_max: {80 - restart_at}}}]}}")
    return spec, make


@pytest.mark.filterwarnings("ignore:The epoch parameter")
@pytest.mark.parametrize("drops, restart_at", [([30], 31), ([30, 31], 32)], ids=["one-drop", "two-drops"])
def test_drops_followed_at_once_by_a_restart_are_marked(drops, restart_at):
    """Before, a drop followed at once by the rise of a warm restart was compared with that rise (as
    big) and neither was marked: the curve dipped to 30% of its lr for an update with no mark at all
    (two drops: only the restart's rise was marked)."""
    spec, make = drop_then_restart(drops, restart_at)
    lr = torch_lr(make, 80)
    fell = [t for t in changes(lr) if lr[t] < lr[t - 1] and t <= restart_at]
    assert fell == drops and lr[restart_at] == 0.1 and lr[restart_at - 1] < 0.031
    got_drops, rises, table = marks(f"steps: 80\noptimizer: {{type: SGD, lr: 0.1, momentum: 0.9}}\n{spec}\n")
    assert (got_drops, rises, table) == (drops, [restart_at], drops + [restart_at])


def test_a_spike_is_marked_where_it_falls_back():
    assert jump_steps(np.array([1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0])).tolist() == [4]
    assert jump_steps(np.array([1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0])).tolist() == [3, 4]


def test_a_cyclic_lr_zigzagging_every_update_is_its_shape():
    # triangular2 with one update up and one down: a zigzag whose height halves every cycle; each
    # change is as big as the ones beside it, so none is marked (as for the plain triangle)
    lr = torch_lr(lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=1, step_size_down=1, mode="triangular2"), 24)
    assert len(changes(lr)) == 23
    drops, rises, table = marks("steps: 24\noptimizer: {type: SGD, lr: 0.1, momentum: 0.9}\nscheduler: {type: "
                                "CyclicLR, base_lr: 0.01, max_lr: 0.1, step_size_up: 1, step_size_down: 1, "
                                "mode: triangular2}\n")
    assert (drops, rises, table) == ([], [], [])
