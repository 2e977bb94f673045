"""Scheduler types given as import paths, and the one rule that decides what a spec may reach.

``scheduler: {type: "package.module:Name"}`` names a scheduler class or a factory function in an
importable package; ``type: "my_schedules.py:WarmupPoly"`` names one in a local Python file (a path
relative to the spec file). ``Name`` may be dotted (``CosineLrScheduler.create_scheduler_fn``).

Importing runs code, so a spec alone can never make lrplot import anything it does not trust. The
rule, written here and nowhere else:

* **Trusted by default** (:data:`TRUSTED`): the scheduler modules of the libraries lrplot supports,
  ``torch.optim.lr_scheduler`` (and ``torch.optim.swa_utils:SWALR``), ``timm.scheduler``,
  ``transformers.optimization`` and ``pytorch_accelerated.schedulers`` -- and only as installed: a
  trusted package found anywhere but where its installed distribution put it (a ``transformers.py``
  in the current folder) is refused.
* **Allowed by the user** with ``--allow-import`` / ``$LRPLOT_ALLOW_IMPORT`` (comma-separated) or
  the ``allow_import=`` keyword of the library: a package by its dotted name (``transformers``,
  ``mylib.schedules``; the name covers its submodules), a local file by its PATH
  (``configs/my_schedules.py``, relative to the current folder, or absolute; symlinks resolved),
  never by its stem. Local files are loaded under a private module name, so they never shadow, and
  are never shadowed by, an installed package. :func:`allowed_imports` makes the one immutable
  :class:`Allowance` a run uses.
* **What an allowance covers**: objects DEFINED in an allowed package or file (a class's or a
  function's ``__module__``), reached by attribute walking that passes only through modules of (or
  above) the allowed packages and classes defined in them; no private (``_``) names. A walk through
  a module-level ``import os`` of an allowed package is refused.
* **What may be called**: a scheduler class (a subclass of torch's ``LRScheduler`` or
  ``ReduceLROnPlateau``, pytorch-accelerated's ``SchedulerBase``, timm's ``Scheduler``, MMEngine's
  ``_ParamScheduler``: :func:`lrplot.facts.is_scheduler_class`), a module-level function
  or a classmethod of such a class. In an allowed local FILE, any class with a ``step()`` method is
  a scheduler too (:func:`may_build`): the file already ran as code when it was imported, and
  trainers treat such a class (a SWA switch, a hand-written warmup) as a scheduler by its
  ``step()``; an allowed PACKAGE stays limited to its schedulers, so an allowance of a library is
  never a way to call its other classes. Built-ins, other classes and callable instances are refused.
  What a factory returns is checked again (:func:`factory_result`) before it is called.

* **A config whose reading runs it** (an MMEngine Python config: ``Config.fromfile`` executes it and
  its ``_base_`` files) is read only when the user allowed the framework that runs it by its exact
  name (``--allow-import mmengine``): :func:`check_config_code`. The trusted set never covers it.

Every refusal happens before anything from the spec is called, as one line located at the spec's
``type``. Other readers (Hydra ``_target_`` strings ``pkg.mod.Name``, MMEngine types) use the same
rule through :func:`resolve_allowed`, which refuses or returns the object and never calls it. Every
failure to import (missing package, syntax error in a local file, missing attribute) is one located
line with a hint.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Union

from .errors import ImportNotAllowedError, Location, MissingLibraryError, SpecError, UsageError, first_line
from .facts import is_scheduler_class
from .spec import SchedulerNode, Spec, is_import_path
from .text import did_you_mean
from .walk import MODULE_NAME, ImportTarget, display_path, nodes, parse_import, parse_target

ENV_VAR = "LRPLOT_ALLOW_IMPORT"

# Trusted without --allow-import: module prefix -> the top-level names trusted in it (None: all).
TRUSTED: dict[str, tuple[str, ...] | None] = {
    "torch.optim.lr_scheduler": None,
    "torch.optim.swa_utils": ("SWALR",),
    "timm.scheduler": None,
    "transformers.optimization": None,
    "pytorch_accelerated.schedulers": None,
}
# The distribution that installs each trusted top-level package (where it must be found).
DISTRIBUTIONS = {"torch": "torch", "timm": "timm", "transformers": "transformers",
                 "pytorch_accelerated": "pytorch-accelerated"}

# Local files loaded so far: private module name -> resolved path.
_LOCAL_FILES: dict[str, Path] = {}


def within(module: str, prefix: str) -> bool:
    """``module`` is ``prefix`` or one of its submodules."""
    return module == prefix or module.startswith(prefix + ".")


@dataclass(frozen=True)
class Allowance:
    """What the user allowed on top of :data:`TRUSTED`: package prefixes and resolved file paths.
    Made once per run by :func:`allowed_imports`; ``Allowance()`` is the trusted set alone."""

    packages: frozenset[str] = frozenset()
    files: frozenset[Path] = frozenset()

    def _scopes(self) -> list[tuple[str, tuple[str, ...] | None]]:
        return list(TRUSTED.items()) + [(p, None) for p in sorted(self.packages)]

    def may_import(self, module: str) -> bool:
        """``module`` may be imported and walked through: inside an allowed package, above one
        (importing ``transformers.optimization`` imports ``transformers``), or an allowed local file."""
        if module in _LOCAL_FILES:
            return _LOCAL_FILES[module] in self.files
        return any(within(module, p) or within(p, module) for p, _ in self._scopes())

    def may_walk(self, module: str, *, start: str) -> bool:
        """A walk that started at the module ``start`` may pass through ``module``: one inside an
        allowed package, or one on the way down from ``start`` to one."""
        if module == start:
            return True
        if module in _LOCAL_FILES:  # another local file, reached through an attribute
            return False
        return any(within(module, p) or (within(p, module) and within(module, start)) for p, _ in self._scopes())

    def defines(self, module: str | None, qualname: str) -> bool:
        """An object defined in ``module`` under ``qualname`` is covered."""
        if not isinstance(module, str):
            return False
        if module in _LOCAL_FILES:
            return _LOCAL_FILES[module] in self.files
        top = qualname.split(".")[0]
        return any(within(module, p) and (names is None or top in names) for p, names in self._scopes())

    def permits(self, target: ImportTarget) -> bool:
        """The import a target needs is allowed (checked before anything is imported)."""
        if target.file is not None:
            return target.file.resolve() in self.files
        return self.may_import(target.module)

    def user_allows(self, module: str) -> bool:
        """The user (not the trusted set) allowed something of ``module``'s top-level package."""
        top = module.split(".")[0]
        return any(p.split(".")[0] == top for p in self.packages)

    def allows_package(self, module: str) -> bool:
        """The user allowed ``module`` or a package holding it (a Hydra ``pkg://`` search path
        entry: importing it runs its code; the trusted scheduler modules do not cover it)."""
        return any(within(module, p) for p in self.packages)

    def flags(self) -> list[str]:
        """The ``--allow-import`` values that make this allowance (files relative to the current folder)."""
        return sorted(self.packages) + sorted(display_path(f) for f in self.files)


AllowImport = Union[Allowance, Iterable[str], None]


def allowed_imports(given: AllowImport = None, *, environ: Mapping[str, str] | None = None) -> Allowance:
    """The :class:`Allowance` of a run: ``given`` (names or ``.py`` paths, each may be a comma list)
    plus ``$LRPLOT_ALLOW_IMPORT``. An :class:`Allowance` is returned as it is (made once)."""
    if isinstance(given, Allowance):
        return given
    if isinstance(given, (str, Path)):
        given = [str(given)]
    environ = os.environ if environ is None else environ
    sources = [("--allow-import", str(item)) for item in (given or ())]
    sources.append((ENV_VAR, environ.get(ENV_VAR, "")))
    packages, files = set(), set()
    for origin, item in sources:
        for text in (t.strip() for t in item.split(",")):
            if not text:
                continue
            if text.endswith(".py") or "/" in text or os.sep in text:
                files.add(_allowed_file(origin, text))
            elif MODULE_NAME.match(text):
                top = text.split(".")[0]
                if top in sys.stdlib_module_names:
                    raise UsageError(f"{origin} {text}: '{top}' is part of Python's standard library, which holds "
                                     "no schedulers", hint="allow the package that defines your scheduler")
                packages.add(text)
            else:
                raise UsageError(f"{origin} {text}: not a package name or a .py file",
                                 hint="give a package ('transformers') or a local file's path "
                                      "('configs/my_schedules.py')")
    return Allowance(frozenset(packages), frozenset(files))


def _allowed_file(origin: str, text: str) -> Path:
    path = Path(text).expanduser()
    path = (path if path.is_absolute() else Path.cwd() / path).resolve()
    if not path.is_file() or path.suffix != ".py":
        what = "is a folder" if path.is_dir() else "is not a .py file" if path.exists() else "no such file"
        raise UsageError(f"{origin} {text}: {what}",
                         hint="a local module is allowed by the path of its .py file, relative to the "
                              "current folder or absolute")
    return path


def _refuse_unless_permitted(target: ImportTarget, allowance: Allowance, location: Location) -> None:
    """The check made before anything is imported."""
    if target.file is not None:
        if not target.file.is_file():
            raise SpecError(f"no such Python file: {target.module} (looked in {target.file.parent})",
                            location=location, hint="local files are relative to the spec file's folder")
        if allowance.permits(target):
            return
        flag = target.allow_name
        by_name = (f" (--allow-import {target.file.stem} would allow a package: a local file is allowed by "
                   "its path)") if target.file.stem in allowance.packages else ""
        raise ImportNotAllowedError(
            f"scheduler type '{target.text}' imports the local file {flag}, and a spec alone may not run code",
            hint=f"to allow it, add --allow-import {flag} (or set {ENV_VAR}={flag}){by_name}",
            location=location)
    if allowance.permits(target):
        return
    top = target.module.split(".")[0]
    trusted = [p if names is None else f"{p}:{'/'.join(names)}" for p, names in TRUSTED.items()
               if p.split(".")[0] == top]
    if trusted:
        what = (f"the Python module '{target.module}', and a spec alone may not run code (of {top}, lrplot "
                f"trusts only {', '.join(trusted)})")
    else:
        what = f"the Python package '{top}', and a spec alone may not run code"
    raise ImportNotAllowedError(f"scheduler type '{target.text}' imports {what}",
                                hint=f"to allow it, add --allow-import {top} (or set {ENV_VAR}={top})",
                                location=location)


def check_all_allowed(spec_list: Iterable[Spec], *, allow_import: AllowImport) -> None:
    """Refuse (located), before anything runs, a scheduler of any spec, nested ones included, that
    names code the user has not allowed."""
    allowance = allowed_imports(allow_import)
    for spec in spec_list:
        for node in nodes(spec):
            if is_import_path(node.type):
                _refuse_unless_permitted(parse_target(spec, node), allowance, spec.locate(node.path + ("type",)))


# --- importing ---------------------------------------------------------------------------------

_local_cache: dict[tuple[str, int], Any] = {}


def _load_local(target: ImportTarget, location: Location) -> Any:
    file = target.file
    assert file is not None
    resolved = file.resolve()
    key = (str(resolved), file.stat().st_mtime_ns)
    if key in _local_cache:
        return _local_cache[key]
    name = f"_lrplot_local_{file.stem}_{len(_local_cache)}"  # private: never shadows a real package
    module_spec = importlib.util.spec_from_file_location(name, file)
    if module_spec is None or module_spec.loader is None:
        raise SpecError(f"cannot import {target.module}", location=location)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    _LOCAL_FILES[name] = resolved
    try:
        module_spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise SpecError(f"syntax error in {file.name}: {exc.msg}",
                        location=Location(str(file), exc.lineno, exc.offset),
                        hint=f"fix the file (it is imported by {location})") from None
    except Exception as exc:  # noqa: BLE001 - user code may raise anything
        sys.modules.pop(name, None)
        raise _run_error(exc, f"importing {file.name} failed", location, file) from None
    _local_cache[key] = module
    return module


def _run_error(exc: BaseException, what: str, location: Location, file: Path | None) -> SpecError:
    """An exception raised by imported code, located at its innermost frame in ``file`` if any."""
    import traceback

    message = first_line(exc)
    text = f"{what}: {type(exc).__name__}{': ' + message if message else ''}"
    if file is not None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == file]
        if frames:
            return SpecError(text, location=Location(str(file), frames[-1].lineno),
                             hint=f"fix the file (it is imported by {location})")
    return SpecError(text, location=location, hint="run with --debug for the traceback")


_verified: dict[str, str] = {}  # trusted top-level package -> the folder verified to be the installed one


def _found_at(top: str) -> Path | None:
    """Where ``import top`` finds (or found) the package, without importing it."""
    module = sys.modules.get(top)
    if module is not None:
        paths = list(getattr(module, "__path__", None) or [])
        origin = getattr(module, "__file__", None)
    else:
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            return None
        if spec is None:
            return None
        paths = list(spec.submodule_search_locations or [])
        origin = spec.origin
    found = paths[0] if paths else origin
    return Path(found).resolve() if found and found not in ("built-in", "frozen") else None


def _refuse_shadow(target: ImportTarget, module: str, allowance: Allowance, location: Location) -> None:
    """A package trusted by default is trusted as installed: refuse a same-named module or folder
    found first on sys.path (``transformers.py`` in the current folder) unless the user allowed it."""
    top = module.split(".")[0]
    if allowance.user_allows(module) or top not in DISTRIBUTIONS:
        return
    found = _found_at(top)
    if found is None or _verified.get(top) == str(found):
        return  # not installed at all: the import says so
    from importlib import metadata

    try:
        expected = Path(str(metadata.distribution(DISTRIBUTIONS[top]).locate_file(top))).resolve()
    except metadata.PackageNotFoundError:
        expected = None
    if found == expected:
        _verified[top] = str(found)
        return
    raise ImportNotAllowedError(
        f"scheduler type '{target.text}' would import '{top}' from {found}, which is not the installed "
        f"{DISTRIBUTIONS[top]} package lrplot trusts",
        hint=f"rename or remove {found}, or, if you mean to use it, add --allow-import {top}",
        location=location)


def _import_module(target: ImportTarget, module: str, allowance: Allowance, location: Location) -> Any:
    _refuse_shadow(target, module, allowance, location)
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or module
        top = missing.split(".")[0]
        if top == module.split(".")[0] and missing != top:
            raise SpecError(f"cannot import '{module}': there is no module '{missing}'", location=location,
                            hint="check the module path") from None
        local = " (lrplot does not import from the current folder)" if Path(top).exists() or \
            Path(f"{top}.py").exists() else ""
        raise MissingLibraryError(
            f"cannot import '{module}': no module named '{missing}'{local}", package=top, location=location,
            hint=f"install it (pip install {top.replace('_', '-')}) in the environment that runs lrplot, "
                 "or check the spelling") from None
    except SyntaxError as exc:
        raise SpecError(f"syntax error in {exc.filename}: {exc.msg}",
                        location=Location(str(exc.filename), exc.lineno, exc.offset),
                        hint=f"imported by {location}") from None
    except Exception as exc:  # noqa: BLE001 - importing third-party code may raise anything
        raise _run_error(exc, f"importing '{module}' failed", location, None) from None


# --- the walk ----------------------------------------------------------------------------------

def _kind(obj: Any) -> str:
    if inspect.isbuiltin(obj) or isinstance(obj, (types.BuiltinMethodType, types.MethodWrapperType)):
        return "a built-in function"
    if isinstance(obj, functools.partial):
        return "a functools.partial"
    return f"a {type(obj).__name__}" if not inspect.isclass(obj) else "a class"


def _scope_text(target: ImportTarget, allowance: Allowance) -> str:
    if target.file is not None:
        return f"the local file {target.allow_name}"
    scopes = [(p, names) for p, names in allowance._scopes() if within(target.module, p) or within(p, target.module)]
    shown = [p if names is None else f"{p}:{'/'.join(names)}" for p, names in scopes
             if not any(q != p and within(p, q) and other is None for q, other in scopes)]
    return "what is allowed (" + ", ".join(dict.fromkeys(shown)) + ")"


def _defined(obj: Any) -> tuple[str | None, str]:
    """(defining module, qualified name) of a class, function or classmethod."""
    if inspect.ismethod(obj):
        return _defined(obj.__func__)
    return getattr(obj, "__module__", None), getattr(obj, "__qualname__", "") or ""


def _refuse(target: ImportTarget, message: str, hint: str, location: Location) -> ImportNotAllowedError:
    return ImportNotAllowedError(f"scheduler type '{target.text}' {message}", hint=hint, location=location)


def _lazy_source(module: Any, part: str) -> str | None:
    """The module that ``getattr(module, part)`` would import first, for an attribute a module does
    not hold yet: a submodule, or what a lazy module (transformers' ``_LazyModule``) maps it to."""
    if not isinstance(module, types.ModuleType) or part in vars(module):
        return None
    lazy = getattr(type(module), "_get_module", None) and getattr(module, "_class_to_module", None)
    if isinstance(lazy, dict) and isinstance(lazy.get(part), str):
        return f"{module.__name__}.{lazy[part]}"
    if hasattr(module, "__path__"):
        try:
            if importlib.util.find_spec(f"{module.__name__}.{part}") is not None:
                return f"{module.__name__}.{part}"
        except (ImportError, ValueError):
            return None
    return None


def _submodule(package: Any, part: str, target: ImportTarget, allowance: Allowance, location: Location) -> Any:
    """``package.part`` imported, when it is a submodule not imported yet (as Hydra's ``_target_``
    resolution does) and the allowance permits it; else None."""
    if not isinstance(package, types.ModuleType) or not hasattr(package, "__path__") or target.file is not None:
        return None
    name = f"{package.__name__}.{part}"
    if not allowance.may_import(name):
        return None
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except (ImportError, ValueError):
        return None
    return _import_module(target, name, allowance, location)


def _walk(module: Any, target: ImportTarget, allowance: Allowance, location: Location) -> Any:
    """Follow the attribute path from ``module``, refusing any step outside the allowance."""
    obj = module
    walked = [target.module] if target.file is None else []
    parts = target.attribute.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_"):
            raise _refuse(target, f"names the private name '{part}'",
                          "lrplot reaches only public names: name the scheduler class or factory itself", location)
        here = ".".join(walked + [part]) if walked else part
        source = _lazy_source(obj, part)
        if source is not None and not allowance.may_walk(source, start=module.__name__):
            through = f" through '{here}'" if here != source else ""
            raise _refuse(target, f"reaches the module '{source}'{through}, which is outside "
                                  f"{_scope_text(target, allowance)}",
                          "an allowance covers what a package defines, not the modules it imports", location)
        try:
            nxt = getattr(obj, part)
        except AttributeError:
            nxt = _submodule(obj, part, target, allowance, location)
            if nxt is None:
                owner = ".".join(walked) or target.module
                hint = did_you_mean(part, [n for n in dir(obj) if not n.startswith("_")])
                raise SpecError(f"'{owner}' has no attribute '{part}'", location=location,
                                hint=hint or "check the name after ':'") from None
        except Exception as exc:  # noqa: BLE001 - lazy modules (transformers) import on attribute access
            raise _run_error(exc, f"importing '{target.module}:{part}' failed", location, None) from None
        obj = nxt
        walked.append(part)
        if isinstance(obj, types.ModuleType):
            if not allowance.may_walk(obj.__name__, start=module.__name__):
                through = f" through '{here}'" if here != obj.__name__ else ""
                raise _refuse(target, f"reaches the module '{obj.__name__}'{through}, which is outside "
                                      f"{_scope_text(target, allowance)}",
                              "an allowance covers what a package defines, not the modules it imports", location)
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj)
                or (inspect.ismethod(obj) and inspect.isclass(obj.__self__))):
            last = index == len(parts) - 1
            what = f"is {_kind(obj)}" if last else f"walks through {_kind(obj)} (at '{here}')"
            raise _refuse(target, f"{what}, not a scheduler class or factory",
                          "name a scheduler class, or a function that returns a scheduler", location)
        defined_in, qualname = _defined(obj)
        if not allowance.defines(defined_in, qualname):
            raise _refuse(target, f"reaches {qualname or part}, defined in '{defined_in}', which is outside "
                                  f"{_scope_text(target, allowance)}",
                          "name it where it is defined and allow that package with --allow-import", location)
        if inspect.ismethod(obj) and not allowance.defines(*_defined(obj.__self__)):
            raise _refuse(target, f"reaches a method of {obj.__self__.__qualname__}, defined outside "
                                  f"{_scope_text(target, allowance)}", "name it where it is defined", location)
    return obj


def may_build(cls: Any, allow_import: AllowImport) -> bool:
    """``cls`` is a scheduler class lrplot may build and step: one of a family it knows
    (:func:`lrplot.facts.is_scheduler_class`), or a class with a ``step()`` method
    defined in a local file the user allowed (see the rule above)."""
    if is_scheduler_class(cls):
        return True
    module = getattr(cls, "__module__", None)
    return (inspect.isclass(cls) and module in _LOCAL_FILES and callable(getattr(cls, "step", None))
            and allowed_imports(allow_import).defines(module, cls.__qualname__))


def _check_callable(obj: Any, target: ImportTarget, allowance: Allowance, location: Location) -> None:
    """What lrplot may call: a scheduler class, a module-level function, a scheduler's classmethod."""
    if isinstance(obj, types.ModuleType):
        raise _refuse(target, "is a module, not a scheduler class or factory",
                      "name a scheduler class or a function that returns a scheduler after ':'", location)
    if inspect.isclass(obj):
        if not may_build(obj, allowance):
            raise _refuse(target, "is a class that is not a scheduler",
                          "lrplot builds subclasses of torch's LRScheduler or ReduceLROnPlateau, "
                          "pytorch-accelerated's SchedulerBase, timm's Scheduler or MMEngine's _ParamScheduler, "
                          "classes with a step() method in an allowed local file, "
                          "and functions that return one", location)
        return
    if inspect.ismethod(obj):
        if not may_build(obj.__self__, allowance):
            raise _refuse(target, f"is a method of {obj.__self__.__qualname__}, which is not a scheduler class",
                          "name a classmethod of a scheduler class, or a module-level function", location)
        return
    if "." in obj.__qualname__:  # an unbound method, a static method, a nested function
        raise _refuse(target, "is a method or a nested function, not a module-level factory",
                      "name a scheduler class, a module-level function or a classmethod", location)


def resolve_allowed(text: str, *, allow_import: AllowImport, location: Location, base_dir: Path) -> Any:
    """The scheduler class or factory ``text`` names (``pkg.mod:Name``, ``file.py:Name`` relative to
    ``base_dir``, or ``pkg.mod.Name``), imported only if the allowance permits it, and refused (an
    :class:`ImportNotAllowedError` or :class:`SpecError` at ``location``) unless every step of the
    walk and the object itself are covered by the rule of this module. Never calls the object."""
    allowance = allowed_imports(allow_import)
    target = parse_import(text, location=location, base_dir=base_dir)
    _refuse_unless_permitted(target, allowance, location)
    if target.file is not None:
        module = _load_local(target, location)
    else:
        module = _import_module(target, target.module, allowance, location)
    obj = _walk(module, target, allowance, location)
    _check_callable(obj, target, allowance, location)
    return obj


def check_config_code(framework: str, what: str, *, allow_import: AllowImport, location: Location) -> None:
    """Refuse reading a config whose loading runs its code (``what`` says how) unless the user
    allowed ``framework``, the package that runs it, by exactly that name."""
    if framework not in allowed_imports(allow_import).packages:
        raise ImportNotAllowedError(what, location=location, hint=f"if you trust it, add --allow-import {framework} "
                                                                  f"(or set {ENV_VAR}={framework})")


def resolve_import(spec: Spec, sched: SchedulerNode, *, allow_import: AllowImport) -> Any:
    """The object an import-path scheduler type names (after checking it is allowed)."""
    return resolve_allowed(sched.type, allow_import=allow_import, location=spec.locate(sched.path + ("type",)),
                           base_dir=spec.base_dir)


def factory_result(obj: Any, name: str, *, allow_import: AllowImport, location: Location) -> functools.partial:
    """What a factory returned, if it is not yet a scheduler: accepted only as a ``functools.partial``
    of an allowed scheduler class (as pytorch-accelerated's ``create_scheduler_fn`` returns), to be
    called with the optimizer; anything else is refused before it is called."""
    allowance = allowed_imports(allow_import)
    if isinstance(obj, functools.partial):
        func = obj.func
        if inspect.isclass(func) and may_build(func, allowance) and allowance.defines(*_defined(func)):
            return obj
        what = f"a functools.partial of {getattr(func, '__qualname__', type(func).__name__)}"
        raise ImportNotAllowedError(f"{name} returned {what}, not of a scheduler class lrplot may build",
                                    hint="a factory must return a scheduler, or a partial of an allowed "
                                         "scheduler class", location=location)
    raise SpecError(f"{name} returned {_kind(obj)}, not a scheduler", location=location,
                    hint="name a scheduler class, or a function returning a scheduler (a subclass of torch's "
                         "LRScheduler or of a supported library's scheduler base)")
