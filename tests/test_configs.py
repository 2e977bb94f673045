"""Every example config simulates and renders. Configs that name other libraries' schedulers are
run with the --allow-import names they need, and skip (saying why) where that library is absent;
timm's real scheduler code runs through the stub parent package of tests/helpers/timm_stub.py (its package
``__init__`` needs torchvision, which has no CPU build here)."""

import pytest

from lrplot.figure import RenderOptions, render_themed
from lrplot.engine import simulate
from lrplot.spec import load_spec

from tests.helpers.configs import CONFIG_FILES, import_needs, importable
from tests.helpers.schedulers import all_torch_schedulers


def test_there_is_a_config_per_scheduler():
    text = "".join(p.read_text() for p in CONFIG_FILES)
    for name in all_torch_schedulers():
        assert f"type: {name}" in text, name


def test_there_is_a_config_per_library():
    names = {import_needs(load_spec(p))[1][0] for p in CONFIG_FILES if import_needs(load_spec(p))[1]}
    assert names == {"pytorch_accelerated", "transformers", "timm", "torch"}


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.stem)
def test_config_renders_to_png_and_svg(path, tmp_path):
    spec = load_spec(path)
    allow, needs = import_needs(spec)
    missing = [n for n in needs if not importable(n)]
    if missing:
        pytest.skip(f"{path.name} needs {', '.join(missing)}, which does not import here")
    curves = simulate(spec, allow_import=allow)
    # drawn once, written in both formats (render_themed: the bytes of one render_to_file per format)
    blobs = render_themed(curves, [("light", "png"), ("light", "svg")], RenderOptions())
    assert blobs[("light", "png")].startswith(b"\x89PNG") and blobs[("light", "svg")].lstrip().startswith(b"<?xml")
    assert all(len(blob) > 5000 for blob in blobs.values())
