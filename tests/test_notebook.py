"""A figure of ``lrplot.plot(...)`` shown by IPython as a notebook shows it: the display hook's formatter and
publisher, with and without matplotlib-inline's backend (which a kernel sets up as soon as pyplot is used)."""

from __future__ import annotations

import pytest

import lrplot
from lrplot.figure.notebook import figure_bytes
from tests.helpers.paths import CONFIGS

pytest.importorskip("IPython", reason="IPython is not installed (the test extra has it)")
backend_inline = pytest.importorskip("matplotlib_inline.backend_inline",
                                     reason="matplotlib-inline is not installed (the test extra has it)")


@pytest.fixture
def shell():
    """IPython's shell, recording what it publishes for display (what a notebook receives)."""
    import matplotlib
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    shown: list[dict] = []
    publish = sh.display_pub.publish
    sh.display_pub.publish = lambda data, metadata=None, **kw: shown.append(data)
    with matplotlib.rc_context():  # the inline backend's settings stay in this test
        yield sh, shown
        backend_inline.configure_inline_support(sh, "other")
    sh.display_pub.publish = publish


def show(sh, fig) -> None:
    """What the display hook does with a cell's last value (``fig`` alone on a line)."""
    data, metadata = sh.display_formatter.format(fig)
    if data:
        sh.display_pub.publish(data, metadata)


def test_a_figure_shows_one_png_the_bytes_save_figure_writes(shell, tmp_path):
    # before: IPython published a PNG and an SVG for every display (it asks each _repr_*_ method beside the
    # bundle), and a notebook shows the SVG of the two
    sh, shown = shell
    fig = lrplot.plot(CONFIGS / "cosine.yaml", theme="dark")
    show(sh, fig)
    lrplot.save_figure(fig, tmp_path / "f.png")
    assert [sorted(d) for d in shown] == [["image/png", "text/plain"]]
    assert shown[0]["image/png"] == (tmp_path / "f.png").read_bytes() == figure_bytes(fig, "png")


def test_with_the_inline_backend_a_figure_still_shows_its_own_bytes(shell):
    # before: the inline backend's formatter for every matplotlib Figure won over the figure's own PNG: a
    # cropped re-rendering (1217 x 661 pixels, not 1200 x 675), not what save_figure writes
    sh, shown = shell
    backend_inline.configure_inline_support(sh, "module://matplotlib_inline.backend_inline")
    fig = lrplot.plot(CONFIGS / "cosine.yaml")
    show(sh, fig)
    assert [sorted(d) for d in shown] == [["image/png", "text/plain"]]
    assert shown[0]["image/png"] == figure_bytes(fig, "png")
    shown.clear()
    sh.run_line_magic("config", "InlineBackend.figure_formats = ['svg']")  # how a notebook asks for SVG
    show(sh, fig)
    assert [sorted(d) for d in shown] == [["image/svg+xml", "text/plain"]]
    svg = shown[0]["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml") and svg.rstrip().endswith("</svg>")
