"""The summary table's numbers, against values computed independently from torch's own curve."""

from __future__ import annotations

import numpy as np
import torch
from torch.optim import lr_scheduler as L

from lrplot.curves import Curves, ScheduleTrace
from lrplot.engine import simulate
from lrplot.spec import parse_spec
from lrplot.summary import jump_steps, steps_text, summarize


def torch_step_lr(steps=40):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    s = L.StepLR(opt, step_size=10, gamma=0.5)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    return out


def test_summary_of_a_step_schedule():
    curves = simulate(parse_spec("steps: 40\nscheduler: {type: StepLR, step_size: 10, gamma: 0.5}\n", "s.yaml"))
    (row,) = summarize(curves)
    lr = torch_step_lr()
    assert (row.initial, row.peak, row.peak_step, row.final) == (lr[0], max(lr), lr.index(max(lr)), lr[-1])
    assert (row.min, row.min_step) == (min(lr), lr.index(min(lr)))
    # every x0.5 drop is abrupt, the late one at 30 as much as the first (its changes in torch's own curve)
    assert row.jumps == tuple(int(t) for t in np.flatnonzero(np.diff(lr)) + 1) == (10, 20, 30)
    assert row.jumps_text() == "10, 20, 30"


def test_jumps_ignore_nan_and_flat_curves():
    assert jump_steps(np.array([1.0, np.nan, 1.0, 0.1])).tolist() == [3]
    assert jump_steps(np.zeros(5)).tolist() == []
    assert jump_steps(np.array([0.5])).tolist() == []


def test_non_finite_curve_summarises_where_finite():
    values = np.array([np.nan, 0.3, 0.1, np.inf])
    trace = ScheduleTrace("x", "T", 4, "step", None, ("0",), ("lr",), {(0, "lr"): values})
    (row,) = summarize(Curves((trace,)))
    assert (row.peak, row.peak_step, row.min, row.min_step) == (0.3, 1, 0.1, 2)


def test_steps_text_cuts_long_lists():
    assert steps_text(list(range(8)), limit=3) == "0, 1, 2 (+5 more)"
