"""A config value a project's ``configure_optimizers`` reads for the interval it gives Lightning:
``self.cfg.train.get('scheduler_interval', 'step')``, ``self.cfg.train.scheduler_interval``,
``self.cfg["train"]["scheduler_interval"]``, where ``self.cfg`` was set from an init argument
(``self.cfg = cfg`` in ``__init__``), or ``self.hparams.optim.interval`` /
``self.hparams.get('scheduler_interval', 'step')`` (init argument ``optim`` / ``scheduler_interval``, as
``save_hyperparameters()`` keeps them). Parsed, never run: :mod:`.project_source` finds the
expression, :func:`config_read` says which init argument holds the config, which keys it walks and
the default the code gives; :func:`config_interval`, the one lookup both the Hydra reader
(:mod:`.hydra_module`) and the LightningCLI reader (:mod:`.lightning`) use, finds those keys below the
module's node in the config it read."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..yamlio import KeyPath, format_path
from . import framework as fw
from .protocol import Note, assumption

if TYPE_CHECKING:  # pragma: no cover
    from .protocol import Document


@dataclass(frozen=True)
class ConfigRead:
    """``param``: the init argument holding the config; ``keys``: the keys walked below it;
    ``default``: what ``.get(key, default)`` gives when the last key is missing (``has_default``
    False: the code gives none); ``text``: the expression as written; ``hparams``: read through
    ``self.hparams``, which holds the init arguments only (never the whole config)."""

    param: str
    keys: KeyPath
    has_default: bool
    default: Any
    text: str
    hparams: bool = False

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
    if node.attr == "hparams":  # save_hyperparameters(): self.hparams holds the init arguments by name
        param, keys = (keys[0], keys[1:]) if keys else (None, keys)
    else:
        param = param_of(node.attr)
        if not keys:
            return None
    if param is None:
        return None
    return ConfigRead(param, tuple(keys), has_default, default, ast.unparse(value), node.attr == "hparams")


def has_path(data: Any, path: KeyPath) -> bool:
    """Whether ``data`` holds a value at ``path`` (nested dicts, walked key by key)."""
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def config_interval(doc: Document, module: KeyPath, named: KeyPath, target: str, where: str, read: ConfigRead,
                    resolve: Callable[[KeyPath], Any], add: str, whole: bool) -> tuple[str, Note]:
    """The interval ``configure_optimizers`` (at ``where``) reads from a config (``read``): below
    ``module``, the node holding the module's init arguments, when it gives ``read.param``; else, when
    ``whole`` (Hydra: the project's own code passes the config, ``instantiate(cfg.task, cfg=cfg)``), in
    the whole config, an assumption named. Its value, or the code's default where the config has no
    such key; asked in one line otherwise, located at ``named`` (where the module's class is named).
    ``add``: what a ``--set`` naming a key of the config starts with (Hydra's ``+``, ``fit.`` for a
    LightningCLI file's fit section)."""
    given = has_path(doc.data, module + (read.param,))
    whole = whole and not read.hparams
    base = module + (read.param,) if given or not whole else ()
    at = f"{target}.configure_optimizers at {where} reads '{read.text}'"
    whose = "" if given else (f"; its '{read.param}' taken to be the whole config, which your code passes "
                              f"({format_path(module)} gives none)")
    path = base + read.keys
    if given or whole:
        if has_path(doc.data, path):
            value = resolve(path)
            if value not in ("step", "epoch"):
                raise fw.error(doc, f"'{format_path(path)}' is {value!r}, which {target}.configure_optimizers "
                                    f"({where}) returns as the scheduler's interval; Lightning takes 'step' or "
                                    "'epoch'", path, hint="set it to step or epoch")
            text = f"interval '{value}' read from {format_path(path)} ({at}){whose}"
            return value, (Note(text) if given else assumption(text, settle=f"{add}{format_path(path)}=step|epoch"))
        if read.has_default and read.default in ("step", "epoch"):
            value = read.default
            text = (f"interval '{value}': the config has no {format_path(path)}, so the code's default applies "
                    f"({at}){whose}")
            return value, (Note(text) if given else assumption(text, settle=f"{add}{format_path(path)}=step|epoch"))
    raise fw.error(doc, f"the scheduler's interval is read in code from '{format_path(path)}' "
                        f"({where}: '{read.text}'), which the config does not hold", named,
                   hint=f"add --set {add}{format_path(path)}=step or --set {add}{format_path(path)}=epoch")
