"""Whether optional libraries are installed, found without importing them.

``pytest.importorskip`` at a module's top imports the library when the module is collected, in every
run and on every pytest-xdist worker, ``-m "not slow"`` included: Lightning alone costs seconds. A
test module calls :func:`require` at its top instead and imports the library where a test uses it.
"""

from __future__ import annotations

import importlib.util

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
