"""pydantic's validation errors as lrplot's: one located line in the user's words."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..errors import SpecError
from ..yamlio import KeyPath, SourceMap, format_path


def _data_path(data: Any, loc: tuple) -> KeyPath:
    """The part of a pydantic error location that walks the data (drops union member names)."""
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            out.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            out.append(part)
    return tuple(out)


_STRICT_NUMBERS = {"int_type": "int", "float_type": "float"}
# pydantic's shape errors: what was expected, how to write it
_SHAPES = {"list_type": ("a list", "write it in brackets, [a, b], or as '- ' lines"),
           "dict_type": ("a mapping of keys", "write it as {key: value, ...} or as 'key: value' lines"),
           "model_type": ("a mapping of keys", "write it as {key: value, ...} or as 'key: value' lines"),
           "string_type": ("a text", "quote it")}
# pydantic's bound errors: the ctx key of the bound, what the value is, what to write
_BOUNDS = {"greater_than": ("gt", "not above", "above"), "greater_than_equal": ("ge", "below", "of at least"),
           "less_than": ("lt", "not below", "below"), "less_than_equal": ("le", "above", "of at most")}


def translate(exc: ValidationError, data: Any, source: SourceMap) -> SpecError:
    """The most specific pydantic error, as one located SpecError."""
    best = None
    for err in exc.errors(include_url=False):
        path = _data_path(data, err["loc"])
        if err["type"] == "unknown_key":
            path = path + (err["ctx"]["key"],)
        rank = (len(path), err["type"] == "unknown_key")
        if best is None or rank > best[0]:
            best = (rank, path, err)
    assert best is not None
    _, path, err = best
    if err["type"] == "cross_key":
        ctx = err["ctx"]
        location = source.key(ctx["path"]) if ctx["key"] else source.value(ctx["path"])
        return SpecError(ctx["message"], hint=ctx["hint"], location=location)
    where = format_path(path)
    if err["type"] == "unknown_key":
        return SpecError(err["msg"], location=source.key(path))
    if err["type"] == "missing":
        missing = err["loc"][-1]
        return SpecError(f"{where + ': ' if where else ''}missing required key '{missing}'",
                         location=source.value(path))
    message = err["msg"]
    if err["type"] in _STRICT_NUMBERS:  # booleans and quoted numbers are not numbers
        from ..argtypes import Expected, describe_value, suggestion

        expected = (Expected(_STRICT_NUMBERS[err["type"]]),)
        hint = suggestion(err["input"], expected)
        what = "an integer" if expected[0].kind == "int" else "a number"
        return SpecError(f"{where + ': ' if where else ''}expected {what}, got {describe_value(err['input'])}",
                         hint=hint, location=source.value(path))
    if err["type"] in _SHAPES:  # "input should be a valid list" says neither what was given nor how to write it
        from ..argtypes import describe_value

        what, hint = _SHAPES[err["type"]]
        return SpecError(f"{where + ': ' if where else ''}expected {what}, got {describe_value(err['input'])}",
                         hint=hint, location=source.value(path))
    if err["type"] in _BOUNDS:  # "input should be greater than 0" says neither the value nor the fix
        bound = err["ctx"][_BOUNDS[err["type"]][0]]
        shown = f"{bound:,}" if isinstance(bound, int) and bound >= 10_000 else f"{bound:g}"
        return SpecError(f"{where + ': ' if where else ''}{err['input']} is {_BOUNDS[err['type']][1]} {shown}",
                         hint=f"write a number {_BOUNDS[err['type']][2]} {shown}"
                              + (" (lrplot's limit)" if "," in shown else ""), location=source.value(path))
    if err["type"].startswith(("literal_error", "enum")):
        message = message.replace("Input should be", "should be")
    else:
        message = message[0].lower() + message[1:]
    return SpecError(f"{where}: {message}" if where else message, location=source.value(path))
