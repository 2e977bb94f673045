"""Importing what the allow rule permitted: a package as installed (a same-named module found first
on sys.path is refused), or a local file under a private module name; every failure one located line."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import itertools
import sys
from pathlib import Path
from typing import Any

from ..errors import ImportNotAllowedError, Location, MissingLibraryError, SpecError, first_line
from ..reads import record, recording
from ..walk import ImportTarget
from .allowance import DISTRIBUTIONS, INSTALL, Allowance, Loaded

_NUMBERS = itertools.count()  # of the private module names: each is new in the process (sys.modules is one)


def forget_orphans() -> None:
    """Drop the submodules a failed import left behind its package. A package whose ``__init__``
    raises is removed from ``sys.modules``, but what it imported first stays: the next import under it
    then finds a namespace package that looks its parent up (``KeyError``), or a stale half-imported
    one; without them it fails the same way again, in one line."""
    for name in [n for n in sys.modules if "." in n and n.split(".")[0] not in sys.modules]:
        sys.modules.pop(name, None)


def load_local(target: ImportTarget, loaded: Loaded, location: Location) -> Any:
    file = target.file
    assert file is not None
    resolved = file.resolve()
    key = (str(resolved), file.stat().st_mtime_ns)
    if key in loaded.local_modules:
        return loaded.local_modules[key]
    name = f"_lrplot_local_{file.stem}_{next(_NUMBERS)}"  # private: never shadows a real package
    module_spec = importlib.util.spec_from_file_location(name, file)
    if module_spec is None or module_spec.loader is None:
        raise SpecError(f"cannot import {target.module}", location=location)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    loaded.local_files[name] = resolved
    record(file, f"a Python file {location.path} imports")
    try:
        with recording(f"a file {file.name} imports"):
            module_spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise SpecError(f"syntax error in {file.name}: {exc.msg}",
                        location=Location(str(file), exc.lineno, exc.offset),
                        hint=f"fix the file (it is imported by {location})") from None
    except Exception as exc:  # noqa: BLE001 - user code may raise anything
        sys.modules.pop(name, None)
        raise run_error(exc, f"importing {file.name} failed", location, file) from None
    loaded.local_modules[key] = module
    return module


def _project_folder(top: str, location: Location) -> Path | None:
    """A package folder named ``top`` in the current folder, its ``src/``, or the config's folder."""
    bases = [Path.cwd(), Path.cwd() / "src"]
    if location.path and Path(location.path).exists():
        bases.append(Path(location.path).resolve().parent)
    for base in bases:
        if (base / top / "__init__.py").is_file():
            return (base / top).resolve()
    return None


def display(path: Path) -> str:
    """A folder as --allow-import takes it: ``./pkg`` below the current folder, else absolute."""
    try:
        return "./" + path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def run_error(exc: BaseException, what: str, location: Location, file: Path | None) -> SpecError:
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
    if found is None or allowance.loaded.verified.get(top) == str(found):
        return  # not installed at all: the import says so
    from importlib import metadata

    try:
        expected = Path(str(metadata.distribution(DISTRIBUTIONS[top]).locate_file(top))).resolve()
    except metadata.PackageNotFoundError:
        expected = None
    if found == expected:
        allowance.loaded.verified[top] = str(found)
        return
    raise ImportNotAllowedError(
        f"scheduler type '{target.text}' would import '{top}' from {found}, which is not the installed "
        f"{DISTRIBUTIONS[top]} package lrplot trusts",
        hint=f"rename or remove {found}, or, if you mean to use it, {allowance.how_to_allow(top)}",
        location=location)


def _load_folder(top: str, folder: Path, location: Location) -> None:
    """Import the package ``top`` from the folder the user allowed by its path, under its own name
    (so its relative imports work); refused when a module of that name was imported from elsewhere."""
    loaded = sys.modules.get(top)
    if loaded is not None:
        where = [Path(p).resolve() for p in getattr(loaded, "__path__", None) or []]
        if folder not in where:
            raise ImportNotAllowedError(f"'{top}' is already imported from {where[0] if where else 'elsewhere'}, "
                                        f"not from the allowed folder {folder}", location=location,
                                        hint="run lrplot where that package is not imported, or allow it by name")
        return
    spec = importlib.machinery.PathFinder.find_spec(top, [str(folder.parent)])
    if spec is None or spec.loader is None:
        raise SpecError(f"cannot import the package folder {folder}", location=location)
    package = importlib.util.module_from_spec(spec)
    sys.modules[top] = package
    record(folder / "__init__.py", f"a package {location.path} imports")
    try:
        spec.loader.exec_module(package)
    except BaseException:
        sys.modules.pop(top, None)
        forget_orphans()
        raise


def _import(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except BaseException:
        forget_orphans()
        raise


def import_module(target: ImportTarget, module: str, allowance: Allowance, location: Location) -> Any:
    _refuse_shadow(target, module, allowance, location)
    try:
        folder = allowance.folder_of(module.split(".")[0])
        if folder is not None:
            _load_folder(module.split(".")[0], folder, location)
        return _import(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or module
        top = missing.split(".")[0]
        if top == module.split(".")[0] and missing != top:
            raise SpecError(f"cannot import '{module}': there is no module '{missing}'", location=location,
                            hint="check the module path") from None
        here = _project_folder(top, location)
        if here is not None:
            raise MissingLibraryError(
                f"cannot import '{module}': no module named '{missing}' is installed; lrplot does not import "
                f"from the current folder, and {display(here)} is a package folder there",
                package=top, location=location,
                hint=f"to use that folder, allow it by its path: {allowance.how_to_allow(display(here))}") from None
        raise MissingLibraryError(
            f"cannot import '{module}': no module named '{missing}'", package=top, location=location,
            hint=f"install it ({INSTALL.get(top, 'pip install ' + DISTRIBUTIONS.get(top, top.replace('_', '-')))}) "
                 "in the environment that runs lrplot, or check the spelling") from None
    except ImportError as exc:  # the package's own import refused (torchtune 0.6.1: 'torchao not installed.')
        top = module.split(".")[0]
        raise SpecError(f"importing '{module}' failed: {first_line(exc).rstrip('.') or type(exc).__name__}",
                        location=location,
                        hint=f"{top} imports a package that is missing here or of a version it does not work with; "
                             f"install {top} as its documentation says (--debug shows the traceback)") from None
    except SyntaxError as exc:
        raise SpecError(f"syntax error in {exc.filename}: {exc.msg}",
                        location=Location(str(exc.filename), exc.lineno, exc.offset),
                        hint=f"imported by {location}") from None
    except Exception as exc:  # noqa: BLE001 - importing third-party code may raise anything
        raise run_error(exc, f"importing '{module}' failed", location, None) from None
