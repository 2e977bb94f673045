"""Scheduler types given as import paths, and the --allow-import rule that guards them.

``scheduler: {type: "package.module:Name"}`` names any class or factory function that builds a
scheduler; ``type: "my_schedules.py:WarmupPoly"`` names one in a local Python file (a path relative to
the spec file). ``Name`` may be dotted (``CosineLrScheduler.create_scheduler_fn``).

Importing a module runs its code, so a spec alone can never make lrplot import anything: the person
running lrplot allows each top-level package (or local file, by its module name, the file's stem)
with ``--allow-import NAME`` or ``LRPLOT_ALLOW_IMPORT=NAME,NAME``. Built-in torch names never need it.
Every failure to import (missing package, syntax error in a local file, missing attribute) is one
located line with a hint.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .errors import ImportNotAllowedError, Location, MissingLibraryError, SpecError, first_line
from .spec import SchedulerNode, Spec
from .text import did_you_mean

ENV_VAR = "LRPLOT_ALLOW_IMPORT"
_MODULE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def is_import_path(type_name: str) -> bool:
    """``package.module:Name`` or ``file.py:Name`` (built-in names never contain a colon)."""
    return ":" in type_name


def allowed_imports(given: Iterable[str] | None = None, environ: Any = None) -> frozenset[str]:
    """The allowed names: ``given`` (each may be a comma list) plus ``$LRPLOT_ALLOW_IMPORT``."""
    environ = os.environ if environ is None else environ
    items = list(given or ()) + [environ.get(ENV_VAR, "")]
    return frozenset(n.strip() for item in items for n in re.split(r"[,\s]+", item) if n.strip())


@dataclass(frozen=True)
class ImportTarget:
    """What an import-path type names."""

    text: str
    module: str           # dotted module name, or the file path as written
    attribute: str        # possibly dotted
    file: Path | None     # a local file, resolved against the spec's folder

    @property
    def allow_name(self) -> str:
        """What --allow-import must name: the top-level package, or a local file's module name."""
        return self.file.stem if self.file is not None else self.module.split(".")[0]


def parse_target(spec: Spec, sched: SchedulerNode) -> ImportTarget:
    text = sched.type
    where = sched.path + ("type",)
    module, _, attribute = text.rpartition(":")
    module, attribute = module.strip(), attribute.strip()
    example = 'e.g. "transformers:get_cosine_schedule_with_warmup" or "my_schedules.py:WarmupPoly"'
    if not module or not attribute or not all(p.isidentifier() for p in attribute.split(".")):
        raise spec.error(f"scheduler type '{text}' is not an import path", where,
                         hint=f"write 'package.module:Name' or 'file.py:Name', {example}")
    if module.endswith(".py"):
        file = Path(module)
        if not file.is_absolute():
            file = spec.base_dir / file
        if not file.stem.isidentifier():
            raise spec.error(f"'{module}' cannot be imported: '{file.stem}' is not a Python module name",
                             where, hint="rename the file to letters, digits and underscores")
        return ImportTarget(text, module, attribute, file)
    if not _MODULE.match(module):
        raise spec.error(f"scheduler type '{text}': '{module}' is not a module name", where,
                         hint=f"write 'package.module:Name' or 'file.py:Name', {example}")
    return ImportTarget(text, module, attribute, None)


def check_allowed(spec: Spec, sched: SchedulerNode, allowed: frozenset[str]) -> None:
    """Refuse (located) an import-path scheduler, or any nested one, that is not allowed."""
    if is_import_path(sched.type):
        target = parse_target(spec, sched)
        name = target.allow_name
        if name not in allowed:
            what = f"the local file {target.module}" if target.file else f"the Python package '{name}'"
            raise ImportNotAllowedError(
                f"scheduler type '{sched.type}' imports {what}, and a spec alone may not run code",
                hint=f"to allow it, add --allow-import {name} (or set {ENV_VAR}={name})",
                location=spec.locate(sched.path + ("type",)))
    for child in sched.schedulers or []:
        check_allowed(spec, child, allowed)


_local_cache: dict[tuple[str, int], Any] = {}


def _load_local(spec: Spec, target: ImportTarget, where: tuple) -> Any:
    file = target.file
    assert file is not None
    try:
        stat = file.stat()
    except OSError:
        raise spec.error(f"no such Python file: {target.module} (looked in {file.parent})", where,
                         hint="local files are relative to the spec file's folder") from None
    key = (str(file.resolve()), stat.st_mtime_ns)
    if key in _local_cache:
        return _local_cache[key]
    name = f"_lrplot_local_{file.stem}_{len(_local_cache)}"
    module_spec = importlib.util.spec_from_file_location(name, file)
    if module_spec is None or module_spec.loader is None:
        raise spec.error(f"cannot import {target.module}", where)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    try:
        module_spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise SpecError(f"syntax error in {file.name}: {exc.msg}",
                        location=Location(str(file), exc.lineno, exc.offset),
                        hint=f"fix the file (it is imported by {spec.locate(where)})") from None
    except Exception as exc:  # noqa: BLE001 - user code may raise anything
        sys.modules.pop(name, None)
        raise _run_error(spec, exc, f"importing {file.name} failed", where, file) from None
    _local_cache[key] = module
    return module


def _run_error(spec: Spec, exc: BaseException, what: str, where: tuple, file: Path | None) -> SpecError:
    """An exception raised by imported code, located at its innermost frame in ``file`` if any."""
    import traceback

    message = first_line(exc)
    text = f"{what}: {type(exc).__name__}{': ' + message if message else ''}"
    if file is not None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == file]
        if frames:
            return SpecError(text, location=Location(str(file), frames[-1].lineno),
                             hint=f"fix the file (it is imported by {spec.locate(where)})")
    return spec.error(text, where, hint="run with --debug for the traceback")


def _import_module(spec: Spec, target: ImportTarget, where: tuple) -> Any:
    try:
        return importlib.import_module(target.module)
    except ModuleNotFoundError as exc:
        missing = exc.name or target.module
        top = missing.split(".")[0]
        if top == target.allow_name and missing != target.module.split(".")[0]:
            raise spec.error(f"cannot import '{target.module}': there is no module '{missing}'", where,
                             hint="check the module path") from None
        raise MissingLibraryError(
            f"cannot import '{target.module}': no module named '{missing}'", package=top,
            location=spec.locate(where),
            hint=f"install it (pip install {top.replace('_', '-')}) in the environment that runs lrplot, "
                 "or check the spelling") from None
    except SyntaxError as exc:
        raise SpecError(f"syntax error in {exc.filename}: {exc.msg}",
                        location=Location(str(exc.filename), exc.lineno, exc.offset),
                        hint=f"imported by {spec.locate(where)}") from None
    except Exception as exc:  # noqa: BLE001 - importing third-party code may raise anything
        raise _run_error(spec, exc, f"importing '{target.module}' failed", where, None) from None


def resolve_import(spec: Spec, sched: SchedulerNode, allowed: frozenset[str]) -> Any:
    """The object an import-path type names (after checking it is allowed)."""
    check_allowed(spec, sched, allowed)
    target = parse_target(spec, sched)
    where = sched.path + ("type",)
    module = _load_local(spec, target, where) if target.file else _import_module(spec, target, where)
    obj = module
    walked = []
    for part in target.attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            owner = target.module + "".join(f".{w}" for w in walked)
            names = [n for n in dir(obj) if not n.startswith("_")]
            hint = did_you_mean(part, names)
            raise spec.error(f"'{owner}' has no attribute '{part}'", where,
                             hint=hint or "check the name after ':'") from None
        except Exception as exc:  # noqa: BLE001 - lazy modules (transformers) import on attribute access
            raise _run_error(spec, exc, f"importing '{target.module}:{part}' failed", where, None) from None
        walked.append(part)
    if not callable(obj):
        raise spec.error(f"'{target.text}' is a {type(obj).__name__}, not a class or function", where,
                         hint="name a scheduler class or a function that returns a scheduler")
    return obj


def check_all_allowed(spec_list: Iterable[Spec], allow: frozenset[str]) -> None:
    """Refuse, before anything runs, a spec that names code the user has not allowed."""
    for spec in spec_list:
        for schedule in spec.schedule_list():
            for node in schedule.schedulers:
                check_allowed(spec, node, allow)
