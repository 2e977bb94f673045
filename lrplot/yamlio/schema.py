"""YAML 1.2 core-schema scalars on PyYAML's SafeLoader: ``1e-3`` is a float, ``yes`` a string, ``017`` is 17."""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from ..limits import MAX_YAML_INT_BITS
from .guard import Guard


class Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalar resolution, refusing documents of more than
    MAX_YAML_VALUES nodes while it composes them (PyYAML spends ~50 us and ~1 kB on each)."""

    guard: Guard

    def compose_node(self, parent: Any, index: Any) -> Any:
        # Stop at the limits while composing: PyYAML's scanner costs depth squared on "[[[[..."
        # (seconds at a few thousand) and its composer recurses into a RecursionError.
        mark = self.peek_event().start_mark
        self.guard.value(mark)
        self.guard.enter(mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.guard.leave()


_REPLACED = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_DIGITS = r"[0-9](?:_?[0-9])*"
_INT_RE = re.compile(rf"^(?:[-+]?{_DIGITS}|0o[0-7](?:_?[0-7])*|0x[0-9a-fA-F](?:_?[0-9a-fA-F])*)$")
_FLOAT_RE = re.compile(
    rf"^(?:[-+]?(?:\.{_DIGITS}|{_DIGITS}(?:\.(?:{_DIGITS})?)?)(?:[eE][-+]?{_DIGITS})?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")

Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL_RE, list("tTfF"))
Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT_RE, list("-+0123456789"))
Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_RE, list("-+0123456789."))
Loader.add_implicit_resolver("tag:yaml.org,2002:null", _NULL_RE, ["~", "n", "N", ""])


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node).replace("_", "")
    body = text.lstrip("+-")
    base = {"0o": 8, "0x": 16}.get(body[:2], 10)
    digits = body[2:] if base != 10 else body
    if len(digits.lstrip("0")) > 24:  # refused before converting: no spec number is this long
        raise ValueError(f"the integer has {len(digits)} digits; integers are at most 64 bits")
    value = int(digits, base)
    if value.bit_length() > MAX_YAML_INT_BITS:
        raise ValueError("the integer is too large; integers are at most 64 bits")
    return -value if text.startswith("-") else value


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = loader.construct_scalar(node).replace("_", "").lower()
    if text.endswith(".inf"):
        return -math.inf if text.startswith("-") else math.inf
    if text == ".nan":
        return math.nan
    return float(text)


def _construct_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return loader.construct_scalar(node).lower() == "true"


Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}
