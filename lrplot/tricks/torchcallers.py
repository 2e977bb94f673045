"""The torch-callers trick: torch's import asks ``inspect`` for its callers' modules without a walk of every module.

Its switch is ``LRPLOT_NO_TORCH_CALLERS`` (see the table in ``lrplot/tricks/__init__.py``); its shape check is
:func:`callers_shape`; tests in tests/test_tricks_mpl.py and tests/test_dependency_shapes.py.

While importing, torch registers the fake kernels of its custom ops (torch/_library/custom_ops.py), and
``Library._register_fake`` (torch/library.py) names the registering module with ``inspect.getmodule(frame)``
and the place with ``torch._library.utils.get_source``, i.e. ``inspect.getframeinfo``, whose ``findsource``
calls ``inspect.getmodule`` again. The first ``getmodule`` of a file it has not mapped yet walks every module
loaded (≈ 1,100 with torch) and resolves each file's real path: ≈ 0.05 s CPU of a cold run. For a frame,
that walk finds the module the frame's code belongs to, the module named by the frame's globals whose
``__file__`` is the code's file; this trick answers that directly while the lean torch import is active, and
asks ``inspect`` as before for anything else (any other object, a file another module was mapped to).
"""

from __future__ import annotations

import inspect
import os
import sys
from contextlib import contextmanager
from types import FrameType, ModuleType
from typing import Any, Iterator

from .switches import enabled


def callers_shape() -> bool:
    """torch 2.13's ``Library._register_fake`` calls ``inspect.getmodule(frame)`` and ``get_source``
    calls ``inspect.getframeinfo``, read from their source files (torch not imported); ``inspect`` has
    the caches ``modulesbyfile`` and the function ``getabsfile`` its ``getmodule`` uses."""
    import importlib.util

    try:
        found = importlib.util.find_spec("torch")
        if found is None or not found.origin:
            return False
        root = os.path.dirname(found.origin)
        with open(os.path.join(root, "library.py"), encoding="utf-8") as fh:
            library = fh.read()
        with open(os.path.join(root, "_library", "utils.py"), encoding="utf-8") as fh:
            utils = fh.read()
    except (ImportError, OSError, ValueError):
        return False
    return "caller_module = inspect.getmodule(frame)" in library \
        and "frame = inspect.getframeinfo(sys._getframe(stacklevel))" in utils \
        and isinstance(getattr(inspect, "modulesbyfile", None), dict) and callable(getattr(inspect, "getabsfile", None))


def frame_module(frame: FrameType) -> ModuleType | None:
    """The module a frame's code belongs to, when its globals name a loaded module whose ``__file__`` is the
    code's file and ``inspect`` has mapped that file to no other module; else None (ask ``inspect``)."""
    name = frame.f_globals.get("__name__")
    module = sys.modules.get(name) if isinstance(name, str) else None
    filename = frame.f_code.co_filename
    if module is None or getattr(module, "__file__", None) != filename:
        return None
    known = inspect.modulesbyfile.get(inspect.getabsfile(frame))  # type: ignore[attr-defined]
    return module if known is None or known == name else None


@contextmanager
def quick_callers() -> Iterator[bool]:
    """While active, ``inspect.getmodule`` of a frame is answered by :func:`frame_module` (yields True);
    switched off, with torch already imported or another torch: nothing changes (yields False)."""
    if not enabled("torch-callers") or "torch" in sys.modules or not callers_shape():
        yield False
        return
    original = inspect.getmodule

    def getmodule(object: Any, _filename: Any = None) -> Any:  # noqa: A002  # inspect's own parameter name
        if isinstance(object, FrameType):
            module = frame_module(object)
            if module is not None:
                return module
        return original(object, _filename)

    inspect.getmodule = getmodule  # type: ignore[assignment]
    try:
        yield True
    finally:
        if inspect.getmodule is getmodule:
            inspect.getmodule = original  # type: ignore[assignment]
