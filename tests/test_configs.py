"""Every example config simulates and renders."""

import pytest

from lrplot.render import RenderOptions, render_to_file
from lrplot.simulate import simulate
from lrplot.spec import load_spec

from .conftest import CONFIGS

CONFIG_FILES = sorted(CONFIGS.glob("*.yaml"))


def test_there_is_a_config_per_scheduler():
    text = "".join(p.read_text() for p in CONFIG_FILES)
    from tests.test_simulate import all_torch_schedulers

    for name in all_torch_schedulers():
        assert f"type: {name}" in text, name


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.stem)
def test_config_renders_to_png_and_svg(path, tmp_path):
    curves = simulate(load_spec(path))
    for suffix in (".png", ".svg"):
        out = render_to_file(curves, tmp_path / f"{path.stem}{suffix}", RenderOptions())
        assert out.stat().st_size > 5000
