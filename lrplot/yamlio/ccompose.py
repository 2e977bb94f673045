"""One YAML document composed by libyaml (C) instead of PyYAML's scanner, parser and composer (Python).

PyYAML's Python composer spends ~0.1 ms per value: 55 ms on a NeMo model config of 435 lines, where libyaml
composes the same tree in 4 ms. The tree is the same: libyaml's composer builds PyYAML's own node classes and
asks the same resolver (lrplot's YAML 1.2 scalars, :mod:`.schema`) for each node's tag; only a plain scalar's
style is written ``''`` where PyYAML writes None, and is set back. It stands in only where nothing can differ
from the Python composer: libyaml accepts the text, and the tree stays within the limits that composer's guard
counts (every node, each alias once more, and the depth it enters them at), and the text has no tab (libyaml
reads ``a:<tab>b`` and ``1<tab># note``, PyYAML refuses both). Anything else (a syntax error, a refused
character, a tab, a document at the limits) gets None, and PyYAML's Python composer composes the text as before,
with its own words and positions. tests/test_yamlio.py checks both give the same data and positions for every
YAML file of the repository.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..limits import MAX_YAML_DEPTH, MAX_YAML_VALUES
from .schema import Loader

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    CParser = None


if CParser is not None:
    class CLoader(CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml's composer with :class:`.schema.Loader`'s resolvers and constructors."""

        yaml_implicit_resolvers = Loader.yaml_implicit_resolvers
        yaml_path_resolvers = Loader.yaml_path_resolvers
        yaml_constructors = Loader.yaml_constructors
        yaml_multi_constructors = Loader.yaml_multi_constructors

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)


def compose(text: str) -> tuple[Any, Any] | None:
    """(loader, root node or None for an empty document) composed by libyaml, or None: PyYAML's Python
    composer is to compose ``text`` (no libyaml, libyaml refuses it, or the guard's limits are near)."""
    if CParser is None or "\t" in text:  # libyaml takes a tab as a separator where PyYAML refuses it ("a:\tb")
        return None
    try:
        loader = CLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except Exception:  # noqa: BLE001 - any refusal is said by the Python composer, in its words
        return None
    if root is not None and not _within_limits(root):
        return None
    return loader, root


def _within_limits(root: yaml.Node) -> bool:
    """Whether the Python composer's guard (``schema.Loader.compose_node``) would pass this tree, each node
    counted where that composer composes it (an alias again, without its children), and plain styles set
    to PyYAML's None."""
    count = 0
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_YAML_VALUES or depth > MAX_YAML_DEPTH:
            return False
        if id(node) in seen:  # an alias: the anchored node, composed once
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.style == "":
                node.style = None
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in reversed(node.value))
        else:
            stack.extend((child, depth + 1) for pair in reversed(node.value) for child in reversed(pair))
    return True
