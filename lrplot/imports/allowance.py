"""The allow rule's data: what is trusted by default, what the user allowed (an :class:`Allowance`),
and the refusal made before anything is imported."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Union

from ..errors import ImportNotAllowedError, Location, SpecError, UsageError
from ..walk import MODULE_NAME, ImportTarget, display_path

ENV_VAR = "LRPLOT_ALLOW_IMPORT"

# Trusted without --allow-import: module prefix -> the top-level names trusted in it (None: all).
TRUSTED: dict[str, tuple[str, ...] | None] = {
    "torch.optim.lr_scheduler": None,
    "torch.optim.swa_utils": ("SWALR",),
    "timm.scheduler": None,
    "transformers.optimization": None,
    "pytorch_accelerated.schedulers": None,
    "deepspeed.runtime.lr_schedules": ("LRRangeTest", "OneCycle", "WarmupLR", "WarmupDecayLR", "WarmupCosineLR"),
    "torchtune.training.lr_schedulers": ("get_cosine_schedule_with_warmup",),
    # torchtitan 0.2.x builds its LambdaLR inside build_lr_schedulers: lrplot's call of it, one model part
    "lrplot.sources.torchtitan": ("lr_schedulers",),
    # torchtitan after 0.2.2 builds it in LRSchedulersContainer.Config.build: lrplot's call of it, one optimizer
    "lrplot.sources.torchtitan_registry": ("lr_schedulers",),
    "megatron.core.optimizer_param_scheduler": ("OptimizerParamScheduler",),
    "nemo.core.optim.lr_scheduler": None,
    "composer.optim.scheduler": None,
    "ignite.handlers.param_scheduler": None,
    # lrplot's own: MMEngine's schedulers on the Runner's iteration clock (accumulative_counts); it
    # builds only mmengine.optim.scheduler's public classes, by name
    "lrplot.sources.mmengine_updates": ("AccumulatedIterations",),
}
# The distribution that installs each trusted top-level package (where it must be found).
DISTRIBUTIONS = {"torch": "torch", "timm": "timm", "transformers": "transformers",
                 "pytorch_accelerated": "pytorch-accelerated", "deepspeed": "deepspeed", "torchtune": "torchtune",
                 "megatron": "megatron-core", "nemo": "nemo-toolkit", "composer": "mosaicml",
                 "ignite": "pytorch-ignite"}
# How a refusal says to allow a name, by where lrplot was called from: the way the user CAN allow it there.
ALLOW_WAYS = {
    "cli": "add --allow-import {name} (or set " + ENV_VAR + "={name})",
    "sphinx": "add '{name}' to lrplot_allow_import in conf.py",
    "mkdocs": "add '{name}' to allow_import of the lrplot plugin in mkdocs.yml",
}


@dataclass
class Loaded:
    """What lrplot has imported for specs in this process, which the rule's answers depend on (as
    Python's own ``sys.modules`` is per process): the local files loaded, each under a private
    module name; the modules made from them, by (resolved path, modification time), so an edited
    file is loaded anew; the trusted packages verified to be the installed ones, by the folder
    where they were found."""

    local_files: dict[str, Path] = field(default_factory=dict)
    local_modules: dict[tuple[str, int], Any] = field(default_factory=dict)
    verified: dict[str, str] = field(default_factory=dict)


LOADED = Loaded()  # this process's; an Allowance reads it unless given another


def within(module: str, prefix: str) -> bool:
    """``module`` is ``prefix`` or one of its submodules."""
    return module == prefix or module.startswith(prefix + ".")


@dataclass(frozen=True)
class Allowance:
    """What the user allowed on top of :data:`TRUSTED`: package prefixes and resolved file paths.
    Made once per run by :func:`allowed_imports`; ``Allowance()`` is the trusted set alone."""

    packages: frozenset[str] = frozenset()
    files: frozenset[Path] = frozenset()
    # packages allowed by their folder's path: the name (also in ``packages``) -> the folder it is imported from
    folders: tuple[tuple[str, Path], ...] = ()
    # what this process has loaded (a local file is known by the private name it was loaded under)
    loaded: Loaded = field(default_factory=lambda: LOADED, compare=False, repr=False)
    way: str = field(default="cli", compare=False)  # a key of ALLOW_WAYS: where the user allows more

    def how_to_allow(self, name: str) -> str:
        """``add --allow-import NAME (...)``, or what the calling context (conf.py, mkdocs.yml) takes."""
        return ALLOW_WAYS[self.way].format(name=name)

    def _scopes(self) -> list[tuple[str, tuple[str, ...] | None]]:
        return list(TRUSTED.items()) + [(p, None) for p in sorted(self.packages)]

    def may_import(self, module: str) -> bool:
        """``module`` may be imported and walked through: inside an allowed package, above one
        (importing ``transformers.optimization`` imports ``transformers``), or an allowed local file."""
        if module in self.loaded.local_files:
            return self.loaded.local_files[module] in self.files
        return any(within(module, p) or within(p, module) for p, _ in self._scopes())

    def may_walk(self, module: str, *, start: str) -> bool:
        """A walk that started at the module ``start`` may pass through ``module``: one inside an
        allowed package, or one on the way down from ``start`` to one."""
        if module == start:
            return True
        if module in self.loaded.local_files:  # another local file, reached through an attribute
            return False
        return any(within(module, p) or (within(p, module) and within(module, start)) for p, _ in self._scopes())

    def defines(self, module: str | None, qualname: str) -> bool:
        """An object defined in ``module`` under ``qualname`` is covered."""
        if not isinstance(module, str):
            return False
        if module in self.loaded.local_files:
            return self.loaded.local_files[module] in self.files
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

    def folder_of(self, top: str) -> Path | None:
        """The folder a package allowed by its path is imported from (None: allowed by name, or not)."""
        return dict(self.folders).get(top)

    def flags(self) -> list[str]:
        """The ``--allow-import`` values that make this allowance (paths relative to the current folder)."""
        by_folder = dict(self.folders)
        return (sorted(p for p in self.packages if p not in by_folder)
                + sorted(display_path(f) for f in [*self.files, *by_folder.values()]))


AllowImport = Union[Allowance, Iterable[str], None]


def allowed_imports(given: AllowImport = None, *, environ: Mapping[str, str] | None = None,
                    way: str = "cli") -> Allowance:
    """The :class:`Allowance` of a run: ``given`` (names or ``.py`` paths, each may be a comma list)
    plus ``$LRPLOT_ALLOW_IMPORT``; ``way`` says how refusals tell the user to allow more (a key of
    :data:`ALLOW_WAYS`). An :class:`Allowance` is returned as it is (made once)."""
    if isinstance(given, Allowance):
        return given
    if isinstance(given, (str, Path)):
        given = [str(given)]
    environ = os.environ if environ is None else environ
    sources = [("--allow-import", str(item)) for item in (given or ())]
    sources.append((ENV_VAR, environ.get(ENV_VAR, "")))
    packages, files, folders = set(), set(), {}
    for origin, item in sources:
        for text in (t.strip() for t in item.split(",")):
            if not text:
                continue
            folder = Path(text).expanduser()
            if ("/" in text or os.sep in text) and not text.endswith(".py") and (folder / "__init__.py").is_file():
                name, path = allowed_folder(origin, text)
                packages.add(name)
                folders[name] = path
            elif text.endswith(".py") or "/" in text or os.sep in text:
                files.add(allowed_file(origin, text))
            elif MODULE_NAME.match(text):
                top = text.split(".")[0]
                if top in sys.stdlib_module_names or top == "__main__":
                    what = "the running program's module" if top == "__main__" else "part of Python's standard library"
                    raise UsageError(f"{origin} {text}: '{top}' is {what}, which holds no schedulers",
                                     hint="allow the package that defines your scheduler")
                packages.add(text)
            else:
                raise UsageError(f"{origin} {text}: not a package name or a .py file",
                                 hint="give a package ('transformers') or a local file's path "
                                      "('configs/my_schedules.py')")
    return Allowance(frozenset(packages), frozenset(files), tuple(sorted(folders.items())), way=way)


def allowed_folder(origin: str, text: str) -> tuple[str, Path]:
    """A package of the project allowed by its folder's path (``./src/mypkg``): its name, and the
    folder, whose parent it is imported from (the package's own relative imports then work)."""
    path = Path(text).expanduser()
    path = (path if path.is_absolute() else Path.cwd() / path).resolve()
    if not MODULE_NAME.match(path.name) or "." in path.name:
        raise UsageError(f"{origin} {text}: the folder name '{path.name}' is not a Python package name",
                         hint="allow the package folder whose name the config's import paths start with")
    if path.name in sys.stdlib_module_names:
        raise UsageError(f"{origin} {text}: '{path.name}' is the name of a module of Python's standard library",
                         hint="rename the package folder")
    return path.name, path


def allowed_file(origin: str, text: str) -> Path:
    path = Path(text).expanduser()
    path = (path if path.is_absolute() else Path.cwd() / path).resolve()
    if not path.is_file() or path.suffix != ".py":
        what = "is a folder" if path.is_dir() else "is not a .py file" if path.exists() else "no such file"
        raise UsageError(f"{origin} {text}: {what}",
                         hint="a local module is allowed by the path of its .py file, a package of the project "
                              "by its folder's path (the folder holding __init__.py), relative to the current "
                              "folder or absolute")
    return path


def refuse_unless_permitted(target: ImportTarget, allowance: Allowance, location: Location) -> None:
    """The check made before anything is imported."""
    if target.file is not None:
        if not target.file.is_file():
            raise SpecError(f"no such Python file: {target.module} (looked in {target.file.parent})",
                            location=location, hint="local files are relative to the spec file's folder")
        if allowance.permits(target):
            return
        flag = target.allow_name
        by_name = (f" ('{target.file.stem}' allows a package: a local file is allowed by its path)"
                   if target.file.stem in allowance.packages else "")
        raise ImportNotAllowedError(
            f"scheduler type '{target.text}' imports the local file {flag}, and a spec alone may not run code",
            hint=f"to allow it, {allowance.how_to_allow(flag)}{by_name}",
            location=location)
    if allowance.permits(target):
        return
    top = target.module.split(".")[0]
    if top in sys.stdlib_module_names or top == "__main__":  # never allowed: say what is wrong instead
        where = "the running program's module" if top == "__main__" else f"Python's standard library ('{top}')"
        raise ImportNotAllowedError(f"scheduler type '{target.text}' is in {where}, which holds no schedulers",
                                    hint="name a scheduler class, e.g. torch.optim.lr_scheduler.CosineAnnealingLR",
                                    location=location)
    trusted = [p if names is None else f"{p}:{'/'.join(names)}" for p, names in TRUSTED.items()
               if p.split(".")[0] == top]
    if trusted:
        what = (f"the Python module '{target.module}', and a spec alone may not run code (of {top}, lrplot "
                f"trusts only {', '.join(trusted)})")
    else:
        what = f"the Python package '{top}', and a spec alone may not run code"
    raise ImportNotAllowedError(f"scheduler type '{target.text}' imports {what}",
                                hint=f"to allow it, {allowance.how_to_allow(top)}",
                                location=location)
