"""Crowded legends: many param groups or many schedules. Every curve keeps a legend entry that tells it
from every other, and a legend too long for a corner of the axes is drawn beside them, over no curve."""

from __future__ import annotations

import pytest

from lrplot.engine import simulate
from lrplot.errors import UsageError
from lrplot.figure import render
from lrplot.spec import parse_spec

GROUPS = 24  # a layer-wise lr decay over a 24-layer model: one param group per layer
LAYERWISE = ("title: Layer-wise decay\nsteps: 100\nparam_groups:\n"
             + "".join(f"  - {{name: layer_{i:02d}_with_a_long_name, lr: {0.1 * 0.9 ** i:.5f}}}\n" for i in range(GROUPS))
             + "scheduler: {type: CosineAnnealingLR, T_max: 100}\n")
SEVERAL = "steps: 100\nschedules:\n" + "".join(
    f"  - {{name: sched_{i}, scheduler: {{type: StepLR, step_size: {10 + i}, gamma: 0.5}}}}\n" for i in range(12))


def styles(lines):
    return [(line.get_color(), line.get_linestyle()) for line in lines]


def test_many_groups_get_a_legend_beside_the_axes_and_no_two_entries_alike():
    # 24 groups: refused at the default size ("too small ... e.g. 4x3", a size smaller than the one given) as the
    # legend inside the axes left no room; and the colours' second and third rounds drew lines alike to the first's
    fig = render(simulate(parse_spec(LAYERWISE, "layers.yaml")))
    (ax,) = fig.axes
    assert ax.get_legend() is None
    (legend,) = fig.legends
    assert legend.get_gid() == "figure-legend"
    assert [t.get_text() for t in legend.get_texts()] == [f"layer_{i:02d}_with_a_long_name" for i in range(GROUPS)]
    renderer = fig.canvas.get_renderer()
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1  # beside, over no curve
    curves = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert len(curves) == GROUPS and len(set(styles(curves))) == GROUPS
    assert styles(legend.legend_handles) == styles(curves)


def test_many_schedules_each_have_an_entry_unlike_the_others():
    fig = render(simulate(parse_spec(SEVERAL, "several.yaml")))
    (ax,) = fig.axes
    entries = fig.legends[0].legend_handles if fig.legends else ax.get_legend().legend_handles
    assert [h.get_label() for h in entries] == [f"sched_{i}" for i in range(12)]
    assert len(set(styles(entries))) == 12


def test_a_figure_too_small_is_told_a_larger_size_than_its_own():
    # the hint was always "e.g. 4x3", smaller than the 8x4.5 it was given to a figure refused at the default size
    with pytest.raises(UsageError) as err:
        render(simulate(parse_spec(LAYERWISE, "layers.yaml")), size=(6, 2))
    assert err.value.hint == "give a larger --size, e.g. 9x3"
