"""Shared test helpers. torch is imported once per session (by whichever test needs it first)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"


@pytest.fixture
def write_spec(tmp_path):
    """write_spec(text, name="spec.yaml") -> Path of a spec file in a temporary folder."""

    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """cli(*args) runs lrplot in-process with the temporary folder as working directory."""
    from lrplot.cli import app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty curve cache (never the user's)."""
    monkeypatch.setenv("LRPLOT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


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


@pytest.fixture(scope="session")
def real_timm():
    """timm's real ``timm.scheduler`` module (see :func:`install_timm_stub`)."""
    if not install_timm_stub():
        pytest.skip("timm is not installed (pip install --no-deps timm)")
    import timm.scheduler

    return timm.scheduler
