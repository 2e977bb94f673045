"""A LightningCLI config split over several files, given as one SPEC: ``base.yaml+model.yaml``.

LightningCLI takes ``--config a.yaml --config b.yaml`` and composes them in that order
(jsonargparse's ``ActionConfigFile``: each file is merged onto what the earlier ones gave), so
``lrplot a.yaml+b.yaml`` reads the files in the order written: mappings merge key by key, any
other value replaces the earlier one. A later file that changes a section's ``class_path`` keeps
the earlier ``init_args`` the new class accepts (jsonargparse does; checked with a real LightningCLI
in tests/test_sources_lightning_config.py): lrplot composes that only when the later file gives
every earlier init argument again, and otherwise asks for the section to be written whole in one
file. Every value keeps the position of the file it came from, so errors point at that file.
A path that exists as written is always that file (a name may hold ``+``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SpecError, UsageError
from ..yamlio import KeyPath, SourceMap, format_path

if TYPE_CHECKING:  # pragma: no cover
    from .protocol import Document

SEPARATOR = "+"
COMPOSES = ("lightning",)  # the kinds whose framework composes several config files in this way


def split(path: str | Path) -> list[Path] | None:
    """The files of a composed SPEC (None: ``path`` is one file, or names none of ``+``)."""
    text = str(path)
    if SEPARATOR not in text or Path(text).exists():
        return None
    parts = [Path(p) for p in text.split(SEPARATOR)]
    missing = [str(p) for p in parts if not p.is_file()]
    if missing or any(not str(p) for p in parts):
        raise UsageError(f"{text}: no such file{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing) if missing else '(an empty part)'}",
                         hint="compose LightningCLI config files as a.yaml+b.yaml, each an existing file "
                              "(LightningCLI's --config a.yaml --config b.yaml)")
    return parts


def compose(paths: list[Path]) -> Document:
    """The files merged in LightningCLI's order, as one document (the first file's path)."""
    from dataclasses import replace

    from . import load_document

    docs = [load_document(p) for p in paths]
    for doc in docs:
        if not isinstance(doc.data, dict):
            raise SpecError("only YAML mappings compose (LightningCLI config files)",
                            location=doc.source.value(()), hint="give each file alone")
    data: dict = copy.deepcopy(docs[0].data)
    source = SourceMap(docs[0].source.path)
    _add(source, docs[0].source)
    for doc in docs[1:]:
        replaced: list[KeyPath] = []
        _merge(data, doc.data, (), doc, replaced)
        for path in replaced:
            for table in (source.keys, source.values, source.text_start):
                for p in [p for p in table if p[:len(path)] == path]:
                    del table[p]
        _add(source, doc.source)
    return replace(docs[0], data=data, source=source, text="\n".join(d.text for d in docs))


def _add(source: SourceMap, other: SourceMap) -> None:
    source.keys.update(other.keys)
    source.values.update(other.values)
    source.text_start.update(other.text_start)


def _merge(base: dict, over: dict, path: KeyPath, doc: Document, replaced: list[KeyPath]) -> None:
    for key, value in over.items():
        here = path + (key,)
        old = base.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            new_class, old_class = value.get("class_path"), old.get("class_path")
            if new_class is not None and old_class is not None and new_class != old_class:
                kept = sorted(set(old.get("init_args") or {}) - set(value.get("init_args") or {}))
                if kept:
                    raise SpecError(
                        f"'{format_path(here)}' changes class from {old_class} to {new_class}: LightningCLI "
                        f"then keeps the earlier init_args the new class accepts ({', '.join(map(str, kept))}), "
                        "which lrplot does not compose", location=doc.source.value(here + ("class_path",)),
                        hint=f"write '{format_path(here)}' whole in one of the files")
                base[key] = copy.deepcopy(value)
                replaced.append(here)
                continue
            _merge(old, value, here, doc, replaced)
        else:
            base[key] = copy.deepcopy(value)
            replaced.append(here)


def refuse_kind(kind: str, text: str) -> None:
    """Only a LightningCLI config composes from several files here."""
    if kind not in COMPOSES:
        raise UsageError(f"{text}: several files compose only as LightningCLI configs (--config a --config b); "
                         f"these were recognised as {kind}", hint="give each file alone")
