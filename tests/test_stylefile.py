"""--style files are checked before anything is drawn: only matplotlib settings lrplot can draw
with, each refusal one line at file:line, never the file's text quoted (issue 18)."""

from __future__ import annotations

import pytest

SPEC = "steps: 10\nscheduler: {type: StepLR, step_size: 2}\n"


@pytest.mark.parametrize("text, line", [
    ("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n",
     "s.mplstyle:1: 'root' is not a matplotlib setting; a style file holds 'setting: value' lines of "
     "matplotlib's rcParams"),
    ("# a comment\nthis is not a style\n",
     "s.mplstyle:2: not a matplotlib style file: a style file holds 'setting: value' lines; give a .mplstyle "
     "file, or a matplotlib style name"),
    ("text.usetex: True\n",
     "s.mplstyle:1: text.usetex needs a LaTeX installation, which lrplot does not run; remove the line "
     "(matplotlib's own text rendering draws the same labels)"),
    ("axes.prop_cycle: cycler('color', [])\n",
     "s.mplstyle:1: axes.prop_cycle is empty: the curves need at least one colour"),
    ("font.size: 1e300\n", "s.mplstyle:1: font.size: 1e+300 is out of range; a size in a style is at most 1000"),
    ("xtick.major.size: 1e300\n",
     "s.mplstyle:1: xtick.major.size: 1e+300 is out of range; a size in a style is at most 1000"),
    ("font.size: nan\n", "s.mplstyle:1: font.size: nan is not a finite number"),
    ("lines.linewidth: wide\n",
     "s.mplstyle:1: lines.linewidth: not a valid value (Could not convert 'wide' to float)"),
])
def test_a_style_file_lrplot_cannot_draw_with_is_one_line(cli, tmp_path, text, line):
    (tmp_path / "s.yaml").write_text(SPEC)
    (tmp_path / "s.mplstyle").write_text(text)
    r = cli("s.yaml", "--style", "s.mplstyle", "-o", "s.png", "-q")
    assert r.exit_code == 2, r.output
    assert r.output == line + "\n"
    assert "/bin/bash" not in r.output and not (tmp_path / "s.png").exists()


def test_a_sound_style_file_draws_as_matplotlib_would(cli, tmp_path):
    import matplotlib

    (tmp_path / "s.yaml").write_text(SPEC)
    (tmp_path / "s.mplstyle").write_text('axes.facecolor: "#eeeeee"  # grey\nlines.linewidth: 3\nbackend: agg\n')
    from lrplot.figure import RenderOptions, render

    from lrplot import load_spec, simulate

    fig = render(simulate(load_spec(tmp_path / "s.yaml")), options=RenderOptions(theme=str(tmp_path / "s.mplstyle")))
    axis = fig.axes[0]
    assert matplotlib.colors.to_hex(axis.get_facecolor()) == "#eeeeee"
    assert axis.get_lines()[0].get_linewidth() == 3
    r = cli("s.yaml", "--style", "s.mplstyle", "-o", "s.png", "-q")
    assert r.exit_code == 0 and (tmp_path / "s.png").stat().st_size > 0


def test_names_from_inputs_reach_the_figure_escaped(tmp_path):
    import lrplot
    from lrplot.logs import load_log

    (tmp_path / "g.csv").write_text("step,group,lr\n0,a\x1b[31mb,0.1\n0,c,0.2\n")
    fig = lrplot.render(load_log(tmp_path / "g.csv"))
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == ["a\\x1b[31mb", "c"]  # a log drawn alone keeps its own names ("logged" only beside a plan)


def test_a_size_beyond_any_float_is_one_line():
    import lrplot
    from lrplot.errors import UsageError

    with pytest.raises(UsageError) as exc:
        lrplot.plot({"steps": 3, "scheduler": {"type": "StepLR", "step_size": 1}}, size=(10**400, 3))
    assert exc.value.format() == ("size '(100000000000000000000000000000000000000...': expected WIDTHxHEIGHT in "
                                  "inches, each 1 to 100, e.g. 8x4.5")


def test_logged_points_far_past_the_plan_are_drawn_without_an_array_that_long(cli, tmp_path):
    (tmp_path / "s.yaml").write_text(SPEC)
    (tmp_path / "far.csv").write_text("step,lr\n0,0.1\n1000000000000000,0.1\n")
    r = cli("s.yaml", "--log", "far.csv", "-o", "f.png", "-q")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "f.png").stat().st_size > 0
