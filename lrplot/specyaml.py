"""A Spec written back as lrplot YAML (``--print-spec``): deterministic, and read back by
:func:`lrplot.spec.parse_spec` as the same spec.

Only the keys the spec was given are written (``exclude_unset``), in the models' field order
then the order the options were given. Strings that lrplot's YAML 1.2 loader would read as
something else (``"1e-3"``, ``"0o17"``, ``"true"``, ``"null"``) are quoted; tuples become lists.
"""

from __future__ import annotations

from typing import Any, Iterable

import yaml

from .errors import LrplotError
from .spec import Spec
from .yamlio import parse_scalar


class _Dumper(yaml.SafeDumper):
    """SafeDumper whose plain scalars are plain under lrplot's YAML 1.2 rules too."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    try:
        plain = parse_scalar(text) == text and "\n" not in text
    except LrplotError:
        plain = False
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=None if plain else '"')


def _represent_tuple(dumper: yaml.SafeDumper, value: tuple) -> yaml.SequenceNode:
    return dumper.represent_list(list(value))


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(tuple, _represent_tuple)


def spec_data(spec: Spec) -> dict[str, Any]:
    """The spec as plain data: the keys it was given, nested models included."""
    return spec.model_dump(mode="python", exclude_unset=True)


def dump_spec(spec: Spec, comments: Iterable[str] = ()) -> str:
    """``spec`` as lrplot YAML, each of ``comments`` as a leading ``# `` line."""
    head = "".join(f"# {line}\n" for c in comments for line in str(c).splitlines())
    body = yaml.dump(spec_data(spec), Dumper=_Dumper, sort_keys=False, default_flow_style=None,
                     allow_unicode=True, width=100)
    return head + body
