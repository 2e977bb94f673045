"""``parser.link_arguments(source, target)`` in a project's LightningCLI subclass (its
``add_arguments_to_parser``, lightning/pytorch/cli.py:481 in Lightning 2.6.6): at parse time
jsonargparse copies the source's value into the target (``apply_parsing_links``,
jsonargparse/_link_arguments.py:294, jsonargparse 4.53.0), and the target is in neither the config
nor what ``fit --print_config`` writes (``strip_link_target_keys``, :472). A model init argument the
interval is read from may so be set by another key of the config: :func:`model_links` finds the links
to the model's init arguments, parsed and never run (:mod:`.project_source` finds the subclasses)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from .project_source import _methods, _where, cli_classes

_TARGETS = ("model.init_args.", "model.")  # subclass mode, and a model class the CLI fixes


@dataclass(frozen=True)
class Link:
    """A link to the model's init argument ``target`` (its name), written at ``where`` (file:line).
    ``source``: the config key whose value LightningCLI copies there, as a path; None when lrplot
    cannot follow it, ``why`` saying why (a compute_fn, several sources, a value of an instantiated object)."""

    target: str
    where: str
    source: tuple[str, ...] | None
    why: str = ""

    @property
    def source_key(self) -> str:
        return ".".join(self.source or ())


def _argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _link(call: ast.Call, where: str) -> Link | None:
    target = _argument(call, 1, "target")
    if not (isinstance(target, ast.Constant) and isinstance(target.value, str)):
        return None
    prefix = next((p for p in _TARGETS if target.value.startswith(p)), None)
    name = target.value[len(prefix):] if prefix else ""
    if not name.isidentifier() or (prefix == "model." and name == "init_args"):
        return None
    source, compute, apply_on = (_argument(call, 0, "source"), _argument(call, 2, "compute_fn"),
                                 _argument(call, 3, "apply_on"))
    text = ast.unparse(source) if source is not None else "?"
    if compute is not None and not (isinstance(compute, ast.Constant) and compute.value is None):
        return Link(name, where, None, f"it computes the value from {text} ({ast.unparse(compute)})")
    if not (apply_on is None or isinstance(apply_on, ast.Constant) and apply_on.value == "parse"):
        return Link(name, where, None, f"it copies {text} from the instantiated objects "
                                       f"(apply_on={ast.unparse(apply_on)})")
    if not (isinstance(source, ast.Constant) and isinstance(source.value, str) and source.value):
        return Link(name, where, None, f"its source {text} is not one config key")
    return Link(name, where, tuple(source.value.split(".")))


def model_links(config: Path) -> dict[str, Link]:
    """The links the project's LightningCLI subclasses make to the model's init arguments, by the
    argument's name (the first one found)."""
    out: dict[str, Link] = {}
    for cls in cli_classes(config, "add_arguments_to_parser"):
        method = _methods(cls).get("add_arguments_to_parser")
        for node in ast.walk(method) if method is not None else ():
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "link_arguments"):
                link = _link(node, _where(cls, node))
                if link is not None:
                    out.setdefault(link.target, link)
    return out
