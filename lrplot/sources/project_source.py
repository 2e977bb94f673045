"""Reads a training project's Python source, parsed and never imported, for the one stepping fact its config cannot
say: the ``interval`` a LightningModule's (or a LightningCLI subclass's) ``configure_optimizers`` gives
Lightning.

The module of a ``class_path`` is looked for on the config's project tree (the config's folder and its parents
up to a root marker: ``.git``, ``pyproject.toml``, ``setup.py``, ``setup.cfg``; each also with ``src/``) and on
``PYTHONPATH``, then parsed with :mod:`ast`. The class's own methods and those of its bases found in the project
are read in method-resolution order (the first class that defines ``configure_optimizers`` decides): an
``"interval"`` key of a dict literal or a ``dict(interval=...)`` call in its methods, whose value is a string
literal, or an init argument (``self.hparams.X``, ``self.hparams["X"]``, ``self.X``) whose value the config
gives or whose default ``__init__`` declares, or a config value read through an init argument
(``self.cfg.train.get('scheduler_interval', 'step')``: :mod:`.project_config`, which the reader looks up). No
``interval`` at all: the scheduler is returned bare and Lightning's default applies. Anything else (an attribute
of the scheduler, a computed value, intervals that differ) is ``dynamic``: the caller asks."""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..astparse import parse
from ..errors import SpecError
from ..limits import MAX_PROJECT_PARENTS, MAX_PROJECT_SCAN_FILES, MAX_PROJECT_SOURCE_BYTES
from ..spec.files import may_hold, read_text
from .project_config import ConfigRead, config_read
from .project_files import python_files

ROOT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")
_SKIP_DIRS = {".git", "__pycache__", "node_modules", "venv", ".venv", "env", "site-packages", "build", "dist"}


@dataclass(frozen=True)
class Interval:
    """What a project's source says about its scheduler's interval. ``value`` is ``'step'`` or ``'epoch'`` where the
    source says (or None: computed, ``why`` says from what); ``where`` is ``file:line`` of the ``interval`` (or of
    ``configure_optimizers`` when it sets none); ``default`` is True when no ``interval`` was written (Lightning's
    default applies); ``arg`` names the init argument it is taken from, if any; ``read``: the config value the code
    reads (value None until the reader looks it up in the config)."""

    value: str | None
    where: str
    default: bool = False
    arg: str | None = None
    why: str = ""
    read: ConfigRead | None = None


def _tree(config: Path) -> list[Path]:
    """The config's folder and its parents up to a root marker (the last is the project's top)."""
    folders = []
    folder = config.resolve().parent
    for _ in range(MAX_PROJECT_PARENTS + 1):
        folders.append(folder)
        if any((folder / m).exists() for m in ROOT_MARKERS) or folder.parent == folder:
            break
        folder = folder.parent
    return folders


def project_roots(config: Path) -> list[Path]:
    """Where a config's project modules may live: its folder and parents up to a root marker
    (each also with ``src/``), then ``PYTHONPATH``."""
    roots: list[Path] = []
    for folder in _tree(config):
        roots.append(folder)
        if (folder / "src").is_dir():
            roots.append(folder / "src")
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if entry and Path(entry).is_dir():
            roots.append(Path(entry).resolve())
    return roots


def _parse(path: Path, needs: str = "", shape: re.Pattern[str] | None = None, also: str = "",
           held: bool = False) -> ast.Module | None:
    """The module at ``path`` parsed (None: unreadable, not Python, without ``needs`` or ``also``, or with no match
    of ``shape``: a file that cannot hold what is looked for is neither read whole nor parsed; ``held``: its
    bytes hold ``needs``)."""
    try:
        if needs and not held and not may_hold(path, needs.encode(), MAX_PROJECT_SOURCE_BYTES):
            return None
        text = read_text(path, "Python module", MAX_PROJECT_SOURCE_BYTES, pipe_ok=False)
        if needs not in text or also not in text or (shape is not None and shape.search(text) is None):
            return None
        return parse(text, filename=str(path))
    except (SpecError, SyntaxError, ValueError, RecursionError):
        return None


def _module_file(module: str, roots: list[Path]) -> Path | None:
    parts = module.split(".")
    if not module or not all(p.isidentifier() for p in parts):
        return None
    for root in roots:
        for candidate in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")):
            if candidate.is_file():
                return candidate
    return None


@dataclass(frozen=True)
class _Class:
    node: ast.ClassDef
    file: Path
    module: str
    tree: ast.Module


def _imported(tree: ast.Module, module: str, file: Path, name: str) -> str | None:
    """The dotted name ``name`` was imported as in ``tree`` (``from .x import name``)."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if (alias.asname or alias.name) == name:
                    base = module.split(".")
                    if file.name != "__init__.py":
                        base = base[:-1]
                    if stmt.level:
                        base = base[:len(base) - stmt.level + 1]
                        prefix = ".".join(base + ([stmt.module] if stmt.module else []))
                    else:
                        prefix = stmt.module or ""
                    return f"{prefix}.{alias.name}" if prefix else alias.name
    return None


def find_class(class_path: str, roots: list[Path], _depth: int = 0) -> _Class | None:
    """The ``ClassDef`` of a dotted class name in the project's source (following one re-export
    through a package's ``from .x import Name``), or None."""
    module, _, name = class_path.rpartition(".")
    file = _module_file(module, roots)
    tree = _parse(file) if file else None
    if file is None or tree is None:
        return None
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == name:
            return _Class(stmt, file, module, tree)
    target = _imported(tree, module, file, name)
    if target and target != class_path and _depth < 4:
        return find_class(target, roots, _depth + 1)
    return None


def _bases(cls: _Class, roots: list[Path]) -> list[_Class]:
    """``cls`` and its bases found in the project, depth first (Python's order for single inheritance)."""
    out, todo = [], [cls]
    while todo and len(out) < 16:
        current = todo.pop(0)
        out.append(current)
        found = []
        for base in current.node.bases:
            name = base.id if isinstance(base, ast.Name) else None
            if name is None:
                continue
            local = next((s for s in current.tree.body if isinstance(s, ast.ClassDef) and s.name == name), None)
            if local is not None:
                found.append(_Class(local, current.file, current.module, current.tree))
                continue
            dotted = _imported(current.tree, current.module, current.file, name)
            other = find_class(dotted, roots) if dotted else None
            if other is not None:
                found.append(other)
        todo = found + todo
    return out


def _methods(cls: _Class) -> dict[str, ast.FunctionDef]:
    return {s.name: s for s in cls.node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _interval_values(func: ast.AST) -> list[ast.expr]:
    found = []
    for node in ast.walk(func):
        if isinstance(node, ast.Dict):
            found += [v for k, v in zip(node.keys, node.values)
                      if isinstance(k, ast.Constant) and k.value == "interval"]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            found += [kw.value for kw in node.keywords if kw.arg == "interval"]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant)
                        and target.slice.value == "interval"):
                    found.append(node.value)
    return found


def _arg_name(value: ast.expr) -> str | None:
    """``X`` of ``self.hparams.X``, ``self.hparams["X"]`` or ``self.X``."""
    if isinstance(value, ast.Attribute):
        owner = value.value
        if isinstance(owner, ast.Name) and owner.id == "self":
            return value.attr
        if (isinstance(owner, ast.Attribute) and owner.attr == "hparams" and isinstance(owner.value, ast.Name)
                and owner.value.id == "self"):
            return value.attr
    if (isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Constant)
            and isinstance(value.slice.value, str) and isinstance(value.value, ast.Attribute)
            and value.value.attr == "hparams"):
        return value.slice.value
    return None


def _init_default(chain: list[_Class], arg: str) -> tuple[bool, Any]:
    """Whether the first ``__init__`` of ``chain`` declares ``arg`` with a literal default, and it."""
    init = next((_methods(c)["__init__"] for c in chain if "__init__" in _methods(c)), None)
    return (False, None) if init is None else _literal_default(init, arg)


def _literal_default(func: ast.FunctionDef, name: str, passed: int = 0) -> tuple[bool, Any]:
    """Whether ``func`` declares ``name`` with a literal default, and it (``passed``: the number of
    positional arguments after ``self`` its caller always passes: a default there never applies)."""
    args = func.args
    positional = args.posonlyargs + args.args
    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in func.decorator_list)
    given = {a.arg for a in positional[:passed + (0 if static else 1)]} if passed else set()
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    for a, default in pairs:
        if a.arg == name and a.arg not in given:
            try:
                return True, ast.literal_eval(default)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                return False, None
    return False, None


def _where(cls: _Class, node: ast.AST) -> str:
    """``file:line``, the file relative to the working folder when it lies below it."""
    file = cls.file
    try:
        file = file.relative_to(Path.cwd().resolve())
    except ValueError:
        pass
    return f"{file}:{getattr(node, 'lineno', 0)}"


def _attribute(chain: list[_Class], name: str) -> tuple[_Class, ast.expr] | None:
    """Where the classes of ``chain`` set ``name``: a class attribute, or ``self.name = ...`` in a method."""
    for cls in chain:
        for stmt in cls.node.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                return cls, stmt.value
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name \
                    and stmt.value is not None:
                return cls, stmt.value
        for func in _methods(cls).values():
            for node in ast.walk(func):
                if isinstance(node, ast.Assign) and any(
                        isinstance(t, ast.Attribute) and t.attr == name and isinstance(t.value, ast.Name)
                        and t.value.id == "self" for t in node.targets):
                    return cls, node.value
    return None


def _scheduler_attribute(value: ast.expr, scheduler: list[_Class]) -> Interval | None:
    """``lr_scheduler.interval`` (an attribute of the scheduler object): the literal the scheduler's
    class sets, when its source is in the project."""
    if not (isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id != "self"
            and scheduler):
        return None
    found = _attribute(scheduler, value.attr)
    if found is None or not (isinstance(found[1], ast.Constant) and found[1].value in ("step", "epoch")):
        return None
    cls, literal = found
    return Interval(literal.value, _where(cls, literal), arg=value.attr,
                    why=f"the scheduler's {value.attr}, set by {cls.module}.{cls.node.name}" if cls.module
                    else f"the scheduler's {value.attr}, set by {cls.node.name}")


def _init_param(chain: list[_Class], attr: str) -> str | None:
    """The init argument ``self.attr`` is set from (``self.cfg = cfg`` in ``__init__``), or None."""
    found = _attribute(chain, attr)
    if found is None or not isinstance(found[1], ast.Name):
        return None
    init = _methods(found[0]).get("__init__")
    names = [a.arg for a in (*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs)] if init else []
    return found[1].id if found[1].id in names[1:] else None


def interval_of(chain: list[_Class], init_args: dict, scheduler: list[_Class] | None = None,
                passed: int = 0) -> Interval | None:
    """The interval ``configure_optimizers`` of the first class of ``chain`` defining it gives
    (None: none of them defines it); ``scheduler``: the scheduler's class and bases, for an
    interval read off the scheduler object; ``passed``: how many arguments its caller passes
    (Lightning: none to a module's; LightningCLI: lightning_module, optimizer, lr_scheduler)."""
    owner = next((c for c in chain if "configure_optimizers" in _methods(c)), None)
    if owner is None:
        return None
    method = _methods(owner)["configure_optimizers"]
    found: list[tuple[_Class, ast.FunctionDef, ast.expr]] = []
    for cls in chain:  # helpers that build the dict count too: every method of the chain
        for func in _methods(cls).values():
            found += [(cls, func, v) for v in _interval_values(func)]
    if not found:
        return Interval("epoch", _where(owner, method), default=True)
    readings = []
    for cls, func, value in found:
        where = _where(cls, value)
        arg = _arg_name(value)
        attribute = _scheduler_attribute(value, scheduler or [])
        if isinstance(value, ast.Constant) and value.value in ("step", "epoch"):
            readings.append(Interval(value.value, where))
        elif attribute is not None:
            readings.append(attribute)
        elif arg is not None and arg in init_args:
            given = init_args[arg]
            readings.append(Interval(given if given in ("step", "epoch") else None, where, arg=arg,
                                     why=f"init argument '{arg}' is {given!r}"))
        elif arg is not None and _init_default(chain, arg)[0]:
            default = _init_default(chain, arg)[1]
            readings.append(Interval(default if default in ("step", "epoch") else None, where, arg=arg,
                                     why=f"'{arg}' defaults to {default!r}"))
        elif isinstance(value, ast.Name) and func is method and _literal_default(func, value.id, passed)[0]:
            default = _literal_default(func, value.id, passed)[1]
            readings.append(Interval(default if default in ("step", "epoch") else None, where, arg=value.id,
                                     why=f"configure_optimizers' '{value.id}' defaults to {default!r}, and its "
                                         "caller never passes it"))
        elif (read := config_read(value, lambda attr: _init_param(chain, attr))) is not None:
            readings.append(Interval(None, where, why=f"'{read.text}' reads the config", read=read))
        else:
            why = f"'{ast.unparse(value)}' is neither a literal nor an init argument"
            readings.append(Interval(None, where, why=why))
    values = {r.value for r in readings}
    if len(values) == 1 and None not in values:
        return readings[0]
    unknown = next((r for r in readings if r.value is None), None)
    if unknown is not None:
        return unknown
    return Interval(None, readings[0].where, why="the code returns 'step' at "
                    + " and 'epoch' at ".join(r.where for r in (next(r for r in readings if r.value == "step"),
                                                                next(r for r in readings if r.value == "epoch"))))


def _scheduler_chain(scheduler_path: str, roots: list[Path]) -> list[_Class]:
    cls = find_class(scheduler_path, roots)
    return _bases(cls, roots) if cls is not None else []


def model_interval(class_path: str, init_args: dict, config: Path, scheduler_path: str) -> Interval | None:
    """The interval of the LightningModule ``class_path`` (None: its source is not found, or it
    defines no configure_optimizers); ``scheduler_path``: the scheduler's class."""
    roots = project_roots(config)
    cls = find_class(class_path, roots)
    if cls is None:
        return None
    return interval_of(_bases(cls, roots), init_args, _scheduler_chain(scheduler_path, roots))


def _is_cli(base: ast.expr) -> bool:
    name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
    return name == "LightningCLI"


_CLI_CLASS = re.compile(r"\bclass\s[^:]*\bLightningCLI\b")  # before the colon: files that only mention it are not parsed


def cli_classes(config: Path, method: str = "") -> Iterator[_Class]:
    """The project's LightningCLI subclasses, looked for in the ``.py`` files of the config's project (at most
    ``MAX_PROJECT_SCAN_FILES``; without a root marker, only the config's own folder) that name ``method``."""
    tree = _tree(config)
    marked = any((tree[-1] / m).exists() for m in ROOT_MARKERS)
    top = tree[-1] if marked else tree[0]
    for count, file in enumerate(python_files(str(top), _SKIP_DIRS), 1):
        if count > MAX_PROJECT_SCAN_FILES:
            return
        if not may_hold(file, b"LightningCLI", MAX_PROJECT_SOURCE_BYTES):
            continue
        path = Path(file)
        parsed = _parse(path, needs="LightningCLI", shape=_CLI_CLASS, also=method, held=True)
        for stmt in parsed.body if parsed else ():
            if isinstance(stmt, ast.ClassDef) and any(_is_cli(b) for b in stmt.bases):
                yield _Class(stmt, path, "", parsed)


def cli_interval(config: Path, scheduler_path: str) -> Interval | None:
    """The interval of the project's LightningCLI subclass that overrides ``configure_optimizers``
    (the one ``lr_scheduler:`` at the top level goes through). None: no such subclass."""
    seen: list[Interval] = []
    for cls in cli_classes(config, "configure_optimizers"):
        if "configure_optimizers" in _methods(cls):
            scheduler = _scheduler_chain(scheduler_path, project_roots(config))
            found = interval_of(_bases(cls, project_roots(config)), {}, scheduler, passed=3)
            if found is not None:
                seen.append(found)
    return _one(seen)


def _one(seen: list[Interval]) -> Interval | None:
    if not seen:
        return None
    if len({(s.value, s.why) for s in seen}) == 1:
        return seen[0]
    return Interval(None, seen[0].where, why="the project's LightningCLI subclasses differ ("
                    + ", ".join(s.where for s in seen) + ")")
