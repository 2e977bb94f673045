"""A config value a project's ``configure_optimizers`` reads for the interval it gives Lightning:
``self.cfg.train.get('scheduler_interval', 'step')``, ``self.cfg.train.scheduler_interval``,
``self.cfg["train"]["scheduler_interval"]``, where ``self.cfg`` was set from an init argument
(``self.cfg = cfg`` in ``__init__``). Parsed, never run: :mod:`.project_source` finds the expression,
this module says which init argument holds the config, which keys it walks and the default the
code gives; the reader looks the keys up in the config it read (:mod:`.hydra_module`)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Callable

from ..yamlio import KeyPath


@dataclass(frozen=True)
class ConfigRead:
    """``param``: the init argument holding the config; ``keys``: the keys walked below it;
    ``default``: what ``.get(key, default)`` gives when the last key is missing (``has_default``
    False: the code gives none); ``text``: the expression as written."""

    param: str
    keys: KeyPath
    has_default: bool
    default: Any
    text: str

    @property
    def key(self) -> str:
        return ".".join(str(k) for k in self.keys)


def _key(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def config_read(value: ast.expr, param_of: Callable[[str], str | None]) -> ConfigRead | None:
    """The config lookup ``value`` is, or None; ``param_of(attr)``: the init argument that
    ``self.attr`` was set from (None: it was set from something else)."""
    node, tail, has_default, default = value, (), False, None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and 1 <= len(node.args) <= 2 and not node.keywords and _key(node.args[0]) is not None):
        tail = (_key(node.args[0]),)
        if len(node.args) == 2:
            try:
                default, has_default = ast.literal_eval(node.args[1]), True
            except (ValueError, TypeError, SyntaxError, RecursionError):
                return None
        node = node.func.value
    keys: list[str] = []
    while True:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            break
        if isinstance(node, ast.Attribute):
            keys.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript) and _key(node.slice) is not None:
            keys.append(_key(node.slice))
            node = node.value
        else:
            return None
    keys = keys[::-1] + list(tail)
    param = param_of(node.attr)
    if param is None or not keys:
        return None
    return ConfigRead(param, tuple(keys), has_default, default, ast.unparse(value))
