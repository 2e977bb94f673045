"""The lean-torch trick: ``import torch`` without the modules only tracing uses, while plain specs are simulated.

Its switch is ``LRPLOT_NO_LEAN_TORCH`` (see the table in ``lrplot/tricks/__init__.py``); its shape check is
:func:`lean_torch_shape`; tests in tests/test_tricks.py, tests/test_startup.py and tests/test_dependency_shapes.py.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from contextlib import contextmanager
from types import ModuleType
from typing import Any, Iterator

from .switches import enabled

# ``import torch`` ends with ``from torch import _meta_registrations`` (≈ 0.3 s CPU, a fifth of it):
# torch._decomp, _prims, _refs and the Python "meta" kernels (shapes of ``meta``-device tensors) that only tracing
# uses (torch.compile, torch.export, fake tensors); CPU optimizers and schedulers use none. While the command
# simulates specs naming no code of their own, a stand-in is bound instead; it loads the real module when anything
# reads from it or imports the tracing machinery, and is removed afterwards (a later import gets the real one).

META = "torch._meta_registrations"
_META_IMPORT = "from torch import _meta_registrations"


def lean_torch_shape() -> bool:
    """torch's ``__init__.py`` imports ``torch._meta_registrations`` in the one statement this trick
    was verified on (torch 2.13), and reads nothing from it."""
    import importlib.util
    import re

    try:
        found = importlib.util.find_spec("torch")
        if found is None or not found.origin:
            return False
        init = os.path.join(os.path.dirname(found.origin), "__init__.py")
        with open(init, encoding="utf-8") as fh:
            text = fh.read()
    except (ImportError, OSError, ValueError):
        return False
    uses = re.findall(r"(?<![\w.])_meta_registrations\b.*", text)
    return text.count(_META_IMPORT) == 1 and len(uses) == 1 \
        and os.path.isfile(os.path.join(os.path.dirname(found.origin), "_meta_registrations.py"))


# the packages whose import means tracing machinery is wanted: the real module is loaded before them
_META_USERS = ("torch._decomp", "torch._dynamo", "torch._inductor", "torch._prims", "torch._refs")


def _unbind(stand_in: ModuleType) -> None:
    """The stand-in gone from ``sys.modules`` and torch: the next import loads the real module."""
    if sys.modules.get(META) is stand_in:
        del sys.modules[META]
    torch = sys.modules.get("torch")
    if torch is not None and vars(torch).get("_meta_registrations") is stand_in:
        delattr(torch, "_meta_registrations")


def _load_meta(stand_in: ModuleType) -> ModuleType:
    """The real torch._meta_registrations in place of ``stand_in``."""
    import importlib

    _unbind(stand_in)
    return importlib.import_module(META)


def whole_torch() -> None:
    """torch's meta kernels registered if a lean import left them out, before code of a spec's own runs
    (``lrplot watch`` may simulate a plain spec, then the same file edited to name a ``module:Class``)."""
    if "torch" in sys.modules and META not in sys.modules:
        import importlib

        importlib.import_module(META)


class _Deferred(ModuleType):
    """Stands for torch._meta_registrations: any name read from it loads the real module first."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_load_meta(self), name)


class _LeanFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the stand-in once; loads the real module before the tracing machinery is imported."""

    def __init__(self) -> None:
        self.stand_in: _Deferred | None = None
        self.loaded = False

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname == META and self.stand_in is None:
            return importlib.machinery.ModuleSpec(fullname, self)
        if self.stand_in is not None and not self.loaded and fullname.startswith(_META_USERS) \
                and sys.modules.get(META) is self.stand_in:
            self.loaded = True
            _load_meta(self.stand_in)
        return None

    def create_module(self, spec: Any) -> ModuleType:
        self.stand_in = _Deferred(spec.name)
        return self.stand_in

    def exec_module(self, module: ModuleType) -> None:
        pass


class _MetaFirst(importlib.abc.MetaPathFinder):
    """Left behind by a lean run: the real torch._meta_registrations is loaded before the tracing machinery
    is first imported, as torch's own import loads it (it imports _decomp, _prims and _refs in an order of
    its own). Imported first in another order, they import each other in a circle: ``import torch._dynamo``
    (which torch.optim's first ``step`` does) fails with a partially initialized torch.utils._content_store,
    and a meta kernel that another path registered first cannot be registered again."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname == META or fullname.startswith(_META_USERS):
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            if fullname != META:
                whole_torch()
                module = sys.modules.pop(fullname, None)
                if module is not None:  # the meta kernels imported it themselves (torch._prims, torch._refs)
                    return importlib.machinery.ModuleSpec(fullname, _Imported(module))
        return None


class _Imported(importlib.abc.Loader):
    """Gives the import under way the module :func:`whole_torch` has just imported. Python would otherwise run
    it a second time (it looked the name up before asking the finders), and torch._prims registers its
    operator library once per process ("Only a single TORCH_LIBRARY can be used to register the namespace
    prims"), torch._refs its kernels ("duplicate registrations")."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec: Any) -> ModuleType:
        return self.module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self.spec  # the import set this finder's spec on it: its own again


@contextmanager
def lean_torch() -> Iterator[bool]:
    """While active, a first ``import torch`` leaves torch._meta_registrations unloaded (yields True);
    afterwards the stand-in is gone, so a later import of that module loads it, and :class:`_MetaFirst`
    loads it before anything imports the tracing machinery. Switched off, with torch
    already imported or another torch: nothing changes (yields False)."""
    if not enabled("lean-torch") or "torch" in sys.modules or not lean_torch_shape():
        yield False
        return
    finder = _LeanFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield True
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
        if finder.stand_in is not None:
            _unbind(finder.stand_in)
        if "torch" in sys.modules and META not in sys.modules \
                and not any(isinstance(f, _MetaFirst) for f in sys.meta_path):
            sys.meta_path.insert(0, _MetaFirst())
