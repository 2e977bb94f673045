"""The error lines of a Hydra composition, located where the user wrote the cause: a missing option
at its defaults entry (with the group's options and a did-you-mean), a misspelt override key with
the key it was near, a YAML error of a file of the tree at its line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Location, SpecError, first_line
from ..text import did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from . import Document


NAME = r"[A-Za-z0-9_][\w\-.]*(?:/[\w\-.]+)*"  # a group or config name in a defaults list
_DEFAULT_KEY = rf"^(?:(?:override|optional)\s+)*/?(?P<group>{NAME})(?:@[\w\-.]*)?$"  # `group@pkg: option`


def default_group(key: str) -> str | None:
    """The group a defaults-list key chooses (``override optimizer@opt`` -> ``optimizer``), or None."""
    match = re.match(_DEFAULT_KEY, key.strip())
    return match.group("group") if match else None


def set_location(key: str) -> Location:
    return Location(f"--set {key}")


def default_entry(file: Path, display: str, group: str, name: str) -> Location | None:
    """Where ``group`` is chosen (or the config ``name`` named, relative to the file's group) in
    the defaults list of ``file``, if it is."""
    from ..spec import read_text
    from ..yamlio import load_yaml

    try:
        data, source = load_yaml(read_text(file, "config", pipe_ok=False), display)
    except SpecError:
        return None
    entries = data.get("defaults") if isinstance(data, dict) else None
    for i, entry in enumerate(entries if isinstance(entries, list) else ()):
        if isinstance(entry, dict) and len(entry) == 1:
            (key, _), = entry.items()
            if isinstance(key, str) and default_group(key) == group:
                return source.value(("defaults", i, key))
        elif isinstance(entry, str) and entry.strip() in (name, name.rpartition("/")[2]):
            return source.value(("defaults", i))
    return None


def missing_config(doc: Document, exc: Exception, loader: Any, parsed: list[Any]) -> SpecError:
    """Hydra's MissingConfigException (``In 'train': Could not find 'model/mnistt'``), located at
    the defaults entry (or the ``--set`` override) that chose it, with the group's options."""
    text = str(exc)
    match = re.search(r"Could not (?:find|load) '([^']+)'", text)
    parent_match = re.match(r"In '([^']+)'", text)
    if not match:
        return SpecError(f"Hydra cannot compose it: {first_line(exc)}", location=Location(str(doc.path)))
    name = match.group(1)
    group, _, option = name.rpartition("/")
    where: Location | None = None
    for o in parsed:
        if group and o.key_or_group == group:
            where = set_location(group)
    if where is None:
        parent = parent_match.group(1) if parent_match else doc.path.stem
        file = doc.path.parent / f"{parent}.yaml"
        where = default_entry(file, str(file) if parent != doc.path.stem else str(doc.path), group or name, name)
    where = where or Location(str(doc.path))
    store_hint = ("a config registered in Hydra's ConfigStore exists only when your code has run, which lrplot "
                  "never does: compose it with 'python train.py --cfg job > composed.yaml' and give lrplot that")
    if not group:
        return SpecError(f"Hydra found no config '{name}' (no {name}.yaml beside {doc.path.name})",
                         location=where, hint=store_hint)
    try:
        options = loader.get_group_options(group, config_name=doc.path.stem, overrides=list(doc.overrides))
    except Exception:  # noqa: BLE001 - the options only improve the hint
        options = []
    if not options:
        groups = groups_of(loader)
        near = did_you_mean(group, groups) if groups else None
        listed = f"the groups here are {', '.join(groups)}; " if groups else ""
        return SpecError(f"no config group '{group}' (no folder {group}/ beside {doc.path.name})",
                         location=where, hint=near or listed + store_hint)
    near = did_you_mean(option, options)
    return SpecError(f"config group '{group}' has no option '{option}' (options: {', '.join(options)})",
                     location=where, hint=near or f"choose one of {', '.join(options)}")


def near_key(doc: Document, key: str) -> str | None:
    """``did you mean 'model.optimizer.lr'?`` for a value override of a key the config lacks (a
    typo), from the config Hydra composes without the overrides."""
    import hydra
    from omegaconf import OmegaConf

    try:
        node: Any = OmegaConf.to_container(hydra.compose(config_name=doc.path.stem), resolve=False)
    except Exception:  # noqa: BLE001 - only for the hint
        return None
    parts = key.lstrip("+~").split(".")
    for i, part in enumerate(parts):
        if not isinstance(node, dict):
            return None
        if part not in node:
            keys = [str(k) for k in node]
            near = did_you_mean(part, keys)
            close = [k for k in keys if near == did_you_mean(part, [k])] if near else []
            return f"did you mean '{'.'.join(parts[:i] + close[:1] + parts[i + 1:])}'?" if close else None
        node = node[part]
    return None


def yaml_error(doc: Document, exc: Any) -> SpecError:
    """PyYAML's error in a file Hydra loaded, at its line (the mark names the absolute file)."""
    mark = getattr(exc, "problem_mark", None)
    what = " ".join(str(p) for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p)
    where = Location(str(doc.path))
    if mark is not None and mark.name:
        file = Path(mark.name)
        try:
            shown = doc.path.parent / file.relative_to(doc.path.parent.resolve())
        except ValueError:
            shown = file
        where = Location(str(shown), mark.line + 1, mark.column + 1)
    return SpecError(f"not valid YAML: {what or first_line(exc)}", location=where,
                     hint="fix this file of the config tree")


def groups_of(loader: Any) -> list[str]:
    try:
        return sorted(g for g in loader.list_groups("") if g != "hydra")
    except Exception:  # noqa: BLE001 - only for the hint
        return []
