"""The verify analysis on synthetic logs: the plan re-simulated through the engine's API, and only
the engine's refusals (SpecError) read as "this cause does not hold"; real logs: tests/test_logs.py."""

from __future__ import annotations

import numpy as np
import pytest

from lrplot.curves import Curves
from lrplot.engine import simulate
from lrplot.logs import Raw, build_curves
from lrplot.spec import parse_spec
from tests.helpers.loops import torch_cosine

PLAN = "steps: 40\nscheduler: {type: CosineAnnealingLR, T_max: 40, eta_min: 0.001}\noptimizer: {type: SGD, lr: 0.1}\n"


def _log(tmp_path, values, steps=None) -> Curves:
    steps = np.arange(len(values)) if steps is None else np.asarray(steps)
    raw = Raw("", "lr", steps.astype(np.int64), np.asarray(values, dtype=np.float64))
    return build_curves([raw], "csv", tmp_path / "log.csv", "float64")


def _verify(tmp_path, values, **kwargs):
    from lrplot.verify import verify

    spec = parse_spec(PLAN)
    return verify(simulate(spec), spec.schedule_list(), _log(tmp_path, values), **kwargs)


def test_a_run_stepped_twice_per_update_is_compressed_by_2_past_the_plans_end(tmp_path):
    report = _verify(tmp_path, torch_cosine(80)[::2])
    (verdict,) = report.verdicts
    assert (verdict.cause.kind, verdict.cause.k) == ("compressed", 2)


def test_a_bug_while_re_simulating_is_not_read_as_no_single_cause(tmp_path, monkeypatch):
    from lrplot.engine import run

    def broken(*args, **kwargs):
        raise AttributeError("a bug in lrplot")

    monkeypatch.setattr(run, "start_run", broken)
    with pytest.raises(AttributeError, match="a bug in lrplot"):
        _verify(tmp_path, torch_cosine(80)[::2])


def test_a_transformed_plan_the_scheduler_refuses_only_fails_that_cause(tmp_path):
    """OneCycleLR refuses to step past total_steps (the engine's SpecError): 'compressed' cannot be
    tested past the plan's end, so the verdict names no cause instead of failing."""
    from lrplot.verify import verify

    spec = parse_spec("steps: 20\nscheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 20}\n")
    plan = simulate(spec)
    logged = plan.schedules[0].values[(0, "lr")]
    values = np.r_[logged[::2], [0.5] * 5]  # compressed, then on past the plan's end
    report = verify(plan, spec.schedule_list(), _log(tmp_path, values))
    (verdict,) = report.verdicts
    assert not verdict.ok and verdict.cause is None
    assert "; no single cause explains every logged value;" in verdict.text()
