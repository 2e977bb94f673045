"""The YAML loader of lrplot: one document -> plain data and the position of every key and value.

PyYAML implements YAML 1.1, which reads ``1e-3`` as a string and silently keeps the last of two
duplicate keys. This loader uses the YAML 1.2 core schema for scalars (``1e-3`` is a float,
``yes``/``on`` are strings, ``017`` is 17) plus digit-group underscores (``1_000_000``), rejects
duplicate keys, and returns a :class:`SourceMap` with the position of every key and value so
that later stages can report ``file:line:col``.
"""

from __future__ import annotations

import json
import re

from typing import Any

import yaml

from ..errors import Location, SpecError, first_line
from ..limits import MAX_YAML_DEPTH
from .builder import Builder
from .ccompose import compose
from .guard import Guard, check_data, check_expansion, loc, nesting_depth, precheck
from .positions import KeyPath, SourceMap, format_path
from .schema import Loader


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


class TemplateFileError(SpecError):
    """A file that does not parse where a launch script's placeholder (``${zero_stage}``) stands: a
    template, said so before any guess at what kind of file it is."""


def load_yaml(text: str, path: str, *, strict_text: bool = True) -> tuple[Any, SourceMap]:
    """Parse one YAML document. Returns the data (None for an empty document) and its source map.
    ``strict_text=False`` (a training config, whose framework takes any string): a string value with a
    control character, written as an escape (``"\\x00"``), is kept escaped and listed in
    ``SourceMap.unprintable`` instead of refused; an lrplot spec refuses it (:func:`refuse_unprintable`)."""
    precheck(text, path)
    text = _json_tabs(text)
    composed = compose(text)  # by libyaml, where it gives what PyYAML's composer gives
    if composed is not None:
        srcmap = SourceMap(path)
        try:
            return (None if composed[1] is None else Builder(composed[0], srcmap, strict_text).build(composed[1], ())
                    ), srcmap
        except (yaml.YAMLError, RecursionError):  # said below, as PyYAML's composer and its reader say it
            pass
    srcmap = SourceMap(path)
    loader = None
    try:
        loader = Loader(text)  # its reader refuses NUL and other non-printable characters here
        loader.name = path
        loader.guard = Guard(path)
        node = loader.get_single_node()
        if node is None:
            return None, srcmap
        return Builder(loader, srcmap, strict_text).build(node, ()), srcmap
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        hint = _yaml_hint(problem)
        line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        placeholder = re.search(r"\$\{[A-Za-z_][\w.]*\}", line)
        if placeholder and not hint:  # DeepSpeedExamples' ds_config_temp.json: "stage": ${zero_stage}
            hint = (f"{placeholder.group()} is a template placeholder a launch script fills in; read the filled-in "
                    "file, or write the value")
        error = TemplateFileError if placeholder and hint and placeholder.group() in hint else SpecError
        raise error(f"not valid YAML: {problem}", hint=hint,
                    location=loc(path, mark) if mark else Location(path)) from None
    except yaml.reader.ReaderError as exc:
        where = Location(path, *_line_col(text, exc.position))
        raise SpecError(f"not valid YAML: the character U+{exc.character:04X} is not allowed"
                        if isinstance(exc.character, int) else f"not valid YAML: {exc.reason}",
                        hint="remove it", location=where) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {first_line(exc)}", location=Location(path)) from None
    except RecursionError:
        where = loc(path, loader.get_mark()) if loader is not None else Location(path)
        raise SpecError(f"the document is nested too deeply; at most {MAX_YAML_DEPTH} levels",
                        location=where) from None
    finally:
        if loader is not None:
            loader.dispose()


def _json_tabs(text: str) -> str:
    """JSON separates tokens with tabs as well as spaces; YAML refuses a tab that indents (DeepSpeedExamples'
    QANet-Pytorch/ds_bsz512_1cycle.json indents with tabs). A raw tab cannot stand inside a JSON string, so in
    a text that is JSON every tab is whitespace: a space in its place reads the same data, at the same line
    and column."""
    if "\t" not in text or not text.lstrip().startswith(("{", "[")):
        return text
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return text
    return text.replace("\t", " ")


def _line_col(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def parse_scalar(text: str) -> Any:
    """Parse one value with the same YAML rules as spec files (used by ``--set key=value``)."""
    data, _ = load_yaml(text, "<value>")
    return data


def refuse_unprintable(source: SourceMap) -> None:
    """What ``load_yaml(strict_text=False)`` kept escaped, refused as ``load_yaml`` refuses it: an lrplot spec
    needs no control character, and its names reach file names, terminals and fonts."""
    from .builder import unprintable_error

    for path, bad in source.unprintable.items():
        raise unprintable_error(bad, source.value(path))


__all__ = ["KeyPath", "SourceMap", "check_data", "check_expansion", "format_path", "load_yaml", "nesting_depth",
           "parse_scalar", "refuse_unprintable"]
