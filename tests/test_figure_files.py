"""Saving a figure that keeps its layout engine (what ``lrplot.plot`` and ``lrplot.render`` return):
every save starts from the layout lrplot left (lrplot/figure/files.py), so the same figure gives the
same bytes however often and in whatever order of formats it is saved, while what its owner adds
later is still laid out. And the shape of the matplotlib internals that relies on."""

from __future__ import annotations

import inspect

import pytest

import lrplot
from lrplot.figure.files import write_figure

from tests.helpers.paths import CONFIGS


def _bytes(fig, fmt):
    import io

    buffer = io.BytesIO()
    write_figure(fig, buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("config, layout", [("cosine.yaml", None), ("two_groups.yaml", "groups"),
                                            ("compare.yaml", None)])
def test_one_figure_saved_again_and_in_other_formats_gives_the_same_bytes(config, layout):
    """On main each SVG save moved the axes by up to 1e-4 px (three saves: three different files)."""
    fig = lrplot.plot(CONFIGS / config, **({"layout": layout} if layout else {}))
    first = {fmt: _bytes(fig, fmt) for fmt in ("svg", "pdf", "png")}
    again = {fmt: _bytes(fig, fmt) for fmt in ("png", "svg", "pdf", "svg")}
    assert again == first
    assert fig.get_layout_engine() is not None  # still the owner's to change


def test_what_the_owner_adds_after_a_save_is_laid_out_at_the_next():
    fig = lrplot.plot(CONFIGS / "cosine.yaml")
    ax = fig.axes[0]
    tops: list[float] = []
    fig.canvas.mpl_connect("draw_event", lambda event: tops.append(ax.get_position().y1))
    _bytes(fig, "png")
    fig.suptitle("A title its owner added\nover two lines", fontsize=20)
    with_title = _bytes(fig, "png")
    assert tops[-1] < tops[0] - 0.05  # the axes made room for the title
    assert _bytes(fig, "png") == with_title


def test_the_matplotlib_internals_the_save_relies_on_keep_their_shape():
    """``Axes._set_position(pos, which=...)`` keeps the axes in the layout where the public
    ``set_position`` takes them out; the figure keeps its super title and labels as attributes."""
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    assert list(inspect.signature(Axes._set_position).parameters) == ["self", "pos", "which"]
    fig = Figure(layout="constrained")
    ax = fig.add_subplot()
    ax._set_position(ax.get_position(), which="active")
    assert ax.get_in_layout()
    ax.set_position(ax.get_position())
    assert not ax.get_in_layout()
    fig.suptitle("t"), fig.supxlabel("x"), fig.supylabel("y")
    assert [getattr(fig, n).get_text() for n in ("_suptitle", "_supxlabel", "_supylabel")] == ["t", "x", "y"]
