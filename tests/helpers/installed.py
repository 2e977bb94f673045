"""Whether optional libraries are installed, found without importing them.

``pytest.importorskip`` at a module's top imports the library when the module is collected, in every
run and on every pytest-xdist worker, ``-m "not slow"`` included: Lightning alone costs seconds. A
test module calls :func:`require` at its top instead and imports the library where a test uses it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


def installed(name: str) -> bool:
    """True when the top-level package ``name`` can be imported (it is not imported). A package
    already in ``sys.modules`` counts, also a stand-in parent (tests/helpers/framework_stub.py), whose
    ``__spec__`` is None: find_spec raises ValueError for it, which read as "not installed"."""
    import sys

    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def require(*names: str) -> None:
    """Skip the calling test module when one of the packages is not installed."""
    missing = [name for name in names if not installed(name)]
    if missing:
        pytest.skip(f"{', '.join(missing)} is not installed", allow_module_level=True)


needs_accelerated = pytest.mark.skipif(
    not installed("pytorch_accelerated"),
    reason="pytorch-accelerated is not installed (pip install 'lrplot[accelerated]' or '.[test]')")
needs_transformers = pytest.mark.skipif(
    not installed("transformers"),
    reason="transformers is not installed (pip install 'lrplot[transformers]' or '.[test]')")


def release(name: str) -> tuple[int, ...] | None:
    """The installed distribution's release as numbers (``(0, 3, 0)``), or None; nothing is imported."""
    import re
    from importlib import metadata

    try:
        text = metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
    return tuple(int(part) for part in re.findall(r"\d+", text.split("+")[0])[:3])


def torchtitan_registry(module: str) -> Path | None:
    """The file of an installed torchtitan config_registry module (``llama3``), when the installed
    torchtitan is a release after 0.2.2 (its Python config functions); nothing is imported."""
    found = release("torchtitan")
    if found is None or found <= (0, 2, 2):
        return None
    spec = importlib.util.find_spec("torchtitan")
    folder = Path(list(spec.submodule_search_locations)[0]) if spec and spec.submodule_search_locations else None
    path = folder / "models" / module / "config_registry.py" if folder else None
    return path if path is not None and path.is_file() else None
