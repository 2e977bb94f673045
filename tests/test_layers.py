"""Parts import only downward: every import in lrplot/ (at top, in functions, under TYPE_CHECKING)
against the direction written once in :mod:`lrplot._layers`."""

from __future__ import annotations

import ast
from pathlib import Path

import lrplot
from lrplot._layers import LAYERS

PACKAGE = Path(lrplot.__file__).parent


def _modules() -> list[tuple[Path, str]]:
    """(file, dotted module name) of every module of the package."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("lrplot",) + path.relative_to(PACKAGE).with_suffix("").parts
        out.append((path, ".".join(parts[:-1] if parts[-1] == "__init__" else parts)))
    return out


def _part(module: str) -> str | None:
    """The part a dotted name is in (None: the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _from_target(path: Path, module: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` statement of ``module`` (in file ``path``) reads."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imported(path: Path, module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The lrplot modules (or names of the package itself) an import statement reaches."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "lrplot"]
    target = _from_target(path, module, node)
    if target.split(".")[0] != "lrplot":
        return []
    if target != "lrplot":
        return [target]
    # ``from lrplot import x``: a part if x is one, else a name the package itself holds
    return [f"lrplot.{a.name}" if (PACKAGE / a.name).exists() or (PACKAGE / f"{a.name}.py").exists()
            else "lrplot" for a in node.names]


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return ids


def _layer_of() -> dict[str, int]:
    return {part: i for i, layer in enumerate(LAYERS) for part in layer}


def test_every_part_has_one_layer():
    listed = [p for layer in LAYERS for p in layer]
    assert len(listed) == len(set(listed)), "a part is listed twice"
    parts = {p.stem if p.suffix == ".py" else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.name != "__init__.py") or (p / "__init__.py").exists()}
    assert sorted(parts - set(listed)) == [], "parts with no layer in lrplot/_layers.py"
    assert sorted(set(listed) - parts) == [], "layers name parts that do not exist"


def violations() -> list[str]:
    layer = _layer_of()
    found = []
    for path, module in _modules():
        tree = ast.parse(path.read_text("utf-8"), str(path))
        here = _part(module)
        typing_only = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _imported(path, module, node):
                there = _part(target)
                where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                if here is None:  # the package itself: a lazy facade, importing no part at run time but its version
                    if there not in (None, "_version") and id(node) not in typing_only:
                        found.append(f"{where}: lrplot/__init__.py imports {target} at run time")
                    continue
                if there is None or there == here:
                    continue
                if there not in layer or here not in layer:
                    continue  # test_every_part_has_one_layer says so
                if layer[there] >= layer[here]:
                    found.append(f"{where}: {here} (layer {layer[here] + 1}) imports {target} "
                                 f"(layer {layer[there] + 1})")
    return found


def test_parts_import_only_downward():
    assert violations() == []


def test_the_walk_sees_imports_inside_functions_and_type_checking(tmp_path, monkeypatch):
    """The checker itself: a function-level import and a TYPE_CHECKING one are both reported."""
    import tests.test_layers as me

    pkg = tmp_path / "lrplot"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "errors.py").write_text("def f():\n    from .cli import main\n")
    (pkg / "text.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from lrplot import spec\n")
    (pkg / "spec.py").write_text("from .errors import f\n")
    (pkg / "cli.py").write_text("")
    monkeypatch.setattr(me, "PACKAGE", pkg)
    assert violations() == [
        "lrplot/errors.py:2: errors (layer 1) imports lrplot.cli (layer 15)",
        "lrplot/text.py:3: text (layer 1) imports lrplot.spec (layer 4)",
    ]


def test_every_name_an_lrplot_module_imports_from_lrplot_exists():
    """Imports inside functions run only on their path, and a move (a constant to limits.py, a module
    into a package) can leave one naming what no longer exists: the suite then passes while a user's
    run fails. Every ``from lrplot.X import NAME`` in lrplot/, wherever it stands, must resolve."""
    import importlib

    missing = []
    for path, module in _modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            target = _from_target(path, module, node)
            if target.split(".")[0] != "lrplot":
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            try:
                imported = importlib.import_module(target)
            except ImportError as exc:
                missing.append(f"{where}: {target} ({exc})")
                continue
            for alias in node.names:
                if alias.name != "*" and not hasattr(imported, alias.name):
                    try:
                        importlib.import_module(f"{target}.{alias.name}")
                    except ImportError:
                        missing.append(f"{where}: {target}.{alias.name}")
    assert missing == []


MAX_LINES = 400  # the house rule (CONTRIBUTING.md): a module that grows past it is split by what it does


def test_no_module_is_longer_than_the_house_rule():
    long = {str(path.relative_to(PACKAGE.parent)): n for path, _ in _modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
