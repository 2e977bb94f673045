"""The lean-matplotlib trick (lrplot/tricks/leanmpl.py): on, matplotlib is imported without its 3D toolkit and
with the Adobe glyph list unread, and both are there the moment anything asks; off by its switch or by
LRPLOT_NO_TRICKS; the normal import when matplotlib's source does not have the shape verified."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lrplot import tricks
from lrplot.tricks import leanmpl
from tests.helpers.paths import ROOT

_PROBE = """
import json, sys
import lrplot.tricks as t
t.install_startup()
import matplotlib.figure, matplotlib.backends.backend_agg, matplotlib.projections as P
seen = {"mplot3d": "mpl_toolkits.mplot3d" in sys.modules,
        "agl_lazy": type(sys.modules["fontTools.agl"]).__name__ == "_LazyModule",
        "names": P.get_projection_names()}
ax = matplotlib.figure.Figure().add_subplot(projection="3d")
import fontTools.agl, mpl_toolkits.mplot3d as m
seen.update(axes=type(ax).__module__ + "." + type(ax).__name__,
            same=P.Axes3D is m.Axes3D is P.get_projection_class("3d"),
            glyph=fontTools.agl.toUnicode("uni0041"), finders=[type(f).__name__ for f in sys.meta_path])
print(json.dumps(seen))
"""

_NAMES = ["3d", "aitoff", "hammer", "lambert", "mollweide", "polar", "rectilinear"]


@pytest.mark.slow  # a child process importing matplotlib
@pytest.mark.parametrize("switch, lean",
                         [(None, True), ("LRPLOT_NO_LEAN_MATPLOTLIB", False), ("LRPLOT_NO_TRICKS", False)])
def test_lean_matplotlib_defers_3d_and_the_glyph_list_until_asked(switch, lean):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("LRPLOT_NO_LEAN_MATPLOTLIB", tricks.ALL_OFF):
        env.pop(name, None)
    if switch:
        env[switch] = "1"
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert (seen["mplot3d"], seen["agl_lazy"]) == (not lean, lean)
    assert seen["names"] == _NAMES  # the registry lists 3d either way (matplotlib's docstrings name it)
    assert seen["axes"] == "mpl_toolkits.mplot3d.axes3d.Axes3D" and seen["same"] is True
    assert seen["glyph"] == "A"
    assert "LeanMatplotlibFinder" not in seen["finders"]  # served once, then gone


def test_lazy_registry_gives_the_real_axes3d_when_asked():
    from matplotlib import projections
    from mpl_toolkits.mplot3d import Axes3D

    registry = leanmpl.LazyProjections({"rectilinear": projections.axes.Axes, "3d": leanmpl._Placeholder3D})
    assert sorted(registry) == ["3d", "rectilinear"]
    assert registry["3d"] is Axes3D and dict.get(registry, "3d") is Axes3D
    assert registry.get("rectilinear") is projections.axes.Axes and registry.get("nope") is None
    assert leanmpl.LazyProjections({"3d": leanmpl._Placeholder3D}).items() == {"3d": Axes3D}.items()


def test_another_registry_shape_registers_the_real_axes3d():
    """defer_3d's fallback: the registry is no plain dict, so Axes3D is registered as matplotlib would have."""
    from types import ModuleType

    from mpl_toolkits.mplot3d import Axes3D

    class Registry:
        def __init__(self):
            self._all_projection_types = {"3d": leanmpl._Placeholder3D}

        def register(self, projection):
            self._all_projection_types[projection.name] = projection

    module = ModuleType("matplotlib.projections")
    module.projection_registry = Registry()
    module.Axes3D = leanmpl._Placeholder3D
    registry = module.projection_registry
    registry._all_projection_types = type("Other", (dict,), {})(registry._all_projection_types)
    assert leanmpl.defer_3d(module) is False
    assert module.Axes3D is Axes3D and module.projection_registry._all_projection_types["3d"] is Axes3D


@pytest.mark.parametrize("shape_ok", [True, False])
def test_projections_are_imported_normally_when_their_source_differs(monkeypatch, shape_ok):
    import matplotlib

    monkeypatch.setattr(leanmpl, "projections_shape", lambda text: shape_ok)
    monkeypatch.delitem(sys.modules, leanmpl.MPLOT3D, raising=False)  # as before matplotlib's first import
    finder = leanmpl.LeanMatplotlibFinder()
    spec = finder.find_spec(leanmpl.PROJECTIONS, matplotlib.__path__)
    assert ("exec_module" in vars(spec.loader)) is shape_ok  # wrapped only for the verified shape
    monkeypatch.setattr(leanmpl, "dviread_shape", lambda text: shape_ok)
    import fontTools

    spec = finder.find_spec(leanmpl.AGL, fontTools.__path__)
    assert (type(spec.loader).__name__ == "LazyLoader") is shape_ok


def test_shape_checks_refuse_other_sources():
    assert not leanmpl.projections_shape("from mpl_toolkits.mplot3d import Axes3D, art3d\n")
    assert not leanmpl.projections_shape(None)
    assert not leanmpl.dviread_shape("import fontTools.agl\nGLYPHS = fontTools.agl.AGL2UV\n")
    assert not leanmpl.dviread_shape("from fontTools.agl import toUnicode\n")


def test_lean_matplotlib_switched_off_or_late_does_nothing(monkeypatch):
    monkeypatch.setenv("LRPLOT_NO_LEAN_MATPLOTLIB", "1")
    assert leanmpl.install_lean_matplotlib() is None
    monkeypatch.delenv("LRPLOT_NO_LEAN_MATPLOTLIB")
    monkeypatch.delenv(tricks.ALL_OFF, raising=False)
    import matplotlib.projections

    assert matplotlib.projections.projection_registry  # already imported: too late to serve it lean
    assert leanmpl.install_lean_matplotlib() is None
