"""lrplot.plot and the notebook-facing API: one call, self-displaying figures, tidy tables."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import lrplot
from lrplot.errors import LrplotError, UsageError
from lrplot.figure import RenderOptions, render

COSINE = {"steps": 50, "scheduler": {"type": "CosineAnnealingLR", "T_max": 50}}


def test_dir_lists_the_api():
    names = dir(lrplot)
    for name in ("plot", "load_spec", "parse_spec", "simulate", "render", "save_figure", "RenderOptions",
                 "Curves", "Spec", "LrplotError", "LrplotWarning", "__version__"):
        assert name in names
    assert "TYPE_CHECKING" not in names and "Any" not in names


@pytest.mark.parametrize("source", ["path", "text", "dict"])
def test_plot_takes_a_path_text_or_dict_and_draws_the_simulated_curve(source, tmp_path):
    text = "steps: 50\nscheduler: {type: CosineAnnealingLR, T_max: 50}\n"
    if source == "path":
        (tmp_path / "c.yaml").write_text(text)
        source = tmp_path / "c.yaml"
    elif source == "text":
        source = text
    elif source == "dict":
        source = COSINE
    fig = lrplot.plot(source, annotate="none")
    (line,) = [ln for ln in fig.axes[0].get_lines() if (ln.get_gid() or "").startswith("series:")]
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)  # the spec's default optimizer
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)
    expected = []
    for _ in range(50):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert list(line.get_ydata()) == expected


def test_plot_set_overrides_and_unknown_options():
    with pytest.warns(lrplot.LrplotWarning, match=r"\[no-anneal\]$"):  # T_max 50 cut at 20
        fig = lrplot.plot(COSINE, set=["steps=20"], annotate="none")
    (line,) = [ln for ln in fig.axes[0].get_lines() if (ln.get_gid() or "").startswith("series:")]
    assert len(line.get_ydata()) == 20
    with pytest.raises(UsageError, match="unknown option 'lgend'; did you mean 'legend'"):
        lrplot.plot(COSINE, lgend=False)
    with pytest.raises(UsageError, match="unknown option 'log-y'; did you mean 'log_y'"):
        render(lrplot.simulate(lrplot.parse_spec("steps: 5\nscheduler: {type: StepLR, step_size: 2}\n")),
               **{"log-y": True})
    with pytest.raises(LrplotError, match="cannot make a spec from a int"):
        lrplot.plot(3)


def test_plot_and_simulate_refuse_what_they_cannot_draw_or_run():
    # before: a set= text was read one character at a time ("--set 's': expected key.path=value"), an
    # empty list drew empty axes, and simulate(path) ended in AttributeError: 'str' object has no attribute ...
    with pytest.warns(lrplot.LrplotWarning, match=r"\[no-anneal\]$"):  # T_max 50 cut at 20
        fig = lrplot.plot(COSINE, set="steps=20", annotate="none")
    (line,) = [ln for ln in fig.axes[0].get_lines() if (ln.get_gid() or "").startswith("series:")]
    assert len(line.get_ydata()) == 20
    with pytest.raises(UsageError) as err:
        lrplot.plot([])
    assert str(err.value) == "plot() got an empty list; pass a spec: a path, YAML text, a dict or a lrplot.Spec"
    for wrong in ("configs/cosine.yaml", ["configs/cosine.yaml"], {"steps": 5}):
        with pytest.raises(UsageError) as err:
            lrplot.simulate(wrong)
        assert str(err.value) == (f"simulate() takes a Spec (or a list of them), not a {'dict' if wrong == {'steps': 5} else 'str'}; "
                                  "read it first: lrplot.simulate(lrplot.load_spec(...))")
    spec = lrplot.parse_spec("steps: 5\nscheduler: {type: StepLR, step_size: 2}\n")
    assert len(lrplot.simulate(iter([spec])).schedules) == 1  # any iterable of specs still runs


def test_plot_into_an_axes_refuses_a_layout_of_panels_before_simulating(monkeypatch):
    from matplotlib.figure import Figure

    import lrplot.engine

    def simulate(*args, **kwargs):
        raise AssertionError("simulated")

    monkeypatch.setattr(lrplot.engine, "simulate", simulate)
    with pytest.raises(UsageError) as err:
        lrplot.plot(COSINE, ax=Figure().add_subplot(), layout="grid")
    assert str(err.value) == ("layout 'grid' draws one panel per schedule, and render(ax=...) draws into one Axes; "
                              "leave ax out for the panels, or leave layout out to overlay the curves in ax")


def test_figures_display_themselves_as_png_and_svg():
    fig = lrplot.plot(COSINE)
    png = fig._repr_png_()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png == fig._repr_png_()  # deterministic
    svg = fig._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>")
    bundle = fig._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "image/png"} and bundle["image/png"] == png
    assert set(fig._repr_mimebundle_(include=["image/svg+xml"])) == {"text/plain", "image/svg+xml"}
    # the dark theme's background is in the displayed bytes too
    import io

    from matplotlib.image import imread

    dark = imread(io.BytesIO(lrplot.plot(COSINE, theme="dark")._repr_png_()))
    light = imread(io.BytesIO(png))
    assert dark[2, 2, :3].mean() < 0.2 < 0.9 < light[2, 2, :3].mean()


def test_display_bytes_equal_the_saved_file(tmp_path):
    """The file save_figure writes, the bytes a notebook shows and those of a second save are one
    figure's: each save ran constrained layout again from where the last one left the axes (SVG lays
    out at 72 dpi), and the SVG moved by up to 1e-4 px each time (the test read no file then)."""
    fig = lrplot.plot(COSINE, theme="dark")
    lrplot.save_figure(fig, tmp_path / "f.svg")
    # save_figure outside the theme context writes the same figure; repr applies the theme itself
    from lrplot.figure import figure_bytes

    saved = (tmp_path / "f.svg").read_bytes()
    assert figure_bytes(fig, "svg") == fig._repr_svg_().encode() == saved
    lrplot.save_figure(fig, tmp_path / "f.png")
    lrplot.save_figure(fig, tmp_path / "again.svg")
    assert (tmp_path / "again.svg").read_bytes() == saved


@pytest.mark.parametrize("value, expected", [
    ("all", {"milestones", "peak", "final", "jumps"}),
    ("none", set()),
    ("peak, final", {"peak", "final"}),
    (["peak"], {"peak"}),
    (("all",), {"milestones", "peak", "final", "jumps"}),
    (None, set()),
])
def test_render_options_normalise_annotate(value, expected):
    assert RenderOptions(annotate=value).annotate == expected


def test_render_annotate_all_draws_every_annotation():
    curves = lrplot.simulate(lrplot.parse_spec(
        "steps: 30\nscheduler: {type: MultiStepLR, milestones: [10, 20], gamma: 0.1}\n"))
    gids = {(a.get_gid() or "").split(":")[0] for a in render(curves, annotate="all").axes[0].get_children()}
    assert {"event", "peak", "final", "drops"} <= gids
    assert not {"event", "peak", "final", "jumps"} & {
        (a.get_gid() or "").split(":")[0] for a in render(curves, annotate="none").axes[0].get_children()}


@pytest.mark.parametrize("kwargs, message", [
    ({"annotate": "peek"}, "unknown annotation 'peek'; did you mean 'peak'?"),
    ({"layout": "gird"}, "unknown layout 'gird'; did you mean 'grid'?"),
    ({"x": "epochs"}, "unknown x 'epochs'; did you mean 'epoch'?"),
    ({"theme": "drak"}, "unknown style 'drak'; did you mean 'dark'?"),
    ({"size": "8by4"}, "size '8by4': expected WIDTHxHEIGHT in inches, each 1 to 100, e.g. 8x4.5"),
    ({"size": (8, 0)}, "size '(8, 0)': expected WIDTHxHEIGHT"),
    ({"dpi": 5}, "dpi 5: expected a whole number from 20 to 1200"),
])
def test_render_options_refuse_bad_values_with_a_hint(kwargs, message):
    with pytest.raises(UsageError) as exc:
        RenderOptions(**kwargs)
    assert str(exc.value).startswith(message)


def test_render_options_accept_the_cli_and_library_spellings_alike():
    assert RenderOptions(size="6x3").size == RenderOptions(size=(6, 3)).size == (6.0, 3.0)
    assert RenderOptions(layout="Grid").layout == "grid"


def test_curves_as_tidy_records_and_dataframe():
    curves = lrplot.simulate(lrplot.load_spec("configs/two_groups.yaml"))
    rows = curves.to_records()
    from lrplot.curves import to_csv_text

    csv_lines = to_csv_text(curves).splitlines()
    assert len(rows) == len(csv_lines) - 1
    assert [str(rows[5][k]) if k != "value" else repr(rows[5][k]) for k in rows[5]] == csv_lines[6].split(",")
    pytest.importorskip("pandas")
    df = curves.to_pandas()
    assert list(df.columns) == ["schedule", "group", "group_name", "field", "step", "value"]
    assert len(df) == len(rows)
    for (g, f), values in curves.schedules[0].values.items():
        got = df[(df.group == g) & (df.field == f)].sort_values("step")["value"].to_numpy()
        assert np.array_equal(got, values)


def test_to_pandas_without_pandas_says_how_to_install(monkeypatch):
    curves = lrplot.simulate(lrplot.parse_spec("steps: 3\nscheduler: {type: StepLR, step_size: 2}\n"))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(LrplotError, match="needs pandas.*pip install pandas"):
        curves.to_pandas()


# --- a dict built in Python has a spec file's limits (issue 18) ----------------------------------

def _cyclic() -> dict:
    spec = {"steps": 10, "scheduler": {"type": "StepLR", "step_size": 2}}
    spec["x"] = spec
    return spec


def _deep() -> dict:
    top = node = {}
    for _ in range(100_000):
        node["a"] = {}
        node = node["a"]
    return {"steps": 10, "scheduler": {"type": "StepLR", "step_size": 2}, "title": top}


def _self_list() -> dict:
    items: list = []
    items.append(items)
    return {"steps": 10, "scheduler": {"type": "MultiStepLR", "milestones": items}}


@pytest.mark.parametrize("make, line", [
    (lambda: {"steps": 10, "scheduler": {"type": "MultiStepLR", "milestones": list(range(2_000_000))}},
     "<spec>: the spec has more than 10000 values; a spec is far smaller; a spec file has the same limit"),
    (_cyclic, "<spec>: the spec contains itself at x (a cycle); build it without a reference to itself"),
    (_self_list, "<spec>: the spec contains itself at scheduler.milestones[0] (a cycle); build it without a "
                 "reference to itself"),
    (_deep, "<spec>: the spec is nested too deeply at title.a.a.a...; at most 64 levels"),
])
def test_a_dict_spec_obeys_the_limits_of_a_file(make, line):
    from lrplot.errors import SpecError

    with pytest.raises(SpecError) as exc:
        lrplot.plot(make())
    assert exc.value.format() == line


def test_the_pixel_limit_is_checked_before_anything_runs():
    from lrplot.errors import UsageError

    with pytest.raises(UsageError) as exc:
        lrplot.plot({"steps": 10, "scheduler": {"type": "StepLR", "step_size": 2}}, size=(100, 100), dpi=1200)
    assert exc.value.format() == ("--size 100x100 at --dpi 1200 makes a 120000x120000 pixel figure (14400 "
                                  "megapixels); a figure is at most 64 megapixels; lower --dpi or --size")


def test_plot_raises_what_the_command_line_warns_as_lrplot_warnings(tmp_path):
    import warnings

    from tests.helpers.paths import CONFIGS

    assert issubclass(lrplot.LrplotWarning, UserWarning)
    overrides = ["scheduler.T_max=50", "steps=500"]  # README's own mis-sized cosine: five humps
    with pytest.warns(lrplot.LrplotWarning) as caught:
        lrplot.plot(CONFIGS / "cosine.yaml", set=overrides, annotate="none")
    where = f"{CONFIGS / 'cosine.yaml'}:6:3"
    assert [str(w.message) for w in caught] == [
        f"{where}: warning: 'cosine' lr at step 499: CosineAnnealingLR ends at 0.0999013, 100% of the way from its "
        "floor 1e-05 to its declared peak 0.1; does it run its length (steps, interval, total_steps)? [no-anneal]",
        f"{where}: warning: 'cosine' at step 50: CosineAnnealingLR defines 50 scheduler steps but drives 500; "
        "after step 50 it is past its end [short-schedule]",
        f"{where}: error: 'cosine' lr at step 51: CosineAnnealingLR (T_max=50) rises again after T_max, from 1e-05 "
        "to 0.000108654; set T_max to the updates it drives (500) [rebound]"]
    assert {w.filename for w in caught} == {__file__}  # said at the caller's line, not inside lrplot
    with warnings.catch_warnings():  # the filter a notebook user sets makes them errors
        warnings.filterwarnings("error", category=lrplot.LrplotWarning)
        with pytest.raises(lrplot.LrplotWarning, match=r"\[no-anneal\]$"):
            lrplot.plot(CONFIGS / "cosine.yaml", set=overrides, annotate="none")
        lrplot.plot(CONFIGS / "cosine.yaml", annotate="none")  # a healthy schedule: nothing said


def test_plot_warns_of_nan_values_as_the_command_line_does():
    spec = {"steps": 6, "scheduler": {"type": "LambdaLR", "lr_lambda": "inf * 0 if epoch > 2 else 1"}}
    with pytest.warns(lrplot.LrplotWarning) as caught:
        lrplot.plot(spec, annotate="none")
    assert [str(w.message) for w in caught if "NaN" in str(w.message)] == [
        "'spec' lr of group 0 is NaN or infinite at 3 step(s), first at step 3; drawn where finite"]
