"""The fact table: what each scheduler type declares, from the spec alone, checked against torch itself."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from torch.optim import lr_scheduler as L

from lrplot.engine import simulate
from lrplot.facts import TABLE, facts_of, hard_limit, natural_length, spec_events, torch_default
from lrplot.spec import parse_spec

from tests.helpers.schedulers import all_torch_schedulers
from tests.helpers.timm_stub import install_timm_stub


def node(text: str):
    return parse_spec(f"steps: 10\nscheduler: {text}\n", "s.yaml").scheduler


def test_table_names_only_real_schedulers():
    """torch's rows by class name; a framework's by import path, each naming a scheduler class (or its
    epoch builder, or a schedule function) that framework really has."""
    import importlib
    import importlib.util

    assert {name for name in TABLE if ":" not in name} <= all_torch_schedulers()
    for name in (n for n in TABLE if ":" in n):
        module, _, path = name.partition(":")
        top = module.split(".")[0]
        # timm's scheduler code runs without its package __init__, which needs torchvision
        if not install_timm_stub() if top == "timm" else importlib.util.find_spec(top) is None:
            continue
        obj = importlib.import_module(module)
        for part in path.split("."):
            obj = getattr(obj, part)
        assert callable(obj), name


@pytest.mark.parametrize("type_name,arg", [("LinearLR", "total_iters"), ("ConstantLR", "total_iters"),
                                           ("PolynomialLR", "total_iters"), ("CosineAnnealingWarmRestarts", "T_mult")])
def test_defaults_come_from_torch_signatures(type_name, arg):
    assert torch_default(type_name, arg) == inspect.signature(getattr(L, type_name)).parameters[arg].default


def test_length_of_a_left_out_total_iters_is_torchs_default_plus_one():
    assert natural_length(node("{type: LinearLR}")) == torch_default("LinearLR", "total_iters") + 1


@pytest.mark.parametrize("text,shows", [
    ("{type: StepLR, step_size: 7, gamma: 0.5}", "changes"),
    ("{type: MultiStepLR, milestones: [4, 9, 30], gamma: 0.5}", "changes"),
    ("{type: ConstantLR, factor: 0.5, total_iters: 12}", "changes"),
    ("{type: CosineAnnealingWarmRestarts, T_0: 5, T_mult: 2}", "rises"),  # a restart: the only rises
])
def test_declared_jumps_are_where_torch_jumps(text, shows):
    sched = node(text)
    lr = simulate(parse_spec(f"steps: 40\nscheduler: {text}\n", "s.yaml")).schedules[0].values[(0, "lr")]
    diff = np.diff(lr)
    actual = {int(t) + 1 for t in np.flatnonzero(diff != 0 if shows == "changes" else diff > 0)}
    declared = {n for n in facts_of(sched).jumps(sched, 0, 39) if n < 40}
    assert actual == declared


def test_one_cycle_raises_exactly_past_its_declared_limit():
    sched = node("{type: OneCycleLR, max_lr: 1.0, total_steps: 12}")
    limit = hard_limit(sched)
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    s = L.OneCycleLR(opt, max_lr=1.0, total_steps=12)
    for _ in range(limit):  # `limit` values, the last reached by step number limit
        opt.step()
        s.step()
    with pytest.raises(ValueError):  # step limit + 1
        s.step()


@pytest.mark.parametrize("text,peak,floor", [
    ("{type: OneCycleLR, max_lr: 0.5, total_steps: 50}", 0.5, None),
    ("{type: CosineAnnealingLR, T_max: 50, eta_min: 0.001}", 0.1, 0.001),
    ("{type: LinearLR, start_factor: 1.0, end_factor: 0.1, total_iters: 49}", 0.1, None),
])
def test_declared_peak_and_floor_match_torchs_curve(text, peak, floor):
    sched = node(text)
    lr = simulate(parse_spec(f"steps: 50\nscheduler: {text}\n", "s.yaml")).schedules[0].values[(0, "lr")]
    facts = facts_of(sched)
    assert facts.peak(sched, 0.1, 0) == pytest.approx(lr.max())
    declared_floor = facts.floor(sched, 0.1, 0)
    assert declared_floor == pytest.approx(lr[-1] if floor is None else floor, rel=1e-6)


def test_events_mark_milestones_and_warmup_end():
    seq = node("{type: SequentialLR, milestones: [5], schedulers: [{type: LinearLR, total_iters: 5},"
               " {type: MultiStepLR, milestones: [10, 20]}]}")
    assert [(e.step, e.label) for e in spec_events(seq)] == [
        (5, "warmup end"), (5, "→ MultiStepLR"), (15, "milestone 10 (counted from 5)"),
        (25, "milestone 20 (counted from 5)")]


def test_an_unknown_type_declares_nothing():
    facts = facts_of("SomeoneElsesLR")
    assert facts.length(node("{type: StepLR, step_size: 1}")) is None and not facts.decays
