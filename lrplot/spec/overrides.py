"""``--set key.path=value``: one override applied to loaded data, before it is validated."""

from __future__ import annotations

import re
from typing import Any

from ..errors import Location, SpecError, UsageError
from ..text import did_you_mean
from ..yamlio import KeyPath, SourceMap, format_path, parse_scalar
from .models import Spec


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parse_key_path(text: str) -> KeyPath:
    parts: list[Any] = []
    pos = 0
    for m in _PATH_PART.finditer(text):
        if m.start() != pos and text[pos:m.start()] != ".":
            raise ValueError
        pos = m.end()
        name, index = m.groups()
        parts.append(int(index) if index is not None else (int(name) if name.isdigit() else name))
    if pos != len(text) or not parts or not isinstance(parts[0], str):
        raise ValueError
    return tuple(parts)


SET_FORMS = "key.path=value (e.g. scheduler.T_max=50), or '~key.path' to delete a key"


def apply_override(data: dict, source: SourceMap, item: str, *, spec_keys: bool = True) -> None:
    """Apply one ``--set key.path=value`` to loaded data (value parsed with the YAML rules), or
    delete the key ``--set '~key.path'`` names (Hydra's spelling). ``spec_keys``: the data is an
    lrplot spec, so a path that sets must start at a spec key (a training config's keys are its
    framework's)."""
    key_text, sep, value_text = item.partition("=")
    key_text = key_text.strip()
    deleting = key_text.startswith("~")
    try:
        if bool(sep) == deleting:  # a value without '=' or a deletion with one
            raise ValueError
        path = _parse_key_path(key_text[1:] if deleting else key_text)
    except ValueError:
        raise UsageError(f"--set {item!r}: expected {SET_FORMS}") from None
    if deleting:
        delete_key(data, path, Location(f"--set {key_text}"))
        return
    where = Location(f"--set {key_text}")
    if spec_keys:
        _check_override_root(data, path, where)
    try:
        value = parse_scalar(value_text)
    except SpecError as exc:
        raise SpecError(f"cannot read the value: {exc.message}", location=where) from None
    node: Any = data
    for i, part in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(node, dict) and isinstance(part, str):
            if part not in node or node[part] is None:
                node[part] = [] if isinstance(nxt, int) else {}
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int):
            if not 0 <= part < len(node):
                raise SpecError(f"index {part} is out of range ({len(node)} items)", location=where)
            node = node[part]
        else:
            raise SpecError(f"'{format_path(path[:i + 1])}' cannot be indexed this way", location=where)
    last = path[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        node[last] = value
    else:
        raise SpecError(f"'{format_path(path)}' does not name a value that can be set", location=where)
    source.override(path, where)


def delete_key(data: Any, path: KeyPath, where: Location) -> None:
    """Delete the key (or list item) at ``path`` of loaded data; refused at ``where`` when
    ``path`` names nothing, as Hydra refuses ``~key`` for a key the config does not have."""
    node = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        mapping = not isinstance(node, (list, str)) and hasattr(node, "keys")  # a dict or MMEngine's Config
        if mapping and isinstance(part, str) and part in node:
            if last:
                node.pop(part)
                return
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            if last:
                del node[part]
                return
        else:
            raise SpecError(f"'{format_path(path[:i + 1])}' is not in the input: nothing to delete", location=where)
        node = node[part]


def _find_key(data: Any, key: str, path: KeyPath = ()) -> KeyPath | None:
    """The first path in ``data`` whose last key is ``key`` (depth first), or None."""
    if isinstance(data, dict):
        if key in data:
            return path + (key,)
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    for k, v in items:
        found = _find_key(v, key, path + (k,))
        if found is not None:
            return found
    return None


def _check_override_root(data: dict, path: KeyPath, where: Location) -> None:
    """A ``--set`` path must start at a key the spec can have, and at the form this spec uses:
    say what the user most likely meant instead of a confusing validation error later."""
    root = path[0]
    rest = format_path(path[1:])
    if root == "scheduler" and "schedules" in data and "scheduler" not in data:
        names = [s.get("name") for s in data["schedules"] if isinstance(s, dict)] if isinstance(
            data["schedules"], list) else []
        raise SpecError("this spec lists 'schedules:', so it has no top-level 'scheduler'", location=where,
                        hint=f"set one schedule's: --set schedules[0].scheduler{'.' + rest if rest else ''}=..."
                             + (f" (schedules: {', '.join(str(n) for n in names)})" if names else ""))
    if root == "schedules" and "scheduler" in data and "schedules" not in data:
        raise SpecError("this spec has one 'scheduler:', not a 'schedules:' list", location=where,
                        hint="set it with --set scheduler.KEY=VALUE")
    if root not in Spec.model_fields:
        found = _find_key(data, root)
        if found is not None:
            suggestion = format_path(found + tuple(path[1:]))
            hint = f"did you mean '{suggestion}'?"
        else:
            hint = did_you_mean(root, Spec.model_fields) or f"top-level keys: {', '.join(Spec.model_fields)}"
        raise SpecError(f"unknown key '{root}'", location=where, hint=hint)
