"""What a person publishing these figures checks by eye, asserted on the drawn artists: a panel of a
grid never a silent blank, a legend over no curve, tick labels apart however short the panel."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lrplot.engine import simulate
from lrplot.figure import render
from lrplot.spec import parse_spec

from tests.helpers.paths import CONFIGS
from tests.helpers.figures import TWO_BY_TWO, TWO_FIELDS, assert_publishable, drawn_texts

# TWO_BY_TWO with its schedules the other way round: the schedule without momentum is the lowest row
BY_TWO_TWO = TWO_BY_TWO.replace("  - {name: cosine, scheduler: {type: CosineAnnealingLR, T_max: 300}}\n", "") + \
    "  - {name: cosine, scheduler: {type: CosineAnnealingLR, T_max: 300}}\n"


def series_lines(ax):
    return [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("series:")]


def test_a_grid_panel_of_a_field_a_schedule_does_not_record_says_so():
    # the cosine row's momentum panel was an invisible axes: a blank hole in the grid, as if a curve failed to draw
    fig = render(simulate(parse_spec(TWO_BY_TWO, "s.yaml")), layout="grid")
    texts = assert_publishable(fig)
    assert len(fig.axes) == 4 and all(ax.get_visible() for ax in fig.axes)
    empty = [ax for ax in fig.axes if not series_lines(ax)]
    assert len(empty) == 1
    (note,) = [(t, bb) for t, bb in texts if t.get_gid() == "missing-field"]
    assert note[0].get_text().replace("\n", " ") == "no momentum: 'cosine' does not record it"
    assert note[0].axes is empty[0] and empty[0].get_window_extent().contains(*note[1].get_points().mean(axis=0))
    assert not [t for t in empty[0].yaxis.get_ticklabels() if t.get_visible() and t.get_text()
                and t in dict(texts)]  # no momentum numbers beside a panel without momentum


def test_a_missing_field_in_the_lowest_row_keeps_its_columns_step_numbers():
    # the lowest row's momentum panel was hidden, and with it the only step numbers of the momentum column
    fig = render(simulate(parse_spec(BY_TWO_TWO, "s.yaml")), layout="grid")
    texts = assert_publishable(fig)
    notes = [t.get_text().replace("\n", " ") for t, _ in texts if t.get_gid() == "missing-field"]
    assert notes == ["no momentum: 'cosine' does not record it"]
    lowest = fig.axes[-1]
    assert not series_lines(lowest) and lowest.get_visible()
    shown = {t.get_text() for t, _ in texts}
    steps = [t.get_text() for t in lowest.xaxis.get_ticklabels() if t.get_text() and t.get_text() in shown]
    assert "0" in steps and "300" in steps, steps


def test_a_groups_panel_of_a_field_no_schedule_records_for_that_group_says_so():
    text = ("steps: 50\noptimizer: {type: SGD, lr: 0.1, momentum: 0.9}\nschedules:\n"
            "  - {name: a, fields: [lr, momentum], scheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 50}}\n"
            "  - {name: b, param_groups: [{}, {lr: 0.01}], scheduler: {type: StepLR, step_size: 10}}\n")
    fig = render(simulate(parse_spec(text, "s.yaml")), layout="groups")
    texts = assert_publishable(fig)
    notes = [t.get_text().replace("\n", " ") for t, _ in texts if t.get_gid() == "missing-field"]
    assert notes == ["no momentum: no schedule records it for this group"]


def legend_crossings(fig):
    """(legend, curve) pairs where a legend's drawn box crosses or holds a drawn curve, in display pixels."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [lg for lg in [*(a.get_legend() for a in fig.axes), *fig.legends] if lg is not None]
    assert legends
    from lrplot.figure.labels import line_paths

    out = []
    for lg, ax in itertools.product(legends, fig.axes):
        box = lg.get_window_extent(renderer)
        for path in line_paths(ax):
            if path.intersects_bbox(box, filled=False) or box.contains(*path.vertices[0]):
                out.append((lg.get_texts()[0].get_text(), ax.get_ylabel()))
    return out


def test_a_legend_with_no_free_corner_goes_outside_the_axes():
    # two groups x lr and momentum on a twin axis: no corner is free, and the legend was drawn over the curves
    fig = render(simulate(parse_spec(TWO_FIELDS, "s.yaml")), layout="overlay")
    assert_publishable(fig)
    assert legend_crossings(fig) == []
    (legend,) = [lg for lg in [*(a.get_legend() for a in fig.axes), *fig.legends] if lg is not None]
    assert [t.get_text() for t in legend.get_texts()] == ["backbone · lr", "head · lr",
                                                          "backbone · momentum = head · momentum"]
    renderer = fig.canvas.get_renderer()
    box, frame = legend.get_window_extent(renderer), fig.axes[0].get_window_extent(renderer)
    assert box.y1 < frame.y0 or box.x0 > frame.x1  # outside the axes: below or to the right


def test_a_legend_with_a_free_corner_stays_in_it():
    fig = render(simulate(parse_spec(TWO_BY_TWO, "s.yaml")), layout="grid")
    assert legend_crossings(fig) == []
    assert not fig.legends and all(ax.get_legend() is not None for ax in fig.axes if len(series_lines(ax)) > 1)


def tick_label_boxes(fig):
    """Each visible axes' y tick labels drawn inside its view, as display boxes."""
    texts = dict(drawn_texts(fig)[0])
    out = []
    for ax in fig.axes:
        if not series_lines(ax):  # a panel of a field its row does not record: no numbers
            continue
        lo, hi = sorted(ax.get_ylim())
        shown = [t for t in ax.yaxis.get_ticklabels() if t in texts and lo <= t.get_position()[1] <= hi]
        out.append((ax, sorted((texts[t] for t in shown), key=lambda b: b.y0)))
    return out


@pytest.mark.parametrize("layout, size, legend", [
    ("grid", (4, 3), True), ("grid", (4, 2.5), False), ("grid", (6, 2.5), False), ("groups", (4, 2.5), False),
    ("fields", (6, 2), False)])
def test_y_tick_labels_of_short_panels_are_apart(layout, size, legend):
    # a fixed 6 intervals a panel: in a 4x2.5 grid the labels overlapped (0.08 over 0.1), at 4x3 they touched
    fig = render(simulate(parse_spec(TWO_BY_TWO, "s.yaml")), layout=layout, size=size, legend=legend)
    for ax, boxes in tick_label_boxes(fig):
        assert len(boxes) >= 2, ax.get_ylabel()  # still numbers to read the axis by
        for a, b in zip(boxes, boxes[1:]):  # apart by a third of a line: labels that touch read as one
            assert b.y0 - a.y1 > a.height / 3, (ax.get_ylabel(), a, b)


def test_a_tall_panel_keeps_its_ticks():
    curves = simulate(parse_spec("steps: 100\nscheduler: {type: CosineAnnealingLR, T_max: 100}\n", "s.yaml"))
    (ax, boxes), = tick_label_boxes(render(curves))
    assert len(boxes) == 6  # 0, 0.02, ..., 0.1 as before: a panel with room keeps its six intervals
    assert np.allclose([t for t in ax.get_yticks() if 0 <= t <= 0.1], np.linspace(0, 0.1, 6))


def test_a_figure_whose_legends_would_squash_its_panels_is_refused():
    # four schedules by two groups at 4x2.5: the legends moved under their panels left panels 20 pixels tall,
    # titles cut at the figure's top; a figure too small is refused with a larger size to try, as for a title
    from lrplot.errors import UsageError

    other = ("title: more\nsteps: 300\nschedules:\n  - {name: c, scheduler: {type: CosineAnnealingLR, T_max: 300}}\n"
             "  - {name: d, scheduler: {type: StepLR, step_size: 90, gamma: 0.3}}\n")
    curves = simulate([parse_spec(TWO_BY_TWO, "a.yaml"), parse_spec(other, "b.yaml")])
    with pytest.raises(UsageError) as err:
        render(curves, layout="groups", size=(4, 2.5))
    assert str(err.value) == ("the figure is too small at this --size for its title, labels and legend: they would be "
                              "drawn over the curves; give a larger --size, e.g. 6x5")
    fig = render(curves, layout="groups", size=(6, 5))  # the size it says does
    assert legend_crossings(fig) == []
    assert_publishable(fig)


def test_a_log_axis_over_a_decade_and_a_bit_has_numbers_to_read_it_by():
    # ChainedScheduler (configs/chained.yaml) from 0.063 to 4.9e-3 with --log-y: one labelled tick, '0.01', on the
    # whole axis (2x and 5x ticks were labelled only for a span under one decade): no way to read a value off it
    curves = simulate(parse_spec((CONFIGS / "chained.yaml").read_text(), "chained.yaml"))
    fig = render(curves, log_y=True)
    texts = dict(drawn_texts(fig)[0])
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    shown = [(t.get_position()[1], t.get_text()) for t in ax.yaxis.get_ticklabels(minor=False) + ax.yaxis.get_ticklabels(
        minor=True) if t in texts and lo <= t.get_position()[1] <= hi]
    assert sorted(shown) == [(0.005, "5e-3"), (0.01, "0.01"), (0.02, "0.02"), (0.05, "0.05")], shown
    assert_publishable(fig)


def test_a_value_label_is_nearer_its_own_marker_than_any_other():
    # a 4x3 grid: labels pushed up past the curves landed beside another marker ('0.01' by the 0.1 peak, the
    # final '4e-7' by the peak), read as that marker's value
    fig = render(simulate(parse_spec(TWO_BY_TWO, "s.yaml")), layout="grid", size=(4, 3))
    texts = dict(drawn_texts(fig)[0])
    said = 0
    for ax in fig.axes:
        marks = {ln.get_gid().split(":", 1)[1] + ":" + ln.get_gid().split(":")[0]:
                 ax.transData.transform((ln.get_xdata()[0], ln.get_ydata()[0]))
                 for ln in ax.get_lines() if (ln.get_gid() or "").startswith(("peak:", "final:"))}
        for t in (t for t in ax.texts if t in texts and (t.get_gid() or "").startswith(("peak-label", "final-label"))):
            kind, key = t.get_gid().split(":", 1)
            own = marks[f"{key}:{kind.split('-')[0]}"]
            box = texts[t]

            def gap(p):
                return np.hypot(max(box.x0 - p[0], 0, p[0] - box.x1), max(box.y0 - p[1], 0, p[1] - box.y1))

            others = {k: gap(p) for k, p in marks.items() if np.hypot(*(p - own)) > 3}
            assert all(d >= gap(own) for d in others.values()), (t.get_text(), t.get_gid(), others, gap(own))
            said += 1
    assert said >= 4  # labels are kept where they can be, not all hidden
