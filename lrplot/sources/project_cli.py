"""The class a project's LightningCLI subclass fixes for ``optimizer`` or ``lr_scheduler``, read
from its source, parsed and never imported.

``parser.add_optimizer_args(torch.optim.SGD)`` / ``parser.add_lr_scheduler_args(X)`` in a CLI's
``add_arguments_to_parser`` make that section's class fixed (Lightning 2.6.6,
lightning/pytorch/cli.py ``LightningArgumentParser.add_optimizer_args``: a single class is added
with ``add_class_arguments``, so the config holds its init arguments with no ``class_path``). The
project's ``.py`` files are looked for from the config's folder up to the project's top (a root
marker, as :mod:`.project_source` finds it), nearest folder first: the first folder whose files
make such calls decides. Its calls must agree; a tuple of classes, a class computed in code, or
calls that name different classes give no answer (the caller asks).
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

from ..limits import MAX_PROJECT_SCAN_FILES
from .project_source import _SKIP_DIRS, ROOT_MARKERS, _imported, _parse, _tree

METHODS = {"optimizer": "add_optimizer_args", "lr_scheduler": "add_lr_scheduler_args"}


@dataclass(frozen=True)
class Fixed:
    """What the project's source fixes for one section: ``name`` the dotted class (None: no single
    answer, ``why`` says why), ``where`` the ``file:line`` of the call(s)."""

    name: str | None
    where: str
    why: str = ""


def _dotted(node: ast.expr, tree: ast.Module, file: Path) -> str | None:
    """``torch.optim.SGD`` written out, or a name imported with ``from torch.optim import SGD``."""
    if isinstance(node, ast.Attribute):
        parts = []
        current: ast.expr = node
        while isinstance(current, ast.Attribute):
            parts.append(current.attr)
            current = current.value
        if isinstance(current, ast.Name):
            return ".".join([current.id] + parts[::-1])
        return None
    if isinstance(node, ast.Name):
        return _imported(tree, "", file, node.id) or node.id
    return None


def _calls(tree: ast.Module, file: Path, method: str) -> list[tuple[str | None, int, str]]:
    """(class, line, why-not) of every ``X.method(...)`` for the default nested key."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method):
            continue
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        nested = keywords.get("nested_key", node.args[1] if len(node.args) > 1 else None)
        default_key = "optimizer" if method == METHODS["optimizer"] else "lr_scheduler"
        if nested is not None and not (isinstance(nested, ast.Constant) and nested.value == default_key):
            continue  # another section (encoder_optimizer, ...)
        given = keywords.get(f"{default_key}_class", node.args[0] if node.args else None)
        if given is None:
            found.append((None, node.lineno, "names no class (any subclass then takes a class_path)"))
            continue
        name = _dotted(given, tree, file)
        why = "" if name else f"names '{ast.unparse(given)}', not one class (a choice of classes takes a class_path)"
        found.append((name, node.lineno, why))
    return found


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def fixed_class(config: Path, section: str) -> Fixed | None:
    """The class the project's CLI fixes for ``section`` (``optimizer`` or ``lr_scheduler``), from
    the nearest folder (config's folder, then its parents up to the project's top) whose ``.py``
    files call ``add_optimizer_args`` / ``add_lr_scheduler_args``; None when none does."""
    method = METHODS[section]
    folders = _tree(config)
    marked = any((folders[-1] / m).exists() for m in ROOT_MARKERS)
    if not marked:
        folders = folders[:1]
    count = 0
    seen: set[Path] = set()
    for depth, folder in enumerate(folders):
        calls: list[tuple[str | None, str, str]] = []
        # the folder's own files, and at the project's top every file below it
        walker = os.walk(folder) if depth == len(folders) - 1 and marked else [(str(folder), [], os.listdir(folder))]
        for here, dirs, files in walker:
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                path = Path(here, name)
                if not name.endswith(".py") or path in seen:
                    continue
                seen.add(path)
                count += 1
                if count > MAX_PROJECT_SCAN_FILES:
                    return _one(calls)
                tree = _parse(path, needs=method)
                if tree is not None:
                    calls += [(n, f"{_shown(path)}:{line}", why) for n, line, why in _calls(tree, path, method)]
        if calls:
            return _one(calls)
    return None


def _one(calls: list[tuple[str | None, str, str]]) -> Fixed | None:
    if not calls:
        return None
    unknown = next(((where, why) for name, where, why in calls if name is None), None)
    if unknown is not None:
        return Fixed(None, unknown[0], f"the call at {unknown[0]} {unknown[1]}")
    names = dict.fromkeys(name for name, _, _ in calls)
    if len(names) == 1:
        return Fixed(calls[0][0], ", ".join(where for _, where, _ in calls))
    return Fixed(None, calls[0][1], "the project's CLI subclasses fix different classes ("
                 + ", ".join(f"{where}: {name}" for name, where, _ in calls) + ")")
