"""timm's real scheduler code without timm's package ``__init__`` (which needs torchvision)."""

from pathlib import Path


def install_timm_stub() -> bool:
    """Make ``import timm.scheduler`` run timm's REAL scheduler code where ``import timm`` fails.

    timm's package ``__init__`` imports torchvision, which has no working CPU build on these machines;
    ``timm/scheduler/`` needs only torch and numpy. Register an empty parent package ``timm`` whose
    ``__path__`` is the installed timm folder, so its submodules import from there. Test-only: lrplot
    itself imports timm normally. Returns False when timm is not installed at all."""
    import importlib.util
    import sys
    import types

    try:
        import timm.scheduler  # noqa: F401
        return True
    except Exception:  # noqa: BLE001 - torchvision missing, or installed but broken
        pass
    for name in [m for m in sys.modules if m == "timm" or m.startswith("timm.")]:
        del sys.modules[name]
    found = importlib.util.find_spec("timm")
    if found is None or not found.submodule_search_locations:
        return False
    stub = types.ModuleType("timm")
    stub.__path__ = list(found.submodule_search_locations)
    stub.__file__ = str(Path(stub.__path__[0]) / "__init__.py")  # inspect wants a file; it is never run
    sys.modules["timm"] = stub
    import timm.scheduler  # noqa: F401,F811

    return True
