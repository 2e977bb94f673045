"""Assert on what is drawn (line data, labels, panels, annotations), not on pixels."""

from __future__ import annotations

import numpy as np
import pytest

from lrplot.curves import Curves, ScheduleTrace
from lrplot.figure import column_envelope, render, render_to_file, save_figure
from lrplot.engine import simulate
from lrplot.spec import parse_spec

from tests.helpers.paths import CONFIGS


def curves_of(text: str) -> Curves:
    return simulate(parse_spec(text, "s.yaml"))


def series_lines(ax):
    return {line.get_gid(): line for line in ax.lines if (line.get_gid() or "").startswith("series:")}


def test_drawn_line_is_the_simulated_data():
    curves = curves_of("steps: 120\nscheduler: {type: CosineAnnealingLR, T_max: 100}\n")
    fig = render(curves)
    (ax,) = fig.axes[:1]
    (line,) = series_lines(ax).values()
    assert (line.get_ydata() == curves.schedules[0].values[(0, "lr")]).all()
    assert (line.get_xdata() == np.arange(120)).all()
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "learning rate"
    assert fig._suptitle.get_text() == "s"


def test_overlay_legend_names_each_schedule_and_group():
    curves = simulate(parse_spec((CONFIGS / "compare.yaml").read_text(), "compare.yaml"))
    fig = render(curves)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["cosine", "warmup+cosine", "step", "one-cycle"]
    assert fig._suptitle.get_text() == "Which decay for 500 updates?"
    groups = simulate(parse_spec((CONFIGS / "two_groups.yaml").read_text(), "two_groups.yaml"))
    labels = [t.get_text() for t in render(groups).axes[0].get_legend().get_texts()]
    assert labels == ["backbone", "head"]  # one schedule: its name is the title


@pytest.mark.parametrize("layout, panels", [("overlay", 1), ("grid", 4), ("fields", 1), ("groups", 1)])
def test_layouts_make_the_expected_panels(layout, panels):
    curves = simulate(parse_spec((CONFIGS / "compare.yaml").read_text(), "compare.yaml"))
    fig = render(curves, layout=layout)
    visible = [a for a in fig.axes if a.get_visible() and a.get_lines()]
    assert len(visible) == panels
    for ax in visible:
        assert ax.get_xlim() == visible[0].get_xlim()


def test_fields_layout_puts_momentum_below_lr():
    curves = simulate(parse_spec((CONFIGS / "onecycle.yaml").read_text(), "onecycle.yaml"))
    fig = render(curves)  # auto: several fields -> one row per field
    top, bottom = [a for a in fig.axes if a.get_lines()]
    # onecycle.yaml uses AdamW: the field 'momentum' is betas[0], labelled as Adam users call it
    assert top.get_ylabel() == "learning rate" and bottom.get_ylabel() == "beta1"
    (m,) = series_lines(bottom).values()
    assert (m.get_ydata() == curves.schedules[0].values[(0, "momentum")]).all()


def test_log_y_and_epoch_axis():
    curves = curves_of("steps: 100\nsteps_per_epoch: 10\nscheduler: {type: ExponentialLR, gamma: 0.9}\n")
    fig = render(curves, log_y=True, x="epoch")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
    (top,) = [c for c in ax.child_axes if c.get_gid() == "secondary-x"]
    assert top.get_xlabel() == "step"
    (line,) = series_lines(ax).values()
    assert line.get_xdata()[10] == 1.0



def _ticks_in_view(axis, xaxis):
    lo, hi = sorted(axis.get_xlim())
    return [float(t) for t in xaxis.get_majorticklocs() if lo <= t <= hi]


@pytest.mark.parametrize("steps, expected", [(1, [0.0]), (3, [0.0, 1.0, 2.0])])
def test_a_short_runs_step_axis_has_whole_steps_only(steps, expected):
    """A step no update has (0.5, -0.4) is never a tick: on the step axis below, on the step axis
    above an epoch axis, and on a short warmup's inset; the epochs keep their fractions."""
    curves = curves_of(f"steps: {steps}\nsteps_per_epoch: 2\nscheduler: {{type: StepLR, step_size: 1}}\n")
    ax = render(curves).axes[0]
    assert _ticks_in_view(ax, ax.xaxis) == expected
    (top,) = [c for c in ax.child_axes if c.get_gid() == "secondary-x"]
    assert top.get_xlabel() == "epoch"
    ax = render(curves, x="epoch").axes[0]
    (top,) = [c for c in ax.child_axes if c.get_gid() == "secondary-x"]
    assert top.get_xlabel() == "step"
    shown = [t for t in top.xaxis.get_majorticklocs() if -0.5 < t < steps - 0.5 + 0.1]
    assert [float(t) for t in shown] == expected
    if steps == 3:
        assert not all(t.is_integer() for t in _ticks_in_view(ax, ax.xaxis))  # epochs keep their fractions
    curves = curves_of("steps: 40000\nscheduler: {type: SequentialLR, milestones: [3], schedulers: "
                       "[{type: LinearLR, start_factor: 0.1, total_iters: 3}, {type: CosineAnnealingLR, T_max: 39997}]}\n")
    (inset,) = [c for c in render(curves).axes[0].child_axes if c.get_gid() == "inset"]
    ticks = _ticks_in_view(inset, inset.xaxis)
    assert len(ticks) >= 2 and all(t.is_integer() for t in ticks)

def test_epoch_interval_is_drawn_as_a_staircase():
    curves = curves_of("steps: 40\nsteps_per_epoch: 10\ninterval: epoch\nscheduler: {type: StepLR, step_size: 1}\n")
    (line,) = series_lines(render(curves).axes[0]).values()
    assert line.get_drawstyle() == "steps-post"


def test_annotations_mark_milestones_peak_final_and_jumps():
    curves = simulate(parse_spec((CONFIGS / "warmup_cosine.yaml").read_text(), "warmup_cosine.yaml"))
    ax = render(curves).axes[0]
    events = [line for line in ax.lines if (line.get_gid() or "").startswith("event:")]
    assert [e.get_xdata()[0] for e in events] == [50]
    values = curves.schedules[0].values[(0, "lr")]
    peak = next(line for line in ax.lines if (line.get_gid() or "").startswith("peak:"))
    assert peak.get_ydata()[0] == values.max() and peak.get_xdata()[0] == values.argmax()
    final = next(line for line in ax.lines if (line.get_gid() or "").startswith("final:"))
    assert final.get_xdata()[0] == len(values) - 1
    step = simulate(parse_spec((CONFIGS / "step.yaml").read_text(), "step.yaml"))
    ax = render(step).axes[0]
    jumps = next(line for line in ax.lines if (line.get_gid() or "").startswith("drops:"))
    assert list(jumps.get_xdata()) == [30, 60, 90]  # 0.1 -> 0.05 -> 0.025 -> 0.0125: each drop alike
    bare = render(step, annotate=frozenset()).axes[0]
    assert [line.get_gid() for line in bare.lines] == ["series:step:0:lr"]


def test_column_envelope_keeps_every_extreme():
    rng = np.random.default_rng(0)
    y = rng.normal(size=1_000_000).cumsum()
    x = np.arange(len(y), dtype=float)
    xc, lo, hi = column_envelope(x, y, 0.0, float(len(y) - 1), 1000)
    assert len(xc) == 1000 and np.all(np.diff(xc) > 0)
    assert hi.max() == y.max() and lo.min() == y.min()
    cols = np.minimum(np.floor(x / (len(y) - 1) * 1000).astype(int), 999)
    for c in (0, 17, 500, 999):
        assert hi[c] == y[cols == c].max() and lo[c] == y[cols == c].min()


def test_long_curves_are_drawn_as_a_band_of_pixel_columns():
    n = 200_000
    zigzag = np.where(np.arange(n) % 2 == 0, 1.0, 0.0)
    zigzag[123_457] = 7.0  # a one-step spike must survive
    sc = ScheduleTrace("zig", "CyclicLR", n, "step", None, ("0",), ("lr",), {(0, "lr"): zigzag})
    ax = render(Curves((sc,)), annotate=frozenset()).axes[0]
    (line,) = series_lines(ax).values()
    assert len(line.get_ydata()) < 5_000
    assert np.nanmax(line.get_ydata()) == 7.0 and np.nanmin(line.get_ydata()) == 0.0
    band = next(c for c in ax.collections if (c.get_gid() or "").startswith("band:"))
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.max() == 7.0 and ys.min() == 0.0
    short = render(Curves((ScheduleTrace("s", "StepLR", 50, "step", None, ("0",), ("lr",),
                                          {(0, "lr"): zigzag[:50]}),)))
    assert not short.axes[0].collections  # short curves are plain lines of every point


def test_render_into_an_existing_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    curves = curves_of("steps: 30\nscheduler: {type: StepLR, step_size: 10}\n")
    assert render(curves, ax=ax) is fig
    assert len(series_lines(ax)) == 1


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_files_are_byte_identical_run_to_run(tmp_path, suffix):
    curves = simulate(parse_spec((CONFIGS / "compare.yaml").read_text(), "compare.yaml"))
    a = render_to_file(curves, tmp_path / f"a{suffix}").read_bytes()
    b = render_to_file(curves, tmp_path / f"b{suffix}").read_bytes()
    assert a == b and len(a) > 1000
    for stamp in (b"Matplotlib", b"matplotlib.org", b"CreationDate", b"<dc:date>"):
        assert stamp not in a


def test_dark_theme_changes_the_figure(tmp_path):
    curves = curves_of("steps: 30\nscheduler: {type: StepLR, step_size: 10}\n")
    light = render(curves, theme="light")
    dark = render(curves, theme="dark")
    assert light.get_facecolor() != dark.get_facecolor()


def test_save_figure_refuses_unknown_suffix(tmp_path):
    from lrplot.errors import UsageError
    from matplotlib.figure import Figure

    with pytest.raises(UsageError, match="unknown figure format '.jpg'"):
        save_figure(Figure(), tmp_path / "x.jpg")


@pytest.mark.parametrize("config", ["cosine.yaml", "compare.yaml"])
def test_a_settled_figure_is_written_as_with_matplotlibs_none_engine(config):
    """A figure drawn only to be saved is frozen with no layout engine, so savefig draws it once; every
    format of both themes is the very bytes of the same figure frozen with matplotlib's own "none"
    placeholder engine, for which savefig walks every artist in a dry draw first."""
    import io

    import matplotlib.figure

    from lrplot.figure import RenderOptions, render_themed, write_figure
    from lrplot.figure.plotter import Plotter, _themed

    curves = simulate(parse_spec((CONFIGS / config).read_text(), config))
    for theme in ("light", "dark"):
        blobs = render_themed(curves, [(theme, fmt) for fmt in ("png", "svg", "pdf")], RenderOptions())
        for fmt in ("png", "svg", "pdf"):
            with _themed(curves, RenderOptions(theme=theme)) as opts:
                fig = Plotter(curves, opts).plot()
                fig.set_layout_engine("none")
                buffer = io.BytesIO()
                write_figure(fig, buffer, fmt, dpi=opts.dpi)
            assert blobs[theme, fmt] == buffer.getvalue(), (theme, fmt)
    draws = []
    real = matplotlib.figure.Figure.draw
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(matplotlib.figure.Figure, "draw", lambda self, renderer: draws.append(1) or real(self, renderer))
        render_themed(curves, [("light", "png")], RenderOptions())
    assert draws == [1]  # the written draw only: the labels were placed without drawing


def test_a_style_asking_for_a_layout_engine_does_not_give_a_settled_figure_one():
    import matplotlib

    from lrplot.figure import RenderOptions
    from lrplot.figure.plotter import Plotter, _settled, _themed

    curves = curves_of("steps: 20\nscheduler: {type: StepLR, step_size: 5}\n")
    for key in ("figure.constrained_layout.use", "figure.autolayout"):
        with _themed(curves, RenderOptions()) as opts, matplotlib.rc_context({key: True}):
            fig = _settled(Plotter(curves, opts).plot())
            assert fig.get_layout_engine() is None
            assert matplotlib.rcParams[key] is True  # the style's setting stays for the rest of the block


# what a user's matplotlibrc or a notebook's rcParams may hold; none of it is lrplot's to draw with
_SESSION_RC = {"font.size": 20.0, "lines.linewidth": 5.0, "axes.prop_cycle": "cycler(color=['r', 'g'])",
               "savefig.dpi": 30.0, "svg.fonttype": "none", "path.simplify_threshold": 1.0, "figure.autolayout": True,
               "axes.grid": False, "xtick.labelsize": 30.0, "figure.dpi": 40.0, "font.family": ["serif"]}


@pytest.mark.parametrize("theme", ["light", "dark", "ggplot"])
def test_a_sessions_own_rc_settings_never_reach_the_bytes(tmp_path, theme):
    """The same spec gives the same bytes in a session whose rcParams a matplotlibrc (or a notebook)
    changed: the themes and styles are applied over matplotlib's defaults, not the session's."""
    import matplotlib

    from lrplot.figure import RenderOptions, render_to_bytes

    curves = simulate(parse_spec((CONFIGS / "warmup_step.yaml").read_text(), "warmup_step.yaml"))
    opts = RenderOptions(theme=theme)
    clean = {fmt: render_to_bytes(curves, fmt, opts) for fmt in ("png", "svg", "pdf")}
    with matplotlib.rc_context(_SESSION_RC):
        for fmt, blob in clean.items():
            assert render_to_bytes(curves, fmt, opts) == blob, fmt
        assert matplotlib.rcParams["lines.linewidth"] == 5.0  # the session keeps its own settings


def test_drawing_into_the_users_axes_keeps_the_sessions_settings_under_the_theme():
    """Into an Axes of the user's own figure, lrplot's artists follow the session's settings the theme does
    not set (a legend's handle length here, a paper's usetex or font elsewhere), as the rest of that figure
    does; only a figure of lrplot's own is drawn over matplotlib's defaults."""
    import matplotlib
    import matplotlib.pyplot as plt

    from lrplot.figure import render

    curves = simulate(parse_spec((CONFIGS / "compare.yaml").read_text(), "compare.yaml"))
    with matplotlib.rc_context({"legend.handlelength": 5.0}):
        fig, ax = plt.subplots()
        try:
            render(curves, ax=ax)
            assert ax.get_legend() is not None and ax.get_legend().handlelength == 5.0
            own = render(curves)
            assert {lg.handlelength for a in own.axes for lg in [a.get_legend()] if lg is not None} | {
                lg.handlelength for lg in own.legends} == {matplotlib.rcParamsDefault["legend.handlelength"]}
        finally:
            plt.close("all")
