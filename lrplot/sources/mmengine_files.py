"""The files an MMEngine config is made of, read WITHOUT running them: its ``_base_`` and
``read_base()`` files (checked by lrplot's file guards before MMEngine reads them), and the names
they assign, which tell an mmcv 1.x config (``lr_config``) from an MMEngine one before anything runs."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from ..astparse import parse
from ..errors import Location, SpecError

# mmcv 1.x's lr_config policies -> the hook class mmcv 1.x runs (mmcv/runner/hooks/lr_updater.py:
# the class is f"{policy}LrUpdaterHook", policy capitalised; 'step' -> StepLrUpdaterHook)
MMCV1_GUIDE = "https://mmengine.readthedocs.io/en/latest/migration/param_scheduler.html"


def _installed(name: str, where: Location) -> None:
    """A ``pkg::path`` base is a file of the installed package ``pkg`` (MMEngine's ``_get_cfg_path``):
    refuse in one line when the package is not installed, instead of MMEngine's lookup error. Finding
    a top-level package's spec imports nothing."""
    import importlib.util

    package = name.split("::")[0]
    try:
        found = importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise SpecError(f"the config inherits from {name}, a file of the Python package '{package}', which is "
                        "not installed here", location=where,
                        hint=f"install {package} (pip install {package}) in the environment that runs lrplot")


def _parse(path: Path, text: str) -> ast.Module:
    try:
        return parse(text, filename=str(path))
    except SyntaxError as exc:
        raise SpecError(f"syntax error: {exc.msg}", location=Location(str(path), exc.lineno, exc.offset)) from None
    except (RecursionError, MemoryError, ValueError):
        raise SpecError("the config is nested too deeply for Python to parse", location=Location(str(path))) from None


def bases(path: Path, text: str) -> list[tuple[Path, Location]]:
    """The local files ``path`` inherits from, each with where it is named: the ``_base_`` list
    (MMEngine's ``_get_base_files``; ``pkg::path`` bases come from installed packages, not checked)
    and the relative imports of a ``with read_base():`` block."""
    tree = _parse(path, text)
    found: list[tuple[Path, Location]] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "_base_":
            where = Location(str(path), node.lineno, node.col_offset + 1)
            try:
                names = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                names = None
            names = [names] if isinstance(names, str) else names
            if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
                raise SpecError("_base_ should be a file name or a list of file names, written out", location=where,
                                hint="lrplot checks every base file before MMEngine reads it")
            for name in names:
                if "::" in name:
                    _installed(name, where)
            found += [(path.parent / name, where) for name in names if "::" not in name]
        elif isinstance(node, ast.With) and any(isinstance(item.context_expr, ast.Call)
                                                and getattr(item.context_expr.func, "id", None) == "read_base"
                                                for item in node.items):
            for imp in node.body:
                if isinstance(imp, ast.ImportFrom) and imp.level:
                    folder = path.parent
                    for _ in range(imp.level - 1):
                        folder = folder.parent
                    found.append((folder / ((imp.module or "").replace(".", "/") + ".py"),
                                  Location(str(path), imp.lineno, imp.col_offset + 1)))
    return found


def check_bases(path: Path, text: str, chain: list[Path], seen: set[Path]) -> None:
    """Every file the config inherits from passes lrplot's file guards before MMEngine reads it: a
    regular file (no pipe, no device) of at most a config's size, no cycle, at most MAX_MMENGINE_BASE_FILES
    files and MAX_YAML_DEPTH levels (MMEngine recurses per level, and reads every file whole)."""
    from ..spec import read_text
    from ..limits import MAX_MMENGINE_BASE_FILES, MAX_YAML_DEPTH
    from ..yamlio import check_expansion

    chain = chain + [path.resolve()]
    for base, where in bases(path, text) if path.suffix == ".py" else ():
        if base.resolve() in chain:
            cycle = " -> ".join(p.name for p in chain[chain.index(base.resolve()):] + [base.resolve()])
            raise SpecError(f"the _base_ files inherit from each other ({cycle})", location=where,
                            hint="remove the _base_ entry that closes the circle")
        if len(chain) > MAX_YAML_DEPTH:
            raise SpecError(f"the _base_ files inherit more than {MAX_YAML_DEPTH} levels deep", location=where)
        if base.resolve() in seen:
            continue
        seen.add(base.resolve())
        if len(seen) > MAX_MMENGINE_BASE_FILES:
            raise SpecError(f"the config inherits from more than {MAX_MMENGINE_BASE_FILES} _base_ files", location=where)
        if not base.is_file() and not base.exists():
            continue  # MMEngine says which file is missing
        base_text = read_text(base, "config", pipe_ok=False)
        if base.suffix in (".yaml", ".yml", ".json"):
            check_expansion(base_text, str(base))
        check_bases(base, base_text, chain, seen)




def assignments(path: Path, text: str, seen: set[Path] | None = None) -> dict[str, tuple[Location, Any]]:
    """Top-level names the config and its local base files assign (``name = ...``), each with where
    and its value's syntax tree; the config's own assignments win over its bases'. Nothing is run."""
    seen = set() if seen is None else seen
    seen.add(path.resolve())
    found: dict[str, tuple[Location, Any]] = {}
    for base, _ in bases(path, text):
        if base.resolve() not in seen and base.is_file():
            from ..spec import read_text

            found.update(assignments(base, read_text(base, "config", pipe_ok=False), seen))
    for node in _parse(path, text).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = (Location(str(path), node.lineno, node.col_offset + 1), node.value)
    return found


def refuse_mmcv1(path: Path, text: str) -> None:
    """An mmcv 1.x config (``lr_config = dict(policy=...)`` and no ``param_scheduler``): its schedule
    is an mmcv 1.x LrUpdaterHook, which MMEngine (and so lrplot) does not run: one line saying so."""
    names = assignments(path, text)
    if "lr_config" not in names or "param_scheduler" in names:
        return
    where, value = names["lr_config"]
    policy = None
    if isinstance(value, ast.Call):
        for kw in value.keywords:
            if kw.arg == "policy" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                policy = kw.value.value
    elif isinstance(value, ast.Dict):
        for key, item in zip(value.keys, value.values):
            if isinstance(key, ast.Constant) and key.value == "policy" and isinstance(item, ast.Constant):
                policy = item.value
    hook = f"{policy[:1].upper()}{policy[1:]}LrUpdaterHook" if isinstance(policy, str) and policy else "LrUpdaterHook"
    raise SpecError(f"an mmcv 1.x config: its lr_config{f' (policy {policy!r})' if policy else ''} is run by "
                    f"mmcv 1.x's {hook}, which MMEngine replaced and lrplot does not run",
                    location=where, hint=f"write it as MMEngine's param_scheduler (see {MMCV1_GUIDE}) "
                                         "or as an lrplot spec")
