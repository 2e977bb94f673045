"""Scheduler types given as import paths, and the one rule that decides what a spec may reach.

``scheduler: {type: "package.module:Name"}`` names a scheduler class or a factory function in an
importable package; ``type: "my_schedules.py:WarmupPoly"`` names one in a local Python file (a path
relative to the spec file). ``Name`` may be dotted (``CosineLrScheduler.create_scheduler_fn``).

Importing runs code, so a spec alone can never make lrplot import anything it does not trust. The
rule, written here and nowhere else:

* **Trusted by default** (:data:`TRUSTED`): the scheduler modules of the libraries lrplot supports,
  ``torch.optim.lr_scheduler`` (and ``torch.optim.swa_utils:SWALR``), ``timm.scheduler``,
  ``transformers.optimization``, ``pytorch_accelerated.schedulers`` and DeepSpeed's schedule classes
  in ``deepspeed.runtime.lr_schedules`` -- and only as installed: a
  trusted package found anywhere but where its installed distribution put it (a ``transformers.py``
  in the current folder) is refused.
* **Allowed by the user** with ``--allow-import`` / ``$LRPLOT_ALLOW_IMPORT`` (comma-separated) or
  the ``allow_import=`` keyword of the library: a package by its dotted name (``transformers``,
  ``mylib.schedules``; the name covers its submodules), a local file by its PATH
  (``configs/my_schedules.py``, relative to the current folder, or absolute; symlinks resolved),
  never by its stem; a package of the project by its folder's PATH (``./src/mypkg``, the folder
  holding ``__init__.py``; the path must hold a ``/``: a bare name is a package name), which is then
  imported from that folder under its own name (its relative imports work) and is covered as a
  package of that name is. Local files are loaded under a private module name, so they never
  shadow, and are never shadowed by, an installed package. :func:`allowed_imports` makes the one immutable
  :class:`Allowance` a run uses.
* **What an allowance covers**: objects DEFINED in an allowed package or file (a class's or a
  function's ``__module__``), reached by attribute walking that passes only through modules of (or
  above) the allowed packages and classes defined in them; no private (``_``) names. A walk through
  a module-level ``import os`` of an allowed package is refused.
* **What may be called**: a scheduler class (a subclass of torch's ``LRScheduler`` or
  ``ReduceLROnPlateau``, pytorch-accelerated's ``SchedulerBase``, timm's ``Scheduler``, MMEngine's
  ``_ParamScheduler``: :func:`lrplot.families.is_scheduler_class`), a module-level function
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
import inspect
from pathlib import Path
from typing import Any, Iterable

from ..errors import ImportNotAllowedError, Location, SpecError
from ..spec import SchedulerNode, Spec, is_import_path
from ..walk import nodes, parse_import, parse_target
from .allowance import (ALLOW_WAYS, DISTRIBUTIONS, ENV_VAR, LOADED, TRUSTED, Allowance, AllowImport, Loaded,
                        allowed_imports, refuse_unless_permitted, within)
from .loading import import_module, load_local
from .reach import check_callable, defined, kind, may_build, walk


def check_all_allowed(spec_list: Iterable[Spec], *, allow_import: AllowImport) -> None:
    """Refuse (located), before anything runs, a scheduler of any spec, nested ones included, that
    names code the user has not allowed."""
    allowance = allowed_imports(allow_import)
    for spec in spec_list:
        for node in nodes(spec):
            if is_import_path(node.type):
                refuse_unless_permitted(parse_target(spec, node), allowance, spec.locate(node.path + ("type",)))


def resolve_allowed(text: str, *, allow_import: AllowImport, location: Location, base_dir: Path) -> Any:
    """The scheduler class or factory ``text`` names (``pkg.mod:Name``, ``file.py:Name`` relative to
    ``base_dir``, or ``pkg.mod.Name``), imported only if the allowance permits it, and refused (an
    :class:`ImportNotAllowedError` or :class:`SpecError` at ``location``) unless every step of the
    walk and the object itself are covered by the rule of this module. Never calls the object."""
    allowance = allowed_imports(allow_import)
    target = parse_import(text, location=location, base_dir=base_dir)
    refuse_unless_permitted(target, allowance, location)
    if target.file is not None:
        module = load_local(target, allowance.loaded, location)
    else:
        module = import_module(target, target.module, allowance, location)
    obj = walk(module, target, allowance, location)
    check_callable(obj, target, allowance, location)
    return obj


def check_config_code(framework: str, what: str, *, allow_import: AllowImport, location: Location) -> None:
    """Refuse reading a config whose loading runs its code (``what`` says how) unless the user
    allowed ``framework``, the package that runs it, by exactly that name."""
    allowance = allowed_imports(allow_import)
    if framework not in allowance.packages:
        raise ImportNotAllowedError(what, location=location, hint=f"if you trust it, {allowance.how_to_allow(framework)}")


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
        if inspect.isclass(func) and may_build(func, allowance) and allowance.defines(*defined(func)):
            return obj
        what = f"a functools.partial of {getattr(func, '__qualname__', type(func).__name__)}"
        raise ImportNotAllowedError(f"{name} returned {what}, not of a scheduler class lrplot may build",
                                    hint="a factory must return a scheduler, or a partial of an allowed "
                                         "scheduler class", location=location)
    raise SpecError(f"{name} returned {kind(obj)}, not a scheduler", location=location,
                    hint="name a scheduler class, or a function returning a scheduler (a subclass of torch's "
                         "LRScheduler or of a supported library's scheduler base)")


__all__ = ["ALLOW_WAYS", "DISTRIBUTIONS", "ENV_VAR", "LOADED", "TRUSTED", "Allowance", "AllowImport", "Loaded",
           "allowed_imports", "check_all_allowed", "check_config_code", "factory_result", "may_build",
           "resolve_allowed", "resolve_import", "within"]
