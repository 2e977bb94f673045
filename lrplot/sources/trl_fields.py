"""TRL's config dataclasses as the TRL reader needs them (name, fields, defaults), read from their
installed source files with ``ast``, never importing trl: ``import trl`` alone costs ≈ 0.26 s of CPU
(``trl/import_utils.py`` calls ``importlib.metadata.packages_distributions()`` at import), and an
experimental trainer's package ``__init__`` imports the trainer beside its config (``trl.experimental.orpo``:
2.6 s). A base class outside trl (``TrainingArguments``) is the real one, imported. A class this cannot
read exactly (a default that is not a literal, a base it cannot follow) is imported instead: slower,
never different. tests/test_dependency_shapes.py checks every class read so against the imported class.
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

_NOT_FIELDS = ("ClassVar", "InitVar", "KW_ONLY")  # annotations of class attributes that are no fields


@dataclass(frozen=True)
class ConfigFields:
    """A config dataclass's name, its fields in order and the defaults it gives (a field without one,
    or with a default_factory, has none here, as ``dataclasses.fields`` says ``MISSING``)."""

    name: str
    fields: tuple[str, ...]
    defaults: dict[str, Any] = field(hash=False)

    @classmethod
    def of(cls, klass: type) -> ConfigFields:
        found = dataclasses.fields(klass)
        return cls(klass.__name__, tuple(f.name for f in found),
                   {f.name: f.default for f in found if f.default is not dataclasses.MISSING})


class _Unreadable(Exception):
    pass


def trl_root() -> Path | None:
    """The installed trl package's folder, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("trl")
    locations = spec.submodule_search_locations if spec is not None else None
    return Path(list(locations)[0]) if locations else None


def config_fields(module: str, name: str) -> ConfigFields:
    """``trl.<module>.<name>`` (``trainer.sft_config``, ``SFTConfig``): read from source, else imported."""
    root = trl_root()
    if root is not None:
        try:
            return _read(root, (root / module.replace(".", "/")).with_suffix(".py"), name)
        except _Unreadable:
            pass
    import importlib
    import warnings

    with warnings.catch_warnings():  # trl.experimental warns on import that its APIs may change
        warnings.simplefilter("ignore")
        return ConfigFields.of(getattr(importlib.import_module(f"trl.{module}"), name))


@lru_cache(maxsize=None)
def _tree(path: Path) -> ast.Module:
    """The file's syntax tree, parsed with the collector paused (:mod:`lrplot.astparse`: 0.5 s of CPU
    for the eleven classes otherwise, in a process holding torch and transformers)."""
    from ..astparse import parse

    try:
        return parse(path.read_text("utf-8"), str(path))
    except (OSError, SyntaxError, ValueError):
        raise _Unreadable(str(path)) from None


@lru_cache(maxsize=None)
def _read(root: Path, path: Path, name: str) -> ConfigFields:
    tree = _tree(path)
    node = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
    if node is None or not any(_is_dataclass(d) for d in node.decorator_list):
        raise _Unreadable(f"{path}: {name}")
    fields: list[str] = []
    defaults: dict[str, Any] = {}
    for base in reversed(node.bases):  # the first base's fields win, as in the class's MRO
        parent = _base(root, path, tree, base)
        fields += [f for f in parent.fields if f not in fields]
        defaults.update(parent.defaults)
    for stmt in node.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        if _name(stmt.annotation.value if isinstance(stmt.annotation, ast.Subscript) else stmt.annotation) \
                in _NOT_FIELDS:
            continue
        key = stmt.target.id
        if key not in fields:
            fields.append(key)
        defaults.pop(key, None)
        default = _default(stmt.value)
        if default is not dataclasses.MISSING:
            defaults[key] = default
    return ConfigFields(name, tuple(fields), defaults)


def _name(node: ast.expr) -> str | None:
    """``x`` of a name ``x`` or an attribute ``module.x`` (``ast.unparse`` is slow over a thousand fields)."""
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _is_dataclass(decorator: ast.expr) -> bool:
    return _name(decorator.func if isinstance(decorator, ast.Call) else decorator) == "dataclass"


def _default(value: ast.expr | None) -> Any:
    """A field's default: the literal, ``field(default=...)``'s, or MISSING (none, or a factory)."""
    if value is None:
        return dataclasses.MISSING
    if isinstance(value, ast.Call) and _name(value.func) == "field":
        given = {k.arg: k.value for k in value.keywords}
        if value.args or None in given:
            raise _Unreadable("field() with positional or ** arguments")
        if "default" not in given:
            return dataclasses.MISSING
        value = given["default"]
    try:
        return ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise _Unreadable(ast.unparse(value)) from None


def _base(root: Path, path: Path, tree: ast.Module, base: ast.expr) -> ConfigFields:
    """A base class: one of the same file, one imported from a trl file (read), or from elsewhere
    (imported: TrainingArguments)."""
    if not isinstance(base, ast.Name):
        raise _Unreadable(ast.unparse(base))
    if any(isinstance(n, ast.ClassDef) and n.name == base.id for n in tree.body):
        return _read(root, path, base.id)
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and any((a.asname or a.name) == base.id for a in stmt.names):
            real = next(a.name for a in stmt.names if (a.asname or a.name) == base.id)
            if stmt.level:
                folder = path.parent
                for _ in range(stmt.level - 1):
                    folder = folder.parent
                return _read(root, (folder / (stmt.module or "").replace(".", "/")).with_suffix(".py"), real)
            if stmt.module and (stmt.module == "trl" or stmt.module.startswith("trl.")):
                return _read(root, (root.parent / stmt.module.replace(".", "/")).with_suffix(".py"), real)
            import importlib

            klass = getattr(importlib.import_module(stmt.module or ""), real)
            if not dataclasses.is_dataclass(klass):
                raise _Unreadable(real)
            return ConfigFields.of(klass)
    raise _Unreadable(base.id)
