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


@pytest.mark.parametrize("what, value, name", [("directive", ":{}:", ":{}:"), ("block", "{}:", "'{}:'")])
def test_a_message_names_the_option_as_the_document_writes_it(what, value, name):
    # a directive's :xlim: '9,1' was told about --xlim, a flag the document does not have; a block named the key
    # as a bare "size:" where no value follows it ("lower dpi: or size:", "leave log-y: out")
    from lrplot.docfigures import located

    def message(raw):
        with pytest.raises(UsageError) as exc:
            parse_options(raw)
        return located(exc.value, 7, what=what)

    v, n = value.format, name.format
    assert message({"xlim": "9,1"}) == (7, f"lrplot: {v('xlim')} '9,1': expected LOW,HIGH with LOW below HIGH, e.g. 0,1000")
    # the CLI's --style is the document's theme
    assert message({"theme": "nosuch.mplstyle"}) == (7, f"lrplot: {v('theme')} nosuch.mplstyle: no such style file")
    assert message({"size": "100x100", "dpi": "1200"}) == (
        7, f"lrplot: {v('size')} 100x100 at {v('dpi')} 1200 makes a 120000x120000 pixel figure (14400 megapixels); "
           f"a figure is at most 64 megapixels; lower {n('dpi')} or {n('size')}")
    # formats: png, html drew the PNG with the range and a page showing the whole run, without a word
    assert message({"xlim": "0,10", "formats": "png, html"}) == (
        7, f"lrplot: {n('xlim')} is not drawn in the page ({v('formats')} html): it shows the whole run; leave "
           f"{n('xlim')} out, or html out of {n('formats')}")
    assert message({"ylim": "0,1", "log-y": True}) == (
        7, f"lrplot: {v('ylim')} '0,1': a logarithmic y axis ({n('log-y')}) shows only values above 0; give LOW above "
           f"0, e.g. 0.001,1, or leave {n('log-y')} out")


def test_a_blocks_own_keys_are_named_as_the_block_writes_them(tmp_path):
    # a block too small for its labels was told "give a larger size:, e.g. 4x3", a bad set: said its key twice
    # ("set: steps: steps: expected ..."), and a path: block's own bad key was "inline spec line 2:15" (it holds
    # no spec: the block's keys are the block's lines, whatever else it holds)
    from lrplot.docfigures import located, read_block
    from lrplot.errors import LrplotError

    (tmp_path / "s.yaml").write_text(SPEC)

    def message(block):
        with pytest.raises(LrplotError) as exc:
            render_images(*read_block(block, "page.md:lrplot@3", tmp_path)[:2], tmp_path / "cache")
        return located(exc.value, 3, 4, what="block", inline_name="page.md:lrplot@3")

    assert message(SPEC + "size: 1x1\n") == (
        3, "lrplot: the figure is too small at this 'size:' for its title, labels and legend: they would be drawn "
           "over the curves; give a larger 'size:', e.g. 4x3")
    assert message("path: s.yaml\nset: [steps=x]\n") == (3, "lrplot: set: steps: expected an integer, got the text 'x'")
    assert message("path: s.yaml\ndataset-size: 0\n") == (
        5, "lrplot: dataset-size: 0: expected a whole number of at least 1 (block line 2:15; the figure's block is at "
           "line 3)")
    assert message("path: s.yaml\nsteps: 5\n") == (
        5, "lrplot: 'steps': a block with 'path:' takes options only, the spec is in the file (block line 2:1; the "
           "figure's block is at line 3)")
    assert message(SPEC.replace("step_size: 5", "stepsize: 5")) == (
        5, "lrplot: StepLR has no argument 'stepsize'; did you mean 'step_size'? valid: StepLR(step_size, gamma=0.1, "
           "last_epoch=-1) (block line 2:27; the figure's block is at line 3)")


@pytest.mark.parametrize("raw, args", [({"layout": "grid"}, ["--layout", "grid"]), ({"x": "epoch"}, ["--x", "epoch"]),
                                       ({"xlim": "0,5"}, ["--xlim", "0,5"]), ({"ylim": "0,1"}, ["--ylim", "0,1"]),
                                       ({"no-legend": True}, ["--no-legend"]), ({"annotate": "peak"}, ["--annotate", "peak"]),
                                       ({"size": "6x3"}, ["--size", "6x3"]), ({"dpi": "100"}, ["--dpi", "100"]),
                                       ({"annotate": "none"}, None), ({"layout": "overlay"}, None), ({"log-y": True}, None),
                                       ({"title": "T"}, None), ({"no-inset": True}, None)])
def test_a_page_in_the_formats_refuses_what_the_cli_refuses_on_a_page(cli, tmp_path, raw, args):
    (tmp_path / "s.yaml").write_text(SPEC.replace("steps: 20", "steps: 20\nsteps_per_epoch: 5"))
    cli_args = args or [a for k, v in raw.items() for a in ([f"--{k}"] if v is True else [f"--{k}", v])]
    result = cli("s.yaml", "-o", "p.html", "-q", *cli_args)
    if args is None:  # drawn on a page: accepted by both
        assert result.exit_code == 0 and parse_options({**raw, "formats": "png,html"}).formats == ("png", "html")
        return
    flag = "--no-legend" if "no-legend" in raw else args[0]
    assert result.exit_code == 2 and result.stderr.startswith(f"lrplot: {flag} is not drawn in a page (.html): ")
    with pytest.raises(UsageError) as exc:
        parse_options({**raw, "formats": "png,html"})
    why = result.stderr.split(": ", 2)[2].split(";")[0]
    assert exc.value.format() == f"{flag} is not drawn in the page (--formats html): {why}; leave {flag} out, or html out of --formats"
    assert parse_options(raw).formats == ("png",)  # a figure draws it


def test_a_blocks_misspelt_option_is_named_as_the_option(tmp_path):
    # a misspelt option was read as a key of the spec: "'layuot': a block with 'path:' takes options only, the spec
    # is in the file", or, inline, "unknown key 'layuot'; known keys: title, steps, ..." (the spec's keys)
    from lrplot.docfigures import located, read_block
    from lrplot.errors import LrplotError

    (tmp_path / "s.yaml").write_text(SPEC)

    def message(block):
        with pytest.raises(LrplotError) as exc:
            read_block(block, "page.md:lrplot@3", tmp_path)
        return located(exc.value, 3, 4, what="block", inline_name="page.md:lrplot@3")

    assert message("path: s.yaml\nlayuot: grid\n") == (
        5, "lrplot: unknown option 'layuot'; did you mean 'layout'? (block line 2:1; the figure's block is at line 3)")
    assert message(SPEC + "no_legend: true\n") == (  # an inline spec's third line
        6, "lrplot: unknown option 'no_legend'; did you mean 'no-legend'? (block line 3:1; the figure's block is at "
           "line 3)")
    assert message("path: s.yaml\nsteps: 5\n")[1].startswith("lrplot: 'steps': a block with 'path:' takes options only")
    spec, figure, _ = read_block(SPEC + "set: [steps=5]\n", "page.md:lrplot@3", tmp_path)  # 'set' is not 'steps'
    assert spec.steps == 5
