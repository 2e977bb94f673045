"""The walk from an imported module to the object an import path names, refused at the first step
the allowance does not cover, and what lrplot may call at its end."""

from __future__ import annotations

import functools
import importlib.util
import inspect
import types
from typing import Any

from ..errors import ImportNotAllowedError, Location, SpecError
from ..families import is_scheduler_class
from ..text import did_you_mean
from ..walk import ImportTarget
from .allowance import Allowance, AllowImport, allowed_imports, within
from .loading import import_module, run_error


def kind(obj: Any) -> str:
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


def defined(obj: Any) -> tuple[str | None, str]:
    """(defining module, qualified name) of a class, function or classmethod."""
    if inspect.ismethod(obj):
        return defined(obj.__func__)
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
    return import_module(target, name, allowance, location)


def walk(module: Any, target: ImportTarget, allowance: Allowance, location: Location) -> Any:
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
            raise run_error(exc, f"importing '{target.module}:{part}' failed", location, None) from None
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
            what = f"is {kind(obj)}" if last else f"walks through {kind(obj)} (at '{here}')"
            raise _refuse(target, f"{what}, not a scheduler class or factory",
                          "name a scheduler class, or a function that returns a scheduler", location)
        defined_in, qualname = defined(obj)
        if not allowance.defines(defined_in, qualname):
            raise _refuse(target, f"reaches {qualname or part}, defined in '{defined_in}', which is outside "
                                  f"{_scope_text(target, allowance)}",
                          "name it where it is defined, and allow that package", location)
        if inspect.ismethod(obj) and not allowance.defines(*defined(obj.__self__)):
            raise _refuse(target, f"reaches a method of {obj.__self__.__qualname__}, defined outside "
                                  f"{_scope_text(target, allowance)}", "name it where it is defined", location)
    return obj


def may_build(cls: Any, allow_import: AllowImport) -> bool:
    """``cls`` is a scheduler class lrplot may build and step: one of a family it knows
    (:func:`lrplot.families.is_scheduler_class`), or a class with a ``step()`` method
    defined in a local file the user allowed (see the rule above)."""
    if is_scheduler_class(cls):
        return True
    module = getattr(cls, "__module__", None)
    allowance = allowed_imports(allow_import)
    return (inspect.isclass(cls) and module in allowance.loaded.local_files and callable(getattr(cls, "step", None))
            and allowance.defines(module, cls.__qualname__))


def check_callable(obj: Any, target: ImportTarget, allowance: Allowance, location: Location) -> None:
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
