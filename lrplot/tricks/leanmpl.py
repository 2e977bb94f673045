"""The lean-matplotlib trick: matplotlib's import without the 3D toolkit and the Adobe glyph list a 2D PNG never uses.

Its switch is ``LRPLOT_NO_LEAN_MATPLOTLIB`` (see the table in ``lrplot/tricks/__init__.py``); its shape checks
are :func:`projections_shape` and :func:`dviread_shape`; tests in tests/test_tricks_mpl.py and
tests/test_dependency_shapes.py.

Importing ``matplotlib.figure`` imports two things no lrplot figure reads (≈ 30 ms CPU, ≈ 5% of a re-run):

- ``matplotlib.projections`` imports ``mpl_toolkits.mplot3d`` (Axes3D, its axis and artists) only to register
  it under the name ``3d``. Here a placeholder named ``3d`` is registered instead, and the registry loads the
  real Axes3D the first time anything asks for the ``3d`` projection (``add_subplot(projection="3d")``); so does
  reading ``matplotlib.projections.Axes3D``, and ``import mpl_toolkits.mplot3d`` imports the real package.
- ``matplotlib.dviread`` does ``import fontTools.agl``, which builds the Adobe glyph list at import, and reads it
  only in a function (usetex text). That module is imported through the standard library's ``LazyLoader``:
  its code runs the first time any name is read from it.

Anything unexpected (another source layout, a registry that is not a plain dict) gives the normal import.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Any

from .switches import enabled

PROJECTIONS = "matplotlib.projections"
MPLOT3D = "mpl_toolkits.mplot3d"
AGL = "fontTools.agl"
_IMPORT_3D = "from mpl_toolkits.mplot3d import Axes3D"
_REGISTER_3D = "projection_registry.register(Axes3D)"
_NAME_3D = "3d"


def _source(spec: Any) -> str | None:
    try:
        with open(spec.origin, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, TypeError, ValueError):
        return None


def projections_shape(text: str | None) -> bool:
    """matplotlib/projections/__init__.py imports Axes3D in the one statement this trick was verified on
    (matplotlib 3.11), registers it once, and names it nowhere else but in the guard that drops it."""
    if not text:
        return False
    return text.count(_IMPORT_3D) == 1 and text.count(_REGISTER_3D) == 1 \
        and text.count("Axes3D") == 6 and "mplot3d" not in text.replace(_IMPORT_3D, "") \
        and "projection_registry = ProjectionRegistry()" in text


def dviread_shape(text: str | None) -> bool:
    """matplotlib/dviread.py imports ``fontTools.agl`` as a whole module and reads from it only inside
    functions (indented lines), never at import."""
    if not text:
        return False
    lines = text.splitlines()
    uses = [line for line in lines if "fontTools" in line]
    return "import fontTools.agl" in lines and "from fontTools" not in text \
        and all(line == "import fontTools.agl" or line.startswith(" ") for line in uses)


class _Placeholder3D:
    """Registered as ``3d`` in place of Axes3D until something asks for that projection."""

    name = _NAME_3D


def _real_axes3d() -> Any:
    import importlib

    return importlib.import_module(MPLOT3D).Axes3D


class LazyProjections(dict):
    """matplotlib's projection registry: the placeholder turns into the real Axes3D when read."""

    def _resolved(self, key: Any, value: Any) -> Any:
        if value is not _Placeholder3D:
            return value
        try:
            value = _real_axes3d()
        except Exception:  # the toolkit cannot be imported: as matplotlib without it, no 3d projection
            if dict.get(self, key) is _Placeholder3D:
                dict.__delitem__(self, key)
            raise KeyError(key) from None
        if dict.get(self, key) is _Placeholder3D:
            dict.__setitem__(self, key, value)
        return value

    def __getitem__(self, key: Any) -> Any:
        return self._resolved(key, dict.__getitem__(self, key))

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            return default
        return self[key]

    def values(self) -> Any:
        self._resolve_all()
        return dict.values(self)

    def items(self) -> Any:
        self._resolve_all()
        return dict.items(self)

    def _resolve_all(self) -> None:
        for key in [k for k, v in dict.items(self) if v is _Placeholder3D]:
            try:
                self[key]
            except KeyError:
                pass


def _module_getattr(name: str) -> Any:
    """``matplotlib.projections.Axes3D``, read for the first time: the real class (and kept)."""
    if name == "Axes3D":
        value = _real_axes3d()
        module = sys.modules.get(PROJECTIONS)
        if module is not None:
            module.Axes3D = value
        return value
    raise AttributeError(f"module {PROJECTIONS!r} has no attribute {name!r}")


def _stand_in() -> ModuleType:
    module = ModuleType(MPLOT3D)
    module.Axes3D = _Placeholder3D  # type: ignore[attr-defined]
    return module


def defer_3d(module: ModuleType) -> bool:
    """After matplotlib.projections ran with the stand-in: the registry made lazy, or (anything unexpected)
    the real Axes3D registered as matplotlib would have; True when the 3D toolkit stays unloaded."""
    registry = getattr(module, "projection_registry", None)
    types = getattr(registry, "_all_projection_types", None)
    if type(types) is dict and types.get(_NAME_3D) is _Placeholder3D and vars(module).get("Axes3D") is _Placeholder3D:
        registry._all_projection_types = LazyProjections(types)  # type: ignore[union-attr]
        del module.Axes3D
        module.__getattr__ = _module_getattr  # type: ignore[attr-defined]
        return True
    real = _real_axes3d()  # the normal import's result, registered as matplotlib registers it
    if isinstance(types, dict) and dict.get(types, _NAME_3D) is _Placeholder3D:
        registry.register(real)  # type: ignore[union-attr]
    if vars(module).get("Axes3D") is _Placeholder3D:
        module.Axes3D = real
    return False


class LeanMatplotlibFinder(importlib.abc.MetaPathFinder):
    """Finds matplotlib.projections and fontTools.agl as the path finder would, the first wrapped as above,
    the second behind a LazyLoader; leaves ``sys.meta_path`` once both were served."""

    def __init__(self) -> None:
        self.pending = {PROJECTIONS, AGL}
        self.deferred: dict[str, bool] = {}

    def _done(self, fullname: str) -> None:
        self.pending.discard(fullname)
        if not self.pending and self in sys.meta_path:
            sys.meta_path.remove(self)

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in self.pending:
            return None
        self._done(fullname)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        loader = getattr(spec, "loader", None)
        if spec is None or not isinstance(loader, importlib.machinery.SourceFileLoader):
            return spec
        if fullname == AGL:
            if dviread_shape(_source(importlib.machinery.PathFinder.find_spec("matplotlib.dviread", _mpl_path()))):
                spec.loader = importlib.util.LazyLoader(loader)
                self.deferred[AGL] = True
            return spec
        if MPLOT3D in sys.modules or not projections_shape(_source(spec)):
            return spec
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            sys.modules[MPLOT3D] = stand_in = _stand_in()
            try:
                run(module)
            finally:
                if sys.modules.get(MPLOT3D) is stand_in:
                    del sys.modules[MPLOT3D]
            self.deferred[PROJECTIONS] = defer_3d(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]  # this loader serves this module only
        return spec


def _mpl_path() -> Any:
    mpl = sys.modules.get("matplotlib")
    return getattr(mpl, "__path__", None)


def install_lean_matplotlib() -> LeanMatplotlibFinder | None:
    """Serve matplotlib's next import lean (a command-line process, before matplotlib is imported); None when
    switched off, or matplotlib's projections were already imported."""
    if not enabled("lean-matplotlib") or PROJECTIONS in sys.modules \
            or any(isinstance(f, LeanMatplotlibFinder) for f in sys.meta_path):
        return None
    finder = LeanMatplotlibFinder()
    if AGL in sys.modules:
        finder.pending.discard(AGL)
    sys.meta_path.insert(0, finder)
    return finder
