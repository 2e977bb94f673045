"""Framework scheduler types in the fact table (lrplot/facts/frameworks.py): where MMEngine's and
transformers' schedulers declare their steps, checked against the frameworks' own classes and
functions, and ``lrplot check``'s verdicts on published configs that use them.

Published configs, unedited:
* tests/data/mmengine/mmpretrain/configs/mobilenet_v3/mobilenet_v3_small_8xb16_cifar10.py (and its
  _base_ files): open-mmlab/mmpretrain@ee7f2e88501f61aa95c742dd5f429f039935ee90 (MMEngine MultiStepLR).
* tests/data/mmengine/mmagic/configs/ifrnet/ifrnet_in2out7_8xb4_gopro.py, ifrnet_in2out7_8xb4_adobe.py and
  configs/_base_/default_runtime.py: open-mmlab/mmagic@652e4ca19aed74fc3c6b5d262942c7c82d2d26c2 (a
  CosineAnnealingLR with ``T_max=600_000`` iterations in a 300-epoch loop: how far it gets depends on
  the dataset's size, and past 2,000 iterations per epoch it rises again).
* tests/data/published/open-r1_qwen2.5-1.5b_sft_config_demo.yaml (cited in tests/test_sources_trl.py),
  switched to ``cosine_with_restarts`` with ``--set``, as a user trying restarts would.
"""

from __future__ import annotations

import numpy as np
import pytest

from lrplot.facts import facts_of
from lrplot.spec import parse_spec

from tests.helpers.paths import ROOT

MM = "mmengine.optim.scheduler"
DATA = ROOT / "tests" / "data"


def node(type_name: str, **options):
    import json

    text = f"steps: 10\nscheduler: {json.dumps({'type': type_name, **options})}\n"
    return parse_spec(text, "s.yaml").scheduler


def mmengine_values(name: str, steps: int, epoch_length: int | None = None, **args) -> np.ndarray:
    """MMEngine's own scheduler stepped ``steps - 1`` times after an optimizer step each (the Runner's
    order, hooks/param_scheduler_hook.py ``after_train_iter``): the lr before each update."""
    pytest.importorskip("mmengine")
    import mmengine.optim.scheduler as schedulers
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    cls = getattr(schedulers, name)
    sched = cls.build_iter_from_epoch(opt, epoch_length=epoch_length, **args) if epoch_length else cls(opt, **args)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


MMENGINE_CASES = [  # (class, arguments, epoch_length or None); each steps inside [begin, end) only
    ("MultiStepLR", dict(milestones=[4, 9], gamma=0.5, begin=3, end=30, by_epoch=False), None),
    ("MultiStepLR", dict(milestones=[2, 5], gamma=0.5, begin=1, end=9, by_epoch=True), 3),
    ("StepLR", dict(step_size=4, gamma=0.5, begin=2, end=21, by_epoch=False), None),
    ("StepLR", dict(step_size=2, gamma=0.5, begin=1, end=8, by_epoch=True), 3),
    ("ConstantLR", dict(factor=0.5, begin=5, end=17, by_epoch=False), None),
    ("ConstantLR", dict(factor=0.25, begin=0, end=4, by_epoch=True), 5),
    ("CosineRestartLR", dict(periods=[6, 8, 5], restart_weights=[1, 0.7, 0.5], eta_min=0.001, begin=2,
                             end=30, by_epoch=False), None),
    ("CosineRestartLR", dict(periods=[2, 3], restart_weights=[1, 0.5], eta_min=0.0, begin=1, end=8,
                             by_epoch=True), 4),
    ("LinearLR", dict(start_factor=0.1, begin=7, end=15, by_epoch=False), None),
]


@pytest.mark.parametrize("name,args,epoch_length", MMENGINE_CASES, ids=lambda c: str(c))
def test_mmengine_declared_jumps_are_where_mmengine_changes_the_value(name, args, epoch_length):
    steps = 40
    lr = mmengine_values(name, steps, epoch_length, **args)
    options = {**args, **({"epoch_length": epoch_length} if epoch_length else {})}
    sched = node(f"{MM}:{name}" + (".build_iter_from_epoch" if epoch_length else ""), **options)
    declared = {n for n in facts_of(sched).jumps(sched, 0, steps - 1) if n < steps}
    diff = np.diff(lr)
    if name == "CosineRestartLR":  # a restart is its only rise
        actual = {int(t) + 1 for t in np.flatnonzero(diff > 0)}
    elif name == "LinearLR":  # the factor applied where it starts; then a steady ramp
        actual = {int(np.flatnonzero(diff != 0)[0]) + 1}
    else:
        actual = {int(t) + 1 for t in np.flatnonzero(diff != 0)}
    assert actual and declared == actual


@pytest.mark.parametrize("args,epoch_length", [
    (dict(T_max=12, eta_min=0.001, begin=5, end=40, by_epoch=False), None),
    (dict(T_max=3, begin=1, end=9, by_epoch=True), 4),
])
def test_mmengine_cosine_ends_where_mmengine_turns_up(args, epoch_length):
    lr = mmengine_values("CosineAnnealingLR", 45, epoch_length, **args)
    options = {**args, **({"epoch_length": epoch_length} if epoch_length else {})}
    sched = node(f"{MM}:CosineAnnealingLR" + (".build_iter_from_epoch" if epoch_length else ""), **options)
    end = facts_of(sched).length(sched)
    assert lr[end] == lr.min() and int(np.flatnonzero(np.diff(lr) > 0)[0]) + 1 == end + 1
    assert facts_of(sched).floor(sched, 0.1, 0) == args.get("eta_min", 0.0)


@pytest.mark.parametrize("warmup,total,cycles", [(10, 200, 3), (0, 100, 4), (7, 101, 3), (5, 50, 7), (3, 40, 1)])
def test_hard_restarts_are_declared_where_transformers_restarts(warmup, total, cycles):
    transformers = pytest.importorskip("transformers")
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = transformers.get_cosine_with_hard_restarts_schedule_with_warmup(opt, warmup, total, num_cycles=cycles)
    lr = []
    for _ in range(total):  # the Trainer: optimizer.step(), then lr_scheduler.step() (trainer.py)
        lr.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    rises = {int(t) + 1 for t in np.flatnonzero(np.diff(lr) > 0) if t + 1 > warmup}
    direct = node("transformers:get_cosine_with_hard_restarts_schedule_with_warmup", num_warmup_steps=warmup,
                  num_training_steps=total, num_cycles=cycles)
    named = node("transformers.optimization:get_scheduler", name="cosine_with_restarts", num_warmup_steps=warmup,
                 num_training_steps=total, scheduler_specific_kwargs={"num_cycles": cycles})
    for sched_node in (direct, named):
        declared = set(facts_of(sched_node).jumps(sched_node, 0, total))
        assert rises <= declared and len(rises) == cycles - 1
        # each declared pair holds one restart: the slack is the float rounding of its point, no more
        assert len(declared) == 2 * len(rises)
    plain = node("transformers.optimization:get_scheduler", name="cosine", num_warmup_steps=warmup,
                 num_training_steps=total)
    assert list(facts_of(plain).jumps(plain, 0, total)) == []


# --- MMEngine with accumulative_counts ----------------------------------------------------------------

ACCUMULATED_CASES = {  # piecewise-constant schedules: every change of the lr is a declared step
    # a per-epoch MultiStepLR whose milestone 3 (iteration 30) falls inside the window 29-32, and an
    # iteration StepLR from iteration 5
    "epoch milestones mid-window, iteration steps": (4, 10, 8, [
        dict(type="StepLR", step_size=12, gamma=0.7, by_epoch=False, begin=5, end=60),
        dict(type="MultiStepLR", milestones=[3, 6], gamma=0.5, by_epoch=True)]),
    # ConstantLR over iterations [7, 23), then a MultiStepLR converted to iterations; 7 iterations an
    # epoch, 3 a window: windows cross epoch ends, and the last window is partial (56 = 18 x 3 + 2)
    "converted milestones, constant factor, partial last window": (3, 7, 8, [
        dict(type="ConstantLR", factor=0.25, by_epoch=False, begin=7, end=23),
        dict(type="MultiStepLR", milestones=[2, 5], gamma=0.3, by_epoch=True, convert_to_iter_based=True)]),
}


def _accumulated_config(tmp_path, counts, per_epoch, epochs, schedulers):
    path = tmp_path / "accum.py"
    path.write_text(
        f"optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.9), "
        f"accumulative_counts={counts})\n"
        f"param_scheduler = {schedulers!r}\n"
        f"train_cfg = dict(by_epoch=True, max_epochs={epochs})\n"
        f"train_dataloader = dict(batch_size=10, dataset=dict(type='X'))\n")
    return path, per_epoch * 10


@pytest.mark.slow  # a real MMEngine Runner per case
@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", sorted(ACCUMULATED_CASES))
def test_accumulated_steps_are_declared_at_the_updates_that_use_them(tmp_path, cli, case):
    """With accumulative_counts the schedulers step by iteration and the optimizer every k-th one: a
    real MMEngine Runner on CPU (tests/helpers/mmengine_runner.py) records the lr of each update; every
    update where it changes is one lrplot declares (and no other), and ``lrplot check`` is clean. Before,
    the accumulated node declared nothing: "lr at step 4: lr jumps from 0.1 to 0.07 (-30% of its peak);
    also at 7 [jump]" for the first case, "lr at step 2: lr jumps from 0.1 to 0.025 (-75% of its peak);
    also at 7, 11 [jump]" for the second."""
    pytest.importorskip("mmengine")
    from lrplot.check import Context
    from lrplot.engine import simulate
    from lrplot.sources import BudgetInputs, load_input
    from tests.helpers.mmengine_runner import run_runner

    counts, per_epoch, epochs, schedulers = ACCUMULATED_CASES[case]
    path, size = _accumulated_config(tmp_path, counts, per_epoch, epochs, schedulers)
    reference = run_runner(path, size)["lr"]
    source = load_input(path, inputs=BudgetInputs(dataset_size=size), allow_import=["mmengine"])
    [schedule] = source.spec.schedule_list()
    trace = simulate(source.spec, allow_import=["mmengine"]).schedules[0]
    assert trace.values[(0, "lr")].tolist() == reference.tolist()
    changes = {int(t) + 1 for t in np.flatnonzero(np.diff(reference) != 0)}
    assert len(changes) >= 4 and Context(schedule, trace).declared_jumps() == changes
    r = cli("check", path, "--dataset-size", str(size), "--allow-import", "mmengine")
    assert (r.exit_code, r.stdout) == (0, "1 schedule(s) checked: 0 error(s), 0 warning(s)\n")


REBOUND_CASES = {  # a CosineAnnealingLR the run drives past begin + T_max: (counts, iterations an epoch, epochs, ...)
    "per iteration, beside a warmup": (4, 10, 8, [
        dict(type="LinearLR", start_factor=0.1, by_epoch=False, begin=0, end=6),
        dict(type="CosineAnnealingLR", T_max=40, eta_min=0.001, by_epoch=False, begin=0, end=80)],
        "T_max=40", "iterations it anneals over (80)"),
    "per epoch": (3, 7, 8, [dict(type="CosineAnnealingLR", T_max=5, eta_min=0.001, by_epoch=True)],
                  "T_max=5", "epochs it anneals over (8)"),
    "converted, from epoch 1": (3, 7, 8, [dict(type="CosineAnnealingLR", T_max=4, eta_min=0.001, by_epoch=True,
                                               begin=1, convert_to_iter_based=True)],
                                "T_max=4", "epochs it anneals over (7)"),
    "to the run's end": (4, 10, 8, [dict(type="CosineAnnealingLR", T_max=80, eta_min=0.001, by_epoch=False)],
                         None, None),
}


@pytest.mark.slow  # a real MMEngine Runner per case
@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", sorted(REBOUND_CASES))
def test_accumulated_cosine_rising_past_t_max_is_a_rebound(tmp_path, case):
    """Inside the accumulated node a CosineAnnealingLR driven past begin + T_max is found where the real
    Runner's lr first rises after its lowest value (before, ``rebound`` looked only at top-level phases and
    said nothing here), with the key to change; one that ends with the run is not."""
    pytest.importorskip("mmengine")
    from lrplot.check import check_schedule
    from lrplot.engine import simulate
    from lrplot.sources import BudgetInputs, load_input
    from tests.helpers.mmengine_runner import run_runner

    counts, per_epoch, epochs, schedulers, t_max, refit = REBOUND_CASES[case]
    path, size = _accumulated_config(tmp_path, counts, per_epoch, epochs, schedulers)
    reference = run_runner(path, size)["lr"]
    source = load_input(path, inputs=BudgetInputs(dataset_size=size), allow_import=["mmengine"])
    [schedule] = source.spec.schedule_list()
    assert simulate(source.spec, allow_import=["mmengine"]).schedules[0].values[(0, "lr")].tolist() == reference.tolist()
    found = [f for f in check_schedule(schedule) if f.rule == "rebound"]
    if t_max is None:
        assert found == [] and np.all(np.diff(reference) < 0)
        return
    low = int(np.argmin(reference))
    t = low + 1 + int(np.flatnonzero(np.diff(reference[low:]) > 0)[0])
    assert [(f.step, f.values) for f in found] == [(t, (reference[t - 1], reference[t]))]
    assert found[0].text() == (
        f"{path}:2:1: error: 'accum' lr at step {t}: CosineAnnealingLR ({t_max}) rises again after T_max, from "
        f"{reference[t - 1]:.6g} to {reference[t]:.6g}; set T_max to the {refit}, or leave it out (MMEngine then "
        "anneals from begin to end) [rebound]")


def test_accumulated_arithmetic_is_should_updates():
    """first_update_after: the first update whose iteration (OptimWrapper.should_update's, every k-th and
    the last) comes after ``m`` iterations' hooks, for every m, from the list of update iterations."""
    from lrplot.facts.frameworks import first_update_after, update_iterations

    for counts, iters in [(4, 80), (3, 56), (16, 600), (5, 5), (7, 3)]:
        updates = update_iterations(iters, counts)
        for m in range(iters + 2):
            expected = next((u for u, t in enumerate(updates) if t - 1 >= m), None)
            assert first_update_after(m, counts, iters) == expected, (counts, iters, m)


def test_accumulated_peak_and_floor_are_its_schedulers():
    sched = node("lrplot.sources.mmengine_updates:AccumulatedIterations", accumulative_counts=4, max_iters=80,
                 epoch_length=10, param_scheduler=[
                     dict(type="LinearLR", start_factor=0.01, by_epoch=False, begin=0, end=10),
                     dict(type="CosineAnnealingLR", T_max=7, eta_min=1e-4, by_epoch=True, begin=1, end=8)])
    facts = facts_of(sched)
    assert facts.floor(sched, 0.1, 0) == 1e-4 and facts.peak(sched, 0.1, 0) == 0.1


# --- timm's cycle schedules --------------------------------------------------------------------------

TIMM_CYCLE_CASES = {  # args.yaml keys (timm train.py's names) beside TIMM_ARGS
    "cosine x3, per epoch": dict(lr_cycle_limit=3),
    "cosine x4, cycle_mul 1.5, per epoch": dict(lr_cycle_limit=4, lr_cycle_mul=1.5, epochs=4),
    "cosine x3, cycle_mul 2, warmup prefix": dict(lr_cycle_limit=3, lr_cycle_mul=2.0, epochs=3, warmup_epochs=2,
                                                  warmup_prefix=True),
    "cosine x3, per update, warmup prefix": dict(lr_cycle_limit=3, sched_on_updates=True, warmup_prefix=True),
    "cosine x3, cycle_mul 1.3, per update": dict(lr_cycle_limit=3, lr_cycle_mul=1.3, epochs=3,
                                                 sched_on_updates=True),
    "cosine x5, cycle_mul 1.7, k-decay, warmup inside": dict(lr_cycle_limit=5, lr_cycle_mul=1.7, epochs=2,
                                                             lr_k_decay=1.5, warmup_epochs=1, lr_cycle_decay=0.9),
    "tanh x3, per epoch": dict(sched="tanh", lr_cycle_limit=3),
    "poly x3, per update, cycle_mul 1.5": dict(sched="poly", decay_rate=2.0, lr_cycle_limit=3, lr_cycle_mul=1.5,
                                               epochs=3, sched_on_updates=True),
    "cosine, one cycle": dict(),
}
TIMM_CLEAN = ("cosine x3, per update, warmup prefix", "cosine x3, cycle_mul 1.3, per update",
              "poly x3, per update, cycle_mul 1.5")
TIMM_ARGS = dict(sched="cosine", epochs=5, warmup_epochs=0, warmup_lr=1e-4, min_lr=1e-4, lr=0.1, batch_size=100,
                 lr_cycle_decay=0.5, cooldown_epochs=1, opt="sgd")


def timm_train_py_lr(scheduler_module, args: dict, updates_per_epoch: int) -> np.ndarray:
    """timm's REAL create_scheduler_v2 driven as train.py (huggingface/pytorch-image-models aa4b5850)
    drives it: ``step_update(num_updates)`` after every update, ``step(epoch + 1)`` after every epoch
    (the loop quoted in tests/test_sources_timm.py); the lr each update uses."""
    import argparse

    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=args["lr"], momentum=0.9)
    full = argparse.Namespace(**{"lr_noise": None, "lr_noise_pct": 0.67, "lr_noise_std": 1.0, "seed": 42,
                                 "lr_cycle_mul": 1.0, "lr_cycle_limit": 1, "lr_k_decay": 1.0, **args})
    sched, epochs = scheduler_module.create_scheduler_v2(opt, **scheduler_module.scheduler_kwargs(full),
                                                         updates_per_epoch=updates_per_epoch)
    lr, num_updates = [], 0
    for epoch in range(epochs):
        for _ in range(updates_per_epoch):
            lr.append(opt.param_groups[0]["lr"])
            opt.step()
            num_updates += 1
            sched.step_update(num_updates=num_updates)
        sched.step(epoch + 1)
    return np.array(lr)


@pytest.mark.parametrize("case", sorted(TIMM_CYCLE_CASES))
def test_timm_restarts_are_declared_where_timm_restarts(real_timm, tmp_path, case):
    """The updates ``lrplot check`` takes as declared jumps hold every restart of timm's own scheduler
    (the rises after its warmup), and nothing else but the float slack of a restart point that lands on
    a whole epoch or update. (A per-epoch cosine over a few epochs also changes by more than the jump
    threshold between restarts: those steps are real, and still reported.)"""
    import yaml

    from lrplot.check import Context, check_schedule
    from lrplot.engine import simulate
    from lrplot.sources import BudgetInputs, load_input
    from lrplot.summary import peak_jumps

    args = {**TIMM_ARGS, **TIMM_CYCLE_CASES[case]}
    path = tmp_path / "args.yaml"
    path.write_text(yaml.safe_dump(args))
    source = load_input(path, inputs=BudgetInputs(dataset_size=700))  # 7 updates per epoch
    [schedule] = source.spec.schedule_list()
    trace = simulate(source.spec).schedules[0]
    lr = timm_train_py_lr(real_timm, args, 7)
    assert trace.values[(0, "lr")].tolist() == lr.tolist()
    per = 1 if args.get("sched_on_updates") else 7
    rises = {int(t) + 1 for t in np.flatnonzero(np.diff(lr) > 0) if t + 1 > args["warmup_epochs"] * 7}
    declared = Context(schedule, trace).declared_jumps()
    assert len(rises) == args.get("lr_cycle_limit", 1) - 1
    assert rises <= declared and declared - rises <= {r + per for r in rises}
    cycles = args.get("lr_cycle_limit", 1) > 1
    assert not cycles or rises & set(peak_jumps(lr))  # a restart is a change the jump rule looks at
    if case in TIMM_CLEAN:  # smooth between restarts: before, "lr jumps from ... (+N% of its peak)" at each
        assert check_schedule(schedule) == []


def test_timm_class_in_epochs_declares_restarts_in_updates(real_timm):
    """configs/timm_cosine.yaml names timm's CosineLRScheduler (t_in_epochs, 100 updates per epoch):
    its restart at epoch 10 (warmup 2 + t_initial 8) is update 1000, where timm's value rises."""
    from lrplot.check import Context, check_schedule
    from lrplot.engine import simulate
    from lrplot.spec import load_spec

    spec = load_spec(ROOT / "configs" / "timm_cosine.yaml")
    [schedule] = spec.schedule_list()
    trace = simulate(spec).schedules[0]
    lr = trace.values[(0, "lr")]
    assert {int(t) + 1 for t in np.flatnonzero(np.diff(lr) > 0)} == {100, 200, 1000}  # warmup 2 epochs, restart
    assert Context(schedule, trace).declared_jumps() == {1000, 1100}
    # the warmup's 50% step per epoch is real and still reported; the restart no longer is
    assert [(f.rule, f.step) for f in check_schedule(schedule)] == [("jump", 100)]


# --- lrplot check on published configs ----------------------------------------------------------

def test_check_mmengine_multistep_milestones_are_not_jumps(cli):
    pytest.importorskip("mmengine")
    path = DATA / "mmengine" / "mmpretrain" / "configs" / "mobilenet_v3" / "mobilenet_v3_small_8xb16_cifar10.py"
    r = cli("check", path, "--dataset-size", "1000", "--allow-import", "mmengine")
    # before: "lr at step 7560: lr jumps from 0.1 to 0.01 (-90% of its peak) [jump]" at milestone 120
    assert (r.exit_code, r.stdout) == (0, "1 schedule(s) checked: 0 error(s), 0 warning(s)\n")


def test_check_mmdet_1x_warmup_and_milestones_are_clean(cli):
    """The repository's mmdet 1x example (mmdet 3.x's _base_/schedules/schedule_1x.py): a 500-iteration
    LinearLR beside an epoch MultiStepLR at [8, 11]; before, "lr at step 59144: lr jumps from 0.02 to
    0.002 (-90% of its peak) [jump]"."""
    pytest.importorskip("mmengine")
    path = ROOT / "configs" / "frameworks" / "mmdet_schedule_1x.py"
    r = cli("check", path, "--dataset-size", "118287", "--devices", "8", "--allow-import", "mmengine")
    assert (r.exit_code, r.stdout) == (0, "1 schedule(s) checked: 0 error(s), 0 warning(s)\n")


def test_check_mmengine_cosine_cut_short_is_no_anneal(cli):
    pytest.importorskip("mmengine")
    path = DATA / "mmengine" / "mmagic" / "configs" / "ifrnet" / "ifrnet_in2out7_8xb4_adobe.py"
    r = cli("check", path, "--dataset-size", "1000", "--allow-import", "mmengine")
    assert r.exit_code == 0
    assert r.stdout.splitlines() == [
        f"{path}:110:1: warning: 'ifrnet_in2out7_8xb4_adobe' lr at step 74999: {MM}:CosineAnnealingLR ends at "
        "9.65747e-05, 96% of the way from its floor 1e-05 to its declared peak 0.0001; does it run its length "
        "(steps, interval, total_steps)? [no-anneal]",
        "1 schedule(s) checked: 0 error(s), 1 warning(s)"]


@pytest.mark.slow  # 600,300 steps of MMEngine's scheduler
@pytest.mark.timeout(300)
def test_check_mmengine_cosine_rebound_is_an_error(cli):
    pytest.importorskip("mmengine")
    path = DATA / "mmengine" / "mmagic" / "configs" / "ifrnet" / "ifrnet_in2out7_8xb4_gopro.py"
    # 8004 examples / batch 4 = 2001 iterations per epoch x 300 epochs = 600,300 iterations > T_max
    r = cli("check", path, "--dataset-size", "8004", "--allow-import", "mmengine")
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        f"{path}:110:1: error: 'ifrnet_in2out7_8xb4_gopro' lr at step 600009: CosineAnnealingLR (T_max=600000) "
        "rises again after T_max, from 1e-05 to 1e-05; set T_max to the iterations it anneals over (600300), or "
        "leave it out (MMEngine then anneals from begin to end) [rebound]",
        "1 schedule(s) checked: 1 error(s), 0 warning(s)"]


def test_check_hf_cosine_with_restarts_restarts_are_not_jumps(cli):
    pytest.importorskip("trl")
    path = DATA / "published" / "open-r1_qwen2.5-1.5b_sft_config_demo.yaml"
    args = ["--dataset-size", "2000", "--set", "packing=false", "--set", "lr_scheduler_type=cosine_with_restarts"]
    r = cli("check", path, *args, "--set", "lr_scheduler_kwargs={num_cycles: 3}")
    # before: "lr at step 51: lr jumps from 3.93374e-09 to 1.99843e-05 (+100% of its peak); also at 88 [jump]"
    # (its warmup's update 0 at lr 0 is transformers' design: not said)
    assert (r.exit_code, r.stdout.splitlines()) == (0, ["1 schedule(s) checked: 0 error(s), 0 warning(s)"])
    # the restarts written as a plain spec's LambdaLR declare nothing: the jump rule still sees them
    spec = ("steps: 125\nscheduler: {type: LambdaLR, lr_lambda: \"0.5 * (1 + cos(pi * ((3 * epoch / 125) % 1)))\"}\n")
    from lrplot.check import check_schedule

    [schedule] = parse_spec(spec, "restarts.yaml").schedule_list()
    assert [(f.rule, f.level, f.step) for f in check_schedule(schedule)] == [("jump", "warning", 42)]
