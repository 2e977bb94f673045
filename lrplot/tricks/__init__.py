"""Every process trick lrplot plays on a dependency, each with its switch and its shape check.

A trick makes a process faster or its output cleaner without changing what it computes or draws,
and rests on something a dependency does not promise (a private name, a code layout). So each one
here: (1) has an environment switch that turns it off (``LRPLOT_NO_TRICKS=1`` turns off all);
(2) checks first that the dependency still has the shape it was written for, and otherwise turns
itself off (the process is merely slower, or its help plainer); (3) is tested in
tests/test_tricks.py, and its shape in tests/test_dependency_shapes.py, so a new version of the
dependency fails in the suite, not in a user's run. CONTRIBUTING lists them.

=====================  ========================  ==========================================================
trick                  switch                    what
=====================  ========================  ==========================================================
``artist-docs``        LRPLOT_NO_ARTIST_DOCS     skip matplotlib's per-class Artist ``set()`` docstrings (CLI)
``pydantic-plugins``   LRPLOT_NO_PLUGIN_SKIP     skip pydantic's plugin scan over every entry point (CLI)
``fast-exit``          LRPLOT_NO_FAST_EXIT       leave with ``os._exit`` after the exit handlers (CLI)
``argument-names``     LRPLOT_NO_ARGUMENT_NAMES  ``SPEC...`` in help instead of typer's ``{SPEC}...`` (CLI)
``click-errors``       LRPLOT_NO_CLICK_CLASSES   click's error classes found in typer's vendored copy (CLI)
``dynamo-seed``        LRPLOT_NO_FASTPATH        build optimizers without importing torch._dynamo (all)
``lean-torch``         LRPLOT_NO_LEAN_TORCH      ``import torch`` without its Python meta kernels (CLI, plain specs)
``typer-coercion``     LRPLOT_NO_TYPER_COERCION  plain option values converted without typer's pydantic adapters (CLI)
``lean-matplotlib``    LRPLOT_NO_LEAN_MATPLOTLIB matplotlib imported without its 3D toolkit and glyph list until used (CLI)
=====================  ========================  ==========================================================

This package imports nothing from the rest of lrplot, so any part may use it; the dependencies are imported
only inside the tricks that touch them. The lean-torch trick is in ``leantorch.py``, typer-coercion in
``typercoerce.py``, lean-matplotlib in ``leanmpl.py``, the switches in ``switches.py``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import inspect
import os
import sys
from contextlib import contextmanager
from functools import lru_cache
from types import ModuleType
from typing import Any, Iterator

from .leanmpl import install_lean_matplotlib
from .leantorch import META, lean_torch, lean_torch_shape, whole_torch
from .switches import ALL_OFF, SWITCHES, enabled
from .typercoerce import quick_coercion, quick_coercion_of

__all__ = ["ALL_OFF", "META", "SWITCHES", "enabled", "install_lean_matplotlib", "lean_torch", "lean_torch_shape",
           "quick_coercion", "quick_coercion_of", "whole_torch"]  # and the rest


def install_startup() -> None:
    """The command line's start-up tricks (idempotent); call before matplotlib or pydantic is imported."""
    if enabled("pydantic-plugins"):
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # lrplot's spec models use no plugin
    if enabled("artist-docs") and _ARTIST not in sys.modules \
            and not any(isinstance(f, _ArtistFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _ArtistFinder())
    install_lean_matplotlib()


# --- artist-docs: matplotlib builds a docstring and signature for every Artist subclass's set() ------------
# as it imports them (about 0.1 s, a third of importing matplotlib.figure). A command-line process never
# reads them; a notebook or a docs build that imports lrplot keeps them (it never installs this).

_ARTIST = "matplotlib.artist"


class _ArtistFinder(importlib.abc.MetaPathFinder):
    """Finds ``matplotlib.artist`` as the normal path finder would, and runs :func:`skip_set_docs`
    on it right after its code ran, before any Artist subclass exists."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != _ARTIST:
            return None
        sys.meta_path.remove(self)  # once
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        loader = getattr(spec, "loader", None)
        if spec is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            skip_set_docs(module)

        loader.exec_module = exec_module  # type: ignore[union-attr]  # this loader serves this module only
        return spec


def artist_shape(artist: ModuleType) -> bool:
    """matplotlib.artist still builds ``set()`` docs in ``Artist._update_set_signature_and_docstring``
    with ``kwdoc``, and marks ``Artist.set`` with ``_autogenerated_signature``."""
    cls = getattr(artist, "Artist", None)
    return cls is not None and callable(getattr(cls, "_update_set_signature_and_docstring", None)) \
        and callable(getattr(artist, "kwdoc", None)) \
        and bool(getattr(getattr(cls, "set", None), "_autogenerated_signature", False))


def skip_set_docs(artist: ModuleType) -> bool:
    """Replace matplotlib's per-class ``set`` docstring and signature builders; False (nothing
    done) when matplotlib no longer has the expected shape."""
    if not artist_shape(artist):
        return False
    cls = artist.Artist  # type: ignore[attr-defined]

    def flag_only(klass: type) -> None:
        klass.set._autogenerated_signature = True  # type: ignore[attr-defined]  # what __init_subclass__ checks

    cls._update_set_signature_and_docstring = classmethod(flag_only)
    artist.kwdoc = lambda _artist: ""  # type: ignore[attr-defined]
    return True


# --- fast-exit: Python's finalization of a process that imported torch takes about 0.45 s ------------------

def exit_shape() -> bool:
    """``atexit._run_exitfuncs`` (private) still runs the registered exit handlers."""
    import atexit

    return callable(getattr(atexit, "_run_exitfuncs", None))


def exit_now(code: Any, discard_stdout: Any = None) -> None:
    """Leave the process without tearing the interpreter down.

    Once a command has finished, every output is written, renamed into place and closed. What is
    left is Python's finalization, which for a process that imported torch takes about 0.45 s to
    free objects the operating system frees anyway. So run the exit handlers (logging, temporary
    folders, coverage), flush the standard streams, and ``os._exit``. Anything unusual (the switch,
    another thread still running, a stream that cannot be flushed, a code that is not a number, a
    profiler or debugger that still wants to report) returns: the normal exit. ``discard_stdout``
    is called when standard output's reader went away (the exit code becomes 141)."""
    import atexit
    import threading

    if not enabled("fast-exit") or not exit_shape():
        return
    if not (code is None or isinstance(code, int)) or sys.getprofile() is not None or sys.gettrace() is not None:
        return
    if any(t is not threading.main_thread() and t.is_alive() and not t.daemon for t in threading.enumerate()):
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        if discard_stdout is not None:
            discard_stdout()
        code = 141 if not code else code
    except Exception:  # noqa: BLE001 - the normal exit reports it as before
        return
    atexit._run_exitfuncs()  # type: ignore[attr-defined]
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(code or 0)


# --- argument-names: typer shows an argument as ``{SPEC}... <list[Path]>`` ------------------------------------

def argument_shape() -> bool:
    """typer's TyperArgument still names itself through the private ``_usage_display_name`` and
    ``_rich_display_name``, and has ``display_type_rich`` and the property ``display_name_raw``."""
    from typer.core import TyperArgument

    return all(callable(getattr(TyperArgument, name, None))
               for name in ("_usage_display_name", "_rich_display_name", "display_type_rich")) \
        and isinstance(getattr(TyperArgument, "display_name_raw", None), property)


def plain_arguments(params: list[Any]) -> None:
    """Show each typer argument of a command as a CLI user reads it: ``SPEC...``."""
    if not enabled("argument-names") or not argument_shape():
        return
    from typer.core import TyperArgument

    cls = _plain_argument_class()
    for param in params:
        if type(param) is TyperArgument:
            param.__class__ = cls


@lru_cache(maxsize=None)
def _plain_argument_class() -> type:
    from typer.core import TyperArgument

    class PlainArgument(TyperArgument):
        def display_type_rich(self, ctx: Any) -> None:
            return None

        def _usage_display_name(self) -> str:
            name = self.display_name_raw
            name = name if self.required else f"[{name}]"
            return name + ("..." if self.nargs != 1 else "")

        def _rich_display_name(self) -> str:
            return self._usage_display_name()

    return PlainArgument


# --- click-errors: typer carries its own copy of click, whose classes it does not export ------------------------

def click_classes() -> tuple[type, type] | None:
    """(UsageError, ClickException) of the click typer raises, found by name among the bases of
    ``typer.BadParameter``; None when the switch is set or the shape differs."""
    import typer

    if not enabled("click-errors"):
        return None
    found = {c.__name__: c for c in typer.BadParameter.__mro__}
    usage, base = found.get("UsageError"), found.get("ClickException")
    if usage is None or base is None or not issubclass(usage, base) \
            or not all(hasattr(base, a) for a in ("format_message", "exit_code")):
        return None
    return usage, base


def is_usage_error(exc: BaseException) -> bool:
    """A click usage error (exit 2, with the context of the command it concerns)."""
    classes = click_classes()
    if classes is not None:
        return isinstance(exc, classes[0])
    return hasattr(exc, "format_message") and hasattr(exc, "ctx") and getattr(exc, "exit_code", None) == 2


def is_click_error(exc: BaseException) -> bool:
    """Any error click formats itself (``format_message``, ``exit_code``)."""
    classes = click_classes()
    if classes is not None:
        return isinstance(exc, classes[1])
    return hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int)


# --- dynamo-seed: torch's first optimizer in a process imports torch._dynamo (1-3 s) -----------------------------
# ``Optimizer.add_param_group`` is decorated with ``torch._disable_dynamo``, whose wrapper (torch/_compile.py)
# imports torch._dynamo on its first call only to build a dynamo-disabled copy of the function, caches it as
# the attribute ``__dynamo_disable`` of the undecorated function, and calls it. Outside torch.compile that copy
# does exactly what the undecorated function does. So while lrplot builds its optimizers it pre-seeds that
# cache with the undecorated function itself, and removes the seed afterwards, leaving torch as it found it.
# The same import happens on the first ``optimizer.step()``, so lrplot's engine does not call it.

CACHE_ATTRIBUTE = "__dynamo_disable"  # the name torch/_compile.py caches the disabled function under


def seed_target(optimizer_class: Any = None) -> Any:
    """The undecorated ``add_param_group`` whose dynamo cache can be seeded, or None when the
    decorator does not look exactly like the verified one (torch 2.13)."""
    try:
        if optimizer_class is None:
            from torch.optim import Optimizer as optimizer_class  # noqa: N813
        wrapper = inspect.getattr_static(optimizer_class, "add_param_group")
        inner = getattr(wrapper, "__wrapped__", None)
        if not (inspect.isfunction(wrapper) and inspect.isfunction(inner)):
            return None
        code = wrapper.__code__
        if code.co_name != "inner" or not code.co_filename.replace("\\", "/").endswith("torch/_compile.py"):
            return None
        if CACHE_ATTRIBUTE not in code.co_consts or "disable" not in code.co_names:
            return None
        cells = dict(zip(code.co_freevars, (c.cell_contents for c in wrapper.__closure__ or ())))
        if cells.get("fn") is not inner or inner.__name__ != "add_param_group":
            return None
        if inner.__code__.co_argcount != 2:  # (self, param_group)
            return None
        return inner
    except Exception:  # anything unexpected: the normal path
        return None


@contextmanager
def fast_optimizers() -> Iterator[bool]:
    """While active, building a torch optimizer does not import torch._dynamo (yields True) --
    or, when switched off or the structure does not match, nothing changes (yields False)."""
    target = seed_target() if enabled("dynamo-seed") else None
    if target is None or CACHE_ATTRIBUTE in vars(target):
        yield False  # unknown structure, or torch already cached its disabled function
        return
    setattr(target, CACHE_ATTRIBUTE, target)
    try:
        yield True
    finally:
        if vars(target).get(CACHE_ATTRIBUTE) is target:
            delattr(target, CACHE_ATTRIBUTE)
