"""The shapes a LightningCLI config takes beyond ``--print_config``'s, read as LightningCLI reads
them (Lightning 2.6.6, jsonargparse 4.x):

- **a subcommand's section**: ``fit: {trainer: ..., model: ..., optimizer: ...}``, the file given to
  the CLI's top-level ``--config`` (``python main.py --config cfg.yaml fit``); the ``fit`` section is
  read, as ``fit`` is the subcommand that trains.
- **short class names**: ``class_path: AdamW``, ``class_path: CosineAnnealingLR``. jsonargparse
  resolves a name without dots among the imported subclasses of the section's base class
  (``resolve_class_path_by_name``); for LightningCLI's ``optimizer`` (``torch.optim.Optimizer``) and
  ``lr_scheduler`` (``LRSchedulerTypeUnion``) sections those are torch's, and Lightning's own
  ``ReduceLROnPlateau`` (lightning/pytorch/cli.py) for that name, checked with a real LightningCLI in
  tests/test_sources_lightning_variants.py. Another short name is a class of the project's, which
  lrplot cannot place: asked for its dotted path.
- **a fixed class**: ``optimizer: {lr: 0.05, momentum: 0.9}`` with no ``class_path``, when the
  project's CLI subclass calls ``parser.add_optimizer_args(torch.optim.SGD)`` (or
  ``add_lr_scheduler_args``): the class is read from the project's source (:mod:`.project_cli`),
  else asked for with ``--set optimizer.class_path=...``.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..astparse import parse
from ..yamlio import KeyPath, SourceMap, format_path
from . import framework as fw
from . import lightning_loop as rules

if TYPE_CHECKING:  # pragma: no cover
    from .protocol import Document

SUBCOMMANDS = ("fit", "validate", "test", "predict")
STEPPING_KEYS = ("interval", "frequency")  # lrplot reads these beside class_path (Lightning's dict keys)
SECTIONS = ("optimizer", "lr_scheduler")
_PACKAGES = {"optimizer": "torch.optim", "lr_scheduler": "torch.optim.lr_scheduler"}
LIGHTNING_PLATEAU = "lightning.pytorch.cli.ReduceLROnPlateau"


def fit_section(data: Any) -> bool:
    """``data`` is a config of LightningCLI subcommands with a ``fit`` section (and nothing else
    but other subcommands' sections and the CLI's top-level keys)."""
    return (isinstance(data, dict) and isinstance(data.get("fit"), dict)
            and all(k in SUBCOMMANDS or k in ("config", "seed_everything") for k in data))


def subcommand_view(doc: Document) -> tuple[Document, KeyPath]:
    """The document to read and the key path it sits at: the ``fit`` section of a subcommands
    config (its positions kept, so errors still point at the file's lines), else ``doc`` itself."""
    from dataclasses import replace

    if not fit_section(doc.data):
        return doc, ()
    prefix = ("fit",)
    source = SourceMap(doc.source.path, by_path=doc.source.by_path)
    for table, view in ((doc.source.keys, source.keys), (doc.source.values, source.values),
                        (doc.source.text_start, source.text_start)):
        for path, location in table.items():
            if path[:1] == prefix:
                view[path[1:]] = location
    return replace(doc, data=doc.data["fit"], source=source), prefix


@lru_cache(maxsize=None)
def torch_names(module: str) -> frozenset[str]:
    """The public names of ``torch.optim`` or ``torch.optim.lr_scheduler`` (their ``__all__``): the module's own
    when it is imported (a simulation imports it), else read from torch's source with :mod:`ast` (importing torch
    takes a second; parsing lr_scheduler.py ≈ 20 ms); empty when moved. Both ways give the same
    (tests/test_dependency_shapes.py)."""
    import sys
    from importlib.util import find_spec
    from pathlib import Path
    from types import ModuleType

    loaded = sys.modules.get(module)
    names = loaded.__dict__.get("__all__") if isinstance(loaded, ModuleType) else None
    if isinstance(names, (list, tuple)) and all(isinstance(name, str) for name in names):
        return frozenset(names)
    try:
        spec = find_spec("torch")
    except (ImportError, ValueError):
        return frozenset()
    if spec is None or not spec.origin:
        return frozenset()
    parts = module.split(".")[1:]
    base = Path(spec.origin).parent.joinpath(*parts)
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    try:
        tree = parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return frozenset()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets):
            try:
                return frozenset(ast.literal_eval(stmt.value))
            except (ValueError, TypeError, SyntaxError):
                return frozenset()
    return frozenset()


def full_name(section: str, name: str) -> str | None:
    """The dotted class LightningCLI makes of ``name`` in ``section`` (None: not one of torch's).
    A dotted name inside a torch.optim submodule (``torch.optim.adamw.AdamW``) is torch.optim's."""
    package = _PACKAGES[section]
    last = name.rpartition(".")[2]
    if "." in name:
        inside = name.startswith("torch.optim.") and last in torch_names(package) and (
            section == "optimizer" or name.startswith(package + "."))
        return f"{package}.{last}" if inside else name
    if section == "lr_scheduler" and name == "ReduceLROnPlateau":
        return LIGHTNING_PLATEAU
    return f"{package}.{name}" if name in torch_names(package) else None


def resolve_short(doc: Document, target: fw.Target, section: str, prefix: KeyPath) -> None:
    """Give ``target`` (a class_path of ``section``) its full dotted name, as LightningCLI does."""
    name = full_name(section, target.name)
    if name is None:
        key = format_path(prefix + target.path)
        raise fw.error(doc, f"short class name '{target.name}': LightningCLI resolves it among the imported "
                            f"subclasses of the {section} base class, and it is none of torch's",
                       target.path, hint=f"write its full dotted path (--set {key}=package.module.{target.name})")
    target.name = name


def section_args(node: dict) -> dict:
    """A fixed class's init arguments: the section's keys but lrplot's stepping keys."""
    return {k: v for k, v in node.items() if k not in STEPPING_KEYS and k != "class_path"}


def looks_fixed(data: Any) -> bool:
    """A LightningCLI config whose optimizer or lr_scheduler class is fixed by the CLI: a
    ``trainer`` of Lightning Trainer arguments only, beside an ``optimizer`` or ``lr_scheduler``
    mapping (no Hydra ``_target_`` in either)."""
    if not isinstance(data, dict) or not isinstance(data.get("trainer"), dict) or "defaults" in data:
        return False
    sections = [data.get(s) for s in SECTIONS if s in data]
    if not sections or not all(isinstance(s, dict) and "_target_" not in s for s in sections):
        return False
    trainer = data["trainer"]
    return "_target_" not in trainer and rules.not_lightning_trainer(trainer) is None
