"""Everything a Spec names, walked in one place: its scheduler nodes, the import paths among them,
and the files a run of it reads.

An import path (``package.module:Name``, ``file.py:Name``, or Hydra's ``package.module.Name``) is
only parsed here, never imported: what may be imported is the allow rule's (:mod:`lrplot.imports`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .errors import Location, LrplotError, SpecError
from .spec import SchedulerNode, Spec, is_import_path

MODULE_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def display_path(path: Path) -> str:
    """``path`` as a user types it here: relative to the current folder when inside it."""
    try:
        return Path(path).relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class ImportTarget:
    """What an import-path type names."""

    text: str
    module: str           # dotted module name, or the file path as written
    attribute: str        # possibly dotted
    file: Path | None     # a local file, resolved against the spec's folder

    @property
    def allow_name(self) -> str:
        """What --allow-import must say: the top-level package, or the local file's path."""
        return display_path(self.file.resolve()) if self.file is not None else self.module.split(".")[0]


_EXAMPLE = 'e.g. "transformers:get_cosine_schedule_with_warmup" or "my_schedules.py:WarmupPoly"'


def parse_import(text: str, *, location: Location, base_dir: Path) -> ImportTarget:
    """``package.module:Name``, ``file.py:Name`` or (as Hydra writes it) ``package.module.Name``."""
    if ":" not in text:
        parts = text.split(".")
        if len(parts) < 2 or not all(p.isidentifier() for p in parts):
            raise SpecError(f"'{text}' is not an import path", location=location,
                            hint="write 'package.module.Name'")
        return ImportTarget(text, parts[0], ".".join(parts[1:]), None)
    module, _, attribute = text.rpartition(":")
    module, attribute = module.strip(), attribute.strip()
    if not module or not attribute or not all(p.isidentifier() for p in attribute.split(".")):
        raise SpecError(f"scheduler type '{text}' is not an import path", location=location,
                        hint=f"write 'package.module:Name' or 'file.py:Name', {_EXAMPLE}")
    if module.endswith(".py"):
        file = Path(module)
        if not file.is_absolute():
            file = base_dir / file
        if not file.stem.isidentifier():
            raise SpecError(f"'{module}' cannot be imported: '{file.stem}' is not a Python module name",
                            location=location, hint="rename the file to letters, digits and underscores")
        return ImportTarget(text, module, attribute, file)
    if not MODULE_NAME.match(module):
        raise SpecError(f"scheduler type '{text}': '{module}' is not a module name", location=location,
                        hint=f"write 'package.module:Name' or 'file.py:Name', {_EXAMPLE}")
    return ImportTarget(text, module, attribute, None)


def parse_target(spec: Spec, sched: SchedulerNode) -> ImportTarget:
    return parse_import(sched.type, location=spec.locate(sched.path + ("type",)), base_dir=spec.base_dir)


def nodes(spec: Spec) -> Iterator[SchedulerNode]:
    """Every scheduler node of ``spec``, nested ones included: schedule by schedule, each tree
    parent first, in file order."""
    for schedule in spec.schedule_list():
        stack = list(reversed(schedule.schedulers))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.schedulers or []))


def import_paths(spec: Spec) -> list[str]:
    """Every import-path type ``spec`` names (its optimizers' and schedulers'), once each, in order."""
    types = [schedule.optimizer.type for schedule in spec.schedule_list()] + [node.type for node in nodes(spec)]
    return list(dict.fromkeys(t for t in types if is_import_path(t)))


def local_files(spec: Spec) -> list[tuple[SchedulerNode, Path]]:
    """The local Python files ``spec``'s scheduler types import (``file.py:Name``), with the node
    naming each; a type that is not a valid import path is left to the build to report."""
    found = []
    for node in nodes(spec):
        if is_import_path(node.type):
            try:
                target = parse_target(spec, node)
            except LrplotError:
                continue
            if target.file is not None:
                found.append((node, target.file))
    return found


def input_files(specs: Iterable[Spec]) -> list[tuple[Path, str]]:
    """Every file a run of ``specs`` reads, with what it is: each spec file, its metric CSVs and
    the local Python files its import paths name."""
    found: list[tuple[Path, str]] = []
    for spec in specs:
        name = spec.file.name if spec.file is not None else "the spec"
        if spec.file is not None:
            found.append((spec.file, "a spec file"))
        found.extend((p, f"the metric CSV of {name}") for p in spec.input_files())
        found.extend((file, f"a Python file {name} imports") for _, file in local_files(spec))
    return found
