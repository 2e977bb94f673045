"""Pictures that do not mislead: what is drawn (lines, legend entries, texts, limits), not pixels.

Equal curves drawn once under one name; what ``lrplot check`` would say of a mis-sized schedule is
said by ``plot`` (a warning line and the figure's footnote), with the readers' assumptions; an lr
axis starts at 0; --xlim/--ylim; jump marks show their direction and only mark real jumps."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import lrplot
from lrplot.curves import Curves, ScheduleTrace
from lrplot.engine import simulate
from lrplot.errors import UsageError
from lrplot.figure import RenderOptions, render
from lrplot.findings import footnotes, plan_findings
from lrplot.sources import Source
from lrplot.sources.protocol import assumption
from lrplot.spec import parse_spec

from tests.helpers.paths import CONFIGS

TWO_EQUAL_GROUPS = ("steps: 30\noptimizer: {type: AdamW, lr: 1e-3}\n"
                    "param_groups: [{name: decay}, {name: no_decay, weight_decay: 0.0}]\n"
                    "scheduler: {type: CosineAnnealingLR, T_max: 30}\n")


def gids(ax, prefix):
    return [a for a in (*ax.lines, *ax.texts, *ax.patches) if (a.get_gid() or "").startswith(prefix)]


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def footnote_lines(fig):
    (note,) = [t for t in fig.texts if t.get_gid() == "footnote"]
    return note.get_text().split("\n")


def test_equal_groups_are_one_line_with_one_legend_entry_naming_both():
    curves = simulate(parse_spec(TWO_EQUAL_GROUPS, "s.yaml"))
    ax = render(curves).axes[0]
    (line,) = gids(ax, "series:")
    assert line.get_gid() == "series:s:0:lr"
    assert legend_texts(ax) == ["decay = no_decay"]
    labels = gids(ax, "peak-label") + gids(ax, "final-label")
    assert len(labels) == 2 and {t.get_color() for t in labels} == {line.get_color()}


def test_equal_curves_of_several_schedules_are_one_line_the_others_stay():
    def trace(name, values):
        return ScheduleTrace(name, "X", len(values), "step", None, ("0",), ("lr",), {(0, "lr"): np.asarray(values)})

    down = np.linspace(1.0, 0.0, 20)
    curves = Curves((trace("uninterrupted", down), trace("full", down * 0.5), trace("last_epoch", down * 0.5)))
    ax = render(curves).axes[0]
    assert [ln.get_label() for ln in gids(ax, "series:")] == ["uninterrupted", "full = last_epoch"]
    assert legend_texts(ax) == ["uninterrupted", "full = last_epoch"]
    # NaN where a resumed run had not started yet is equal too
    nan = np.r_[np.full(5, np.nan), down[5:]]
    ax = render(Curves((trace("a", nan), trace("b", nan.copy())))).axes[0]
    assert [ln.get_label() for ln in gids(ax, "series:")] == ["a = b"]


def test_plot_says_what_check_finds_in_one_warning_line_each_and_on_the_figure(cli, tmp_path):
    """README's own example: T_max 50 in a 500-update run draws five cosine cycles."""
    (tmp_path / "cosine.yaml").write_text((CONFIGS / "cosine.yaml").read_text())
    r = cli("cosine.yaml", "--set", "scheduler.T_max=50", "--set", "steps=500", "-q")
    assert r.exit_code == 0
    lines = r.stderr.splitlines()
    assert lines == [
        "cosine.yaml:6:3: warning: 'cosine' lr at step 499: CosineAnnealingLR ends at 0.0999013, 100% of "
        "the way from its floor 1e-05 to its declared peak 0.1; does it run its length (steps, interval, "
        "total_steps)? [no-anneal]",
        "cosine.yaml:6:3: warning: 'cosine' at step 50: CosineAnnealingLR defines 50 scheduler steps but "
        "drives 500; after step 50 it is past its end [short-schedule]",
        "cosine.yaml:6:3: error: 'cosine' lr at step 51: CosineAnnealingLR (T_max=50) rises again after "
        "T_max, from 1e-05 to 0.000108654; set T_max to the updates it drives (500) [rebound]"]
    with pytest.warns(lrplot.LrplotWarning) as caught:  # the library says the same lines
        fig = lrplot.plot(tmp_path / "cosine.yaml", set=["scheduler.T_max=50", "steps=500"])
    assert [str(w.message) for w in caught] == [f"{tmp_path}/{line}" for line in lines]
    said = " ".join(footnote_lines(fig))
    assert "[no-anneal]" in said and "[short-schedule]" in said and "[rebound]" in said
    assert "set T_max to the updates it drives (500)" in said
    peak = gids(fig.axes[0], "peak:")[0]
    assert peak.get_xdata()[0] == 0  # the first hump, not the fifth (float noise aside)
    assert cli("cosine.yaml", "-q").stderr == ""  # a sound schedule: nothing said


def test_no_anneal_compares_with_the_declared_peak_not_the_peak_reached():
    """OneCycleLR stepped per epoch, sized in batches: it climbs 4% of its way and stops there."""
    spec = parse_spec("steps: 1000\nsteps_per_epoch: 100\ninterval: epoch\noptimizer: {type: SGD, lr: 0.1}\n"
                      "scheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 1000}\n", "s.yaml")
    curves = simulate(spec)
    (finding,) = [f for f in plan_findings([spec], curves) if f.rule == "no-anneal"]
    final = curves.schedules[0].values[(0, "lr")][-1]
    assert finding.message == (
        f"'s' lr at step 999: OneCycleLR ends at {final:.6g}, {(final - 4e-7) / (0.1 - 4e-7):.0%} of the way from "
        f"its floor 4e-07 to its declared peak 0.1 (it reaches only {final:.6g}); does it run its length (steps, "
        "interval, total_steps)?")


def test_an_assumption_that_changes_the_curve_is_on_the_figure():
    spec = parse_spec("steps: 20\nscheduler: {type: StepLR, step_size: 5}\n", "s.yaml")
    source = Source("hf", spec, notes=("read 8 devices", assumption("1 device per node", "--devices")))
    notes = footnotes([], [source])
    assert notes == ("assumed: 1 device per node (set --devices to change it)",)
    fig = render(simulate(spec), notes=notes)
    assert footnote_lines(fig)[-1] == "assumed: 1 device per node (set --devices to change it)"
    ax = fig.axes[0]
    fig.canvas.draw()  # the footnote sits under the axes and their x label
    note = next(t for t in fig.texts if t.get_gid() == "footnote").get_window_extent()
    assert note.y1 < ax.xaxis.label.get_window_extent().y0


PLATEAU = "steps: 40\noptimizer: {{type: SGD, lr: 0.1}}\n{metric}scheduler: {{type: ReduceLROnPlateau, patience: 3}}\n"
PLATEAU_NOTE = ("assumed: ReduceLROnPlateau is fed its own lr (metric's default): it drops on a fixed beat, a "
                "staircase, not training (set metric: to change it)")


@pytest.mark.parametrize("text, said", [
    (PLATEAU.format(metric=""), True),
    (PLATEAU.format(metric="metric: lr\n"), False),  # asked for: the classic recipe, no assumption
    (PLATEAU.format(metric="metric: '1 / (1 + step)'\n"), False),
    ("steps: 40\noptimizer: {type: SGD, lr: 0.1}\nschedules:\n  - {name: a, scheduler: {type: StepLR, step_size: 5}}\n"
     "  - {name: b, scheduler: {type: ReduceLROnPlateau, patience: 3}}\n", True),
    ("steps: 40\noptimizer: {type: SGD, lr: 0.1}\nschedules:\n  - {name: b, metric: lr, "
     "scheduler: {type: ReduceLROnPlateau, patience: 3}}\n", False),
])
def test_a_plateau_fed_its_default_metric_says_so(tmp_path, text, said):
    """The whole plateau curve is decided by what it is fed: the default (its own lr) is named, as the
    framework readers name it; a metric the spec gives is no assumption."""
    from lrplot.pipeline import load_source

    path = tmp_path / "p.yaml"
    path.write_text(text)
    source = load_source(path)
    assert footnotes([], [source]) == ((PLATEAU_NOTE,) if said else ())


def test_a_plateau_fed_its_default_metric_is_named_on_the_figure_and_in_the_summary(tmp_path, cli):
    (tmp_path / "p.yaml").write_text(PLATEAU.format(metric=""))
    r = cli("p.yaml", "-o", "p.png", "--no-cache")
    assert r.exit_code == 0
    assert ("p.yaml: ReduceLROnPlateau is fed its own lr (metric's default): it drops on a fixed beat, a staircase, "
            "not training") in r.stderr.splitlines()
    figure = lrplot.plot(tmp_path / "p.yaml")
    assert " ".join(footnote_lines(figure)).endswith(PLATEAU_NOTE)  # wrapped at spaces


def test_marks_are_named_in_a_caption_line():
    curves = simulate(parse_spec((CONFIGS / "step.yaml").read_text(), "step.yaml"))
    fig = render(curves)
    assert footnote_lines(fig) == ["\u25cf peak and final value   \u25bc abrupt drop (more than 20% of the value in one update)"]
    assert not [t for t in render(curves, annotate="none").texts if t.get_gid() == "footnote"]


def test_an_lr_axis_starts_at_zero_unless_log_or_ylim():
    curves = simulate(parse_spec("steps: 50\noptimizer: {type: SGD, lr: 1.0}\n"
                                 "scheduler: {type: ExponentialLR, gamma: 0.99}\n", "s.yaml"))
    assert render(curves).axes[0].get_ylim()[0] == 0  # a 40% decay is not the figure's full height
    assert render(curves, log_y=True).axes[0].get_ylim()[0] > 0
    assert render(curves, ylim="0.5,1.1").axes[0].get_ylim() == (0.5, 1.1)
    assert render(curves, xlim=(10, 20)).axes[0].get_xlim() == (10, 20)
    momentum = simulate(lrplot.load_spec(CONFIGS / "onecycle.yaml"))
    beta1 = render(momentum).axes[1]
    assert beta1.get_ylabel() == "beta1" and beta1.get_ylim()[0] > 0.8  # not an lr: its own range


@pytest.mark.parametrize("value, text", [
    ("5,1", "--xlim '5,1': expected LOW,HIGH with LOW below HIGH, e.g. 0,1000"),
    ("a,b", "--xlim 'a,b': expected LOW,HIGH with LOW below HIGH, e.g. 0,1000"),
    ((0, float("inf")), "--xlim '(0, inf)': expected LOW,HIGH with LOW below HIGH, e.g. 0,1000"),
])
def test_limits_are_checked(value, text):
    with pytest.raises(UsageError) as err:
        RenderOptions(xlim=value)
    assert str(err.value) == text


@pytest.mark.parametrize("ylim, text", [
    ("0,1", "--ylim '0,1': a logarithmic y axis (--log-y) shows only values above 0; give LOW above 0, e.g. "
            "0.001,1, or leave --log-y out"),
    ("-2,-1", "--ylim '-2,-1': a logarithmic y axis (--log-y) shows only values above 0; leave --log-y out"),
])
def test_a_log_axis_refuses_limits_it_cannot_show(ylim, text):
    # matplotlib only warns ("Attempt to set non-positive ylim ...") and draws other limits than asked
    with pytest.raises(UsageError) as err:
        RenderOptions(log_y=True, ylim=ylim)
    assert str(err.value) == text
    assert RenderOptions(log_y=True, ylim="1e-4,1").ylim == (1e-4, 1.0)


def test_an_xlim_beside_every_curve_is_refused(cli, tmp_path):
    # before: exit 0 and empty axes, as if the schedule drew nothing
    (tmp_path / "s.yaml").write_text("steps: 200\nsteps_per_epoch: 50\nscheduler: {type: StepLR, step_size: 5}\n")
    r = cli("s.yaml", "--xlim", "1000,2000", "-q")
    assert r.exit_code == 2 and r.stderr == ("lrplot: --xlim '1000,2000' shows none of the curves: their steps go from "
                                             "0 to 199; give a range that overlaps them, e.g. 0,199\n")
    assert not (tmp_path / "s.png").exists()
    r = cli("s.yaml", "--x", "epoch", "--xlim", "-5,-1", "-q")
    assert r.exit_code == 2 and r.stderr == ("lrplot: --xlim '-5,-1' shows none of the curves: their epochs go from "
                                             "0 to 3.98; give a range that overlaps them, e.g. 0,3.98\n")
    assert cli("s.yaml", "--xlim", "199,2000", "-q").exit_code == 0  # one step inside is drawn


def test_xlim_zooms_a_long_curve_with_every_pixel_column_of_the_range():
    n = 100_000
    values = np.linspace(1.0, 0.0, n)
    values[50_500] = 3.0  # a spike inside the zoomed range survives the envelope
    sc = ScheduleTrace("z", "X", n, "step", None, ("0",), ("lr",), {(0, "lr"): values})
    ax = render(Curves((sc,)), xlim="40000,60000", annotate="none").axes[0]
    (line,) = gids(ax, "series:")
    x = line.get_xdata()
    assert np.nanmin(x) >= 40_000 and np.nanmax(x) <= 60_000 and len(x) < 5_000 and np.nanmax(line.get_ydata()) == 3.0


def test_cli_limits(cli, tmp_path):
    (tmp_path / "s.yaml").write_text("steps: 20\nscheduler: {type: StepLR, step_size: 5}\n")
    assert cli("s.yaml", "--xlim", "0,10", "--ylim", "0,1", "-q").exit_code == 0
    r = cli("s.yaml", "--ylim", "1", "-q")
    assert r.exit_code == 2 and r.stderr.splitlines()[-1] == (
        "lrplot: --ylim '1': expected LOW,HIGH with LOW below HIGH, e.g. 0,1e-3")


def test_jump_marks_show_their_direction_and_skip_a_warmup_ramp():
    # 4 warmup steps (each +25% of the peak), a decay, a restart up, a step down
    values = np.array([0.25, 0.5, 0.75, 1.0, 0.9, 0.8, 0.7, 1.0, 0.95, 0.3, 0.3])
    sc = ScheduleTrace("j", "X", len(values), "step", None, ("0",), ("lr",), {(0, "lr"): values})
    ax = render(Curves((sc,))).axes[0]
    (drops,) = gids(ax, "drops:")
    (rises,) = gids(ax, "rises:")
    assert list(drops.get_xdata()) == [9] and drops.get_marker() == "v"
    assert list(rises.get_xdata()) == [7] and rises.get_marker() == "^"


SHORT_WARMUP = ("steps: 5000\noptimizer: {type: SGD, lr: 0.1}\n"
                "scheduler: {type: SequentialLR, milestones: [40], schedulers: ["
                "{type: LinearLR, start_factor: 0.01, total_iters: 40}, {type: CosineAnnealingLR, T_max: 4960}]}\n")


def test_a_short_warmup_gets_a_zoomed_inset_that_can_be_turned_off():
    curves = simulate(parse_spec(SHORT_WARMUP, "s.yaml"))  # 40 of 5000 updates: 0.8%
    ax = render(curves).axes[0]
    (inset,) = [c for c in ax.child_axes if c.get_gid() == "inset"]
    (line,) = inset.get_lines()
    values = curves.schedules[0].values[(0, "lr")]
    assert line.get_gid() == "inset-series:s:0:lr"
    assert (line.get_ydata() == values[:76]).all() and (line.get_xdata() == np.arange(76)).all()
    assert inset.get_title() == "the first 75 steps" and inset.get_ylim()[0] == 0
    assert not [c for c in render(curves, inset=False).axes[0].child_axes if c.get_gid() == "inset"]
    long = simulate(parse_spec(SHORT_WARMUP.replace("5000", "500").replace("4960", "460"), "s.yaml"))  # 8%
    assert not [c for c in render(long).axes[0].child_axes if c.get_gid() == "inset"]


def test_the_inset_is_where_no_curve_runs():
    from matplotlib.transforms import Bbox

    fig = render(simulate(parse_spec(SHORT_WARMUP, "s.yaml")))
    ax = fig.axes[0]
    (inset,) = [c for c in ax.child_axes if c.get_gid() == "inset"]
    fig.canvas.draw()
    box = inset.get_tightbbox(fig.canvas.get_renderer())
    (line,) = gids(ax, "series:")
    xy = line.get_transform().transform(np.column_stack([line.get_xdata(), line.get_ydata()]))
    assert not Bbox(box.get_points()).count_contains(xy[np.isfinite(xy).all(axis=1)])


def test_two_fields_in_a_users_axes_the_twin_draws_no_grid_and_no_curve_crosses_the_legend():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from lrplot.figure.labels import line_paths

    fig = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    render(simulate(lrplot.load_spec(CONFIGS / "onecycle.yaml")), ax=ax)  # lr and beta1
    (twin,) = [a for a in fig.axes if a.get_gid() == "twin-y"]
    fig.canvas.draw()
    assert not any(line.get_visible() for line in twin.get_ygridlines() + twin.get_xgridlines())
    legend = twin.get_legend()
    assert ax.get_legend() is None  # the marks are named here too: no caption under a user's axes
    assert [t.get_text() for t in legend.get_texts()] == ["lr", "beta1", "peak and final value"]
    box = legend.get_window_extent(fig.canvas.get_renderer())
    assert not [p for a in (ax, twin) for p in line_paths(a) if p.intersects_bbox(box, filled=False)]


def test_logged_points_are_called_logged_and_a_divergence_has_no_slits(tmp_path):
    from lrplot.verify import verify_files

    (tmp_path / "plan.yaml").write_text("steps: 100\noptimizer: {type: SGD, lr: 0.1}\n"
                                       "scheduler: {type: CosineAnnealingLR, T_max: 100}\n")
    (tmp_path / "log.csv").write_text("step,lr\n" + "".join(f"{t},{0.1 if t < 50 else 0.05}\n" for t in range(100)))
    report = verify_files(tmp_path / "plan.yaml", tmp_path / "log.csv")
    ax = render(report.curves, layout="overlay").axes[0]
    assert legend_texts(ax) == ["plan", "logged"]
    plan = ScheduleTrace("p", "X", 1000, "step", None, ("0",), ("lr",), {(0, "lr"): np.linspace(1, 0, 1000)},
                         spans=((10, 20), (22, 30), (60, 70)))  # step 21 agrees: 1 of 1000, no slit
    shaded = [p.get_gid() for p in render(Curves((plan,))).axes[0].patches]
    assert shaded == ["diverges:p:10:30", "diverges:p:60:70"]


def test_a_plateau_schedule_draws_the_metric_that_drives_it_on_a_secondary_axis():
    import csv

    fig = lrplot.plot(CONFIGS / "plateau_loss.yaml")  # metric: {csv: data/val_loss.csv, column: val_loss}
    (twin,) = [a for a in fig.axes if a.get_gid() == "metric-y"]
    (line,) = twin.get_lines()
    with open(CONFIGS / "data" / "val_loss.csv") as fh:
        losses = [float(row["val_loss"]) for row in csv.DictReader(fh)]
    # ReduceLROnPlateau.step(loss k) runs after update k: it decides the lr of update k + 1
    assert list(line.get_ydata()) == losses[:99] and list(line.get_xdata()) == list(range(1, 100))
    assert twin.get_ylabel() == "val_loss (the metric it is fed)"
    assert not [a for a in lrplot.plot(CONFIGS / "plateau.yaml").axes if a.get_gid() == "metric-y"]  # its own lr


@pytest.mark.parametrize("path, options", [
    ("frameworks/hf_sft.yaml", {}), ("plateau_loss.yaml", {}), ("warmup_step.yaml", {"x": "epoch"}),
    ("accelerated_cosine.yaml", {"x": "epoch"})])
def test_value_labels_stay_off_the_spines_and_inside_the_axes(path, options):
    spec = lrplot.load_spec(CONFIGS / path, dataset_size=207865, devices=8) if "frameworks" in path \
        else lrplot.load_spec(CONFIGS / path)
    fig = render(simulate(spec), **options)
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    frame = ax.get_window_extent(renderer)
    labels = [t for t in ax.texts if t.get_visible() and (t.get_gid() or "").endswith(tuple("0123456789lr"))
              and (t.get_gid() or "").split(":")[0] in ("peak-label", "final-label", "event-label")]
    assert labels
    for t in labels:
        box = t.get_window_extent(renderer)
        assert frame.x0 + 2 <= box.x0 and box.x1 <= frame.x1 - 2 and frame.y0 + 2 <= box.y0 and box.y1 <= frame.y1 - 2


def test_every_kind_of_mark_is_named_in_the_caption_line():
    restarts = simulate(parse_spec((CONFIGS / "cosine_restarts.yaml").read_text(), "r.yaml"))
    assert footnote_lines(render(restarts))[0] == (
        "\u25cf peak and final value   \u25b2 abrupt rise after a fall")  # each restart: a rise after a fall
    plan = ScheduleTrace("p", "X", 100, "step", None, ("0",), ("lr",),
                         {(0, "lr"): np.where(np.arange(100) < 50, 1.0, 0.1)}, spans=((60, 70),))
    fig = render(Curves((plan,)))
    assert footnote_lines(fig)[0] == ("\u25cf peak and final value   \u25bc abrupt drop (more than 20% of the value "
                                      "in one update)   red band: where the log leaves the plan")
    assert [m.get_marker() for m in gids(fig.axes[0], "drops:")] == ["v"]


def test_marks_on_a_users_axes_are_legend_entries_not_a_caption():
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    plan = ScheduleTrace("p", "X", 100, "step", None, ("0",), ("lr",),
                         {(0, "lr"): np.where(np.arange(100) < 50, 1.0, 0.1)}, spans=((60, 70),))
    ax = Figure().add_subplot()
    fig = render(Curves((plan,)), ax=ax)
    assert not [t for t in fig.texts if t.get_gid() == "footnote"]  # nothing outside the user's axes
    legend = ax.get_legend()
    assert legend_texts(ax) == ["p", "peak and final value", "abrupt drop (more than 20% of the value in one update)",
                                "where the log leaves the plan"]
    handles = legend.legend_handles[1:]
    assert [h.get_marker() for h in handles[:2]] == ["o", "v"] and isinstance(handles[0], Line2D)
    assert isinstance(handles[2], Patch) and handles[2].get_facecolor()[:3] == (0.8392156862745098, 0.15294117647058825,
                                                                                0.1568627450980392)  # tab:red
    # no marks drawn: the legend stays as before (a lone curve named by the title needs none)
    bare = Figure().add_subplot()
    render(Curves((replace(plan, spans=()),)), ax=bare, annotate="none")
    assert bare.get_legend() is None


def test_a_log_axis_says_which_values_it_cannot_show():
    # a cosine that reaches 0 at T_max: on a log axis the 0 fell off the bottom, reading as merely small
    curves = simulate(parse_spec("steps: 100\nscheduler: {type: CosineAnnealingLR, T_max: 60}\n", "s.yaml"))
    said = "\u26a0 's' lr of group 0 is 0 or below at 1 step(s), first at step 60: not on this log axis; " \
           "draw without --log-y to see it"
    assert footnote_lines(render(curves, log_y=True, annotate="none"))[-1] == said
    assert not [t for t in render(curves, annotate="none").texts if "log axis" in t.get_text()]
    positive = simulate(parse_spec("steps: 100\nscheduler: {type: CosineAnnealingLR, T_max: 100}\n", "s.yaml"))
    assert not [t for t in render(positive, log_y=True).texts if "log axis" in t.get_text()]


def test_a_short_phase_with_no_free_place_is_said_not_drawn_over_the_curves():
    # a 1-update ConstantLR beside curves that fill the axes: the inset went over them (its fallback place)
    # and said "the first 1 steps" for the two steps it showed
    text = ("schedules:\n"
            "  - {name: c, steps: 100, scheduler: {type: ConstantLR, factor: 1.0, total_iters: 1}}\n"
            "  - {name: x, steps: 100, scheduler: {type: LinearLR, start_factor: 0.01, total_iters: 99}}\n"
            "  - {name: y, steps: 100, scheduler: {type: CyclicLR, base_lr: 0.01, max_lr: 0.1, step_size_up: 10}}\n")
    fig = render(simulate(parse_spec(text, "s.yaml")))
    assert not [c for c in fig.axes[0].child_axes if c.get_gid() == "inset"]
    assert footnote_lines(fig)[-1] == ("the first 2 steps (a short phase) are too narrow to see here, and an inset "
                                       "would hide a curve: --xlim 0,2 shows them")


def test_an_infinite_lr_is_drawn_where_finite_with_its_finite_peak_marked():
    # gamma 1e400 (inf): the peak search compared with inf - inf (nan) and the figure failed, exit 70
    curves = simulate(parse_spec("steps: 10\nscheduler: {type: StepLR, step_size: 3, gamma: 1e400}\n", "s.yaml"))
    ax = render(curves).axes[0]
    (peak,) = gids(ax, "peak:")
    assert peak.get_xdata().tolist() == [0] and peak.get_ydata().tolist() == [0.1]
    assert not gids(ax, "final:")  # the last value is not a number: no final value is said


def test_a_figure_too_small_for_its_text_is_refused(cli, tmp_path):
    # matplotlib only warned ("constrained_layout not applied because axes sizes collapsed to zero") and drew
    # the title, tick labels and legend over the curves
    (tmp_path / "s.yaml").write_text("steps: 20\nscheduler: {type: StepLR, step_size: 5}\n")
    r = cli("s.yaml", "--size", "1x1", "-q")
    assert r.exit_code == 2 and r.stderr == ("lrplot: the figure is too small at this --size for its title, labels and "
                                             "legend: they would be drawn over the curves; give a larger --size, "
                                             "e.g. 4x3\n")
    assert not (tmp_path / "s.png").exists()
    assert cli("s.yaml", "--size", "4x3", "-q").exit_code == 0
