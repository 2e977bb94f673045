"""Every example config simulates and renders. Configs that name other libraries' schedulers are
run with the --allow-import names they need, and skip (saying why) where that library is absent;
timm's real scheduler code runs through the stub parent package of tests/conftest.py (its package
``__init__`` needs torchvision, which has no CPU build here)."""

import importlib.util

import pytest

from lrplot.imports import Allowance
from lrplot.walk import nodes, parse_target
from lrplot.spec import is_import_path
from lrplot.figure import RenderOptions, render_to_file
from lrplot.engine import simulate
from lrplot.spec import load_spec

from .conftest import CONFIGS, install_timm_stub

CONFIG_FILES = sorted(CONFIGS.glob("*.yaml"))
# What the local modules of configs/ import themselves (lrplot only imports the file).
LOCAL_NEEDS = {"accelerated_schedules": "pytorch_accelerated", "my_schedules": "torch"}


def import_needs(spec):
    """(--allow-import values, libraries that must be installed) of a spec."""
    allow, needs = set(), set()

    for sched in nodes(spec):
        if is_import_path(sched.type):
            target = parse_target(spec, sched)
            if not Allowance().permits(target):  # not trusted by default
                allow.add(str(target.file.resolve()) if target.file else target.allow_name)
            needs.add(LOCAL_NEEDS[target.file.stem] if target.file else target.allow_name)
    return sorted(allow), sorted(needs)


def importable(name):
    if name == "timm":  # timm's __init__ imports torchvision; its scheduler code runs through a stub parent
        return install_timm_stub()
    return importlib.util.find_spec(name) is not None


def test_there_is_a_config_per_scheduler():
    text = "".join(p.read_text() for p in CONFIG_FILES)
    from tests.test_simulate import all_torch_schedulers

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
    for suffix in (".png", ".svg"):
        out = render_to_file(curves, tmp_path / f"{path.stem}{suffix}", RenderOptions())
        assert out.stat().st_size > 5000
