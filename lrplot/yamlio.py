"""The YAML loader of lrplot.

PyYAML implements YAML 1.1, which reads ``1e-3`` as a string and silently keeps the last of two
duplicate keys. This loader uses the YAML 1.2 core schema for scalars (``1e-3`` is a float,
``yes``/``on`` are strings, ``017`` is 17) plus digit-group underscores (``1_000_000``), rejects
duplicate keys, and returns a :class:`SourceMap` with the position of every key and value so
that later stages can report ``file:line:col``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Location, SpecError, first_line
from .limits import MAX_HYDRA_YAML_VALUES, MAX_YAML_DEPTH, MAX_YAML_INT_BITS, MAX_YAML_VALUES
from .text import bad_character

KeyPath = tuple  # tuple[str | int, ...]: ("scheduler", "schedulers", 0, "T_max")


def format_path(path: KeyPath) -> str:
    """``("schedules", 0, "scheduler")`` -> ``schedules[0].scheduler``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class SourceMap:
    """Where each key and value of a loaded document stands in its source.

    Lookups fall back to the nearest enclosing node that has a position, so any path gives a
    usable location (at worst the file itself). ``by_path``: the document has no text (a dict
    built in Python), so a location is the key path itself: ``<spec>:scheduler.T_max``.
    """

    path: str
    keys: dict[KeyPath, Location] = field(default_factory=dict)
    values: dict[KeyPath, Location] = field(default_factory=dict)
    # For single-line scalars: column where the text content starts (after an opening quote).
    text_start: dict[KeyPath, Location] = field(default_factory=dict)
    by_path: bool = False

    def _lookup(self, table: dict[KeyPath, Location], path: KeyPath) -> Location:
        path = full = tuple(path)
        while True:
            if path in table:
                return table[path]
            if path in self.values:
                return self.values[path]
            if path in self.keys:
                return self.keys[path]
            if not path:
                return Location(self.path, key=format_path(full) if self.by_path and full else None)
            path = path[:-1]

    def key(self, path: KeyPath) -> Location:
        """Position of the key that introduces ``path`` (for unknown/misspelled keys)."""
        return self._lookup(self.keys, path)

    def value(self, path: KeyPath) -> Location:
        """Position of the value at ``path``."""
        return self._lookup(self.values, path)

    def text(self, path: KeyPath, offset: int = 0) -> Location:
        """Position of character ``offset`` inside the scalar text at ``path`` (for expressions)."""
        start = self.text_start.get(tuple(path))
        if start is None or start.col is None:
            return self.value(path)
        return Location(start.path, start.line, start.col + offset)

    def override(self, path: KeyPath, location: Location) -> None:
        """Point ``path`` and everything below it at ``location`` (a --set override)."""
        path = tuple(path)
        for table in (self.keys, self.values, self.text_start):
            for p in [p for p in table if p[: len(path)] == path]:
                del table[p]
        self.keys[path] = location
        self.values[path] = location


# --- YAML 1.2 core schema -------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalar resolution, refusing documents of more than
    MAX_YAML_VALUES nodes while it composes them (PyYAML spends ~50 us and ~1 kB on each)."""

    composed = 0
    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.composed += 1
        if self.composed > MAX_YAML_VALUES:
            raise SpecError(f"the document has more than {MAX_YAML_VALUES} values; a spec is far smaller",
                            location=_loc(self.name, self.peek_event().start_mark))
        # Stop at the depth limit while composing: PyYAML's scanner costs depth squared on
        # "[[[[..." (seconds at a few thousand) and its composer recurses into a RecursionError.
        if self.depth > MAX_YAML_DEPTH:
            raise SpecError(f"the document is nested too deeply; at most {MAX_YAML_DEPTH} levels",
                            location=_loc(self.name, self.peek_event().start_mark))
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_REPLACED = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_Loader.yaml_implicit_resolvers = {
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

_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL_RE, list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT_RE, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_RE, list("-+0123456789."))
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", _NULL_RE, ["~", "n", "N", ""])


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


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


_COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}


def _loc(path: str, mark: Any) -> Location:
    return Location(path, mark.line + 1, mark.column + 1)


class _Builder:
    """Turns a composed node tree into plain Python data while recording positions."""

    def __init__(self, loader: _Loader, srcmap: SourceMap):
        self.loader = loader
        self.map = srcmap
        self.active: set[int] = set()
        self.count = 0  # values built so far, each alias expansion counted again

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        file = self.map.path
        self.count += 1
        if self.count > MAX_YAML_VALUES:
            raise SpecError(f"the document expands to more than {MAX_YAML_VALUES} values",
                            hint="aliases (*name) count each time they repeat an anchor",
                            location=_loc(file, node.start_mark))
        self.map.values[path] = _loc(file, node.start_mark)
        if len(path) > MAX_YAML_DEPTH:
            raise SpecError("the document is nested too deeply", location=_loc(file, node.start_mark))
        if id(node) in self.active:
            raise SpecError("an alias refers to itself; remove the recursive alias",
                            location=_loc(file, node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if node.tag not in _COLLECTION_TAGS:
            raise SpecError(f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed in a spec",
                            location=_loc(file, node.start_mark))
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
        finally:
            self.active.discard(id(node))
        raise SpecError(f"unsupported YAML node {node.tag}", location=_loc(file, node.start_mark))

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise SpecError(f"cannot read this value: {problem}",
                            location=_loc(self.map.path, node.start_mark)) from None
        except (ValueError, OverflowError) as exc:
            shown = node.value if len(node.value) <= 40 else node.value[:40] + "..."
            raise SpecError(f"cannot read {shown!r}: {exc}",
                            location=_loc(self.map.path, node.start_mark)) from None
        if isinstance(value, str):
            _check_text(value, _loc(self.map.path, node.start_mark))
        if node.start_mark.line == node.end_mark.line and node.style in (None, "'", '"'):
            start = _loc(self.map.path, node.start_mark)
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
            key_loc = _loc(file, key_node.start_mark)
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
        raise SpecError(f"the text contains {bad}", hint="remove it", location=where)


_MERGE_TAG = "tag:yaml.org,2002:merge"


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
        if key_node.tag != _MERGE_TAG:
            own.append((key_node, value_node, True))
            continue
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in reversed(sources):  # the first source is applied last, so it wins
            if not isinstance(source, yaml.MappingNode):
                raise SpecError("a merge key (<<) takes a mapping or a list of mappings, "
                                f"not {'a list' if isinstance(source, yaml.SequenceNode) else 'a value'}",
                                hint="merge an anchored mapping: <<: *name or <<: [*a, *b]",
                                location=_loc(file, source.start_mark))
            merged.extend((k, v, False) for k, v, _ in _merge_entries(source, file))
    return merged + own


def _merged_size(node: yaml.MappingNode, memo: dict[int, int], file: str) -> int:
    """How many entries ``node`` has once its "<<" merge keys are resolved (PyYAML's
    flatten_mapping concatenates them, so nested merges of merges grow exponentially)."""
    key = id(node)
    if key in memo:
        if memo[key] < 0:
            raise SpecError("a merge key (<<) refers to its own mapping", location=_loc(file, node.start_mark))
        return memo[key]
    memo[key] = -1
    size = 0
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE_TAG:
            size += 1
            continue
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for sub in sources:
            size += _merged_size(sub, memo, file) if isinstance(sub, yaml.MappingNode) else 1
        if size > MAX_YAML_VALUES:
            raise SpecError(f"the merge keys (<<) expand to more than {MAX_YAML_VALUES} values",
                            location=_loc(file, node.start_mark))
    memo[key] = size
    return size


_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _precheck(text: str, path: str, max_values: int | None = MAX_YAML_VALUES) -> None:
    """Refuse deep or huge documents (more than ``max_values`` values, when given) with libyaml's
    scanner (linear, in C) before PyYAML's, which spends depth-squared time on "[[[[..." before it
    yields a single event."""
    if not getattr(yaml, "__with_libyaml__", False):
        return
    depth = count = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, _OPEN):
                depth += 1
                if depth > MAX_YAML_DEPTH + 1:
                    raise SpecError(f"the document is nested too deeply; at most {MAX_YAML_DEPTH} levels",
                                    location=_loc(path, event.start_mark))
            elif isinstance(event, _CLOSE):
                depth -= 1
                continue
            elif not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
                continue
            count += 1
            if max_values is not None and count > max_values:
                raise SpecError(f"the document has more than {MAX_YAML_VALUES} values; a spec is far smaller",
                                location=_loc(path, event.start_mark))
    except yaml.MarkedYAMLError as exc:
        # libyaml (PyYAML 6.0.4's wheels) refuses deep flow nesting itself, while scanning ahead
        # and before it yields a single event: that is this refusal too, not a syntax error.
        if "nesting depth" in (exc.problem or ""):
            raise SpecError(f"the document is nested too deeply; at most {MAX_YAML_DEPTH} levels",
                            location=_loc(path, exc.problem_mark) if exc.problem_mark else Location(path)) from None
        return  # PyYAML reports it, with its own (same) position and words
    except yaml.YAMLError:
        return


def check_expansion(text: str, path: str, limit: int = MAX_HYDRA_YAML_VALUES) -> None:
    """Refuse a YAML file that another library is about to load in full (Hydra's composition
    loads every file of a config tree with PyYAML and copies it with OmegaConf) when loading would
    not end: nesting deeper than PyYAML parses in reasonable time, or aliases and merge keys that
    expand to more than ``limit`` values (a "billion laughs"). Large plain files pass: their cost
    is linear. Syntax errors pass too: the loader reports them, if it reads the file at all."""
    if not getattr(yaml, "__with_libyaml__", False):
        return
    _precheck(text, path, max_values=None)
    if "*" not in text:  # no alias: nothing can expand
        return
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key not in sizes:
            sizes[key] = 0  # a node reached again while being counted (a recursive alias) adds nothing
            children = (node.value if isinstance(node, yaml.SequenceNode)
                        else [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else ())
            total = 1 + sum(size(child) for child in children)
            if total > limit:
                raise SpecError(f"the aliases (*name) and merge keys (<<) of this file expand to more than {limit} "
                                "values", hint="write the values out, or use fewer nested aliases",
                                location=_loc(path, node.start_mark))
            sizes[key] = total
        return sizes[key]

    if root is not None:
        try:
            size(root)
        except RecursionError:  # thousands of anchors, each an alias of the one before
            raise SpecError("the aliases (*name) of this file are chained too deeply",
                            hint="write the values out", location=Location(path)) from None


_YAML_HINTS = (
    ("'\\t'", "YAML indents with spaces, never tabs: replace the tab with spaces"),
    ("mapping values are not allowed", "this line is indented deeper than the key above it (or a value holds "
                                       "': ': quote it); line keys of one mapping up at the same column"),
    ("expected <block end>", "this line is indented less than the block it belongs to: line it up with the "
                             "keys above it"),
    ("could not find expected ':'", "a key needs ': ' after it (key: value)"),
    ("found duplicate anchor", "give each '&anchor' its own name"),
    ("found undefined alias", "define '&name' before using '*name'"),
)


def _yaml_hint(problem: str) -> str | None:
    """How to fix the PyYAML syntax errors people actually make."""
    for needle, hint in _YAML_HINTS:
        if needle in problem:
            return hint
    return None


def load_yaml(text: str, path: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document. Returns the data (None for an empty document) and its source map."""
    srcmap = SourceMap(path)
    _precheck(text, path)
    loader = None
    try:
        loader = _Loader(text)  # its reader refuses NUL and other non-printable characters here
        loader.name = path
        node = loader.get_single_node()
        if node is None:
            return None, srcmap
        return _Builder(loader, srcmap).build(node, ()), srcmap
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError(f"not valid YAML: {problem}", hint=_yaml_hint(problem),
                        location=_loc(path, mark) if mark else Location(path)) from None
    except yaml.reader.ReaderError as exc:
        where = Location(path, *_line_col(text, exc.position))
        raise SpecError(f"not valid YAML: the character U+{exc.character:04X} is not allowed"
                        if isinstance(exc.character, int) else f"not valid YAML: {exc.reason}",
                        hint="remove it", location=where) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {first_line(exc)}", location=Location(path)) from None
    except RecursionError:
        where = _loc(path, loader.get_mark()) if loader is not None else Location(path)
        raise SpecError(f"the document is nested too deeply; at most {MAX_YAML_DEPTH} levels",
                        location=where) from None
    finally:
        if loader is not None:
            loader.dispose()


def _line_col(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def parse_scalar(text: str) -> Any:
    """Parse one value with the same YAML rules as spec files (used by ``--set key=value``)."""
    data, _ = load_yaml(text, "<value>")
    return data
