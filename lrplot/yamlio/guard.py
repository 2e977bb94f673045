"""The one size and depth guard of a YAML document, and the checks made before a parser reads one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ..errors import Location, SpecError
from ..limits import MAX_HYDRA_YAML_VALUES, MAX_YAML_DEPTH, MAX_YAML_VALUES
from .positions import KeyPath, format_path


def loc(path: str, mark: Any) -> Location:
    return Location(path, mark.line + 1, mark.column + 1)


@dataclass
class Guard:
    """The one size and depth guard of a YAML document. Each walk of it (libyaml's event scan,
    PyYAML's composer, the builder, the expansion of merge keys and aliases) counts here and is
    refused past the limits, located where it stands; ``too_many`` says what the walk counts."""

    path: str
    max_values: int | None = MAX_YAML_VALUES
    too_many: str = "the document has more than {n} values; a spec is far smaller"
    hint: str | None = None
    count: int = 0
    depth: int = 0

    def value(self, mark: Any, n: int = 1) -> None:
        """``n`` more values, at ``mark``."""
        self.count += n
        if self.max_values is not None and self.count > self.max_values:
            raise SpecError(self.too_many.format(n=self.max_values), hint=self.hint, location=loc(self.path, mark))

    def levels(self, depth: int, mark: Any) -> None:
        """``depth`` levels of nesting at ``mark``: refused beyond MAX_YAML_DEPTH."""
        if depth > MAX_YAML_DEPTH:
            raise SpecError(f"the document is nested too deeply; at most {MAX_YAML_DEPTH} levels",
                            location=loc(self.path, mark))

    def enter(self, mark: Any) -> None:
        """One level deeper, at ``mark``."""
        self.levels(self.depth, mark)
        self.depth += 1

    def leave(self) -> None:
        self.depth -= 1


_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def precheck(text: str, path: str, max_values: int | None = MAX_YAML_VALUES) -> None:
    """Refuse deep or huge documents (more than ``max_values`` values, when given) with libyaml's
    scanner (linear, in C) before PyYAML's, which spends depth-squared time on "[[[[..." before it
    yields a single event."""
    if not getattr(yaml, "__with_libyaml__", False):
        return
    guard = Guard(path, max_values)
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, _OPEN):
                guard.enter(event.start_mark)
            elif isinstance(event, _CLOSE):
                guard.leave()
                continue
            elif not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
                continue
            guard.value(event.start_mark)
    except yaml.MarkedYAMLError as exc:
        # libyaml (PyYAML 6.0.4's wheels) refuses deep flow nesting itself, while scanning ahead
        # and before it yields a single event: that is this refusal too, not a syntax error.
        if "nesting depth" in (exc.problem or ""):
            raise SpecError(f"the document is nested too deeply; at most {MAX_YAML_DEPTH} levels",
                            location=loc(path, exc.problem_mark) if exc.problem_mark else Location(path)) from None
        return  # PyYAML reports it, with its own (same) position and words
    except yaml.YAMLError:
        return


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting of a one-line flow value (a ``--set`` value, a JSON text) outside
    its quoted strings: checked against MAX_YAML_DEPTH before a parser that recurses per level reads it."""
    depth = deepest = 0
    quote, escaped = None, False
    for char in text:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "[{(":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]})":
            depth -= 1
    return deepest


def check_expansion(text: str, path: str, limit: int = MAX_HYDRA_YAML_VALUES) -> None:
    """Refuse a YAML file that another library is about to load in full (Hydra's composition
    loads every file of a config tree with PyYAML and copies it with OmegaConf) when loading would
    not end: nesting deeper than PyYAML parses in reasonable time, or aliases and merge keys that
    expand to more than ``limit`` values (a "billion laughs"). Large plain files pass: their cost
    is linear. Syntax errors pass too: the loader reports them, if it reads the file at all."""
    if not getattr(yaml, "__with_libyaml__", False):
        return
    precheck(text, path, max_values=None)
    if "*" not in text:  # no alias: nothing can expand
        return
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return
    sizes: dict[int, int] = {}
    guard = Guard(path, limit, "the aliases (*name) and merge keys (<<) of this file expand to more than {n} values",
                   "write the values out, or use fewer nested aliases")

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key not in sizes:
            sizes[key] = 0  # a node reached again while being counted (a recursive alias) adds nothing
            children = (node.value if isinstance(node, yaml.SequenceNode)
                        else [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else ())
            total = 1 + sum(size(child) for child in children)
            guard.count = 0
            guard.value(node.start_mark, total)
            sizes[key] = total
        return sizes[key]

    if root is not None:
        try:
            size(root)
        except RecursionError:  # thousands of anchors, each an alias of the one before
            raise SpecError("the aliases (*name) of this file are chained too deeply",
                            hint="write the values out", location=Location(path)) from None


def check_data(data: Any, name: str = "<spec>") -> None:
    """The limits of a spec file, for data built in Python (``lrplot.plot(dict)``): at most
    MAX_YAML_VALUES values (a value counted each time it appears) and MAX_YAML_DEPTH levels, and no cycle."""
    count = 0
    active: set[int] = set()

    def walk(node: Any, path: KeyPath) -> None:
        nonlocal count
        count += 1
        if count > MAX_YAML_VALUES:
            raise SpecError(f"the spec has more than {MAX_YAML_VALUES} values; a spec is far smaller",
                            location=Location(name), hint="a spec file has the same limit")
        if not isinstance(node, (dict, list, tuple)):
            return
        if len(path) >= MAX_YAML_DEPTH:
            raise SpecError(f"the spec is nested too deeply at {format_path(path[:4])}...; at most {MAX_YAML_DEPTH} "
                            "levels", location=Location(name))
        if id(node) in active:
            raise SpecError(f"the spec contains itself at {format_path(path) or 'its top'} (a cycle)",
                            location=Location(name), hint="build it without a reference to itself")
        active.add(id(node))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            walk(value, path + (key if isinstance(key, (str, int)) else str(key),))
        active.discard(id(node))

    walk(data, ())
