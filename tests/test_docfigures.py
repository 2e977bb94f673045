"""Doc-figure images (Sphinx, MkDocs): the image cache holds only images lrplot rendered, and a
figure's pixels are bounded before anything is drawn."""

from __future__ import annotations

import hashlib
import os

import pytest

from lrplot.docfigures import parse_options, render_images
from lrplot.errors import UsageError
from lrplot.spec import parse_spec

SPEC = "steps: 20\nscheduler: {type: StepLR, step_size: 5}\n"


def test_a_folder_planted_where_an_image_goes_is_one_error_line(tmp_path):
    from lrplot.errors import OutputError

    spec, figure = parse_spec(SPEC, "s.yaml"), parse_options({})
    (first,) = render_images(spec, figure, tmp_path / "cache")
    first.path.unlink()
    first.path.mkdir()
    with pytest.raises(OutputError) as exc:
        render_images(spec, figure, tmp_path / "cache")
    assert exc.value.format() == f"{first.path}: cannot write: Is a directory"


@pytest.mark.parametrize("plant", ["symlink", "other bytes", "no digest", "pipe"])
def test_a_planted_cache_entry_is_rendered_over_never_published(tmp_path, plant):
    spec, figure = parse_spec(SPEC, "s.yaml"), parse_options({})
    (first,) = render_images(spec, figure, tmp_path / "cache")
    truth = first.path.read_bytes()
    secret = tmp_path / "secret"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    if plant == "symlink":
        first.path.unlink()
        first.path.symlink_to(secret)
    elif plant == "other bytes":
        first.path.write_bytes(secret.read_bytes())
    elif plant == "pipe":
        first.path.unlink()
        os.mkfifo(first.path)
    else:
        first.path.with_name(first.path.name + ".sha256").unlink()
    (again,) = render_images(spec, figure, tmp_path / "cache")
    assert again.path == first.path and again.rendered
    assert not again.path.is_symlink() and again.path.read_bytes() == truth
    assert secret.read_text().startswith("root:")
    (third,) = render_images(spec, figure, tmp_path / "cache")
    assert not third.rendered  # sealed again: a sound entry is used
    seal = third.path.with_name(third.path.name + ".sha256").read_text()
    assert seal == hashlib.sha256(truth).hexdigest()


def test_the_pixel_limit_is_checked_before_drawing(tmp_path):
    with pytest.raises(UsageError) as exc:
        parse_options({"size": "100x100", "dpi": "1200"})
    assert exc.value.format() == ("--size 100x100 at --dpi 1200 makes a 120000x120000 pixel figure (14400 "
                                  "megapixels); a figure is at most 64 megapixels; lower --dpi or --size")
    assert not os.path.exists(tmp_path / "cache")


def test_a_figures_formats_drawn_once_are_the_bytes_of_one_render_each(tmp_path):
    """A figure's images of one theme are drawn once and written in each format: the same bytes as
    drawing the figure anew for each format."""
    from lrplot.engine import simulate
    from lrplot.figure import RenderOptions, render_to_bytes

    spec, figure = parse_spec(SPEC, "s.yaml"), parse_options({"formats": "svg,png", "annotate": "peak"})
    images = render_images(spec, figure, tmp_path / "cache")
    assert [(im.theme, im.fmt, im.rendered) for im in images] == [("light", "svg", True), ("light", "png", True)]
    curves, opts = simulate(spec), RenderOptions(**figure.render)
    for im in images:
        assert im.path.read_bytes() == render_to_bytes(curves, im.fmt, opts), im.fmt
