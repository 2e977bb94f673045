"""Figures a person would publish, checked on the drawn artists (never on pixels): no text overlaps
other text or a legend, nothing is clipped by the figure edge or leaves its panel, numbers read as ML
people write them, grids sit behind the data, and repeated words are said once."""

from __future__ import annotations

import numpy as np
import pytest

from lrplot.curves import Curves, ScheduleTrace
from lrplot.engine import simulate
from lrplot.errors import UsageError
from lrplot.figure import format_number, format_steps, render
from lrplot.spec import load_spec, parse_spec

from tests.helpers.paths import CONFIGS
from tests.helpers.configs import CONFIG_FILES, import_needs, importable
from tests.helpers.figures import TWO_BY_TWO, TWO_FIELDS, assert_publishable, drawn_texts


def config_curves(path):
    spec = load_spec(path)
    allow, needs = import_needs(spec)
    missing = [n for n in needs if not importable(n)]
    if missing:
        pytest.skip(f"{path.name} needs {', '.join(missing)}")
    return simulate(spec, allow_import=allow)


@pytest.mark.slow
@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.stem)
def test_every_config_draws_without_overlapping_or_clipped_text(path):
    curves = config_curves(path)
    assert_publishable(render(curves))
    if len(curves.schedules) > 1 or len(curves.schedules[0].groups) > 1:
        for layout in ("grid", "groups"):
            assert_publishable(render(curves, layout=layout))


def test_peak_label_and_warmup_end_label_do_not_overlap():
    # warmup_cosine peaks exactly where warmup ends: the peak value and 'warmup end' meet there
    curves = simulate(load_spec(CONFIGS / "warmup_cosine.yaml"))
    texts = assert_publishable(render(curves))
    kinds = {(t.get_gid() or "").split(":")[0] for t, _ in texts}
    assert {"peak-label", "final-label", "event-label"} <= kinds  # moved apart, not dropped


def test_milestone_labels_of_several_files_do_not_overlap():
    specs = [parse_spec(f"steps: 100\nscheduler: {{type: MultiStepLR, milestones: [{m}, {m + 2}], gamma: 0.5}}\n",
                        f"s{i}.yaml") for i, m in enumerate((30, 31, 33))]
    curves = simulate(specs)
    texts = assert_publishable(render(curves))
    assert sum((t.get_gid() or "").startswith("event-label") for t, _ in texts) >= 3


def test_final_value_labels_of_several_groups_do_not_overlap():
    curves = simulate(load_spec(CONFIGS / "two_groups.yaml"))
    texts = assert_publishable(render(curves))
    finals = [t for t, _ in texts if (t.get_gid() or "").startswith("final-label")]
    assert len(finals) == 2  # both groups' final values land near 0; both are shown, apart


def test_identical_groups_say_each_number_once():
    spec = parse_spec("steps: 30\nparam_groups: [{}, {}]\nscheduler: {type: CosineAnnealingLR, T_max: 30}\n", "s.yaml")
    fig = render(simulate(spec))
    texts = [t.get_text() for t in fig.axes[0].texts if (t.get_gid() or "").startswith(("peak-label", "final-label"))]
    assert sorted(texts) == sorted({*texts}) and len(texts) == 2  # the peak and the final value, once each


def test_long_titles_wrap_inside_the_figure():
    curves = simulate(parse_spec("steps: 20\nscheduler: {type: StepLR, step_size: 5}\n"))
    title = "A very long title that says far too much about this schedule " * 3
    fig = render(curves, title=title.strip(), size="6x4")
    assert "\n" in fig.get_suptitle()
    assert_publishable(fig)


@pytest.mark.parametrize("value, text", [
    (3e-4, "3e-4"), (0.00025, "2.5e-4"), (1e-5, "1e-5"), (0.1, "0.1"), (0.02, "0.02"), (0.0, "0"),
    (1.004e-6, "1e-6"), (0.06333, "0.0633"), (2e5, "2e5"),
])
def test_numbers_are_written_as_ml_people_write_them(value, text):
    assert format_number(value) == text


@pytest.mark.parametrize("value, short, text", [
    (2000, False, "2000"), (100_000, True, "100k"), (1_000_000, True, "1M"), (1_500_000, True, "1.5M"),
    (2500, True, "2.5k"), (0, True, "0"),
])
def test_step_counts_are_short(value, short, text):
    assert format_steps(value, short) == text


def trace(name, values, events=(), steps_per_epoch=None, fields=("lr",), groups=("0",)):
    values = np.asarray(values, dtype=np.float64)
    return ScheduleTrace(name, "X", values.shape[-1], "step", steps_per_epoch, groups, fields,
                         {(g, f): values for g in range(len(groups)) for f in fields}, events=events)


def tick_texts(axis, fig):
    fig.canvas.draw()
    lo, hi = sorted(axis.get_view_interval())
    return [t.get_text() for t in axis.get_ticklabels() if lo <= t.get_position()[0 if axis.axis_name == "x" else 1] <= hi]


def test_tick_labels_use_exponents_and_step_suffixes():
    n = 1_000_000
    curves = Curves((trace("long", 3e-4 * (1 + np.cos(np.linspace(0, np.pi, n))) / 2),))
    fig = render(curves, annotate="none")
    ax = fig.axes[0]
    ys = tick_texts(ax.yaxis, fig)
    assert "3e-4" in ys and "1e-4" in ys and not any("0.000" in y for y in ys), ys
    xs = tick_texts(ax.xaxis, fig)
    assert "1M" in xs and any(x.endswith("k") for x in xs), xs
    assert_publishable(fig)


def test_log_axis_ticks_are_exponents():
    curves = Curves((trace("exp", 0.1 * 0.9 ** np.arange(200)),))
    fig = render(curves, log_y=True, annotate="none")
    ys = [t for t in tick_texts(fig.axes[0].yaxis, fig) if t]
    assert ys and all("e-" in y or y in ("0.1", "1") for y in ys), ys
    assert not any("\\" in y or "$" in y for y in ys)


def test_grid_lines_are_behind_lines_and_bands():
    n = 200_000
    curves = Curves((trace("long", np.where(np.arange(n) % 2, 0.1, 0.05)),))  # dense: drawn as a band
    ax = render(curves, annotate="none").axes[0]
    band = next(c for c in ax.collections if (c.get_gid() or "").startswith("band:"))
    line = next(ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("series:"))
    assert ax.xaxis.get_gridlines()[0].get_visible()
    assert ax.get_axisbelow() is True
    assert ax.xaxis.get_zorder() < band.get_zorder() and ax.yaxis.get_zorder() < band.get_zorder()
    assert ax.yaxis.get_zorder() < line.get_zorder()


def test_several_fields_into_one_axes_use_a_twin_y_axis():
    from matplotlib.figure import Figure

    curves = simulate(load_spec(CONFIGS / "onecycle.yaml"))  # lr and Adam's beta1
    fig = Figure(figsize=(8, 4), dpi=150)  # wide enough to draw the 1000 steps as lines
    ax = fig.add_subplot()
    assert render(curves, ax=ax) is fig
    twin = [a for a in fig.axes if a is not ax]
    assert len(twin) == 1 and twin[0].get_gid() == "twin-y"
    assert ax.get_ylabel() == "learning rate" and twin[0].get_ylabel() == "beta1"
    (lr,) = [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("series:")]
    (b1,) = [ln for ln in twin[0].get_lines() if (ln.get_gid() or "").startswith("series:")]
    assert (b1.get_ydata() == curves.schedules[0].values[(0, "momentum")]).all()
    assert lr.get_color() != b1.get_color()
    labels = [t.get_text() for t in twin[0].get_legend().get_texts()]  # on the twin, drawn over ax
    assert any("beta1" in s for s in labels)


def test_three_fields_into_one_axes_is_refused():
    curves = Curves((trace("t", np.ones(10), fields=("lr", "momentum", "weight_decay")),))
    from matplotlib.figure import Figure

    with pytest.raises(UsageError, match="at most two fields.*leave ax out"):
        render(curves, ax=Figure().add_subplot())


@pytest.mark.parametrize("layout, per", [("grid", "schedule"), ("groups", "param group")])
def test_a_layout_of_several_panels_into_one_axes_is_refused(layout, per):
    from matplotlib.figure import Figure

    curves = Curves((trace("a", np.linspace(1, 0, 10), groups=("0", "1")), trace("b", np.ones(10))))
    fig = Figure()
    ax = fig.add_subplot()
    with pytest.raises(UsageError) as err:
        render(curves, ax=ax, layout=layout)
    assert str(err.value) == (f"layout '{layout}' draws one panel per {per}, and render(ax=...) draws into one "
                              "Axes; leave ax out for the panels, or leave layout out to overlay the curves in ax")
    assert fig.axes == [ax] and not ax.lines  # refused before anything is drawn


def test_drawing_into_a_users_axes_changes_nothing_outside_them():
    """render(ax=...) in the dark theme, with a twin axis, into one of two axes: the other axes,
    the figure and matplotlib's settings are as they would be without lrplot."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def users_figure(draw):
        fig = Figure(figsize=(8, 4), dpi=100)
        FigureCanvasAgg(fig)
        ax, other = fig.subplots(1, 2)
        other.plot([0, 1], [1, 2])
        other.set_title("mine")
        draw(ax)
        fig.canvas.draw()
        return fig, other

    def seen(fig, other):
        ticks = [axis.get_major_ticks()[0] for axis in (other.xaxis, other.yaxis)]
        return (sorted(vars(fig)), fig.get_facecolor(), fig.texts, fig.legends, other.get_facecolor(),
                other.get_legend(), other.title.get_color(), other.xaxis.label.get_color(),
                [(t.tick1line.get_color(), t.label1.get_color(), t.label1.get_fontsize(), t.gridline.get_visible())
                 for t in ticks], {k: (sp.get_visible(), sp.get_edgecolor()) for k, sp in other.spines.items()})

    rc = dict(matplotlib.rcParams)
    curves = Curves((trace("t", np.linspace(1, 0, 50), fields=("lr", "momentum")),))
    fig, other = users_figure(lambda ax: render(curves, ax=ax, theme="dark"))
    assert [a.get_gid() for a in fig.axes].count("twin-y") == 1  # lrplot drew, with a twin axis
    assert seen(fig, other) == seen(*users_figure(lambda ax: ax.plot([0, 1])))
    assert dict(matplotlib.rcParams) == rc


def test_same_file_name_in_different_folders_gets_distinct_labels_and_colours(tmp_path):
    for folder, t_max in (("a", 50), ("b", 80)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "cosine.yaml").write_text(
            f"steps: 100\nscheduler: {{type: CosineAnnealingLR, T_max: {t_max}}}\n")
    curves = simulate([load_spec(tmp_path / "a" / "cosine.yaml"), load_spec(tmp_path / "b" / "cosine.yaml")])
    assert curves.names == ["a/cosine", "b/cosine"]
    ax = render(curves).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a/cosine", "b/cosine"]
    lines = [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("series:")]
    assert lines[0].get_color() != lines[1].get_color()


def test_the_same_file_twice_is_numbered_not_named_by_its_whole_path(tmp_path):
    # was "//tmp/.../a/cosine (1) = //tmp/.../a/cosine (2)": no path suffix tells a file from itself
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "cosine.yaml").write_text("steps: 10\nscheduler: {type: StepLR, step_size: 3}\n")
    a, b = tmp_path / "a" / "cosine.yaml", tmp_path / "b" / "cosine.yaml"
    assert simulate([load_spec(a), load_spec(a)]).names == ["cosine (1)", "cosine (2)"]
    assert simulate([load_spec(a), load_spec(a), load_spec(b)]).names == ["a/cosine (1)", "a/cosine (2)", "b/cosine"]


def test_same_folder_names_need_a_longer_suffix(tmp_path):
    for top in ("x", "y"):
        (tmp_path / top / "run").mkdir(parents=True)
        (tmp_path / top / "run" / "s.yaml").write_text("steps: 10\nscheduler: {type: StepLR, step_size: 3}\n")
    curves = simulate([load_spec(tmp_path / t / "run" / "s.yaml") for t in ("x", "y")])
    assert curves.names == ["x/run/s", "y/run/s"]


def test_grid_layout_says_shared_words_once():
    specs = [load_spec(CONFIGS / "two_groups.yaml"),
             parse_spec((CONFIGS / "two_groups.yaml").read_text().replace("max_lr: [0.01, 0.1]", "max_lr: [0.02, 0.2]"),
                        "other.yaml")]
    curves = simulate(specs)
    fig = render(curves, layout="grid")
    texts = [t.get_text() for t, _ in assert_publishable(fig)]
    assert texts.count("step") == 1 and texts.count("learning rate") == 1
    assert all(a.get_legend() is None for a in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["backbone", "head"]
    assert texts.count("backbone") == 1


def test_single_schedule_has_no_legend_repeating_its_name():
    curves = simulate(load_spec(CONFIGS / "cosine.yaml"))
    assert render(curves).axes[0].get_legend() is None


# three lr schedules of two groups: every group panel shows the same three entries (TWO_BY_TWO's
# momentum has a column of its own, so its panels do not all say the same)
THREE_BY_TWO = ("title: two schedules, two groups\nsteps: 300\noptimizer: {type: SGD, lr: 0.1, momentum: 0.9}\n"
                "param_groups: [{name: backbone, lr: 0.01}, {name: head}]\nschedules:\n"
                "  - {name: cosine annealing, scheduler: {type: CosineAnnealingLR, T_max: 300}}\n"
                "  - {name: one-cycle policy, scheduler: {type: OneCycleLR, max_lr: [0.01, 0.1], total_steps: 300}}\n"
                "  - {name: halved every 100, scheduler: {type: StepLR, step_size: 100, gamma: 0.5}}\n")


def test_a_shared_legend_over_the_panels_is_under_the_title_not_over_it():
    # matplotlib keeps room at the top for the taller of a title and a figure legend, not both: the
    # legend every group panel shares was drawn over the title ("two schedules, two groups")
    fig = render(simulate(parse_spec(THREE_BY_TWO, "s.yaml")), layout="groups")
    texts = [t.get_text() for t, _ in assert_publishable(fig)]
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["cosine annealing", "one-cycle policy", "halved every 100"]
    assert legend.get_title().get_text() == "two schedules, two groups" and texts.count("two schedules, two groups") == 1
    renderer = fig.canvas.get_renderer()
    top_panel = max(a.get_window_extent(renderer).y1 for a in fig.axes)
    title = legend.get_title().get_window_extent(renderer)
    entries = [t.get_window_extent(renderer) for t in legend.get_texts()]
    assert all(title.y0 > e.y1 for e in entries) and all(e.y0 > top_panel for e in entries)
    fig = render(simulate(parse_spec(THREE_BY_TWO, "s.yaml")), layout="groups", legend=False)
    assert fig.get_suptitle() == "two schedules, two groups" and not fig.legends


@pytest.mark.parametrize("layout", ["grid", "overlay", "groups"])
def test_every_curve_is_inside_its_panel_and_told_apart_by_its_legend_entry(layout):
    # grid: the lr-only cosine panel fixed the shared y axis at 0..0.1 before the onecycle panel drew its
    # momentum (0.85..0.95), which fell outside every panel while its legend entry stayed; and a panel of
    # two groups and two fields styled lines by field only, so 'backbone · lr' and 'head · lr' were alike
    fig = render(simulate(parse_spec(TWO_BY_TWO, "s.yaml")), layout=layout)
    assert_publishable(fig)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    # grid: cosine's momentum panel says it has none (tests/test_figure_panels.py); overlay: momentum on a twin y axis
    assert len(shown) == {"grid": 4, "overlay": 2, "groups": 4}[layout]
    for ax in shown:
        lo, hi = ax.get_ylim()
        curves = [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("series:")]
        if layout == "grid" and not curves:
            assert [t.get_gid() for t in ax.texts] == ["missing-field"]
            continue
        assert curves
        for line in curves:
            y = np.asarray(line.get_ydata(), dtype=float)
            assert lo <= np.nanmin(y) and np.nanmax(y) <= hi, (line.get_gid(), (lo, hi))
        styles = [(ln.get_color(), ln.get_linestyle()) for ln in curves]
        assert len(set(styles)) == len(styles), [ln.get_label() for ln in curves]
        legend = ax.get_legend() or (fig.legends[0] if fig.legends else None)
        if legend is not None and ax.get_legend() is not None:
            handles = [(h.get_color(), h.get_linestyle()) for h in legend.legend_handles]
            assert len(set(handles)) == len(handles), [t.get_text() for t in legend.get_texts()]


@pytest.mark.parametrize("x", ["step", "epoch"])
def test_no_x_tick_below_zero_runs_into_the_units_name(x):
    # a 3-step run's epoch axis over its steps ticked -0.25 epochs in the margin, over the word 'epoch'
    curves = simulate(parse_spec("steps: 3\nsteps_per_epoch: 2\nscheduler: {type: StepLR, step_size: 1}\n", "s.yaml"))
    fig = render(curves, size=(4, 3), x=x)
    texts = [t.get_text() for t, _ in assert_publishable(fig)]
    ax = fig.axes[0]
    (top,) = [c for c in ax.child_axes if c.get_gid() == "secondary-x"]
    for axis in (ax, top):
        lo, hi = sorted(axis.get_xlim())
        shown = [t for t in axis.xaxis.get_majorticklocs() if lo <= t <= hi]
        assert shown and min(shown) == 0, (axis.get_xlabel(), shown)
    assert "epoch" in texts and "step" in texts


def test_a_legend_over_the_panels_wraps_its_entries_to_the_figures_width():
    # at 4x3 the three entries in one row ran off the figure's right edge ('onecycle · momentum' cut)
    fig = render(simulate(parse_spec(THREE_BY_TWO, "s.yaml")), layout="groups", size=(4, 3))
    texts, legends = drawn_texts(fig)
    (legend,) = fig.legends
    entries = {t.get_text(): bb for t, bb in texts if t in legend.get_texts()}
    assert sorted(entries) == ["cosine annealing", "halved every 100", "one-cycle policy"]
    assert all(fig.bbox.x0 <= bb.x0 and bb.x1 <= fig.bbox.x1 for bb in entries.values())
    assert len({round(bb.y0) for bb in entries.values()}) == 2  # two rows of entries, not one too wide
    assert len(fig.legends) == 1 and legend.get_title().get_text() == "two schedules, two groups"
    wide = render(simulate(parse_spec(THREE_BY_TWO, "s.yaml")), layout="groups")  # room for one row: one row
    (legend,) = wide.legends
    assert len({round(bb.y0) for t, bb in drawn_texts(wide)[0] if t in legend.get_texts()}) == 1


@pytest.mark.parametrize("text, layout", [(TWO_FIELDS, "groups"), (TWO_FIELDS, "grid"), (TWO_BY_TWO, "groups"),
                                          ((CONFIGS / "two_groups.yaml").read_text(), "groups"),
                                          (TWO_FIELDS, "overlay"), ((CONFIGS / "onecycle.yaml").read_text(), "overlay")])
def test_each_field_has_its_own_y_axis_in_every_layout(text, layout):
    # groups (and overlay): lr (0..0.1) and momentum (0.85..0.95) shared one 'value' axis per panel, the
    # lr squashed near 0; and every panel's shared y axis was fixed once the first panel was drawn, so the
    # head's lr (peak 0.1) ran off the top of a 0..0.0105 axis set by the backbone's (peak 0.01)
    curves = simulate(parse_spec(text, "s.yaml"))
    fig = render(curves, layout=layout)
    assert_publishable(fig)
    want = {f"series:{s.schedule}:{s.group}:{s.field}": s.values for s in curves.series()}
    by_field: dict = {}
    for ax in (a for a in fig.axes if a.get_visible()):
        lines = [ln for ln in ax.get_lines() if ln.get_gid() in want]
        (field,) = {ln.get_gid().rsplit(":", 1)[1] for ln in lines}  # one field per panel
        assert (ax.get_ylabel() or fig.get_supylabel()) == {"lr": "learning rate", "momentum": ("beta1" if "AdamW"
                                                                                                 in text else "momentum")}[field]
        lo, hi = ax.get_ylim()
        for ln in lines:
            y = np.asarray(ln.get_ydata(), dtype=float)
            np.testing.assert_array_equal(y, want[ln.get_gid()])  # the scheduler's own values
            assert lo <= y.min() and y.max() <= hi, (ln.get_gid(), (lo, hi))
            by_field.setdefault(field, []).append((y, (lo, hi)))
    for key, values in want.items():  # every curve is drawn (equal curves as one line) in its field's panels
        assert any(np.array_equal(values, y) for y, _ in by_field[key.rsplit(":", 1)[1]]), key
    for field, drawn in by_field.items():  # each field's y axis is as tall as its curves, not another field's
        (lo, hi), = {limits for _, limits in drawn}  # the panels of a field share their y axis
        spread = max(y.max() for y, _ in drawn) - min(y.min() for y, _ in drawn)
        assert spread / (hi - lo) > 0.8, (field, (lo, hi))


def test_a_groups_panel_is_titled_by_its_groups_names_and_an_unnamed_group_by_its_index_once():
    """An unnamed group is called by its index: its panel was titled "group 0: 0"."""
    named = trace("a", np.linspace(1, 0, 10), groups=("backbone", "head"))
    fig = render(Curves((trace("b", np.ones(10), groups=("0", "1")), named)), layout="groups")
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["group 0: backbone", "group 1: head"]
    fig = render(Curves((trace("b", np.ones(10)), trace("c", np.linspace(1, 0, 10)))), layout="groups")
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["group 0"]
