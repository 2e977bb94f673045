"""A composed YAML node tree as plain Python data, every key's and value's position recorded,
duplicate keys refused and "<<" merge keys resolved as YAML says."""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import Location, SpecError
from ..limits import MAX_YAML_EXPANDED_VALUES
from ..text import bad_character, printable
from .guard import Guard, loc
from .positions import KeyPath, SourceMap
from .schema import COLLECTION_TAGS, Loader


class Builder:
    """Turns a composed node tree into plain Python data while recording positions."""

    def __init__(self, loader: Loader, srcmap: SourceMap, strict_text: bool = True):
        self.loader = loader
        self.map = srcmap
        self.strict_text = strict_text  # else a value with a control character is kept escaped, and noted
        self.active: set[int] = set()
        # values built so far, each alias expansion counted again
        self.guard = Guard(srcmap.path, MAX_YAML_EXPANDED_VALUES,
                           too_many="the document expands to more than {n} values",
                           hint="aliases (*name) count each time they repeat an anchor")

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        file = self.map.path
        self.guard.value(node.start_mark)
        self.map.values[path] = loc(file, node.start_mark)
        self.guard.levels(len(path), node.start_mark)  # an alias may have put this node deeper than it was written
        if id(node) in self.active:
            raise SpecError("an alias refers to itself; remove the recursive alias",
                            location=loc(file, node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if node.tag not in COLLECTION_TAGS:
            raise SpecError(f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed in a spec",
                            location=loc(file, node.start_mark))
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
        finally:
            self.active.discard(id(node))
        raise SpecError(f"unsupported YAML node {node.tag}", location=loc(file, node.start_mark))

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise SpecError(f"cannot read this value: {problem}",
                            location=loc(self.map.path, node.start_mark)) from None
        except (ValueError, OverflowError) as exc:
            shown = node.value if len(node.value) <= 40 else node.value[:40] + "..."
            raise SpecError(f"cannot read {shown!r}: {exc}",
                            location=loc(self.map.path, node.start_mark)) from None
        if isinstance(value, str) and not self.strict_text and bad_character(value):
            self.map.unprintable[path] = bad_character(value)
            value = printable(value)
        if isinstance(value, str):
            _check_text(value, loc(self.map.path, node.start_mark))
        if node.start_mark.line == node.end_mark.line and node.style in (None, "'", '"'):
            start = loc(self.map.path, node.start_mark)
            shift = 1 if node.style in ("'", '"') else 0
            self.map.text_start[path] = Location(start.path, start.line, start.col + shift)
        return value

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict:
        file = self.map.path
        _merged_size(node, {}, self.map.path)  # before anything is expanded
        # Merged entries first, the mapping's own keys last; a later entry overrides an earlier
        # one, but the mapping's own keys must be unique.
        entries: dict[str, tuple[yaml.Node, yaml.Node, Location]] = {}
        first_own: dict[str, Location] = {}
        for key_node, value_node, own in _merge_entries(node, file):
            key_loc = loc(file, key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError("a key must be plain text, not a list or mapping", location=key_loc)
            key = self.loader.construct_object(key_node)
            if not isinstance(key, str):
                key = key_node.value
            _check_text(key, key_loc)
            if own:
                if key in first_own:
                    raise SpecError(
                        f"duplicate key '{key}' (first given at line {first_own[key].line})",
                        hint="remove one of them",
                        location=key_loc,
                    )
                first_own[key] = key_loc
            entries.pop(key, None)
            entries[key] = (key_node, value_node, key_loc)
        out: dict[str, Any] = {}
        for key, (key_node, value_node, key_loc) in entries.items():
            self.map.keys[path + (key,)] = key_loc
            out[key] = self.build(value_node, path + (key,))
        return out


def _check_text(text: str, where: Location) -> None:
    bad = bad_character(text)
    if bad is not None:  # no spec needs one, and they break file names, terminals and fonts
        raise unprintable_error(bad, where)


def unprintable_error(bad: str, where: Location) -> SpecError:
    return SpecError(f"the text contains {bad}", hint="remove it", location=where)


MERGE_TAG = "tag:yaml.org,2002:merge"


def _merge_entries(node: yaml.MappingNode, file: str) -> list[tuple[yaml.Node, yaml.Node, bool]]:
    """The entries of ``node`` with its "<<" merge keys resolved, as (key, value, own), in the
    order in which a later entry overrides an earlier one: merged entries first, the mapping's own
    keys last, and of a list of merged mappings the FIRST wins (YAML's merge-key rule). lrplot
    resolves merges itself instead of calling PyYAML's ``flatten_mapping``, whose answer changed
    in PyYAML 6.0.4 (the last source won) and which rewrites shared anchor nodes in place: a
    spec's meaning must not depend on the PyYAML version. The tree has passed :func:`_merged_size`."""
    merged: list[tuple[yaml.Node, yaml.Node, bool]] = []
    own: list[tuple[yaml.Node, yaml.Node, bool]] = []
    for key_node, value_node in node.value:
        if key_node.tag != MERGE_TAG:
            own.append((key_node, value_node, True))
            continue
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in reversed(sources):  # the first source is applied last, so it wins
            if not isinstance(source, yaml.MappingNode):
                raise SpecError("a merge key (<<) takes a mapping or a list of mappings, "
                                f"not {'a list' if isinstance(source, yaml.SequenceNode) else 'a value'}",
                                hint="merge an anchored mapping: <<: *name or <<: [*a, *b]",
                                location=loc(file, source.start_mark))
            merged.extend((k, v, False) for k, v, _ in _merge_entries(source, file))
    return merged + own


def _merged_size(node: yaml.MappingNode, memo: dict[int, int], file: str) -> int:
    """How many entries ``node`` has once its "<<" merge keys are resolved (PyYAML's
    flatten_mapping concatenates them, so nested merges of merges grow exponentially)."""
    key = id(node)
    if key in memo:
        if memo[key] < 0:
            raise SpecError("a merge key (<<) refers to its own mapping", location=loc(file, node.start_mark))
        return memo[key]
    memo[key] = -1
    size = 0
    for key_node, value_node in node.value:
        if key_node.tag != MERGE_TAG:
            size += 1
            continue
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for sub in sources:
            size += _merged_size(sub, memo, file) if isinstance(sub, yaml.MappingNode) else 1
        Guard(file, MAX_YAML_EXPANDED_VALUES, too_many="the merge keys (<<) expand to more than {n} values").value(
            node.start_mark, size)
    memo[key] = size
    return size
